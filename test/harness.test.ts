import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { hasDockerd, startDockerd, buildBusyboxImage, busyboxDockerfile, type TestDaemon } from './helpers/dockerd.js';

describe.skipIf(!hasDockerd)('test dockerd harness', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDockerd();
  });
  afterAll(async () => {
    await d?.stop();
  });
  it('builds a busybox image and runs it without a network', async () => {
    await buildBusyboxImage(d, 'dh-test:bb', busyboxDockerfile('USER 10001:10001\n'));
    const r = await d.docker(['run', '--rm', '--network', 'none', 'dh-test:bb', 'id', '-u']);
    expect(r.stdout.trim()).toBe('10001');
  });
  it('restarts through its restart script', async () => {
    const before = d.pid();
    await d.restart();
    expect(d.pid()).not.toBe(before);
  });
});
