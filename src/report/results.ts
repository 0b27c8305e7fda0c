/** The machine-readable result document of `check`, `fix --dry-run` and `report --format json`. */
import type { StepRun } from '../core/runner.js';
import type { DecidedRun, SuppressedFinding, Suppression, UnusedIgnore } from '../core/repoconfig.js';
import { unifiedDiff } from '../core/change.js';
import { scopeOf, type Finding, type Proposal, type Risk, type Severity, type Status } from '../core/step.js';

export interface ResultEntry {
  step: string;
  order: number;
  title: string;
  scope: string;
  target: string;
  /** A skipped step keeps `pass` (the status its findings leave), and says so in `skipped`. */
  status: Status;
  findings: Finding[];
  /** Findings the repository's decisions suppress (not counted), each with its `suppression`. */
  suppressed?: SuppressedFinding[];
  /** The step is skipped in the repository's decisions (or the profile), with the reason. */
  skipped?: Suppression;
  notes?: string[];
  fix?: {
    proposals: {
      id: string;
      title: string;
      /** What it does and what it may break; for advice, what to do by hand. */
      description?: string;
      /** change, command, advice or choice: what the engine may do with it. */
      kind: Proposal['kind'];
      risk: Risk;
      changes: { path: string; diff: string }[];
      commands: { title: string; argv: string[]; run: boolean }[];
      daemon?: 'reload' | 'restart';
      warnings: string[];
    }[];
    changes: { path: string; diff: string }[];
    commands: string[][];
  };
}

export interface ResultDocument {
  tool: 'docker-harden';
  version: string;
  results: ResultEntry[];
  /** Ignores that matched no finding where every step reporting their code ran; present when there are any. */
  unusedIgnores?: UnusedIgnore[];
}

export function toEntry(run: StepRun): ResultEntry {
  const entry: ResultEntry = {
    step: run.step.meta.id,
    order: run.step.meta.order,
    title: run.step.meta.title,
    scope: scopeOf(run.step.meta),
    target: run.target.kind === 'host' ? 'host' : run.target.path,
    status: run.result.status,
    findings: run.result.findings,
    ...((run as DecidedRun).suppressed?.length ? { suppressed: (run as DecidedRun).suppressed } : {}),
    ...((run as DecidedRun).skipped ? { skipped: (run as DecidedRun).skipped } : {}),
    ...(run.result.notes?.length ? { notes: run.result.notes } : {}),
  };
  if (run.proposals.length > 0) {
    const proposals = run.proposals.map((p) => ({
      id: p.id,
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      kind: p.kind,
      risk: p.risk,
      changes: p.changes.map((c) => ({ path: c.path, diff: unifiedDiff(c) })),
      commands: p.commands.map((c) => ({ title: c.title, argv: c.argv, run: c.run })),
      ...(p.daemon ? { daemon: p.daemon } : {}),
      warnings: p.warnings,
    }));
    entry.fix = {
      proposals,
      changes: proposals.flatMap((p) => p.changes),
      commands: proposals.flatMap((p) => p.commands.map((c) => c.argv)),
    };
  }
  return entry;
}

export function resultDocument(runs: StepRun[], version: string, unusedIgnores: UnusedIgnore[] = []): ResultDocument {
  return { tool: 'docker-harden', version, results: runs.map(toEntry), ...(unusedIgnores.length ? { unusedIgnores } : {}) };
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * 0 all pass, 1 findings, 2 a check could not run. With a threshold (`--fail-on high`), 1 only
 * when some finding is at or above it; without one, any step that fails or warns.
 */
export function exitCodeFor(runs: { result: { status: Status; findings: Finding[] } }[], failOn?: Exclude<Severity, 'info'>): number {
  if (runs.some((r) => r.result.status === 'error')) return 2;
  if (failOn) return runs.some((r) => r.result.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn])) ? 1 : 0;
  if (runs.some((r) => r.result.status === 'fail' || r.result.status === 'warn')) return 1;
  return 0;
}
