/** The non-interactive commands: check, fix, undo, steps. They never ask a question without a terminal. */
import { createInterface } from 'node:readline/promises';
import { createSession, type Session, type SessionOptions } from './core/session.js';
import { runStep, applyProposal, undoApplied, type StepRun } from './core/runner.js';
import { UserError } from './core/errors.js';
import type { Args } from './args.js';
import { steps as allSteps } from '../steps/index.js';
import { resultDocument, exitCodeFor } from './report/results.js';
import { renderRun, renderSummary, quoteArg } from './report/text.js';
import { colorEnabled, palette, type Palette } from './report/color.js';
import type { Proposal } from './core/step.js';
import type { AppliedRecord } from './core/profile.js';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdinIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  version: string;
}

export function sessionOptions(args: Args, env: Io['env']): SessionOptions {
  return {
    host: args.host,
    files: args.files,
    composeFiles: args.composeFiles,
    only: args.only,
    profile: args.profile,
    stateDir: args.stateDir,
    daemonConfig: args.daemonConfig,
    restartCommand: args.restartCommand,
    dockerHost: args.dockerHost,
    env,
  };
}

function requireTargets(session: Session): void {
  if (session.targets.length === 0) {
    throw new UserError('nothing to check', 'Name a target: --file ./Dockerfile, --compose ./compose.yaml, or --host.');
  }
}

async function runAll(session: Session): Promise<StepRun[]> {
  const runs: StepRun[] = [];
  for (const { step, ctx } of session.pairs()) runs.push(await runStep(step, ctx));
  return runs;
}

export async function checkCommand(args: Args, io: Io): Promise<number> {
  const session = createSession(sessionOptions(args, io.env));
  requireTargets(session);
  const runs = await runAll(session);
  return printRuns(runs, args, io, false);
}

function printRuns(runs: StepRun[], args: Args, io: Io, withDiffs: boolean): number {
  if (args.format === 'json') {
    io.stdout.write(JSON.stringify(resultDocument(runs, io.version), null, 2) + '\n');
  } else if (args.format === 'sarif') {
    throw new UserError('SARIF output is written by `docker-harden report --format sarif`');
  } else {
    const p = paletteFor(args, io);
    for (const run of runs) io.stdout.write(renderRun(run, p, withDiffs) + '\n');
    io.stdout.write(renderSummary(runs, p) + '\n');
  }
  return exitCodeFor(runs);
}

export function paletteFor(args: Args, io: Io): Palette {
  return palette(colorEnabled(io.env, Boolean(io.stdout.isTTY), args.noColor));
}

/** Proposals of a run that --only allows (`step` or `step:proposal`). */
function wantedProposals(run: StepRun, only: string[]): Proposal[] {
  const named = only.filter((o) => o.startsWith(`${run.step.meta.id}:`)).map((o) => o.split(':')[1]);
  const chosen = named.length > 0 ? run.proposals.filter((p) => named.includes(p.id)) : run.proposals;
  const seenGroups = new Set<string>();
  return chosen.filter((p) => {
    if (!p.group) return true;
    if (seenGroups.has(p.group)) return false;
    seenGroups.add(p.group);
    return true;
  });
}

export async function fixCommand(args: Args, io: Io): Promise<number> {
  const session = createSession(sessionOptions(args, io.env));
  requireTargets(session);
  const p = paletteFor(args, io);
  const out = (line: string) => io.stdout.write(line + '\n');
  if (args.dryRun) {
    const runs = await runAll(session);
    return printRuns(runs, args, io, true);
  }
  const interactive = !args.yes;
  if (interactive && !(io.stdinIsTTY && io.stdout.isTTY)) {
    throw new UserError('fix needs a yes before it changes anything, and there is no terminal to ask on', 'Pass --yes to apply, or --dry-run to see the diffs.');
  }
  await session.store.lock();
  try {
    const profile = await session.store.load();
    const ask = interactive ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
    let exit = 0;
    try {
      for (const { step, ctx } of session.pairs()) {
        let run = await runStep(step, ctx);
        const attempted = new Set<string>();
        for (;;) {
          const next = wantedProposals(run, args.only).find((pr) => !attempted.has(pr.id) && (pr.changes.length > 0 || pr.commands.some((c) => c.run)));
          if (!next) break;
          attempted.add(next.id);
          out(renderRun({ ...run, proposals: [next] }, p, true));
          if (ask) {
            const answer = (await ask.question(`Apply "${next.title}"? [y/N] `)).trim().toLowerCase();
            if (answer !== 'y' && answer !== 'yes') {
              out(p.dim('  skipped'));
              continue;
            }
          }
          const outcome = await applyProposal(step, ctx.target, next, {
            store: session.store,
            profile,
            daemon: session.daemon,
            beforeWrite: session.beforeWrite,
            recheck: () => step.check(ctx),
            log: (line) => out(p.dim(`  ${line}`)),
          });
          out(`  ${outcome.status === 'applied' ? p.green(outcome.message) : p.yellow(outcome.message)}`);
          if (outcome.status === 'rolled-back' || outcome.status === 'failed') exit = Math.max(exit, 1);
          run = await runStep(step, ctx);
        }
        for (const shown of run.proposals.filter((pr) => pr.changes.length === 0 && pr.commands.length > 0 && !pr.commands.some((c) => c.run))) {
          out(`${p.bold(step.meta.title)}: ${shown.title}; run these yourself:`);
          for (const c of shown.commands) out(`  ${c.argv.map(quoteArg).join(' ')}${c.asUser ? `   (as ${c.asUser})` : ''}`);
        }
        if (run.result.status === 'error') exit = 2;
        else if (run.result.status === 'fail' || run.result.status === 'warn') exit = Math.max(exit, 1);
      }
    } finally {
      ask?.close();
    }
    return exit;
  } finally {
    await session.store.unlock();
  }
}

