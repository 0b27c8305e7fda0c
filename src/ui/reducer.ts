/**
 * The wizard's flow as one pure reducer: every key press and every engine result is an action,
 * every screen is a state. Work the engine must do (check, apply, save a decision, exit) is
 * queued as `effects` and carried out outside the reducer (effects.ts), which reports back with
 * actions. Keys are interpreted here, so what a key does on each screen is unit-tested; in
 * particular only y/Y, or Enter on "Yes", confirms a change: a stray digit does nothing.
 *
 * Over 400 lines: one reducer owns the whole flow, so every screen's keys are read in one place.
 */
import { canApply, type CheckResult, type Proposal, type Reference, type Status, type StepId } from '../core/step.js';
import type { Decision } from '../core/profile.js';
import type { NewDecision } from '../core/walk.js';
import { sandboxOutcome } from '../core/learn.js';
import { UNBOUNDED, maxScroll, pageSize, type Viewport, type WizardInfo } from './layout.js';

export interface ItemView {
  id: StepId;
  order: number;
  title: string;
  summary: string;
  explain: string;
  references: Reference[];
  /** The target as shown (a path, or "this Docker host"). */
  target: string;
  /** Undefined until checked. */
  result?: CheckResult;
  proposals: Proposal[];
  /** From the profile, or made in this run (`at` is empty until saved). */
  decision?: Decision;
  /** Decided during this run: the walk does not bring it up again before the summary. */
  decidedNow: boolean;
  /** The value of `changes` when this step was last checked. */
  checkedAt?: number;
  /** Where the repository skips this step (`.docker-harden.yaml:LINE`): not walked, listed as skipped. */
  skippedIn?: string;
}

export interface AppliedView {
  stepId: StepId;
  title: string;
  recordId?: string;
  files: string[];
  message: string;
}

export type Screen = 'loading' | 'refresh' | 'step' | 'list' | 'confirm' | 'applying' | 'reason' | 'explain' | 'summary' | 'quit';

export type Effect =
  | { kind: 'check-all' }
  /** `recheck`: the person asked; `refresh`: files changed since the step was checked. */
  | { kind: 'check'; index: number; why: 'recheck' | 'refresh' }
  | { kind: 'apply'; index: number; proposal: Proposal }
  /** `repository`: the skip is also written into the repository's .docker-harden.yaml. */
  | { kind: 'decide'; index: number; decision: NewDecision; repository?: boolean }
  | { kind: 'exit'; code: number };

export interface Notice {
  tone: 'good' | 'bad' | 'info';
  text: string;
}

export interface WizardState {
  screen: Screen;
  items: ItemView[];
  /** The step on screen (index into items). */
  current: number;
  /** Highlighted row of the step list. */
  listCursor: number;
  /** Highlighted choice on the step screen. */
  choiceCursor: number;
  /** Which of the current step's proposals is shown. */
  proposalIndex: number;
  /** On the confirm screen: is "Yes" highlighted? Starts on "No". */
  confirmYes: boolean;
  /** The skip reason being typed. */
  reason: string;
  /** On the reason screen: save the skip for the repository (.docker-harden.yaml), not only here. Tab toggles. */
  skipForRepository: boolean;
  loading: { index: number; total: number; id?: string };
  notice?: Notice;
  /** Progress lines while a change is applied. */
  log: string[];
  applied: AppliedView[];
  /** The learn walkthrough stops at passing steps too; a real run goes past them. */
  stopOnPassing: boolean;
  /** Where Esc goes back to from the list and the explanation. */
  back: 'step' | 'summary';
  /**
   * How many applies have run. A step checked before the latest one may propose a diff against
   * files that have changed since: it is checked again before it is shown.
   */
  changes: number;
  /** The first row of the scrollable pane on screen; back to 0 when the screen or step changes. */
  scroll: number;
  /** The terminal's size, for the bounded layout (unbounded when unknown). */
  viewport: Viewport;
  /** What the summary and confirmation show besides the state (the undo command, the sandbox). */
  info: WizardInfo;
  /** Ctrl-C ended the run: it exits 130. */
  interrupted: boolean;
  effects: Effect[];
}

