/**
 * Entry of the interactive wizard: choose what to walk (targets given, a Dockerfile in the
 * current folder, this Docker host, or the learn sandbox), take the state directory's lock, load
 * the profile, render the Ink app, and unlock on the way out. Ink and React are imported only
 * here, and only after the colour decision, because chalk fixes its colour level when loaded.
 */
import type { Args } from '../args.js';
import { sessionOptions, undoCommandFor, withOverridesReadWithBase, type AppIo, type Io } from './batch.js';
import { createSession, type SessionOptions } from './session.js';
import { walkFromSession, type Walk } from '../core/walk.js';
import { prepareLearnSandbox } from '../core/learn.js';
import { colorEnabled } from '../report/color.js';
import { quoteArg } from '../report/text.js';
import { UserError } from '../core/errors.js';
import { RepoDecisions } from '../core/repoconfig.js';
import { targetsHere } from './discover.js';

export interface RunPlan {
  kind: 'walk';
  options: SessionOptions;
  profile: string;
  learn: boolean;
  /** The learn sandbox directory. */
  sandbox?: string;
}

export interface LearnOffer {
  kind: 'offer-learn';
  question: string;
}

async function learnPlan(args: Args, io: AppIo, relay: (line: string) => void): Promise<RunPlan> {
  const sandbox = await prepareLearnSandbox({ dir: args.sandbox, env: io.env, log: relay });
  const options: SessionOptions = { ...sandbox.sessionOptions, registry: io.registry, ...(args.only.length > 0 ? { only: args.only } : {}) };
  return { kind: 'walk', options, profile: 'learn', learn: true, sandbox: sandbox.dir };
}

function hasTargets(args: Args): boolean {
  return args.host || args.files.length > 0 || args.composeFiles.length > 0;
}

/**
 * What to walk. Targets given: those. None: a Dockerfile or compose file in `cwd` (dockerfile
 * profile); else, as root with a Docker daemon that answers, this host (server profile); else the
 * learn sandbox is offered.
 */
export async function planRun(
  args: Args,
  io: AppIo,
  options: { cwd?: string; isRoot?: boolean; relay?: (line: string) => void } = {},
): Promise<RunPlan | LearnOffer> {
  const cwd = options.cwd ?? process.cwd();
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (args.command === 'learn') return learnPlan(args, io, options.relay ?? (() => undefined));
  // Named with its base file, a default override is read with it, as check and fix read it.
  args = withOverridesReadWithBase(args, io);
  const base = sessionOptions(args, io);
  if (hasTargets(args)) {
    // Host and files together, with no --profile: every step that fits one of the targets.
    const fileTargets = args.files.length > 0 || args.composeFiles.length > 0;
    const profile = args.profile ?? (args.host && fileTargets ? undefined : args.host ? 'server' : 'dockerfile');
    return { kind: 'walk', options: { ...base, profile }, profile: profile ?? 'all', learn: false };
  }
  const { files, composeFiles } = targetsHere(cwd, { below: false });
  if (files.length > 0 || composeFiles.length > 0) {
    const profile = args.profile ?? 'dockerfile';
    return { kind: 'walk', options: { ...base, files, composeFiles, profile }, profile, learn: false };
  }
  const why: string[] = [`no Dockerfile or compose file in ${cwd}`];
  if (isRoot) {
    const hostOptions: SessionOptions = { ...base, host: true, profile: args.profile ?? 'server' };
    const session = createSession(hostOptions);
    try {
      await session.host.ping();
      return { kind: 'walk', options: hostOptions, profile: hostOptions.profile!, learn: false };
    } catch {
      why.push('no Docker daemon answers');
    }
  } else {
    why.push('not running as root, which the host steps need');
  }
  return { kind: 'offer-learn', question: `Nothing to harden here: ${why.join(' and ')}. Walk the learn sandbox?` };
}

/** CI as Ink and most tools read it: set, and not "0" or "false". */
export function isInCi(env: Io['env']): boolean {
  const set = (v: string | undefined) => v !== undefined && v !== '0' && v !== 'false';
  return set(env.CI) || set(env.CONTINUOUS_INTEGRATION);
}

/**
 * Ink turns the terminal raw only once its input hook has mounted, after the first frame is drawn.
 * A key typed at the first frame would reach it in cooked mode, Enter as a line feed Ink does not
 * read as Enter: so the terminal is made raw before the first frame (Ink restores it on exit).
 */
