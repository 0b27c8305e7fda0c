/**
 * check -> propose -> apply -> verify, shared by the wizard and the batch commands. The runner is
 * the only place that writes files, runs mutating commands, restarts dockerd and rolls back.
 *
 * Over 400 lines: apply, restart, roll back and undo share their checks, and the engine is the only
 * place that writes.
 */
import { realpath, unlink } from 'node:fs/promises';
import path from 'node:path';
import { RESTART_STOPS_CONTAINERS, adviceProposal, type StepTarget, type CheckResult, type Context, type FileChange, type Proposal, type Step, type Target } from './step.js';
import { HostUnavailableError } from '../host/facts.js';
import { describeRestartImpact, liveRestoreIn, restartImpact } from '../host/restart-impact.js';
import { applyFileChange, makeParentDirs, removeEmptyDirs, readBackup, readNoFollow, restoreFile, withTargetLock, writeFileAtomic, type WrittenFile } from './change.js';
import { sha256 } from './hash.js';
import { UserError, formatError } from './errors.js';
import { safeLine } from './sanitize.js';
import { dotEnvBeside, readEnvFile } from '../compose/interpolate.js';
import { critical } from './signals.js';
import { repositoryRoot } from './paths.js';
import { rebaseProposal } from './rebase.js';
import { cachedUntilWrite, noteWrite } from './writes.js';
import { formatScanSummary, parseScanReport, type ScanSummary } from '../report/scanners.js';
import { newAppliedId, targetKey, type AppliedRecord, type DaemonRecord, type Profile, type ProfileStore } from './profile.js';

/** A step checked on a target: its result and what it proposes. */
export interface StepRun extends StepTarget {
  result: CheckResult;
  proposals: Proposal[];
}

/** Run a step's check; a thrown error becomes an `error` result naming what went wrong. */
export async function checkStep(step: Step, ctx: Context): Promise<CheckResult> {
  try {
    if (step.meta.needsDaemon && ctx.target.kind === 'host') {
      const down = await daemonDown(ctx);
      if (down) return down;
    }
    return await step.check(ctx);
  } catch (err) {
    return errorResult(err);
  }
}

/** An `error` result naming what went wrong. */
export function errorResult(err: unknown): CheckResult {
  // A UserError's file and line go in the finding's own fields, not again in its message.
  const message = err instanceof UserError ? `${err.message}${err.hint ? `\n  ${err.hint}` : ''}` : formatError(err);
  return { status: 'error', findings: [{ code: 'DH-CHECK-ERROR', message, severity: 'high', ...locationOf(err) }] };
}

/**
 * The result for a daemon that does not answer, made here once for every step that needs it. An
 * invalid daemon.json comes first (a UserError with its line and column): it is likely why.
 */
async function daemonDown(ctx: Context): Promise<CheckResult | null> {
  try {
    await ctx.host.ping();
    return null;
  } catch (err) {
    if (!(err instanceof HostUnavailableError)) throw err;
    await ctx.host.daemonConfig().catch((e: unknown) => {
      if (!(e instanceof HostUnavailableError)) throw e;
    });
    return {
      status: 'error',
      findings: [{ code: 'DH-DAEMON-UNREACHABLE', message: `the Docker daemon does not answer: ${err.message}`, severity: 'high', ...(err.hint ? { evidence: err.hint } : {}) }],
    };
  }
}

function locationOf(err: unknown): { file?: string; line?: number; column?: number } {
  if (err instanceof UserError) return { file: err.file, line: err.line, column: err.column };
  return {};
}

/** Check one step and, when it did not pass, ask it for proposals. */
export async function runStep(step: Step, ctx: Context): Promise<StepRun> {
  const result = await checkStep(step, ctx);
  let proposals: Proposal[] = [];
  if (step.propose && (result.status === 'fail' || result.status === 'warn' || result.status === 'info')) {
    try {
      proposals = await step.propose(ctx, result);
    } catch (err) {
      result.findings.push({ code: 'DH-FIX-ERROR', message: `could not compute a fix: ${formatError(err)}`, severity: 'info' });
    }
    // The learn sandbox writes its own copy of a host file: its diffs name that copy.
    if (ctx.learn && proposals.length > 0) (await import('./learn.js')).nameSandboxCopies(proposals, ctx.host);
    else await nameStoppedContainers(proposals, ctx);
    await reviewWithOtherComposeFiles(proposals, ctx);
  }
  // The state was for propose: it holds parsed files and the daemon's view, not for reports.
  delete result.state;
  // A finding names its fix only when that proposal is really offered this time.
  for (const f of result.findings) if (f.fixedBy && !proposals.some((p) => p.id === f.fixedBy)) delete f.fixedBy;
  return { step, target: ctx.target, ctx, result, proposals };
}

/** The file names `docker compose` finds by itself, and the override names it then reads with them, in its order (compose-go). */
export const DEFAULT_COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
export const DEFAULT_OVERRIDES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];

