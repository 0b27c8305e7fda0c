import { describe, expect, it } from 'vitest';
import { steps } from '../../steps/index.js';
import { buildWalkReport, renderWalkReport } from '../../src/report/summary.js';
import { emptyProfile, targetKey, type Profile } from '../../src/core/profile.js';
import type { StepRun } from '../../src/core/runner.js';
import type { Status } from '../../src/core/step.js';
import { contextFor, hostTarget } from '../helpers/world.js';

const STATUSES: Status[] = ['pass', 'fail', 'warn', 'info', 'not-applicable', 'pass', 'fail', 'pass', 'warn', 'fail', 'pass', 'not-applicable', 'info'];

function walk(): { profile: Profile; runs: StepRun[] } {
  const ctx = contextFor(hostTarget);
  const runs: StepRun[] = steps.map((step, i) => ({
    step,
    target: hostTarget,
    ctx,
    result: { status: STATUSES[i]!, findings: STATUSES[i] === 'fail' ? [{ code: 'DH-TEST', message: `finding of ${step.meta.id}`, severity: 'medium', file: '/etc/docker/daemon.json', line: 3 }] : [] },
    proposals: [],
  }));
  const profile = emptyProfile();
  const key = targetKey(hostTarget);
  profile.platform = 'open-tools';
  profile.applied.push(
    {
      id: 'lq1-abc123',
      step: 'scan-host-config',
      target: key,
      proposal: 'daemon-json',
      title: 'Set icc false and live-restore in daemon.json',
      at: '2026-01-10T10:00:00.000Z',
      daemon: 'restart',
      files: [{ path: '/etc/docker/daemon.json', backup: '/var/lib/docker-harden/backups/daemon.json.1', beforeHash: 'a', afterHash: 'b' }],
      commands: [],
    },
    {
      id: 'lq2-def456',
      step: 'dependency-scanning',
      target: key,
      proposal: 'scheduled-scan',
      title: 'Scan the running images every day with trivy',
      at: '2026-01-10T10:05:00.000Z',
      undone: '2026-01-11T08:00:00.000Z',
      files: [{ path: '/etc/cron.d/docker-harden-scan', backup: null, beforeHash: null, afterHash: 'c' }],
      commands: [],
    },
  );
  profile.targets[key] = {
    'scan-host-config': { status: 'done', at: '2026-01-10T10:00:00.000Z', proposal: 'daemon-json', applied: ['lq1-abc123'] },
    'user-namespaces': { status: 'skipped', at: '2026-01-10T10:10:00.000Z', reason: 'we run privileged CI runners on this host' },
    'rootless-docker': { status: 'later', at: '2026-01-10T10:12:00.000Z' },
  };
  return { profile, runs };
}

describe('the end-of-walk report', () => {
  const { profile, runs } = walk();
  const report = buildWalkReport(profile, runs, { version: '0.1.0', profileFile: '/var/lib/docker-harden/profile.json', now: new Date('2026-01-12T09:00:00Z') });

  it('holds every step in order with its status, decision and platform', () => {
    expect(report.results.map((r) => r.order)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(report.results.map((r) => r.status)).toEqual(STATUSES);
    expect(report.platform).toBe('open-tools');
    expect(report.decisions).toEqual({ done: 1, skipped: 1, later: 1, failed: 0, undecided: 10 });
    expect(report.results.find((r) => r.step === 'user-namespaces')!.decision?.reason).toBe('we run privileged CI runners on this host');
    // Applied and still in place: listed with the step; undone ones only in the full history.
    expect(report.results.find((r) => r.step === 'scan-host-config')!.applied.map((a) => a.id)).toEqual(['lq1-abc123']);
    expect(report.results.find((r) => r.step === 'dependency-scanning')!.applied).toEqual([]);
    expect(report.applied.map((a) => a.id)).toEqual(['lq2-def456', 'lq1-abc123']);
  });

  it('text: each step, the reason for each skip, what was applied and how to undo it', () => {
    const out = renderWalkReport(report, 'text');
    for (const step of steps) expect(out).toContain(`${step.meta.order}. ${step.meta.title}`);
    expect(out).toContain('skipped 2026-01-10 10:10: we run privileged CI runners on this host');
    expect(out).toContain('applied Set icc false and live-restore in daemon.json (lq1-abc123; undo: docker-harden undo lq1-abc123)');
    expect(out).toContain('/etc/docker/daemon.json:3: finding of scan-host-config');
    expect(out).toContain('Decisions: 1 done, 1 skipped, 1 for later, 0 failed, 10 without a decision.');
    expect(out).toContain('Security platform: open-tools.');
    expect(out).not.toMatch(/\u001b\[/);
  });

  it('Markdown: a table of every step and the applied changes with their state', () => {
    const out = renderWalkReport(report, 'md');
    expect(out.startsWith('# docker-harden report')).toBe(true);
    expect(out.match(/^\| \d+ \|/gm)).toHaveLength(13);
    expect(out).toContain('we run privileged CI runners on this host');
    expect(out).toContain('`docker-harden undo lq1-abc123`');
    expect(out).toMatch(/\| `lq2-def456` \| .* \| undone 2026-01-11 08:00 \|/);
    expect(out).toContain('Security platform: open-tools.');
  });

  it('JSON: the same document, parseable', () => {
    const parsed = JSON.parse(renderWalkReport(report, 'json')) as typeof report;
    expect(parsed.results).toHaveLength(13);
    expect(parsed.platform).toBe('open-tools');
    expect(parsed.decisions.skipped).toBe(1);
  });

  it('without a platform choice, the report says so', () => {
    const bare = buildWalkReport(emptyProfile(), runs);
    expect(bare.platform).toBeUndefined();
    expect(renderWalkReport(bare, 'text')).toContain('Security platform: no choice recorded.');
  });
});
