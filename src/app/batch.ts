/** The non-interactive commands: check, fix, undo, steps. They never ask a question without a terminal. *
 * Over 400 lines: check, fix and undo share one session, one output path and the same exit-code
 * rules.
 */
import { safeLine, safeText } from '../core/sanitize.js';
import type { Interface } from 'node:readline/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createSession, type Session, type SessionOptions } from './session.js';
import { runStep, applyProposal, nextToUndo, undoApplied, type StepRun } from '../core/runner.js';
import { InterruptedError, UserError, formatError } from '../core/errors.js';
import type { Args } from '../args.js';
import { resultDocument, exitCodeFor } from '../report/results.js';
import { toSarif } from '../report/sarif.js';
import { renderRun, renderSummary, renderUnusedIgnores, quoteArg } from '../report/text.js';
import { colorEnabled, palette, type Palette } from '../report/color.js';
import { canApply, RISK_TEXT, scopeOf, type Proposal, type Step } from '../core/step.js';
import { newAppliedId, targetKey, type AppliedRecord, type Profile } from '../core/profile.js';
import { RepoDecisions, type DecidedRun, type UnusedIgnore } from '../core/repoconfig.js';
import type { Target } from '../core/step.js';
import type { ServiceEdit } from '../compose/edit.js';
import { oneRun } from '../core/writes.js';
import { readBackup } from '../core/change.js';
import { ForeignLockError } from '../core/lockfile.js';
import { haltIfStopping } from '../core/signals.js';
import { readWithBase, targetsHere, targetsInFolder } from './discover.js';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdinIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  version: string;
}

/** What a command is handed: the terminal and environment, and the step registry it runs. */
export interface AppIo extends Io {
  registry: readonly Step[];
}

export function sessionOptions(args: Args, io: AppIo): SessionOptions {
  return {
    registry: io.registry,
    host: args.host,
    files: args.files,
    composeFiles: args.composeFiles,
    only: args.only,
    profile: args.profile,
    stateDir: args.stateDir,
    daemonConfig: args.daemonConfig,
    restartCommand: args.restartCommand,
    dockerHost: args.dockerHost,
    env: io.env,
  };
}

/**
 * The session for a command: the named targets, or with --sandbox DIR the learn sandbox (made
 * when DIR is new or empty) with its recorded host, example files and its own state directory.
 */
export async function sessionFor(args: Args, io: AppIo): Promise<Session> {
  args = withFoundTargets(args, io);
  // A learn sandbox's state directory named with --state-dir: its changes were made against the
  // recorded host, so they are undone against it too, never against this machine's dockerd.
  if (!args.sandbox && args.stateDir && path.basename(path.resolve(args.stateDir)) === '.docker-harden' && existsSync(path.join(path.resolve(args.stateDir), '..', '.docker-harden-learn'))) {
    args = { ...args, sandbox: path.dirname(path.resolve(args.stateDir)) };
  }
  if (!args.sandbox) return createSession(sessionOptions(args, io));
  if (args.host || args.files.length > 0 || args.composeFiles.length > 0 || args.folders.length > 0 || args.daemonConfig || args.dockerHost || args.restartCommand) {
    throw new UserError('--sandbox brings its own targets: the example daemon.json, Dockerfile and compose file, and a recorded host', 'Leave out --host, --file, --compose, --daemon-config, --docker-host and --restart-command when you use --sandbox.');
  }
  const { prepareLearnSandbox } = await import('../core/learn.js');
  const sandbox = await prepareLearnSandbox({ dir: args.sandbox, env: io.env, log: (line) => io.stdout.write(`  ${line}\n`) });
  return createSession({ ...sandbox.sessionOptions, registry: io.registry, only: args.only, ...(args.stateDir ? { stateDir: args.stateDir } : {}) });
}

/** The undo command for the state a run used: its learn sandbox, or its --state-dir. */
export function undoCommandFor(options: SessionOptions, sandbox?: string): string {
  if (sandbox) return `docker-harden undo --sandbox ${quoteArg(sandbox)}`;
  return `docker-harden undo${options.stateDir ? ` --state-dir ${quoteArg(path.resolve(options.stateDir))}` : ''}`;
}

function requireTargets(session: Session, command: 'check' | 'fix'): void {
  if (session.targets.length === 0) {
    throw new UserError(
      `nothing to ${command}: no target named, and no Dockerfile or compose file in this folder`,
      `Name a target: --file ./Dockerfile, --compose ./compose.yaml, a folder (\`docker-harden ${command} .\` takes every one below this folder), or --host.`,
    );
  }
}

