import { describe, expect, it } from 'vitest';
import {
  reducer,
  initialState,
  choicesFor,
  nextIndex,
  resumeIndex,
  isSettled,
  type Action,
  type ItemView,
  type KeyInfo,
  type WizardState,
} from '../../src/ui/reducer.js';
import type { CheckResult, Proposal, StepId } from '../../src/core/step.js';
import type { Decision } from '../../src/core/profile.js';

const FAIL: CheckResult = { status: 'fail', findings: [{ code: 'DH-USER-ROOT', message: 'runs as root', severity: 'high', file: 'Dockerfile', line: 1 }] };
const PASS: CheckResult = { status: 'pass', findings: [] };

const fileFix: Proposal = {
  kind: 'change',
  risk: 'safe',
  id: 'add-user',
  title: 'Add a USER line',
  changes: [{ path: '/tmp/Dockerfile', before: 'FROM x\n', after: 'FROM x\nUSER 10001\n' }],
  commands: [],
  warnings: [],
};
const otherFix: Proposal = { ...fileFix, id: 'other', title: 'Another fix' };
const manualFix: Proposal = { kind: 'command', id: 'manual', title: 'Run this', changes: [], commands: [{ title: 'do it', argv: ['true'], run: false }], warnings: [] };

const IDS: StepId[] = ['non-root-user', 'slim-base-image', 'multi-stage-build'];

function item(i: number, decision?: Decision): ItemView {
  return {
    id: IDS[i]!,
    order: [4, 6, 7][i]!,
    title: `title ${i}`,
    summary: '',
    explain: 'why',
    references: [],
    target: 'Dockerfile',
    proposals: [],
    decidedNow: false,
    ...(decision ? { decision } : {}),
  };
}

function key(input: string, k: KeyInfo = {}): Action {
  return { type: 'key', input, key: k };
}
const ENTER = key('', { return: true });
const ESC = key('', { escape: true });
const UP = key('', { upArrow: true });
const DOWN = key('', { downArrow: true });
const LEFT = key('', { leftArrow: true });
const RIGHT = key('', { rightArrow: true });
const BACKSPACE = key('', { backspace: true });
const DELETE = key('', { delete: true });
const CTRL_C = key('c', { ctrl: true });

function run(state: WizardState, ...actions: Action[]): WizardState {
  return actions.reduce(reducer, state);
}

/** Three checked steps, loaded: all failing with one file fix unless told otherwise. */
function loaded(options: { results?: CheckResult[]; proposals?: Proposal[][]; decisions?: (Decision | undefined)[]; stopOnPassing?: boolean } = {}): WizardState {
  const items = [0, 1, 2].map((i) => item(i, options.decisions?.[i]));
  let s = initialState({ items, stopOnPassing: options.stopOnPassing });
  s = reducer(s, { type: 'effects-taken', count: s.effects.length });
  for (let i = 0; i < 3; i++) {
    s = run(s, { type: 'check-started', index: i }, { type: 'checked', index: i, result: options.results?.[i] ?? FAIL, proposals: options.proposals?.[i] ?? [fileFix] });
  }
  return reducer(s, { type: 'loaded' });
}