/**
 * The files `docker compose`, run with no -f in the compose file's folder, reads (absolute paths),
 * and where the COMPOSE_FILE that names them is (`in the environment`, `in .env beside this file`)
 * or null for the default names. As compose-go's cli/options.go: COMPOSE_FILE (the environment's,
 * else the one in the env files compose reads, see composeEnvFiles) names the files, split on
 * COMPOSE_PATH_SEPARATOR, and replaces the default names; without it, the first default name found
 * is read with the first default override beside it.
 */
export function filesComposeReads(ctx: Pick<Context, 'env' | 'probe'>, target: string): Promise<{ files: string[]; composeFile: string | null }> {
  // Asked by the model's loader, steps 1 and 11 and the proof, for each target: once per run until a write.
  const settings = ['COMPOSE_FILE', 'COMPOSE_PATH_SEPARATOR', 'COMPOSE_ENV_FILES', 'COMPOSE_DISABLE_ENV_FILE'].map((name) => ctx.env[name] ?? '');
  return composeReadsOf(ctx.probe, JSON.stringify([path.resolve(target), settings]), () => readComposeFiles(ctx, target));
}

const composeReadsOf = cachedUntilWrite<object, Promise<{ files: string[]; composeFile: string | null }>>();

async function readComposeFiles(ctx: Pick<Context, 'env' | 'probe'>, target: string): Promise<{ files: string[]; composeFile: string | null }> {
  const dir = path.dirname(target);
  const envFiles = await composeEnvFiles(ctx.env, target);
  // The environment wins over the env files, as in compose.
  const setting = (name: string): string | undefined => ctx.env[name] ?? envFiles.vars.get(name);
  const listed = setting('COMPOSE_FILE');
  // An empty COMPOSE_FILE is an error to compose: the default names are judged then.
  if (listed) {
    const named = listed
      .split(setting('COMPOSE_PATH_SEPARATOR') || path.delimiter)
      .filter((name) => name !== '')
      .map((name) => path.resolve(dir, name));
    return { files: [...new Set(named)], composeFile: ctx.env.COMPOSE_FILE !== undefined ? 'in the environment' : envFiles.where };
  }
  const found = async (names: string[]) => {
    for (const name of names) if (await ctx.probe.stat(path.join(dir, name))) return path.join(dir, name);
    return undefined;
  };
  const base = await found(DEFAULT_COMPOSE_FILES);
  const override = base ? await found(DEFAULT_OVERRIDES) : undefined;
  return { files: [base, override].filter((f): f is string => f !== undefined), composeFile: null };
}

/**
 * The env files `docker compose`, run in `target`'s folder, reads its own settings from, as
 * compose-go's cli.WithEnvFiles: those COMPOSE_ENV_FILES names (comma-separated, later ones
 * winning) instead of `.env`; none when COMPOSE_DISABLE_ENV_FILE is true (Go's ParseBool); else
 * `.env` in the folder.
 */
async function composeEnvFiles(env: Context['env'], target: string): Promise<{ vars: Map<string, string>; where: string }> {
  const listed = (env.COMPOSE_ENV_FILES ?? '').split(',').filter((name) => name !== '');
  if (listed.length > 0) {
    const vars = new Map<string, string>();
    for (const name of listed) for (const [key, value] of await readEnvFile(path.resolve(path.dirname(target), name))) vars.set(key, value);
    return { vars, where: `in ${listed.join(', ')} (named by COMPOSE_ENV_FILES)` };
  }
  if (/^(1|t|T|TRUE|true|True)$/.test(env.COMPOSE_DISABLE_ENV_FILE ?? '')) return { vars: new Map(), where: '' };
  return { vars: await dotEnvBeside(target), where: 'in .env beside this file' };
}

/**
 * What the other compose files `docker compose` reads with this one add (a command, mounts,
 * configuration) is not checked with it: no fix of this file alone is safe then, and each says so.
 */
async function reviewWithOtherComposeFiles(proposals: Proposal[], ctx: Context): Promise<void> {
  if (ctx.target.kind !== 'compose' || !proposals.some((p) => p.kind === 'change')) return;
  const target = path.resolve(ctx.target.path);
  const read = await filesComposeReads(ctx, target);
  const names = (files: string[]) => files.map((file) => safeLine(path.relative(path.dirname(target), file))).join(', ');
  if (!read.files.includes(target)) {
    // A default-named file that compose, run here, passes over for another: fixed, it changes
    // nothing that `docker compose up` starts until it is named. Any other name is read only with -f.
    if (!DEFAULT_COMPOSE_FILES.includes(path.basename(target)) || read.files.length === 0) return;
    const why = read.composeFile ? `COMPOSE_FILE ${read.composeFile} makes docker compose read ${names(read.files)}, not this file` : `docker compose, run in this folder without -f, reads ${names(read.files)}, not this file`;
    const warning = `${why}: this change takes effect where the file is named (\`docker compose -f ${safeLine(path.basename(target))}\`)`;
    for (const p of proposals) if (p.kind === 'change') p.warnings = [...p.warnings, warning];
    return;
  }
  const others = read.files.filter((file) => file !== target);
  if (others.length === 0) return;
  await adviseWhereLaterFilesDecide(proposals, ctx, target);
  const reason = read.composeFile ? `COMPOSE_FILE ${read.composeFile} makes docker compose read ${names(others)} with this file` : `docker compose reads ${names(others)} beside this file with it`;
  const [they, add, merged] = others.length === 1 ? ['it', 'adds', 'the two'] : ['they', 'add', 'them all'];
  const warning = `${reason}, and what ${they} ${add} (a command, mounts, configuration) is not checked here: the service may need more than this change leaves it; run \`docker compose config\` to see ${merged} merged, and check the service starts`;
  for (const p of proposals) {
    if (p.risk !== 'safe' || p.kind !== 'change') continue;
    p.risk = 'review';
    p.warnings = [...p.warnings, warning];
  }
}