/** How many found paths the line that names them lists before "and N more". */
const FOUND_LISTED = 8;

/**
 * The targets found rather than named: the Dockerfiles and compose files in and below each folder
 * named, and for check and fix with no target at all, those of the folder the person is in (in a
 * repository whose folder has none, below it). Said on stderr, stdout being the report, each path
 * made safe for a terminal.
 */
function withFoundTargets(args: Args, io: AppIo): Args {
  const named = args.host || args.files.length > 0 || args.composeFiles.length > 0 || args.folders.length > 0 || args.sandbox !== undefined;
  const lookHere = !named && (args.command === 'check' || args.command === 'fix');
  if (!lookHere && args.folders.length === 0) return withOverridesReadWithBase(args, io);
  const here = lookHere ? targetsHere('.') : null;
  const searches = here ? [{ where: here.below ? 'this folder and below it (a git repository)' : 'this folder', found: here }] : args.folders.map((folder) => ({ where: folder, found: targetsInFolder(folder) }));
  const files = new Map(args.files.map((f) => [path.resolve(f), f]));
  const composeFiles = new Map(args.composeFiles.map((f) => [path.resolve(f), f]));
  for (const { where, found } of searches) {
    const paths = [...found.files, ...found.composeFiles];
    if (paths.length === 0) continue;
    for (const f of found.files) if (!files.has(path.resolve(f))) files.set(path.resolve(f), f);
    for (const f of found.composeFiles) if (!composeFiles.has(path.resolve(f))) composeFiles.set(path.resolve(f), f);
    const listed = paths.slice(0, FOUND_LISTED).join(', ') + (paths.length > FOUND_LISTED ? ` and ${paths.length - FOUND_LISTED} more` : '');
    const readWith = found.readWith.map((r) => `${r.file} is read with ${r.base}, which reports what it sets`);
    const unreadable = found.unreadable.length > 0 ? [`could not open ${found.unreadable.slice(0, FOUND_LISTED).join(', ')}${found.unreadable.length > FOUND_LISTED ? ` and ${found.unreadable.length - FOUND_LISTED} more` : ''}`] : [];
    const doing = args.command === 'fix' ? 'fixing' : args.command === 'report' ? 'reporting on' : 'checking';
    io.stderr.write(safeLine(`docker-harden: ${doing} ${paths.length === 1 ? 'the one' : `the ${paths.length}`} found in ${where}: ${listed}${[...readWith, ...unreadable].map((n) => `; ${n}`).join('')}`) + '\n');
  }
  return withOverridesReadWithBase({ ...args, folders: [], files: [...files.values()], composeFiles: [...composeFiles.values()] }, io);
}

/** A default override named with its base file is read with it, as compose reads it (said on stderr). */
export function withOverridesReadWithBase(args: Args, io: AppIo): Args {
  const { kept, readWith } = readWithBase(args.composeFiles);
  if (readWith.length === 0) return args;
  for (const r of readWith) io.stderr.write(safeLine(`docker-harden: ${r.file} is read with ${r.base}, as docker compose reads it: the check of ${r.base} reports what it sets, at its lines`) + '\n');
  return { ...args, composeFiles: kept };
}

/**
 * Parse every Dockerfile and compose target up front: one that is not what it claims to be stops
 * the run (exit 2, said once) before anything is written or locked. Also refuses an output format
 * these commands do not write.
 */
export async function loadDockerfiles(session: Session, registry: readonly Step[], args?: Args): Promise<RepoDecisions> {
  if (args?.format && !['text', 'json', 'sarif'].includes(args.format)) {
    throw new UserError(`unknown output format "${args.format}"`, 'Use --format text, json or sarif (or --json, --sarif).');
  }
  for (const target of session.targets) {
    if (target.kind === 'dockerfile') await session.contexts.get(target)!.dockerfile();
    if (target.kind === 'compose') await session.contexts.get(target)!.compose();
  }
  return RepoDecisions.forTargets(registry, session.targets);
}

/** A step skipped in the profile with a reason: fix never applies it. */
function profileSkip(profile: Profile, run: { step: Step; target: Target }): string | undefined {
  const decision = profile.targets[targetKey(run.target)]?.[run.step.meta.id];
  return decision?.status === 'skipped' ? (decision.reason ?? 'skipped in the wizard') : undefined;
}

