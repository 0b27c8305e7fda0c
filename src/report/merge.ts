/**
 * `report --merge A.json B.json ...`: the results of `check --host --json` from many hosts, one
 * table host x step with totals per host, per step and overall, as text, Markdown or JSON. A host
 * is named by its document's `host` field when there is one, else by its file name (web1.json ->
 * web1). Every string from the files is made printable before it is shown.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Status } from '../core/step.js';
import { UserError } from '../core/errors.js';
import { positionOfJsonError } from '../core/profile.js';
import { STATUS_MARK } from './text.js';
import type { Palette } from './color.js';

const STATUSES: Status[] = ['pass', 'fail', 'warn', 'info', 'not-applicable', 'error'];
const MAX_BYTES = 16 * 1024 * 1024;

export type Totals = Partial<Record<Status, number>>;

export interface MergedReport {
  tool: 'docker-harden';
  merged: true;
  hosts: { host: string; file: string; version: string; totals: Totals }[];
  steps: { step: string; order: number; title: string; totals: Totals }[];
  /** host -> step -> status; a step missing for a host was not checked there. */
  cells: Record<string, Record<string, Status>>;
  totals: Totals;
}

export interface HostResults {
  host: string;
  file: string;
  version: string;
  results: { step: string; order: number; title: string; status: Status }[];
}

/** Printable, one line: control and bidi characters from a file never reach the terminal. */
function printable(text: string, max = 120): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

const HINT = 'Each file must be the output of `docker-harden check --host --json` on one host.';

/** One host's document, checked for the shape `check --json` writes. */
export async function parseHostResults(text: string, file: string): Promise<HostResults> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const { line, column } = await positionOfJsonError(text, err as Error);
    throw new UserError('is not valid JSON', HINT, file, line, column);
  }
  const doc = data as { tool?: unknown; version?: unknown; host?: unknown; results?: unknown };
  if (!doc || typeof doc !== 'object' || doc.tool !== 'docker-harden' || !Array.isArray(doc.results)) {
    throw new UserError('is not a docker-harden result document (no "tool": "docker-harden" with "results")', HINT, file);
  }
  const results: HostResults['results'] = [];
  doc.results.forEach((entry: unknown, i: number) => {
    const e = entry as { step?: unknown; order?: unknown; title?: unknown; status?: unknown; target?: unknown };
    if (!e || typeof e.step !== 'string' || typeof e.status !== 'string' || !STATUSES.includes(e.status as Status)) {
      throw new UserError(`results[${i}] has no step id or a status docker-harden does not know`, HINT, file);
    }
    if (e.target !== undefined && e.target !== 'host') return;
    results.push({
      step: printable(e.step, 60),
      order: typeof e.order === 'number' && Number.isFinite(e.order) ? e.order : 999,
      title: typeof e.title === 'string' ? printable(e.title) : printable(e.step, 60),
      status: e.status as Status,
    });
  });
  if (results.length === 0) throw new UserError('holds no host results', 'Make it with `docker-harden check --host --json > HOST.json` on that host.', file);
  const host = typeof doc.host === 'string' && doc.host.trim() ? doc.host : path.basename(file).replace(/\.json$/i, '');
  return { host: printable(host, 60), file, version: typeof doc.version === 'string' ? printable(doc.version, 40) : '', results };
}

function add(totals: Totals, status: Status): void {
  totals[status] = (totals[status] ?? 0) + 1;
}

export function mergeResults(docs: HostResults[]): MergedReport {
  const seen = new Map<string, string>();
  for (const d of docs) {
    const other = seen.get(d.host);
    if (other) throw new UserError(`names the host "${d.host}" again (also ${other})`, 'Give each host its own file name, e.g. web1.json, web2.json.', d.file);
    seen.set(d.host, d.file);
  }
  const steps = new Map<string, MergedReport['steps'][number]>();
  const cells: MergedReport['cells'] = {};
  const totals: Totals = {};
  const hosts = docs.map((d) => {
    const own: Totals = {};
    cells[d.host] = {};
    for (const r of d.results) {
      if (!steps.has(r.step)) steps.set(r.step, { step: r.step, order: r.order, title: r.title, totals: {} });
      cells[d.host]![r.step] = r.status;
      add(own, r.status);
      add(steps.get(r.step)!.totals, r.status);
      add(totals, r.status);
    }
    return { host: d.host, file: d.file, version: d.version, totals: own };
  });
  return { tool: 'docker-harden', merged: true, hosts, steps: [...steps.values()].sort((a, b) => a.order - b.order || a.step.localeCompare(b.step)), cells, totals };
}