function keysRawBeforeRender(): void {
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
}

async function askOffer(question: string, color: boolean, io: Io): Promise<{ yes: boolean; interrupted: boolean }> {
  const [{ render }, React, { Offer }] = await Promise.all([import('ink'), import('react'), import('../ui/offer.js')]);
  const answer = { yes: false, interrupted: false };
  keysRawBeforeRender();
  const instance = render(React.createElement(Offer, { question, color, onAnswer: (yes: boolean, interrupted: boolean) => Object.assign(answer, { yes, interrupted }) }), {
    stdout: io.stdout as NodeJS.WriteStream,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await instance.waitUntilExit();
  return answer;
}

export async function startInteractive(args: Args, io: AppIo): Promise<number> {
  if (isInCi(io.env)) {
    throw new UserError(
      `the ${args.command === 'learn' ? 'learn walkthrough' : 'wizard'} asks questions, and CI is set, so it does not`,
      'In CI use `docker-harden check` (the Dockerfiles and compose files here; or name them, or --host), and `fix --yes` to apply; unset CI to use the wizard.',
    );
  }
  const color = colorEnabled(io.env, Boolean(io.stdout.isTTY), args.noColor);
  // chalk (under Ink) reads FORCE_COLOR when first loaded, and does not look at NO_COLOR itself.
  if (!color) process.env.FORCE_COLOR = '0';

  // What the learn sandbox's recorded daemon says it would do goes to the wizard's apply log.
  let walk: Walk | undefined;
  const relay = (line: string) => walk?.relay(line);
  let plan = await planRun(args, io, { relay });
  if (plan.kind === 'offer-learn') {
    const answer = await askOffer(plan.question, color, io);
    if (!answer.yes) {
      io.stdout.write('Nothing was changed. Point docker-harden at a Dockerfile with --file PATH, or run it as root on a Docker host.\n');
      return answer.interrupted ? 130 : 0;
    }
    plan = await learnPlan({ ...args, command: 'learn' }, io, relay);
  }

  if (plan.learn && args.verify) {
    throw new UserError('--verify runs containers on a real Docker daemon, and the learn sandbox has none; nothing was done', 'Leave --verify out in the sandbox, or walk your own files with it: docker-harden --file Dockerfile --verify');
  }
  // The daemon must answer before the wizard starts; its progress lines go to the apply log.
  const verifier = args.verify ? await import('./verifier.js') : undefined;
  const verify = verifier ? await verifier.changeVerifier(args, io, (line) => walk?.relay(line)) : undefined;
  const session = createSession(plan.options);
  const unproven = verifier?.unprovenTargets(session.targets);
  if (unproven) io.stdout.write(`${unproven}\n`);
  await session.identifyHost();
  // The repository's decisions, as check honours them (a malformed file stops here, exit 2); the
  // learn sandbox is no repository's, so none apply there.
  const decisions = plan.learn ? undefined : await RepoDecisions.forTargets(plan.options.registry, session.targets);
  await session.store.lock();
  try {
    const profile = await session.store.load();
    walk = walkFromSession(session, profile, decisions, verify);
    if (walk.items.length === 0) {
      io.stdout.write('No step applies to these targets with this profile. Run `docker-harden steps` to see which step checks what.\n');
      return 0;
    }
    const [{ render }, React, { App }] = await Promise.all([import('ink'), import('react'), import('../ui/app.js')]);
    keysRawBeforeRender();
    let code = 0;
    const instance = render(
      React.createElement(App, {
        walk,
        onExit: (c: number) => (code = c),
        color,
        stopOnPassing: plan.learn,
        // In the learn sandbox, files are named relative to the sandbox.
        cwd: plan.sandbox ?? process.cwd(),
        info: {
          profile: plan.profile,
          // In the learn sandbox, undo goes through the sandbox (its recorded host), never this machine.
          undoCommand: undoCommandFor(plan.options, plan.sandbox),
          sandbox: plan.sandbox,
          resumeCommand: plan.sandbox ? `docker-harden learn --sandbox ${quoteArg(plan.sandbox)}` : undefined,
          appliedEarlier: walk.appliedEarlier().length,
        },
      }),
      { stdout: io.stdout as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: false },
    );
    await instance.waitUntilExit();
    return code;
  } finally {
    await verify?.close();
    await session.store.unlock();
  }
}