/** Every (step, target) pair, decided, and the ignores that matched nothing in the run. */
export async function runAll(session: Session, decisions: RepoDecisions, io?: Io): Promise<{ runs: DecidedRun[]; unused: UnusedIgnore[] }> {
  // Repository, CI, PATH and image look-ups are asked once for all the targets of this run.
  return oneRun(async () => {
    const runs: DecidedRun[] = [];
    const pairs = session.pairs();
    if (pairs.some((p) => p.ctx.target.kind === 'host' && p.step.meta.needsDaemon)) session.host.warmUp?.();
    // Progress on a terminal's stderr only: stdout stays the report, and logs stay clean.
    const progress = io && (io.stderr as { isTTY?: boolean }).isTTY && !io.env.CI ? io.stderr : undefined;
    for (const [i, { step, ctx }] of pairs.entries()) {
      progress?.write(`\r\u001b[2Kchecking ${i + 1}/${pairs.length}: ${step.meta.title} (${ctx.target.label})`);
      runs.push(await decisions.decide(await runStep(step, ctx)));
    }
    progress?.write('\r\u001b[2K');
    return { runs, unused: decisions.unusedIgnores() };
  });
}

export async function checkCommand(args: Args, io: AppIo): Promise<number> {
  const session = await sessionFor(args, io);
  requireTargets(session, 'check');
  // One run from the first parse to the last step: each file is looked at once, not once more for the steps.
  const { runs, unused } = await oneRun(async () => runAll(session, await loadDockerfiles(session, io.registry, args), io));
  return printRuns(runs, args, io, false, unused);
}

function printRuns(runs: DecidedRun[], args: Args, io: AppIo, withDiffs: boolean, unused: UnusedIgnore[]): number {
  if (args.format === 'json') {
    io.stdout.write(JSON.stringify(resultDocument(runs, io.version, unused), null, 2) + '\n');
  } else if (args.format === 'sarif') {
    io.stdout.write(JSON.stringify(toSarif(runs, { version: io.version, cwd: process.cwd(), steps: io.registry, unusedIgnores: unused }), null, 2) + '\n');
  } else {
    const p = paletteFor(args, io);
    for (const run of runs) io.stdout.write(renderRun(run, p, withDiffs) + '\n');
    for (const line of renderUnusedIgnores(unused, p)) io.stdout.write(line + '\n');
    io.stdout.write(renderSummary(runs, p) + '\n');
  }
  return exitCodeFor(runs, args.failOn);
}

/** ", 4 put back (1 refused by its proof, 3 could not be proven here; why is above)", or nothing. */
export function putBackSaid({ refused, unproven, failed }: { refused: number; unproven: number; failed: number }): string {
  const total = refused + unproven + failed;
  if (total === 0) return '';
  const kinds = [refused > 0 && `${refused} refused by its proof`, unproven > 0 && `${unproven} could not be proven here`, failed > 0 && `${failed} failed`].filter(Boolean);
  return `, ${total} put back (${kinds.join(', ')}; why is above)`;
}

export function paletteFor(args: Args, io: Io): Palette {
  return palette(colorEnabled(io.env, Boolean(io.stdout.isTTY), args.noColor));
}

/**
 * The proposals fix may apply for a run. Named with --only STEP:PROPOSAL: those, whatever their risk,
 * except advice. Otherwise `safe` ones, and `review` ones too when asked (--include-review, or a
 * person confirming each one). Advice is never applied.
 */
function wantedProposals(run: StepRun, only: string[], withReview: boolean, putBack: ReadonlySet<string> = new Set()): Proposal[] {
  const named = only.filter((o) => o.startsWith(`${run.step.meta.id}:`)).map((o) => o.split(':')[1]);
  // One of alternatives that its proof refused makes way for the next.
  const open = run.proposals.filter((p) => !putBack.has(p.id));
  const chosen = named.length > 0 ? open.filter((p) => named.includes(p.id)) : open.filter((p) => p.risk === 'safe' || (withReview && p.risk === 'review'));
  const seenGroups = new Set<string>();
  return chosen.filter((p) => {
    // Advice is never applied; a choice is recorded only when named (the wizard asks for one).
    if (p.kind === 'advice' || (p.kind === 'choice' && named.length === 0)) return false;
    if (!p.group) return true;
    if (seenGroups.has(p.group)) return false;
    seenGroups.add(p.group);
    return true;
  });
}

