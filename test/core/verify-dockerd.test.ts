/**
 * `fix --verify` on a real dockerd: images built FROM scratch with busybox, run with network none.
 * A USER change is refused where the entrypoint needs root, where the app writes under /root or
 * logs a denied write while it stays up, and where a slow start then fails; it is kept for a
 * healthy app that works as uid 1000, and on port 80, which the daemon lets any user bind.
 * A compose change runs each changed service as it was and as changed, after what it depends on:
 * read_only is put back on a service that writes its file system, in fix and in the wizard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import os from 'node:os';
import path from 'node:path';
import { BUSYBOX, buildBusyboxImage, busyboxDockerfile, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { binPath, ensureBuilt, runCli, type CliResult } from '../helpers/cli.js';
import { KEY, spawnCli } from '../e2e/pty.js';
import { buildArgsNeeded, buildkitOnly, compareRuns, composeBuildFlags, daemonUnreachable, dockerError, listeningPorts, printable, verifyComposeChange, verifyDockerfileAsService, verifyDockerfileChange } from '../../src/core/verify.js';

describe('verify: pure parts', () => {
  it('reads LISTEN ports from /proc/net/tcp and compares runs', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1',
      '   1: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
      // Docker's embedded DNS (127.0.0.11, a random port): not the app's.
      '   2: 0B00007F:9A83 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1',
    ].join('\n');
    expect(listeningPorts(tcp)).toEqual([8080]);
    const up = { running: true, exitCode: null, health: null, uid: 0, ports: [80], logs: [], denials: [] };
    expect(compareRuns(up, { ...up, running: false, exitCode: 1, ports: [] }, '1000')).toMatch(/no longer stays up: it exited with code 1/);
    expect(compareRuns(up, { ...up, ports: [] }, null)).toMatch(/no longer listens on port 80/);
    expect(compareRuns(up, { ...up, uid: 0 }, 'app')).toMatch(/runs as uid 0/);
    expect(compareRuns(up, { ...up, uid: 1000 }, '1000:1000')).toBeNull();
    // A HEALTHCHECK the change adds that fails: the container works, but is marked unhealthy.
    expect(compareRuns(up, { ...up, health: 'unhealthy' }, null)).toMatch(/HEALTHCHECK reports unhealthy \(the original had none\)/);
    expect(compareRuns({ ...up, health: 'unhealthy' }, { ...up, health: 'unhealthy' }, null)).toBeNull();
    // A denied write the original did not log; one it logged too (at another time) is no news.
    const denied = "mkdir: can't create directory '/app/data': Permission denied";
    expect(compareRuns(up, { ...up, denials: [denied] }, null)).toBe(`the container logs what the original did not: "${denied}"`);
    expect(compareRuns({ ...up, denials: ['12:00:01 open /run/x.pid: read-only file system'] }, { ...up, denials: ['12:00:04 open /run/x.pid: read-only file system'] }, null)).toBeNull();
    // The same write denied another way (the original's user could not write it either): no news.
    expect(compareRuns({ ...up, denials: ["sh: can't create /var/log/app.log: Permission denied"] }, { ...up, denials: ["sh: can't create /var/log/app.log: Read-only file system"] }, null)).toBeNull();
  });

  it('names the first line only BuildKit builds: RUN --mount, a here-document, COPY --link; not a syntax directive or a quoted <<', () => {
    expect(buildkitOnly('# syntax=docker/dockerfile:1\nFROM a\nRUN echo "cat <<X"\nCOPY --chown=1 a /a\n')).toBeNull();
    expect(buildkitOnly('FROM a\nRUN --mount=type=cache,target=/root/.cache pip install x\n')).toBe('line 2: RUN --mount=type=cache,target=/root/.cache pip install x');
    expect(buildkitOnly('FROM a\nRUN <<EOF\nset -e\nEOF\n')).toBe('line 2: RUN <<EOF');
    expect(buildkitOnly('FROM a\nCOPY --chown=1 --link app /app\n')).toBe('line 2: COPY --chown=1 --link app /app');
  });

  it('names the FROM a build argument without a default decides; not one with a default', () => {
    expect(buildArgsNeeded('ARG BASE\nFROM ${BASE}\n')).toBe('FROM at line 2 names $BASE, which has no default');
    expect(buildArgsNeeded('ARG V\nFROM node:20 AS b\nFROM python:${V}-slim\n')).toBe('FROM at line 3 names $V, which has no default');
    expect(buildArgsNeeded('ARG V=3.12\nFROM python:${V}-slim\n')).toBeNull();
  });

  it('builds a compose service as compose does: its stage and build arguments, each value in docker\'s environment rather than its command line', () => {
    const vars = new Map([['TAG', '3.20'], ['TOKEN', 's3cret']]);
    expect(composeBuildFlags({ context: '.', target: 'app', args: [['BASE', 'alpine:${TAG}'], ['NPM_TOKEN', '${TOKEN}'], ['FROM_ENV', null], ['DOCKER_HOST_ARG', 'x'], ['odd-name', 'y']] }, vars)).toEqual({
      flags: ['--target=app', '--build-arg=BASE', '--build-arg=NPM_TOKEN', '--build-arg=FROM_ENV', '--build-arg=DOCKER_HOST_ARG=x', '--build-arg=odd-name=y'],
      env: { BASE: 'alpine:3.20', NPM_TOKEN: 's3cret' },
    });
    expect(composeBuildFlags({ context: '.' }, vars)).toEqual({ flags: [], env: {} });
    expect(composeBuildFlags(undefined, vars)).toEqual({ flags: [], env: {} });
  });

  it('a compose change only to what a proof leaves out or stands in for (the Docker socket, network_mode, ports) is unproven before anything runs; making a mount read-only is not', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-alike-'));
    try {
      mkdirSync(path.join(dir, 'data'));
      const file = path.join(dir, 'compose.yaml');
      const base = 'services:\n  web:\n    image: app:1\n';
      const host = `unix://${path.join(dir, 'no-daemon.sock')}`;
      const verify = (before: string, after: string) => verifyComposeChange({ host, file, before: base + before, after: base + after, timeoutMs: 5_000 });
      for (const [before, after, keys] of [
        ['    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n', '', 'volumes'],
        ['    network_mode: host\n', '', 'network_mode'],
        ['    ports:\n      - "8080:80"\n', '    ports:\n      - "127.0.0.1:8080:80"\n', 'ports'],
      ]) {
        expect(await verify(before!, after!)).toEqual({
          ok: false,
          unproven: true,
          reason: `it could not be proven: a proof runs service web the same as it was and as changed, since what the change alters (${keys}) is what a proof leaves out or stands in for (ports, networks, sockets such as the Docker socket, devices; your host folders and volumes are empty volumes there)`,
        });
      }
      // A stand-in volume that becomes a read-only bind runs differently: it goes on to be run (and here finds no daemon).
      const ro = await verify('    volumes:\n      - ./data:/data\n', '    volumes:\n      - ./data:/data:ro\n');
      expect(ro.reason).not.toMatch(/the same as it was/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says docker's refusal on one line, without the --help hint it adds", () => {
    expect(dockerError("docker: Error response from daemon: failed to create task: unknown.\n\nRun 'docker run --help' for more information\n")).toBe('docker: Error response from daemon: failed to create task: unknown.');
    expect(dockerError("docker: Error response from daemon: a\nb\nSee 'docker run --help'.\n")).toBe('docker: Error response from daemon: a; b');
  });

  it('shows a build line redrawn with carriage returns as its last state, and no control character', () => {
    expect(printable('Sending build context to Docker daemon  2.048kB\r\r')).toBe('Sending build context to Docker daemon  2.048kB');
    expect(printable('Step 1/3 : FROM scratch\rStep 2/3 : COPY busybox /bin/busybox')).toBe('Step 2/3 : COPY busybox /bin/busybox');
    expect(printable('\u001b[31mred\u001b[0m and a bell\u0007')).toBe('red and a bell?');
  });
});

describe.skipIf(!hasDockerd)('fix --verify on a real dockerd', () => {
  let daemon: TestDaemon;
  let ctx: string;

  beforeAll(async () => {
    daemon = await startDockerd();
    ctx = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-'));
    copyFileSync(BUSYBOX!, path.join(ctx, 'busybox'));
    await ensureBuilt();
  }, 300_000);

  afterAll(async () => {
    await daemon?.stop();
    if (ctx) rmSync(ctx, { recursive: true, force: true });
  });

  /** Leave the wizard as a person does (q), waiting a while for it to end; the test's finally kills it if it does not. */
  async function quitWizard(run: { press(...keys: string[]): Promise<void>; exited: Promise<number> }): Promise<void> {
    await run.press('q');
    await Promise.race([run.exited, new Promise((r) => setTimeout(r, 15_000))]);
  }

  /** What the proofs left on the daemon (containers, networks, images named docker-harden-verify): nothing, when they cleaned up. */
  async function leftByProofs(): Promise<string[]> {
    const list = async (...args: string[]) => (await execa('docker', ['-H', daemon.host, ...args])).stdout.split('\n');
    const names = [...(await list('ps', '-a', '--format', '{{.Names}}')), ...(await list('network', 'ls', '--format', '{{.Name}}')), ...(await list('images', '--format', '{{.Repository}}:{{.Tag}}'))];
    return names.filter((n) => n.includes('docker-harden-verify'));
  }

  const verify = (before: string, after: string) =>
    verifyDockerfileChange({ host: daemon.host, before, after, contextDir: ctx, settleMs: 2_000, timeoutMs: 120_000 });

  it('refuses USER where the entrypoint needs root, and shows the container log', async () => {
    const before = busyboxDockerfile('ENTRYPOINT ["/bin/sh", "-c", "mkdir -p /var/run/app && chown 1000 /var/run/app && echo ready && exec sleep 600"]\n');
    const outcome = await verify(before, `${before}USER 1000\n`);
    expect(outcome.before?.running).toBe(true);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toMatch(/no longer stays up: it exited with code 1/);
    expect(outcome.reason).toMatch(/last lines of the changed container:\n.*(Permission denied|can't create)/);
  }, 300_000);

  it('refuses USER for an app that writes under /root', async () => {
    const before = busyboxDockerfile('RUN mkdir -p /root && chmod 700 /root\nCMD ["/bin/sh", "-c", "echo state > /root/app.state && exec sleep 600"]\n');
    const outcome = await verify(before, `${before}USER 1000:1000\n`);
    expect(outcome.before?.running).toBe(true);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toMatch(/no longer stays up/);
  }, 300_000);

  // dockerd 20.10+ sets net.ipv4.ip_unprivileged_port_start=0 in a container's own network namespace
  // (every mode but host, network none included): uid 1000 may bind :80 there.
  it('keeps USER for a server on port 80 when the daemon lets non-root bind it (same port, uid 1000)', async () => {
    const probe = await buildBusyboxImage(daemon, 'dh-verify-port-sysctl');
    const sysctl = await daemon.docker(['run', '--rm', '--network', 'none', '--user', '1000', probe, 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']);
    expect(sysctl.stdout.trim()).toBe('0');
    const before = busyboxDockerfile('RUN mkdir /www && echo hi > /www/index.html\nCMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n');
    const outcome = await verify(before, `${before}USER 1000\n`);
    expect(outcome.before?.ports).toEqual([80]);
    expect(outcome.before?.uid).toBe(0);
    expect(outcome.ok).toBe(true);
    expect(outcome.after).toMatchObject({ running: true, uid: 1000, ports: [80] });
  }, 300_000);

  it('keeps USER for a healthy app on port 8080: still healthy, uid 1000, same port', async () => {
    const before = busyboxDockerfile(
      'RUN mkdir /www && echo hi > /www/index.html\n' +
        'HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1\n' +
        'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    );
    const outcome = await verify(before, `${before}USER 1000\n`);
    expect(outcome.reason).toMatch(/builds and stays up \(healthy\), runs as uid 1000, listens on 8080/);
    expect(outcome.ok).toBe(true);
    expect(outcome.before?.health).toBe('healthy');
    expect(outcome.after).toMatchObject({ running: true, health: 'healthy', uid: 1000, ports: [8080] });
  }, 300_000);

  it('two fixes of one run: the Dockerfile as the first left it is not built and run again as the second\'s "before"', async () => {
    const seen = new Map();
    const lines: string[] = [];
    const steps = [busyboxDockerfile('CMD ["sleep", "600"]\n'), busyboxDockerfile('USER 1000\nCMD ["sleep", "600"]\n'), busyboxDockerfile('USER 1000:1000\nCMD ["sleep", "600"]\n')];
    const prove = (before: string, after: string) => verifyDockerfileChange({ host: daemon.host, before, after, contextDir: ctx, settleMs: 2_000, timeoutMs: 120_000, seen, log: (l) => lines.push(l) });
    expect(await prove(steps[0]!, steps[1]!)).toMatchObject({ ok: true });
    expect(await prove(steps[1]!, steps[2]!)).toMatchObject({ ok: true });
    expect(lines.filter((l) => l.startsWith('verify: building'))).toEqual(['verify: building the image before the change', 'verify: building the image after the change', 'verify: building the image after the change']);
    expect(lines).toContain('verify: the image before the change: as the previous proof saw it');
  }, 300_000);

  it('an original that fails here is run once for all the fixes of one run: each is unproven, the later ones from what the first saw', async () => {
    const seen = new Map();
    const lines: string[] = [];
    const original = busyboxDockerfile('CMD ["sh", "-c", "echo no config; exit 3"]\n');
    const prove = (after: string) => verifyDockerfileChange({ host: daemon.host, before: original, after, contextDir: ctx, settleMs: 2_000, timeoutMs: 120_000, seen, log: (l) => lines.push(l) });
    for (const after of [`${original}USER 1000\n`, `${original}HEALTHCHECK CMD true\n`]) {
      const outcome = await prove(after);
      expect(outcome).toMatchObject({ ok: false, unproven: true });
      expect(outcome.reason).toMatch(/could not be proven: the original image exits with code 3 here.*\nlast lines of the original container:\n  no config/s);
    }
    expect(lines.filter((l) => l.startsWith('verify: building') || l.startsWith('verify: running'))).toEqual(['verify: building the image before the change', 'verify: running the image before the change (network none)']);
    expect(lines).toContain('verify: the image before the change: as the previous proof saw it');
  }, 300_000);

  it('a change after which the app stays up but is denied its writes (a start script without set -e) is refused, with the lines that say so', async () => {
    const before = busyboxDockerfile('CMD ["sh", "-c", "mkdir -p /srv/data; echo started > /srv/data/log; exec sleep 600"]\n');
    const outcome = await verify(before, `${before}USER 10001:10001\n`);
    expect(outcome).toMatchObject({ ok: false });
    expect(outcome.reason).toMatch(/^the container logs what the original did not: "mkdir: can't create directory '\/srv[^']*': Permission denied"/);
    expect(outcome.after).toMatchObject({ running: true, uid: 10001 });
  }, 300_000);

  it('an original that only BuildKit builds, or only with a build argument, is unproven, and the reason says so rather than blaming its folder', async () => {
    const before = busyboxDockerfile('CMD ["sleep", "600"]\n').replace('\nCMD', '\nRUN --mount=type=tmpfs,target=/scratch true\nCMD');
    const outcome = await verify(before, `${before}USER 1000\n`);
    expect(outcome).toMatchObject({ ok: false, unproven: true });
    expect(outcome.reason).toMatch(/^it could not be proven: the original Dockerfile uses what only BuildKit builds \(line \d+: RUN --mount=type=tmpfs,target=\/scratch true\), and --verify builds with the classic builder\nlast lines of the build:\n/);
    // So is one whose base image a build argument without a default names (CI passes --build-arg).
    const byArg = 'ARG BASE\nFROM ${BASE}\nCMD ["sleep", "600"]\n';
    const unproven = await verify(byArg, `${byArg}USER 1000\n`);
    expect(unproven).toMatchObject({ ok: false, unproven: true });
    expect(unproven.reason).toMatch(/^it could not be proven: the original Dockerfile's FROM at line 2 names \$BASE, which has no default, and --verify builds without build arguments \(--build-arg\)\nlast lines of the build:\n/);
  }, 300_000);

  it('an app slow to start (5 s) is waited for until it listens on the port its image exposes: a change that breaks it then is seen, one that does not is proven with its port', async () => {
    // After 5 s it writes its folder (root's), then serves: as uid 1000 the write fails and it exits.
    const slow = busyboxDockerfile('RUN mkdir -p /data\nEXPOSE 8080\nCMD ["sh", "-c", "sleep 5; touch /data/ready || exit 1; exec httpd -f -p 8080 -h /"]\n');
    const broken = await verify(slow, `${slow}USER 1000\n`);
    expect(broken).toMatchObject({ ok: false, before: { running: true, ports: [8080] } });
    expect(broken.reason).toMatch(/^the container no longer stays up: it exited with code 1/);
    const fine = await verify(slow, `${slow}USER 0:0\n`);
    expect(fine).toMatchObject({ ok: true, reason: 'the changed image builds and stays up, runs as uid 0, listens on 8080' });
  }, 300_000);

  it('a change that no longer builds is refused, and the failed RUN leaves no container behind', async () => {
    const before = busyboxDockerfile('CMD ["sleep", "600"]\n');
    const containers = async () => (await execa('docker', ['-H', daemon.host, 'ps', '-aq'])).stdout.trim();
    const there = await containers();
    const outcome = await verify(before, `${before}RUN groupadd --system app\n`);
    expect(await containers()).toBe(there);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toMatch(/^the changed Dockerfile no longer builds\nlast lines of the build:\n(  .*\n)*  .*groupadd/);
  }, 300_000);

  it('an original that exits with an error here (its run-time config missing) proves nothing: unproven, not ok', async () => {
    const before = busyboxDockerfile('CMD ["/bin/sh", "-c", "test -f /config/app.conf || { echo no config; exit 3; }; exec sleep 600"]\n');
    const outcome = await verify(before, `${before}USER 1000\n`);
    expect(outcome).toMatchObject({ ok: false, unproven: true });
    expect(outcome.reason).toMatch(/could not be proven: the original image exits with code 3 here/);
    expect(outcome.reason).toMatch(/last lines of the original container:\n  no config/);
  }, 300_000);

  /** A Dockerfile in docker/ built as `docker build -f docker/Dockerfile .`: from its own folder, app/run and busybox are not there. */
  function builtFromAbove(dir: string): { file: string; text: string } {
    mkdirSync(path.join(dir, 'docker'));
    mkdirSync(path.join(dir, 'app'));
    copyFileSync(BUSYBOX!, path.join(dir, 'busybox'));
    writeFileSync(path.join(dir, 'app', 'run'), '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
    const file = path.join(dir, 'docker', 'Dockerfile');
    const text = busyboxDockerfile('COPY app/run /usr/local/bin/run\nCMD ["/usr/local/bin/run"]\n');
    writeFileSync(file, text);
    return { file, text };
  }

  it('fix --verify: a Dockerfile the repository builds from the folder above is built and proven from there, and kept', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-repo-'));
    try {
      const { file, text } = builtFromAbove(dir);
      mkdirSync(path.join(dir, '.git'));
      mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
      writeFileSync(path.join(dir, '.github', 'workflows', 'ci.yml'), 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: docker build -f docker/Dockerfile -t app .\n');
      const r = await runCli(['fix', '--file', file, '--only', 'non-root-user:set-user', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], {
        timeoutMs: 600_000,
      });
      expect(r.stdout).toMatch(new RegExp(`verify: building the image before the change from ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.*ci\\.yml`));
      expect(r.stdout).toMatch(/verify: the changed image builds and stays up, runs as uid [1-9]/);
      expect(r.stdout).not.toMatch(/not kept/);
      expect(readFileSync(file, 'utf8')).not.toBe(text);
      expect(readFileSync(file, 'utf8')).toMatch(/^USER /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fix --verify of a Dockerfile whose FROM takes the build argument its CI build line writes out: built with it, and proven; one from a CI variable is not guessed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-ci-args-'));
    try {
      const base = await buildBusyboxImage(daemon, 'dh-verify-ci-base:1');
      mkdirSync(path.join(dir, '.git'));
      mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
      const file = path.join(dir, 'Dockerfile');
      const text = 'ARG BASE\nFROM ${BASE}\nCMD ["sleep", "600"]\n';
      writeFileSync(file, text);
      const workflow = (arg: string) => `on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: docker build --build-arg ${arg} -t app .\n`;
      const fix = () => runCli(['fix', '--file', file, '--only', 'non-root-user:set-user', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { timeoutMs: 600_000 });

      writeFileSync(path.join(dir, '.github', 'workflows', 'ci.yml'), workflow('BASE=${{ vars.BASE }}'));
      const unknown = await fix();
      expect(unknown.stdout).toMatch(/not kept: it could not be proven: the original Dockerfile's FROM at line 2 names \$BASE, which has no default, and --verify builds without build arguments/);
      expect(readFileSync(file, 'utf8')).toBe(text);

      writeFileSync(path.join(dir, '.github', 'workflows', 'ci.yml'), workflow(`BASE=${base}`));
      const known = await fix();
      expect(known.stdout).toMatch(/verify: building the image before the change from .* \(\.github\/workflows\/ci\.yml line 7 builds it with context \.\) with build arguments BASE/);
      expect(known.stdout).toMatch(/verify: the changed image builds and stays up, runs as uid 10001/);
      expect(readFileSync(file, 'utf8')).toMatch(/^USER 10001:10001$/m);
      expect(await leftByProofs()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fix --verify: a Dockerfile that does not build from its folder, with no repository to say where else, is not kept unproven, and the reason is shown line by line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-ctx-'));
    try {
      const { file, text } = builtFromAbove(dir);
      const r = await runCli(['fix', '--file', file, '--only', 'non-root-user:set-user', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], {
        timeoutMs: 600_000,
      });
      expect(r.stdout).toMatch(
        /not kept: it could not be proven: the original Dockerfile does not build from its own folder .*, and nothing in the repository says where else it is built from \(a CI build line, a compose file's build:, a Bake file\); the previous .*Dockerfile was restored\n +last lines of the build:\n/,
      );
      // The build's own lines follow, each on a line of its own: no newline shown as \x0a.
      expect(r.stdout).not.toContain('\\x0a');
      expect(r.stdout.split('\n').some((l) => /app\/run/.test(l) && !/not kept/.test(l))).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(r.exitCode).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  /**
   * `fix --only non-root-user:set-user --yes --verify` through the CLI on a BusyBox image with this
   * ENTRYPOINT; its output, exit code, and the Dockerfile before and after. A shell entrypoint makes
   * the USER line a review (the script may need root): named, it is applied and proven.
   */
  async function fixSetUser(entrypoint: string, options: string[] = []) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-cli-'));
    try {
      copyFileSync(BUSYBOX!, path.join(dir, 'busybox'));
      const file = path.join(dir, 'Dockerfile');
      const text = busyboxDockerfile(`ENTRYPOINT ${entrypoint}\n`);
      writeFileSync(file, text);
      const r = await runCli(['fix', '--file', file, '--only', 'non-root-user:set-user', '--yes', '--verify', ...options, '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], {
        timeoutMs: 600_000,
      });
      return { ...r, before: text, after: readFileSync(file, 'utf8') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('fix --verify through the CLI: the engine restores a Dockerfile whose image breaks', async () => {
    const r = await fixSetUser('["/bin/sh", "-c", "mkdir -p /var/run/app && exec sleep 600"]');
    expect(r.stdout).toMatch(/not kept: /);
    expect(r.after).toBe(r.before);
    expect(r.exitCode).toBe(1);
  }, 600_000);

  /**
   * fix --verify of every USER fix of an image whose start script app.sh (given) runs in its
   * root-owned /app; `beside`: files around it (a compose file that builds it), in a folder that is
   * no repository.
   */
  async function fixAppScript(script: string, check: (r: CliResult, file: string, text: string) => void | Promise<void>, beside: Record<string, string> = {}) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-app-'));
    try {
      copyFileSync(BUSYBOX!, path.join(dir, 'busybox'));
      writeFileSync(path.join(dir, 'app.sh'), script, { mode: 0o755 });
      for (const [name, content] of Object.entries(beside)) writeFileSync(path.join(dir, name), content);
      const file = path.join(dir, 'Dockerfile');
      const text = busyboxDockerfile('RUN mkdir -p /app\nWORKDIR /app\nCOPY app.sh .\nCMD ["./app.sh"]\n');
      writeFileSync(file, text);
      await check(await runCli(['fix', '--file', file, '--only', 'non-root-user', '--yes', '--include-review', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { timeoutMs: 600_000 }), file, text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('fix --verify: a USER change put back because the app writes its own folder makes way for the other way, which gives it the folder, and that is proven and kept', async () => {
    await fixAppScript('#!/bin/sh\nmkdir -p /app/data || exit 1\necho started > /app/data/log\nexec sleep 600\n', (r, file, text) => {
      expect(r.stdout).toMatch(/not kept: the container no longer stays up: it exited with code 1; the previous .*Dockerfile was restored\n.*\n +mkdir: can't create directory '\/app\/data': Permission denied/);
      expect(r.stdout).toMatch(/fix: Run the final stage as 10001:10001, owning \/app \(non-root-user:set-user-own-folder\)/);
      expect(r.stdout).toMatch(/verify: the changed image builds and stays up, runs as uid 10001/);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('fix: 1 fix applied, 1 put back (1 refused by its proof; why is above); no check fails or warns');
      expect(readFileSync(file, 'utf8')).toBe(text.replace('CMD', 'RUN chown -R 10001:10001 /app\nUSER 10001:10001\nCMD'));
      expect(r.exitCode).toBe(0);
    });
  }, 600_000);

  it('fix --verify --verify-wait: an app that writes its folder a few seconds after it starts is seen failing, and the file restored', async () => {
    // Up for four seconds before it writes: past the default three, inside the eight asked for.
    const r = await fixSetUser('["/bin/sh", "-c", "sleep 4 && mkdir -p /var/lib/app/data && exec sleep 600"]', ['--verify-wait', '8']);
    expect(r.stdout).toMatch(/not kept: .*no longer stays up: it exited with code 1/s);
    expect(r.after).toBe(r.before);
    expect(r.exitCode).toBe(1);
  }, 600_000);

  it('fix --verify of the CI job a Dockerfile gets: the CI file is not built as a Dockerfile, and the job is kept', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-ci-'));
    try {
      const gitlab = path.join(dir, '.gitlab-ci.yml');
      writeFileSync(gitlab, 'stages: [test]\ntest:\n  stage: test\n  script:\n    - make test\n');
      mkdirSync(path.join(dir, '.git'));
      const file = path.join(dir, 'Dockerfile');
      writeFileSync(file, busyboxDockerfile('CMD ["sleep", "600"]\n'));
      const r = await runCli(['fix', '--file', file, '--only', 'dependency-scanning:ci-gitlab', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], {
        timeoutMs: 300_000,
      });
      expect(r.stdout).not.toMatch(/not kept|building the image/);
      expect(r.stdout).toMatch(/verify: .*\.gitlab-ci\.yml is not the Dockerfile the image is built from, so no run proves it/);
      expect(readFileSync(gitlab, 'utf8')).toMatch(/trivy/);
      expect(readFileSync(gitlab, 'utf8')).toMatch(/^test:\n  stage: test/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('fix --verify of a compose file: each service runs as it was and as changed; read_only is kept on the one that works, put back on the one that writes its file system; the host folder is never written', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-compose-'));
    try {
      const image = await buildBusyboxImage(daemon, 'dh-verify-compose:busybox');
      mkdirSync(path.join(dir, 'site'));
      const compose = path.join(dir, 'compose.yaml');
      const text = [
        'services:',
        '  web:',
        `    image: ${image}`,
        '    command: ["sh", "-c", "echo hi > /www/index.html && exec httpd -f -p 8080 -h /www"]',
        '    volumes:',
        '      - ./site:/www',
        '  worker:',
        `    image: ${image}`,
        '    command: ["sh", "-c", "mkdir -p /var/lib/app && exec sleep 600"]',
        '',
      ].join('\n');
      writeFileSync(compose, text);
      const r = await runCli(
        ['fix', '--compose', compose, '--only', 'seccomp-apparmor-capabilities:web-read-only,seccomp-apparmor-capabilities:worker-read-only', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')],
        { timeoutMs: 600_000 },
      );
      expect(r.stdout).toMatch(/verify: service web: 1 host folder or named volume stands in as an empty volume/);
      expect(r.stdout).toMatch(/verify: service web stays up, runs as uid 0, listens on 8080/);
      expect(r.stdout).toMatch(/not kept: service worker: the container no longer stays up: it exited with code 1; the previous .*compose\.yaml was restored/);
      expect(r.stdout).toMatch(/Read-only file system/);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^fix: 1 fix applied, 1 put back \(1 refused by its proof; why is above\); 1 check still fails or warns/);
      const after = readFileSync(compose, 'utf8');
      expect(after.split('  worker:')[0]).toMatch(/read_only: true/);
      expect(after.split('  worker:')[1]).toBe(text.split('  worker:')[1]);
      expect(readdirSync(path.join(dir, 'site'))).toEqual([]);
      expect(r.exitCode).toBe(1);
      // Nothing of the runs is left on the daemon.
      expect(await leftByProofs()).toEqual([]);
      const volumes = await execa('docker', ['-H', daemon.host, 'volume', 'ls', '--quiet']);
      expect(volumes.stdout.trim()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fix --verify of a service that needs what it depends on: that starts first, on a network of the proof\'s own with no way out, so the change is proven; a dependency that is never healthy leaves it unproven', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-depends-'));
    try {
      const image = await buildBusyboxImage(daemon, 'dh-verify-compose:busybox');
      const compose = path.join(dir, 'compose.yaml');
      // The api gives up (exit 3) when it cannot reach db by its service name, as apps do.
      const api = (dependsOn: string) =>
        [
          '  api:',
          `    image: ${image}`,
          // BusyBox's nc: the wget of Debian's busybox-static crashes (SIGSEGV) when given a timeout (-T).
          '    command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo | nc db 5432 >/dev/null 2>&1 && exec sleep 600; sleep 1; done; echo no db; exit 3"]',
          dependsOn,
        ].join('\n');
      const db = (extra: string) => ['  db:', `    image: ${image}`, '    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 5432 -h /www"]', extra].join('\n');
      const text = `services:\n${db('    restart: always')}\n${api('    depends_on: [db]')}\n`;
      writeFileSync(compose, text);
      const fix = (only: string) =>
        runCli(['fix', '--compose', compose, '--only', only, '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { timeoutMs: 600_000 });
      const r = await fix('seccomp-apparmor-capabilities:api-read-only');
      expect(r.stdout).toMatch(/verify: service api: starting db first \(depends_on, links\), on a network of the proof's own with no way out/);
      expect(r.stdout).toMatch(/verify: service api stays up, runs as uid 0/);
      expect(readFileSync(compose, 'utf8').split('  api:')[1]).toMatch(/read_only: true/);
      expect(r.exitCode).toBe(1);

      // depends_on waits for db to be healthy, and it never is here: nothing is proven, nothing kept.
      const unhealthy = `services:\n${db('    healthcheck:\n      test: ["CMD", "false"]\n      interval: 1s\n      retries: 1')}\n${api('    depends_on:\n      db:\n        condition: service_healthy')}\n`;
      writeFileSync(compose, unhealthy);
      const again = await fix('seccomp-apparmor-capabilities:api-read-only');
      expect(again.stdout).toMatch(/not kept: it could not be proven: service db, which api depends on, is unhealthy here, and depends_on waits for it to be healthy/);
      expect(readFileSync(compose, 'utf8')).toBe(unhealthy);

      // The host's firewall set up anew as the proof makes its network (another daemon starting, a
      // firewalld reload): dockerd refuses once, as it does then, and the network is made a second later.
      // A docker first on PATH replays that refusal for the first network it is asked to make.
      const bin = path.join(dir, 'bin');
      mkdirSync(bin);
      const refusal = "Error response from daemon: unable to insert jump to DOCKER-ISOLATION-STAGE-1 rule in FORWARD chain:  (iptables failed: iptables --wait -I FORWARD -j DOCKER-ISOLATION-STAGE-1: iptables v1.8.9 (nf_tables): Chain 'DOCKER-ISOLATION-STAGE-1' does not exist\nTry `iptables -h' or 'iptables --help' for more information.\n (exit status 2))";
      const realDocker = (await execa('sh', ['-c', 'command -v docker'])).stdout.trim();
      writeFileSync(
        path.join(bin, 'docker'),
        `#!/bin/sh\nif [ "$3 $4" = "network create" ] && [ ! -e '${path.join(dir, 'refused')}' ]; then\n  : > '${path.join(dir, 'refused')}'\n  printf '%s\\n' "${refusal.replace(/[`"$\\]/g, '\\$&')}" >&2\n  exit 1\nfi\nexec '${realDocker}' "$@"\n`,
        { mode: 0o755 },
      );
      writeFileSync(compose, text);
      const firewall = await runCli(['fix', '--compose', compose, '--only', 'seccomp-apparmor-capabilities:api-read-only', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { timeoutMs: 600_000, env: { PATH: `${bin}:${process.env.PATH}` } });
      expect(existsSync(path.join(dir, 'refused'))).toBe(true);
      expect(firewall.stdout).toMatch(/verify: the daemon could not make the proof's network while the host's firewall was being set up again \(.*Chain 'DOCKER-ISOLATION-STAGE-1' does not exist.*\); trying again/);
      expect(firewall.stdout).toMatch(/verify: service api stays up, runs as uid 0/);
      expect(readFileSync(compose, 'utf8').split('  api:')[1]).toMatch(/read_only: true/);

      // Nothing of the proofs is left: no container, no network.
      expect(await leftByProofs()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fix --verify of a service built from build:: built once for all the fixes of the run, and removed when the run ends', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-built-'));
    try {
      copyFileSync(BUSYBOX!, path.join(dir, 'busybox'));
      writeFileSync(path.join(dir, 'Dockerfile'), busyboxDockerfile('CMD ["sleep", "600"]\n'));
      const compose = path.join(dir, 'compose.yaml');
      writeFileSync(compose, 'services:\n  app:\n    build: .\n');
      const r = await runCli(['fix', '--compose', compose, '--yes', '--include-review', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { timeoutMs: 600_000 });
      expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^fix: 3 fixes applied/);
      expect(r.stdout.match(/verify: building the image of service app/g)).toHaveLength(1);
      expect(r.stdout.match(/verify: running service app as changed/g)).toHaveLength(3);
      expect(await leftByProofs()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fix --verify of a Dockerfile a compose service builds: proven as that service runs it, after what it depends on; a USER change that breaks the app once its database answers is refused, and the way that gives it its folder kept', async () => {
    const image = await buildBusyboxImage(daemon, 'dh-verify-compose:busybox');
    const compose = `services:\n  db:\n    image: ${image}\n    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 5432 -h /www"]\n  app:\n    build: .\n    depends_on: [db]\n`;
    // Waits for db as apps do (up, asleep, all the while), then writes its own folder.
    const script = '#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8; do echo | nc db 5432 >/dev/null 2>&1 && break; sleep 1; done\nmkdir -p /app/data || exit 1\nexec sleep 600\n';
    await fixAppScript(
      script,
      async (r, file, text) => {
        expect(r.stdout).toMatch(/verify: proving it as service app of compose\.yaml runs it/);
        expect(r.stdout).toMatch(/verify: service app: starting db first \(depends_on, links\)/);
        // Alone (network none) it would have been "up" in its wait for db: with db, it gets to its write.
        expect(r.stdout).toMatch(/not kept: service app: the container no longer stays up: it exited with code 1; .*\n.*\n +mkdir: can't create directory '\/app\/data': Permission denied/);
        expect(r.stdout).toMatch(/verify: service app stays up, runs as uid 10001/);
        expect(readFileSync(file, 'utf8')).toBe(text.replace('CMD', 'RUN chown -R 10001:10001 /app\nUSER 10001:10001\nCMD'));
        expect(r.exitCode).toBe(0);
        expect(await leftByProofs()).toEqual([]);
      },
      { 'compose.yaml': compose },
    );
  }, 600_000);

  it('fix --verify of a Dockerfile whose compose service cannot be run here (what it depends on is never healthy) or is not to be (it mounts the Docker socket): proven as the image alone, as without a compose file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-as-service-unproven-'));
    try {
      const image = await buildBusyboxImage(daemon, 'dh-verify-compose:busybox');
      mkdirSync(path.join(dir, '.git'));
      copyFileSync(BUSYBOX!, path.join(dir, 'busybox'));
      const file = path.join(dir, 'Dockerfile');
      const text = busyboxDockerfile('CMD ["sleep", "600"]\n');
      writeFileSync(file, text);
      const verifiedSetUser = () => runCli(['fix', '--file', file, '--only', 'non-root-user:set-user', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { timeoutMs: 600_000 });
      writeFileSync(path.join(dir, 'compose.yaml'), `services:\n  db:\n    image: ${image}\n    command: ["sleep", "600"]\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 1s\n      retries: 1\n  app:\n    build: .\n    depends_on:\n      db:\n        condition: service_healthy\n`);
      const r = await verifiedSetUser();
      expect(r.stdout).toMatch(/verify: as service app: it could not be proven: service db, which app depends on, is unhealthy here, and depends_on waits for it to be healthy; proving the image alone/);
      expect(r.stdout).toMatch(/verify: the changed image builds and stays up, runs as uid 10001/);
      expect(readFileSync(file, 'utf8')).toMatch(/^USER 10001:10001$/m);

      // A service (or what it depends on) that turns Docker's defaults off is not run to prove a Dockerfile.
      writeFileSync(file, text);
      writeFileSync(path.join(dir, 'compose.yaml'), `services:\n  agent:\n    image: ${image}\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n  app:\n    build: .\n    depends_on: [agent]\n`);
      const again = await verifiedSetUser();
      expect(again.stdout).toMatch(/verify: service app of compose\.yaml builds it, but service agent has the Docker socket mounted \(\/var\/run\/docker\.sock, read-only, which does not limit the API\): proving the image alone/);
      expect(again.stdout).not.toMatch(/starting agent first/);
      expect(readFileSync(file, 'utf8')).toMatch(/^USER 10001:10001$/m);

      // The same socket, set in the override compose reads with the file: the service as compose runs it has it.
      writeFileSync(file, text);
      writeFileSync(path.join(dir, 'compose.yaml'), `services:\n  agent:\n    image: ${image}\n    command: ["sleep", "600"]\n  app:\n    build: .\n    depends_on: [agent]\n`);
      writeFileSync(path.join(dir, 'compose.override.yaml'), 'services:\n  agent:\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n');
      const overridden = await verifiedSetUser();
      expect(overridden.stdout).toMatch(/verify: service app of compose\.yaml builds it, but service agent has the Docker socket mounted \(\/var\/run\/docker\.sock\): proving the image alone/);
      expect(overridden.stdout).not.toMatch(/starting agent first/);

      // A service that names its own user runs as that user whatever USER the image sets: the USER change is proven on the image alone.
      writeFileSync(file, text);
      rmSync(path.join(dir, 'compose.override.yaml'));
      writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  app:\n    build: .\n    user: "1000"\n');
      const ownUser = await verifiedSetUser();
      expect(ownUser.stdout).toMatch(/verify: service app of compose\.yaml builds it, but runs it as 1000 \(its user:\) in place of the image's USER: proving the image alone, whose USER changed/);
      expect(ownUser.stdout).toMatch(/verify: the changed image builds and stays up, runs as uid 10001/);
      expect(ownUser.stdout).not.toMatch(/runs as uid 1000\b/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fix --verify of a HEALTHCHECK for a Dockerfile whose compose service turns health checks off: proven as the image alone, where the new check runs; a broken one is refused. With its own test, nothing is proposed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-own-healthcheck-'));
    try {
      await buildBusyboxImage(daemon, 'busybox:1.36');
      mkdirSync(path.join(dir, '.git'));
      const file = path.join(dir, 'Dockerfile');
      // BusyBox httpd serving an empty folder answers 404 at /: a probe of / fails.
      const text = 'FROM busybox:1.36\nRUN mkdir /www\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n';
      writeFileSync(file, text);
      const compose = (healthcheck: string) => `services:\n  web:\n    build: .\n    healthcheck:\n${healthcheck}`;
      const fix = () => runCli(['fix', '--file', file, '--only', 'healthcheck:add-healthcheck', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { timeoutMs: 600_000 });

      // The service's own test runs where compose starts it, in place of any the image has: the step passes.
      writeFileSync(path.join(dir, 'compose.yaml'), compose('      test: ["CMD", "true"]\n      interval: 1s\n'));
      const replaced = await fix();
      expect(replaced.stdout).not.toMatch(/verify:/);
      expect(replaced.exitCode).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(text);

      // Health checks turned off there would hide the new HEALTHCHECK's failure.
      writeFileSync(path.join(dir, 'compose.yaml'), compose('      disable: true\n'));
      const off = await fix();
      expect(off.stdout).toMatch(/verify: service web of compose\.yaml builds it, but turns its HEALTHCHECK off: proving the image alone, whose HEALTHCHECK changed/);
      expect(off.stdout).toMatch(/not kept: the HEALTHCHECK reports unhealthy \(the original had none\)/);
      expect(readFileSync(file, 'utf8')).toBe(text);

      // One that sets only the timing runs the image's test, at its pace: proven as the service, and refused as fast.
      writeFileSync(path.join(dir, 'compose.yaml'), compose('      interval: 1s\n'));
      const timed = await fix();
      expect(timed.stdout).toMatch(/verify: proving it as service web of compose\.yaml runs it/);
      expect(timed.stdout).toMatch(/not kept: service web: the HEALTHCHECK reports unhealthy \(the original had none\)/);
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(await leftByProofs()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fix --verify: a USER change left unproven (the original fails here too) does not make way for its alternative, which would be unproven alike; each stream\'s last log line is a line of its own', async () => {
    await fixAppScript('#!/bin/sh\necho no config\necho giving up >&2\nexit 3\n', (r, file, text) => {
      expect(r.stdout).toMatch(/not kept: it could not be proven: the original image exits with code 3 here/);
      expect(r.stdout).toMatch(/last lines of the original container:\n +no config\n +giving up\n/);
      expect(r.stdout).not.toMatch(/set-user-own-folder/);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^fix: nothing applied, 1 put back \(1 could not be proven here; why is above\); 1 check still fails or warns/);
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(r.exitCode).toBe(1);
    });
  }, 600_000);

  it('Ctrl-C during a proof: the proof no longer counts, so the change is put back; no next fix begins; the run stops (130) leaving no container, network or built image', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-sigint-'));
    const docker = async (...args: string[]) => (await execa('docker', ['-H', daemon.host, ...args])).stdout.trim();
    try {
      copyFileSync(BUSYBOX!, path.join(dir, 'busybox'));
      writeFileSync(path.join(dir, 'Dockerfile'), busyboxDockerfile('CMD ["sleep", "600"]\n'));
      const compose = path.join(dir, 'compose.yaml');
      const text = 'services:\n  app:\n    build: .\n';
      writeFileSync(compose, text);
      const [containers, networks] = [await docker('ps', '-aq'), await docker('network', 'ls', '-q')];
      // Its own process group, as a shell gives a foreground job: Ctrl-C reaches the docker commands of the proof too.
      const child = execa(process.execPath, [binPath, 'fix', '--compose', compose, '--yes', '--include-review', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], {
        reject: false,
        env: { NO_COLOR: '1' },
        stdin: 'ignore',
        detached: true,
        timeout: 600_000,
      });
      let out = '';
      let sent = false;
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        // The first proof has built its image and runs the service as changed: in the middle of it.
        if (!sent && out.includes('verify: running service app as changed')) {
          sent = true;
          process.kill(-child.pid!, 'SIGINT');
        }
      });
      const r = await child;
      expect(sent).toBe(true);
      expect(r.exitCode, `${out}\n${r.stderr}`).toBe(130);
      expect(r.stderr).toContain('SIGINT received: finishing the change in progress (health check, roll back if needed, record), then stopping');
      expect(out).toMatch(/not kept: it could not be proven: SIGINT came during the proof, which stopped it; the previous .*compose\.yaml was restored/);
      // The fix under proof was the last: no other was shown, written or run.
      expect(out.match(/^ {4}fix: /gm)).toHaveLength(1);
      expect(out.match(/verify: running service app as changed/g)).toHaveLength(1);
      expect(readFileSync(compose, 'utf8')).toBe(text);
      expect(await docker('ps', '-aq')).toBe(containers);
      expect(await docker('network', 'ls', '-q')).toBe(networks);
      expect(await leftByProofs()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fix --verify of a compose file that docker compose reads with an override: proven as compose runs it, with the override\'s command', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-override-'));
    await buildBusyboxImage(daemon, 'dh-verify-compose:busybox');
    try {
      const compose = path.join(dir, 'compose.yaml');
      // Alone, this file's service only sleeps, and read_only would hold; the override's command writes /var/lib/app.
      const text = 'services:\n  web:\n    image: dh-verify-compose:busybox\n    command: ["sleep", "600"]\n';
      writeFileSync(compose, text);
      writeFileSync(path.join(dir, 'compose.override.yaml'), 'services:\n  web:\n    command: ["sh", "-c", "mkdir -p /var/lib/app && exec sleep 600"]\n');
      const r = await runCli(['fix', '--compose', compose, '--only', 'seccomp-apparmor-capabilities:web-read-only', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], {
        timeoutMs: 300_000,
      });
      expect(r.stdout).toContain('verify: running the services as docker compose runs them, with compose.override.yaml');
      expect(r.stdout).toMatch(/not kept: service web: the container no longer stays up: it exited with code 1/);
      expect(r.stdout).toMatch(/mkdir: can't create directory '\/var[^']*': Read-only file system/);
      expect(readFileSync(compose, 'utf8')).toBe(text);
      expect(await leftByProofs()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('the wizard with --verify: a compose change that breaks the service is shown not kept, with why, and the file stays as it was', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-wizard-'));
    const image = await buildBusyboxImage(daemon, 'dh-verify-wizard:busybox');
    const compose = path.join(dir, 'compose.yaml');
    const text = `services:\n  worker:\n    image: ${image}\n    command: ["sh", "-c", "mkdir -p /var/lib/app && exec sleep 600"]\n`;
    writeFileSync(compose, text);
    const run = spawnCli(['--compose', compose, '--only', 'seccomp-apparmor-capabilities', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { cwd: dir, cols: 240 });
    try {
      await run.waitFor('❯ Apply');
      // The third fix of the step: read_only.
      await run.press(KEY.right, KEY.right);
      await run.waitFor(/\+\s+read_only: true/);
      await run.press('a');
      await run.waitFor('Apply this change?');
      await run.press('y');
      await run.waitFor(/not kept: service worker: the container no longer stays up/, 120_000);
      await run.waitFor(/last lines of the changed container:\s+mkdir: can't create directory '\/var\/': Read-only file system/);
      expect(run.text()).toMatch(/verify: running service worker as changed \(network none\)/);
      await run.press('q');
      await run.waitFor(/Progress is saved|Nothing was applied/);
      await Promise.race([run.exited, new Promise((r) => setTimeout(r, 15_000))]);
      expect(readFileSync(compose, 'utf8')).toBe(text);
    } finally {
      run.kill();
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }, 300_000);

  it('the wizard with --verify: a USER change its proof refuses is put back, and the way that gives the app its folder is shown next; applied, it is proven and kept', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-wizard-alt-'));
    copyFileSync(BUSYBOX!, path.join(dir, 'busybox'));
    writeFileSync(path.join(dir, 'app.sh'), '#!/bin/sh\nmkdir -p /app/data || exit 1\nexec sleep 600\n', { mode: 0o755 });
    const file = path.join(dir, 'Dockerfile');
    const text = busyboxDockerfile('RUN mkdir -p /app\nWORKDIR /app\nCOPY app.sh .\nCMD ["./app.sh"]\n');
    writeFileSync(file, text);
    const run = spawnCli(['--file', file, '--only', 'non-root-user', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { cwd: dir, cols: 240 });
    try {
      await run.waitFor('❯ Apply');
      await run.press('a');
      await run.waitFor('Apply this change?');
      await run.press('y');
      await run.waitFor(/Another way is shown: Run the final stage as 10001:10001, owning \/app\./, 120_000);
      await run.waitFor(/\+RUN chown -R 10001:10001 \/app/);
      await run.press('a');
      await run.waitFor('Apply this change?');
      await run.press('y');
      await run.waitFor(/applied; the check now passes/, 120_000);
      expect(readFileSync(file, 'utf8')).toBe(text.replace('CMD', 'RUN chown -R 10001:10001 /app\nUSER 10001:10001\nCMD'));
      await quitWizard(run);
    } finally {
      run.kill();
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }, 300_000);

  it('a compose service built from a stage with build arguments is proven as compose builds it (target, args from the file and .env): a Dockerfile fix too', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-target-'));
    try {
      const base = await buildBusyboxImage(daemon, 'dh-verify-target-base:1');
      // The last stage never starts, and without BASE nothing builds: only the stage compose names, with its argument, runs.
      const dockerfile = 'ARG BASE\nFROM ${BASE} AS app\nCMD ["sleep", "600"]\nFROM scratch AS other\nCMD ["/no/such/program"]\n';
      writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
      writeFileSync(path.join(dir, '.env'), `BASE_IMAGE=${base}\n`);
      const file = path.join(dir, 'compose.yaml');
      const compose = 'services:\n  app:\n    build:\n      context: .\n      target: app\n      args:\n        BASE: ${BASE_IMAGE}\n';
      writeFileSync(file, compose);
      const lines: string[] = [];
      const outcome = await verifyComposeChange({ host: daemon.host, file, before: compose, after: `${compose}    read_only: true\n`, settleMs: 2_000, timeoutMs: 300_000, log: (l) => lines.push(l) });
      expect(outcome).toMatchObject({ ok: true, reason: 'service app stays up, runs as uid 0' });
      expect(lines).toContain(`verify: building the image of service app from ${dir} (stage app; build arguments BASE)`);

      // A Dockerfile fix proven as that service: both images built from its stage, with its argument.
      const changed = dockerfile.replace('CMD ["sleep", "600"]', 'USER 10001:10001\nCMD ["sleep", "600"]');
      lines.length = 0;
      const asService = await verifyDockerfileAsService({ host: daemon.host, before: dockerfile, after: changed, contextDir: dir, composeFile: file, service: 'app', settleMs: 2_000, timeoutMs: 300_000, log: (l) => lines.push(l) });
      expect(asService).toMatchObject({ ok: true, reason: 'service app stays up, runs as uid 10001' });
      expect(lines).toContain(`verify: building the image before the change for service app of ${file} (stage app; build arguments BASE)`);

      // A fix to the last stage, where the service builds an earlier one: its run would not change, so the image alone proves it.
      const repo = path.join(dir, 'repo');
      mkdirSync(path.join(repo, '.git'), { recursive: true });
      copyFileSync(BUSYBOX!, path.join(repo, 'busybox'));
      const staged = `${busyboxDockerfile('CMD ["sleep", "600"]\n').replace('FROM scratch', 'FROM scratch AS app')}FROM app\n`;
      writeFileSync(path.join(repo, 'Dockerfile'), staged);
      writeFileSync(path.join(repo, 'compose.yaml'), 'services:\n  app:\n    build:\n      context: .\n      target: app\n');
      const r = await runCli(['fix', '--file', path.join(repo, 'Dockerfile'), '--only', 'non-root-user:set-user', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { timeoutMs: 600_000 });
      expect(r.stdout).toMatch(/verify: service app of compose\.yaml builds its stage app, which the change leaves as it was: proving the image alone/);
      expect(r.stdout).toMatch(/verify: the changed image builds and stays up, runs as uid 10001/);
      expect(readFileSync(path.join(repo, 'Dockerfile'), 'utf8')).toBe(`${staged}USER 10001:10001\n`);

      // Proven as the image alone (the service runs its own user:), it is still built with the service's build arguments.
      const own = path.join(dir, 'own-user');
      mkdirSync(path.join(own, '.git'), { recursive: true });
      const argued = 'ARG BASE\nFROM ${BASE}\nCMD ["sleep", "600"]\n';
      writeFileSync(path.join(own, 'Dockerfile'), argued);
      writeFileSync(path.join(own, 'compose.yaml'), `services:\n  app:\n    build:\n      context: .\n      args:\n        BASE: ${base}\n    user: "1000"\n`);
      const alone = await runCli(['fix', '--file', path.join(own, 'Dockerfile'), '--only', 'non-root-user:set-user', '--yes', '--verify', '--docker-host', daemon.host, '--state-dir', path.join(dir, 'state')], { timeoutMs: 600_000 });
      expect(alone.stdout).toMatch(/verify: service app of compose\.yaml builds it, but runs it as 1000 \(its user:\) in place of the image's USER: proving the image alone/);
      expect(alone.stdout).toMatch(/verify: the changed image builds and stays up, runs as uid 10001/);
      expect(readFileSync(path.join(own, 'Dockerfile'), 'utf8')).toMatch(/^USER 10001:10001$/m);
      expect(await leftByProofs()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('a compose service that reads its secret file at start is given it, read-only, where compose mounts it: the change is proven, not left unproven', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-secret-'));
    try {
      const image = await buildBusyboxImage(daemon, 'dh-verify-secret:1');
      writeFileSync(path.join(dir, 'token.txt'), 'not-so-secret\n');
      const file = path.join(dir, 'compose.yaml');
      const compose = `services:\n  app:\n    image: ${image}\n    command: ["sh", "-c", "grep -q not-so-secret /run/secrets/token && exec sleep 600"]\n    secrets: [token]\nsecrets:\n  token:\n    file: ./token.txt\n`;
      writeFileSync(file, compose);
      const outcome = await verifyComposeChange({ host: daemon.host, file, before: compose, after: compose.replace('    secrets: [token]\n', '    secrets: [token]\n    read_only: true\n'), settleMs: 2_000, timeoutMs: 300_000 });
      expect(outcome).toMatchObject({ ok: true, reason: 'service app stays up, runs as uid 0' });
      expect(readFileSync(path.join(dir, 'token.txt'), 'utf8')).toBe('not-so-secret\n');
      expect(await leftByProofs()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('--verify with the host among the targets says, before anything, that host changes are applied unproven: fix and the wizard', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-host-'));
    const notice = /--verify proves Dockerfile and compose changes: the changes to .+ are applied without it, checked as fix always checks them/;
    const options = ['--host', '--only', 'security-platforms', '--verify', '--docker-host', daemon.host, '--daemon-config', daemon.configPath, '--state-dir', path.join(dir, 'state')];
    const fix = await runCli(['fix', '--yes', ...options], { timeoutMs: 120_000 });
    expect(fix.stdout.split('\n')[0]).toMatch(notice);
    const run = spawnCli(options, { cwd: dir, cols: 240 });
    try {
      const first = await run.waitFor('❯');
      expect(first).toMatch(notice);
      await quitWizard(run);
    } finally {
      run.kill();
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }, 300_000);

  it('a compose change is proven with the image each side names, built from build: once, never pulled; a healthcheck is waited for; what the previous proof ran is not run again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-images-'));
    try {
      const up = await buildBusyboxImage(daemon, 'dh-verify-up:1', busyboxDockerfile('CMD ["sleep", "600"]\n'));
      const down = await buildBusyboxImage(daemon, 'dh-verify-down:1', busyboxDockerfile('CMD ["false"]\n'));
      const file = path.join(dir, 'compose.yaml');
      const lines: string[] = [];
      const verifyCompose = (before: string, after: string) => verifyComposeChange({ host: daemon.host, file, before, after, settleMs: 2_000, timeoutMs: 120_000, log: (l) => lines.push(l) });

      // The change names another image (as a digest pin does): the run after it uses that one.
      const other = await verifyCompose(`services:\n  app:\n    image: ${up}\n`, `services:\n  app:\n    image: ${down}\n`);
      expect(other).toMatchObject({ ok: false });
      expect(other.reason).toMatch(/^service app: the container no longer stays up: it exited with code 1/);

      // No image of its own: built from its folder, once for both runs.
      copyFileSync(BUSYBOX!, path.join(dir, 'busybox'));
      writeFileSync(path.join(dir, 'Dockerfile'), busyboxDockerfile('CMD ["sh", "-c", "mkdir -p /var/lib/app && exec sleep 600"]\n'));
      lines.length = 0;
      const built = await verifyCompose('services:\n  app:\n    build: .\n', 'services:\n  app:\n    build: .\n    read_only: true\n');
      expect(built.reason).toMatch(/^service app: the container no longer stays up/);
      expect(lines.filter((l) => l.startsWith('verify: building the image of service app from')).length).toBe(1);

      // Built again by the next proof of the run (each removes its image), the service as the
      // previous fix left it is still not run again: the same folder and Dockerfile make the same image.
      {
        const seen = new Map();
        const texts = ['services:\n  app:\n    build: .\n', 'services:\n  app:\n    build: .\n    cap_drop: [ALL]\n', 'services:\n  app:\n    build: .\n    cap_drop: [ALL]\n    security_opt: ["no-new-privileges:true"]\n'];
        lines.length = 0;
        for (let i = 1; i < texts.length; i++) {
          expect(await verifyComposeChange({ host: daemon.host, file, before: texts[i - 1]!, after: texts[i]!, settleMs: 2_000, timeoutMs: 120_000, seen, log: (l) => lines.push(l) })).toMatchObject({ ok: true });
        }
        expect(lines.filter((l) => l.startsWith('verify: running service app'))).toEqual(['verify: running service app as it was (network none)', 'verify: running service app as changed (network none)', 'verify: running service app as changed (network none)']);
      }

      // An image the daemon does not have is not pulled: nothing is proven.
      const absent = await verifyCompose('services:\n  app:\n    image: dh-verify-absent:1\n', 'services:\n  app:\n    image: dh-verify-absent:1\n    read_only: true\n');
      expect(absent).toMatchObject({ ok: false, unproven: true });
      expect(absent.reason).toMatch(/the image of service app, dh-verify-absent:1, is not on this Docker daemon, and --verify does not pull/);

      // A healthcheck of the service's own is waited for until it settles, and compared.
      const probe = 'services:\n  app:\n    image: UP\n    healthcheck:\n      test: ["CMD", "touch", "/probe"]\n      interval: 1s\n      retries: 1\n'.replace('UP', up);
      const unhealthy = await verifyComposeChange({ host: daemon.host, file, before: probe, after: `${probe}    read_only: true\n`, settleMs: 2_000, timeoutMs: 600_000 });
      expect(unhealthy).toMatchObject({ ok: false });
      expect(unhealthy.reason).toMatch(/^service app: the HEALTHCHECK reports unhealthy where the original was healthy/);
      const healthy = await verifyComposeChange({ host: daemon.host, file, before: probe, after: `${probe}    security_opt: ["no-new-privileges:true"]\n`, settleMs: 2_000, timeoutMs: 600_000 });
      expect(healthy).toMatchObject({ ok: true, reason: 'service app stays up (healthy), runs as uid 0' });

      // Two fixes of one run: the service as the first left it is not run again as the second's "before".
      const seen = new Map();
      const steps = [probe, `${probe}    security_opt: ["no-new-privileges:true"]\n`, `${probe}    security_opt: ["no-new-privileges:true"]\n    cap_drop: [ALL]\n`];
      lines.length = 0;
      expect(await verifyComposeChange({ host: daemon.host, file, before: steps[0]!, after: steps[1]!, settleMs: 2_000, timeoutMs: 600_000, seen, log: (l) => lines.push(l) })).toMatchObject({ ok: true });
      expect(await verifyComposeChange({ host: daemon.host, file, before: steps[1]!, after: steps[2]!, settleMs: 2_000, timeoutMs: 600_000, seen, log: (l) => lines.push(l) })).toMatchObject({ ok: true });
      expect(lines.filter((l) => l.startsWith('verify: running service app'))).toEqual([
        'verify: running service app as it was (network none)',
        'verify: running service app as changed (network none)',
        'verify: running service app as changed (network none)',
      ]);
      expect(lines).toContain('verify: service app as it was: as the previous proof saw it');

      // A service that fails here as it was is run once: the next fix's proof is judged from what the first saw.
      const failing = `services:\n  app:\n    image: ${down}\n`;
      lines.length = 0;
      for (const change of ['    read_only: true\n', '    cap_drop: [ALL]\n']) {
        expect(await verifyComposeChange({ host: daemon.host, file, before: failing, after: `${failing}${change}`, settleMs: 2_000, timeoutMs: 600_000, seen, log: (l) => lines.push(l) })).toMatchObject({
          ok: false,
          unproven: true,
          reason: expect.stringMatching(/could not be proven: service app as it was exits with code 1 here/),
        });
      }
      expect(lines.filter((l) => l.startsWith('verify: running service app'))).toEqual(['verify: running service app as it was (network none)']);

      // One whose container cannot even be made: said as docker said it, on one line, without its --help hint.
      const missing = `services:\n  app:\n    image: ${up}\n    command: ["/no/such/program"]\n`;
      const refused = await verifyComposeChange({ host: daemon.host, file, before: missing, after: `${missing}    read_only: true\n`, settleMs: 2_000, timeoutMs: 600_000 });
      expect(refused).toMatchObject({ ok: false, unproven: true, reason: expect.stringMatching(/^it could not be proven: service app as it was did not start: docker: Error response from daemon: .*no such file or directory/) });
      expect(refused.reason).not.toMatch(/--help|\n/);

      // Nothing changed in how any service runs: nothing to run.
      expect(await verifyCompose(`services:\n  app:\n    image: ${up}\n`, `# a comment\nservices:\n  app:\n    image: ${up}\n`)).toMatchObject({ ok: true, reason: 'no service runs differently' });
      expect(await leftByProofs()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fix --verify without a daemon: exit 2, nothing changed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-verify-none-'));
    try {
      const file = path.join(dir, 'Dockerfile');
      writeFileSync(file, 'FROM alpine:3.20\nCMD ["sleep", "600"]\n');
      const host = `unix://${path.join(dir, 'absent.sock')}`;
      expect(await daemonUnreachable(host)).not.toBeNull();
      const r = await runCli(['fix', '--file', file, '--yes', '--verify', '--docker-host', host, '--state-dir', path.join(dir, 'state')]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/--verify needs a Docker daemon/);
      expect(readFileSync(file, 'utf8')).toBe('FROM alpine:3.20\nCMD ["sleep", "600"]\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
