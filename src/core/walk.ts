/**
 * The wizard's controller: the (step, target) pairs of a run, in order, and the three things the
 * UI asks of the engine: check a step, apply one of its proposals, record a decision in the
 * profile. No UI here; the Ink app calls these and renders what they return.
 */
import path from 'node:path';
import type { Context, Proposal, StepId, StepTarget, Target } from './step.js';
import { applyProposal, errorResult, runStep, type ApplyOptions, type DaemonControl, type StepRun } from './runner.js';
import { formatError } from './errors.js';
import { newAppliedId, targetKey, type AppliedRecord, type Decision, type DecisionStatus, type Profile, type ProfileStore } from './profile.js';
import type { DecidedRun, RepoDecisions } from './repoconfig.js';

export interface WalkOptions {
  items: StepTarget[];
  store: ProfileStore;
  profile: Profile;
  daemon?: DaemonControl;
  beforeWrite?: (proposal: Proposal) => Promise<void>;
  /** The repositories' .docker-harden.yaml: a step skipped there is not walked, an ignored finding not shown. */
  decisions?: RepoDecisions;
  /** `--verify`: the proof of a change to a target's file, run after it is written (none for the host). */
  verify?: (ctx: Context) => NonNullable<ApplyOptions['verify']>;
}

/** What applying one proposal led to, with the step checked again afterwards. */
export interface WalkApplyResult {
  status: 'applied' | 'applied-still-failing' | 'rolled-back' | 'failed';
  message: string;
  record?: AppliedRecord;
  run: StepRun;
  /** The decision recorded for the step (done when the check now passes, failed when it went wrong). */
  decision?: Decision;
  /** Put back because its proof (--verify) saw it break something. */
  refused?: boolean;
}

export interface NewDecision {
  status: DecisionStatus;
  reason?: string;
  proposal?: string;
  applied?: string[];
}

/** Set (or replace) the decision for one step of one target in the profile. */
export function recordDecision(profile: Profile, target: Target, stepId: StepId, decision: NewDecision, now = new Date()): Decision {
  const key = targetKey(target);
  const entry: Decision = { status: decision.status, at: now.toISOString() };
  if (decision.reason !== undefined) entry.reason = decision.reason;
  if (decision.proposal !== undefined) entry.proposal = decision.proposal;
  if (decision.applied && decision.applied.length > 0) entry.applied = decision.applied;
  (profile.targets[key] ??= {})[stepId] = entry;
  return entry;
}

export function decisionFor(profile: Profile, target: Target, stepId: StepId): Decision | undefined {
  return profile.targets[targetKey(target)]?.[stepId];
}

/** A decision that lets a later run go past the step: done or skipped. `later` and `failed` come back. */
export function isSettledDecision(decision: Decision | undefined): boolean {
  return decision?.status === 'done' || decision?.status === 'skipped';
}

export class Walk {
  readonly items: StepTarget[];
  readonly store: ProfileStore;
  readonly profile: Profile;
  private readonly daemon?: DaemonControl;
  private readonly beforeWrite?: (proposal: Proposal) => Promise<void>;
  private readonly decisions?: RepoDecisions;
  private readonly verify?: WalkOptions['verify'];
  /** Changes applied during this run, oldest first. */
  readonly appliedThisRun: AppliedRecord[] = [];
  /** Recorded with each of them: `undo --run` takes them back together. */
  readonly runId = newAppliedId();
  /** Where progress lines go while a change is applied. */
  private applyLog: ((line: string) => void) | undefined;

  constructor(options: WalkOptions) {
    this.items = options.items;
    this.store = options.store;
    this.profile = options.profile;
    this.daemon = options.daemon;
    this.beforeWrite = options.beforeWrite;
    this.decisions = options.decisions;
    this.verify = options.verify;
  }

  decisionOf(index: number): Decision | undefined {
    const item = this.item(index);
    return decisionFor(this.profile, item.target, item.step.meta.id);
  }

  /**
   * Check the step (and ask for proposals when it did not pass), with the repository's decisions
   * applied as `check` applies them. Never throws: a bad ignore comment is shown as an error.
   */
  async check(index: number): Promise<StepRun> {
    const item = this.item(index);
    const run = await runStep(item.step, item.ctx);
    if (!this.decisions) return run;
    try {
      return withDecisionNotes(await this.decisions.decide(run));
    } catch (err) {
      return { ...run, proposals: [], result: errorResult(err) };
    }
  }

  /** Check every item in order, reporting progress before each one. */
  async checkAll(onProgress: (index: number, run?: StepRun) => void): Promise<StepRun[]> {
    const runs: StepRun[] = [];
    for (let i = 0; i < this.items.length; i++) {
      onProgress(i);
      const run = await this.check(i);
      runs.push(run);
      onProgress(i, run);
    }
    return runs;
  }