/** The keys the reducer reads, a subset of Ink's Key. */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
}

export type Action =
  | { type: 'check-started'; index: number }
  /** `repository`: checked again after a skip was written into the repository's file. */
  | { type: 'checked'; index: number; result: CheckResult; proposals: Proposal[]; why?: 'recheck' | 'refresh' | 'repository'; skippedIn?: string }
  | { type: 'loaded' }
  | { type: 'key'; input: string; key: KeyInfo }
  | { type: 'log'; line: string }
  | {
      type: 'apply-finished';
      index: number;
      status: 'applied' | 'applied-still-failing' | 'rolled-back' | 'failed';
      message: string;
      result: CheckResult;
      proposals: Proposal[];
      decision?: Decision;
      applied?: AppliedView;
      /** Put back because its proof saw it break something: an alternative of it is shown next. */
      refused?: boolean;
    }
  | { type: 'decision-saved'; index: number; decision: Decision }
  | { type: 'effect-failed'; message: string }
  | { type: 'resize'; rows: number; cols: number }
  | { type: 'effects-taken'; count: number };

export type ChoiceId = 'apply' | 'done' | 'next' | 'skip' | 'later' | 'recheck' | 'explain' | 'quit';

export interface Choice {
  id: ChoiceId;
  label: string;
  key: string;
}

const CHOICE_LABEL: Record<ChoiceId, string> = {
  apply: 'Apply',
  done: 'Mark done (I did it by hand)',
  next: 'Next step',
  skip: 'Skip (give a reason)',
  later: 'Later',
  recheck: 'Check again',
  explain: 'Explain more',
  quit: 'Quit',
};

const CHOICE_KEY: Record<ChoiceId, string> = {
  apply: 'a',
  done: 'd',
  next: 'n',
  skip: 's',
  later: 'l',
  recheck: 'r',
  explain: 'e',
  quit: 'q',
};

export interface InitOptions {
  items: ItemView[];
  stopOnPassing?: boolean;
  viewport?: Viewport;
  info?: WizardInfo;
}

export function initialState(options: InitOptions): WizardState {
  return {
    screen: 'loading',
    items: options.items,
    current: 0,
    listCursor: 0,
    choiceCursor: 0,
    proposalIndex: 0,
    confirmYes: false,
    reason: '',
    skipForRepository: false,
    loading: { index: 0, total: options.items.length },
    log: [],
    applied: [],
    stopOnPassing: options.stopOnPassing ?? false,
    back: 'step',
    changes: 0,
    scroll: 0,
    viewport: options.viewport ?? UNBOUNDED,
    info: options.info ?? { profile: '', undoCommand: 'docker-harden undo' },
    interrupted: false,
    effects: [{ kind: 'check-all' }],
  };
}

export function isPassing(status: Status | undefined): boolean {
  return status === 'pass' || status === 'not-applicable';
}

/** A proposal the engine can carry out (a file change or a command it runs), not only shown commands. */
export function isApplicable(proposal: Proposal | undefined): proposal is Proposal {
  return Boolean(proposal && canApply(proposal));
}

/** Done or skipped (from this run or an earlier one, or in the repository); a passing step too, unless every step is walked. */
export function isSettled(item: ItemView, stopOnPassing: boolean): boolean {
  if (item.skippedIn) return true;
  const status = item.decision?.status;
  if (status === 'done' || status === 'skipped') return true;
  return !stopOnPassing && isPassing(item.result?.status);
}

export function choicesFor(item: ItemView | undefined, proposalIndex: number): Choice[] {
  if (!item) return [];
  const ids: ChoiceId[] = [];
  if (isPassing(item.result?.status)) {
    ids.push('next', 'explain', 'quit');
  } else {
    const proposal = item.proposals[proposalIndex];
    if (isApplicable(proposal)) ids.push('apply');
    else if (proposal) ids.push('done');
    ids.push('skip', 'later', 'recheck', 'explain', 'quit');
  }
  return ids.map((id) => ({ id, label: CHOICE_LABEL[id], key: CHOICE_KEY[id] }));
}