export async function fixCommand(args: Args, io: AppIo): Promise<number> {
  const session = await sessionFor(args, io);
  requireTargets(session, 'fix');
  const decisions = await loadDockerfiles(session, io.registry, args);
  const p = paletteFor(args, io);
  const out = (line: string) => io.stdout.write(line + '\n');
  if (args.dryRun) {
    const { runs, unused } = await runAll(session, decisions, io);
    return printRuns(runs, args, io, true, unused);
  }
  const interactive = !args.yes;
  if (interactive && !(io.stdinIsTTY && io.stdout.isTTY)) {
    throw new UserError('fix needs a yes before it changes anything, and there is no terminal to ask on', 'Pass --yes to apply, or --dry-run to see the diffs.');
  }
  const verifier = args.verify ? await import('./verifier.js') : undefined;
  const verify = verifier ? await verifier.changeVerifier(args, io, (line) => out(p.dim(`  ${safeLine(line)}`))) : undefined;
  const unproven = verifier?.unprovenTargets(session.targets);
  if (unproven) out(p.yellow(unproven));
  await session.identifyHost();
  await session.store.lock();
  // Recorded with each change of this run: `undo --run` takes them back together.
  const runId = newAppliedId();
  try {
    const profile = await session.store.load();
    // Loaded for a question only: a check, or fix --yes, asks none.
    const ask = interactive ? (await import('node:readline/promises')).createInterface({ input: process.stdin, output: process.stdout }) : undefined;
    const pairs = session.pairs();
    let errors = 0;
    let badInput = false;
    let remaining = false;
    let applied = 0;
    let stillFailing = 0;
    // Fixes written and put back: refused by their proof (they broke the app), unproven here, or failed otherwise.
    const putBack = { refused: 0, unproven: 0, failed: 0 };
    // Without questions, a run applies only what the check showed before anything changed (what
    // `check` and `fix --dry-run` list): a fix that appears after an earlier one (confinement for a
    // service once it is no longer privileged) was in no list the person read, so it waits for the
    // next run. Taken at the run's first write, for the steps still to come.
    let offeredAtStart: Map<number, Set<string>> | null = null;
    try {
      await oneRun(async () => {
        for (const [index, { step, ctx }] of pairs.entries()) {
          // With several targets, each line says which one it is about.
          const heading = session.targets.length > 1 ? `${p.bold(step.meta.title)} ${p.dim(`(${safeLine(ctx.target.label)})`)}` : p.bold(step.meta.title);
          // Suppressed findings and skipped steps leave no proposal to apply.
          const skip = profileSkip(profile, { step, target: ctx.target });
          const decide = async () => decisions.decide(await runStep(step, ctx), skip);
          let run: DecidedRun = await decide();
          if (run.skipped) {
            out(`${heading}: ${p.dim(`skipped (${safeText(run.skipped.reason)}; ${safeText(run.skipped.source)})`)}`);
            continue;
          }
          const attempted = new Set<string>();
          const putBackIds = new Set<string>();
          // With questions, each fix is shown before it is applied.
          const offered = interactive ? null : (offeredAtStart?.get(index) ?? new Set(run.proposals.map((pr) => pr.id)));
          // `fixes`: how many proposals `next` stands for (a step's compose edits go in as one).
          const apply = async (next: Proposal, fixes = 1) => {
            // One proposal that cannot be applied (a file changed since, a folder that is a link) is
            // reported, and the run goes on with the next.
            // The engine's fresh check after a write is the run that follows it: not checked twice.
            let rechecked: StepRun | undefined;
            if (!interactive && !offeredAtStart) {
              offeredAtStart = new Map();
              for (const [later, pair] of pairs.entries()) {
                if (later <= index) continue;
                const laterRun = await decisions.decide(await runStep(pair.step, pair.ctx));
                offeredAtStart.set(later, new Set(laterRun.proposals.map((pr) => pr.id)));
              }
            }
            try {
              const outcome = await applyProposal(step, ctx.target, next, {
                store: session.store,
                profile,
                daemon: session.daemon,
                beforeWrite: session.beforeWrite,
                recheck: async () => (rechecked = await runStep(step, ctx)),
                ...(verify && ctx.target.kind !== 'host' ? { verify: verify(ctx) } : {}),
                log: (line) => out(p.dim(`  ${safeLine(line)}`)),
                run: runId,
              });
              // In a learn sandbox nothing real changed: say what was written there and what was only simulated.
              const message = args.sandbox ? (await import('../core/learn.js')).sandboxOutcome(outcome.message, next) : outcome.message;
              // A reason of several lines (a build's or container's last lines) is shown line by line.
              const [first = '', ...more] = message.split('\n');
              out(`  ${outcome.status === 'applied' ? p.green(safeLine(first)) : p.yellow(safeLine(first))}`);
              for (const line of more) out(p.dim(`  ${safeLine(line)}`));
              if (outcome.status === 'applied') applied += fixes;
              if (outcome.status === 'rolled-back' || outcome.status === 'failed') putBack[outcome.proof ?? 'failed'] += fixes;
              // Refused by its proof, an alternative of it may hold (and is tried next); unproven, it
              // would be unproven alike; any other failure is not the change's own.
              if (outcome.proof === 'refused') putBackIds.add(next.id);
              else if (outcome.status === 'rolled-back' || outcome.status === 'failed') remaining = true;
              // An alternative applied after one of its group was put back makes good for it.
              if (outcome.status === 'applied' && next.group) for (const pr of run.proposals) if (pr.group === next.group) putBackIds.delete(pr.id);
            } catch (err) {
              out(`  ${p.yellow(`not applied: ${formatError(err)}`)}`);
              remaining = true;
              if (err instanceof ForeignLockError) badInput = true;
            }
            run = rechecked ? await decisions.decide(rechecked, skip) : await decide();
          };
          // Without questions, a step's compose edits go into the file together: one parse, one
          // write, one check, where one at a time re-checks the whole file after every service.
          // With --verify each service's change is proven alone, so one that breaks is all that is undone.
          const together = interactive || verify ? null : await composeBatch(wantedProposals(run, args.only, args.includeReview).filter((pr) => canApply(pr) && offered!.has(pr.id)), step.meta.title);
          if (together) {
            for (const member of together.members) attempted.add(member.id);
            await haltIfStopping();
            out(renderRun({ ...run, proposals: [together.proposal] }, p, true));
            await apply(together.proposal, together.members.length);
          }
          for (;;) {
            const next = wantedProposals(run, args.only, interactive || args.includeReview, putBackIds).find((pr) => !attempted.has(pr.id) && canApply(pr) && (!offered || offered.has(pr.id)));
            if (!next) break;
            attempted.add(next.id);
            await haltIfStopping();
            out(renderRun({ ...run, proposals: [next] }, p, true));
            if (ask) {
              const answer = (await askLine(ask, `Apply "${next.title}"${next.risk !== 'safe' ? ` (${next.risk})` : ''}? [y/N] `)).trim().toLowerCase();
              if (answer !== 'y' && answer !== 'yes') {
                out(p.dim('  skipped'));
                continue;
              }
            }
            await apply(next);
          }
          if (putBackIds.size > 0) remaining = true;
          const wantedNow = wantedProposals(run, args.only, interactive || args.includeReview, putBackIds);
          const appeared = wantedNow.filter((pr) => offered && !offered.has(pr.id) && !attempted.has(pr.id) && canApply(pr));
          if (appeared.length > 0) {
            out(`${heading}: not applied, ${p.yellow('proposed only after an earlier fix of this run')}:`);
            for (const later of appeared) out(`  ${safeLine(later.title)}`);
            out(`  docker-harden check --only ${step.meta.id} shows ${appeared.length === 1 ? 'it' : 'them'}; run fix again to apply ${appeared.length === 1 ? 'it' : 'them'}`);
          }
          // Held back by their risk: say so, and how to apply them.
          const wanted = new Set(wantedNow.map((pr) => pr.id));
          const named = args.only.some((o) => o.startsWith(`${step.meta.id}:`));
          // An alternative of one this run tried was not held back by its risk: it was not its turn.
          const triedGroups = new Set(run.proposals.filter((pr) => pr.group && attempted.has(pr.id)).map((pr) => pr.group));
          for (const held of run.proposals.filter((pr) => canApply(pr) && pr.risk === 'review' && !wanted.has(pr.id) && !attempted.has(pr.id) && !triedGroups.has(pr.group) && !named)) {
            out(`${heading}: not applied, ${p.yellow(`risk ${RISK_TEXT.review}`)}: ${safeLine(held.title)}`);
            out(`  apply it with --only ${step.meta.id}:${held.id}, or every review fix with --include-review`);
          }
          for (const advice of run.proposals.filter((pr) => pr.kind === 'advice')) {
            out(`${heading}: ${p.yellow(`risk ${RISK_TEXT.advice}`)}: ${safeLine(advice.title)}`);
            if (advice.description) out(`  ${safeText(advice.description)}`);
            for (const w of advice.warnings) out(`  ${p.yellow('warning:')} ${safeText(w)}`);
          }
          // What the tool does not apply itself: commands to run by hand. Choices
          // (the platforms step) are the wizard's to ask.
          for (const shown of run.proposals.filter((pr) => pr.kind === 'command' && !pr.commands.some((c) => c.run))) {
            if (shown.commands.length === 0 && !shown.description) continue;
            out(`${heading}: ${safeLine(shown.title)}${shown.commands.length ? '; run these yourself:' : ''}`);
            if (shown.commands.length === 0) out(`  ${safeText(shown.description ?? '')}`);
            for (const c of shown.commands) out(`  ${c.argv.map(quoteArg).join(' ')}${c.asUser ? `   (as ${c.asUser})` : ''}`);
          }
          // A fix named with --only that this run does not propose (a typo, already applied, or a
          // check that does not apply here) is said, not passed over in silence.
          const proposed = run.proposals.map((pr) => pr.id);
          for (const id of args.only.filter((o) => o.startsWith(`${step.meta.id}:`)).map((o) => o.split(':')[1]!)) {
            if (attempted.has(id) || proposed.includes(id)) continue;
            const others = proposed.length > 0 ? `this check proposes ${proposed.join(', ')}` : 'this check proposes no fix';
            out(`${heading}: ${p.yellow(`no fix "${safeText(id)}" here`)} (${others}); docker-harden check --only ${step.meta.id} shows why`);
          }
          if (run.result.status === 'error') {
            // The check could not run (an invalid daemon.json, no daemon): say why, or fix is silent.
            out(renderRun(run, p, false));
            errors++;
            if (run.result.findings.some((f) => f.file)) badInput = true;
          } else if (run.result.status === 'fail' || run.result.status === 'warn') {
            remaining = true;
            stillFailing++;
          }
        }
      });
    } finally {
      ask?.close();
    }
    // The last line says where the run ended: a check that still fails may have printed nothing
    // above (a finding with no fix here), and a run with nothing to do prints nothing else.
    // A fix written and then put back (not proven, a command or restart that failed) is said apart: "applied" it is not.
    if (applied > 0) out(p.dim(`to take back the changes of this run: ${undoCommandFor(sessionOptions(args, io), args.sandbox)} --run --yes`));
    const done = `${applied > 0 ? `${applied} fix${applied === 1 ? '' : 'es'} applied` : 'nothing applied'}${putBackSaid(putBack)}`;
    if (stillFailing > 0) out(`fix: ${done}; ${stillFailing} check${stillFailing === 1 ? ' still fails or warns' : 's still fail or warn'} (docker-harden check shows why)`);
    else if (errors === 0) out(`fix: ${done}; no check fails or warns`);
    // 2 for bad input or when no check could run at all; 1 while findings remain; 0 when done.
    if (badInput || (pairs.length > 0 && errors === pairs.length)) return 2;
    return remaining || errors > 0 ? 1 : 0;
  } finally {
    await verify?.close();
    await session.store.unlock();
  }
}

