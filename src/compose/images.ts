/**
 * What compose fixes must know about well-known service images, kept as data with its sources:
 * the capabilities an entrypoint that starts as root needs after `cap_drop: [ALL]`, the paths it
 * writes outside its volumes (tmpfs under `read_only: true`), and the ports it serves (to publish
 * when `network_mode: host` goes). An image not listed here, or listed for its ports alone, gets no
 * guess: its confinement fixes are `review`.
 */
import { canonicalName, officialMirror, parseImageRef } from '../dockerfile/images.js';

export interface ServiceImage {
  /** Canonical names (Docker Hub official images without `library/`; linuxserver under any registry). */
  names: string[];
  /**
   * What the image needs once confined, when that is known: an image listed only for its ports gets
   * no guess about capabilities or writable paths (its confinement fixes are `review`).
   */
  confine?: {
    /** Capabilities the entrypoint needs when the service runs as the image's default user. */
    caps: string[];
    capsWhy: string;
    /** Paths written outside the image's declared volumes, as tmpfs under read_only. */
    tmpfs: string[];
    /** Where the image's configuration lives: a service that mounts its own there may write elsewhere. */
    configAt?: string[];
    /** What such a configuration may write, in plain words. */
    configWrites?: string;
    /** Environment variables that point the image at configuration elsewhere (nginx's template folder). */
    configEnv?: string[];
    /** Where the image keeps its data without declaring a VOLUME: read_only needs a volume there. */
    data?: { at: string; why: string };
  };
  /**
   * Capabilities the image's programs carry as file capabilities (setcap): each must stay in the
   * bounding set, whatever the user, or the program does not start ("operation not permitted").
   */
  fileCaps?: { caps: string[]; why: string };
  /** Confinement known to break this image: the fix is advice, with this explanation. */
  breaks?: {
    capDrop?: string;
    readOnly?: string;
    socket?: string;
    /** Host access a host-monitoring agent exists for (step 1's weakening kinds): removing it is advice. */
    host?: { kinds: string[]; why: string };
  };
  /** Only for tags like this (an image whose variants differ), when set. */
  tags?: RegExp;
  /** Ports the service listens on, as compose `ports:` entries. */
  ports: string[];
  source: string;
}

const GOSU_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'];

// nginx-proxy is FROM nginx with no VOLUME, and writes its configuration at every start.
const NGINX_PROXY_READ_ONLY =
  'nginx-proxy writes /etc/nginx/dhparam/dhparam.pem (its entrypoint, under set -e) and docker-gen writes /etc/nginx/conf.d/default.conf at every start, and neither is a volume. Keep the root file system writable for it';

