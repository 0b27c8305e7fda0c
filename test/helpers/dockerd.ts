/**
 * A real dockerd for tests, in its own temp dir: its own --data-root, --exec-root, --pidfile,
 * socket and --config-file, "bridge": "none". Images are built FROM scratch with busybox-static.
 * Without dockerd on the machine these tests are skipped with a reason, unless
 * DOCKER_HARDEN_REQUIRE_DOCKERD=1 (set by .ci/run), where they fail instead.
 */
import { execa } from 'execa';
import { existsSync, mkdtempSync, promises as fs, readFileSync, rmSync, writeFileSync, chmodSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

/** Why real-daemon tests cannot run here, or null when they can. */
export function dockerdUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'real-daemon tests need root';
  for (const bin of ['/usr/sbin/dockerd', '/usr/bin/dockerd']) if (existsSync(bin)) return BUSYBOX ? null : 'busybox-static is not installed (apt-get install busybox-static)';
  return 'dockerd is not installed (apt-get install docker.io)';
}

const reason = dockerdUnavailableReason();
if (reason && process.env.DOCKER_HARDEN_REQUIRE_DOCKERD === '1') {
  throw new Error(`DOCKER_HARDEN_REQUIRE_DOCKERD=1 but ${reason}`);
}
/** For `describe.skipIf(!hasDockerd)`: the reason is printed once, so a skip is never silent. */
export const hasDockerd = reason === null;
if (reason) console.warn(`[docker-harden tests] real-daemon tests skipped: ${reason}`);

/** Held while a test daemon starts (see the restart script). */
const START_LOCK = path.join(os.tmpdir(), 'docker-harden-test-dockerd.lock');