/**
 * A step's proposals that only edit services of one compose file, as one proposal whose change
 * is all their edits applied to one parse of the file. Null when there are fewer than two, or the
 * edits cannot share a parse (then they are applied one at a time).
 */
async function composeBatch(proposals: Proposal[], stepTitle: string): Promise<{ proposal: Proposal; members: Proposal[] } | null> {
  const members = proposals.filter((pr) => pr.kind === 'change' && pr.changes.length === 1 && pr.changes[0]!.compose && !pr.commands.some((c) => c.run) && !pr.daemon);
  if (members.length < 2) return null;
  const { editServices } = await import('../compose/edit.js');
  const first = members[0]!.changes[0]!;
  if (first.before === null || members.some((pr) => pr.changes[0]!.path !== first.path || pr.changes[0]!.before !== first.before)) return null;
  const byService = new Map<string, ServiceEdit[]>();
  for (const pr of members) {
    const { service, edits } = pr.changes[0]!.compose!;
    byService.set(service, [...(byService.get(service) ?? []), ...edits]);
  }
  let after: ReturnType<typeof editServices>;
  try {
    after = editServices(first.before, [...byService].map(([service, edits]) => ({ service, edits })), first.path);
  } catch {
    return null;
  }
  if (after === null) return null;
  const titles = members.map((pr) => pr.title);
  const shown = titles.length > 12 ? [...titles.slice(0, 12), `and ${titles.length - 12} more`] : titles;
  return {
    members,
    proposal: {
      id: `${members[0]!.id}+${members.length - 1}`,
      title: `${members.length} fixes of "${stepTitle}" in ${first.path}`,
      description: `Applied together, in one write: ${shown.join('; ')}.`,
      changes: [{ path: first.path, before: first.before, after: after.after, edits: after.splices }],
      commands: [],
      warnings: [...new Set(members.flatMap((pr) => pr.warnings))],
      kind: 'change',
      risk: members.some((pr) => pr.risk === 'review') ? 'review' : 'safe',
    },
  };
}

