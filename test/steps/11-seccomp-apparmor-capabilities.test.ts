import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, promises as fs, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import step from '../../steps/11-seccomp-apparmor-capabilities.js';
import { runStep } from '../../src/core/runner.js';
import { systemProbe, type Probe } from '../../src/core/probe.js';
import { createHostFacts } from '../../src/host/client.js';
import { composeTarget, contextFor, hostTarget, memoryProbe, unreachableHost, type MemoryWorld } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';
import { runStepTable, type StepCase } from './step-table.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-step11-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function composeFile(text: string): string {
  const dir = path.join(tmp, `c${n++}`);
  mkdirSync(dir);
  const file = path.join(dir, 'compose.yaml');
  writeFileSync(file, text);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Compose: each case applies every proposal the way `fix --yes` does (one, re-check, the next).

const composeCases: StepCase[] = [
  {
    target: 'compose',
    name: 'an image docker-harden does not know, run as a user: cap_drop is review, since a program given file capabilities (setcap) would not start',
    given: 'services:\n  web:\n    image: example/httpd-caps:1\n    user: "1000"\n    command: ["/bin/httpd", "-f", "-p", "8080"]\n',
    expect: {
      status: 'fail',
      codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'],
      risks: { 'web-cap-drop': 'review', 'web-no-new-privileges': 'review', 'web-read-only': 'review' },
      afterFix: { warnings: ['a program given file capabilities (`setcap`, as the caddy image does) does not start at all unless each of them is in cap_add'] },
    },
  },
  {
    target: 'compose',
    name: 'a bare service gets cap_drop, no-new-privileges and a read-only root, comments kept',
    given: [
      '# shop backend',
      'services:',
      '  api:',
      '    image: example/api:2.1   # pinned by CI',
      '    environment:',
      '      LOG_LEVEL: info # quiet',
      '',
      '  # the worker has no ports',
      '  worker:',
      '    image: example/worker:2.1',
      '    user: "10001"',
      '',
    ].join('\n'),
    expect: { codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13', 'DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'], lines: [3, 3, 3, 9, 9, 9],
      status: 'fail',
      findings: [
        "service api keeps Docker's default capabilities (14, such as CHOWN, DAC_OVERRIDE, SETUID and NET_RAW): no cap_drop: [ALL]",
        'service api does not set no-new-privileges',
        'service api has a writable root file system',
        "service worker keeps Docker's default capabilities",
        'service worker does not set no-new-privileges',
        'service worker has a writable root file system',
      ],
      proposals: ['api-cap-drop', 'api-no-new-privileges', 'api-read-only', 'worker-cap-drop', 'worker-no-new-privileges', 'worker-read-only'],
      afterFix: { equals: [
        '# shop backend',
        'services:',
        '  api:',
        '    image: example/api:2.1   # pinned by CI',
        '    environment:',
        '      LOG_LEVEL: info # quiet',
        '    cap_drop:',
        '      - ALL',
        '    security_opt:',
        '      - no-new-privileges:true',
        '    read_only: true',
        '    tmpfs:',
        '      - /tmp',
        '',
        '  # the worker has no ports',
        '  worker:',
        '    image: example/worker:2.1',
        '    user: "10001"',
        '    cap_drop:',
        '      - ALL',
        '    security_opt:',
        '      - no-new-privileges:true',
        '    read_only: true',
        '    tmpfs:',
        '      - /tmp',
        '',
      ].join('\n') },
    },
  },
  {
    target: 'compose',
    name: 'nginx on port 80 gets NET_BIND_SERVICE and the capabilities its entrypoint needs',
    given: 'services:\n  web:\n    image: nginx:1.27-alpine\n    ports:\n      - "80:80"\n    cap_drop: [NET_RAW]\n    security_opt: ["no-new-privileges:true"]\n    read_only: true\n    tmpfs: [/tmp, /var/cache/nginx, /var/run]\n',
    expect: { codes: ['DH-CAPS-DEFAULT'], lines: [6],
      status: 'fail',
      findings: ["service web keeps Docker's default capabilities"],
      proposals: ['web-cap-drop'],
      afterFix: { equals: 'services:\n  web:\n    image: nginx:1.27-alpine\n    ports:\n      - "80:80"\n    cap_drop: [NET_RAW, ALL]\n    security_opt: ["no-new-privileges:true"]\n    read_only: true\n    tmpfs: [/tmp, /var/cache/nginx, /var/run]\n    cap_add:\n      - NET_BIND_SERVICE\n      - CHOWN\n      - DAC_OVERRIDE\n      - SETGID\n      - SETUID\n' },
    },
  },
  {
    target: 'compose',
    name: 'postgres run as a set user needs nothing back; its port 5432 is above 1024',
    given: 'services:\n  db:\n    image: postgres:17\n    user: "999:999"\n    expose: ["5432"]\n    security_opt:\n      - no-new-privileges\n    read_only: true\n',
    expect: { codes: ['DH-CAPS-DEFAULT'], lines: [2],
      status: 'fail',
      findings: ["service db keeps Docker's default capabilities"],
      proposals: ['db-cap-drop'],
      afterFix: { equals: 'services:\n  db:\n    image: postgres:17\n    user: "999:999"\n    expose: ["5432"]\n    security_opt:\n      - no-new-privileges\n    read_only: true\n    cap_drop:\n      - ALL\n' },
    },
  },
  ...(
    [
      ['postgres:16', 'db', ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'], ['/tmp', '/var/run/postgresql']],
      ['mysql:8.4', 'db', ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'], ['/tmp', '/var/run/mysqld']],
      ['mariadb:11', 'db', ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'], ['/tmp', '/run/mysqld']],
      ['redis:7-alpine', 'cache', ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETPCAP', 'SETUID'], ['/tmp']],
      ['valkey/valkey:8', 'cache', ['CHOWN', 'DAC_OVERRIDE', 'SETGID', 'SETUID'], ['/tmp']],
      ['mongo:7', 'db', ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'], ['/tmp']],
      ['nginx:1.27', 'web', ['CHOWN', 'DAC_OVERRIDE', 'SETGID', 'SETUID'], ['/tmp', '/var/cache/nginx', '/var/run']],
    ] as const
  ).map(([image, name, caps, tmpfs]): StepCase => ({
    target: 'compose',
    name: `${image}: cap_drop ALL with the caps its entrypoint needs and read_only with its tmpfs paths, all safe`,
    given: `services:\n  ${name}:\n    image: ${image}\n`,
    expect: {
      status: 'fail',
      findings: ['keeps Docker', 'does not set no-new-privileges', 'has a writable root file system'],
      codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'],
      lines: [2, 2, 2],
      proposals: [`${name}-cap-drop`, `${name}-no-new-privileges`, `${name}-read-only`],
      risks: { [`${name}-cap-drop`]: 'safe', [`${name}-no-new-privileges`]: 'safe', [`${name}-read-only`]: 'safe' },
      afterFix: { removed: [], contains: [`    cap_add:\n${caps.map((c) => `      - ${c}\n`).join('')}`, `    tmpfs:\n${tmpfs.map((t) => `      - ${t}\n`).join('')}`] },
    },
  })),
  {
    target: 'compose',
    name: 'caddy: NET_BIND_SERVICE stays for its binary\'s file capability even on a high port; its own Caddyfile makes read_only review',
    given: 'services:\n  proxy:\n    image: caddy:2.8-alpine\n    ports:\n      - "8080:8080"\n    volumes:\n      - ./Caddyfile:/etc/caddy/Caddyfile:ro\n',
    expect: {
      status: 'fail',
      codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'],
      lines: [2, 2, 2],
      proposals: ['proxy-cap-drop', 'proxy-no-new-privileges', 'proxy-read-only'],
      risks: { 'proxy-cap-drop': 'safe', 'proxy-no-new-privileges': 'safe', 'proxy-read-only': 'review' },
      afterFix: { removed: [], contains: ['    cap_drop:\n      - ALL\n    cap_add:\n      - NET_BIND_SERVICE\n'] },
    },
  },
  // Confinement known to break an image as it starts: advice, never written.
  ...(
    [
      ['pihole: cap_drop and read_only are known to break its start (setcap on pihole-FTL)', 'pihole', 'pihole/pihole:latest', 'advice', ['Unable to set capabilities for pihole-FTL', 'an extended attribute of that file']],
      ['nextcloud: read_only is known to break its entrypoint, which writes PHP settings at start', 'app', 'nextcloud:fpm-alpine', 'review', ['redis-session.ini']],
    ] as const
  ).map(
    ([what, name, image, capDrop, advice]): StepCase => ({
      target: 'compose',
      name: `${what}: advice, never written`,
      given: `services:\n  ${name}:\n    image: ${image}\n`,
      expect: {
        status: 'fail',
        codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'],
        lines: [2, 2, 2],
        proposals: [`${name}-cap-drop`, `${name}-no-new-privileges`, `${name}-read-only`],
        risks: { [`${name}-cap-drop`]: capDrop, [`${name}-no-new-privileges`]: 'review', [`${name}-read-only`]: 'advice' },
        advice: [...advice],
      },
    }),
  ),
  {
    target: 'compose',
    name: 'Confluent\'s Kafka and Elasticsearch render configuration or a keystore at start: read_only is advice',
    given: 'services:\n  broker:\n    image: confluentinc/cp-kafka:7.3.14\n  es01:\n    image: docker.elastic.co/elasticsearch/elasticsearch:8.15.0\n',
    expect: {
      status: 'fail',
      codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13', 'DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'],
      lines: [2, 2, 2, 4, 4, 4],
      proposals: ['broker-cap-drop', 'broker-no-new-privileges', 'broker-read-only', 'es01-cap-drop', 'es01-no-new-privileges', 'es01-read-only'],
      risks: { 'broker-cap-drop': 'review', 'broker-no-new-privileges': 'review', 'broker-read-only': 'advice', 'es01-cap-drop': 'review', 'es01-no-new-privileges': 'review', 'es01-read-only': 'advice' },
      advice: ['render their configuration at every start', 'config/elasticsearch.keystore'],
    },
  },
  ...['homeassistant/home-assistant:stable', 'jellyfin/jellyfin'].map(
    (image): StepCase => ({
      target: 'compose',
      name: `${image}: known for its ports only (an s6 or setcap entrypoint), so each confinement is review`,
      given: `services:\n  app:\n    image: ${image}\n`,
      expect: {
        codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'],
        lines: [2, 2, 2],
        status: 'fail',
        findings: ['keeps Docker', 'does not set no-new-privileges', 'has a writable root file system'],
        proposals: ['app-cap-drop', 'app-no-new-privileges', 'app-read-only'],
        risks: { 'app-cap-drop': 'review', 'app-no-new-privileges': 'review', 'app-read-only': 'review' },
      },
    }),
  ),
  {
    target: 'compose',
    name: 'an image docker-harden does not know: each confinement is review',
    given: 'services:\n  app:\n    image: example/app:3\n',
    expect: { codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'], lines: [2, 2, 2],
      status: 'fail',
      findings: ['keeps Docker', 'does not set no-new-privileges', 'has a writable root file system'],
      proposals: ['app-cap-drop', 'app-no-new-privileges', 'app-read-only'],
      risks: { 'app-cap-drop': 'review', 'app-no-new-privileges': 'review', 'app-read-only': 'review' },
      afterFix: { removed: [], contains: ['    cap_drop:\n      - ALL\n', '    tmpfs:\n      - /tmp\n'] },
    },
  },
  {
    target: 'compose',
    name: 'user: ${PUID} that neither .env nor a default sets: review, and the warning says the environment decides',
    given: 'services:\n  init:\n    image: postgres:16\n    user: ${PUID}\n    security_opt: [no-new-privileges:true]\n    read_only: true\n',
    expect: {
      status: 'fail',
      codes: ['DH-CAPS-DEFAULT'],
      lines: [2],
      proposals: ['init-cap-drop'],
      risks: { 'init-cap-drop': 'review' },
      afterFix: { removed: [], contains: ['    cap_drop:\n      - ALL\n'], warnings: ['runs as ${PUID}, which the environment sets (neither .env nor a default does): if that is root, root without DAC_OVERRIDE'] },
    },
  },
  ...['root', '"0:0"', '"${AIRFLOW_UID:-0}"'].map(
    (user): StepCase => ({
      target: 'compose',
      name: `user: ${user} (root, or what the environment says): cap_drop ALL may take the DAC_OVERRIDE and CHOWN it runs as root for, so review`,
      given: `services:\n  init:\n    image: postgres:16\n    user: ${user}\n    security_opt: [no-new-privileges:true]\n    read_only: true\n`,
      expect: {
        status: 'fail',
        codes: ['DH-CAPS-DEFAULT'],
        lines: [2],
        proposals: ['init-cap-drop'],
        risks: { 'init-cap-drop': 'review' },
        afterFix: { removed: [], contains: ['    cap_drop:\n      - ALL\n'], warnings: ['root without DAC_OVERRIDE cannot write files it does not own'] },
      },
    }),
  ),
  {
    target: 'compose',
    name: 'nginx with its own templates mounted: read_only is review, naming the configuration it mounts',
    given: 'services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./templates:/etc/nginx/templates\n    environment:\n      NGINX_HOST: example.com\n',
    expect: {
      status: 'fail',
      codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'],
      lines: [2, 2, 2],
      proposals: ['web-cap-drop', 'web-no-new-privileges', 'web-read-only'],
      risks: { 'web-cap-drop': 'safe', 'web-no-new-privileges': 'safe', 'web-read-only': 'review' },
      afterFix: { removed: [], contains: ['    read_only: true\n'], warnings: ['mounts its own configuration (/etc/nginx/templates)'] },
    },
  },
  {
    target: 'compose',
    name: 'nginx started by its own shell command: every confinement is review',
    given: 'services:\n  web:\n    image: nginx:1.27\n    command: /bin/bash -c "envsubst < /t/default.conf > /etc/nginx/conf.d/default.conf && nginx -g \'daemon off;\'"\n',
    expect: {
      status: 'fail',
      codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'],
      lines: [2, 2, 2],
      proposals: ['web-cap-drop', 'web-no-new-privileges', 'web-read-only'],
      risks: { 'web-cap-drop': 'review', 'web-no-new-privileges': 'review', 'web-read-only': 'review' },
      afterFix: { removed: [], contains: ['    read_only: true\n'], warnings: ['replaces how nginx:1.27 starts (its command)'] },
    },
  },
  {
    target: 'compose',
    name: 'redis with its own server arguments still starts its own way: confinement stays safe',
    given: 'services:\n  cache:\n    image: redis:7\n    command: redis-server --appendonly yes\n',
    expect: {
      status: 'fail',
      codes: ['DH-CAPS-DEFAULT', 'CIS-5.26', 'CIS-5.13'],
      lines: [2, 2, 2],
      proposals: ['cache-cap-drop', 'cache-no-new-privileges', 'cache-read-only'],
      risks: { 'cache-cap-drop': 'safe', 'cache-no-new-privileges': 'safe', 'cache-read-only': 'safe' },
    },
  },
  {
    target: 'compose',
    name: 'a linuxserver.io image (s6-overlay starts as root): cap_drop keeps what its start takes (review); read_only stops it (advice)',
    given: 'services:\n  wireguard:\n    image: lscr.io/linuxserver/wireguard:latest\n    environment:\n      - PUID=1000\n      - PGID=1000\n    ports:\n      - 51820:51820/udp\n',
    expect: {
      status: 'fail',
      risks: { 'wireguard-cap-drop': 'review', 'wireguard-no-new-privileges': 'review', 'wireguard-read-only': 'advice' },
      advice: ['rewrites abc in /etc/passwd and /etc/group from PUID/PGID'],
    },
  },
  {
    target: 'compose',
    name: 'a service that starts cron, itself or from its sh -c script: cap_drop keeps SETGID and SETUID, which each job needs when it is due',
    given: 'services:\n  cron:\n    image: busybox:1.36\n    command: ["sh", "-c", "echo \'* * * * * date\' > /tmp/ct && exec crond -f -c /tmp"]\n  jobs:\n    image: debian:12\n    command: ["cron", "-f"]\n  web:\n    image: busybox:1.36\n    command: ["httpd", "-f", "-p", "8080", "-c", "/etc/cron.conf"]\n',
    expect: {
      status: 'fail',
      afterFix: { contains: ['  cron:\n    image: busybox:1.36\n    command: ["sh", "-c", "echo \'* * * * * date\' > /tmp/ct && exec crond -f -c /tmp"]\n    cap_drop:\n      - ALL\n    cap_add:\n      - SETGID\n      - SETUID\n', '    command: ["cron", "-f"]\n    cap_drop:\n      - ALL\n    cap_add:\n      - SETGID\n      - SETUID\n', '    command: ["httpd", "-f", "-p", "8080", "-c", "/etc/cron.conf"]\n    cap_drop:\n      - ALL\n    security_opt'] },
    },
  },
  {
    target: 'compose',
    name: 'a service whose own start is chown (a volume-permissions init): cap_drop keeps CHOWN, DAC_OVERRIDE and FOWNER',
    given: 'services:\n  init:\n    image: grafana/loki:3.1.0\n    user: root\n    entrypoint: ["chown", "10001:10001", "/loki"]\n    volumes:\n      - loki:/loki\nvolumes:\n  loki: {}\n',
    expect: {
      status: 'fail',
      risks: { 'init-cap-drop': 'review', 'init-no-new-privileges': 'review', 'init-read-only': 'review' },
      afterFix: { contains: ['    cap_drop:\n      - ALL\n    cap_add:\n      - CHOWN\n      - DAC_OVERRIDE\n      - FOWNER\n'] },
    },
  },
  {
    target: 'compose',
    name: 'a service that runs as root by default (no user, image not known to switch): the cap_drop warning names DAC_OVERRIDE for bind mounts',
    given: 'services:\n  vaultwarden:\n    image: vaultwarden/server:1.32.0\n    volumes:\n      - ./vw-data:/data\n',
    expect: {
      status: 'fail',
      risks: { 'vaultwarden-cap-drop': 'review', 'vaultwarden-no-new-privileges': 'review', 'vaultwarden-read-only': 'review' },
      afterFix: { contains: ['    cap_drop:\n      - ALL\n'], warnings: ['service vaultwarden may run as root (it names no user, and docker-harden does not know which user vaultwarden/server:1.32.0 runs as): root without DAC_OVERRIDE cannot write files it does not own'] },
    },
  },
  {
    target: 'compose',
    name: 'mail servers that render their configuration into /etc at every start: read_only is advice (docker-mailserver, Mailu from ghcr.io)',
    given: 'services:\n  mailserver:\n    image: ghcr.io/docker-mailserver/docker-mailserver:14\n  front:\n    image: ${DOCKER_ORG:-ghcr.io/mailu}/nginx:${MAILU_VERSION:-2024.06}\n',
    expect: {
      status: 'fail',
      risks: { 'mailserver-cap-drop': 'review', 'mailserver-no-new-privileges': 'review', 'mailserver-read-only': 'advice', 'front-cap-drop': 'review', 'front-no-new-privileges': 'review', 'front-read-only': 'advice' },
      advice: ['docker-mailserver writes the Postfix, Dovecot', "each Mailu image's start.py renders"],
    },
  },
  {
    target: 'compose',
    name: 'GitLab Omnibus, nginx-proxy and Gitea rewrite files outside their volumes at every start: read_only is advice; pgvector is postgres',
    given: 'services:\n  gitlab:\n    image: gitlab/gitlab-ce:17.0.0-ce.0\n  proxy:\n    image: nginxproxy/nginx-proxy:1.6\n  gitea:\n    image: gitea/gitea:1.22\n    environment:\n      - USER_UID=1000\n      - USER_GID=1000\n  vectordb:\n    image: pgvector/pgvector:0.8.0-pg15\n    volumes:\n      - pg:/var/lib/postgresql/data\nvolumes:\n  pg: {}\n',
    expect: {
      status: 'fail',
      risks: {
        'gitlab-cap-drop': 'review', 'gitlab-no-new-privileges': 'review', 'gitlab-read-only': 'advice',
        'proxy-cap-drop': 'review', 'proxy-no-new-privileges': 'review', 'proxy-read-only': 'advice',
        'gitea-cap-drop': 'review', 'gitea-no-new-privileges': 'review', 'gitea-read-only': 'advice',
        'vectordb-cap-drop': 'safe', 'vectordb-no-new-privileges': 'safe', 'vectordb-read-only': 'safe',
      },
      advice: ['/opt/gitlab/service', '/etc/nginx/dhparam/dhparam.pem', '/etc/ssh/sshd_config'],
    },
  },
  {
    target: 'compose',
    name: "Open WebUI writes its generated secret key outside its volume; Dify's sandbox chroots and switches uid for each run: advice",
    given: 'services:\n  open-webui:\n    image: ghcr.io/open-webui/open-webui:v0.6.26\n    volumes:\n      - open-webui:/app/backend/data\n  sandbox:\n    image: langgenius/dify-sandbox:0.2.12\nvolumes:\n  open-webui: {}\n',
    expect: {
      status: 'fail',
      risks: { 'open-webui-cap-drop': 'review', 'open-webui-no-new-privileges': 'review', 'open-webui-read-only': 'advice', 'sandbox-cap-drop': 'advice', 'sandbox-no-new-privileges': 'review', 'sandbox-read-only': 'advice' },
      advice: ['.webui_secret_key', 'SYS_CHROOT, SETUID and SETGID', '/var/sandbox/sandbox-python/python.so'],
    },
  },
  {
    target: 'compose',
    name: 'TeamSpeak (su-exec after a chown): the five caps; read_only is review, since a tmpfs on /var/run/ts3server, where it writes its ini files as ts3server, would be root\'s',
    given: 'services:\n  teamspeak:\n    image: teamspeak:3.13\n    volumes:\n      - ts3:/var/ts3server\nvolumes:\n  ts3: {}\n',
    expect: {
      status: 'fail',
      risks: { 'teamspeak-cap-drop': 'safe', 'teamspeak-no-new-privileges': 'safe', 'teamspeak-read-only': 'review' },
      afterFix: { contains: ['      - SETGID\n      - SETUID\n', '    tmpfs:\n      - /tmp\n'], noWarnings: [], warnings: ['a tmpfs there belongs to root, so the server does not start'] },
    },
  },
  {
    target: 'compose',
    name: 'a service whose settings another merges by its anchor: advice for it (a change there would change the other), fixes for the other',
    given: 'services:\n  app: &app\n    image: redis:7\n  app2:\n    <<: *app\n    command: redis-server --port 6380\n',
    expect: {
      status: 'fail',
      proposals: ['app-confine', 'app2-cap-drop', 'app2-no-new-privileges', 'app2-read-only'],
      advice: ['the settings of service `app` are anchored (&app) and `app2` takes them (<<: *app), so a change written in `app` would change that service too'],
    },
  },
  {
    target: 'compose',
    name: 'a service that builds its image (build: beside image: postgres): the image the table knows is not what runs, so nothing is safe',
    given: 'services:\n  db:\n    build: ./db\n    image: postgres:16\n',
    expect: { status: 'fail', risks: { 'db-cap-drop': 'review', 'db-no-new-privileges': 'review', 'db-read-only': 'review' } },
  },
  {
    target: 'compose',
    name: 'a database that mounts its own configuration (my.cnf may log under /var/log/mysql): read_only is review, naming the mount',
    given: 'services:\n  db:\n    image: mariadb:11\n    volumes:\n      - ./my.cnf:/etc/mysql/conf.d/my.cnf:ro\n      - data:/var/lib/mysql\nvolumes:\n  data: {}\n',
    expect: { status: 'fail', risks: { 'db-cap-drop': 'safe', 'db-no-new-privileges': 'safe', 'db-read-only': 'review' }, afterFix: { warnings: ['mounts its own configuration (/etc/mysql/conf.d/my.cnf)', 'log-error'] } },
  },
  {
    target: 'compose',
    name: 'nginx rendering templates from a folder of its own (NGINX_ENVSUBST_TEMPLATE_DIR): read_only is review',
    given: 'services:\n  web:\n    image: nginx:1.27\n    environment:\n      NGINX_ENVSUBST_TEMPLATE_DIR: /templates\n    volumes:\n      - ./templates:/templates:ro\n',
    expect: { status: 'fail', risks: { 'web-cap-drop': 'safe', 'web-no-new-privileges': 'safe', 'web-read-only': 'review' }, afterFix: { warnings: ['NGINX_ENVSUBST_TEMPLATE_DIR=/templates'] } },
  },
  {
    target: 'compose',
    name: 'pgAdmin: its python3 carries cap_net_bind_service, so cap_drop keeps NET_BIND_SERVICE on any port; read_only is advice',
    given: 'services:\n  pgadmin:\n    image: dpage/pgadmin4:8\n    environment:\n      PGADMIN_LISTEN_PORT: 5050\n    expose:\n      - "5050"\n',
    expect: {
      status: 'fail',
      risks: { 'pgadmin-cap-drop': 'review', 'pgadmin-no-new-privileges': 'review', 'pgadmin-read-only': 'advice' },
      advice: ['/pgadmin4/config_distro.py'],
    },
  },
  {
    target: 'compose',
    name: 'neo4j starts as root (chown, su-exec) and writes its conf at every start: cap_drop keeps the start caps; read_only is advice',
    given: 'services:\n  neo4j:\n    image: neo4j:5\n    volumes:\n      - data:/data\nvolumes:\n  data: {}\n',
    expect: {
      status: 'fail',
      risks: { 'neo4j-cap-drop': 'review', 'neo4j-no-new-privileges': 'review', 'neo4j-read-only': 'advice' },
      advice: ['conf/neo4j.conf'],
    },
  },
  {
    target: 'compose',
    name: 'an unknown image given PUID and PGID: the cap_drop warning names the capabilities a switch to them takes',
    given: 'services:\n  tdarr:\n    image: ghcr.io/haveagitgat/tdarr:latest\n    environment:\n      - PUID=1000\n      - PGID=1000\n',
    expect: {
      status: 'fail',
      risks: { 'tdarr-cap-drop': 'review', 'tdarr-no-new-privileges': 'review', 'tdarr-read-only': 'review' },
      afterFix: { warnings: ['service tdarr sets PUID and PGID: images that read it start as root and switch to that user themselves'] },
    },
  },
  {
    target: 'compose',
    name: 'a volume taken from another service (volumes_from) covers its path: read_only adds no tmpfs that would hide it',
    given: 'services:\n  app:\n    image: example/app:3\n    volumes_from:\n      - scratch\n  scratch:\n    image: busybox:1.36\n    volumes:\n      - shared:/tmp\nvolumes:\n  shared: {}\n',
    expect: {
      status: 'fail',
      proposals: ['app-cap-drop', 'app-no-new-privileges', 'app-read-only', 'scratch-cap-drop', 'scratch-no-new-privileges', 'scratch-read-only'],
      afterFix: {
        equals:
          'services:\n  app:\n    image: example/app:3\n    volumes_from:\n      - scratch\n    cap_drop:\n      - ALL\n    security_opt:\n      - no-new-privileges:true\n    read_only: true\n' +
          '  scratch:\n    image: busybox:1.36\n    volumes:\n      - shared:/tmp\n    cap_drop:\n      - ALL\n    security_opt:\n      - no-new-privileges:true\n    read_only: true\nvolumes:\n  shared: {}\n',
      },
    },
  },
  {
    target: 'compose',
    name: 'Loki with a volume at /loki: confinement is safe (it runs as 10001 and writes /tmp besides its data)',
    given: 'services:\n  loki:\n    image: grafana/loki:3.1.0\n    volumes:\n      - loki:/loki\nvolumes:\n  loki: {}\n',
    expect: {
      status: 'fail',
      risks: { 'loki-cap-drop': 'safe', 'loki-no-new-privileges': 'safe', 'loki-read-only': 'safe' },
      afterFix: { contains: ['    read_only: true\n    tmpfs:\n      - /tmp\n'] },
    },
  },
  {
    target: 'compose',
    name: 'Loki with nothing at /loki (the image declares no VOLUME): read_only is review and says where its data goes',
    given: 'services:\n  loki:\n    image: grafana/loki:3.1.0\n    ports:\n      - 3100:3100\n',
    expect: {
      status: 'fail',
      risks: { 'loki-cap-drop': 'safe', 'loki-no-new-privileges': 'safe', 'loki-read-only': 'review' },
      afterFix: { warnings: ['service loki mounts nothing at /loki: Loki keeps its chunks, index and rules under /loki'] },
    },
  },
  {
    target: 'compose',
    name: 'MariaDB UBI tags run as mysql and keep the socket in /run/mariadb: read_only gets that tmpfs',
    given: 'services:\n  db:\n    image: mariadb:11.4-ubi9\n    volumes:\n      - db:/var/lib/mysql\nvolumes:\n  db: {}\n',
    expect: {
      status: 'fail',
      risks: { 'db-cap-drop': 'safe', 'db-no-new-privileges': 'safe', 'db-read-only': 'safe' },
      afterFix: { contains: ['    tmpfs:\n      - /tmp\n      - /run/mariadb\n'] },
    },
  },
  {
    target: 'compose',
    name: 'read_only from a variable is the environment\'s to decide: not reported, never overwritten',
    given: 'services:\n  cache:\n    image: redis:7\n    read_only: ${CACHE_READ_ONLY:-true}\n    cap_drop: [ALL]\n    security_opt: ["no-new-privileges:true"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    target: 'compose',
    name: 'redis from the ECR Public mirror of the official images is known as redis',
    given: 'services:\n  cache:\n    image: public.ecr.aws/docker/library/redis:7\n',
    expect: {
      status: 'fail',
      proposals: ['cache-cap-drop', 'cache-no-new-privileges', 'cache-read-only'],
      risks: { 'cache-cap-drop': 'safe', 'cache-no-new-privileges': 'safe', 'cache-read-only': 'safe' },
    },
  },
  {
    target: 'compose',
    name: 'a hardened service passes',
    given: 'services:\n  app:\n    image: x\n    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE]\n    security_opt: ["no-new-privileges=true"]\n    read_only: true\n',
    expect: { codes: [], lines: [], status: 'pass', findings: [], proposals: [] },
  },
  {
    target: 'compose',
    name: 'dangerous cap_add is its own finding; the cap_add it has stays',
    given: 'services:\n  debug:\n    image: x\n    cap_add:\n      - SYS_PTRACE\n    cap_drop: [ALL]\n    security_opt: [no-new-privileges:true]\n    read_only: true\n',
    expect: { codes: ['CIS-5.4'], lines: [4], status: 'fail', findings: ['service debug adds SYS_PTRACE, which widens what root in it can do to the host'], proposals: [] },
  },
  {
    target: 'compose',
    name: 'a privileged service is reported for step 1, with nothing proposed here',
    given: 'services:\n  dind:\n    image: docker:dind\n    privileged: true\n',
    expect: { codes: ['DH-CAPS-PRIVILEGED'], lines: [4], status: 'fail', findings: ['service dind runs privileged: capability and profile settings do not apply to it (see step 1)'], proposals: [] },
  },
];

describe('seccomp-apparmor-capabilities: compose files', () => {
  runStepTable(step, composeCases);

  it('the needed capabilities are explained in the proposal', async () => {
    const file = composeFile('services:\n  web:\n    image: docker.io/library/nginx:1.27\n    ports: ["443:443"]\n');
    const run = await runStep(step, contextFor(composeTarget(file)));
    const p = run.proposals.find((x) => x.id === 'web-cap-drop')!;
    expect(p.title).toBe('Service web: cap_drop: [ALL], cap_add: [NET_BIND_SERVICE, CHOWN, DAC_OVERRIDE, SETGID, SETUID]');
    expect(p.description).toMatch(/NET_BIND_SERVICE: the service publishes container port 443, below 1024/);
    expect(p.description).toMatch(/nginx master process starts as root/);
    expect(p.warnings[0]).toMatch(/operation not permitted/);
  });

  it('nginx on the host\'s network publishes no port, but binds its own 80 and 443 under the host\'s limit: NET_BIND_SERVICE stays', async () => {
    const file = composeFile('services:\n  web:\n    image: nginx:1.27\n    network_mode: host\n');
    const p = (await runStep(step, contextFor(composeTarget(file)))).proposals.find((x) => x.id === 'web-cap-drop')!;
    expect(p.title).toBe('Service web: cap_drop: [ALL], cap_add: [NET_BIND_SERVICE, CHOWN, DAC_OVERRIDE, SETGID, SETUID]');
    expect(p.description).toMatch(/uses the host's network, where nginx:1.27 listens on port 80, 443/);
  });

  it('an image that starts as root and drops privileges itself (linuxserver.io, s6-overlay) keeps what that start takes', async () => {
    const file = composeFile('services:\n  sonarr:\n    image: lscr.io/linuxserver/sonarr:4.0.9\n    environment: [PUID=1000, PGID=1000]\n');
    const p = (await runStep(step, contextFor(composeTarget(file)))).proposals.find((x) => x.id === 'sonarr-cap-drop')!;
    expect(p.risk).toBe('review');
    expect(p.title).toBe('Service sonarr: cap_drop: [ALL], cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID, KILL]');
    expect(p.description).toMatch(/starts as root and drops privileges itself \(linuxserver.io images start s6-overlay/);
  });

  it("a chown inside the shell script a service runs keeps CHOWN; Gitea's USER_UID is named like PUID", async () => {
    const file = composeFile('services:\n  init_permissions:\n    image: busybox:latest\n    command: ["sh", "-c", "mkdir -p /app/storage && chown -R 1001:1001 /app/storage && touch /app/storage/.done"]\n  runner:\n    image: example/runner:1\n    environment:\n      USER_UID: 1000\n');
    const proposals = (await runStep(step, contextFor(composeTarget(file)))).proposals;
    const init = proposals.find((x) => x.id === 'init_permissions-cap-drop')!;
    expect(init.title).toBe('Service init_permissions: cap_drop: [ALL], cap_add: [CHOWN, DAC_OVERRIDE, FOWNER]');
    expect(init.description).toMatch(/runs chown in its shell script/);
    expect(proposals.find((x) => x.id === 'runner-cap-drop')!.warnings.join('\n')).toMatch(/sets USER_UID: images that read it start as root/);
  });

  it('pgAdmin keeps NET_BIND_SERVICE (its python3 has it as a file capability) and is not said to run as root; neo4j keeps the start caps', async () => {
    const pgadmin = composeFile('services:\n  pgadmin:\n    image: dpage/pgadmin4:8\n    expose: ["5050"]\n');
    const p = (await runStep(step, contextFor(composeTarget(pgadmin)))).proposals.find((x) => x.id === 'pgadmin-cap-drop')!;
    expect(p.title).toBe('Service pgadmin: cap_drop: [ALL], cap_add: [NET_BIND_SERVICE]');
    expect(p.description).toMatch(/cap_net_bind_service=\+eip/);
    expect(p.warnings.join('\n')).not.toMatch(/run as root/);
    const neo4j = composeFile('services:\n  neo4j:\n    image: neo4j:5\n');
    const n = (await runStep(step, contextFor(composeTarget(neo4j)))).proposals.find((x) => x.id === 'neo4j-cap-drop')!;
    expect(n.title).toBe('Service neo4j: cap_drop: [ALL], cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID, KILL]');
    expect(n.description).toMatch(/neo4j entrypoint starts as root/);
  });

  it("a shell command replaces the image's start: neither the image table's caps nor its privilege drop are given as reasons", async () => {
    const file = composeFile('services:\n  sentinel:\n    image: redis:7.0\n    command: bash -c "redis-sentinel /etc/sentinel.conf"\n  cli:\n    image: redis:7.0\n    command: ["redis-cli", "-h", "db", "ping"]\n  server:\n    image: redis:7.0\n    command: ["redis-server", "--save", ""]\n');
    const proposals = (await runStep(step, contextFor(composeTarget(file)))).proposals;
    const sentinel = proposals.find((x) => x.id === 'sentinel-cap-drop')!;
    expect(sentinel.title).toBe('Service sentinel: cap_drop: [ALL]');
    expect(sentinel.description).not.toMatch(/setpriv|gosu|drops privileges itself/);
    // The image's own needs are named as what the replacement may need too.
    expect(sentinel.warnings[0]).toMatch(/^service sentinel replaces how redis:7.0 starts \(its command\).*; started its own way it needs CHOWN, DAC_OVERRIDE/);
    // The entrypoint drops privileges for its servers only: redis-cli runs as root, untouched.
    expect(proposals.find((x) => x.id === 'cli-cap-drop')!.description).not.toMatch(/drops privileges itself/);
    expect(proposals.find((x) => x.id === 'server-cap-drop')!.title).toMatch(/SETUID/);
  });

  it('a service started through sudo keeps its cap_drop for review, naming SETUID and SETGID, though it runs as a set user', async () => {
    const file = composeFile('services:\n  dev:\n    image: example/dev:1\n    user: vscode\n    entrypoint: ["sudo", "/init"]\n');
    const p = (await runStep(step, contextFor(composeTarget(file)))).proposals.find((x) => x.id === 'dev-cap-drop')!;
    expect(p.risk).toBe('review');
    expect(p.warnings.join(' ')).toMatch(/starts with sudo, which switches user: .*unless SETUID and SETGID are in cap_add/);
  });

  it('cap_add: [ALL] beside cap_drop: [ALL] keeps every capability: the finding stays, and no cap_drop is proposed that would change nothing', async () => {
    const file = composeFile('services:\n  rmq:\n    image: rabbitmq:3\n    cap_drop: [ALL]\n    cap_add: [ALL]\n    security_opt: [no-new-privileges:true]\n    read_only: true\n');
    const run = await runStep(step, contextFor(composeTarget(file)));
    expect(run.result.findings.find((f) => f.code === 'DH-CAPS-DEFAULT')?.message).toMatch(/adds every capability \(cap_add: \[ALL\]\), which no cap_drop takes back/);
    expect(run.proposals.filter((p) => p.changes.length > 0)).toEqual([]);
  });

  it('an image whose tag the environment sets is still known by its name; one whose name it sets is not', async () => {
    const file = composeFile('services:\n  es01:\n    image: docker.elastic.co/elasticsearch/elasticsearch:${STACK_VERSION}\n  cache:\n    image: redis:${REDIS_TAG:-7}\n  other:\n    image: ${REGISTRY}/redis:7\n');
    const risks = Object.fromEntries((await runStep(step, contextFor(composeTarget(file)))).proposals.map((p) => [p.id, p.risk]));
    expect(risks).toMatchObject({ 'es01-read-only': 'advice', 'cache-cap-drop': 'safe', 'cache-read-only': 'safe', 'other-cap-drop': 'review', 'other-read-only': 'review' });
  });

  it('a VPN service that adds NET_ADMIN keeps NET_RAW, which iptables needs, and its own cap_add', async () => {
    const file = composeFile('services:\n  vpn:\n    image: example/wireguard-ui:1\n    cap_add:\n      - NET_ADMIN\n      - SYS_MODULE\n');
    const p = (await runStep(step, contextFor(composeTarget(file)))).proposals.find((x) => x.id === 'vpn-cap-drop')!;
    expect(p.title).toBe('Service vpn: cap_drop: [ALL], cap_add: [NET_RAW]');
    expect(p.description).toMatch(/Its cap_add \(NET_ADMIN, SYS_MODULE\) stays\..*NET_RAW: the service adds NET_ADMIN, and iptables/);
    expect(p.changes[0]!.after).toContain('    cap_add:\n      - NET_ADMIN\n      - SYS_MODULE\n      - NET_RAW\n');
  });

  it("NET_ADMIN alone reaches the service's own network namespace; on the host's network, the host's", async () => {
    const message = async (text: string) => (await runStep(step, contextFor(composeTarget(composeFile(text))))).result.findings.find((f) => f.code === 'CIS-5.4')!.message;
    expect(await message('services:\n  vpn:\n    image: example/vpn:1\n    cap_add: [NET_ADMIN]\n')).toMatch(/adds NET_ADMIN, which lets root in it change the interfaces, routes and firewall rules of its own network namespace/);
    expect(await message('services:\n  vpn:\n    image: example/vpn:1\n    network_mode: host\n    cap_add: [NET_ADMIN]\n')).toBe('service vpn adds NET_ADMIN, which widens what root in it can do to the host');
    expect(await message('services:\n  vpn:\n    image: example/vpn:1\n    cap_add: [NET_ADMIN, SYS_MODULE]\n')).toBe('service vpn adds NET_ADMIN, SYS_MODULE, which widen what root in it can do to the host');
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfile: port 22 (what Trivy's DS-0004 covers; its own cases run in
// test/conformance/peer-cases.test.ts).

const dockerfileCases: StepCase[] = [
  { name: 'EXPOSE 8080 as a named user passes', given: 'FROM alpine:3.20\nUSER app\nEXPOSE 8080', expect: { status: 'pass', findings: [], afterFix: null } },
  { name: 'EXPOSE 22 as the last line goes', given: 'FROM alpine:3.20\nUSER app\nEXPOSE 22', expect: { status: 'fail', findings: ['exposes port 22 (ssh)'], lines: [3], afterFix: { removed: ['EXPOSE 22'], added: [] } } },
  {
    name: 'a Git server that serves ssh: the finding and the fix say to keep it where ssh is the service',
    given: 'FROM alpine:3.20\nUSER git\nEXPOSE 22 3000\nCMD ["gitea", "web"]\n',
    expect: {
      status: 'fail',
      findings: ['keep ssh only where it is the service itself (git over ssh, SFTP)'],
      codes: ['DH-SSH-PORT'],
      risks: { 'no-ssh-port': 'review' },
      afterFix: { removed: ['EXPOSE 22 3000'], added: ['EXPOSE 3000'], warnings: ['Where ssh is what the image serves (a Git server such as Gitea or GitLab, an SFTP server), keep port 22'] },
    },
  },
  {
    name: 'port 22 among others: only 22 goes',
    given: 'FROM alpine:3.20\nEXPOSE 22/tcp 8080\nCMD ["app"]\n',
    expect: { status: 'fail', findings: ['exposes port 22'], lines: [2], afterFix: { equals: 'FROM alpine:3.20\nEXPOSE 8080\nCMD ["app"]\n' } },
  },
  {
    name: 'port 22 through an ARG default',
    given: 'FROM alpine:3.20\nARG SSH_PORT=22\nEXPOSE ${SSH_PORT}\n',
    expect: { status: 'fail', findings: ['exposes port 22'], lines: [3], afterFix: { removed: ['EXPOSE ${SSH_PORT}'], added: [] } },
  },
  {
    name: '22/udp is not ssh',
    given: 'FROM alpine:3.20\nEXPOSE 22/udp\n',
    expect: { status: 'pass', findings: [], afterFix: null },
  },
  {
    name: 'an ssh server installed in the image is reported, with no automatic fix',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y openssh-server\nCMD ["/usr/sbin/sshd", "-D"]\n',
    expect: { status: 'fail', findings: ['installs an ssh server: one more service to attack and to keep patched; use docker exec for a shell, and keep ssh only where it is the service itself'], lines: [2], afterFix: null },
  },
  {
    name: 'EXPOSE 22 in a build stage that is not the final image is fine',
    given: 'FROM alpine:3.20 AS build\nEXPOSE 22\nRUN true\n\nFROM scratch\nCOPY --from=build /etc/hostname /x\n',
    expect: { status: 'pass', findings: [], afterFix: null },
  },
];

describe('seccomp-apparmor-capabilities: Dockerfiles', () => {
  runStepTable(step, dockerfileCases);
});

// ---------------------------------------------------------------------------------------------
// Hosts

const noLsm: MemoryWorld = {};
const appArmorWorld: MemoryWorld = {
  files: { '/sys/module/apparmor/parameters/enabled': 'Y\n', '/sys/kernel/security/apparmor/profiles': 'docker-default (enforce)\n/usr/sbin/cupsd (enforce)\n' },
};
const selinuxWorld: MemoryWorld = { files: { '/sys/fs/selinux/enforce': '1' } };

const hostCases: StepCase[] = [
  {
    target: 'host',
    name: 'AppArmor on but docker-default not loaded',
    host: { info: ENGINE_29_INFO, config: { text: '{"no-new-privileges": true}' } },
    world: { files: { '/sys/module/apparmor/parameters/enabled': 'Y\n', '/sys/kernel/security/apparmor/profiles': '/usr/sbin/cupsd (enforce)\n' } },
    expect: { status: 'fail', codes: ['DH-MAC-APPARMOR-PROFILE'], findings: ['docker-default profile is not loaded'], proposals: [] },
  },
  {
    target: 'host',
    name: 'SELinux enforcing without selinux-enabled: a finding and the daemon.json change',
    host: { info: { ...ENGINE_29_INFO, SecurityOptions: ['name=seccomp,profile=builtin'] }, config: { text: '{\n  "no-new-privileges": true\n}\n' } },
    world: selinuxWorld,
    expect: {
      status: 'fail',
      codes: ['DH-MAC-SELINUX-OFF'],
      findings: ['SELinux is enforcing, but dockerd runs without "selinux-enabled": containers are not given their own SELinux labels'],
      proposals: ['daemon-selinux-enabled'],
      risks: { 'daemon-selinux-enabled': 'review' },
    },
  },
  {
    target: 'host',
    name: 'SELinux permissive is a finding of its own',
    host: { info: ENGINE_29_INFO, config: { text: '{"no-new-privileges": true}' } },
    world: { files: { '/sys/fs/selinux/enforce': '0' } },
    expect: { status: 'fail', codes: ['DH-MAC-SELINUX-PERMISSIVE'], findings: ['SELinux is in permissive mode'], proposals: [] },
  },
];

describe('seccomp-apparmor-capabilities: recorded hosts (AppArmor and SELinux cannot be set up on this kernel)', () => {
  runStepTable(step, hostCases);

  it('the daemon.json change for selinux-enabled keeps the file as written and restarts dockerd', async () => {
    const host = recordedHost({ info: { ...ENGINE_29_INFO, SecurityOptions: ['name=seccomp,profile=builtin'] }, config: { text: '{\n  "no-new-privileges": true\n}\n' } });
    const run = await runStep(step, contextFor(hostTarget, { host, probe: memoryProbe(selinuxWorld) }));
    const p = run.proposals.find((x) => x.id === 'daemon-selinux-enabled')!;
    expect(p.changes[0]!.after).toBe('{\n  "no-new-privileges": true,\n  "selinux-enabled": true\n}\n');
    expect(p.daemon).toBe('restart');
    expect(p.warnings.join(' ')).toMatch(/:z \(shared\) or :Z/);
  });

  it('AppArmor on with docker-default loaded and used, no-new-privileges on, containers dropping ALL: pass', async () => {
    const host = recordedHost({
      info: ENGINE_29_INFO,
      config: { text: '{\n  "no-new-privileges": true\n}\n' },
      containers: [{ Name: '/web', HostConfig: { CapDrop: ['ALL'], CapAdd: ['NET_BIND_SERVICE'], ReadonlyRootfs: true } }],
    });
    const run = await runStep(step, contextFor(hostTarget, { host, probe: memoryProbe(appArmorWorld) }));
    expect(run.result.findings).toEqual([]);
    expect(run.result.status).toBe('pass');
    expect(run.result.notes).toContain('AppArmor is enabled and docker-default is loaded');
  });

  it('containers: added capabilities, no cap-drop, unconfined profiles; a proposal per container, nothing run', async () => {
    const host = recordedHost({
      info: ENGINE_29_INFO,
      config: { text: '{"no-new-privileges": true}' },
      containers: [
        { Name: '/vpn', HostConfig: { CapAdd: ['CAP_NET_ADMIN'], CapDrop: null } },
        { Name: '/tool', HostConfig: { SecurityOpt: ['apparmor=unconfined', 'seccomp=unconfined'], CapDrop: ['ALL'], ReadonlyRootfs: true } },
        { Name: '/priv', HostConfig: { Privileged: true } },
        { Name: '/web', HostConfig: { CapAdd: ['NET_BIND_SERVICE', 'SYS_PTRACE'] } },
      ],
    });
    const run = await runStep(step, contextFor(hostTarget, { host, probe: memoryProbe(appArmorWorld) }));
    expect(run.result.findings.map((f) => f.message.replace(/ \(.*$|, so .*$/, '')).sort()).toEqual([
      'container priv runs privileged: capability and profile settings do not apply to it',
      'container tool runs without a seccomp profile',
      'container tool runs without the docker-default AppArmor profile',
      'container vpn adds NET_ADMIN, which widens what root in it can do to the host',
      'container vpn has a writable root file system: an intruder can change its programs and leave files behind',
      "container vpn keeps Docker's default capabilities",
      'container web adds SYS_PTRACE, which widens what root in it can do to the host',
      'container web has a writable root file system: an intruder can change its programs and leave files behind',
      "container web keeps Docker's default capabilities",
    ]);
    expect(run.result.findings.filter((f) => f.code === 'CIS-5.13').map((f) => f.evidence)).toEqual(['HostConfig.ReadonlyRootfs: false', 'HostConfig.ReadonlyRootfs: false']);
    expect(run.proposals.map((p) => p.title)).toEqual([
      'When you next create container vpn: add --cap-drop ALL; leave out --cap-add NET_ADMIN',
      'When you next create container tool: leave out --security-opt apparmor=unconfined --security-opt seccomp=unconfined',
      'When you next create container web: add --cap-drop ALL (keeping --cap-add NET_BIND_SERVICE); leave out --cap-add SYS_PTRACE',
    ]);
    for (const p of run.proposals) expect([p.changes, p.commands]).toEqual([[], []]);
  });

  // label=disable: a finding only when the person chose it and SELinux is there to be disabled.
  it.each([
    { name: 'chosen, SELinux enforcing', hc: { SecurityOpt: ['label=disable'], CapDrop: ['ALL'] }, world: 'selinux', finding: true },
    { name: 'chosen, no SELinux on the host', hc: { SecurityOpt: ['label=disable'], CapDrop: ['ALL'] }, world: 'apparmor', finding: false },
    { name: 'added by Docker for --pid host, SELinux enforcing', hc: { SecurityOpt: ['label=disable'], PidMode: 'host', CapDrop: ['ALL'] }, world: 'selinux', finding: false },
    { name: 'added by Docker for --ipc host, SELinux enforcing', hc: { SecurityOpt: ['label=disable'], IpcMode: 'host', CapDrop: ['ALL'] }, world: 'selinux', finding: false },
  ])('label=disable $name', async ({ hc, world, finding }) => {
    const host = recordedHost({ info: ENGINE_29_INFO, config: { text: '{"no-new-privileges": true, "selinux-enabled": true}' }, containers: [{ Name: '/app', HostConfig: { ...hc, ReadonlyRootfs: true } }] });
    const run = await runStep(step, contextFor(hostTarget, { host, probe: memoryProbe(world === 'selinux' ? selinuxWorld : appArmorWorld) }));
    const about = run.result.findings.filter((f) => /container app/.test(f.message));
    expect(about.length).toBe(finding ? 1 : 0);
    expect(run.proposals.some((p) => p.title.includes('label=disable'))).toBe(finding);
  });

  it('an unreachable daemon is an error', async () => {
    const run = await runStep(step, contextFor(hostTarget, { host: unreachableHost() }));
    expect(run.result.status).toBe('error');
  });
});

/** The real machine, except for the /proc entries of one dockerd, which are replaced. */
/**
 * A recorded process table (no readLink, as in a recorded world): the daemon is taken from its
 * record, since a made-up /proc entry holds no socket that could be verified.
 */
function probeWithDockerd(pid: string, entries: Record<string, string>): Probe {
  const real = systemProbe();
  return {
    ...real,
    readLink: undefined,
    async list(dir) {
      return dir === '/proc' ? [pid] : real.list(dir);
    },
    async readText(file) {
      const prefix = `/proc/${pid}/`;
      if (file.startsWith(prefix)) return entries[file.slice(prefix.length)] ?? null;
      return real.readText(file);
    },
  };
}

describe.skipIf(!hasDockerd)('seccomp-apparmor-capabilities on a real dockerd', () => {
  let d: TestDaemon;
  const live = (world: MemoryWorld) => {
    const probe = memoryProbe(world);
    return contextFor(hostTarget, { host: createHostFacts({ dockerHost: d.host, daemonConfigPath: d.configPath, env: {}, probe }), probe });
  };

  beforeAll(async () => {
    d = await startDockerd({ config: '{\n  "bridge": "none"\n}\n' });
    await buildBusyboxImage(d, 'dh-bb:1');
    const run = (name: string, flags: string[]) => d.docker(['run', '-d', '--name', name, '--network', 'none', ...flags, 'dh-bb:1', 'sleep', '3600']);
    await run('dh-netadmin', ['--cap-add', 'NET_ADMIN']);
    await run('dh-dropped', ['--cap-drop', 'ALL', '--cap-add', 'CHOWN', '--read-only']);
    await run('dh-seccomp', ['--cap-drop', 'ALL', '--security-opt', 'seccomp=unconfined', '--read-only']);
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('no AppArmor or SELinux here, no-new-privileges off, and the containers as they run', async () => {
    const run = await runStep(step, live(noLsm));
    expect(run.result.status).toBe('fail');
    expect(run.result.findings.map((f) => f.message.replace(/ \(.*$|, so .*$/, '')).sort()).toEqual([
      'container dh-netadmin adds NET_ADMIN, which widens what root in it can do to the host',
      'container dh-netadmin has a writable root file system: an intruder can change its programs and leave files behind',
      "container dh-netadmin keeps Docker's default capabilities",
      'container dh-seccomp runs without a seccomp profile',
      'neither AppArmor nor SELinux is active on this host',
      'no-new-privileges is not the daemon default: a setuid program in any container can raise its privileges',
    ]);
    expect(run.result.findings.some((f) => f.message.includes('dh-dropped'))).toBe(false);
  });

  it('AppArmor enabled in the kernel but not used by this dockerd', async () => {
    const run = await runStep(step, live(appArmorWorld));
    expect(run.result.findings[0]!.message).toMatch(/AppArmor is enabled in the kernel but dockerd does not use it/);
  });

  it('no-new-privileges: the diff keeps the file, and after the restart a container runs with NoNewPrivs 1', async () => {
    const before = await fs.readFile(d.configPath, 'utf8');
    const run = await runStep(step, live(noLsm));
    const p = run.proposals.find((x) => x.id === 'daemon-no-new-privileges')!;
    expect(p.changes).toEqual([{ path: d.configPath, before, after: '{\n  "bridge": "none",\n  "no-new-privileges": true\n}\n', json: [{ path: ['no-new-privileges'], value: true }] }]);
    expect(p.daemon).toBe('restart');
    expect(p.warnings[0]).toMatch(/setuid/);
    const probeStatus = async () => (await d.docker(['run', '--rm', '--network', 'none', 'dh-bb:1', 'grep', 'NoNewPrivs', '/proc/self/status'])).stdout.trim();
    expect(await probeStatus()).toBe('NoNewPrivs:\t0');
    try {
      await fs.writeFile(d.configPath, p.changes[0]!.after);
      await d.restart();
      expect(await probeStatus()).toBe('NoNewPrivs:\t1');
      const again = await runStep(step, live(noLsm));
      expect(again.result.findings.some((f) => f.message.includes('no-new-privileges'))).toBe(false);
    } finally {
      await fs.writeFile(d.configPath, before);
      await d.restart();
    }
  });

  it("a rootless dockerd's ~/.config/docker/daemon.json is the file the step reads", async () => {
    const home = path.join(tmp, 'home-alice');
    mkdirSync(path.join(home, '.config', 'docker'), { recursive: true });
    const config = path.join(home, '.config', 'docker', 'daemon.json');
    const probe = probeWithDockerd('4242', {
      comm: 'dockerd\n',
      cmdline: ['dockerd', '--rootless', '-H', d.host].join('\0') + '\0',
      status: 'Name:\tdockerd\nUid:\t1000\t1000\t1000\t1000\n',
      environ: `HOME=${home}\0XDG_RUNTIME_DIR=/run/user/1000\0`,
    });
    const ctx = () => contextFor(hostTarget, { host: createHostFacts({ dockerHost: d.host, env: {}, probe }), probe });

    writeFileSync(config, '{\n  "no-new-privileges": false\n}\n');
    const off = await runStep(step, ctx());
    const finding = off.result.findings.find((f) => f.message.startsWith('no-new-privileges is not the daemon default'));
    expect(finding).toMatchObject({ file: config, line: 2 });
    expect(off.proposals.find((p) => p.id === 'daemon-no-new-privileges')!.changes[0]!.path).toBe(config);

    writeFileSync(config, '{\n  "no-new-privileges": true\n}\n');
    const on = await runStep(step, ctx());
    expect(on.result.findings.some((f) => f.message.includes('no-new-privileges'))).toBe(false);
  });
});
