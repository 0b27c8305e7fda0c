/**
 * Entry of the interactive wizard: choose what to walk (targets given, a Dockerfile in the
 * current folder, this Docker host, or the learn sandbox), take the state directory's lock, load
 * the profile, render the Ink app, and unlock on the way out. Ink and React are imported only
 * here, and only after the colour decision, because chalk fixes its colour level when loaded.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Args } from '../args.js';
import { sessionOptions, type Io } from '../batch.js';
import { createSession, type SessionOptions } from '../core/session.js';
import { walkFromSession } from '../core/walk.js';
import { colorEnabled } from '../report/color.js';
import { quoteArg } from '../report/text.js';
import { UserError } from '../core/errors.js';

export const DOCKERFILE_NAMES = ['Dockerfile'];
export const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

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

/** The learn sandbox, prepared by src/core/learn.ts. */
export interface LearnSandbox {
  dir: string;
  sessionOptions: SessionOptions;
}

interface LearnModule {
  prepareLearnSandbox(options: { sandbox?: string; stateDir?: string; env: Io['env'] }): Promise<LearnSandbox>;
}

const LEARN_MODULE = '../core/learn.js';

async function learnPlan(args: Args, io: Io): Promise<RunPlan> {
  let mod: LearnModule;
  try {
    mod = (await import(LEARN_MODULE)) as LearnModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new UserError('the learn walkthrough is not part of this build', 'Run `docker-harden check --file Dockerfile` on a Dockerfile of yours instead.');
    }
    throw err;
  }
  const sandbox = await mod.prepareLearnSandbox({ sandbox: args.sandbox, stateDir: args.stateDir, env: io.env });
  return { kind: 'walk', options: { ...sandbox.sessionOptions, env: sandbox.sessionOptions.env ?? io.env }, profile: 'learn', learn: true, sandbox: sandbox.dir };
}

function hasTargets(args: Args): boolean {
  return args.host || args.files.length > 0 || args.composeFiles.length > 0;
}

/**
 * What to walk. Targets given: those. None: a Dockerfile or compose file in `cwd` (dockerfile
 * profile); else, as root with a Docker daemon that answers, this host (server profile); else the
 * learn sandbox is offered.
 */
export async function planRun(args: Args, io: Io, cwd = process.cwd(), isRoot = process.getuid?.() === 0): Promise<RunPlan | LearnOffer> {
  if (args.command === 'learn') return learnPlan(args, io);
  const base = sessionOptions(args, io.env);
  if (hasTargets(args)) {
    // Host and files together, with no --profile: every step that fits one of the targets.
    const fileTargets = args.files.length > 0 || args.composeFiles.length > 0;
    const profile = args.profile ?? (args.host && fileTargets ? undefined : args.host ? 'server' : 'dockerfile');
    return { kind: 'walk', options: { ...base, profile }, profile: profile ?? 'all', learn: false };
  }
  const files = DOCKERFILE_NAMES.map((n) => path.join(cwd, n)).filter((f) => existsSync(f));
  const composeFiles = COMPOSE_NAMES.map((n) => path.join(cwd, n)).filter((f) => existsSync(f));
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

export function undoCommandFor(options: SessionOptions): string {
  return `docker-harden undo${options.stateDir ? ` --state-dir ${quoteArg(path.resolve(options.stateDir))}` : ''}`;
}

async function askOffer(question: string, color: boolean, io: Io): Promise<boolean> {
  const [{ render }, React, { Offer }] = await Promise.all([import('ink'), import('react'), import('./offer.js')]);
  let yes = false;
  const instance = render(React.createElement(Offer, { question, color, onAnswer: (a: boolean) => (yes = a) }), {
    stdout: io.stdout as NodeJS.WriteStream,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await instance.waitUntilExit();
  return yes;
}

export async function startInteractive(args: Args, io: Io): Promise<number> {
  const color = colorEnabled(io.env, Boolean(io.stdout.isTTY), args.noColor);
  // chalk (under Ink) reads FORCE_COLOR when first loaded, and does not look at NO_COLOR itself.
  if (!color) process.env.FORCE_COLOR = '0';

  let plan = await planRun(args, io);
  if (plan.kind === 'offer-learn') {
    if (!(await askOffer(plan.question, color, io))) {
      io.stdout.write('Nothing was changed. Point docker-harden at a Dockerfile with --file PATH, or run it as root on a Docker host.\n');
      return 0;
    }
    plan = await learnPlan({ ...args, command: 'learn' }, io);
  }

  const session = createSession(plan.options);
  await session.store.lock();
  try {
    const profile = await session.store.load();
    const walk = walkFromSession(session, profile);
    if (walk.items.length === 0) {
      io.stdout.write('No step applies to these targets with this profile. Run `docker-harden steps` to see which step checks what.\n');
      return 0;
    }
    const [{ render }, React, { App }] = await Promise.all([import('ink'), import('react'), import('./app.js')]);
    const instance = render(
      React.createElement(App, {
        walk,
        color,
        stopOnPassing: plan.learn,
        info: { profile: plan.profile, undoCommand: undoCommandFor(plan.options), sandbox: plan.sandbox, appliedEarlier: walk.appliedEarlier().length },
      }),
      { stdout: io.stdout as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: false },
    );
    await instance.waitUntilExit();
    return 0;
  } finally {
    await session.store.unlock();
  }
}