export function stepsCommand(args: Args, io: AppIo): number {
  if (args.format === 'json') {
    io.stdout.write(JSON.stringify(io.registry.map((s) => ({ order: s.meta.order, id: s.meta.id, scope: scopeOf(s.meta), title: s.meta.title, summary: s.meta.summary })), null, 2) + '\n');
    return 0;
  }
  const p = paletteFor(args, io);
  for (const s of io.registry) {
    io.stdout.write(`${String(s.meta.order).padStart(2)}. ${s.meta.id.padEnd(31)} ${p.dim(scopeOf(s.meta).padEnd(10))} ${s.meta.title}\n`);
  }
  return 0;
}

export async function undoCommand(args: Args, io: AppIo): Promise<number> {
  const session = await sessionFor(args, io);
  const store = session.store;
  const p = paletteFor(args, io);
  const out = (line: string) => io.stdout.write(line + '\n');
  if (args.list) {
    const profile = await store.load();
    const rows = [...profile.applied].reverse();
    if (rows.length === 0) out('Nothing has been applied yet.');
    for (const r of rows) out(describeApplied(r, p));
    return 0;
  }
  await session.identifyHost();
  await store.lock();
  try {
    const profile = await store.load();
    const open = profile.applied.filter((r) => !r.undone);
    const listHint = `Run \`docker-harden undo${args.sandbox ? ` --sandbox ${quoteArg(args.sandbox)}` : ''} --list\` to see them.`;
    if (args.run) return await undoRun(open, { args, io, session, profile, p, out, listHint });
    const id = args.positional[0];
    let record: AppliedRecord | undefined;
    if (id) {
      record = profile.applied.find((r) => r.id === id);
      if (!record) throw new UserError(`no applied change with id "${id}"`, listHint);
      if (record !== open[open.length - 1] && !args.force) {
        const newer = open.filter((r) => r.at > record!.at && r.files.some((f) => record!.files.some((g) => g.path === f.path)));
        if (newer.length > 0) throw new UserError(`change ${id} has newer changes to the same file on top of it`, `Undo ${newer.map((r) => r.id).join(', ')} first (newest first).`);
      }
    } else {
      record = await nextToUndo(open, store.backupDir);
      if (!record) {
        out('Nothing to undo.');
        return 0;
      }
      const newest = open[open.length - 1]!;
      if (record !== newest) {
        out(`Undoing ${record.id} before ${newest.id}: its restart of dockerd keeps the running containers while live-restore is still on; ${newest.id} turns live-restore off, so it comes last.`);
      }
    }
    if (!args.yes && !(io.stdinIsTTY && io.stdout.isTTY)) {
      throw new UserError(`undo changes files (${record.files.map((f) => f.path).join(', ')}) and there is no terminal to ask on`, `Pass --yes to undo ${record.id}.`);
    }
    await undoOne(record, { args, io, session, profile, p, out, listHint }, !args.yes);
    return 0;
  } finally {
    await store.unlock();
  }
}