export interface TestDaemon {
  dir: string;
  socket: string;
  /** unix:///... for DOCKER_HOST */
  host: string;
  configPath: string;
  pidFile: string;
  /** argv used to start dockerd (without the binary). */
  flags: string[];
  /** A script that restarts this daemon, for --restart-command. */
  restartScript: string;
  env: Record<string, string>;
  pid(): number | null;
  docker(args: string[], options?: { input?: string; reject?: boolean }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

export interface DaemonSpec {
  /** daemon.json content: an object (written as JSON) or raw text. Default {"bridge":"none"}. */
  config?: Record<string, unknown> | string;
  /** Extra dockerd flags, e.g. ['-H', 'tcp://127.0.0.1:23750']. */
  extraFlags?: string[];
  /**
   * Listen on these hosts as set in daemon.json: `"hosts": ["unix://<socket>", ...hostsInConfig]`
   * and no -H flag (dockerd refuses a key given both ways). `config` must then be an object.
   */
  hostsInConfig?: string[];
  /** Seconds to wait for the daemon to answer. */
  timeout?: number;
}

async function waitReady(socket: string, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await execa('docker', ['-H', `unix://${socket}`, 'info', '--format', '{{.ServerVersion}}'], { reject: false, timeout: 5000 });
    if (r.exitCode === 0) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`test dockerd did not answer within ${timeoutMs} ms:\n${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : ''}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startDockerd(spec: DaemonSpec = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-d-'));
  const socket = path.join(dir, 'docker.sock');
  const configPath = path.join(dir, 'daemon.json');
  const pidFile = path.join(dir, 'dockerd.pid');
  const logFile = path.join(dir, 'dockerd.log');
  let config = spec.config ?? { bridge: 'none' };
  if (spec.hostsInConfig) {
    if (typeof config === 'string') throw new Error('hostsInConfig needs config as an object');
    config = { ...config, hosts: [`unix://${socket}`, ...spec.hostsInConfig] };
  }
  writeFileSync(configPath, typeof config === 'string' ? config : JSON.stringify(config, null, 2) + '\n');
  const flags = [
    '--data-root', path.join(dir, 'data'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', pidFile,
    ...(spec.hostsInConfig ? [] : ['-H', `unix://${socket}`]),
    '--config-file', configPath,
    ...(spec.extraFlags ?? []),
  ];
  const dockerd = existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : '/usr/bin/dockerd';
  // The restart script stops the daemon by its pid file and starts it again with the same flags,
  // detached, as a service manager would.
  const restartScript = path.join(dir, 'restart.sh');
  const quoted = [dockerd, ...flags].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(
    restartScript,
    `#!/bin/sh
# Test daemons share the host's iptables: two dockerd setting up their chains at once break each
# other, so starts are taken one at a time (a lock across test processes), until this one answers
# or its process exits. The daemon itself must not inherit the lock (9>&-).
exec 9>>'${START_LOCK}'
flock -w 180 9
if [ -f '${pidFile}' ]; then
  pid=$(cat '${pidFile}')
  kill "$pid" 2>/dev/null
  i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done
  kill -9 "$pid" 2>/dev/null
fi
setsid ${quoted} >>'${logFile}' 2>&1 < /dev/null 9>&- &
started=$!
i=0
while [ $i -lt 600 ] && kill -0 "$started" 2>/dev/null; do
  if [ -S '${socket}' ] && docker -H 'unix://${socket}' version --format '{{.Server.Version}}' >/dev/null 2>&1; then break; fi
  sleep 0.1; i=$((i+1))
done
exit 0
`,
  );
  chmodSync(restartScript, 0o755);
  const env = { DOCKER_HOST: `unix://${socket}` };
  const daemon: TestDaemon = {
    dir,
    socket,
    host: `unix://${socket}`,
    configPath,
    pidFile,
    flags,
    restartScript,
    env,
    pid() {
      try {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        return pid > 0 && pidAlive(pid) ? pid : null;
      } catch {
        return null;
      }
    },
    async docker(args, options = {}) {
      const r = await execa('docker', ['-H', `unix://${socket}`, ...args], { reject: false, input: options.input, timeout: 120_000 });
      const out = { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
      if (options.reject !== false && out.exitCode !== 0) throw new Error(`docker ${args.join(' ')} failed: ${out.stderr}`);
      return out;
    },
    async restart() {
      await execa(restartScript, [], { stdin: 'ignore' });
      await waitReady(socket, (spec.timeout ?? 60) * 1000, logFile);
    },
    async stop() {
      const pid = daemon.pid();
      // With live-restore on, containers outlive their daemon: remove them while it still answers.
      if (pid) {
        const ids = await execa('docker', ['-H', `unix://${socket}`, 'ps', '-aq'], { reject: false, timeout: 30_000 });
        const list = String(ids.stdout ?? '').split('\n').filter(Boolean);
        if (list.length > 0) await execa('docker', ['-H', `unix://${socket}`, 'rm', '-f', ...list], { reject: false, timeout: 60_000 });
      }
      if (pid) {
        process.kill(pid, 'SIGTERM');
        const deadline = Date.now() + 20_000;
        while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      // A daemon a test killed leaves its containers' shims running, holding exec/ busy: end them.
      for (const shim of shimsUnder(dir)) {
        try {
          process.kill(shim, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await execa('umount', ['-R', path.join(dir, 'data')], { reject: false });
      await execa('umount', ['-R', path.join(dir, 'exec')], { reject: false });
      // Mounts dockerd leaves that are not under a mount of their own (the nsfs bind mount
      // exec/netns/default of --network host), deepest first.
      const leftover = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4] ?? '')
        .filter((m) => m.startsWith(dir + '/'))
        .sort((a, b) => b.length - a.length);
      for (const m of leftover) await execa('umount', ['-l', m], { reject: false });
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
    log() {
      return existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    },
  };
  await execa(restartScript, [], { stdin: 'ignore' });
  await waitReady(socket, (spec.timeout ?? 60) * 1000, logFile);
  return daemon;
}

/**
 * Build an image FROM scratch holding busybox-static, with `extra` Dockerfile lines after the
 * install. Returns the image tag.
 */
export async function buildBusyboxImage(daemon: TestDaemon, tag: string, dockerfile?: string): Promise<string> {
  const ctx = await fs.mkdtemp(path.join(os.tmpdir(), 'dh-ctx-'));
  try {
    mkdirSync(path.join(ctx, 'bin'), { recursive: true });
    copyFileSync(BUSYBOX!, path.join(ctx, 'busybox'));
    await fs.writeFile(path.join(ctx, 'Dockerfile'), dockerfile ?? busyboxDockerfile(''));
    const r = await execa('docker', ['-H', daemon.host, 'build', '-q', '-t', tag, ctx], {
      reject: false,
      env: { DOCKER_BUILDKIT: '0' },
      timeout: 180_000,
    });
    if (r.exitCode !== 0) throw new Error(`docker build failed: ${r.stderr}`);
    return tag;
  } finally {
    await fs.rm(ctx, { recursive: true, force: true });
  }
}

/** containerd shims of the test daemon in `dir` (their -address lies under it). */
function shimsUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (path.basename(argv[0] ?? '').startsWith('containerd-shim') && argv.some((a) => a.startsWith(`${dir}/`))) pids.push(Number(entry));
  }
  return pids;
}

/** A FROM-scratch Dockerfile with busybox installed at /bin, then `extra` lines. */
export function busyboxDockerfile(extra: string): string {
  return `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n${extra}`;
}