/** The first step to work on: neither done nor skipped (nor passing, unless every step is walked). */
export function resumeIndex(state: WizardState): number {
  return state.items.findIndex((item) => !isSettled(item, state.stopOnPassing));
}

/** The next step to work on after `from`, wrapping around; steps decided in this run are not brought up again. */
export function nextIndex(state: WizardState, from: number): number {
  const n = state.items.length;
  for (let k = 1; k < n; k++) {
    const i = (from + k) % n;
    const item = state.items[i]!;
    if (!item.decidedNow && !isSettled(item, state.stopOnPassing)) return i;
  }
  return -1;
}

function withItem(state: WizardState, index: number, change: Partial<ItemView>): ItemView[] {
  return state.items.map((item, i) => (i === index ? { ...item, ...change } : item));
}

function queue(state: WizardState, ...effects: Effect[]): Effect[] {
  return [...state.effects, ...effects];
}

/**
 * Show the step at `index`, with its first proposal and the first choice highlighted. When a
 * change was applied since it was checked, it is checked again first, so its diff is against the
 * files as they are now.
 */
function showStep(state: WizardState, index: number, notice?: Notice): WizardState {
  const shown: WizardState = { ...state, screen: 'step', current: index, choiceCursor: 0, proposalIndex: 0, confirmYes: false, reason: '', notice };
  if ((state.items[index]?.checkedAt ?? 0) >= state.changes) return shown;
  return { ...shown, screen: 'refresh', effects: queue(state, { kind: 'check', index, why: 'refresh' }) };
}

/** Go on to the next step to work on, or to the summary when there is none. */
function advance(state: WizardState, notice?: Notice): WizardState {
  const next = nextIndex(state, state.current);
  if (next < 0) return { ...state, screen: 'summary', back: 'summary', notice };
  return showStep(state, next, notice);
}

function quit(state: WizardState, interrupted = false): WizardState {
  return { ...state, screen: 'quit', interrupted, effects: queue(state, { kind: 'exit', code: interrupted ? 130 : 0 }) };
}

/** Record a decision for the current step (shown at once, saved by the `decide` effect) and go on. */
function decide(state: WizardState, decision: NewDecision, notice?: Notice, repository = false): WizardState {
  const index = state.current;
  const shown: Decision = { status: decision.status, at: '' };
  if (decision.reason !== undefined) shown.reason = decision.reason;
  if (decision.proposal !== undefined) shown.proposal = decision.proposal;
  const items = withItem(state, index, { decision: shown, decidedNow: true });
  return advance({ ...state, items, effects: queue(state, { kind: 'decide', index, decision, ...(repository ? { repository } : {}) }) }, notice);
}

export function reducer(state: WizardState, action: Action): WizardState {
  const next = step(state, action);
  // A new screen, step or fix starts at the top of its pane.
  if (next.screen !== state.screen || next.current !== state.current || next.proposalIndex !== state.proposalIndex) return next.scroll === 0 ? next : { ...next, scroll: 0 };
  return next;
}

/** Scroll the pane to `to`, kept between the top and the last row that still fills the pane. */
function scrollTo(state: WizardState, to: number): WizardState {
  const scroll = Math.min(Math.max(0, to), maxScroll(state, state.info, state.viewport));
  return scroll === state.scroll ? state : { ...state, scroll };
}

/** PgUp/PgDn/Home/End on every screen with a pane; ↑↓ too where they choose nothing else. */
function scrollKey(state: WizardState, key: KeyInfo, arrows: boolean): WizardState | undefined {
  if (key.pageDown) return scrollTo(state, state.scroll + pageSize(state, state.info, state.viewport));
  if (key.pageUp) return scrollTo(state, state.scroll - pageSize(state, state.info, state.viewport));
  if (key.home) return scrollTo(state, 0);
  if (key.end) return scrollTo(state, Number.MAX_SAFE_INTEGER);
  if (arrows && key.downArrow) return scrollTo(state, state.scroll + 1);
  if (arrows && key.upArrow) return scrollTo(state, state.scroll - 1);
  return undefined;
}