interface UndoContext {
  args: Args;
  io: AppIo;
  session: Session;
  profile: Profile;
  p: Palette;
  out: (line: string) => void;
  listHint: string;
}

/**
 * `undo --run`: every change of the newest run (a fix run or a wizard session) still in place,
 * newest first (live-restore's order kept, as a plain undo keeps it), asked once. The first that
 * cannot be undone stops it, with what is undone and what stays said.
 */
async function undoRun(open: AppliedRecord[], c: UndoContext): Promise<number> {
  const newest = open[open.length - 1];
  if (!newest) {
    c.out('Nothing to undo.');
    return 0;
  }
  if (!newest.run) {
    throw new UserError(`the newest change, ${newest.id}, was recorded without its run, so the changes made with it are not known`, `Undo the changes one at a time with \`docker-harden undo --yes\`, newest first. ${c.listHint}`);
  }
  let left = open.filter((r) => r.run === newest.run);
  if (!c.args.yes && !(c.io.stdinIsTTY && c.io.stdout.isTTY)) {
    throw new UserError(`undo --run changes files (${[...new Set(left.flatMap((r) => r.files.map((f) => f.path)))].join(', ')}) and there is no terminal to ask on`, `Pass --yes to undo the ${left.length} change${left.length === 1 ? '' : 's'} of that run.`);
  }
  if (!c.args.yes) {
    const ask = (await import('node:readline/promises')).createInterface({ input: process.stdin, output: process.stdout });
    const question = `${[...left].reverse().map((r) => describeApplied(r, c.p)).join('\n')}\nUndo ${left.length === 1 ? 'this change' : `these ${left.length} changes`} of the run? [y/N] `;
    const answer = (await askLine(ask, question).finally(() => ask.close())).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') return 0;
  }
  const total = left.length;
  while (left.length > 0) {
    const record = (await nextToUndo(left, c.session.store.backupDir))!;
    try {
      await undoOne(record, c, false);
    } catch (err) {
      left = left.filter((r) => !r.undone);
      c.out(c.p.yellow(`undo --run stopped at ${safeLine(record.id)}: ${total - left.length} of the run's ${total} changes undone; ${left.map((r) => safeLine(r.id)).join(', ')} stay${left.length === 1 ? 's' : ''} in place`));
      throw err;
    }
    left = left.filter((r) => r !== record);
  }
  c.out(c.p.green(`undid the ${total === 1 ? 'one change' : `${total} changes`} of the run`));
  return 0;
}

