/**
 * A hostile or broken Engine API: a fake daemon on a unix socket (node:http, in this process)
 * that trickles, never ends, announces 600 MB, streams without end, or answers with wrong types.
 * The real CLI (child process) must end with exit 2 and a message naming the endpoint and the
 * request, never hang, never print a stack trace or a JavaScript internal. The same fake daemon
 * names a container with terminal escape sequences: they never reach the output raw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { chownSync, existsSync, lchownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../helpers/cli.js';

type Mode = 'trickle' | 'endless' | 'declared-600mb' | 'bad-type' | 'bad-list' | 'hostile-name' | 'impostor';

let dir: string;
let socket: string;
let server: http.Server;
let mode: Mode = 'bad-type';
/** Bytes the fake daemon wrote for /info before the client hung up. */
let infoBytesWritten = 0;

const VERSION = { Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64' };
const INFO = { ServerVersion: '20.10.24', SecurityOptions: ['name=seccomp,profile=default'], Containers: 1, Images: 1, Driver: 'overlay2', DockerRootDir: '/var/lib/docker' };
const HOSTILE = '/web\u001b]0;PWNED-TITLE\u0007\u001b]52;c;ZXZpbA==\u0007\u001b]8;;http://evil.example\u0007link\u001b]8;;\u0007';

function json(res: http.ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function serveInfo(res: http.ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const pump = () => {
    // Write until the client hangs up; honour back-pressure so the count is what was sent.
    while (!res.destroyed) {
      infoBytesWritten += chunk.length;
      if (infoBytesWritten > 700 * 1024 * 1024) return res.end();
      if (!res.write(chunk)) return res.once('drain', pump);
    }
  };
  switch (mode) {
    case 'trickle': {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const body = JSON.stringify(INFO);
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= body.length) return clearInterval(timer);
        res.write(body[i++]!);
      }, 1000);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case 'endless':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"ServerVersion": "20.10.24", "x": "');
      return pump();
    case 'declared-600mb':
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 600 * 1024 * 1024 });
      return pump();
    case 'bad-type':
      return json(res, { ...INFO, Containers: 'x', SecurityOptions: 'x' });
    case 'impostor':
      // Says whatever makes a change look live.
      return json(res, { ...INFO, ID: 'IMPOSTOR', LiveRestoreEnabled: true });
    default:
      return json(res, INFO);
  }
}

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-hostile-api-'));
  socket = path.join(dir, 'docker.sock');
  server = http.createServer((req, res) => {
    const url = (req.url ?? '').replace(/^\/v[\d.]+/, '');
    if (url.startsWith('/_ping')) return res.end('OK');
    if (url.startsWith('/version')) return json(res, VERSION);
    if (url.startsWith('/info')) return serveInfo(res);
    if (url.startsWith('/containers/json')) return json(res, mode === 'bad-list' ? { message: 'not a list' } : [{ Id: 'abc123' }]);
    if (url.startsWith('/containers/abc123/json')) {
      return json(res, {
        Id: 'abc123',
        Name: HOSTILE,
        Config: { Image: 'busybox', User: '' },
        HostConfig: { Privileged: false, CapAdd: null },
        Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock', RW: true }],
        State: { Running: true },
      });
    }
    if (url.startsWith('/images/json')) return json(res, []);
    if (url.startsWith('/volumes')) return json(res, { Volumes: [] });
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ message: 'page not found' }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
}, 300_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function check(step: string, extraEnv: Record<string, string> = {}) {
  return runCli(['check', '--host', '--only', step, '--docker-host', `unix://${socket}`, '--daemon-config', path.join(dir, 'daemon.json'), '--state-dir', path.join(dir, 'state')], {
    env: { DOCKER_HARDEN_API_TIMEOUT: '3', ...extraEnv },
    timeoutMs: 120_000,
  });
}

function expectCleanFailure(r: { exitCode: number; stdout: string; stderr: string }, request: RegExp) {
  const all = r.stdout + r.stderr;
  expect(r.exitCode, all).toBe(2);
  expect(all).toContain(`unix://${socket}`);
  expect(all).toMatch(request);
  expect(all).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)|is not a function|Cannot read properties|TypeError/);
}