  /**
   * Apply one proposal of a step through the runner (backup, write, restart, health check,
   * rollback), check the step again, and record the outcome: `done` when the step now passes,
   * `failed` when the change did not take. An error before anything was written is `failed` too.
   */
  async apply(index: number, proposal: Proposal, log?: (line: string) => void): Promise<WalkApplyResult> {
    const item = this.item(index);
    let status: WalkApplyResult['status'];
    let message: string;
    let record: AppliedRecord | undefined;
    let refused = false;
    this.applyLog = log;
    try {
      const outcome = await applyProposal(item.step, item.target, proposal, {
        store: this.store,
        profile: this.profile,
        daemon: this.daemon,
        beforeWrite: this.beforeWrite,
        recheck: () => this.check(index),
        ...(this.verify && item.target.kind !== 'host' ? { verify: this.verify(item.ctx) } : {}),
        log,
        run: this.runId,
      });
      status = outcome.status;
      message = outcome.message;
      record = outcome.record;
      refused = outcome.proof === 'refused';
    } catch (err) {
      status = 'failed';
      message = `${formatError(err)}\nNothing was changed.`;
    } finally {
      this.applyLog = undefined;
    }
    if (record && (status === 'applied' || status === 'applied-still-failing')) this.appliedThisRun.push(record);
    const run = await this.check(index);
    let decision: Decision | undefined;
    // A recorded choice (step 13's platform) settles its step: there is nothing for a check to confirm.
    if (status === 'applied' && (proposal.kind === 'choice' || run.result.status === 'pass' || run.result.status === 'not-applicable' || run.proposals.length === 0)) {
      const earlier = this.decisionOf(index)?.applied ?? [];
      decision = await this.decide(index, { status: 'done', proposal: proposal.id, applied: [...earlier, ...(record ? [record.id] : [])] });
    } else if (status === 'failed' || status === 'rolled-back') {
      decision = await this.decide(index, { status: 'failed', proposal: proposal.id });
    }
    return { status, message, record, run, decision, ...(refused ? { refused } : {}) };
  }

  /** A progress line from elsewhere (the learn sandbox's recorded daemon) for the change being applied. */
  relay(line: string): void {
    this.applyLog?.(line);
  }

  /** Record a decision for the step and save the profile. */
  async decide(index: number, decision: NewDecision): Promise<Decision> {
    const item = this.item(index);
    const entry = recordDecision(this.profile, item.target, item.step.meta.id, decision);
    await this.store.save(this.profile);
    return entry;
  }

  /**
   * Keep a skip in the repository's .docker-harden.yaml (comments and order kept), written by the
   * engine like any change: backed up, atomic, recorded for undo.
   */
  async skipInRepository(index: number, reason: string): Promise<AppliedRecord | undefined> {
    const item = this.item(index);
    const { repoSkipChange } = await import('./repoconfig.js');
    const dir = item.target.kind === 'host' ? process.cwd() : path.dirname(item.target.path);
    const change = await repoSkipChange(dir, item.step.meta.id, reason);
    const proposal: Proposal = { kind: 'change', id: 'skip-in-repository', title: `Skip ${item.step.meta.id} for the repository`, risk: 'safe', changes: [change], commands: [], warnings: [] };
    const outcome = await applyProposal(item.step, item.target, proposal, { store: this.store, profile: this.profile, beforeWrite: this.beforeWrite, run: this.runId });
    if (outcome.status !== 'applied') throw new Error(outcome.message);
    if (outcome.record) this.appliedThisRun.push(outcome.record);
    this.decisions?.reload(dir);
    return outcome.record;
  }

  /** The items of the same step as `index` whose targets are in its repository (itself included): a skip written there reaches them all. */
  sameRepository(index: number): number[] {
    const decisions = this.decisions;
    if (!decisions) return [index];
    const rootOf = (target: Target) => decisions.rootFor(target.kind === 'host' ? process.cwd() : path.dirname(target.path));
    const item = this.item(index);
    const root = rootOf(item.target);
    return this.items.flatMap((other, i) => (other.step.meta.id === item.step.meta.id && rootOf(other.target) === root ? [i] : []));
  }

  /** Changes applied to these targets in earlier runs and not undone. */
  appliedEarlier(): AppliedRecord[] {
    const keys = new Set(this.items.map((i) => targetKey(i.target)));
    const now = new Set(this.appliedThisRun.map((r) => r.id));
    return this.profile.applied.filter((r) => keys.has(r.target) && !r.undone && !now.has(r.id));
  }

  private item(index: number): StepTarget {
    const item = this.items[index];
    if (!item) throw new RangeError(`no step at position ${index}`);
    return item;
  }
}

/** What the repository decided, said in the step's notes: the wizard shows notes, not suppressions. */
function withDecisionNotes(run: DecidedRun): StepRun {
  const said = run.skipped
    ? [`skipped for the repository in ${run.skipped.source}: ${run.skipped.reason}`]
    : (run.suppressed ?? []).map((f) => `ignored in ${f.suppression.source}: ${f.message} (${f.suppression.reason})`);
  if (said.length === 0) return run;
  return { ...run, result: { ...run.result, notes: [...said, ...(run.result.notes ?? [])] } };
}

/** What a walk needs of a session (assembled in src/app). */
export interface WalkSource {
  pairs(): StepTarget[];
  store: ProfileStore;
  daemon?: DaemonControl;
  beforeWrite: (proposal: Proposal) => Promise<void>;
}

/** The walk of a session: its (step, target) pairs in seed order. */
export function walkFromSession(session: WalkSource, profile: Profile, decisions?: RepoDecisions, verify?: WalkOptions['verify']): Walk {
  return new Walk({ items: session.pairs(), store: session.store, profile, daemon: session.daemon, beforeWrite: session.beforeWrite, decisions, ...(verify ? { verify } : {}) });
}

/** How a target is named on screen: the path relative to the cwd when that is shorter. */
export function targetLabel(target: Target, cwd = process.cwd()): string {
  if (target.kind === 'host') return target.label;
  const rel = path.relative(cwd, target.path);
  return rel && !rel.startsWith('..') && rel.length < target.path.length ? rel : target.path;
}