describe('wizard reducer', () => {
  describe('loading', () => {
    it('starts by asking for every check, on the loading screen', () => {
      const s = initialState({ items: [item(0), item(1)] });
      expect(s.screen).toBe('loading');
      expect(s.effects).toEqual([{ kind: 'check-all' }]);
      expect(s.loading).toEqual({ index: 0, total: 2 });
    });

    it('shows which check runs', () => {
      const s = run(initialState({ items: [item(0), item(1)] }), { type: 'check-started', index: 1 });
      expect(s.loading).toEqual({ index: 1, total: 2, id: 'slim-base-image' });
    });

    it('keeps each result and its proposals', () => {
      const s = run(initialState({ items: [item(0)] }), { type: 'checked', index: 0, result: FAIL, proposals: [fileFix] });
      expect(s.items[0]!.result).toBe(FAIL);
      expect(s.items[0]!.proposals).toEqual([fileFix]);
      expect(s.screen).toBe('loading');
    });

    it('q while loading quits', () => {
      const s = run(initialState({ items: [item(0)] }), { type: 'effects-taken', count: 1 }, key('q'));
      expect(s.screen).toBe('quit');
      expect(s.effects).toEqual([{ kind: 'exit', code: 0 }]);
    });

    it('ignores other keys while loading', () => {
      const s0 = initialState({ items: [item(0)] });
      expect(run(s0, key('a'), key('1'), ENTER)).toBe(s0);
    });

    it('once loaded, shows the first step that needs a decision, without a resume note on a fresh profile', () => {
      const s = loaded();
      expect(s.screen).toBe('step');
      expect(s.current).toBe(0);
      expect(s.notice).toBeUndefined();
    });

    it('loaded twice does not move away from where the person is', () => {
      const s = run(loaded(), DOWN);
      expect(run(s, { type: 'loaded' })).toBe(s);
    });
  });

  describe('resume', () => {
    it('resumes at the first step neither done nor skipped, and says so', () => {
      const s = loaded({ decisions: [{ status: 'done', at: 't' }, { status: 'skipped', at: 't', reason: 'r' }] });
      expect(s.current).toBe(2);
      expect(s.notice?.text).toMatch(/Resuming at check 3\/3, multi-stage-build/);
    });

    it('a step left for later comes back on the next run', () => {
      const s = loaded({ decisions: [{ status: 'done', at: 't' }, { status: 'later', at: 't' }] });
      expect(s.current).toBe(1);
      expect(s.notice?.text).toMatch(/Resuming at check 2\/3, slim-base-image \(you chose Later last time\)/);
    });

    it('a step whose change failed comes back too', () => {
      const s = loaded({ decisions: [{ status: 'failed', at: 't' }] });
      expect(s.current).toBe(0);
      expect(s.notice?.text).toMatch(/the last attempt failed/);
    });

    it('passing steps are gone past, unless every step is walked (learn)', () => {
      expect(loaded({ results: [PASS, FAIL, FAIL] }).current).toBe(1);
      expect(loaded({ results: [PASS, FAIL, FAIL], stopOnPassing: true }).current).toBe(0);
    });

    it('with every step decided, goes to the summary and says nothing is left', () => {
      const done: Decision = { status: 'done', at: 't' };
      const s = loaded({ decisions: [done, done, done] });
      expect(s.screen).toBe('summary');
      expect(s.notice?.text).toMatch(/Nothing left to decide/);
    });

    it('resumeIndex, nextIndex and isSettled agree on what is settled', () => {
      const s = loaded({ decisions: [{ status: 'done', at: 't' }, undefined, { status: 'later', at: 't' }] });
      expect(isSettled(s.items[0]!, false)).toBe(true);
      expect(isSettled(s.items[2]!, false)).toBe(false);
      expect(resumeIndex(s)).toBe(1);
      expect(nextIndex(s, 1)).toBe(2);
      expect(nextIndex(s, 2)).toBe(1);
    });
  });

  describe('step screen', () => {
    it('offers Apply, Skip, Later, Check again, Explain more and Quit for a failing step with a file fix', () => {
      expect(choicesFor(loaded().items[0], 0).map((c) => c.id)).toEqual(['apply', 'skip', 'later', 'recheck', 'explain', 'quit']);
    });

    it('offers Mark done instead of Apply when the fix is only commands to run by hand', () => {
      const s = loaded({ proposals: [[manualFix], [], []] });
      expect(choicesFor(s.items[0], 0).map((c) => c.id)).toEqual(['done', 'skip', 'later', 'recheck', 'explain', 'quit']);
      expect(choicesFor(s.items[1], 0).map((c) => c.id)).toEqual(['skip', 'later', 'recheck', 'explain', 'quit']);
    });

    it('offers Apply for a choice (the platforms step): applying records it', () => {
      const platform: Proposal = { kind: 'choice', id: 'open-tools', title: 'Open tools', risk: 'safe', changes: [], commands: [], warnings: [], group: 'platform', choice: { key: 'platform', value: 'open-tools' } };
      const s = loaded({ proposals: [[platform], [], []] });
      expect(choicesFor(s.items[0], 0).map((c) => c.id)[0]).toBe('apply');
      expect(run(s, key('a'), key('y')).effects.at(-1)).toEqual({ kind: 'apply', index: 0, proposal: platform });
    });

    it('offers Next for a passing step', () => {
      const s = loaded({ results: [PASS, FAIL, FAIL] });
      expect(choicesFor(s.items[0], 0).map((c) => c.id)).toEqual(['next', 'explain', 'quit']);
    });

    it('arrows move the highlight, wrapping around', () => {
      let s = run(loaded(), DOWN, DOWN);
      expect(s.choiceCursor).toBe(2);
      s = run(s, UP, UP, UP);
      expect(s.choiceCursor).toBe(5);
      expect(run(s, key('j')).choiceCursor).toBe(0);
      expect(run(s, key('k')).choiceCursor).toBe(4);
    });

    it('Enter on Apply asks for confirmation, with No highlighted; nothing is applied yet', () => {
      const s = run(loaded(), ENTER);
      expect(s.screen).toBe('confirm');
      expect(s.confirmYes).toBe(false);
      expect(s.effects).toEqual([]);
    });

    it('a opens the same confirmation', () => {
      expect(run(loaded(), key('a')).screen).toBe('confirm');
    });

    /** Nothing was decided, applied or opened: only the notice may differ. */
    const unchanged = (after: WizardState, before: WizardState) => expect({ ...after, notice: before.notice }).toEqual(before);

    it('a, when there is nothing to apply, changes nothing and says which keys work', () => {
      const s = loaded({ proposals: [[manualFix], [], []] });
      const after = run(s, key('a'));
      unchanged(after, s);
      expect(after.notice?.text).toBe('"a" does nothing here. Press one of: d Mark done (I did it by hand), s Skip (give a reason), l Later, r Check again, e Explain more, q Quit.');
    });

    it('y or n before any question changes nothing and names the key that asks it', () => {
      const s = loaded();
      for (const k of ['y', 'n']) {
        const after = run(s, key(k));
        unchanged(after, s);
        expect(after.notice?.text).toMatch(new RegExp(`^"${k}" does nothing here\\. Press one of: a Apply, s Skip`));
      }
    });

    it('a stray digit or unknown letter changes nothing; a space or a Ctrl key is not answered', () => {
      const s = loaded();
      for (const d of '0123456789xZ') unchanged(run(s, key(d)), s);
      expect(run(s, key(' '), key('x', { ctrl: true }))).toBe(s);
    });

    it('→, Tab and ← switch between several proposals and reset the highlight', () => {
      let s = run(loaded({ proposals: [[fileFix, otherFix], [], []] }), DOWN);
      s = run(s, RIGHT);
      expect(s.proposalIndex).toBe(1);
      expect(s.choiceCursor).toBe(0);
      expect(run(s, key('', { tab: true })).proposalIndex).toBe(0);
      expect(run(s, LEFT).proposalIndex).toBe(0);
      expect(run(s, LEFT, LEFT).proposalIndex).toBe(1);
    });

    it('→ does nothing with one proposal', () => {
      const s = loaded();
      expect(run(s, RIGHT).proposalIndex).toBe(0);
    });

    it('applies the proposal on screen: the second one after →', () => {
      const s = run(loaded({ proposals: [[fileFix, otherFix], [], []] }), RIGHT, key('a'), key('y'));
      expect(s.effects).toEqual([{ kind: 'apply', index: 0, proposal: otherFix }]);
    });

    it('l leaves the step for later, saves that, and goes on', () => {
      const s = run(loaded(), key('l'));
      expect(s.items[0]!.decision?.status).toBe('later');
      expect(s.items[0]!.decidedNow).toBe(true);
      expect(s.effects).toEqual([{ kind: 'decide', index: 0, decision: { status: 'later' } }]);
      expect(s.current).toBe(1);
      expect(s.notice?.text).toMatch(/later/);
    });

    it('d marks a by-hand step done, with the proposal id', () => {
      const s = run(loaded({ proposals: [[manualFix], [], []] }), key('d'));
      expect(s.effects).toEqual([{ kind: 'decide', index: 0, decision: { status: 'done', proposal: 'manual' } }]);
      expect(s.current).toBe(1);
    });

    it('n on a passing step goes on without a decision in a real run', () => {
      let s = loaded({ results: [PASS, FAIL, FAIL] });
      s = run(s, { type: 'key', input: 'v', key: {} }, key('', { upArrow: true }), ENTER); // open step 1 from the list
      expect(s.current).toBe(0);
      s = run(s, key('n'));
      expect(s.current).toBe(1);
      expect(s.effects).toEqual([]);
    });

    it('n on a passing step records done in the learn walk', () => {
      const s = run(loaded({ results: [PASS, FAIL, FAIL], stopOnPassing: true }), key('n'));
      expect(s.effects).toEqual([{ kind: 'decide', index: 0, decision: { status: 'done' } }]);
      expect(s.current).toBe(1);
    });

    it('r checks the step again; the new result replaces the old and says so', () => {
      let s = run(loaded(), key('r'));
      expect(s.effects).toEqual([{ kind: 'check', index: 0, why: 'recheck' }]);
      s = run(s, { type: 'checked', index: 0, result: PASS, proposals: [], why: 'recheck' });
      expect(s.items[0]!.result).toBe(PASS);
      expect(s.notice).toEqual({ tone: 'good', text: 'Checked again: pass; nothing left to change' });
      expect(s.screen).toBe('step');
    });

    it('e explains more; Esc, Enter or e comes back; q quits from there', () => {
      const s = run(loaded(), key('e'));
      expect(s.screen).toBe('explain');
      expect(run(s, ESC).screen).toBe('step');
      expect(run(s, ENTER).screen).toBe('step');
      expect(run(s, key('e')).screen).toBe('step');
      expect(run(s, key('1')).screen).toBe('explain');
      expect(run(s, key('q')).screen).toBe('quit');
    });

    it('q quits and asks for exit', () => {
      const s = run(loaded(), key('q'));
      expect(s.screen).toBe('quit');
      expect(s.effects).toEqual([{ kind: 'exit', code: 0 }]);
    });

    it('Ctrl+C quits', () => {
      expect(run(loaded(), CTRL_C).screen).toBe('quit');
    });

    it('after the last step, goes to the summary', () => {
      const s = run(loaded(), key('l'), key('l'), key('l'));
      expect(s.screen).toBe('summary');
      expect(s.effects.map((e) => e.kind)).toEqual(['decide', 'decide', 'decide']);
    });

    it('does not bring up a step decided in this run again, but does wrap to an earlier open one', () => {
      let s = run(loaded(), key('v'), DOWN, ENTER); // jump to step 2 first
      expect(s.current).toBe(1);
      s = run(s, key('l'));
      expect(s.current).toBe(2);
      s = run(s, key('l'));
      expect(s.current).toBe(0);
      s = run(s, key('l'));
      expect(s.screen).toBe('summary');
    });
  });

  describe('confirm', () => {
    const atConfirm = () => run(loaded(), key('a'));

    it('y applies: applying screen, apply effect with the proposal', () => {
      const s = run(atConfirm(), key('y'));
      expect(s.screen).toBe('applying');
      expect(s.effects).toEqual([{ kind: 'apply', index: 0, proposal: fileFix }]);
    });

    it('Y applies too', () => {
      expect(run(atConfirm(), key('Y')).screen).toBe('applying');
    });

    it('Enter with No highlighted declines: nothing applied, and says so', () => {
      const s = run(atConfirm(), ENTER);
      expect(s.screen).toBe('step');
      expect(s.effects).toEqual([]);
      expect(s.notice?.text).toBe('Not applied: nothing was changed.');
    });

    it('n, N and Esc decline', () => {
      for (const a of [key('n'), key('N'), ESC]) {
        const s = run(atConfirm(), a);
        expect(s.screen).toBe('step');
        expect(s.effects).toEqual([]);
      }
    });

    it('arrows move to Yes; then Enter applies', () => {
      const s = run(atConfirm(), RIGHT);
      expect(s.confirmYes).toBe(true);
      expect(run(s, ENTER).effects).toEqual([{ kind: 'apply', index: 0, proposal: fileFix }]);
      expect(run(s, LEFT).confirmYes).toBe(false);
      expect(run(s, UP, DOWN, key('', { tab: true })).confirmYes).toBe(false);
    });

    it('a stray digit, space or other letter does not confirm', () => {
      const s = atConfirm();
      for (const k of ['1', '2', '9', '0', ' ', 'a', 'x', 'yes'.slice(1)]) expect(run(s, key(k))).toBe(s);
      expect(run(s, key('1'), key('2')).screen).toBe('confirm');
    });

    it('Ctrl+C at confirm quits without applying, with exit code 130', () => {
      const s = run(atConfirm(), CTRL_C);
      expect(s.screen).toBe('quit');
      expect(s.effects).toEqual([{ kind: 'exit', code: 130 }]);
    });
  });

  describe('applying', () => {
    const applying = () => {
      const s = run(loaded(), key('a'), key('y'));
      return reducer(s, { type: 'effects-taken', count: s.effects.length });
    };

    it('collects progress lines', () => {
      const s = run(applying(), { type: 'log', line: 'wrote /tmp/Dockerfile' });
      expect(s.log).toEqual(['wrote /tmp/Dockerfile']);
    });

    it('ignores keys, and Ctrl+C only says to wait', () => {
      const s = applying();
      expect(run(s, key('q'), key('y'), ENTER)).toBe(s);
      const c = run(s, CTRL_C);
      expect(c.screen).toBe('applying');
      expect(c.notice?.text).toMatch(/wait/);
    });

    it('applied and passing: keeps the decision and the applied change, goes on with a note', () => {
      const s = run(applying(), {
        type: 'apply-finished',
        index: 0,
        status: 'applied',
        message: 'applied; the check now passes',
        result: PASS,
        proposals: [],
        decision: { status: 'done', at: 't', proposal: 'add-user', applied: ['c1'] },
        applied: { stepId: 'non-root-user', title: 'Add a USER line', recordId: 'c1', files: ['/tmp/Dockerfile'], message: 'applied' },
      });
      expect(s.current).toBe(1);
      // Step 2 was checked before the change: it is checked again before it is shown.
      expect(s.screen).toBe('refresh');
      expect(s.effects.at(-1)).toEqual({ kind: 'check', index: 1, why: 'refresh' });
      expect(s.items[0]!.decision?.status).toBe('done');
      expect(s.items[0]!.decidedNow).toBe(true);
      expect(s.items[0]!.result).toBe(PASS);
      expect(s.applied).toHaveLength(1);
      expect(s.notice).toEqual({ tone: 'good', text: 'title 0: applied; the check now passes' });
    });

    it('applied but still failing: back to the same step with its new proposals', () => {
      const s = run(applying(), { type: 'apply-finished', index: 0, status: 'applied-still-failing', message: 'applied, but the check still reports fail', result: FAIL, proposals: [otherFix] });
      expect(s.screen).toBe('step');
      expect(s.current).toBe(0);
      expect(s.items[0]!.proposals).toEqual([otherFix]);
      expect(s.notice?.tone).toBe('info');
    });

    it('failed or rolled back: back to the step, in red, with the failed decision', () => {
      for (const status of ['failed', 'rolled-back'] as const) {
        const s = run(applying(), { type: 'apply-finished', index: 0, status, message: 'dockerd did not come back', result: FAIL, proposals: [fileFix], decision: { status: 'failed', at: 't' } });
        expect(s.screen).toBe('step');
        expect(s.current).toBe(0);
        expect(s.items[0]!.decision?.status).toBe('failed');
        expect(s.notice).toEqual({ tone: 'bad', text: 'title 0: dockerd did not come back' });
      }
    });

    it('refused by its proof: back to the step with the next of its alternatives shown, and said; unproven or another failure: the same one', () => {
      const plain: Proposal = { ...fileFix, risk: 'review', id: 'set-user', title: 'Run the final stage as app', group: 'set-user' };
      const owning: Proposal = { ...plain, id: 'set-user-own-folder', title: 'Run the final stage as app, owning /app' };
      const start = () => {
        let s = initialState({ items: [item(0)], info: { profile: 'p', undoCommand: 'docker-harden undo' } });
        s = run(s, { type: 'effects-taken', count: 1 }, { type: 'checked', index: 0, result: FAIL, proposals: [plain, owning] }, { type: 'loaded' }, key('a'), key('y'));
        return reducer(s, { type: 'effects-taken', count: s.effects.length });
      };
      const finished = { type: 'apply-finished', index: 0, status: 'rolled-back', message: 'not kept: the container no longer stays up', result: FAIL, proposals: [plain, owning], decision: { status: 'failed', at: 't' } } as const;
      const refused = run(start(), { ...finished, refused: true });
      expect(refused.screen).toBe('step');
      expect(refused.proposalIndex).toBe(1);
      expect(refused.notice).toEqual({ tone: 'bad', text: 'title 0: not kept: the container no longer stays up\nAnother way is shown: Run the final stage as app, owning /app.' });
      const unproven = run(start(), finished);
      expect(unproven.proposalIndex).toBe(0);
      expect(unproven.notice?.text).not.toContain('Another way');
    });

    it('an effect that throws while applying returns to the step with the message', () => {
      const s = run(applying(), { type: 'effect-failed', message: 'disk full' });
      expect(s.screen).toBe('step');
      expect(s.notice).toEqual({ tone: 'bad', text: 'disk full' });
    });
  });

  describe('skip with a reason', () => {
    const atReason = () => run(loaded(), key('s'));

    it('s asks for a reason', () => {
      const s = atReason();
      expect(s.screen).toBe('reason');
      expect(s.reason).toBe('');
    });

    it('typing, digits included, builds the reason; Backspace and Delete remove the last character', () => {
      let s = run(atReason(), key('w'), key('e'), key(' '), key('2'), key('x'));
      expect(s.reason).toBe('we 2x');
      s = run(s, BACKSPACE);
      expect(s.reason).toBe('we 2');
      s = run(s, DELETE);
      expect(s.reason).toBe('we ');
    });

    it('a pasted chunk is kept, without control characters', () => {
      expect(run(atReason(), key('needs\tcurl')).reason).toBe('needscurl');
    });

    it('a paste that ends with its Enter is taken whole and saved, as typing it and Enter would be', () => {
      const typed = run(atReason(), ...[...'base image is pinned'].map((c) => key(c)), ENTER);
      const pasted = run(atReason(), key('base image is pinned\r'));
      expect(pasted.screen).not.toBe('reason');
      expect(pasted.effects.at(-1)).toEqual({ kind: 'decide', index: 0, decision: { status: 'skipped', reason: 'base image is pinned' } });
      expect(pasted.effects).toEqual(typed.effects);
      expect(pasted.items[0]!.decision).toMatchObject({ status: 'skipped', reason: 'base image is pinned' });
      // Only the first line of a multi-line paste: the rest is not typed into the next screen.
      expect(run(atReason(), key('first line\nsecond line\r')).items[0]!.decision).toMatchObject({ reason: 'first line' });
    });

    it('arrows, Tab and Ctrl keys do not type; Ctrl+U clears', () => {
      let s = run(atReason(), key('abc'));
      s = run(s, UP, LEFT, key('', { tab: true }), key('x', { ctrl: true }));
      expect(s.reason).toBe('abc');
      expect(run(s, key('u', { ctrl: true })).reason).toBe('');
    });

    it('q is a letter of the reason, not quit', () => {
      const s = run(atReason(), key('q'));
      expect(s.screen).toBe('reason');
      expect(s.reason).toBe('q');
    });

    it('Enter with no reason asks for one and stays', () => {
      const s = run(atReason(), key('  '), ENTER);
      expect(s.screen).toBe('reason');
      expect(s.effects).toEqual([]);
      expect(s.notice?.tone).toBe('bad');
    });

    it('Enter saves the trimmed reason as a skip and goes on', () => {
      const s = run(atReason(), key(' base image is mandated '), ENTER);
      expect(s.effects).toEqual([{ kind: 'decide', index: 0, decision: { status: 'skipped', reason: 'base image is mandated' } }]);
      expect(s.items[0]!.decision).toMatchObject({ status: 'skipped', reason: 'base image is mandated' });
      expect(s.current).toBe(1);
      expect(s.notice?.text).toMatch(/skipped \(base image is mandated\)/);
    });

    it('Esc goes back without a decision', () => {
      const s = run(atReason(), key('abc'), ESC);
      expect(s.screen).toBe('step');
      expect(s.effects).toEqual([]);
      expect(s.items[0]!.decision).toBeUndefined();
    });

    it('Ctrl+C quits', () => {
      expect(run(atReason(), CTRL_C).screen).toBe('quit');
    });
  });

  describe('step list', () => {
    it('v and Esc open the list at the current step', () => {
      for (const a of [key('v'), ESC]) {
        const s = run(loaded(), key('l'), a);
        expect(s.screen).toBe('list');
        expect(s.listCursor).toBe(1);
        expect(s.back).toBe('step');
      }
    });

    it('arrows move, wrapping; Enter opens that step', () => {
      let s = run(loaded(), key('v'), UP);
      expect(s.listCursor).toBe(2);
      s = run(s, DOWN, key('j'));
      expect(s.listCursor).toBe(1);
      s = run(s, key('k'), ENTER);
      expect(s.screen).toBe('step');
      expect(s.current).toBe(0);
    });

    it('Esc or v goes back; q quits; digits do nothing', () => {
      const s = run(loaded(), key('v'));
      expect(run(s, ESC).screen).toBe('step');
      expect(run(s, key('v')).screen).toBe('step');
      expect(run(s, key('q')).screen).toBe('quit');
      expect(run(s, key('3'))).toBe(s);
    });
  });

  describe('summary and quit', () => {
    const atSummary = () => run(loaded(), key('l'), key('l'), key('l'));

    it('Enter, Esc or q leaves the summary: quit screen and exit', () => {
      for (const a of [ENTER, ESC, key('q')]) {
        const s = run(atSummary(), a);
        expect(s.screen).toBe('quit');
        expect(s.effects.at(-1)).toEqual({ kind: 'exit', code: 0 });
      }
    });

    it('v shows the list, and Esc comes back to the summary', () => {
      const s = run(atSummary(), key('v'));
      expect(s.screen).toBe('list');
      expect(run(s, ESC).screen).toBe('summary');
    });

    it('the quit screen ignores every key', () => {
      const s = run(loaded(), key('q'));
      expect(run(s, key('y'), ENTER, CTRL_C)).toBe(s);
    });
  });

  describe('engine results', () => {
    it('decision-saved replaces the shown decision with the saved one (with its time)', () => {
      let s = run(loaded(), key('l'));
      expect(s.items[0]!.decision?.at).toBe('');
      s = run(s, { type: 'decision-saved', index: 0, decision: { status: 'later', at: '2025-01-01T00:00:00.000Z' } });
      expect(s.items[0]!.decision?.at).toBe('2025-01-01T00:00:00.000Z');
    });

    it('effects-taken removes the effects handed to the runner', () => {
      const s = run(loaded(), key('l'), key('l'));
      expect(s.effects).toHaveLength(2);
      expect(run(s, { type: 'effects-taken', count: 1 }).effects).toHaveLength(1);
    });

    it('a failed effect outside applying keeps the screen and shows the message', () => {
      const s = run(loaded(), { type: 'effect-failed', message: 'cannot save' });
      expect(s.screen).toBe('step');
      expect(s.notice).toEqual({ tone: 'bad', text: 'cannot save' });
    });
  });

  describe('checking again after a change', () => {
    const appliedFirst = () => {
      let s = run(loaded(), key('a'), key('y'));
      s = run(s, { type: 'effects-taken', count: s.effects.length });
      return run(s, {
        type: 'apply-finished',
        index: 0,
        status: 'applied',
        message: 'applied',
        result: PASS,
        proposals: [],
        decision: { status: 'done', at: 't' },
      });
    };

    it('counts applies, and the applied step itself counts as freshly checked', () => {
      const s = appliedFirst();
      expect(s.changes).toBe(1);
      expect(s.items[0]!.checkedAt).toBe(1);
      expect(s.items[1]!.checkedAt).toBe(0);
    });

    it('while a step is checked again, only q and Ctrl+C do anything', () => {
      const s = appliedFirst();
      expect(run(s, key('a'), key('y'), ENTER, key('1'))).toBe(s);
      expect(run(s, key('q')).screen).toBe('quit');
      expect(run(s, CTRL_C).screen).toBe('quit');
    });

    it('shows the step with its fresh proposals once checked', () => {
      const s = run(appliedFirst(), { type: 'checked', index: 1, result: FAIL, proposals: [otherFix], why: 'refresh' });
      expect(s.screen).toBe('step');
      expect(s.current).toBe(1);
      expect(s.items[1]!.proposals).toEqual([otherFix]);
      expect(s.items[1]!.checkedAt).toBe(1);
      expect(run(s, key('a'), key('y')).effects.at(-1)).toEqual({ kind: 'apply', index: 1, proposal: otherFix });
    });

    it('a step that an earlier change fixed is gone past, and says so', () => {
      const s = run(appliedFirst(), { type: 'checked', index: 1, result: PASS, proposals: [], why: 'refresh' });
      expect(s.current).toBe(2);
      expect(s.screen).toBe('refresh');
      expect(s.notice).toEqual({ tone: 'good', text: 'title 1 passes now: an earlier change took care of it.' });
    });

    it('in the learn walk a step that passes now is still shown', () => {
      let s = run(loaded({ stopOnPassing: true }), key('a'), key('y'));
      s = run(s, { type: 'apply-finished', index: 0, status: 'applied', message: 'applied', result: PASS, proposals: [], decision: { status: 'done', at: 't' } });
      s = run(s, { type: 'checked', index: 1, result: PASS, proposals: [], why: 'refresh' });
      expect(s.screen).toBe('step');
      expect(s.current).toBe(1);
    });

    it('a late result for another step only updates that step', () => {
      const s0 = appliedFirst();
      const s = run(s0, { type: 'checked', index: 2, result: PASS, proposals: [], why: 'refresh' });
      expect(s.screen).toBe('refresh');
      expect(s.items[2]!.result).toBe(PASS);
    });

    it('a change that failed still has later steps checked again (files may have been written and restored)', () => {
      let s = run(loaded(), key('a'), key('y'));
      s = run(s, { type: 'effects-taken', count: s.effects.length });
      s = run(s, { type: 'apply-finished', index: 0, status: 'rolled-back', message: 'restored', result: FAIL, proposals: [fileFix] });
      expect(s.screen).toBe('step');
      expect(s.changes).toBe(1);
      s = run(s, key('l'));
      expect(s.screen).toBe('refresh');
    });

    it('opening a step from the list checks it again when it is stale', () => {
      const s = run(appliedFirst(), { type: 'checked', index: 1, result: FAIL, proposals: [fileFix], why: 'refresh' }, key('v'), DOWN, ENTER);
      expect(s.current).toBe(2);
      expect(s.screen).toBe('refresh');
      const back = run(s, { type: 'checked', index: 2, result: FAIL, proposals: [fileFix], why: 'refresh' }, key('v'), UP, ENTER);
      expect(back.current).toBe(1);
      expect(back.screen).toBe('step');
    });
  });
});