export const SERVICE_IMAGES: ServiceImage[] = [
  {
    // pgvecto-rs and pgvector are the official image with an extension added (FROM postgres).
    names: ['postgres', 'tensorchord/pgvecto-rs', 'pgvector/pgvector', 'ankane/pgvector'],
    confine: {
      caps: GOSU_CAPS,
      capsWhy: 'the postgres entrypoint fixes ownership of the data directory as root, then switches to the postgres user',
      tmpfs: ['/tmp', '/var/run/postgresql'],
      configAt: ['/etc/postgresql', '/docker-entrypoint-initdb.d'],
      configWrites: 'a log_directory, a unix_socket_directories entry or a stats_temp_directory outside /var/lib/postgresql/data, or init scripts that write into the image',
    },
    ports: ['5432:5432'],
    source: 'https://github.com/docker-library/postgres/blob/master/docker-entrypoint.sh',
  },
  {
    // Immich's Postgres writes its configuration into /etc/postgresql at every start, then runs the official entrypoint.
    names: ['immich-app/postgres'],
    breaks: {
      readOnly: 'its entrypoint copies and edits /etc/postgresql/postgresql.conf at every start (cp -n, sed -i, under set -e), which is not a volume: the database does not start. Keep the root file system writable for it',
    },
    ports: ['5432:5432'],
    source: 'https://github.com/immich-app/base-images (postgres/immich-docker-entrypoint.sh)',
  },
  {
    names: ['mysql'],
    confine: {
      caps: GOSU_CAPS,
      capsWhy: 'the entrypoint fixes ownership of the data directory as root, then switches to the mysql user',
      tmpfs: ['/tmp', '/var/run/mysqld'],
      configAt: ['/etc/mysql', '/docker-entrypoint-initdb.d'],
      configWrites: 'log-error, general_log_file or slow_query_log_file under /var/log/mysql, a pid-file or socket outside /var/run/mysqld, or init scripts that write into the image',
    },
    ports: ['3306:3306'],
    source: 'https://github.com/docker-library/mysql/blob/master/docker-entrypoint.sh',
  },
  {
    // The UBI variants run as mysql from the start and keep the socket in /run/mariadb.
    names: ['mariadb'],
    tags: /ubi/,
    confine: {
      caps: [],
      capsWhy: 'the UBI images run as mysql from the start (USER mysql)',
      tmpfs: ['/tmp', '/run/mariadb'],
      configAt: ['/etc/mysql', '/etc/my.cnf.d', '/docker-entrypoint-initdb.d'],
      configWrites: 'log-error, general_log_file or slow_query_log_file under /var/log/mysql, a pid-file or socket outside /run/mariadb, or init scripts that write into the image',
    },
    ports: ['3306:3306'],
    source: 'https://github.com/MariaDB/mariadb-docker (the -ubi Dockerfiles: USER mysql, socket=/run/mariadb/mariadb.sock)',
  },
  {
    names: ['mariadb'],
    confine: {
      caps: GOSU_CAPS,
      capsWhy: 'the entrypoint fixes ownership of the data directory as root, then switches to the mysql user',
      tmpfs: ['/tmp', '/run/mysqld'],
      configAt: ['/etc/mysql', '/docker-entrypoint-initdb.d'],
      configWrites: 'log-error, general_log_file or slow_query_log_file under /var/log/mysql, a pid-file or socket outside /run/mysqld, or init scripts that write into the image',
    },
    ports: ['3306:3306'],
    source: 'https://github.com/MariaDB/mariadb-docker/blob/master/docker-entrypoint.sh',
  },
  {
    names: ['redis'],
    confine: {
      // Root walks /data, where redis's own folders (appendonlydir) are mode 0700 under its umask 0077;
      // setpriv --bounding-set=-all needs SETPCAP, and the modes it sets on files it gave away, FOWNER.
      caps: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETPCAP', 'SETUID'],
      capsWhy:
        'the entrypoint fixes ownership and modes of everything in /data as root (reading into the 0700 folders redis makes there, such as appendonlydir), then switches to redis with setpriv, which also empties the bounding set (--bounding-set=-all) and so needs SETPCAP',
      tmpfs: ['/tmp'],
      configAt: ['/usr/local/etc/redis', '/etc/redis'],
      configWrites: 'a logfile, a pidfile or a dir outside /data',
    },
    ports: ['6379:6379'],
    source: 'https://github.com/redis/docker-library-redis/blob/master/docker-entrypoint.sh',
  },
  {
    names: ['valkey/valkey'],
    confine: {
      caps: ['CHOWN', 'DAC_OVERRIDE', 'SETGID', 'SETUID'],
      capsWhy: 'the entrypoint fixes ownership of everything in /data as root (reading into the 0700 folders valkey makes there, such as appendonlydir), then switches to its own user with setpriv, leaving the bounding set as it is',
      tmpfs: ['/tmp'],
      configAt: ['/usr/local/etc/redis', '/etc/redis'],
      configWrites: 'a logfile, a pidfile or a dir outside /data',
    },
    ports: ['6379:6379'],
    source: 'https://github.com/valkey-io/valkey-container/blob/mainline/docker-entrypoint.sh',
  },
  {
    names: ['caddy'],
    confine: {
      caps: [],
      capsWhy: 'caddy runs as root and switches to no other user',
      // Certificates and autosaved configuration go to /data and /config, volumes the image declares.
      tmpfs: ['/tmp'],
      configAt: ['/etc/caddy'],
      configWrites: 'log files a `log` directive writes (`output file`), or storage outside /data and /config',
    },
    fileCaps: {
      caps: ['NET_BIND_SERVICE'],
      why: 'the image gives /usr/bin/caddy the file capability cap_net_bind_service=+ep, and the kernel refuses to start a program whose file capabilities are not all in the bounding set, whatever port it listens on',
    },
    ports: ['80:80', '443:443', '443:443/udp'],
    source: 'https://github.com/caddyserver/caddy-docker (setcap cap_net_bind_service=+ep /usr/bin/caddy)',
  },
  ...(['confluentinc/cp-kafka', 'confluentinc/cp-zookeeper', 'confluentinc/cp-schema-registry', 'confluentinc/cp-kafka-connect', 'confluentinc/cp-server'] as const).map(
    (name): ServiceImage => ({
      names: [name],
      breaks: {
        readOnly: 'the Confluent images render their configuration at every start (/etc/confluent/docker/configure writes the .properties and log4j files under /etc/kafka or /etc/<component>), which are not volumes: the service exits at once. Keep the root file system writable for it',
      },
      ports: [],
      source: 'https://docs.confluent.io/platform/current/installation/docker/config-reference.html',
    }),
  ),
  ...(['elasticsearch', 'docker.elastic.co/elasticsearch/elasticsearch', 'docker.elastic.co/elasticsearch/elasticsearch-oss'] as const).map(
    (name): ServiceImage => ({
      names: [name],
      breaks: {
        readOnly: 'Elasticsearch writes its keystore (config/elasticsearch.keystore, with ELASTIC_PASSWORD as bootstrap.password) and other files under /usr/share/elasticsearch/config at start, which is not a volume: it fails to start, and services waiting on it wait forever. Keep the root file system writable for it',
      },
      ports: ['9200:9200', '9300:9300'],
      source: 'https://www.elastic.co/guide/en/elasticsearch/reference/current/docker.html',
    }),
  ),
  {
    names: ['nextcloud'],
    breaks: {
      readOnly:
        'the Nextcloud entrypoint writes PHP settings into the image at start (/usr/local/etc/php/conf.d/redis-session.ini when REDIS_HOST is set) and stops when it cannot; a tmpfs there would hide the settings the image ships. Keep the root file system writable for this service',
    },
    ports: ['80:80'],
    source: 'https://github.com/nextcloud/docker (entrypoint.sh)',
  },
  {
    names: ['mongo'],
    confine: {
      caps: GOSU_CAPS,
      capsWhy: 'the mongo entrypoint fixes ownership of /data/db as root, then switches to the mongodb user',
      tmpfs: ['/tmp'],
      configAt: ['/etc/mongod.conf', '/etc/mongo', '/docker-entrypoint-initdb.d'],
      configWrites: 'a systemLog.path or processManagement.pidFilePath outside /data, or init scripts that write into the image',
    },
    ports: ['27017:27017'],
    source: 'https://github.com/docker-library/mongo/blob/master/docker-entrypoint.sh',
  },
  {
    names: ['nginx'],
    confine: {
      caps: ['CHOWN', 'DAC_OVERRIDE', 'SETGID', 'SETUID'],
      capsWhy: 'the nginx master process starts as root, reads certificates and writes logs in mounted folders that may belong to another user, and its workers switch to the nginx user',
      tmpfs: ['/tmp', '/var/cache/nginx', '/var/run'],
      configAt: ['/etc/nginx'],
      configWrites: 'access_log and error_log files, a pid path, or templates in /etc/nginx/templates, which the entrypoint renders into /etc/nginx/conf.d',
      // The entrypoint renders templates from and into folders these name; on a read-only root it logs an error and serves its default page.
      configEnv: ['NGINX_ENVSUBST_TEMPLATE_DIR', 'NGINX_ENVSUBST_OUTPUT_DIR'],
    },
    ports: ['80:80', '443:443'],
    source: 'https://hub.docker.com/_/nginx (Running nginx in read-only mode)',
  },
  {
    names: ['nginxinc/nginx-unprivileged'],
    confine: {
      caps: [],
      capsWhy: 'runs as nginx (uid 101) from the start',
      tmpfs: ['/tmp'],
      configAt: ['/etc/nginx'],
      configWrites: 'access_log and error_log files, a pid path, or templates in /etc/nginx/templates, which the entrypoint renders into /etc/nginx/conf.d',
      configEnv: ['NGINX_ENVSUBST_TEMPLATE_DIR', 'NGINX_ENVSUBST_OUTPUT_DIR'],
    },
    ports: ['8080:8080'],
    source: 'https://github.com/nginx/docker-nginx-unprivileged',
  },
  {
    names: ['grafana/loki'],
    // Loki 1.x images ran as root.
    tags: /^(?!v?1\.)/,
    confine: {
      caps: [],
      capsWhy: 'Loki runs as loki (uid 10001) from the start and switches to no other user',
      tmpfs: ['/tmp'],
      configAt: ['/etc/loki'],
      configWrites: 'storage outside /loki (common.path_prefix, the filesystem chunks and rules directories, the ruler\'s rule_path, often /tmp/loki in examples)',
      data: { at: '/loki', why: 'Loki keeps its chunks, index and rules under /loki (path_prefix in the image\'s /etc/loki/local-config.yaml), which the image does not declare as a volume' },
    },
    ports: ['3100:3100'],
    source: 'https://github.com/grafana/loki/blob/main/cmd/loki/Dockerfile',
  },
  {
    names: ['teamspeak'],
    confine: {
      caps: GOSU_CAPS,
      capsWhy: 'the teamspeak entrypoint gives /var/ts3server to ts3server as root, then starts itself again as ts3server with su-exec',
      tmpfs: ['/tmp'],
      // The entrypoint writes ts3server.ini and ts3db.ini there at every start, as ts3server: a tmpfs
      // there would belong to root (mode 770) and the server would not start.
      data: { at: '/var/run/ts3server', why: 'the entrypoint writes ts3server.ini and ts3db.ini into /var/run/ts3server at every start, as ts3server, whose folder it is (mode 770); a tmpfs there belongs to root, so the server does not start' },
    },
    ports: ['9987:9987/udp', '10011:10011', '30033:30033'],
    source: 'https://github.com/TeamSpeak-Systems/teamspeak-linux-docker-images (alpine/entrypoint.sh)',
  },
  {
    names: ['dpage/pgadmin4'],
    fileCaps: {
      caps: ['NET_BIND_SERVICE'],
      why: 'the image gives its python3 the file capability cap_net_bind_service=+eip, and the kernel refuses to start a program whose file capabilities are not all in the bounding set, whatever port it listens on',
    },
    breaks: {
      readOnly: 'its entrypoint writes /pgadmin4/config_distro.py (the PGADMIN_CONFIG_* settings) on the first start, and gunicorn keeps its files in /run/pgadmin; neither is a volume. Keep the root file system writable for it',
    },
    ports: ['80:80'],
    source: 'https://github.com/pgadmin-org/pgadmin4/blob/master/Dockerfile (setcap CAP_NET_BIND_SERVICE=+eip /usr/local/bin/python3.*)',
  },
  {
    names: ['crazymax/fail2ban'],
    breaks: {
      host: {
        kinds: ['network-host'],
        why: 'fail2ban bans by adding iptables rules: on the host\'s network they guard the host; in a network of its own they go into the container\'s own namespace and ban nothing, with no error. Keep the host network for it, with NET_ADMIN and NET_RAW as its README shows',
      },
      readOnly: 'its entrypoint writes /etc/localtime, /etc/timezone and /etc/fail2ban at every start, and fail2ban keeps its socket in /var/run/fail2ban; none is a volume. Keep the root file system writable for it',
    },
    ports: [],
    source: 'https://github.com/crazy-max/docker-fail2ban',
  },
  // Mail servers that render the configuration of each daemon they run at every start.
  ...(
    [
      [['mailserver/docker-mailserver', 'docker-mailserver/docker-mailserver', 'tvial/docker-mailserver'], 'docker-mailserver writes the Postfix, Dovecot and other configurations under /etc at every start (its setup scripts), and /etc is not a volume', 'https://docker-mailserver.github.io/docker-mailserver/latest/'],
      [['mailu/nginx', 'mailu/front', 'mailu/admin', 'mailu/postfix', 'mailu/dovecot', 'mailu/rspamd', 'mailu/webmail', 'mailu/radicale', 'mailu/fetchmail', 'mailu/oletools', 'mailu/unbound'], "each Mailu image's start.py renders its configuration from the environment into /etc (core/nginx/config.py writes /etc/nginx/nginx.conf) at every start, and /etc is not a volume", 'https://mailu.io/master/'],
    ] as const
  ).map(
    ([names, why, source]): ServiceImage => ({ names: [...names], breaks: { readOnly: `${why}. Keep the root file system writable for it` }, ports: [], source }),
  ),
  // Docker-in-Docker: dockerd in a container needs privileged (the rootless variant too).
  {
    names: ['docker', 'code.forgejo.org/oci/docker'],
    tags: /dind|^\d+(\.\d+)*$|^latest$|^rc$/,
    breaks: {
      host: {
        kinds: ['privileged'],
        why: 'dockerd inside a container needs privileged ("--privileged is required for Docker-in-Docker to function properly", the image\'s docs, the rootless variant too): no set of --cap-add or --device replaces it. Keep it, reach it over TLS (DOCKER_TLS_CERTDIR) from the services that use it, and publish no port to the host',
      },
    },
    ports: [],
    source: 'https://hub.docker.com/_/docker',
  },
  {
    names: ['concourse/concourse'],
    breaks: {
      host: {
        kinds: ['privileged'],
        why: 'a Concourse worker runs each build step in containers of its own (containerd or Guardian), which needs privileged; the web node does not',
      },
    },
    ports: ['8080:8080'],
    source: 'https://concourse-ci.org/concourse-worker.html',
  },
  {
    names: ['open-webui/open-webui'],
    breaks: {
      readOnly: 'its start.sh writes a generated secret key to /app/backend/.webui_secret_key when WEBUI_SECRET_KEY is empty (the image sets it empty), outside its /app/backend/data volume; without the key it stops at import ("WEBUI_SECRET_KEY" must be set). Keep the root file system writable for it, or set WEBUI_SECRET_KEY and check that it starts read-only',
    },
    ports: ['8080:8080'],
    source: 'https://github.com/open-webui/open-webui (backend/start.sh)',
  },
  {
    names: ['langgenius/dify-sandbox'],
    breaks: {
      capDrop: 'the sandbox runs each code node in a chroot as an unprivileged uid (add_seccomp.go: Chroot, Setuid, Setgid), which takes SYS_CHROOT, SETUID and SETGID; with every capability dropped each Code node fails. Keep its capabilities, or drop all but those three',
      readOnly: 'it writes /var/sandbox/sandbox-python/python.so at start and panics when it cannot ("failed to write"); that folder is not a volume. Keep the root file system writable for it',
    },
    ports: ['8194:8194'],
    source: 'https://github.com/langgenius/dify-sandbox (internal/core/runner/python/setup.go, internal/core/lib/python/add_seccomp.go)',
  },
  {
    names: ['gitlab/gitlab-ce', 'gitlab/gitlab-ee'],
    breaks: {
      readOnly: 'the Omnibus image\'s wrapper rewrites /opt/gitlab/service and makes /var/run/sshd at every start (under set -e), outside its three volumes: it stops on a read-only root file system. Keep the root file system writable for it',
    },
    ports: ['80:80', '443:443', '22:22'],
    source: 'https://gitlab.com/gitlab-org/omnibus-gitlab (docker/assets/wrapper)',
  },
  {
    names: ['nextcloud/all-in-one', 'nextcloud-releases/all-in-one'],
    breaks: {
      socket: 'the AIO mastercontainer creates and manages the other Nextcloud containers through the Docker API, and its start script stops when the socket is missing ("Docker socket is not available. Cannot continue."). Keep the socket for it; to narrow what it may ask, see its docs on a socket proxy',
      readOnly: 'its start script writes the Apache certificates under /etc/apache2/certs, and supervisord its log and pid under /var/log/supervisord and /var/run/supervisord; none is a volume. Keep the root file system writable for it',
    },
    ports: ['8080:8080'],
    source: 'https://github.com/nextcloud/all-in-one (Containers/mastercontainer/start.sh)',
  },
  {
    names: ['plexinc/pms-docker', 'linuxserver/plex'],
    ports: ['32400:32400/tcp', '8324:8324/tcp', '32469:32469/tcp', '1900:1900/udp', '32410:32410/udp', '32412:32412/udp', '32413:32413/udp', '32414:32414/udp'],
    source: 'https://github.com/plexinc/pms-docker#parameters',
  },
  {
    names: ['homeassistant/home-assistant', 'home-assistant/home-assistant'],
    ports: ['8123:8123'],
    source: 'https://www.home-assistant.io/installation/alternative#docker-compose',
  },
  {
    names: ['jellyfin/jellyfin', 'linuxserver/jellyfin'],
    ports: ['8096:8096/tcp', '7359:7359/udp', '1900:1900/udp'],
    source: 'https://jellyfin.org/docs/general/installation/container',
  },
  {
    names: ['pihole/pihole'],
    breaks: {
      capDrop:
        'Pi-hole\'s start script gives pihole-FTL its capabilities with setcap (which needs SETFCAP) and exits when it cannot ("Unable to set capabilities for pihole-FTL"), and FTL then uses each capability it was given. Leave its capabilities as Pi-hole\'s docs list them (cap_add NET_ADMIN for DHCP, SYS_TIME, SYS_NICE) rather than dropping them all',
      readOnly:
        'Pi-hole writes at start outside its volumes: the capabilities of /usr/bin/pihole-FTL (an extended attribute of that file), /var/log/pihole and its runtime files; a read-only root file system stops it. Keep the root file system writable for this service',
    },
    ports: ['53:53/tcp', '53:53/udp', '80:80/tcp'],
    source: 'https://github.com/pi-hole/docker-pi-hole (start.sh, fix_capabilities)',
  },
  // Agents that monitor the host: the host's namespaces are what they measure.
  {
    names: ['prom/node-exporter', 'quay.io/prometheus/node-exporter'],
    breaks: {
      host: {
        kinds: ['network-host', 'pid-host'],
        why: 'node_exporter is built to monitor the host: it needs the host\'s network and PID namespaces (`--net=host --pid=host` in its README); without them its network and process metrics describe its own container, not the host. Keep them, with the host\'s root mounted read-only (/:/host:ro,rslave) as its README shows',
      },
    },
    ports: ['9100:9100'],
    source: 'https://github.com/prometheus/node_exporter#docker',
  },
  {
    names: ['netdata/netdata'],
    breaks: {
      host: {
        kinds: ['network-host', 'pid-host', 'cap-sys-admin', 'apparmor-unconfined'],
        why: 'Netdata monitors the host and its containers: its docs list the host\'s PID namespace and SYS_ADMIN for per-container network metrics (cgroups.plugin), the host network for the host\'s interfaces, and AppArmor unconfined for reading them; without them those charts are gone. Keep them, and mount /proc, /sys and /etc/os-release read-only',
      },
    },
    ports: ['19999:19999'],
    source: 'https://learn.netdata.cloud/docs/netdata-agent/installation/docker',
  },
  // Services that exist to use the Docker API: without the socket they have nothing to do.
  ...(
    [
      ...(['containrrr/watchtower', 'centurylink/watchtower', 'nickfedor/watchtower'] as const).map((name) => [name, 'Watchtower pulls new images and recreates containers through the Docker API (it needs write access: a read-only socket proxy does not do)', 'https://containrrr.dev/watchtower/'] as const),
      ['portainer/portainer', 'Portainer manages this host\'s containers through the socket', 'https://docs.portainer.io/start/install-ce/server/docker/linux'],
      ['willfarrell/autoheal', 'autoheal restarts unhealthy containers through the Docker API (POST /containers/<id>/restart)', 'https://github.com/willfarrell/docker-autoheal'],
      ['portainer/portainer-ce', 'Portainer manages this host\'s containers through the socket', 'https://docs.portainer.io/start/install-ce/server/docker/linux'],
      ['portainer/portainer-ee', 'Portainer manages this host\'s containers through the socket', 'https://docs.portainer.io/start/install/server/docker/linux'],
      ['portainer/agent', 'the Portainer agent manages this host\'s containers through the socket', 'https://docs.portainer.io/admin/environments/add/docker/agent'],
      ['traefik', 'Traefik\'s Docker provider reads the containers\' labels through the socket: without it every router defined by labels is gone, and the services behind Traefik are unreachable', 'https://doc.traefik.io/traefik/providers/docker/'],
      ['amir20/dozzle', 'Dozzle reads container logs through the Docker API', 'https://dozzle.dev/guide/getting-started'],
      // CI runners start each job's containers through the Docker API.
      ...(['drone/drone-runner-docker', 'drone/agent', 'woodpeckerci/woodpecker-agent', 'gitea/act_runner', 'forgejo/runner', 'code.forgejo.org/forgejo/runner', 'gitlab/gitlab-runner', 'buildkite/agent'] as const).map(
        (name) => [name, 'a CI runner starts each job in containers through the Docker API: without the socket every job fails (act_runner does not even start: "daemon Docker Engine socket not found")', 'https://docs.docker.com/engine/security/#docker-daemon-attack-surface'] as const,
      ),
      ['tecnativa/docker-socket-proxy', 'the socket proxy is what other services use instead of the socket: it needs the socket itself, and limits what reaches it', 'https://github.com/Tecnativa/docker-socket-proxy'],
      ['nginxproxy/nginx-proxy', 'nginx-proxy builds its configuration from the containers it sees through the socket', 'https://github.com/nginx-proxy/nginx-proxy', NGINX_PROXY_READ_ONLY],
      ['jwilder/nginx-proxy', 'nginx-proxy builds its configuration from the containers it sees through the socket', 'https://github.com/nginx-proxy/nginx-proxy', NGINX_PROXY_READ_ONLY],
      ['nginxproxy/acme-companion', 'acme-companion finds the containers to get certificates for through the socket', 'https://github.com/nginx-proxy/acme-companion'],
      ['lucaslorentz/caddy-docker-proxy', 'caddy-docker-proxy builds the Caddyfile from the containers\' labels through the socket', 'https://github.com/lucaslorentz/caddy-docker-proxy'],
    ] as const
  ).map(
    ([name, why, source, readOnly]: readonly [string, string, string, string?]): ServiceImage => ({
      names: [name],
      breaks: {
        socket: `${why}. Keep the socket for it; to narrow what it may ask, put tecnativa/docker-socket-proxy in front with only the API sections it uses (CONTAINERS=1, and POST=1 where it must change things), and point it at the proxy (DOCKER_HOST=tcp://socket-proxy:2375)`,
        ...(readOnly ? { readOnly } : {}),
      },
      ports: [],
      source,
    }),
  ),
  {
    names: ['linuxserver/wireguard'],
    ports: ['51820:51820/udp'],
    source: 'https://docs.linuxserver.io/images/docker-wireguard/',
  },
];

/**
 * `lscr.io/linuxserver/plex:latest` -> linuxserver/plex; `ghcr.io/home-assistant/...` -> home-assistant/...;
 * an official image's mirror (`public.ecr.aws/docker/library/nginx`) -> nginx; Docker Hub as is.
 */
function serviceImageName(image: string): string {
  const ref = parseImageRef(image);
  const mirror = officialMirror(ref);
  const name = canonicalName(ref).toLowerCase();
  return (mirror ? name.slice(mirror.length) : name).replace(/^(lscr\.io|ghcr\.io|docker\.io)\//, '');
}

/** What is known about a compose service's image, or null (an unlisted image, or one built here). */
export function serviceImage(image: string | undefined): ServiceImage | null {
  // The table knows images by name: a tag the environment sets (`elasticsearch:${STACK_VERSION}`)
  // leaves the name known; a variable in the name does not.
  const named = image?.replace(/:\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?+][^}]*)?\}$/, '');
  if (!named || named.includes('$')) return null;
  const name = serviceImageName(named);
  const tag = parseImageRef(named).tag ?? 'latest';
  return SERVICE_IMAGES.find((k) => k.names.includes(name) && (!k.tags || k.tags.test(tag))) ?? null;
}