export async function readHostResults(files: string[]): Promise<HostResults[]> {
  if (files.length === 0) {
    throw new UserError('report --merge needs the result files to merge', 'For example: docker-harden report --merge results/*.json (each from `docker-harden check --host --json`).');
  }
  const docs: HostResults[] = [];
  for (const file of files) {
    let text: string;
    try {
      const info = await fs.stat(file);
      if (!info.isFile()) throw new UserError('is not a file', HINT, file);
      if (info.size > MAX_BYTES) throw new UserError(`is larger than ${MAX_BYTES / 1024 / 1024} MiB; not a result document`, HINT, file);
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, HINT, file);
    }
    docs.push(await parseHostResults(text, file));
  }
  return docs;
}

const COUNTED: Status[] = ['fail', 'warn', 'error', 'pass'];
const totalsText = (t: Totals) => COUNTED.map((s) => `${t[s] ?? 0} ${s}`).join(', ');

function mark(status: Status | undefined, p: Palette): string {
  if (!status) return ' ';
  const m = STATUS_MARK[status];
  return status === 'fail' || status === 'error' ? p.red(m) : status === 'warn' ? p.yellow(m) : status === 'pass' ? p.green(m) : p.dim(m);
}

export function renderMergedText(report: MergedReport, p: Palette): string {
  const width = Math.max(4, ...report.hosts.map((h) => h.host.length));
  const cols = report.steps.map((s) => String(s.order));
  const head = `${'host'.padEnd(width)}  ${cols.map((c) => c.padStart(2)).join(' ')}   totals`;
  const lines = [p.bold(`docker-harden: ${report.hosts.length} host${report.hosts.length === 1 ? '' : 's'} x ${report.steps.length} steps`), '', p.bold(head)];
  for (const h of report.hosts) {
    const row = report.steps.map((s, i) => ' '.repeat(Math.max(0, cols[i]!.length, 2) - 1) + mark(report.cells[h.host]![s.step], p)).join(' ');
    lines.push(`${h.host.padEnd(width)}  ${row}   ${totalsText(h.totals)}`);
  }
  lines.push('', 'Steps (hosts failing / warning / in error):');
  for (const s of report.steps) {
    lines.push(`  ${String(s.order).padStart(2)} ${s.step.padEnd(30)} ${s.totals.fail ?? 0} / ${s.totals.warn ?? 0} / ${s.totals.error ?? 0}  ${p.dim(s.title)}`);
  }
  lines.push('', `Total: ${totalsText(report.totals)} (${Object.entries(STATUS_MARK).map(([s, m]) => `${m} ${s}`).join(', ')}; blank: not checked)`, '');
  return lines.join('\n');
}

const md = (s: string) => s.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`);

export function renderMergedMarkdown(report: MergedReport): string {
  const statusMd = (s: Status | undefined) => (s ? `${STATUS_MARK[s]} ${s}` : '');
  const lines = [
    `# docker-harden: ${report.hosts.length} hosts`,
    '',
    `| host | ${report.steps.map((s) => `${s.order}. ${md(s.step)}`).join(' | ')} | fail | warn | error | pass |`,
    `|---|${report.steps.map(() => '---').join('|')}|---:|---:|---:|---:|`,
    ...report.hosts.map(
      (h) => `| ${md(h.host)} | ${report.steps.map((s) => statusMd(report.cells[h.host]![s.step])).join(' | ')} | ${h.totals.fail ?? 0} | ${h.totals.warn ?? 0} | ${h.totals.error ?? 0} | ${h.totals.pass ?? 0} |`,
    ),
    `| **hosts failing** | ${report.steps.map((s) => String(s.totals.fail ?? 0)).join(' | ')} | ${report.totals.fail ?? 0} | ${report.totals.warn ?? 0} | ${report.totals.error ?? 0} | ${report.totals.pass ?? 0} |`,
    '',
    '## Steps',
    '',
    ...report.steps.map((s) => `${s.order}. \`${md(s.step)}\`: ${md(s.title)} (${totalsText(s.totals)})`),
    '',
  ];
  return lines.join('\n');
}
