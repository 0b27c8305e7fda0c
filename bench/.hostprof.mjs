import { spawnSync } from 'node:child_process';
import { buildBusybox, runContainers, startDockerd } from './dockerd.js';
const d = await startDockerd();
try {
  buildBusybox(d, 'dh-bench:busybox');
  await runContainers(d, 'dh-bench:busybox', 100);
  for (const extra of [[], ['--cpu-prof', '--cpu-prof-dir=/tmp/hprof']]) {
    const t = Date.now();
    const r = spawnSync(process.execPath, [...extra, 'bin/docker-harden.js', 'check', '--host', '--json', '--docker-host', d.host, '--daemon-config', d.config], { encoding: 'utf8', env: { ...process.env, DOCKER_HARDEN_STATE_DIR: '/tmp/hprof-state' } });
    console.log('exit', r.status, Date.now() - t, 'ms', r.stderr.slice(0, 300));
  }
  const t = Date.now();
  spawnSync('sh', ['-c', `docker -H ${d.host} inspect $(docker -H ${d.host} ps -q) > /dev/null`]);
  console.log('inspect', Date.now() - t, 'ms');
  if (process.env.KEEP) { console.log(d.host, d.config); await new Promise((r) => setTimeout(r, Number(process.env.KEEP))); }
} finally {
  await d.stop();
}