function step(state: WizardState, action: Action): WizardState {
  switch (action.type) {
    case 'check-started':
      return { ...state, loading: { index: action.index, total: state.items.length, id: state.items[action.index]?.id } };
    case 'checked': {
      const items = withItem(state, action.index, { result: action.result, proposals: action.proposals, checkedAt: state.changes, skippedIn: action.skippedIn });
      if (action.why === 'refresh') {
        if (state.screen !== 'refresh' || action.index !== state.current) return { ...state, items };
        const item = items[action.index]!;
        const next = { ...state, items, screen: 'step' as const };
        if (!isSettled(item, state.stopOnPassing)) return next;
        return advance({ ...next, items: withItem(next, action.index, { decidedNow: true }) }, { tone: 'good', text: `${item.title} passes now: an earlier change took care of it.` });
      }
      if (action.why === 'repository') {
        // The step on screen is one the new skip covers: go past it, saying why.
        const item = items[action.index]!;
        if (state.screen !== 'step' || action.index !== state.current || !item.skippedIn) return { ...state, items };
        return advance({ ...state, items }, { tone: 'info', text: `${item.title}: skipped for the repository here too (${item.target}).` });
      }
      if (action.why !== 'recheck') return { ...state, items };
      const item = items[action.index]!;
      const text = `Checked again: ${item.result?.status}${isPassing(item.result?.status) ? '; nothing left to change' : ''}`;
      const fresh = action.index === state.current ? { choiceCursor: 0, proposalIndex: 0 } : {};
      return { ...state, items, ...fresh, notice: { tone: isPassing(item.result?.status) ? 'good' : 'info', text } };
    }
    case 'loaded': {
      if (state.screen !== 'loading') return state;
      const first = resumeIndex(state);
      if (first < 0) {
        return { ...state, screen: 'summary', back: 'summary', notice: { tone: 'good', text: 'Every step is done, skipped or already passes. Nothing left to decide.' } };
      }
      const decidedBefore = state.items.some((item) => item.decision);
      const item = state.items[first]!;
      let notice: Notice | undefined;
      if (decidedBefore) {
        const later = item.decision?.status === 'later' ? ' (you chose Later last time)' : item.decision?.status === 'failed' ? ' (the last attempt failed)' : '';
        notice = {
          tone: 'info',
          text: `Resuming at check ${first + 1}/${state.items.length}, ${item.id}${later}: the first step that is neither done nor skipped.`,
        };
      } else if (state.info.sandbox) {
        // A learner's first screen says where this happens, before any step's findings.
        notice = {
          tone: 'info',
          text: `Learn sandbox ${state.info.sandbox}: example files and a recorded Docker host with real problems. A yes writes only the sandbox copies; nothing on this machine changes.`,
        };
      }
      return showStep(state, first, notice);
    }
    case 'log':
      return { ...state, log: [...state.log, action.line] };
    case 'apply-finished': {
      // Whatever happened, files may have been written (and maybe restored): later steps are checked again.
      const changes = state.changes + 1;
      const items = withItem(state, action.index, {
        result: action.result,
        proposals: action.proposals,
        checkedAt: changes,
        ...(action.decision ? { decision: action.decision } : {}),
        ...(action.decision?.status === 'done' ? { decidedNow: true } : {}),
      });
      const applied = action.applied ? [...state.applied, action.applied] : state.applied;
      const next = { ...state, items, applied, changes, current: action.index };
      const title = state.items[action.index]?.title ?? '';
      const proposal = state.items[action.index]?.proposals[state.proposalIndex];
      // In the learn sandbox nothing real changed: the message says what was written and what was only simulated.
      const message = state.info.sandbox && proposal ? sandboxOutcome(action.message, proposal) : action.message;
      if (action.decision?.status === 'done') {
        return advance(next, { tone: 'good', text: `${title}: ${message}` });
      }
      const tone = action.status === 'failed' || action.status === 'rolled-back' ? 'bad' : 'info';
      // Refused by its proof: the next of its alternatives (the USER change that also gives the app its folder) is shown.
      const other = action.refused && proposal?.group ? action.proposals.findIndex((p) => p.group === proposal.group && p.id !== proposal.id) : -1;
      const shown = showStep(next, action.index, { tone, text: `${title}: ${message}${other >= 0 ? `\nAnother way is shown: ${action.proposals[other]!.title}.` : ''}` });
      return other >= 0 && shown.screen === 'step' ? { ...shown, proposalIndex: other } : shown;
    }
    case 'decision-saved':
      return { ...state, items: withItem(state, action.index, { decision: action.decision }) };
    case 'effect-failed':
      return { ...state, screen: state.screen === 'applying' ? 'step' : state.screen, notice: { tone: 'bad', text: action.message } };
    case 'effects-taken':
      return { ...state, effects: state.effects.slice(action.count) };
    case 'resize':
      return scrollTo({ ...state, viewport: { rows: action.rows, cols: action.cols } }, state.scroll);
    case 'key':
      return onKey(state, action.input, action.key);
  }
}

