/**
 * Carries out the reducer's effects through the walk (src/core/walk.ts) and reports back with
 * actions. Effects run one after another, so an exit waits for the decision saved before it.
 */
import type { Walk } from '../core/walk.js';
import { targetLabel } from '../core/walk.js';
import { formatError } from '../core/errors.js';
import type { Action, Effect, ItemView } from './reducer.js';
import type { CheckResult, Proposal } from '../core/step.js';
import type { StepRun } from '../core/runner.js';
import type { DecidedRun } from '../core/repoconfig.js';
import { safeLine, safeText } from '../core/sanitize.js';

// The wizard's components render what they are given: results and the words of proposals carry
// text from files and the daemon, so they are made safe here, before they reach the state. What a
// proposal writes or runs (changes, argv) stays as it is; the diff view shows it safe.
function shownResult(result: CheckResult): CheckResult {
  return {
    ...result,
    findings: result.findings.map((f) => ({
      ...f,
      message: safeText(f.message),
      ...(f.file !== undefined ? { file: safeLine(f.file) } : {}),
      ...(f.evidence !== undefined ? { evidence: safeText(f.evidence) } : {}),
    })),
    ...(result.notes ? { notes: result.notes.map(safeText) } : {}),
  };
}

function shownProposals(proposals: Proposal[]): Proposal[] {
  return proposals.map((p) => {
    const words = { title: safeLine(p.title), warnings: p.warnings.map(safeText), ...(p.description !== undefined ? { description: safeText(p.description) } : {}) };
    if (p.kind === 'choice') return { ...p, ...words };
    return { ...p, ...words, commands: p.commands.map((c) => ({ ...c, title: safeLine(c.title), ...(c.asUser !== undefined ? { asUser: safeLine(c.asUser) } : {}) })) };
  });
}

export interface EffectRunner {
  run(effect: Effect): void;
  /** Resolves when every effect queued so far has finished. */
  idle(): Promise<void>;
}

/** Where the repository skips the step, when it does (its file and line, shown safe). */
function skippedIn(run: StepRun): { skippedIn?: string } {
  const skipped = (run as DecidedRun).skipped;
  return skipped ? { skippedIn: safeLine(skipped.source) } : {};
}

export function createEffectRunner(walk: Walk, dispatch: (action: Action) => void, onExit: (code: number) => void): EffectRunner {
  let chain: Promise<void> = Promise.resolve();
  const perform = async (effect: Effect): Promise<void> => {
    switch (effect.kind) {
      case 'check-all':
        await walk.checkAll((index, run) => {
          if (run) dispatch({ type: 'checked', index, result: shownResult(run.result), proposals: shownProposals(run.proposals), ...skippedIn(run) });
          else dispatch({ type: 'check-started', index });
        });
        dispatch({ type: 'loaded' });
        return;
      case 'check': {
        const run = await walk.check(effect.index);
        dispatch({ type: 'checked', index: effect.index, result: shownResult(run.result), proposals: shownProposals(run.proposals), why: effect.why, ...skippedIn(run) });
        return;
      }
      case 'apply': {
        const outcome = await walk.apply(effect.index, effect.proposal, (line) => dispatch({ type: 'log', line: safeText(line) }));
        const item = walk.items[effect.index]!;
        dispatch({
          type: 'apply-finished',
          index: effect.index,
          status: outcome.status,
          message: safeText(outcome.message),
          result: shownResult(outcome.run.result),
          proposals: shownProposals(outcome.run.proposals),
          decision: outcome.decision,
          ...(outcome.refused ? { refused: true } : {}),
          applied:
            outcome.record && (outcome.status === 'applied' || outcome.status === 'applied-still-failing')
              ? {
                  stepId: item.step.meta.id,
                  title: effect.proposal.title,
                  recordId: outcome.record.id,
                  files: outcome.record.files.map((f) => safeLine(f.path)),
                  message: safeText(outcome.message),
                }
              : undefined,
        });
        return;
      }
      case 'decide': {
        const decision = await walk.decide(effect.index, effect.decision);
        dispatch({ type: 'decision-saved', index: effect.index, decision });
        if (effect.repository && effect.decision.reason) {
          await walk.skipInRepository(effect.index, effect.decision.reason);
          // The other targets of the repository are skipped there now too: checked again, they say so.
          for (const index of walk.sameRepository(effect.index)) {
            const run = await walk.check(index);
            dispatch({ type: 'checked', index, result: shownResult(run.result), proposals: shownProposals(run.proposals), why: 'repository', ...skippedIn(run) });
          }
        }
        return;
      }
      case 'exit':
        onExit(effect.code);
        return;
    }
  };
  return {
    run(effect) {
      chain = chain.then(() =>
        perform(effect).catch((err: unknown) => {
          dispatch({ type: 'effect-failed', message: formatError(err) });
          if (effect.kind === 'exit') onExit(effect.code);
        }),
      );
    },
    idle() {
      return chain;
    },
  };
}

/** The wizard's rows: one per (step, target) pair of the walk, with the decision kept in the profile. */
export function itemsFromWalk(walk: Walk, cwd = process.cwd()): ItemView[] {
  return walk.items.map((item, index) => {
    const meta = item.step.meta;
    const decision = walk.decisionOf(index);
    return {
      id: meta.id,
      order: meta.order,
      title: meta.title,
      summary: meta.summary,
      explain: meta.explain,
      references: meta.references,
      target: safeLine(targetLabel(item.target, cwd)),
      proposals: [],
      ...(decision ? { decision } : {}),
      decidedNow: false,
    };
  });
}