export function stepsCommand(args: Args, io: Io): number {
  if (args.format === 'json') {
    io.stdout.write(JSON.stringify(allSteps.map((s) => ({ order: s.meta.order, id: s.meta.id, scope: s.meta.scope, title: s.meta.title, summary: s.meta.summary })), null, 2) + '\n');
    return 0;
  }
  const p = paletteFor(args, io);
  for (const s of allSteps) {
    io.stdout.write(`${String(s.meta.order).padStart(2)}. ${s.meta.id.padEnd(31)} ${p.dim(s.meta.scope.padEnd(10))} ${s.meta.title}\n`);
  }
  return 0;
}

export async function undoCommand(args: Args, io: Io): Promise<number> {
  const session = createSession(sessionOptions(args, io.env));
  const p = paletteFor(args, io);
  const out = (line: string) => io.stdout.write(line + '\n');
  if (args.list) {
    const profile = await session.store.load();
    const rows = [...profile.applied].reverse();
    if (rows.length === 0) out('Nothing has been applied yet.');
    for (const r of rows) out(describeApplied(r, p));
    return 0;
  }
  await session.store.lock();
  try {
    const profile = await session.store.load();
    const open = profile.applied.filter((r) => !r.undone);
    const id = args.positional[0];
    let record: AppliedRecord | undefined;
    if (id) {
      record = profile.applied.find((r) => r.id === id);
      if (!record) throw new UserError(`no applied change with id "${id}"`, 'Run `docker-harden undo --list` to see them.');
      if (record !== open[open.length - 1] && !args.force) {
        const newer = open.filter((r) => r.at > record!.at && r.files.some((f) => record!.files.some((g) => g.path === f.path)));
        if (newer.length > 0) throw new UserError(`change ${id} has newer changes to the same file on top of it`, `Undo ${newer.map((r) => r.id).join(', ')} first (newest first).`);
      }
    } else {
      record = open[open.length - 1];
      if (!record) {
        out('Nothing to undo.');
        return 0;
      }
    }
    if (!args.yes && !(io.stdinIsTTY && io.stdout.isTTY)) {
      throw new UserError(`undo changes files (${record.files.map((f) => f.path).join(', ')}) and there is no terminal to ask on`, `Pass --yes to undo ${record.id}.`);
    }
    if (!args.yes) {
      const ask = createInterface({ input: process.stdin, output: process.stdout });
      const answer = (await ask.question(`${describeApplied(record, p)}\nUndo this change? [y/N] `)).trim().toLowerCase();
      ask.close();
      if (answer !== 'y' && answer !== 'yes') return 0;
    }
    const message = await undoApplied(record, { store: session.store, profile, daemon: session.daemon, force: args.force, log: (l) => out(p.dim(`  ${l}`)) });
    out(p.green(message));
    return 0;
  } finally {
    await session.store.unlock();
  }
}

function describeApplied(r: AppliedRecord, p: Palette): string {
  const state = r.undone ? p.dim(`undone ${r.undone}`) : p.green('applied');
  return `${r.id}  ${r.at}  ${r.step}: ${r.title ?? r.proposal}  [${state}]\n    ${r.files.map((f) => f.path).join(', ')}${r.daemon ? p.dim(`  (dockerd ${r.daemon})`) : ''}`;
}