/**
 * A change of a service's key that a compose file read after this one decides (sets it again,
 * keeps a removed item, or replaces the list) changes nothing compose starts: it becomes advice
 * that names the file and line where the change belongs, and is never written.
 */
async function adviseWhereLaterFilesDecide(proposals: Proposal[], ctx: Context, target: string): Promise<void> {
  const { laterComposeModels, undoneByLater, undoneSentence } = await import('../compose/later-files.js');
  const models = await laterComposeModels(ctx, target);
  if (models.length === 0) return;
  for (const [i, p] of proposals.entries()) {
    if (p.kind !== 'change') continue;
    for (const { path: file, compose } of p.changes) {
      if (!compose || path.resolve(file) !== target) continue;
      const undone = compose.edits.map((edit) => undoneByLater(models, compose.service, edit)).find((s) => s !== undefined);
      if (!undone) continue;
      proposals[i] = { ...adviceProposal(p.id, p.title, `${undoneSentence(undone, compose.service, target)} ${p.description ?? ''}`.trim(), p.warnings), ...(p.group ? { group: p.group } : {}) };
      break;
    }
  }
}

/**
 * A restart's general warning becomes the containers running now that it stops, and which of them
 * come back, so the confirmation names them. Asked of the daemon once per step.
 */
async function nameStoppedContainers(proposals: Proposal[], ctx: Context): Promise<void> {
  const restarting = proposals.filter((p) => p.daemon === 'restart' && p.warnings.includes(RESTART_STOPS_CONTAINERS));
  if (restarting.length === 0 || ctx.target.kind !== 'host') return;
  const impact = await restartImpact(ctx.host);
  if (!impact) return;
  const sentence = describeRestartImpact(impact);
  for (const p of restarting) p.warnings = p.warnings.map((w) => (w === RESTART_STOPS_CONTAINERS ? sentence : w));
}

