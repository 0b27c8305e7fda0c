/**
 * The report of `docker-harden report`: for every step and target, a fresh check with its
 * findings, the decision kept in the profile (done, skipped with its reason, later, failed), and
 * the changes applied with how to undo them. Rendered as text, Markdown or JSON.
 */
import type { StepRun } from '../core/runner.js';
import type { DecidedRun, UnusedIgnore } from '../core/repoconfig.js';
import type { Finding, Status } from '../core/step.js';
import { targetKey, type AppliedRecord, type Decision, type Profile } from '../core/profile.js';
import { toEntry, type ResultEntry } from './results.js';
import { decidedLabel, decisionLines, renderUnusedIgnores, SKIPPED_MARK, STATUS_MARK, unusedIgnoreText } from './text.js';
import type { Palette } from './color.js';
import { safeLine, safeText } from '../core/sanitize.js';
import { counted } from '../core/suggest.js';

export interface ReportEntry extends ResultEntry {
  targetLabel: string;
  decision?: Decision;
  /** Changes applied for this step and target that are still in place, newest first. */
  applied: AppliedRecord[];
}

export interface ReportDocument {
  tool: 'docker-harden';
  version: string;
  generated: string;
  profileFile: string;
  /** The state directory, for `docker-harden undo --state-dir`. */
  stateDir: string;
  /** Extra arguments that reach the same profile (`--sandbox DIR` or `--state-dir DIR`). */
  undoArgs: string;
  /** How many checks ended in each status; a step skipped in the repository or the profile counts as `skipped`. */
  summary: Partial<Record<Status | 'skipped', number>>;
  results: ReportEntry[];
  /** Ignores that matched no finding of this report's check (as in check's JSON). */
  unusedIgnores?: UnusedIgnore[];
  /** Every applied change, newest first, undone ones included. */
  applied: AppliedRecord[];
}

export interface ReportInput {
  runs: StepRun[];
  profile: Profile;
  version: string;
  profileFile: string;
  stateDir: string;
  undoArgs: string;
  unusedIgnores?: UnusedIgnore[];
  now?: Date;
}

export function buildReport(input: ReportInput): ReportDocument {
  const summary: ReportDocument['summary'] = {};
  const results = input.runs.map((run): ReportEntry => {
    const counted = (run as DecidedRun).skipped ? 'skipped' : run.result.status;
    summary[counted] = (summary[counted] ?? 0) + 1;
    const key = targetKey(run.target);
    const applied = input.profile.applied.filter((r) => r.step === run.step.meta.id && r.target === key && !r.undone).reverse();
    const decision = input.profile.targets[key]?.[run.step.meta.id];
    return { ...toEntry(run), targetLabel: run.target.label, ...(decision ? { decision } : {}), applied };
  });
  return {
    tool: 'docker-harden',
    version: input.version,
    generated: (input.now ?? new Date()).toISOString(),
    profileFile: input.profileFile,
    stateDir: input.stateDir,
    undoArgs: input.undoArgs,
    summary,
    results,
    ...(input.unusedIgnores?.length ? { unusedIgnores: input.unusedIgnores } : {}),
    applied: [...input.profile.applied].reverse(),
  };
}

const STATUS_ORDER: (Status | 'skipped')[] = ['fail', 'warn', 'error', 'info', 'pass', 'not-applicable', 'skipped'];

function summaryLine(doc: ReportDocument): string {
  const total = doc.results.length;
  const parts = STATUS_ORDER.filter((s) => doc.summary[s]).map((s) => `${doc.summary[s]} ${s}`);
  return `${counted(total, 'check')}: ${parts.join(', ') || 'none'}`;
}

export function describeDecision(d: Decision | undefined): string {
  if (!d) return 'no decision yet';
  const when = d.at.slice(0, 16).replace('T', ' ');
  switch (d.status) {
    case 'done':
      return `done ${when}`;
    case 'skipped':
      return `skipped ${when}: ${d.reason ?? 'no reason given'}`;
    case 'later':
      return `left for later ${when}`;
    case 'failed':
      return `failed ${when}${d.reason ? `: ${d.reason}` : ''}`;
  }
}

function where(f: Finding): string {
  return f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : '';
}

function undoHint(r: AppliedRecord, undoArgs: string): string {
  return `docker-harden undo ${r.id}${undoArgs ? ` ${undoArgs}` : ''}`;
}

