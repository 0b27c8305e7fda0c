/**
 * Carries out the reducer's effects through the walk (src/core/walk.ts) and reports back with
 * actions. Effects run one after another, so an exit waits for the decision saved before it.
 */
import type { Walk } from '../core/walk.js';
import { targetLabel } from '../core/walk.js';
import { formatError } from '../core/errors.js';
import type { Action, Effect, ItemView } from './reducer.js';

export interface EffectRunner {
  run(effect: Effect): void;
  /** Resolves when every effect queued so far has finished. */
  idle(): Promise<void>;
}

export function createEffectRunner(walk: Walk, dispatch: (action: Action) => void, onExit: (code: number) => void): EffectRunner {
  let chain: Promise<void> = Promise.resolve();
  const perform = async (effect: Effect): Promise<void> => {
    switch (effect.kind) {
      case 'check-all':
        await walk.checkAll((index, run) => {
          if (run) dispatch({ type: 'checked', index, result: run.result, proposals: run.proposals });
          else dispatch({ type: 'check-started', index });
        });
        dispatch({ type: 'loaded' });
        return;
      case 'check': {
        const run = await walk.check(effect.index);
        dispatch({ type: 'checked', index: effect.index, result: run.result, proposals: run.proposals, why: effect.why });
        return;
      }
      case 'apply': {
        const outcome = await walk.apply(effect.index, effect.proposal, (line) => dispatch({ type: 'log', line }));
        const item = walk.items[effect.index]!;
        dispatch({
          type: 'apply-finished',
          index: effect.index,
          status: outcome.status,
          message: outcome.message,
          result: outcome.run.result,
          proposals: outcome.run.proposals,
          decision: outcome.decision,
          applied:
            outcome.record && (outcome.status === 'applied' || outcome.status === 'applied-still-failing')
              ? {
                  stepId: item.step.meta.id,
                  title: effect.proposal.title,
                  recordId: outcome.record.id,
                  files: outcome.record.files.map((f) => f.path),
                  message: outcome.message,
                }
              : undefined,
        });
        return;
      }
      case 'decide': {
        const decision = await walk.decide(effect.index, effect.decision);
        dispatch({ type: 'decision-saved', index: effect.index, decision });
        if (effect.repository && effect.decision.reason) await walk.skipInRepository(effect.index, effect.decision.reason);
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
      target: targetLabel(item.target, cwd),
      proposals: [],
      ...(decision ? { decision } : {}),
      decidedNow: false,
    };
  });
}