/** Control of the Docker daemon's service, supplied by the host layer. */
export interface DaemonControl {
  /** Reload (SIGHUP) or restart dockerd through the service manager or --restart-command. */
  apply(kind: 'reload' | 'restart'): Promise<void>;
  /** Resolve when the daemon answers ping and info; reject after `timeoutMs`. */
  waitReady(timeoutMs: number): Promise<void>;
  /** What a restart or reload does here, shown instead of "restarting dockerd" (the learn sandbox). */
  describe?(kind: 'reload' | 'restart'): string;
  /**
   * Which dockerd process answers now (pid and start time), for telling a real restart from a
   * command that restarted nothing; null when it cannot be seen. Absent: not checked.
   */
  identity?(): Promise<string | null>;
  /** Settings in daemon.json that the answering daemon does not have live; absent: not checked. */
  notLive?(): Promise<string[]>;
  /** How a proposal's commands reach the machine; absent: run them here. The learn sandbox only describes them. */
  runCommand?(argv: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  /** What running a command does here, shown instead of "running ..." (the learn sandbox). */
  describeCommand?(argv: string[]): string;
  /**
   * After the daemon answers again: the daemon.json settings `changes` wrote that docker info
   * shows otherwise (`wrong`, each said as a sentence), and those it does not show at all (`unseen`).
   */
  confirmLive?(changes: FileChange[]): Promise<{ wrong: string[]; unseen: string[] }>;
  /** Which daemon this is and how it is reached and restarted: stored with each change for undo. */
  identify?(): Promise<DaemonRecord>;
  /**
   * What a restart does now to the running containers, said just before it; null when not known.
   * `configAfter`: the daemon.json the restarted daemon will read, when it is not on disk yet.
   */
  restartImpact?(configAfter?: string | null): Promise<string | null>;
}

/** Run one of a proposal's commands: through the daemon control when it routes them, else here. */
async function runAction(daemon: DaemonControl | undefined, argv: string[], maxBuffer?: number): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  // A command may install a tool or write a file: what a run cached about the machine is stale.
  noteWrite();
  if (daemon?.runCommand) return daemon.runCommand(argv);
  // execa is loaded on first use: a check that runs no command never pays for it.
  const { execa } = await import('execa');
  // Detached, as the restart is: a signal for docker-harden waits for the command instead of cutting it short.
  const result = await execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore', timeout: 10 * 60_000, detached: true, ...(maxBuffer ? { maxBuffer } : {}) });
  return { exitCode: result.exitCode, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
}

export interface ApplyOptions {
  store: ProfileStore;
  profile: Profile;
  daemon?: DaemonControl;
  /** Checks a proposal must pass before anything is written (daemon.json validity, flag conflicts). */
  beforeWrite?: (proposal: Proposal) => Promise<void>;
  /**
   * Re-run the step after applying: "applied" means the check now passes, or, for one fix among
   * several, that the step no longer proposes this one.
   */
  recheck?: () => Promise<{ result: CheckResult; proposals: Proposal[] }>;
  /**
   * Proof after the files are written (`fix --verify`: build and run before and after): a reason
   * refuses the change, and the engine restores the files. `unproven`: the proof could not be made
   * (the original fails here too), which says nothing of the change itself.
   */
  verify?: (proposal: Proposal, written: WrittenFile[]) => Promise<{ reason: string; unproven: boolean } | null>;
  /** Progress lines for the person. */
  log?: (line: string) => void;
  readyTimeoutMs?: number;
  /** The run this change is part of, recorded with it (see AppliedRecord.run). */
  run?: string;
}

export type ApplyStatus = 'applied' | 'applied-still-failing' | 'rolled-back' | 'failed';

export interface ApplyOutcome {
  status: ApplyStatus;
  message: string;
  record?: AppliedRecord;
  recheck?: CheckResult;
  /** Scanner reports parsed from commands marked `parse` (shown to the person). */
  scans?: ScanSummary[];
  /** Put back by --verify: the proof saw it break something (`refused`), or could not be made (`unproven`). */
  proof?: 'refused' | 'unproven';
}

const DEFAULT_READY_TIMEOUT = 30_000;

/** Apply one proposal: validate, back up and write, run commands, restart, health-check, re-check. */
export async function applyProposal(step: Step, target: Target, proposal: Proposal, options: ApplyOptions): Promise<ApplyOutcome> {
  // A signal meanwhile waits for the change to be finished, checked, rolled back if need be and recorded.
  return critical(() => applyProposalNow(step, target, proposal, options));
}

async function applyProposalNow(step: Step, target: Target, proposal: Proposal, options: ApplyOptions): Promise<ApplyOutcome> {
  const log = options.log ?? (() => undefined);
  switch (proposal.kind) {
    case 'advice':
      // Known to break what it changes in this case: explained, never written, whoever asks.
      return { status: 'failed', message: 'this proposal is advice (known to break here): it is explained, never applied' };
    case 'choice':
      // A choice changes nothing on the machine: it is recorded, and there is nothing to undo.
      options.profile[proposal.choice.key] = proposal.choice.value;
      await options.store.save(options.profile);
      return { status: 'applied', message: `recorded: ${proposal.title}` };
    case 'command':
      if (!proposal.commands.some((c) => c.run)) {
        return { status: 'failed', message: 'this proposal has nothing to apply automatically; run the commands shown yourself' };
      }
      if (proposal.commands.every((c) => !c.run || c.parse)) return runScans(proposal, log, options.daemon);
      break;
    case 'change':
      break;
    default:
      // Not a kind the engine knows (a hand-made or older proposal): nothing is done with it.
      return { status: 'failed', message: `this proposal is of no kind the engine applies (${String((proposal as { kind?: unknown }).kind)})` };
  }
  if (proposal.daemon && !options.daemon) {
    return { status: 'failed', message: 'this change needs dockerd to be restarted, and no way to do that was found; pass --restart-command' };
  }
  // A file changed since the check (another fix, an editor): the change is made on it as it is now.
  proposal = await rebaseProposal(proposal, log);
  await options.beforeWrite?.(proposal);

  // Which daemon this change is made on, asked before anything is written: undo needs it.
  const daemonRecord = (proposal.daemon || target.kind === 'host') && options.daemon?.identify ? await options.daemon.identify() : undefined;
  const written: WrittenFile[] = [];
  const madeDirs: string[] = [];
  try {
    for (const change of proposal.changes) {
      if (change.before === null) {
        // A new file (a CI workflow) gets its folders, but only inside the target's repository or folder.
        const root = await newFileRoot(target);
        if (root) madeDirs.push(...(await makeParentDirs(change.path, root)));
      }
      written.push(await applyFileChange(change, options.store.backupDir));
    }
  } catch (err) {
    await rollbackFiles(written, options.store.backupDir, log, madeDirs);
    throw err;
  }

  const record: AppliedRecord = {
    id: newAppliedId(),
    step: step.meta.id,
    target: targetKey(target),
    proposal: proposal.id,
    title: proposal.title,
    at: new Date().toISOString(),
    ...(proposal.daemon ? { daemon: proposal.daemon } : {}),
    ...(daemonRecord ? { dockerd: daemonRecord } : {}),
    files: written.map((w) => ({ path: w.path, backup: w.backup, beforeHash: w.beforeHash, afterHash: w.afterHash })),
    ...(madeDirs.length > 0 ? { dirs: madeDirs } : {}),
    ...(options.run ? { run: options.run } : {}),
    commands: [],
  };
  // Recorded before any restart, so a crash there still leaves what undo needs. A change that
  // cannot be recorded could not be undone: put the files back and say why.
  options.profile.applied.push(record);
  try {
    await options.store.save(options.profile);
  } catch (err) {
    options.profile.applied.pop();
    await rollbackFiles(written, options.store.backupDir, log, madeDirs);
    for (const w of written) if (w.backup) await unlink(w.backup).catch(() => undefined);
    throw err;
  }
  // Only now, with the record on disk, is anything said about the write: a closed stdout cannot lose it.
  for (const w of written) log(`wrote ${w.path}`);

  for (const command of proposal.commands.filter((c) => c.run)) {
    log(options.daemon?.describeCommand?.(command.argv) ?? `running ${command.argv.join(' ')}`);
    const result = await runAction(options.daemon, command.argv);
    record.commands.push(command.argv);
    if (command.parse && readScan(command.parse, String(result.stdout ?? ''), log)) continue;
    if (result.exitCode !== 0) {
      await rollbackFiles(written, options.store.backupDir, log, madeDirs);
      record.undone = new Date().toISOString();
      await options.store.save(options.profile);
      return {
        status: 'failed',
        record,
        message: `\`${command.argv.join(' ')}\` failed (exit ${result.exitCode}): ${String(result.stderr || result.stdout).trim().slice(0, 500)}; files restored`,
      };
    }
  }
  await options.store.save(options.profile);

  const refused = options.verify ? await options.verify(proposal, written) : null;
  if (refused) {
    await rollbackFiles(written, options.store.backupDir, log, madeDirs);
    record.undone = new Date().toISOString();
    await options.store.save(options.profile);
    // The reason's first line, then what was restored, then its detail (a build's or container's last lines).
    const [first, ...detail] = refused.reason.split('\n');
    return { status: 'rolled-back', record, proof: refused.unproven ? 'unproven' : 'refused', message: [`not kept: ${first}; the previous ${written.map((w) => w.path).join(', ')} was restored`, ...detail].join('\n') };
  }

  let unconfirmed: string | undefined;
  if (proposal.daemon && options.daemon) {
    const restart = await restartAndWait(options.daemon, proposal.daemon, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT, log);
    let problem = restart.problem;
    // Answering is not enough: what was written must be what runs, or it is not applied.
    const live = problem ? undefined : await options.daemon.confirmLive?.(proposal.changes).catch((err: unknown) => ({ wrong: [`it could not be confirmed (${formatError(err)})`], unseen: [] }));
    const notLive = live && live.wrong.length > 0 ? live.wrong.join('; ') : null;
    if (notLive) problem = `dockerd answers, but ${notLive}`;
    // A restart no process change showed, of settings docker info does not show: nothing proves them live.
    if (!problem && proposal.daemon === 'restart' && !restart.seen && live && live.unseen.length > 0) {
      unconfirmed = `docker-harden could not see dockerd's process, so not that it restarted, and docker info does not show ${live.unseen.map((k) => `"${k}"`).join(', ')}: check that dockerd was restarted and runs with this daemon.json`;
    }
    if (problem) {
      log(notLive ? `the change is not live (${notLive}); restoring the previous files` : 'dockerd did not come back; restoring the previous files');
      await rollbackFiles(written, options.store.backupDir, log, madeDirs);
      record.undone = new Date().toISOString();
      await options.store.save(options.profile);
      const again = (await restartAndWait(options.daemon, 'restart', options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT, log)).problem;
      return {
        status: 'rolled-back',
        record,
        message:
          `${notLive ? 'the change did not take effect' : 'dockerd did not come back after the change'} (${problem}). The previous ${written.map((w) => w.path).join(', ')} ` +
          `was restored byte for byte and dockerd ${again ? `still does not answer (${again}): check \`journalctl -u docker\`` : 'answers again'}.`,
      };
    }
  }

  if (unconfirmed) return { status: 'applied', record, message: `applied, not confirmed live: ${unconfirmed}` };
  if (!options.recheck) return { status: 'applied', record, message: 'applied' };
  const again = await options.recheck();
  const recheck = again.result;
  if (recheck.status === 'pass' || recheck.status === 'not-applicable' || recheck.status === 'info') {
    return { status: 'applied', record, recheck, message: 'applied; the check now passes' };
  }
  if (recheck.status !== 'error' && !again.proposals.some((p) => p.id === proposal.id)) {
    const left = recheck.findings.filter((f) => f.severity !== 'info').length;
    return { status: 'applied', record, recheck, message: `applied; confirmed by a fresh check (${left} other finding${left === 1 ? '' : 's'} of this step remain${left === 1 ? 's' : ''})` };
  }
  return { status: 'applied-still-failing', record, recheck, message: `applied, but the check still reports ${recheck.status}` };
}

/**
 * Where a file target's new files may get folders: the git repository holding it, else its own
 * folder. Host targets get none: a missing /etc/cron.d is a fact to report, not a folder to make.
 */
async function newFileRoot(target: Target): Promise<string | null> {
  if (target.kind === 'host') return null;
  const start = path.dirname(path.resolve(target.path));
  return repositoryRoot(start) ?? start;
}

/** A report that is read, not a change: run the scanners, show their summaries, record nothing. */
async function runScans(proposal: Proposal, log: (l: string) => void, daemon?: DaemonControl): Promise<ApplyOutcome> {
  const scans: ScanSummary[] = [];
  const problems: string[] = [];
  for (const command of proposal.commands.filter((c) => c.run)) {
    log(daemon?.describeCommand?.(command.argv) ?? `running ${command.argv.join(' ')}`);
    const result = await runAction(daemon, command.argv, 256 * 1024 * 1024);
    const scan = readScan(command.parse!, String(result.stdout ?? ''), log);
    if (scan) scans.push(scan);
    else problems.push(`\`${command.argv.join(' ')}\` ${result.exitCode === 0 ? 'printed no readable report' : `failed (exit ${result.exitCode ?? 'killed'})`}: ${String(result.stderr || result.stdout).trim().slice(0, 300)}`);
  }
  const summary = scans.flatMap(formatScanSummary);
  if (problems.length > 0) return { status: 'failed', scans, message: [...summary, ...problems].join('\n') };
  return { status: 'applied', scans, message: summary.join('\n') };
}

function readScan(format: NonNullable<Proposal['commands'][number]['parse']>, stdout: string, log: (l: string) => void): ScanSummary | null {
  try {
    const scan = parseScanReport(format, stdout);
    for (const line of formatScanSummary(scan)) log(line);
    return scan;
  } catch {
    return null;
  }
}

/** Restart or reload and wait; returns null when the daemon answers, else why not. */
/**
 * Restart (or reload) dockerd and wait for it: why it failed, or null; and whether a new process
 * was seen answering (`seen`), which only a daemon whose process docker-harden can see shows.
 */
async function restartAndWait(daemon: DaemonControl, kind: 'reload' | 'restart', timeoutMs: number, log: (l: string) => void): Promise<{ problem: string | null; seen: boolean }> {
  try {
    if (kind === 'restart') {
      const impact = await daemon.restartImpact?.().catch(() => null);
      if (impact) log(impact);
    }
    log(daemon.describe?.(kind) ?? `${kind === 'reload' ? 'reloading' : 'restarting'} dockerd`);
    const before = kind === 'restart' ? await daemon.identity?.().catch(() => null) : null;
    // What a run cached about the daemon (its view, its flags) is stale once it reloads or restarts.
    noteWrite();
    await daemon.apply(kind);
    await daemon.waitReady(timeoutMs);
    // A restart counts only when a new process answers: a command that restarted nothing leaves
    // the old daemon with the old settings, and "applied" would be untrue.
    let seen = false;
    if (before) {
      const after = await daemon.identity!().catch(() => null);
      if (after === before) return { problem: `dockerd was not restarted: the same process (${before}) still answers, so the new settings are not live; check the restart command`, seen };
      seen = after !== null;
    }
    const stale = kind === 'restart' ? ((await daemon.notLive?.().catch(() => [])) ?? []) : [];
    if (stale.length > 0) return { problem: `dockerd answers but does not have ${stale.map((k) => `"${k}"`).join(', ')} from daemon.json live`, seen };
    log('dockerd answers');
    return { problem: null, seen };
  } catch (err) {
    return { problem: formatError(err), seen: false };
  }
}

async function rollbackFiles(written: WrittenFile[], backupDir: string, log: (l: string) => void, madeDirs: readonly string[]): Promise<void> {
  for (const w of [...written].reverse()) {
    await restoreFile(w, backupDir);
    log(restoredLine(w));
  }
  for (const dir of await removeEmptyDirs(madeDirs)) log(removedDirLine(dir));
}

function removedDirLine(dir: string): string {
  return `removed ${dir}${path.sep} (docker-harden made it for a new file; it is empty now)`;
}

/** What going back did to a file: the backup put back, or a file the change created taken away. */
function restoredLine(file: WrittenFile): string {
  return file.backup === null ? `removed ${file.path} (the change created it)` : `restored ${file.path}`;
}

export interface UndoOptions {
  store: ProfileStore;
  profile: Profile;
  daemon?: DaemonControl;
  force?: boolean;
  log?: (line: string) => void;
  readyTimeoutMs?: number;
  /** Every path undo writes must be inside this directory (the learn sandbox). */
  confineTo?: string;
}

/**
 * Undo one applied change. Every file of the record is verified before anything is written: its
 * path is absolute, plain and (in the learn sandbox) inside the sandbox; its backup is this state's
 * own and hashes to the recorded before-hash; it still holds what was written (unless forced); a
 * file the tool created is removed only while it holds exactly what was written. The daemon must
 * be the one the change was made on. Then the files are restored and dockerd restarted.
 */
export async function undoApplied(record: AppliedRecord, options: UndoOptions): Promise<string> {
  return critical(() => undoAppliedNow(record, options));
}

async function undoAppliedNow(record: AppliedRecord, options: UndoOptions): Promise<string> {
  const log = options.log ?? (() => undefined);
  if (record.undone) throw new UserError(`change ${record.id} was already undone (${record.undone})`);
  if (record.daemon && !options.daemon) {
    throw new UserError(`undoing change ${record.id} needs dockerd to be restarted, and no way to do that was found`, 'Pass --restart-command.');
  }
  if (record.daemon && record.dockerd?.id && options.daemon?.identify) {
    const now = await options.daemon.identify();
    if (now.id !== record.dockerd.id) {
      throw new UserError(
        `change ${record.id} was made on dockerd ${record.dockerd.id} (${record.dockerd.endpoint}), but ${now.endpoint} is dockerd ${now.id ?? '(no answer)'}; nothing was restored`,
        `Undo it against the daemon it was made on: --docker-host ${record.dockerd.endpoint}${record.dockerd.configPath ? ` --daemon-config ${record.dockerd.configPath}` : ''}.`,
      );
    }
  }
  const current = new Map<string, Buffer | null>();
  for (const file of record.files) {
    await verifyRecordedFile(record, file, options);
    const bytes = await readNoFollow(file.path);
    current.set(file.path, bytes);
    const hash = bytes === null ? null : sha256(bytes);
    if (file.backup === null && bytes !== null && hash !== file.afterHash) {
      throw new UserError(`was created by docker-harden but changed since; undo removes only what it wrote, so nothing was restored`, 'Remove it yourself if it should go.', file.path);
    }
    if (!options.force && hash !== file.afterHash) {
      throw new UserError(
        'was changed since docker-harden wrote it; undo would lose those edits, so nothing was restored',
        `Look at it, then run \`docker-harden undo ${record.id} --force\` to restore the backup anyway.`,
        file.path,
      );
    }
    if (file.backup !== null) await readBackup(file, options.store.backupDir);
  }
  const dirs = await recordedDirs(record, options);
  for (const file of [...record.files].reverse()) {
    await restoreFile(file, options.store.backupDir, { force: options.force });
    log(restoredLine(file));
  }
  for (const dir of await removeEmptyDirs(dirs)) log(removedDirLine(dir));
  if (record.daemon && options.daemon) {
    // Always a restart, even for a change that was applied by reload: a reload leaves a key that
    // the restored file no longer sets as it was (dockerd 20.10 kept live-restore on).
    const { problem } = await restartAndWait(options.daemon, 'restart', options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT, log);
    if (problem) {
      // The old configuration does not start any more: put the newer one back.
      for (const file of record.files) {
        const bytes = current.get(file.path);
        if (bytes) await withTargetLock(file.path, () => writeFileAtomic(file.path, bytes));
      }
      const again = (await restartAndWait(options.daemon, 'restart', options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT, log)).problem;
      throw new UserError(
        `dockerd did not come back after the undo (${problem}); the files were put back as they were before the undo` +
          (again ? ` and dockerd still does not answer (${again})` : ' and dockerd answers again'),
      );
    }
  }
  record.undone = new Date().toISOString();
  forgetDecisions(options.profile, record);
  await options.store.save(options.profile);
  return `undid ${record.title ?? record.proposal} (${record.step})`;
}

/**
 * Which open change a plain `undo` takes next: the newest, except that a change whose undo turns
 * live-restore off waits while an older change that restarts dockerd can go first (no newer open
 * change touches its files): that restart then still keeps the running containers, and the one
 * that turns live-restore off comes last, as apply put it first.
 */
export async function nextToUndo(open: AppliedRecord[], backupDir: string): Promise<AppliedRecord | undefined> {
  const newest = open[open.length - 1];
  if (!newest || !(await undoTurnsLiveRestoreOff(newest, backupDir))) return newest;
  for (let i = open.length - 2; i >= 0; i--) {
    const older = open[i]!;
    if (older.daemon !== 'restart') continue;
    const covered = open.slice(i + 1).some((r) => r.files.some((f) => older.files.some((g) => g.path === f.path)));
    if (!covered && !(await undoTurnsLiveRestoreOff(older, backupDir))) return older;
  }
  return newest;
}

/** Whether undoing `record` puts back a daemon.json without live-restore where the file has it on now. */
export async function undoTurnsLiveRestoreOff(record: AppliedRecord, backupDir: string): Promise<boolean> {
  if (!record.daemon) return false;
  const file = record.files.find((f) => (record.dockerd?.configPath ? f.path === record.dockerd.configPath : path.basename(f.path) === 'daemon.json'));
  if (!file) return false;
  const now = await readNoFollow(file.path).catch(() => null);
  if (now === null || liveRestoreIn(now.toString('utf8')) !== true) return false;
  const before = file.backup === null ? null : await readBackup(file, backupDir).then((b) => b.toString('utf8'), () => undefined);
  // A backup that does not verify: undo refuses it anyway, so it does not decide the order.
  return before !== undefined && liveRestoreIn(before) !== true;
}

/** After an undo the step is undecided again: the wizard resumes there, and the next fix offers it. */
function forgetDecisions(profile: Profile, record: AppliedRecord): void {
  const decisions = profile.targets[record.target];
  const decision = decisions?.[record.step];
  if (decision && (decision.applied?.includes(record.id) || decision.status === 'done')) delete decisions[record.step];
}

/** Host files the host steps write, besides the daemon's own daemon.json. */
const HOST_FILES = ['/etc/environment', '/etc/profile', '/etc/bash.bashrc', '/etc/zsh/zshenv', '/etc/zsh/zshrc', '/etc/cron.d/docker-harden-scan', '/etc/apt/sources.list.d/falcosecurity.list'];
const HOST_DIRS = ['/etc/docker/', '/etc/systemd/system/docker.service.d/', '/etc/systemd/system/docker.socket.d/', '/etc/audit/rules.d/'];

/**
 * Whether a step could have changed `file` for the record's target: a Dockerfile or compose target
 * changes its own file and its repository's CI files (.github/, .gitlab-ci.yml in a folder above
 * it); a host change made on a known daemon, that daemon's config file and the host files the host
 * steps own. Older host records (no daemon named) are judged by the other checks alone.
 */
function belongsToTarget(record: AppliedRecord, file: string): boolean {
  const kind = record.target.slice(0, record.target.indexOf(':'));
  if (kind === 'dockerfile' || kind === 'compose') {
    const own = record.target.slice(kind.length + 1);
    if (file === own) return true;
    for (let dir = path.dirname(own); ; dir = path.dirname(dir)) {
      if (file.startsWith(path.join(dir, '.github') + path.sep) || file === path.join(dir, '.gitlab-ci.yml')) return true;
      if (dir === path.dirname(dir)) return false;
    }
  }
  if (!record.dockerd) return true;
  return file === record.dockerd.configPath || HOST_FILES.includes(file) || HOST_DIRS.some((d) => file.startsWith(d));
}

/**
 * The folders to remove after a change's files, when empty: those it made, verified as its files
 * are (a plain absolute path above a file the change created, inside the learn sandbox there), so
 * an edited profile can at most name an empty folder on the way to such a file. Also those an
 * undone change made above this one's new files: undone first, it had to leave them while this
 * one's file was in them. Parents first, so removing in reverse takes the deepest first.
 */
async function recordedDirs(record: AppliedRecord, options: UndoOptions): Promise<string[]> {
  const created = record.files.filter((f) => f.backup === null).map((f) => f.path);
  const root = options.confineTo ? await realpath(options.confineTo) : null;
  const allowed = async (dir: string) => {
    const plain = path.isAbsolute(dir) && path.normalize(dir) === dir && dir !== path.parse(dir).root;
    const above = created.some((file) => file.startsWith(dir + path.sep));
    // A folder already gone has nothing to remove; one that is there must be inside the sandbox.
    const real = root === null ? null : await realpath(dir).catch(() => null);
    return plain && above && (real === null || real.startsWith(root + path.sep));
  };
  for (const dir of record.dirs ?? []) {
    if (!(await allowed(dir))) {
      throw new UserError(`change ${record.id} names the folder "${dir}", which is not one it made for its new files; nothing was restored`, 'The progress profile was edited: check it.');
    }
  }
  const dirs = new Set(record.dirs);
  for (const other of options.profile.applied) {
    if (other === record || !other.undone) continue;
    for (const dir of other.dirs ?? []) if (!dirs.has(dir) && (await allowed(dir))) dirs.add(dir);
  }
  return [...dirs].sort((a, b) => a.length - b.length);
}

/** A record's file entry must name a plain absolute path that this undo may write. */
async function verifyRecordedFile(record: AppliedRecord, file: AppliedRecord['files'][number], options: UndoOptions): Promise<void> {
  if (!path.isAbsolute(file.path) || path.normalize(file.path) !== file.path) {
    throw new UserError(`change ${record.id} names "${file.path}", which is not a plain absolute path; nothing was restored`, 'The progress profile was edited: check it.');
  }
  const stateDir = path.resolve(options.store.stateDir);
  if (file.path === stateDir || file.path.startsWith(stateDir + path.sep)) {
    throw new UserError(`change ${record.id} names a file inside the state directory; nothing was restored`, 'The progress profile was edited: check it.', file.path);
  }
  if (!belongsToTarget(record, file.path)) {
    throw new UserError(
      `change ${record.id} (${record.step}) was made for ${record.target.replace(/^(dockerfile|compose):/, '')}, but names ${file.path}, which that step does not change there; nothing was restored`,
      'The progress profile was edited: check it.',
      file.path,
    );
  }
  if (options.confineTo) {
    const root = await realpath(options.confineTo);
    const parent = await realpath(path.dirname(file.path)).catch(() => null);
    const rel = parent === null ? '..' : path.relative(root, parent);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new UserError('is outside the learn sandbox; undo in the sandbox writes only inside it, so nothing was restored', 'The sandbox profile was edited: check it.', file.path);
    }
  }
}
