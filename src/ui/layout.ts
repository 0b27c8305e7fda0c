/**
 * The wizard's frame as rows of styled text, computed before Ink sees it, so its height is known:
 * a fixed top (header, step line, notice), a scrollable pane (findings first, then the fix and
 * its diff, or the explanation, list, summary...), and a fixed bottom (the menu, the keys). Every
 * row is one terminal line at the given width: text is sanitised and wrapped here, and the pane
 * gets what is left of the terminal's rows. Pure: the reducer uses it to bound scrolling, the
 * screens render its rows. Longer than most files: every screen's rows are built here, in one
 * place, because the height of each is what the layout must know.
 *
 * Over 400 lines: the whole screen, header to menu, is laid out in this one place, so the bounds at
 * 80x24 and 60x20 hold for every pane.
 */
import type { FileChange, Proposal, Severity, Status } from '../core/step.js';
import type { Decision } from '../core/profile.js';
import { shownDiff } from '../core/change.js';
import { safeText, sanitise } from '../core/sanitize.js';
import { SKIPPED_MARK, STATUS_MARK, quoteArg } from '../report/text.js';
import type { AppliedView, ItemView, Notice, WizardState } from './reducer.js';
import { choicesFor, isApplicable, isSettled, type ChoiceId } from './reducer.js';

export type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'gray';