describe('a hostile Engine API on a unix socket', () => {
  it('trickling a byte a second: the whole request has a deadline', async () => {
    mode = 'trickle';
    const r = await check('use-docker-defaults');
    expectCleanFailure(r, /did not answer in time \(GET \/info: timeout after 3000 ms\)/);
  });

  it('an endless body: reading stops at the answer limit, nothing near 600 MB is read', async () => {
    mode = 'endless';
    infoBytesWritten = 0;
    // A deadline far beyond the time to read the limit, so the limit is what stops it on a busy machine.
    const r = await check('use-docker-defaults', { DOCKER_HARDEN_API_TIMEOUT: '90' });
    expectCleanFailure(r, /GET \/info: the answer is over the limit of \d+ bytes/);
    expect(infoBytesWritten).toBeLessThan(200 * 1024 * 1024);
  });

  it('a 600 MB answer announced by Content-Length is refused before its body is read', async () => {
    mode = 'declared-600mb';
    infoBytesWritten = 0;
    const r = await check('use-docker-defaults');
    expectCleanFailure(r, /GET \/info: the answer is 629145600 bytes, over the limit/);
    expect(infoBytesWritten).toBeLessThan(200 * 1024 * 1024);
  });

  it('Containers: "x" names the endpoint, the request and the field', async () => {
    mode = 'bad-type';
    const r = await check('user-namespaces');
    expectCleanFailure(r, /GET \/info: "(Containers|SecurityOptions)" is a string \("x"\)/);
  });

  it('a container list that is not a list', async () => {
    mode = 'bad-list';
    const r = await check('use-docker-defaults');
    expectCleanFailure(r, /GET \/containers\/json: expected a list, got an object/);
  });

  it('a container name with OSC title, clipboard and link sequences reaches the output escaped', async () => {
    mode = 'hostile-name';
    const r = await check('protect-docker-socket');
    const all = r.stdout + r.stderr;
    expect(all).toContain('web\\x1b]0;PWNED-TITLE\\x07');
    expect(all).not.toContain('\u001b]');
    expect(all).not.toContain('\u0007');
  });
});

/**
 * Only the process that bound a socket file owns it: one owned by another account, or in a folder
 * it may change, answers for that account (its rootless daemon, or a program posing as dockerd),
 * whatever it says. Nothing it says is used: no daemon.json is chosen, written or restarted for it.
 */
describe.skipIf(process.getuid?.() !== 0)('a socket another account could answer on', () => {
  // daemon.json and the state are root's, away from the socket's folder.
  let ours: string;
  beforeAll(() => {
    ours = mkdtempSync(path.join(os.tmpdir(), 'dh-impostor-'));
  });
  afterAll(() => rmSync(ours, { recursive: true, force: true }));
  const fix = (config: string, marker: string) =>
    runCli(
      ['fix', '--yes', '--host', '--only', 'scan-host-config:live-restore', '--include-review', '--docker-host', `unix://${socket}`, '--daemon-config', config, '--restart-command', `/usr/bin/touch ${marker}`, '--state-dir', path.join(ours, 'state')],
      { env: { DOCKER_HARDEN_API_TIMEOUT: '3' }, timeoutMs: 120_000 },
    );

  it.each([
    { owner: 'the socket', chown: () => lchownSync(socket, 65534, 65534), undo: () => lchownSync(socket, 0, 0), says: /docker\.sock: is owned by uid 65534, neither root nor you/ },
    { owner: 'its folder', chown: () => chownSync(dir, 65534, 65534), undo: () => chownSync(dir, 0, 0), says: /docker\.sock: is in .+, owned by uid 65534 with mode 0700: another account could put a socket of its own there/ },
  ])('$owner owned by nobody: exit 2 naming the socket; daemon.json is not written and the restart command never runs', async ({ chown, undo, says }) => {
    mode = 'impostor';
    const config = path.join(ours, `daemon-${Math.random().toString(36).slice(2)}.json`);
    const marker = `${config}.restarted`;
    writeFileSync(config, '{}\n');
    chown();
    try {
      const r = await fix(config, marker);
      const all = r.stdout + r.stderr;
      expect(r.exitCode, all).toBe(2);
      expect(all).toMatch(says);
      expect(all).not.toMatch(/applied;|wrote /);
    } finally {
      undo();
    }
    expect(readFileSync(config, 'utf8')).toBe('{}\n');
    expect(existsSync(marker)).toBe(false);
  });

  it("root's own socket, but no dockerd process to be seen: a restart and a setting docker info does not show (icc) are applied, not confirmed live", async () => {
    mode = 'impostor';
    const config = path.join(ours, 'daemon-icc.json');
    const marker = `${config}.restarted`;
    writeFileSync(config, '{}\n');
    const r = await runCli(
      ['fix', '--yes', '--host', '--only', 'scan-host-config:icc', '--include-review', '--docker-host', `unix://${socket}`, '--daemon-config', config, '--restart-command', `/usr/bin/touch ${marker}`, '--state-dir', path.join(ours, 'state')],
      { env: { DOCKER_HARDEN_API_TIMEOUT: '3' }, timeoutMs: 120_000 },
    );
    const all = r.stdout + r.stderr;
    expect(existsSync(marker), all).toBe(true);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toMatchObject({ icc: false });
    expect(all).toMatch(/applied, not confirmed live: docker-harden could not see dockerd's process, so not that it restarted, and docker info does not show "icc"/);
    expect(all).not.toMatch(/confirmed by a fresh check|the check now passes/);
  });
});
