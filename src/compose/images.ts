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
  };
  /** Ports the service listens on, as compose `ports:` entries. */
  ports: string[];
  source: string;
}

const GOSU_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'];

export const SERVICE_IMAGES: ServiceImage[] = [
  {
    names: ['postgres'],
    confine: {
      caps: GOSU_CAPS,
      capsWhy: 'the postgres entrypoint fixes ownership of the data directory as root, then switches to the postgres user',
      tmpfs: ['/tmp', '/var/run/postgresql'],
    },
    ports: ['5432:5432'],
    source: 'https://github.com/docker-library/postgres/blob/master/docker-entrypoint.sh',
  },
  {
    names: ['mysql'],
    confine: {
      caps: GOSU_CAPS,
      capsWhy: 'the entrypoint fixes ownership of the data directory as root, then switches to the mysql user',
      tmpfs: ['/tmp', '/var/run/mysqld'],
    },
    ports: ['3306:3306'],
    source: 'https://github.com/docker-library/mysql/blob/master/docker-entrypoint.sh',
  },
  {
    names: ['mariadb'],
    confine: {
      caps: GOSU_CAPS,
      capsWhy: 'the entrypoint fixes ownership of the data directory as root, then switches to the mysql user',
      tmpfs: ['/tmp', '/run/mysqld'],
    },
    ports: ['3306:3306'],
    source: 'https://github.com/MariaDB/mariadb-docker/blob/master/docker-entrypoint.sh',
  },
  {
    names: ['redis', 'valkey/valkey'],
    confine: {
      // Root walks /data, where redis's own folders (appendonlydir) are mode 0700 under its umask 0077.
      caps: ['CHOWN', 'DAC_OVERRIDE', 'SETGID', 'SETUID'],
      capsWhy: 'the entrypoint fixes ownership of everything in /data as root (reading into the 0700 folders redis makes there, such as appendonlydir), then switches to its own user',
      tmpfs: ['/tmp'],
    },
    ports: ['6379:6379'],
    source: 'https://github.com/docker-library/redis/blob/master/docker-entrypoint.sh',
  },
  {
    names: ['mongo'],
    confine: {
      caps: GOSU_CAPS,
      capsWhy: 'the mongo entrypoint fixes ownership of /data/db as root, then switches to the mongodb user',
      tmpfs: ['/tmp'],
    },
    ports: ['27017:27017'],
    source: 'https://github.com/docker-library/mongo/blob/master/docker-entrypoint.sh',
  },
  {
    names: ['nginx'],
    confine: {
      caps: ['CHOWN', 'SETGID', 'SETUID'],
      capsWhy: 'the nginx master process starts as root and its workers switch to the nginx user',
      tmpfs: ['/tmp', '/var/cache/nginx', '/var/run'],
      configAt: ['/etc/nginx'],
      configWrites: 'access_log and error_log files, a pid path, or templates in /etc/nginx/templates, which the entrypoint renders into /etc/nginx/conf.d',
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
    },
    ports: ['8080:8080'],
    source: 'https://github.com/nginx/docker-nginx-unprivileged',
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
    ports: ['53:53/tcp', '53:53/udp', '80:80/tcp'],
    source: 'https://github.com/pi-hole/docker-pi-hole#quick-start',
  },
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
  if (!image || image.includes('$')) return null;
  const name = serviceImageName(image);
  return SERVICE_IMAGES.find((k) => k.names.includes(name)) ?? null;
}