/** Undo one applied change: on the daemon it was made on, its restart's cost warned first, asked when `ask`. */
async function undoOne(record: AppliedRecord, c: UndoContext, ask: boolean): Promise<void> {
  const { args, io, p, out, profile } = c;
  let session = c.session;
  // The daemon the change was made on is reached and restarted the way it was then, unless the
  // command line says otherwise; undoApplied refuses when it is another daemon.
  if (record.dockerd && !args.sandbox && !args.dockerHost && !args.daemonConfig && !args.restartCommand) {
    session = createSession({
      ...sessionOptions(args, io),
      dockerHost: record.dockerd.endpoint,
      daemonConfig: record.dockerd.configPath,
      restartCommand: record.dockerd.restartCommand,
    });
  }
  // Warned like apply warns: a restart names the running containers it stops, before anything
  // changes; printed, or when asking part of the question.
  const impact = record.daemon ? await session.daemon?.restartImpact?.(await restoredDaemonConfig(record, c.session.store.backupDir)).catch(() => null) : null;
  if (!ask && impact) out(`${p.yellow('warning:')} ${safeText(impact)}`);
  if (ask) {
    const rl = (await import('node:readline/promises')).createInterface({ input: process.stdin, output: process.stdout });
    const question = `${describeApplied(record, p)}\n${impact ? `${p.yellow('warning:')} ${safeText(impact)}\n` : ''}Undo this change? [y/N] `;
    const answer = (await askLine(rl, question).finally(() => rl.close())).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') return;
  }
  const message = await undoApplied(record, {
    store: c.session.store,
    profile,
    daemon: session.daemon,
    force: args.force,
    log: (l) => out(p.dim(`  ${safeLine(l)}`)),
    ...(session.confineTo ? { confineTo: session.confineTo } : {}),
  });
  out(p.green(safeLine(message)));
}

/** A question on the terminal; Ctrl-C there ends the command (exit 130) instead of leaving it paused. */
async function askLine(rl: Interface, text: string): Promise<string> {
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  rl.once('SIGINT', onInterrupt);
  try {
    return await rl.question(text, { signal: abort.signal });
  } catch (err) {
    if (abort.signal.aborted) throw new InterruptedError();
    throw err;
  } finally {
    rl.off('SIGINT', onInterrupt);
  }
}

/**
 * The daemon.json an undo of `record` puts back, read from its verified backup (null: the change
 * created the file, so undo removes it); undefined when the record has no daemon.json or the
 * backup does not verify (undo itself then refuses, naming why).
 */
async function restoredDaemonConfig(record: AppliedRecord, backupDir: string): Promise<string | null | undefined> {
  const file = record.files.find((f) => (record.dockerd?.configPath ? f.path === record.dockerd.configPath : path.basename(f.path) === 'daemon.json'));
  if (!file) return undefined;
  if (file.backup === null) return null;
  return readBackup(file, backupDir).then(
    (bytes) => bytes.toString('utf8'),
    () => undefined,
  );
}

function describeApplied(r: AppliedRecord, p: Palette): string {
  const state = r.undone ? p.dim(`undone ${r.undone}`) : p.green('applied');
  // Titles and paths come from files and names the tool read: shown, never acted on by the terminal.
  return `${safeLine(r.id)}  ${safeLine(r.at)}  ${safeLine(r.step)}: ${safeLine(r.title ?? r.proposal)}  [${state}]${r.run ? p.dim(`  run ${safeLine(r.run)}`) : ''}\n    ${r.files.map((f) => safeLine(f.path)).join(', ')}${r.daemon ? p.dim(`  (dockerd ${safeLine(r.daemon)})`) : ''}`;
}

