/**
 * The Step contract. A step is like an ESLint rule: metadata, a `check` that reports and a
 * `propose` that returns changes as data. Steps never write, restart or run mutating commands:
 * the engine (runner.ts) applies proposals with backups, health checks and rollback.
 */
import type { HostFacts } from '../host/facts.js';
import type { DaemonView } from '../host/daemon-view.js';
import type { DockerfileModel } from '../dockerfile/model.js';
import type { ComposeModel } from '../compose/model.js';
import type { ServiceEdit } from '../compose/edit.js';
import type { DaemonConfigEdit } from '../host/daemon-edit.js';
import type { Probe } from './probe.js';

/** A step's id (kebab-case, stable: profiles, --only and decisions name it). The registry in steps/index.ts lists them. */
export type StepId = string;

export type Scope = 'host' | 'dockerfile' | 'both';
export type TargetKind = 'host' | 'dockerfile' | 'compose';
export type Status = 'pass' | 'fail' | 'warn' | 'info' | 'not-applicable' | 'error';
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
/**
 * How a proposal may affect what it changes: `safe` has no known way to break it; `review` may break
 * it (the description says how and how to check); `advice` is known to break in this case and is
 * explained, never written. `fix --yes` applies `safe` only.
 */
export type Risk = 'safe' | 'review' | 'advice';

/** The risk in a few words, for text output and the wizard. */
export const RISK_TEXT: Record<Risk, string> = {
  safe: 'safe: no known way to break what it changes',
  review: 'review: may break something; read the warnings and check after applying',
  advice: 'advice: known to break here; explained, never applied',
};

/** What a finding code means, for `explain CODE`, SARIF rules and the repository's ignores. */
/**
 * The general warning on a proposal that restarts dockerd. Where the daemon answers, the engine
 * replaces it with the containers that restart stops and which come back (src/host/restart-impact.ts).
 */
export const RESTART_STOPS_CONTAINERS = 'Restarting dockerd stops the running containers unless live-restore is on; they start again by their restart policy.';

export interface CodeInfo {
  /** One line. */
  title: string;
  severity: Severity;
  /** Plain words: why it matters and how to fix it. */
  help: string;
}

export interface Reference {
  title: string;
  url: string;
}

export interface StepMeta {
  id: StepId;
  /** Position in the seed list, 1-based. */
  order: number;
  title: string;
  /** Which kinds of target the step checks (its scope, for lists, follows: `scopeOf`). */
  targets: TargetKind[];
  /** Checked once per run, on the first target it applies to, rather than once per target. */
  oncePerRun?: boolean;
  /**
   * On a host, the check reads the daemon: when it does not answer, the runner reports that (or
   * the invalid daemon.json that is likely why) instead of running the check.
   */
  needsDaemon?: boolean;
  /** One line, shown in lists. */
  summary: string;
  /** Plain words: what is checked, why it matters, what the change does and may break. */
  explain: string;
  references: Reference[];
  /** Every finding code the step can report (stable: `CIS-2.2`, `DH-USER-ROOT`, ...). */
  codes: Record<string, CodeInfo>;
  /** The values of a choice the step offers (step 13's platform), which a repository's decisions file may keep. */
  choices?: { platform: readonly string[] };
}

export interface Finding {
  /** Stable code, declared in the step's `meta.codes`. */
  code: string;
  message: string;
  severity: Severity;
  file?: string;
  line?: number;
  column?: number;
  /** What was seen: a line of the file, a flag, a value from `docker info`. Secrets redacted. */
  evidence?: string;
  /** Id of the proposal that fixes this finding. */
  fixedBy?: string;
}

export interface CheckResult<State = unknown> {
  status: Status;
  findings: Finding[];
  /** Extra lines shown under the findings (counts, what was looked at). */
  notes?: string[];
  /** What `check` read, for `propose` to build on instead of reading again. Never shown or saved. */
  state?: State;
}

export interface FileChange {
  path: string;
  /** Content the proposal was computed from; null when the file is to be created. */
  before: string | null;
  after: string;
  /** Mode for a new file (an existing file keeps its own). */
  mode?: number;
  /**
   * For a compose file: the service edits `after` was made with. The engine applies those of many
   * proposals to one parse of the file (one write, one check) instead of one proposal at a time.
   */
  compose?: { service: string; edits: ServiceEdit[] };
  /** `after` as edits of `before` (offsets into it), when known: the diff is made from them. */
  edits?: { start: number; end: number; text: string }[];
  /** For daemon.json: the keys set (or removed, value undefined) to make `after`. */
  json?: DaemonConfigEdit[];
  /*
   * `compose`, `edits` and `json` say what the change does, not only what the file becomes: when
   * the file changed since the check (another fix, an editor), the engine makes the change again
   * on the file as it is then (src/core/rebase.ts) instead of refusing it.
   */
}

export interface CommandAction {
  title: string;
  argv: string[];
  /** Run by the engine after a yes (`true`), or only shown for the person to run (`false`). */
  run: boolean;
  /** The user the command is meant for when shown (rootless set-up runs as that user). */
  asUser?: string;
  /**
   * The command prints a scanner's JSON report: the engine parses it (src/report/scanners.ts) and
   * shows counts by severity and the worst findings. Scanners exit non-zero when they find
   * something; with a readable report that is a result, not a failure.
   */
  parse?: ScanFormat;
}

/** Scanner report formats the engine can summarise. */
export type ScanFormat = 'trivy-json' | 'grype-json' | 'osv-json' | 'npm-audit-json' | 'snyk-json';

