/**
 * ctx.daemon(): the daemon's view is read when a step first asks, shared by every host step of a
 * batch run, and read again once the run writes something (a fix, a restart) or outside a run.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, hostTarget, memoryProbe } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';
import { noteWrite, oneRun } from '../../src/core/writes.js';
import type { HostFacts } from '../../src/host/facts.js';

/** A recorded host that counts how often daemon.json is read. */
function countingHost(text: string): { host: HostFacts; reads: () => number } {
  const host = recordedHost({ info: ENGINE_29_INFO, config: { text } });
  let reads = 0;
  const daemonConfig = host.daemonConfig.bind(host);
  host.daemonConfig = () => {
    reads++;
    return daemonConfig();
  };
  return { host, reads: () => reads };
}

describe('ctx.daemon()', () => {
  it('is read lazily: creating a context reads nothing', () => {
    const { host, reads } = countingHost('{"icc": false}');
    contextFor(hostTarget, { host, probe: memoryProbe() });
    expect(reads()).toBe(0);
  });

  it('in a batch run, one read serves every context on the host until something is written', async () => {
    const { host, reads } = countingHost('{"icc": false}');
    await oneRun(async () => {
      const a = contextFor(hostTarget, { host, probe: memoryProbe() });
      const b = contextFor(hostTarget, { host, probe: memoryProbe() });
      const view = await a.daemon();
      expect(view.config.value).toEqual({ icc: false });
      expect(await b.daemon()).toBe(view);
      expect(reads()).toBe(1);
      noteWrite();
      expect(await a.daemon()).not.toBe(view);
      expect(reads()).toBe(2);
    });
  });

  it('outside a run (the wizard checking again) it reads afresh each time', async () => {
    const { host, reads } = countingHost('{}');
    const ctx = contextFor(hostTarget, { host, probe: memoryProbe() });
    await ctx.daemon();
    await ctx.daemon();
    expect(reads()).toBe(2);
  });
});