function isCtrlC(input: string, key: KeyInfo): boolean {
  return Boolean(key.ctrl) && input === 'c';
}

function onKey(state: WizardState, input: string, key: KeyInfo): WizardState {
  if (state.screen === 'applying') {
    if (isCtrlC(input, key)) return { ...state, notice: { tone: 'info', text: 'A change is being applied; wait for it to finish before quitting.' } };
    return state;
  }
  if (state.screen === 'quit') return state;
  if (isCtrlC(input, key)) return quit(state, true);
  const scrolled = scrollKey(state, key, state.screen === 'explain' || state.screen === 'summary');
  if (scrolled) return scrolled;
  switch (state.screen) {
    case 'loading':
    case 'refresh':
      return input === 'q' ? quit(state) : state;
    case 'step':
      return onStepKey(state, input, key);
    case 'confirm':
      return onConfirmKey(state, input, key);
    case 'reason':
      return onReasonKey(state, input, key);
    case 'explain':
      if (input === 'q') return quit(state);
      if (key.escape || key.return || key.backspace || key.delete || input === 'e' || input === 'b') return { ...state, screen: state.back };
      return state;
    case 'list':
      return onListKey(state, input, key);
    case 'summary':
      if (input === 'v') return { ...state, screen: 'list', listCursor: 0, back: 'summary' };
      if (key.return || key.escape || input === 'q') return quit(state);
      return state;
  }
}

function onStepKey(state: WizardState, input: string, key: KeyInfo): WizardState {
  const item = state.items[state.current];
  const choices = choicesFor(item, state.proposalIndex);
  if (key.upArrow || input === 'k') return { ...state, choiceCursor: (state.choiceCursor - 1 + choices.length) % choices.length };
  if (key.downArrow || input === 'j') return { ...state, choiceCursor: (state.choiceCursor + 1) % choices.length };
  const proposals = item?.proposals.length ?? 0;
  if ((key.rightArrow || key.tab) && proposals > 1) return { ...state, proposalIndex: (state.proposalIndex + 1) % proposals, choiceCursor: 0 };
  if (key.leftArrow && proposals > 1) return { ...state, proposalIndex: (state.proposalIndex - 1 + proposals) % proposals, choiceCursor: 0 };
  if (key.escape || input === 'v') return { ...state, screen: 'list', listCursor: state.current, back: 'step' };
  if (key.return) {
    const choice = choices[state.choiceCursor];
    return choice ? choose(state, choice.id) : state;
  }
  const byKey = choices.find((c) => c.key === input);
  if (byKey) return choose(state, byKey.id);
  // A letter that does nothing here (y before a question, a for advice) says which keys do.
  if (!key.ctrl && !key.meta && /^[\x21-\x7e]$/.test(input)) {
    const keys = choices.map((c) => `${c.key} ${c.label}`).join(', ');
    return { ...state, notice: { tone: 'info', text: `"${input}" does nothing here. Press one of: ${keys}.` } };
  }
  return state;
}

