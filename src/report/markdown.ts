/**
 * The report of `docker-harden report`: for every step and target, a fresh check with its
 * findings, the decision kept in the profile (done, skipped with its reason, later, failed), and
 * the changes applied with how to undo them. Rendered as text, Markdown or JSON.
 */
import type { StepRun } from '../core/runner.js';
import type { Finding, Status } from '../core/step.js';
import { targetKey, type AppliedRecord, type Decision, type Profile } from '../core/profile.js';
import { toEntry, type ResultEntry } from './results.js';
import { STATUS_MARK, statusLabel } from './text.js';
import type { Palette } from './color.js';
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
  summary: Partial<Record<Status, number>>;
  results: ReportEntry[];
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
  now?: Date;
}

export function buildReport(input: ReportInput): ReportDocument {
  const summary: Partial<Record<Status, number>> = {};
  const results = input.runs.map((run): ReportEntry => {
    summary[run.result.status] = (summary[run.result.status] ?? 0) + 1;
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
    applied: [...input.profile.applied].reverse(),
  };
}

const STATUS_ORDER: Status[] = ['fail', 'warn', 'error', 'info', 'pass', 'not-applicable'];

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
  const lines: string[] = [];
  lines.push(p.bold(`docker-harden ${doc.version} report, ${doc.generated.slice(0, 16).replace('T', ' ')} UTC`));
  lines.push(p.dim(`profile: ${doc.profileFile}`));
  lines.push('');
  for (const e of doc.results) {
    lines.push(`${statusLabel(e.status, p)}  ${p.bold(`${e.order}. ${e.title}`)} ${p.dim(`[${e.step}] ${e.targetLabel}`)}`);
    lines.push(`    ${p.dim('decision:')} ${describeDecision(e.decision)}`);
    for (const f of e.findings) {
      const at = where(f);
      lines.push(`    ${p.dim(`[${f.severity}]`)} ${at ? `${at}: ` : ''}${f.message}`);
      if (f.evidence) lines.push(`        ${p.dim(f.evidence)}`);
    }
    for (const r of e.applied) lines.push(`    ${p.green('applied')} ${r.title ?? r.proposal} ${p.dim(`(${r.id}; undo: ${undoHint(r, doc.undoArgs)})`)}`);
  }
  lines.push('');
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
    out.push(`| ${e.order} | ${md(e.title)} (${code(e.step)}) | ${md(e.targetLabel)} | ${STATUS_MARK[e.status]} ${e.status} | ${md(describeDecision(e.decision))} |`);
  }
  out.push('');
  for (const e of doc.results) {
    if (e.findings.length === 0 && e.applied.length === 0 && !e.decision) continue;
    out.push(`## ${e.order}. ${md(e.title)}: ${md(e.targetLabel)}`, '');
    out.push(`Status: **${e.status}**. Decision: ${md(describeDecision(e.decision))}.`, '');
    for (const f of e.findings) {
      const at = where(f);
      out.push(`- **${f.severity}** ${at ? `${code(at)} ` : ''}${md(f.message)}${f.evidence ? `<br>seen: ${code(f.evidence)}` : ''}`);
    }
    if (e.findings.length > 0) out.push('');
    for (const r of e.applied) out.push(`- Applied ${md(r.title ?? r.proposal)} (${code(r.id)}, ${r.at.slice(0, 16).replace('T', ' ')}); undo with ${code(undoHint(r, doc.undoArgs))}.`);
    if (e.applied.length > 0) out.push('');
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
  return out.join('\n');
}
