/**
 * `docker-harden report [targets] [--format text|md|json|sarif]`: a fresh check of the targets,
 * as `check` makes it (the repository's ignores and skips applied), with the decisions kept in
 * the profile. Without targets, the targets the profile knows are
 * checked again. Exit 0 when the report was written, 2 when it could not be.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Args } from '../args.js';
import { loadDockerfiles, paletteFor, runAll, sessionFor, type AppIo, type Io } from './batch.js';
import { createSession, type Session } from './session.js';
import { oneRun } from '../core/writes.js';
import { UserError } from '../core/errors.js';
import { migrate, type Profile } from '../core/profile.js';
import { buildReport, renderReportMarkdown, renderReportText } from '../report/markdown.js';
import { toSarif } from '../report/sarif.js';
import { quoteArg } from '../report/text.js';

export const REPORT_FORMATS = ['text', 'md', 'json', 'sarif'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

function formatOf(args: Args): ReportFormat {
  const format = (args.format ?? 'text').toLowerCase();
  if (format === 'markdown') return 'md';
  if ((REPORT_FORMATS as readonly string[]).includes(format)) return format as ReportFormat;
  throw new UserError(`unknown report format "${args.format}"`, 'Use --format text, md, json or sarif (or --json, --sarif).');
}

/** The targets a profile has decisions or changes for, whose files still exist. */
function profileTargets(profile: Profile): { host: boolean; files: string[]; composeFiles: string[] } {
  const keys = new Set([...Object.keys(profile.targets), ...profile.applied.map((r) => r.target)]);
  const out = { host: false, files: [] as string[], composeFiles: [] as string[] };
  for (const key of keys) {
    if (key === 'host' || key.startsWith('host@')) out.host = true;
    else if (key.startsWith('dockerfile:') && existsSync(key.slice('dockerfile:'.length))) out.files.push(key.slice('dockerfile:'.length));
    else if (key.startsWith('compose:') && existsSync(key.slice('compose:'.length))) out.composeFiles.push(key.slice('compose:'.length));
  }
  return out;
}

export async function reportCommand(args: Args, io: AppIo): Promise<number> {
  const format = formatOf(args);
  if (args.merge) return mergeCommand(args, format, io);
  let session: Session = await sessionFor(args, io);
  await session.identifyHost();
  const profile = await session.store.load();
  if (session.targets.length === 0) {
    const known = profileTargets(profile);
    if (!known.host && known.files.length === 0 && known.composeFiles.length === 0) {
      throw new UserError(
        'nothing to report: no target was named and the profile has none',
        `Name a target (--file ./Dockerfile, --compose ./compose.yaml, --host), or check or fix one first. Profile: ${session.store.file}`,
      );
    }
    const { sessionOptions } = await import('./batch.js');
    session = createSession({ ...sessionOptions(args, io), ...known });
    await session.identifyHost();
    migrate(profile, session.store.hostId);
  }
  // As check sees them: the repository's decisions (.docker-harden.yaml, ignore comments) applied.
  const { runs, unused } = await oneRun(async () => runAll(session, await loadDockerfiles(session, io.registry), io));

  if (format === 'sarif') {
    const log = toSarif(runs, { version: io.version, cwd: process.cwd(), steps: session.steps, commandLine: ['docker-harden', 'report', ...process.argv.slice(3)].join(' '), unusedIgnores: unused });
    io.stdout.write(JSON.stringify(log, null, 2) + '\n');
    return 0;
  }
  const undoArgs = args.sandbox
    ? `--sandbox ${quoteArg(path.resolve(args.sandbox))}`
    : args.stateDir
      ? `--state-dir ${quoteArg(path.resolve(args.stateDir))}`
      : '';
  const doc = buildReport({ runs, profile, version: io.version, profileFile: session.store.file, stateDir: session.store.stateDir, undoArgs, unusedIgnores: unused });
  if (format === 'json') io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else if (format === 'md') io.stdout.write(renderReportMarkdown(doc));
  else io.stdout.write(renderReportText(doc, paletteFor(args, io)));
  return 0;
}

/** `report --merge A.json B.json ...`: one table host x step from many hosts' `check --host --json`. */
async function mergeCommand(args: Args, format: ReportFormat, io: Io): Promise<number> {
  if (format === 'sarif') throw new UserError('report --merge writes text, md or json', 'SARIF describes one run; use --format md or json for many hosts.');
  const { readHostResults, mergeResults, renderMergedMarkdown, renderMergedText } = await import('../report/merge.js');
  const report = mergeResults(await readHostResults(args.positional));
  if (format === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else if (format === 'md') io.stdout.write(renderMergedMarkdown(report));
  else io.stdout.write(renderMergedText(report, paletteFor(args, io)));
  return 0;
}