function choose(state: WizardState, id: ChoiceId): WizardState {
  const item = state.items[state.current]!;
  const proposal = item.proposals[state.proposalIndex];
  switch (id) {
    case 'apply':
      if (!isApplicable(proposal)) return state;
      return { ...state, screen: 'confirm', confirmYes: false, notice: undefined };
    case 'done':
      return decide(state, { status: 'done', ...(proposal ? { proposal: proposal.id } : {}) }, { tone: 'good', text: `${item.title}: marked done.` });
    case 'next':
      if (state.stopOnPassing) return decide(state, { status: 'done' });
      return advance({ ...state, items: withItem(state, state.current, { decidedNow: true }) });
    case 'skip':
      return { ...state, screen: 'reason', reason: '', skipForRepository: false, notice: undefined };
    case 'later':
      return decide(state, { status: 'later' }, { tone: 'info', text: `${item.title}: later. The next run starts with it.` });
    case 'recheck':
      return { ...state, effects: queue(state, { kind: 'check', index: state.current, why: 'recheck' }), notice: { tone: 'info', text: 'Checking again…' } };
    case 'explain':
      return { ...state, screen: 'explain', back: 'step' };
    case 'quit':
      return quit(state);
  }
}

function onConfirmKey(state: WizardState, input: string, key: KeyInfo): WizardState {
  const yes = input === 'y' || input === 'Y' || (key.return && state.confirmYes);
  const no = input === 'n' || input === 'N' || key.escape || (key.return && !state.confirmYes);
  if (yes) {
    const proposal = state.items[state.current]?.proposals[state.proposalIndex];
    if (!isApplicable(proposal)) return { ...state, screen: 'step' };
    return { ...state, screen: 'applying', log: [], notice: undefined, effects: queue(state, { kind: 'apply', index: state.current, proposal }) };
  }
  if (no) return { ...state, screen: 'step', confirmYes: false, notice: { tone: 'info', text: 'Not applied: nothing was changed.' } };
  if (key.leftArrow || key.rightArrow || key.upArrow || key.downArrow || key.tab) return { ...state, confirmYes: !state.confirmYes };
  return state;
}

function onReasonKey(state: WizardState, input: string, key: KeyInfo): WizardState {
  if (key.escape) return { ...state, screen: 'step', reason: '', notice: undefined };
  if (key.return) {
    const reason = state.reason.trim();
    if (!reason) return { ...state, notice: { tone: 'bad', text: 'Type why you skip this step (it is kept in the profile), or press Esc to go back.' } };
    const item = state.items[state.current]!;
    const where = state.skipForRepository ? ' for the repository, in .docker-harden.yaml' : '';
    return decide(state, { status: 'skipped', reason }, { tone: 'info', text: `${item.title}: skipped${where} (${reason}).` }, state.skipForRepository);
  }
  if (key.tab) return { ...state, skipForRepository: !state.skipForRepository };
  if (key.backspace || key.delete) return { ...state, reason: [...state.reason].slice(0, -1).join('') };
  if (key.ctrl && input === 'u') return { ...state, reason: '' };
  if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab) return state;
  // A paste arrives as one chunk, with its Enter when one was copied: the text up to the first
  // line break is taken whole, and the break saves it as Enter would.
  const brk = input.search(/[\r\n]/);
  const text = (brk >= 0 ? input.slice(0, brk) : input).replace(/[\u0000-\u001f\u007f]/g, '');
  const typed = text ? { ...state, reason: state.reason + text, notice: undefined } : state;
  return brk >= 0 ? onReasonKey(typed, '', { return: true }) : typed;
}

function onListKey(state: WizardState, input: string, key: KeyInfo): WizardState {
  const n = state.items.length;
  if (key.upArrow || input === 'k') return { ...state, listCursor: (state.listCursor - 1 + n) % n };
  if (key.downArrow || input === 'j') return { ...state, listCursor: (state.listCursor + 1) % n };
  if (key.return) return showStep(state, state.listCursor);
  if (key.escape || input === 'v') return { ...state, screen: state.back };
  if (input === 'q') return quit(state);
  return state;
}