describe('learn sandbox wording', () => {
  const simulatedFix: Proposal = { ...fileFix, id: 'falco', commands: [{ title: 'install', argv: ['apt-get', 'install', 'falco'], run: true }] };

  function applyingIn(sandbox: string | undefined): WizardState {
    const items = [item(0)];
    let s = initialState({ items, info: { profile: 'learn', undoCommand: 'docker-harden undo', ...(sandbox ? { sandbox } : {}) } });
    s = run(s, { type: 'effects-taken', count: 1 }, { type: 'checked', index: 0, result: FAIL, proposals: [simulatedFix] }, { type: 'loaded' });
    return run(s, key('a'), key('y'));
  }

  it('in the sandbox, a fix whose commands were only described is "simulated", never "applied; the check now passes"', () => {
    const s = run(applyingIn('/tmp/sb'), { type: 'apply-finished', index: 0, status: 'applied', message: 'applied; the check now passes', result: PASS, proposals: [], decision: { status: 'done', at: 't' } });
    expect(s.notice?.text).toBe('title 0: simulated in the learn sandbox (no command ran): the sandbox copy was written; the check of the sandbox now passes');
    expect(s.notice?.text).not.toContain('applied');
  });

  it('a fresh sandbox\'s first screen says where it is and that nothing on this machine changes; a resumed one says where it resumes', () => {
    const open = (sandbox: string | undefined, decision?: Decision) => {
      const s = initialState({ items: [item(0, decision), item(1)], info: { profile: 'learn', undoCommand: 'docker-harden undo', ...(sandbox ? { sandbox } : {}) } });
      return run(s, { type: 'effects-taken', count: 1 }, { type: 'checked', index: 0, result: FAIL, proposals: [fileFix] }, { type: 'checked', index: 1, result: FAIL, proposals: [fileFix] }, { type: 'loaded' });
    };
    expect(open('/tmp/sb').notice?.text).toBe('Learn sandbox /tmp/sb: example files and a recorded Docker host with real problems. A yes writes only the sandbox copies; nothing on this machine changes.');
    expect(open('/tmp/sb', { status: 'later', at: 't' }).notice?.text).toMatch(/^Resuming at check 1\/2, non-root-user/);
    expect(open(undefined).notice).toBeUndefined();
  });

  it('outside the sandbox the engine\'s words are shown as they are', () => {
    const s = run(applyingIn(undefined), { type: 'apply-finished', index: 0, status: 'applied', message: 'applied; the check now passes', result: PASS, proposals: [], decision: { status: 'done', at: 't' } });
    expect(s.notice?.text).toBe('title 0: applied; the check now passes');
  });
});