interface ProposalCommon {
  /** Stable within the step, used by `--only step:proposal` and the profile. */
  id: string;
  title: string;
  /** What the change does and what it may break, in plain words. */
  description?: string;
  /** Safety gates, shown before confirmation. */
  warnings: string[];
  /** Proposals sharing a group are alternatives: at most one of them is applied. */
  group?: string;
}

/** Writes files (shown as a diff); may also run commands and reload or restart dockerd. */
export interface ChangeProposal extends ProposalCommon {
  kind: 'change';
  risk: 'safe' | 'review';
  changes: FileChange[];
  commands: CommandAction[];
  /** What applying needs from dockerd. */
  daemon?: 'reload' | 'restart';
  choice?: never;
}

/**
 * Commands: those marked `run` the engine runs after a yes (an install, a scanner, a chmod);
 * the others are shown for the person to run. With none to run, nothing is applied.
 */
export interface CommandProposal extends ProposalCommon {
  kind: 'command';
  risk: 'safe' | 'review';
  changes: [];
  commands: CommandAction[];
  daemon?: 'reload' | 'restart';
  choice?: never;
}

/** Known to break here: explained, never written or run; commands in it are only shown. */
export interface AdviceProposal extends ProposalCommon {
  kind: 'advice';
  risk: 'advice';
  changes: [];
  commands: CommandAction[];
  daemon?: never;
  choice?: never;
}

/** Advice with nothing to show but its explanation: never written or run. */
export function adviceProposal(id: string, title: string, description: string, warnings: string[] = []): AdviceProposal {
  return { id, title, kind: 'advice', risk: 'advice', description, changes: [], commands: [], warnings };
}

/** A choice the person makes (step 13's platform), recorded in the profile; nothing changes. */
export interface ChoiceProposal extends ProposalCommon {
  kind: 'choice';
  risk: 'safe';
  changes: [];
  commands: [];
  choice: { key: 'platform'; value: string };
  daemon?: never;
}

/**
 * What a step proposes, as data: a file change, commands, advice or a choice. The kind says what
 * the engine may do with it; the types rule out the rest (advice that writes, a choice that runs).
 */
export type Proposal = ChangeProposal | CommandProposal | AdviceProposal | ChoiceProposal;

export type Target =
  /** `daemonId`: the daemon's ID from `docker info`, once known; host decisions are filed under it. */
  | { kind: 'host'; label: string; daemonId?: string }
  | { kind: 'dockerfile'; path: string; label: string }
  | { kind: 'compose'; path: string; label: string };

/** Read-only, lazily loaded facts. Every source is injectable so a test hands a step its world. */
export interface Context {
  target: Target;
  env: Readonly<Record<string, string | undefined>>;
  /** The running (or recorded) Docker host. Rejects with HostUnavailableError when unreachable. */
  host: HostFacts;
  /**
   * daemon.json, dockerd's flags, units and live info, read when first asked (once per batch run
   * until something is written). Rejects with a UserError naming the line of an invalid daemon.json.
   */
  daemon(): Promise<DaemonView>;
  /** The target Dockerfile, parsed. Only for a dockerfile target. */
  dockerfile(): Promise<DockerfileModel>;
  /**
   * Another Dockerfile, parsed: for one of the run's targets, the model its own steps see (a fix
   * for the whole repository reads the images of all its Dockerfiles).
   */
  runDockerfile(path: string): Promise<DockerfileModel>;
  /** The target compose file, parsed. Only for a compose target. */
  compose(): Promise<ComposeModel>;
  /** Installed tools, files outside the target, read-only commands. */
  probe: Probe;
  /** A learn sandbox: host steps read recorded facts and say what would happen on a real server. */
  learn: boolean;
  /**
   * Every target of this run, in run order. A fix for a whole repository (a CI scan, Dependabot)
   * is proposed once, with the first of the repository's Dockerfiles, and covers them all.
   */
  runTargets: readonly Target[];
}

/** One step on one target, with the context it reads through: what a run is made of. */
export interface StepTarget {
  step: Step;
  target: Target;
  ctx: Context;
}

export interface Step<State = unknown> {
  meta: StepMeta;
  check(ctx: Context): Promise<CheckResult<State>>;
  propose?(ctx: Context, result: CheckResult<State>): Promise<Proposal[]>;
}

/** Where a step works, in one word for lists: the host, Dockerfiles and compose files, or both. */
export function scopeOf(meta: Pick<StepMeta, 'targets'>): Scope {
  const host = meta.targets.includes('host');
  if (!host) return 'dockerfile';
  return meta.targets.length === 1 ? 'host' : 'both';
}

/** Whether the engine carries a proposal out after a yes: writes it, runs some of it, or records it. */
export function canApply(proposal: Proposal): boolean {
  switch (proposal.kind) {
    case 'change':
    case 'choice':
      return true;
    case 'command':
      return proposal.commands.some((c) => c.run);
    default:
      return false;
  }
}

/** A step whose `propose` reads the typed state its `check` returned. */
export function defineStep<State = unknown>(step: Step<State>): Step {
  return step as Step;
}

/** The status of a set of findings: the worst severity decides. */
export function statusOf(findings: Finding[], whenEmpty: Status = 'pass'): Status {
  if (findings.length === 0) return whenEmpty;
  if (findings.some((f) => f.severity === 'critical' || f.severity === 'high' || f.severity === 'medium')) return 'fail';
  if (findings.some((f) => f.severity === 'low')) return 'warn';
  return 'info';
}
