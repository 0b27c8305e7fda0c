// A throw-away dockerd for the benchmark, in its own temp dir (data-root, exec-root, pidfile,
// socket, config), "bridge": "none", and busybox containers with --network none.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function dockerdUnavailable() {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!['/usr/sbin/dockerd', '/usr/bin/dockerd'].some((p) => existsSync(p))) return 'dockerd is not installed (apt-get install docker.io)';
  if (!['/bin/busybox', '/usr/bin/busybox'].some((p) => existsSync(p))) return 'busybox-static is not installed (apt-get install busybox-static)';
  if (spawnSync('docker', ['--version']).status !== 0) return 'the docker CLI is not installed';
  return null;
}

export async function startDockerd() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-bench-'));
  const socket = path.join(dir, 'docker.sock');
  const config = path.join(dir, 'daemon.json');
  const pidFile = path.join(dir, 'dockerd.pid');
  writeFileSync(config, '{\n  "bridge": "none"\n}\n');
  const bin = existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : '/usr/bin/dockerd';
  const log = openSync(path.join(dir, 'dockerd.log'), 'a');
  const child = spawn(bin, ['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', pidFile, '-H', `unix://${socket}`, '--config-file', config], { stdio: ['ignore', log, log], detached: true });
  child.unref();
  const host = `unix://${socket}`;
  const docker = (args, options = {}) => spawnSync('docker', ['-H', host, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  const deadline = Date.now() + 60_000;
  while (docker(['info', '--format', '{{.ServerVersion}}']).status !== 0) {
    if (Date.now() > deadline) throw new Error(`dockerd did not start:\n${readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    dir,
    host,
    socket,
    config,
    docker,
    async stop() {
      const ids = docker(['ps', '-aq']).stdout?.trim().split('\n').filter(Boolean) ?? [];
      if (ids.length > 0) docker(['rm', '-f', ...ids]);
      try {
        const pid = Number(readFileSync(pidFile, 'utf8'));
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 200; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      } catch {
        /* already gone */
      }
      // Network namespaces of containers killed with the daemon stay mounted: unmount them first.
      const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(dir + '/'));
      for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (err) {
        console.warn(`could not remove ${dir}: ${err.message}`);
      }
    },
  };
}

/** Build a FROM-scratch image holding busybox-static. */
export function buildBusybox(d, tag) {
  const ctx = mkdtempSync(path.join(os.tmpdir(), 'dh-bench-ctx-'));
  try {
    copyFileSync(['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)), path.join(ctx, 'busybox'));
    mkdirSync(path.join(ctx, 'bin'));
    writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n');
    execFileSync('docker', ['-H', d.host, 'build', '-q', '-t', tag, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** Start `count` containers running sleep (named bench-FIRST...), without a network, a few at a time. */
export async function runContainers(d, image, count, first = 0) {
  const one = (i) =>
    new Promise((resolve, reject) => {
      const c = spawn('docker', ['-H', d.host, 'run', '-d', '--network', 'none', '--name', `bench-${i}`, image, 'sleep', '3600'], { stdio: 'ignore' });
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker run bench-${i} failed (${code})`))));
    });
  for (let i = 0; i < count; i += 10) await Promise.all(Array.from({ length: Math.min(10, count - i) }, (_, j) => one(first + i + j)));
}
