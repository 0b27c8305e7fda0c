/**
 * Only what is verified is called applied, against a real dockerd 20.10: after a reload, each
 * changed key docker info shows must have the value the file says, else the change is rolled
 * back. Engine 20.10 refuses a daemon.json that starts with a byte-order mark (it logs the error
 * and keeps the old settings on a reload); docker-harden knows it and says so before writing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHostFacts } from '../../src/host/client.js';
import { createDaemonControl, daemonBeforeWrite } from '../../src/host/service.js';
import { systemProbe } from '../../src/core/probe.js';
import { applyProposal } from '../../src/core/runner.js';
import { ProfileStore, emptyProfile } from '../../src/core/profile.js';
import type { Proposal, Step } from '../../src/core/step.js';
import { hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { hostTarget } from '../helpers/world.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';

const step = { meta: { id: 'use-docker-defaults', order: 1, title: 'test', targets: ['host'], summary: '', explain: '', references: [] }, check: async () => ({ status: 'pass', findings: [] }) } as unknown as Step;

describe.skipIf(!hasDockerd)('a reload is applied only when docker info shows the new value', () => {
  let d: TestDaemon;
  let tmp: string;
  const original = JSON.stringify({ bridge: 'none' }) + '\n';

  beforeAll(async () => {
    await ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-verified-'));
    d = await startDockerd({ config: original });
  }, 300_000);
  afterAll(async () => {
    await d?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  function liveRestore(after: string): Proposal {
    return { kind: 'change', id: 'live-restore', title: 'Keep containers running while dockerd restarts', changes: [{ path: d.configPath, before: readFileSync(d.configPath, 'utf8'), after }], commands: [], daemon: 'reload', warnings: [] };
  }

  async function apply(proposal: Proposal) {
    const facts = createHostFacts({ dockerHost: d.host, env: {}, probe: systemProbe() });
    const daemon = createDaemonControl({ host: facts, restartCommand: d.restartScript })!;
    const store = new ProfileStore(path.join(tmp, `state-${Math.random().toString(36).slice(2)}`));
    const outcome = await applyProposal(step, hostTarget, proposal, { store, profile: emptyProfile(), daemon, readyTimeoutMs: 60_000 });
    return { outcome, facts };
  }

  it('a file with a byte-order mark: dockerd 20.10 keeps the old value, so the change is rolled back', async () => {
    const { outcome } = await apply(liveRestore('\uFEFF{"bridge": "none", "live-restore": true}\n'));
    expect(outcome.status, outcome.message).toBe('rolled-back');
    expect(outcome.message).toContain('live-restore is false in docker info, the file says true');
    expect(readFileSync(d.configPath, 'utf8')).toBe(original);
    const info = await createHostFacts({ dockerHost: d.host, env: {}, probe: systemProbe() }).info();
    expect(info.LiveRestoreEnabled).toBe(false);
  }, 120_000);

  it('the same change without the mark is live after the reload: applied', async () => {
    const { outcome, facts } = await apply(liveRestore('{"bridge": "none", "live-restore": true}\n'));
    expect(outcome.status, outcome.message).toBe('applied');
    facts.refresh();
    expect((await facts.info()).LiveRestoreEnabled).toBe(true);
    writeFileSync(d.configPath, original);
    await d.restart();
  }, 120_000);

  it('the checks before writing know that Engine 20.10 refuses the mark', async () => {
    const facts = createHostFacts({ dockerHost: d.host, env: {}, probe: systemProbe() });
    const proposal = liveRestore('\uFEFF{"bridge": "none", "live-restore": true}\n');
    await expect(daemonBeforeWrite(facts, proposal)).rejects.toThrow(/byte-order mark, which Docker Engine 20\.10\.\d+\S* refuses/);
  });

  it('check --host on a daemon.json with a byte-order mark: a finding with the file, line 1 and what to do', async () => {
    writeFileSync(d.configPath, '\uFEFF' + original);
    try {
      const r = await runCli(['check', '--host', '--only', 'use-docker-defaults', '--docker-host', d.host, '--state-dir', path.join(tmp, 'cli-state')]);
      expect(r.exitCode, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain(`${d.configPath}:1: daemon.json cannot be read as dockerd reads it: starts with a UTF-8 byte-order mark, which Docker Engine 20.10`);
      expect(r.stdout + r.stderr).toContain('Remove the first three bytes');
    } finally {
      writeFileSync(d.configPath, original);
    }
  }, 120_000);
});