export function renderReportText(doc: ReportDocument, p: Palette): string {
  // Messages, paths and labels come from files and the daemon: each is shown safe before colour.
  const lines: string[] = [];
  lines.push(p.bold(`docker-harden ${doc.version} report, ${doc.generated.slice(0, 16).replace('T', ' ')} UTC`));
  lines.push(p.dim(`profile: ${safeLine(doc.profileFile)}`));
  lines.push('');
  for (const e of doc.results) {
    lines.push(`${decidedLabel(e.status, e, p)}  ${p.bold(`${e.order}. ${e.title}`)} ${p.dim(`[${e.step}] ${safeLine(e.targetLabel)}`)}`);
    lines.push(`    ${p.dim('decision:')} ${safeText(describeDecision(e.decision))}`);
    for (const f of e.findings) {
      const at = where(f);
      lines.push(`    ${p.dim(`[${f.severity}]`)} ${at ? `${safeLine(at)}: ` : ''}${safeText(f.message)}`);
      if (f.evidence) lines.push(`        ${p.dim(safeText(f.evidence))}`);
    }
    lines.push(...decisionLines(e, p));
    for (const r of e.applied) lines.push(`    ${p.green('applied')} ${safeLine(r.title ?? r.proposal)} ${p.dim(`(${r.id}; undo: ${undoHint(r, doc.undoArgs)})`)}`);
  }
  lines.push('');
  lines.push(...renderUnusedIgnores(doc.unusedIgnores ?? [], p));
  lines.push(p.bold(summaryLine(doc)));
  const open = doc.applied.filter((r) => !r.undone);
  if (open.length > 0) lines.push(`${counted(open.length, 'applied change')} in place; \`docker-harden undo --list${doc.undoArgs ? ` ${doc.undoArgs}` : ''}\` shows them, newest first.`);
  return lines.join('\n') + '\n';
}

/** Text safe inside a Markdown table cell or line: pipes escaped, no line breaks. */
function md(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')).replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  return `${ticks}${ticks === '``' ? ' ' : ''}${text.replace(/\r?\n/g, ' ')}${ticks === '``' ? ' ' : ''}${ticks}`;
}

export function renderReportMarkdown(doc: ReportDocument): string {
  const out: string[] = [];
  out.push('# docker-harden report', '');
  out.push(`Generated ${doc.generated.slice(0, 16).replace('T', ' ')} UTC by docker-harden ${doc.version}. Profile: ${code(doc.profileFile)}.`, '');
  out.push(`**${summaryLine(doc)}**`, '');
  out.push('| # | Step | Target | Status | Decision |', '|---|---|---|---|---|');
  for (const e of doc.results) {
    out.push(`| ${e.order} | ${md(e.title)} (${code(e.step)}) | ${md(e.targetLabel)} | ${e.skipped ? `${SKIPPED_MARK} skipped` : `${STATUS_MARK[e.status]} ${e.status}`} | ${md(describeDecision(e.decision))} |`);
  }
  out.push('');
  for (const e of doc.results) {
    const suppressed = e.skipped ? [] : (e.suppressed ?? []);
    if (e.findings.length === 0 && suppressed.length === 0 && e.applied.length === 0 && !e.decision && !e.skipped) continue;
    out.push(`## ${e.order}. ${md(e.title)}: ${md(e.targetLabel)}`, '');
    out.push(`Status: **${e.skipped ? 'skipped' : e.status}**. Decision: ${md(describeDecision(e.decision))}.`, '');
    if (e.skipped) out.push(`Skipped in ${code(e.skipped.source)}: ${md(e.skipped.reason)}.`, '');
    for (const f of e.findings) {
      const at = where(f);
      out.push(`- **${f.severity}** ${at ? `${code(at)} ` : ''}${md(f.message)}${f.evidence ? `<br>seen: ${code(f.evidence)}` : ''}`);
    }
    for (const f of suppressed) {
      const at = where(f);
      out.push(`- suppressed: ${f.severity} ${at ? `${code(at)} ` : ''}${md(f.message)} (${md(f.suppression.reason)}; ${code(f.suppression.source)})`);
    }
    if (e.findings.length + suppressed.length > 0) out.push('');
    for (const r of e.applied) out.push(`- Applied ${md(r.title ?? r.proposal)} (${code(r.id)}, ${r.at.slice(0, 16).replace('T', ' ')}); undo with ${code(undoHint(r, doc.undoArgs))}.`);
    if (e.applied.length > 0) out.push('');
  }
  if (doc.unusedIgnores?.length) {
    out.push('## Ignores that matched no finding', '');
    for (const u of doc.unusedIgnores) out.push(`- ${code(u.source)}: ${unusedIgnoreText(u, code)}.`);
    out.push('');
  }
  if (doc.applied.length > 0) {
    out.push('## Applied changes, newest first', '');
    out.push('| Id | When | Step | Change | Files | State |', '|---|---|---|---|---|---|');
    for (const r of doc.applied) {
      out.push(
        `| ${code(r.id)} | ${r.at.slice(0, 16).replace('T', ' ')} | ${code(r.step)} | ${md(r.title ?? r.proposal)} | ${r.files.map((f) => code(f.path)).join(', ')} | ${r.undone ? `undone ${r.undone.slice(0, 16).replace('T', ' ')}` : 'in place'} |`,
      );
    }
    out.push('');
  }
  // A report is read in terminals too (cat, less -R): no control character from a file survives.
  return safeText(out.join('\n'));
}