export interface Seg {
  text: string;
  color?: Colour;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

/** One terminal line. */
export type Row = Seg[];

/** A line before wrapping; continuation rows are indented by `indent`. */
interface Line {
  segs: Seg[];
  indent?: number;
}

export interface WizardInfo {
  profile: string;
  /** The undo command for this state directory, shown in the summary. */
  undoCommand: string;
  /** The learn sandbox: nothing outside it is touched. */
  sandbox?: string;
  /** Changes applied to these targets in earlier runs, still in place. */
  appliedEarlier?: number;
  /** How to continue later, when it is not simply the same command (the learn sandbox). */
  resumeCommand?: string;
}

export interface Viewport {
  rows: number;
  cols: number;
}

/** Without a known size (a test renderer) nothing is bounded. */
export const UNBOUNDED: Viewport = { rows: Infinity, cols: 100 };

export interface Frame {
  top: Row[];
  /** The pane's rows that are on screen. */
  pane: Row[];
  /** Dim line under the pane when it does not fit: which rows are shown and how to see more. */
  scrollLine?: Row;
  bottom: Row[];
  /** Blank lines between the parts, when the terminal has room for them. */
  spaced: boolean;
}

// ---------------------------------------------------------------------------------------------
// Text: sanitise, measure, wrap


function width(text: string): number {
  return [...text].length;
}

function seg(text: string, style: Omit<Seg, 'text'> = {}): Seg {
  return { text, ...style };
}

/** Text that may hold newlines, as lines of one style. */
function textLines(text: string, style: Omit<Seg, 'text'> = {}, indent = 0): Line[] {
  return text.split('\n').map((l) => ({ segs: [seg(l, style)], indent }));
}

/** Wrap a line to rows of at most `cols` characters, at spaces where possible. */
export function wrapLine(line: Line, cols: number): Row[] {
  const max = Math.max(1, cols);
  const indent = Math.min(line.indent ?? 0, Math.floor(max / 2));
  const rows: Row[] = [];
  let row: Row = [];
  let used = 0;
  const push = (text: string, style: Seg) => {
    if (!text) return;
    const last = row[row.length - 1];
    if (last && sameStyle(last, style)) last.text += text;
    else row.push({ ...style, text });
    used += width(text);
  };
  const newRow = () => {
    rows.push(row);
    row = indent > 0 ? [{ text: ' '.repeat(indent) }] : [];
    used = indent;
  };
  for (const s of line.segs) {
    const text = sanitise(s.text);
    // Words with the spaces before them; a row never starts with the spaces of a break.
    for (const token of text.match(/\s*\S+|\s+$/g) ?? []) {
      const word = token.trimStart();
      const fits = used + width(token) <= max;
      if (fits) {
        push(token, s);
        continue;
      }
      if (used > indent && width(word) <= max - indent) {
        newRow();
        push(word, s);
        continue;
      }
      // Longer than a row: cut it.
      let rest = [...(used > indent ? token : word)];
      while (rest.length > 0) {
        const room = max - used;
        if (room <= 0) {
          newRow();
          continue;
        }
        push(rest.slice(0, room).join(''), s);
        rest = rest.slice(room);
      }
    }
  }
  rows.push(row);
  return rows;
}

function sameStyle(a: Seg, b: Seg): boolean {
  return a.color === b.color && a.bold === b.bold && a.dim === b.dim && a.inverse === b.inverse;
}

function wrapAll(lines: Line[], cols: number): Row[] {
  return lines.flatMap((l) => wrapLine(l, cols));
}

/** Tokens packed into as few rows as fit, never split, separated by `gap`. */
function pack(tokens: Seg[][], cols: number, gap: string): Row[] {
  const rows: Row[] = [];
  let row: Row = [];
  let used = 0;
  for (const token of tokens) {
    const w = token.reduce((n, s) => n + width(s.text), 0);
    if (row.length > 0 && used + width(gap) + w > cols) {
      rows.push(row);
      row = [];
      used = 0;
    }
    if (row.length > 0) {
      row.push(seg(gap, gap.trim() ? { dim: true } : {}));
      used += width(gap);
    }
    row.push(...token.map((s) => ({ ...s, text: sanitise(s.text) })));
    used += w;
  }
  if (row.length > 0) rows.push(row);
  return rows.flatMap((r) => wrapLine({ segs: r }, cols));
}

// ---------------------------------------------------------------------------------------------
// Pieces

export function statusColour(status: Status | undefined): Colour | undefined {
  switch (status) {
    case 'pass':
      return 'green';
    case 'fail':
    case 'error':
      return 'red';
    case 'warn':
      return 'yellow';
    default:
      return undefined;
  }
}

const SEVERITY_MARK: Record<Severity, string> = { critical: '✘', high: '✘', medium: '✘', low: '!', info: 'i' };
const SEVERITY_COLOUR: Record<Severity, Colour | undefined> = { critical: 'red', high: 'red', medium: 'red', low: 'yellow', info: undefined };

function statusMark(status: Status | undefined): Seg {
  return seg(status ? STATUS_MARK[status] : '…', { color: statusColour(status) });
}

/** The mark of a step in the list: skipped in the repository, else its status. */
function itemMark(item: ItemView): Seg {
  return item.skippedIn ? seg(SKIPPED_MARK, { dim: true }) : statusMark(item.result?.status);
}

function decisionSegs(decision: Decision | undefined): Seg[] {
  if (!decision) return [];
  const color: Colour = decision.status === 'done' ? 'green' : decision.status === 'failed' ? 'red' : decision.status === 'skipped' ? 'yellow' : 'cyan';
  return [seg(`${decision.status}${decision.status === 'skipped' && decision.reason ? `: ${decision.reason}` : ''}`, { color })];
}

export function headerRow(state: WizardState, info: WizardInfo): Line {
  const item = state.items[state.current];
  const loading = state.screen === 'loading';
  const target = loading ? '' : (item?.target ?? '');
  // Checks, not steps: one step may check several targets, and the step line shows its own number.
  const position = loading ? '' : `check ${state.current + 1}/${state.items.length}`;
  return {
    segs: [
      seg('docker-harden', { bold: true }),
      ...(target ? [seg(` · ${target}`)] : []),
      seg(` · profile ${info.profile}`),
      ...(info.sandbox ? [seg(' · sandbox', { color: 'yellow' })] : []),
      ...(position ? [seg(' · '), seg(position, { bold: true })] : []),
    ],
  };
}

function stepLine(item: ItemView): Line {
  const status = item.result?.status;
  return {
    segs: [
      seg(`${item.order}. ${item.title}`, { bold: true }),
      seg(' '),
      itemMark(item),
      seg(' '),
      item.skippedIn ? seg('skipped', { dim: true }) : seg(status ?? 'not checked', { color: statusColour(status) }),
      seg(`  [${item.id}] ${item.target}`, { dim: true }),
    ],
  };
}

function noticeLine(notice: Notice): Line {
  const color: Colour = notice.tone === 'good' ? 'green' : notice.tone === 'bad' ? 'red' : 'cyan';
  return { segs: [seg(notice.text.replace(/\s*\n\s*/g, ' '), { color })] };
}

export interface DiffLine {
  kind: 'file' | 'hunk' | 'add' | 'del' | 'same' | 'note';
  text: string;
  /** Line number in the new file (in the old one for a removed line). */
  line?: number;
}

/** A unified diff as lines, each with the line number it stands at, for a gutter. */
export function diffLines(change: FileChange): DiffLine[] {
  const out: DiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  // The diff shows file text: made safe for the terminal, line by line.
  for (const raw of safeText(shownDiff(change)).replace(/\n$/, '').split('\n')) {
    if (raw.startsWith('---') || raw.startsWith('+++')) {
      out.push({ kind: 'file', text: raw });
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      out.push({ kind: 'hunk', text: raw });
    } else if (raw.startsWith('+')) out.push({ kind: 'add', text: raw, line: newLine++ });
    else if (raw.startsWith('-')) out.push({ kind: 'del', text: raw, line: oldLine++ });
    else if (raw.startsWith('\\')) out.push({ kind: 'note', text: raw });
    else {
      out.push({ kind: 'same', text: raw, line: newLine++ });
      oldLine++;
    }
  }
  return out;
}

function diffView(change: FileChange): Line[] {
  const lines = diffLines(change);
  const gutterWidth = String(Math.max(1, ...lines.map((l) => l.line ?? 0))).length;
  return lines.map((l) => {
    const gutter = seg(`${l.line === undefined ? ' '.repeat(gutterWidth) : String(l.line).padStart(gutterWidth)} `, { dim: true });
    const indent = gutterWidth + 2;
    switch (l.kind) {
      case 'file':
        return { segs: [seg(l.text, { bold: true })] };
      case 'hunk':
        return { segs: [seg(l.text, { color: 'cyan' })] };
      case 'add':
        return { segs: [gutter, seg(l.text, { color: 'green' })], indent };
      case 'del':
        return { segs: [gutter, seg(l.text, { color: 'red' })], indent };
      case 'note':
        return { segs: [seg(l.text, { dim: true })] };
      default:
        return { segs: [gutter, seg(l.text)], indent };
    }
  });
}

const BLANK: Line = { segs: [] };

function findings(item: ItemView): Line[] {
  const result = item.result;
  if (!result) return [{ segs: [seg('not checked yet')] }];
  const out: Line[] = [];
  if (result.findings.length === 0) out.push({ segs: [seg('Nothing found to change.', { color: 'green' })] });
  // The most severe first, so a critical finding is on screen before anything else.
  const order: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
  const sorted = [...result.findings].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
  for (const f of sorted) {
    const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}${f.column ? `:${f.column}` : ''} ` : '';
    const [first, ...more] = f.message.split('\n');
    out.push({
      segs: [seg(SEVERITY_MARK[f.severity], { color: SEVERITY_COLOUR[f.severity] }), seg(' '), ...(where ? [seg(where, { bold: true })] : []), seg(`${first} `), seg(`[${f.severity}]`, { dim: true })],
      indent: 2,
    });
    for (const m of more) out.push({ segs: [seg(m)], indent: 2 });
    if (f.evidence) out.push(...textLines(f.evidence, { dim: true }, 4).map((l) => ({ ...l, segs: [seg('    '), ...l.segs] })));
  }
  for (const n of result.notes ?? []) out.push(...textLines(n, { dim: true }));
  return out;
}

function commands(proposal: Proposal): Line[] {
  const out: Line[] = [];
  const run = proposal.commands.filter((c) => c.run);
  const shown = proposal.commands.filter((c) => !c.run);
  if (run.length > 0) out.push({ segs: [seg('Commands docker-harden runs after your yes:')] });
  for (const c of run) out.push({ segs: [seg(`  $ ${c.argv.map(quoteArg).join(' ')}`), seg(`  # ${c.title}`, { dim: true })], indent: 4 });
  if (shown.length > 0) out.push({ segs: [seg('Commands for you to run:')] });
  for (const c of shown) out.push({ segs: [seg(`  $ ${c.argv.map(quoteArg).join(' ')}`), seg(`  # ${c.title}${c.asUser ? ` (as ${c.asUser})` : ''}`, { dim: true })], indent: 4 });
  return out;
}

function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const RISK_COLOUR: Record<Proposal['risk'], Colour> = { safe: 'green', review: 'yellow', advice: 'cyan' };

/** The proposal's risk: safe, review (may break something) or advice. */
function riskSegs(proposal: Proposal): Seg[] {
  return [seg(' '), seg(`[risk: ${proposal.risk}]`, { color: RISK_COLOUR[proposal.risk] })];
}

function proposalView(item: ItemView, index: number): Line[] {
  const proposal = item.proposals[index];
  if (!proposal) return [];
  const many = item.proposals.length > 1;
  const out: Line[] = [BLANK];
  out.push({
    segs: [
      seg(many ? `Fix ${index + 1} of ${item.proposals.length}: ` : 'Fix: ', { bold: true, color: 'cyan' }),
      seg(proposal.title, { bold: true }),
      ...riskSegs(proposal),
      ...(many ? [seg(' (←→ shows the other fixes)', { dim: true })] : []),
    ],
  });
  if (many) {
    out.push({
      segs: item.proposals.flatMap((p, i) => [...(i > 0 ? [seg(' · ')] : []), seg(`${i + 1} ${shorten(p.title)}`, i === index ? { inverse: true } : { dim: true })]),
    });
  }
  if (proposal.description) out.push(...textLines(proposal.description));
  for (const w of proposal.warnings) out.push({ segs: [seg('warning:', { color: 'yellow' }), seg(` ${w}`)], indent: 2 });
  if (proposal.daemon) out.push({ segs: [seg(`Applying ${proposal.daemon === 'restart' ? 'restarts' : 'reloads'} dockerd, then waits until it answers.`)] });
  for (const c of proposal.changes) out.push(...diffView(c));
  out.push(...commands(proposal));
  return out;
}

function firstParagraph(text: string): string {
  return text.split(/\n\s*\n/)[0]!.trim();
}

function stepPane(item: ItemView, proposalIndex: number): Line[] {
  const out: Line[] = [];
  if (item.summary) out.push(...textLines(item.summary));
  out.push(...findings(item));
  out.push(...proposalView(item, proposalIndex));
  if (item.explain) out.push(BLANK, ...textLines(firstParagraph(item.explain)));
  if (item.decision && item.decision.at) out.push(BLANK, { segs: [seg('Decided earlier: '), ...decisionSegs(item.decision)] });
  return out;
}

function explainPane(item: ItemView): Line[] {
  const out: Line[] = [];
  if (item.summary) out.push(...textLines(item.summary));
  out.push(BLANK, ...textLines(item.explain || 'No further explanation for this step.'));
  for (const p of item.proposals.filter((p) => p.description)) out.push(BLANK, { segs: [seg(p.title, { bold: true })] }, ...textLines(p.description!));
  if (item.references.length > 0) {
    out.push(BLANK, { segs: [seg('Read more:')] });
    for (const r of item.references) out.push({ segs: [seg(`  ${r.title}: `), seg(r.url, { color: 'cyan' })], indent: 4 });
  }
  return out;
}

function stepRows(state: WizardState, cursor: number, showCurrent: boolean): Line[] {
  const idWidth = Math.max(...state.items.map((i) => i.id.length));
  const multiTarget = new Set(state.items.map((i) => i.target)).size > 1;
  return state.items.map((item, i) => ({
    segs: [
      i === cursor ? seg('❯ ', { color: 'cyan' }) : seg('  '),
      itemMark(item),
      seg(` ${String(item.order).padStart(2)}. ${item.id.padEnd(idWidth)}`),
      ...(multiTarget ? [seg(` ${item.target}`, { dim: true })] : []),
      ...(item.decision ? [seg(' '), ...decisionSegs(item.decision)] : []),
      ...(showCurrent && i === state.current && cursor !== i ? [seg(' (current)', { dim: true })] : []),
    ],
    indent: 6,
  }));
}

function appliedLines(applied: AppliedView[]): Line[] {
  return applied.map((a) => ({
    segs: [
      seg('  '),
      seg('✔', { color: 'green' }),
      seg(` ${a.stepId}: ${a.title}${a.files.length > 0 ? ` (${a.files.join(', ')})` : ''}`),
      ...(a.recordId ? [seg(`  change ${a.recordId}`, { dim: true })] : []),
    ],
    indent: 4,
  }));
}

/** The summary: the step table (left out when `table` is false), skipped reasons, applied changes, undo, and how to go on. */
function summaryPane(state: WizardState, info: WizardInfo, final: boolean, table = true): Line[] {
  const skipped = state.items.filter((i) => i.decision?.status === 'skipped');
  const open = state.items.findIndex((i) => !isSettled(i, state.stopOnPassing));
  const out: Line[] = [{ segs: [seg('Summary', { bold: true })] }];
  if (table) out.push(...stepRows(state, -1, false));
  if (skipped.length > 0) {
    out.push(BLANK, { segs: [seg('Skipped, with the reasons given:')] });
    for (const i of skipped) out.push({ segs: [seg(`  ${i.id}: ${i.decision?.reason ?? ''}`)], indent: 4 });
  }
  out.push(BLANK);
  if (state.applied.length > 0) out.push({ segs: [seg(info.sandbox ? 'Applied to the sandbox copies in this run:' : 'Applied in this run:')] }, ...appliedLines(state.applied));
  else out.push({ segs: [seg('Nothing was applied in this run.')] });
  if (info.appliedEarlier) out.push({ segs: [seg(`${info.appliedEarlier} change(s) from earlier runs are still in place.`)] });
  if (state.applied.length > 0 || info.appliedEarlier) {
    out.push({ segs: [seg('To undo, newest first: '), seg(info.undoCommand, { bold: true }), seg(' (add --list to see them)', { dim: true })], indent: 2 });
  }
  if (state.applied.length > 1) out.push({ segs: [seg('To undo all of this run at once: '), seg(`${info.undoCommand} --run`, { bold: true })], indent: 2 });
  if (info.sandbox) out.push({ segs: [seg(`Everything happened in the sandbox ${info.sandbox}; nothing else was touched.`)] });
  if (final) {
    out.push(BLANK, {
      segs: [
        seg(
          open >= 0
            ? `Progress is saved. Run ${info.resumeCommand ?? 'the same command'} again to continue at check ${open + 1}/${state.items.length}, ${state.items[open]!.id}.`
            : 'Progress is saved. Every step is done, skipped or passes.',
        ),
      ],
    });
  }
  return out;
}

/** What the confirmation says will happen; in the sandbox, that only the sandbox copy is written. */
function confirmPane(item: ItemView, proposal: Proposal, info: WizardInfo): Line[] {
  const out: Line[] = [{ segs: [seg(proposal.title, { bold: true }), ...riskSegs(proposal), seg(` (${item.id})`, { dim: true })] }];
  if (proposal.kind === 'choice') {
    out.push({ segs: [seg(`Records your choice in the profile (${proposal.choice.key}: ${proposal.choice.value}); nothing on this machine changes.`)] });
  }
  const files = proposal.changes.map((c) => c.path);
  if (files.length > 0) {
    out.push({
      segs: [seg(info.sandbox ? `Writes the sandbox copy ${files.join(', ')}; the previous version is kept as a backup in the sandbox.` : `Writes ${files.join(', ')}; the previous version is kept as a backup.`)],
    });
  }
  for (const c of proposal.commands.filter((c) => c.run)) {
    out.push({ segs: [seg(info.sandbox ? `Simulates (the sandbox runs nothing): ${c.argv.map(quoteArg).join(' ')}` : `Runs ${c.argv.map(quoteArg).join(' ')}`)], indent: 2 });
  }
  if (proposal.daemon) {
    const verb = proposal.daemon === 'restart' ? 'restart' : 'reload';
    out.push({
      segs: [
        seg(
          info.sandbox
            ? `Then simulates a dockerd ${verb}: the sandbox's recorded daemon re-reads the sandbox daemon.json.`
            : `Then ${verb}s dockerd; if it does not come back, the old files are restored.`,
        ),
      ],
    });
  }
  for (const w of proposal.warnings) out.push({ segs: [seg('warning:', { color: 'yellow' }), seg(` ${w}`)], indent: 2 });
  for (const c of proposal.changes) out.push(...diffView(c));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Menus and keys

const CHOICE_WORD: Record<ChoiceId, string> = {
  apply: 'apply',
  done: 'done',
  next: 'next',
  skip: 'skip',
  later: 'later',
  recheck: 'again',
  explain: 'explain',
  quit: 'quit',
};

const FOOTER_KEYS: Record<WizardState['screen'], string> = {
  loading: 'q quit',
  refresh: 'q quit',
  step: '',
  list: '↑↓ move · Enter open · Esc back · q quit',
  confirm: 'y apply · n or Esc keep as is · ←→ then Enter',
  applying: 'applying, please wait',
  reason: 'type the reason · Enter save · Esc back',
  explain: 'Esc or Enter back · q quit',
  summary: 'Enter or q exit · v all steps',
  quit: '',
};

/** The keys that work on the screen shown, for the footer. */
export function footerKeys(state: WizardState): string {
  if (state.screen !== 'step') return FOOTER_KEYS[state.screen];
  const item = state.items[state.current];
  const choices = choicesFor(item, state.proposalIndex).filter((c) => c.id !== 'quit');
  const parts = ['↑↓ Enter', ...choices.map((c) => `${c.key} ${CHOICE_WORD[c.id]}`)];
  if ((item?.proposals.length ?? 0) > 1) parts.push('←→ other fixes');
  parts.push('v steps', 'q quit');
  return parts.join(' · ');
}

function menuRows(state: WizardState, cols: number): Row[] {
  const item = state.items[state.current];
  const choices = choicesFor(item, state.proposalIndex);
  const tokens = choices.map((c, i) => {
    const on = i === state.choiceCursor;
    return [on ? seg('❯ ', { color: 'cyan' }) : seg('  '), seg(c.label, on ? { bold: true } : {}), seg(`  (${c.key})`, { dim: true })];
  });
  return pack(tokens, cols, ' ');
}

function footerRows(state: WizardState, cols: number, scrolls: boolean): Row[] {
  const keys = footerKeys(state);
  if (!keys) return [];
  const parts = keys.split(' · ');
  const arrows = state.screen === 'explain' || state.screen === 'summary';
  if (scrolls) parts.splice(Math.max(0, parts.length - 1), 0, `${arrows ? '↑↓ ' : ''}PgUp PgDn Home End scroll`);
  return pack(
    parts.map((p) => [seg(p, { dim: true })]),
    cols,
    ' · ',
  );
}

function confirmRow(state: WizardState): Row {
  return [
    seg('Apply this change? '),
    state.confirmYes ? seg('[ Yes ]', { inverse: true, color: 'green' }) : seg('  Yes  '),
    seg(' '),
    !state.confirmYes ? seg('[ No ]', { inverse: true }) : seg('  No  '),
    seg('  (y/n)', { dim: true }),
  ];
}

// ---------------------------------------------------------------------------------------------
// The frame

interface Parts {
  top: Line[];
  pane: Line[];
  /** `footer` false: leave out the keys line where the menu already names the keys (a short terminal). */
  bottom: (cols: number, scrolls: boolean, footer: boolean) => Row[];
  /** The pane row to keep on screen (a list cursor, the latest log line); else the scroll offset is used. */
  follow?: number;
}

function parts(state: WizardState, info: WizardInfo): Parts {
  const item = state.items[state.current];
  const top: Line[] = [headerRow(state, info)];
  const footer = (cols: number, scrolls: boolean) => footerRows(state, cols, scrolls);
  const withStep = () => {
    if (item) top.push(stepLine(item));
  };
  switch (state.screen) {
    case 'loading': {
      const { index, total, id } = state.loading;
      return { top, pane: [{ segs: [seg(`checking ${Math.min(index + 1, total)}/${total}${id ? `: ${id}` : ''}`)] }, ...stepRows(state, -1, false)], bottom: footer, follow: index + 1 };
    }
    case 'refresh':
      return { top, pane: [{ segs: [seg(`checking ${item?.id} again: a change applied since its first check may have changed what it finds…`)] }], bottom: footer };
    case 'step':
      withStep();
      return { top, pane: item ? stepPane(item, state.proposalIndex) : [], bottom: (cols, scrolls, keys) => [...menuRows(state, cols), ...(keys ? footer(cols, scrolls) : [])] };
    case 'list':
      return { top, pane: [{ segs: [seg('All steps', { bold: true })] }, ...stepRows(state, state.listCursor, true)], bottom: footer, follow: state.listCursor + 1 };
    case 'confirm': {
      withStep();
      const proposal = item?.proposals[state.proposalIndex];
      const pane = item && isApplicable(proposal) ? confirmPane(item, proposal, info) : [];
      return { top, pane, bottom: (cols, scrolls, keys) => [...wrapLine({ segs: confirmRow(state) }, cols), ...(keys ? footer(cols, scrolls) : [])] };
    }
    case 'applying': {
      withStep();
      const proposal = item?.proposals[state.proposalIndex];
      const pane: Line[] = [{ segs: [seg(`Applying ${proposal ? proposal.title : (item?.title ?? '')}…`)] }, ...state.log.map((l) => ({ segs: [seg(`  ${l}`, { dim: true })], indent: 4 }))];
      return { top, pane, bottom: footer, follow: Number.MAX_SAFE_INTEGER };
    }
    case 'reason': {
      withStep();
      const pane: Line[] = item ? [{ segs: [seg('Skip '), seg(item.title, { bold: true }), seg('. Why? The reason is kept in the profile and shown in the summary.')] },
            BLANK,
            { segs: [seg(state.skipForRepository ? '( ) Skip here only   ' : '(•) Skip here only   ', { bold: !state.skipForRepository }), seg(state.skipForRepository ? '(•) Skip for the repository' : '( ) Skip for the repository', { bold: state.skipForRepository }), seg('  (Tab switches; the repository\'s .docker-harden.yaml is shared with CI and teammates)', { dim: true })] }]
        : [];
      // A long reason shows its end, where the typing is: three rows at most.
      const input = (cols: number): Line => {
        const max = 3 * (cols - 8) - 2;
        const chars = [...sanitise(state.reason)];
        const shown = chars.length > max ? `…${chars.slice(-(max - 1)).join('')}` : chars.join('');
        return { segs: [seg('reason› ', { color: 'cyan' }), seg(shown), seg(' ', { inverse: true })], indent: 8 };
      };
      return { top, pane, bottom: (cols, scrolls, keys) => [...wrapLine(input(cols), cols), ...(keys ? footer(cols, scrolls) : [])] };
    }
    case 'explain':
      withStep();
      return { top, pane: item ? explainPane(item) : [], bottom: footer };
    case 'summary':
      return { top, pane: summaryPane(state, info, false), bottom: footer };
    case 'quit':
      return { top, pane: summaryPane(state, info, true), bottom: footer };
  }
}

/** The pane's rows at this size, and how many of them fit on screen. */
/** Fewer pane rows than this and the fixed parts give up rows: first the keys line, then wrapped header rows. */
const MIN_PANE = 3;

function measure(state: WizardState, info: WizardInfo, viewport: Viewport) {
  const p = parts(state, info);
  const cols = Math.max(20, viewport.cols);
  const body = wrapAll(p.pane, cols);
  const rows = usableRows(viewport);
  let fit = { top: [] as Row[], pane: body, lead: 0, bottom: [] as Row[], room: 0 };
  for (const tight of [0, 1, 2]) {
    const { top, rest } = topRows(p, state, viewport.rows, cols, tight >= 2);
    const pane = [...rest, ...body];
    let bottom = p.bottom(cols, false, tight < 1);
    let room = rows - top.length - bottom.length;
    if (pane.length > room) {
      bottom = p.bottom(cols, true, tight < 1);
      // One row for the scroll line.
      room = rows - top.length - bottom.length - 1;
    }
    fit = { top, pane, lead: rest.length, bottom, room };
    if (room >= Math.min(MIN_PANE, pane.length)) break;
  }
  return { parts: p, cols, top: fit.top, pane: fit.pane, lead: fit.lead, bottom: fit.bottom, rows, room: Math.max(1, fit.room) };
}

/** A row cut to `cols` with an ellipsis when it was longer. */
function cut(rows: Row[], cols: number): Row {
  const text = rows.map(rowText).join(' ');
  const first = rows[0] ?? [];
  if (rows.length <= 1) return first;
  return [{ ...first[0], text: `${[...text].slice(0, Math.max(0, cols - 1)).join('')}…` }];
}

/**
 * Header and step line, then the notice: two rows of it at most on a bounded screen. The rest of a
 * long notice (what an apply led to, why it failed) goes first in the pane, where it scrolls.
 */
function topRows(p: Parts, state: WizardState, rows: number, cols: number, oneRowEach = false): { top: Row[]; rest: Row[] } {
  const top = oneRowEach ? p.top.map((l) => cut(wrapLine(l, cols), cols)) : wrapAll(p.top, cols);
  if (!state.notice) return { top, rest: [] };
  const notice = wrapLine(noticeLine(state.notice), cols);
  const most = oneRowEach ? 1 : 2;
  if (Number.isFinite(rows) && notice.length > most) return { top: [...top, ...notice.slice(0, most)], rest: [...notice.slice(most), []] };
  return { top: [...top, ...notice], rest: [] };
}

/** How far the pane can scroll: 0 when it fits. */
export function maxScroll(state: WizardState, info: WizardInfo, viewport: Viewport): number {
  const m = measure(state, info, viewport);
  return Math.max(0, m.pane.length - m.room);
}

/** Rows the pane moves on PgUp/PgDn. */
export function pageSize(state: WizardState, info: WizardInfo, viewport: Viewport): number {
  return Math.max(1, measure(state, info, viewport).room - 1);
}

/**
 * The frame for this state at this size: never more rows than the terminal has (for the final
 * summary too, which stays on the terminal: the step table goes first, then the oldest rows).
 */
export function frame(state: WizardState, info: WizardInfo, viewport: Viewport): Frame {
  if (state.screen === 'quit' && Number.isFinite(viewport.rows)) return finalFrame(state, info, viewport);
  const m = measure(state, info, viewport);
  if (m.pane.length <= m.room) {
    // No blank row inside a notice that goes on in the pane.
    const spaced = m.lead === 0 && m.top.length + m.pane.length + m.bottom.length + 2 <= m.rows;
    return { top: m.top, pane: m.pane, bottom: m.bottom, spaced };
  }
  const max = m.pane.length - m.room;
  let offset = Math.min(Math.max(0, state.scroll), max);
  if (m.parts.follow !== undefined) {
    // Keep the followed row on screen (a list cursor, the newest log line).
    const row = Math.min(m.lead + m.parts.follow, m.pane.length - 1);
    offset = Math.min(max, Math.max(0, row - m.room + 1, Math.min(offset, row)));
  }
  const shown = m.pane.slice(offset, offset + m.room);
  const more = offset + m.room < m.pane.length;
  const scrollLine: Row = [
    seg(`── ${offset + 1}-${offset + shown.length} of ${m.pane.length}${more ? ' · PgDn more' : ' · end'}${offset > 0 ? ' · PgUp back' : ''} ──`, { dim: true }),
  ];
  return { top: m.top, pane: shown, scrollLine: wrapLine({ segs: scrollLine }, m.cols)[0], bottom: m.bottom, spaced: false };
}

function finalFrame(state: WizardState, info: WizardInfo, viewport: Viewport): Frame {
  const cols = Math.max(20, viewport.cols);
  const p = parts(state, info);
  const { top, rest } = topRows(p, state, viewport.rows, cols);
  const room = Math.max(1, usableRows(viewport) - top.length);
  let pane = [...rest, ...wrapAll(summaryPane(state, info, true), cols)];
  if (pane.length > room) pane = [...rest, ...wrapAll(summaryPane(state, info, true, false), cols)];
  if (pane.length > room) pane = pane.slice(pane.length - room);
  return { top, pane, bottom: [], spaced: rest.length === 0 && top.length + pane.length + 1 <= usableRows(viewport) };
}

/**
 * A frame is one row shorter than the terminal: the cursor rests on the row under it. A frame that
 * fills the terminal makes Ink clear the whole screen (and the scrollback) on the next one and
 * leaves the last frame without its newline.
 */
function usableRows(viewport: Viewport): number {
  return viewport.rows - 1;
}

/** Plain text of rows, for tests and logs. */
export function rowText(row: Row): string {
  return row.map((s) => s.text).join('');
}