describe('scrolling and size', () => {
  const longFix: Proposal = { ...fileFix, changes: [{ path: '/tmp/Dockerfile', before: 'FROM x\n', after: `FROM x\n${Array.from({ length: 60 }, (_, i) => `LABEL n${i}=v`).join('\n')}\n` }] };
  const PGDN = key('', { pageDown: true });
  const PGUP = key('', { pageUp: true });
  const END = key('', { end: true });
  const HOME = key('', { home: true });

  function at(rows: number, cols = 80): WizardState {
    let s = initialState({ items: [item(0), item(1)], viewport: { rows, cols } });
    s = run(s, { type: 'effects-taken', count: 1 });
    for (const i of [0, 1]) s = run(s, { type: 'checked', index: i, result: FAIL, proposals: [longFix] });
    return reducer(s, { type: 'loaded' });
  }

  it('PgDn, PgUp, End and Home move the pane within its bounds; the menu cursor stays', () => {
    const s = at(24);
    const down = run(s, PGDN);
    expect(down.scroll).toBeGreaterThan(0);
    expect(down.choiceCursor).toBe(0);
    const end = run(s, END);
    expect(end.scroll).toBeGreaterThan(down.scroll);
    expect(run(end, PGDN).scroll).toBe(end.scroll);
    expect(run(end, END)).toBe(end);
    expect(run(end, HOME).scroll).toBe(0);
    expect(run(s, PGUP)).toBe(s);
  });

  it('a pane that fits does not scroll', () => {
    const s = at(500);
    expect(run(s, PGDN, END).scroll).toBe(0);
  });

  it('a new step or screen starts at the top of its pane', () => {
    const end = run(at(24), END);
    expect(run(end, key('l')).scroll).toBe(0);
    expect(run(end, key('e')).scroll).toBe(0);
  });

  it('a resize keeps the scroll position within the new bounds', () => {
    const end = run(at(24), END);
    const taller = run(end, { type: 'resize', rows: 60, cols: 80 });
    expect(taller.viewport).toEqual({ rows: 60, cols: 80 });
    expect(taller.scroll).toBeLessThan(end.scroll);
    expect(run(taller, END).scroll).toBe(taller.scroll);
    expect(run(end, { type: 'resize', rows: 500, cols: 80 }).scroll).toBe(0);
  });

  it('on the explanation ↑↓ scroll too', () => {
    const s0 = at(12);
    const explain = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const s = run({ ...s0, items: s0.items.map((it, i) => (i === 0 ? { ...it, explain } : it)) }, key('e'));
    expect(run(s, DOWN).scroll).toBe(1);
    expect(run(s, DOWN, UP).scroll).toBe(0);
  });
});
