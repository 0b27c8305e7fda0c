/**
 * A compose service as the `docker run` options `fix --verify` runs it with: what decides whether
 * it still works goes in, and nothing it could write of the user's (host folders, named volumes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { composeFromText } from '../../src/compose/model.js';
import { ownHealthcheck, serviceDependencies, serviceRun } from '../../src/compose/run-args.js';

let dir: string;
let socketServer: net.Server;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-run-args-'));
  mkdirSync(path.join(dir, 'site'));
  mkdirSync(path.join(dir, 'conf'));
  writeFileSync(path.join(dir, 'app.db'), '');
  writeFileSync(path.join(dir, 'db_password.txt'), 's3cret\n');
  writeFileSync(path.join(dir, 'nginx.conf'), 'events {}\n');
  writeFileSync(path.join(dir, '.env'), 'TAG=1.27\nAPP_USER=1000\n');
  writeFileSync(path.join(dir, 'web.env'), 'FROM_FILE=yes\nMODE=file\n');
  socketServer = net.createServer();
  await new Promise<void>((resolve) => socketServer.listen(path.join(dir, 'app.sock'), resolve));
});

afterAll(async () => {
  await new Promise((resolve) => socketServer.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function runOf(service: string) {
  const file = path.join(dir, 'compose.yaml');
  const model = await composeFromText(service, file);
  return serviceRun(model.services[0]!, file, new Map([['TAG', '1.27'], ['APP_USER', '1000']]), (n) => `ro-${n}`);
}

describe('serviceRun', () => {
  const cases: { name: string; service: string; options?: string[]; absent?: RegExp[]; command?: string[]; volumes?: { name: string; target: string }[]; notes?: RegExp[] }[] = [
    {
      name: 'environment over env_file, variables from .env, a name alone passed on',
      service: 'services:\n  web:\n    image: nginx:${TAG}\n    env_file: web.env\n    environment:\n      MODE: compose\n      USER_ID: ${APP_USER}\n      PASSED:\n',
      options: ['--env=FROM_FILE=yes', '--env=MODE=compose', '--env=USER_ID=1000', '--env=PASSED'],
      absent: [/MODE=file/],
    },
    {
      name: 'user, confinement and the keys the fixes write',
      service:
        'services:\n  web:\n    image: app\n    user: "${APP_USER}:1000"\n    read_only: true\n    tmpfs: [/tmp, /run]\n    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE]\n    security_opt: ["no-new-privileges:true", "seccomp:profiles/app.json"]\n    working_dir: /srv\n    init: true\n',
      options: ['--user=1000:1000', '--read-only', '--tmpfs=/tmp', '--tmpfs=/run', '--cap-drop=ALL', '--cap-add=NET_BIND_SERVICE', '--security-opt=no-new-privileges:true', '--workdir=/srv', '--init'],
    },
    {
      name: 'a seccomp profile is named from the compose file folder',
      service: 'services:\n  web:\n    image: app\n    security_opt: ["seccomp:profiles/app.json"]\n',
      options: [`--security-opt=seccomp=${path.join('DIR', 'profiles', 'app.json')}`],
    },
    {
      name: 'a read-only folder or file is bound as it is; a folder it writes and a named volume are empty volumes',
      service:
        'services:\n  web:\n    image: app\n    volumes:\n      - ./conf:/etc/app/conf:ro\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./site:/www\n      - data:/var/lib/data\n      - cache:/cache:ro\n      - /anon\n      - type: volume\n        target: /anon-long\nvolumes:\n  data:\n  cache:\n',
      options: [
        `--mount=type=bind,src=${path.join('DIR', 'conf')},dst=/etc/app/conf,readonly`,
        `--mount=type=bind,src=${path.join('DIR', 'nginx.conf')},dst=/etc/nginx/nginx.conf,readonly`,
        '--mount=type=volume,dst=/www',
        '--mount=type=volume,dst=/var/lib/data',
        '--mount=type=volume,src=ro-0,dst=/cache,readonly',
        '--mount=type=volume,dst=/anon',
        '--mount=type=volume,dst=/anon-long',
      ],
      absent: [/src=.*site/],
      volumes: [{ name: 'ro-0', target: '/cache' }],
      notes: [/^3 host folders or named volumes stand in as an empty volume, so the run never writes your data$/],
    },
    {
      name: 'a file the service may write is bound read-only; a socket is left out',
      service: 'services:\n  web:\n    image: app\n    volumes:\n      - ./app.db:/data/app.db\n      - ./app.sock:/run/app.sock\n',
      options: [`--mount=type=bind,src=${path.join('DIR', 'app.db')},dst=/data/app.db,readonly`],
      absent: [/app\.sock/],
      notes: [/\/data\/app\.db \(line 5\) is bound read-only/, /\/run\/app\.sock \(line 6\) is left out: .* is neither a file nor a folder/],
    },
    {
      name: 'entrypoint as a string and command as a list; network and ports left out, depends_on not (the proof starts it)',
      service: 'services:\n  web:\n    image: app\n    entrypoint: /bin/sh -c\n    command: ["exec httpd -f -p 8080"]\n    ports: ["8080:8080"]\n    networks: [front]\n    depends_on: [db]\n',
      options: ['--entrypoint=/bin/sh'],
      command: ['-c', 'exec httpd -f -p 8080'],
      notes: [/^left out: networks, ports \(a proof does not reproduce them\)$/],
    },
    {
      name: 'an empty entrypoint clears the image one',
      service: 'services:\n  web:\n    image: app\n    entrypoint: []\n    command: sleep 600\n',
      options: ['--entrypoint='],
      command: ['sleep', '600'],
    },
    {
      name: 'a healthcheck in CMD form becomes a shell command with its timing',
      service: 'services:\n  web:\n    image: app\n    healthcheck:\n      test: ["CMD", "wget", "-q", "--spider", "http://localhost:8080/a b"]\n      interval: 5s\n      retries: 3\n',
      options: ["--health-cmd=wget -q --spider 'http://localhost:8080/a b'", '--health-interval=5s', '--health-retries=3'],
    },
    {
      name: 'secrets and configs from files are bound read-only where compose mounts them; one the proof cannot give is named',
      service:
        'services:\n  db:\n    image: postgres:16\n    secrets: [db_password, { source: api_key, target: key.txt }]\n    configs: [{ source: app_conf, target: /etc/app.conf }, site]\n    environment:\n      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n' +
        'secrets:\n  db_password:\n    file: ./db_password.txt\n  api_key:\n    environment: API_KEY\nconfigs:\n  app_conf:\n    file: ./nginx.conf\n  site:\n    file: ./missing.conf\n',
      options: ['--mount=type=bind,src=DIR/db_password.txt,dst=/run/secrets/db_password,readonly', '--mount=type=bind,src=DIR/nginx.conf,dst=/etc/app.conf,readonly'],
      absent: [/key\.txt|missing|\/site/],
      notes: [/^secret api_key \(line 4\) is left out: taken from the environment$/, /^config site \(line 5\) is left out: DIR\/missing\.conf is not a file here$/],
    },
    {
      name: "a healthcheck that sets only its timing runs the image's test at that pace",
      service: 'services:\n  web:\n    image: app\n    healthcheck:\n      interval: 1s\n      retries: 2\n',
      options: ['--health-interval=1s', '--health-retries=2'],
      absent: [/--health-cmd|--no-healthcheck/],
    },
    {
      name: 'a disabled healthcheck stays off',
      service: 'services:\n  web:\n    image: app\n    healthcheck:\n      disable: true\n',
      options: ['--no-healthcheck'],
      absent: [/--health-cmd/],
    },
  ];

  it.each(cases)('$name', async (c) => {
    const run = await runOf(c.service);
    const options = run.options.map((o) => o.replaceAll(dir, 'DIR'));
    for (const o of c.options ?? []) expect(options).toContain(o);
    for (const a of c.absent ?? []) expect(options.join(' ')).not.toMatch(a);
    if (c.command) expect(run.command).toEqual(c.command);
    expect(run.volumes).toEqual(c.volumes ?? []);
    for (const n of c.notes ?? []) expect(run.notes.some((note) => n.test(note.replaceAll(dir, 'DIR')))).toBe(true);
  });
});

describe("whether a service's healthcheck takes the image's place", () => {
  it.each([
    ['none', '    restart: always\n', null],
    ['a test of its own', '    healthcheck:\n      test: ["CMD", "true"]\n', 'replaced'],
    ['a shell string', '    healthcheck:\n      test: wget -q -O /dev/null http://127.0.0.1/\n', 'replaced'],
    ['turned off with disable', '    healthcheck:\n      disable: true\n', 'disabled'],
    ['turned off with NONE', '    healthcheck:\n      test: ["NONE"]\n', 'disabled'],
    ['its timing only', '    healthcheck:\n      interval: 1s\n', null],
  ] as const)('%s', async (_name, keys, expected) => {
    const model = await composeFromText(`services:\n  web:\n    image: app\n${keys}`, path.join(dir, 'compose.yaml'));
    expect(ownHealthcheck(model.service('web')!.value)).toBe(expected);
  });
});

describe('what a service depends on, as compose starts it first', () => {
  it.each([
    ['a list', '    depends_on: [db, cache]\n', [{ name: 'db', condition: 'service_started', aliases: [] }, { name: 'cache', condition: 'service_started', aliases: [] }]],
    [
      'a map with conditions',
      '    depends_on:\n      db:\n        condition: service_healthy\n      migrate:\n        condition: service_completed_successfully\n      cache: {}\n',
      [
        { name: 'db', condition: 'service_healthy', aliases: [] },
        { name: 'migrate', condition: 'service_completed_successfully', aliases: [] },
        { name: 'cache', condition: 'service_started', aliases: [] },
      ],
    ],
    ['links with an alias, joined with depends_on', '    depends_on: [db]\n    links: ["db:database", cache]\n', [{ name: 'db', condition: 'service_started', aliases: ['database'] }, { name: 'cache', condition: 'service_started', aliases: [] }]],
    ['none', '    restart: always\n', []],
  ] as const)('%s', async (_name, keys, expected) => {
    const model = await composeFromText(`services:\n  web:\n    image: app\n${keys}`, path.join(dir, 'compose.yaml'));
    expect(serviceDependencies(model.service('web')!)).toEqual(expected);
  });
});
