/** Plain-text rendering of check results, for terminals and logs. */
import type { DecidedRun, UnusedIgnore } from '../core/repoconfig.js';
import type { StepRun } from '../core/runner.js';
import type { Status } from '../core/step.js';
import { shownDiff } from '../core/change.js';
import { colorDiff, type Palette } from './color.js';
import { safeLine, safeText } from '../core/sanitize.js';
import { counted } from '../core/suggest.js';

export const STATUS_MARK: Record<Status, string> = {
  pass: '✔',
  fail: '✘',
  warn: '!',
  info: 'i',
  'not-applicable': '-',
  error: '?',
};

/** A step skipped in the repository's decisions or the profile: its findings were set aside, so it did not pass. */
export const SKIPPED_MARK = '–';

export function statusLabel(status: Status, p: Palette): string {
  const text = `${STATUS_MARK[status]} ${status}`;
  switch (status) {
    case 'pass':
      return p.green(text);
    case 'fail':
    case 'error':
      return p.red(text);
    case 'warn':
      return p.yellow(text);
    default:
      return p.dim(text);
  }
}

/** A run's status, or `– skipped` when the repository or the profile skips its step. */
export function decidedLabel(status: Status, decided: Pick<DecidedRun, 'skipped'>, p: Palette): string {
  return decided.skipped ? p.dim(`${SKIPPED_MARK} skipped`) : statusLabel(status, p);
}

/** What the repository's decisions set aside: the skip with its reason, else each suppressed finding with its own. */
export function decisionLines(decided: Pick<DecidedRun, 'skipped' | 'suppressed'>, p: Palette): string[] {
  if (decided.skipped) return [`    ${p.dim(`skipped: ${safeText(decided.skipped.reason)} (${safeLine(decided.skipped.source)})`)}`];
  return (decided.suppressed ?? []).map((f) => {
    const where = f.file ? `${safeLine(f.file)}${f.line ? `:${f.line}` : ''}: ` : '';
    return `    ${p.dim(`suppressed: [${f.severity}] ${f.code} ${where}${safeText(f.message)} (${safeText(f.suppression.reason)}; ${safeLine(f.suppression.source)})`)}`;
  });
}

export function renderRun(run: StepRun, p: Palette, withDiffs: boolean): string {
  // Findings, notes, titles and diffs carry text from files and the daemon: shown safe, before colour.
  const lines: string[] = [];
  const target = run.target.kind === 'host' ? 'host' : safeLine(run.target.label);
  const decided = run as DecidedRun;
  lines.push(`${decidedLabel(run.result.status, decided, p)}  ${p.bold(`${run.step.meta.order}. ${run.step.meta.title}`)} ${p.dim(`[${run.step.meta.id}] ${target}`)}`);
  for (const f of run.result.findings) {
    const where = f.file ? `${safeLine(f.file)}${f.line ? `:${f.line}` : ''}: ` : '';
    lines.push(`    ${p.dim(`[${f.severity}]`)} ${p.bold(f.code)} ${where}${safeText(f.message)}`);
    if (f.evidence) lines.push(`        ${p.dim(safeText(f.evidence))}`);
  }
  lines.push(...decisionLines(decided, p));
  for (const note of run.result.notes ?? []) lines.push(`    ${p.dim(safeText(note))}`);
  if (withDiffs) {
    const firstOfGroup = new Map<string, string>();
    for (const proposal of run.proposals) {
      // A choice is applied only when named (--only step:id): its label says so, not a risk.
      const label = proposal.kind === 'choice' ? p.yellow('[choice]') : proposal.risk === 'safe' ? p.green(`[${proposal.risk}]`) : p.yellow(`[${proposal.risk}]`);
      lines.push(`    ${p.cyan('fix:')} ${safeLine(proposal.title)} ${p.dim(`(${run.step.meta.id}:${safeLine(proposal.id)})`)} ${label}`);
      // Alternatives (a group): at most one is applied, the first unless its proof refuses it.
      const first = proposal.group === undefined ? undefined : firstOfGroup.get(proposal.group);
      if (first !== undefined) lines.push(`      ${p.dim(`an alternative to ${run.step.meta.id}:${safeLine(first)}: fix applies at most one of them, the first unless another is named with --only or --verify's proof refuses the first`)}`);
      else if (proposal.group !== undefined) firstOfGroup.set(proposal.group, proposal.id);
      // What it does and what it may break (for advice, what to do by hand), as the wizard shows it.
      if (proposal.description) lines.push(indent(safeText(proposal.description), 6));
      for (const w of proposal.warnings) lines.push(`      ${p.yellow('warning:')} ${safeText(w)}`);
      // The path heads the diff on a line of its own: a newline in a file name must not start another.
      for (const change of proposal.changes) lines.push(indent(colorDiff(safeText(shownDiff({ ...change, path: safeLine(change.path) })), p).trimEnd(), 6));
      for (const c of proposal.commands) lines.push(`      ${c.run ? '$' : '#'} ${c.argv.map(quoteArg).join(' ')}${c.asUser ? p.dim(`   (as ${safeLine(c.asUser)})`) : ''}`);
    }
  }
  return lines.join('\n');
}

export function renderSummary(runs: StepRun[], p: Palette): string {
  const counts = new Map<Status | 'skipped', number>();
  for (const r of runs) {
    const key = (r as DecidedRun).skipped ? 'skipped' : r.result.status;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = (['pass', 'fail', 'warn', 'info', 'not-applicable', 'error', 'skipped'] as const)
    .filter((s) => counts.get(s))
    .map((s) => `${counts.get(s)} ${s}`);
  return p.bold(`${counted(runs.length, 'check')}: ${parts.join(', ')}`);
}

/** The ignores that matched nothing, one dim line each: where, which code, and that it can be removed. */
export function renderUnusedIgnores(unused: readonly UnusedIgnore[], p: Palette): string[] {
  return unused.map((u) => p.dim(`unused ignore: ${safeLine(u.source)}: ${unusedIgnoreText(u, safeLine)}`));
}

/** What matched nothing and whether it can go, each checked file written by `name` (`host` is the host). */
export function unusedIgnoreText(u: UnusedIgnore, name: (file: string) => string): string {
  if (u.kind === 'inSource') return `${u.code} matches no finding on the line below the comment; it can be removed`;
  const where = u.files.map((f) => (f === 'host' ? 'the host' : name(f))).join(', ');
  const others = u.files.includes('host') ? 'another host or a file not checked here' : 'a file not checked here';
  return `${u.code} matches no finding in ${where}; it can be removed unless ${others} needs it`;
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

/** Show an argument so it can be pasted into a shell. */
export function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(arg) ? arg : `'${safeLine(arg).replace(/'/g, `'\\''`)}'`;
}
