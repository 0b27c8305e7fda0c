import { spawnSync } from 'node:child_process';
import { buildBusybox, runContainers, startDockerd } from './dockerd.js';
const d = await startDockerd();
try {
  buildBusybox(d, 'dh-bench:busybox');
  await runContainers(d, 'dh-bench:busybox', 100);
  const r = spawnSync(process.execPath, ['bin/docker-harden.js', 'check', '--host', '--json', '--docker-host', d.host, '--daemon-config', d.config], { encoding: 'utf8', env: { ...process.env, DOCKER_HARDEN_STATE_DIR: '/tmp/hprof-state' } });
  console.log(r.stderr);
} finally {
  await d.stop();
}
