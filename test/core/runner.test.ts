import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineStep, type Proposal } from '../../src/core/step.js';
import { applyProposal, nextToUndo, runStep, undoTurnsLiveRestoreOff } from '../../src/core/runner.js';
import { ProfileStore, type AppliedRecord } from '../../src/core/profile.js';
import { contextFor, dockerfileTarget, hostTarget, unreachableHost } from '../helpers/world.js';
import { UserError } from '../../src/core/errors.js';

// A step with one finding per missing line ("a", "b"), each fixed by its own proposal.
function lineStep(file: string) {
  return defineStep({
    meta: { id: 'non-root-user', order: 4, title: 'lines', targets: ['dockerfile'], summary: '', explain: '', references: [], codes: { 'DH-LINE': { title: 'a line is missing', severity: 'medium', help: 'add it' } } },
    async check() {
      const text = readFileSync(file, 'utf8');
      const missing = ['a', 'b'].filter((l) => !text.split('\n').includes(l));
      return { status: missing.length ? 'fail' : 'pass', findings: missing.map((l) => ({ code: 'DH-LINE', message: `no ${l}`, severity: 'medium' as const })) };
    },
    async propose(_ctx, result) {
      const text = readFileSync(file, 'utf8');
      return result.findings.map((f): Proposal => {
        const line = f.message.slice(3);
        return { kind: 'change', id: line, risk: 'safe', title: `add ${line}`, changes: [{ path: file, before: text, after: text + line + '\n' }], commands: [], warnings: [] };
      });
    },
  });
}

describe('applyProposal: what "applied" means', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-runner-'));
  const file = path.join(dir, 'Dockerfile');

  it('one fix among several: applied when the step no longer proposes it, though other findings remain', async () => {
    writeFileSync(file, 'FROM x\n');
    const step = lineStep(file);
    const ctx = contextFor(dockerfileTarget(file));
    const store = new ProfileStore(path.join(dir, 'state1'));
    const run = await runStep(step, ctx);
    const outcome = await applyProposal(step, ctx.target, run.proposals[0]!, { store, profile: await store.load(), recheck: () => runStep(step, ctx) });
    expect(outcome.status).toBe('applied');
    expect(outcome.message).toContain('1 other finding of this step remains)');
    expect(readFileSync(file, 'utf8')).toBe('FROM x\na\n');
  });

  it('a fix that did not take: applied-still-failing', async () => {
    writeFileSync(file, 'FROM x\n');
    const step = lineStep(file);
    const ctx = contextFor(dockerfileTarget(file));
    const store = new ProfileStore(path.join(dir, 'state2'));
    const useless: Proposal = { kind: 'change', id: 'a', title: 'add nothing useful', changes: [{ path: file, before: 'FROM x\n', after: 'FROM x\nc\n' }], commands: [], warnings: [] };
    const outcome = await applyProposal(step, ctx.target, useless, { store, profile: await store.load(), recheck: () => runStep(step, ctx) });
    expect(outcome.status).toBe('applied-still-failing');
  });

  it('the last fix: the check now passes', async () => {
    writeFileSync(file, 'FROM x\na\n');
    const step = lineStep(file);
    const ctx = contextFor(dockerfileTarget(file));
    const store = new ProfileStore(path.join(dir, 'state3'));
    const run = await runStep(step, ctx);
    const outcome = await applyProposal(step, ctx.target, run.proposals[0]!, { store, profile: await store.load(), recheck: () => runStep(step, ctx) });
    expect(outcome).toMatchObject({ status: 'applied', message: 'applied; the check now passes' });
  });
});

describe('nextToUndo: the change whose undo turns live-restore off comes last when it can', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-undo-next-'));
  const daemonJson = path.join(dir, 'daemon.json');
  const dropIn = path.join(dir, 'override.conf');
  const backups = path.join(dir, 'backups');
  // Records as apply writes them; a null backup means the change created the file, so its undo removes it.
  const record = (id: string, daemon: 'reload' | 'restart', file: string): AppliedRecord => ({
    id, step: 'scan-host-config', target: 'host', proposal: id, at: `2026-01-01T00:00:0${id.length}Z`, daemon,
    files: [{ path: file, backup: null, beforeHash: null, afterHash: 'x' }], commands: [],
  });
  const restartFlag = record('r', 'restart', dropIn);
  const liveRestore = record('lr', 'reload', daemonJson);

  it('takes an older restart on another file first while the newest undo would switch live-restore off', async () => {
    writeFileSync(daemonJson, '{"live-restore": true}\n');
    expect(await undoTurnsLiveRestoreOff(liveRestore, backups)).toBe(true);
    expect(await nextToUndo([restartFlag, liveRestore], backups)).toBe(restartFlag);
  });

  it('keeps newest first when the older change is under it (same file) or live-restore stays as it is', async () => {
    writeFileSync(daemonJson, '{"live-restore": true}\n');
    const underneath = record('r2', 'restart', daemonJson);
    expect(await nextToUndo([underneath, liveRestore], backups)).toBe(liveRestore);
    writeFileSync(daemonJson, '{"icc": false}\n');
    expect(await undoTurnsLiveRestoreOff(liveRestore, backups)).toBe(false);
    expect(await nextToUndo([restartFlag, liveRestore], backups)).toBe(liveRestore);
  });
});

describe('a daemon that does not answer: one result from the runner for every step that needs it', () => {
  const hostStep = (needsDaemon: boolean) => {
    let checked = 0;
    const step = defineStep({
      meta: { id: 'scan-host-config', order: 2, title: 'host', targets: ['host'], needsDaemon, summary: '', explain: '', references: [], codes: {} },
      async check() {
        checked++;
        return { status: 'pass', findings: [] };
      },
    });
    return { step, checked: () => checked };
  };
  const down = unreachableHost();

  it.each([
    { name: 'needs the daemon, daemon down', needsDaemon: true, host: down, checked: 0, codes: ['DH-DAEMON-UNREACHABLE'], status: 'error' },
    { name: 'does not need it, daemon down', needsDaemon: false, host: down, checked: 1, codes: [], status: 'pass' },
    {
      name: 'needs it, down, daemon.json invalid: the file and line first',
      needsDaemon: true,
      host: { ...down, daemonConfig: () => Promise.reject(new UserError('is not valid JSON: expected a value', undefined, '/etc/docker/daemon.json', 3)) },
      checked: 0,
      codes: ['DH-CHECK-ERROR'],
      status: 'error',
    },
  ])('$name', async ({ needsDaemon, host, checked, codes, status }) => {
    const { step, checked: count } = hostStep(needsDaemon);
    const run = await runStep(step, contextFor(hostTarget, { host }));
    expect(count()).toBe(checked);
    expect(run.result.status).toBe(status);
    expect(run.result.findings.map((f) => f.code)).toEqual(codes);
    if (codes[0] === 'DH-CHECK-ERROR') expect(run.result.findings[0]).toMatchObject({ file: '/etc/docker/daemon.json', line: 3 });
  });
});
