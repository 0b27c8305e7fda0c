/**
 * A sample of generated daemon.json files, edited the way the host steps edit them, handed to a
 * real dockerd (20.10 has no `--validate`, so each is started with it): the strict validator's
 * "dockerd accepts this" holds against the real thing. Only keys that leave a test daemon where it
 * is (no data-root, storage driver, user remapping or listening sockets) are generated here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { parseDaemonConfig } from '../../src/host/daemon-validate.js';
import { editDaemonConfig, type DaemonConfigEdit } from '../../src/host/daemon-edit.js';
import { hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';

const SAMPLES = Number(process.env.DOCKER_HARDEN_DOCKERD_SAMPLES ?? 5);

const safeValues: Record<string, fc.Arbitrary<unknown>> = {
  icc: fc.boolean(),
  'live-restore': fc.boolean(),
  debug: fc.boolean(),
  'userland-proxy': fc.boolean(),
  'no-new-privileges': fc.boolean(),
  'log-level': fc.constantFrom('debug', 'info', 'warn', 'error'),
  'log-driver': fc.constantFrom('json-file', 'local'),
  'log-opts': fc.constantFrom({ 'max-size': '10m' }, { 'max-size': '5m', 'max-file': '2' }),
  labels: fc.array(fc.constantFrom('team=a', 'env=test'), { maxLength: 2 }),
  'max-concurrent-downloads': fc.integer({ min: 1, max: 10 }),
  'max-concurrent-uploads': fc.integer({ min: 1, max: 10 }),
  'default-ulimits': fc.constant({ nofile: { Name: 'nofile', Hard: 64000, Soft: 64000 } }),
  'shutdown-timeout': fc.integer({ min: 1, max: 30 }),
};

const edits: DaemonConfigEdit[] = [
  { path: ['icc'], value: false },
  { path: ['live-restore'], value: true },
  { path: ['no-new-privileges'], value: true },
  { path: ['userland-proxy'], value: false },
  { path: ['log-level'], value: 'info' },
  { path: ['log-opts', 'max-size'], value: '10m' },
  { path: ['log-opts', 'max-file'], value: '3' },
];

const sampleArb = fc.record({
  keys: fc.uniqueArray(fc.constantFrom(...Object.keys(safeValues)), { maxLength: 6 }),
  indent: fc.constantFrom(2, 4, '\t'),
  edits: fc.uniqueArray(fc.constantFrom(...edits), { minLength: 1, maxLength: 4, selector: (e) => e.path.join('.') }),
}).chain((s) => fc.tuple(fc.constant(s), fc.tuple(...s.keys.map((k) => safeValues[k]!))));

describe.skipIf(!hasDockerd)(`daemon.json written by docker-harden, started by a real dockerd (${SAMPLES} samples)`, () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDockerd();
  }, 300_000);
  afterAll(async () => d?.stop(), 60_000);

  it('every sample starts dockerd and is live as written', async () => {
    const samples = fc.sample(sampleArb, SAMPLES);
    for (const [shape, values] of samples) {
      const value = { bridge: 'none', ...Object.fromEntries(shape.keys.map((k, i) => [k, values[i]])) };
      const text = editDaemonConfig(JSON.stringify(value, null, shape.indent) + '\n', shape.edits);
      const parsed = parseDaemonConfig(text, d.configPath);
      writeFileSync(d.configPath, text);
      await d.restart(); // throws with dockerd's log when it does not answer
      const info = JSON.parse((await d.docker(['info', '--format', '{{json .}}'])).stdout) as { LiveRestoreEnabled?: boolean; LoggingDriver?: string };
      expect(info.LiveRestoreEnabled, text).toBe(parsed['live-restore'] === true);
      expect(info.LoggingDriver, text).toBe((parsed['log-driver'] as string | undefined) ?? 'json-file');
    }
  }, 600_000);
});
