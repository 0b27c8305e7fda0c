/**
 * What one run works on: targets, steps (by profile and --only), contexts, the profile store and
 * the daemon control. Shared by the wizard and the batch commands.
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { LIMITS, tooLarge } from '../core/limits.js';
import path from 'node:path';
import type { Context, Step, StepTarget, Target, TargetKind } from '../core/step.js';
import { createContext } from '../core/context.js';
import { systemProbe, type Probe } from '../core/probe.js';
import { ProfileStore, defaultStateDir } from '../core/profile.js';
import { UserError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { packageRoot } from '../core/paths.js';
import { createHostFacts } from '../host/client.js';
import { createDaemonControl, daemonBeforeWrite } from '../host/service.js';
import type { HostFacts } from '../host/facts.js';
import type { DaemonControl } from '../core/runner.js';
import type { Proposal } from '../core/step.js';

export interface SessionOptions {
  /** The steps there are (steps/index.ts in the CLI; a test may hand in its own). */
  registry: readonly Step[];
  host?: boolean;
  files?: string[];
  composeFiles?: string[];
  only?: string[];
  profile?: string;
  stateDir?: string;
  daemonConfig?: string;
  restartCommand?: string;
  dockerHost?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Injected for tests and the learn sandbox. */
  hostFacts?: HostFacts;
  probe?: Probe;
  learn?: boolean;
  /** Service control to use instead of the host's service manager (the learn sandbox's recorded daemon). */
  daemon?: DaemonControl;
  /** Runs before the host layer's own checks on each proposal (the learn sandbox keeps writes inside itself). */
  beforeWrite?: (proposal: Proposal) => Promise<void>;
  /** Every path undo writes must be inside this directory (the learn sandbox). */
  confineTo?: string;
}

export interface ProfileDefinition {
  name: string;
  description: string;
  targets: TargetKind[];
  /**
   * Step ids, or "all": every step of the registry that has a target kind of the profile, so a
   * new step joins the profiles without editing them.
   */
  steps: string[] | 'all';
  /** With "all": steps left out on purpose. */
  exclude?: string[];
}

export const PROFILE_NAMES = ['server', 'dockerfile', 'learn'] as const;

export function loadProfileDefinition(name: string): ProfileDefinition {
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`unknown profile "${name}"`, `Use one of: ${PROFILE_NAMES.join(', ')}.`);
  }
  return JSON.parse(readFileSync(path.join(packageRoot(), 'profiles', `${name}.json`), 'utf8')) as ProfileDefinition;
}

export interface Session {
  targets: Target[];
  steps: Step[];
  contexts: Map<Target, Context>;
  store: ProfileStore;
  host: HostFacts;
  daemon?: DaemonControl;
  beforeWrite: (proposal: Proposal) => Promise<void>;
  /** Every path undo writes must be inside this directory (the learn sandbox). */
  confineTo?: string;
  /**
   * Learn which daemon the host target is (its ID from `docker info`), so its decisions are filed
   * under it. A daemon that does not answer leaves the host unnamed ("host").
   */
  identifyHost(): Promise<void>;
  /** (step, target) pairs to run, in seed order, then target order. */
  pairs(): StepTarget[];
}

/** Resolve --only: step ids (or `id:proposal`), each checked against the known steps. */
export function selectSteps(registry: readonly Step[], only: string[] | undefined, profile: ProfileDefinition | undefined): Step[] {
  let chosen = [...registry];
  if (profile && profile.steps !== 'all') chosen = chosen.filter((s) => profile.steps.includes(s.meta.id));
  if (profile && profile.steps === 'all') {
    chosen = chosen.filter((s) => s.meta.targets.some((t) => profile.targets.includes(t)) && !(profile.exclude ?? []).includes(s.meta.id));
  }
  if (only && only.length > 0) {
    const wanted = only.map((o) => o.split(':')[0]!);
    for (const id of wanted) {
      if (!registry.some((s) => s.meta.id === id)) {
        throw new UserError(`unknown step "${id}" in --only`, `${didYouMean(id, registry.map((s) => s.meta.id))}Run \`docker-harden steps\` to list the step ids.`);
      }
    }
    chosen = registry.filter((s) => wanted.includes(s.meta.id));
  }
  return chosen;
}

export function checkTargetFile(file: string, what: string): string {
  const resolved = path.resolve(file);
  let info;
  try {
    info = statSync(resolved);
  } catch {
    throw new UserError(`${what} not found`, `Check the path, or run docker-harden in the folder that holds it.`, file);
  }
  if (info.isDirectory()) {
    throw new UserError(`is a directory, not a ${what}`, `Pass the file itself, for example ${path.join(file, what === 'Dockerfile' ? 'Dockerfile' : 'compose.yaml')}, or the folder without ${what === 'Dockerfile' ? '--file' : '--compose'} to check every Dockerfile and compose file in it.`, file);
  }
  if (!info.isFile()) throw new UserError(`is not a regular file`, `Pass the path of a ${what}.`, file);
  const limit = what === 'Dockerfile' ? LIMITS.dockerfile : LIMITS.compose;
  if (info.size > limit) throw tooLarge(file, what === 'Dockerfile' ? 'Dockerfile' : 'compose file', info.size, limit);
  return resolved;
}

/**
 * --daemon-config is refused at once when it names something that is not a daemon.json docker-
 * harden would read: a device such as /dev/zero, a FIFO, a directory, a link, or a file over the
 * limit. A path that does not exist yet is where the file will be created.
 */
export function checkDaemonConfigOption(file: string): void {
  const info = lstatSync(file, { throwIfNoEntry: false });
  if (!info) return;
  if (info.isSymbolicLink()) throw new UserError('is a symbolic link; docker-harden does not write through links', 'Point --daemon-config at the real file.', file);
  if (info.isDirectory()) throw new UserError('is a directory, not a daemon.json', 'Point --daemon-config at the file, for example /etc/docker/daemon.json.', file);
  if (!info.isFile()) throw new UserError('is not a regular file (a device, FIFO or socket), so it is not a daemon.json', 'Point --daemon-config at a daemon.json file.', file);
  if (info.size > LIMITS.daemonJson) throw tooLarge(file, 'daemon.json', info.size, LIMITS.daemonJson);
}

export function createSession(options: SessionOptions): Session {
  const env = options.env ?? process.env;
  const probe = options.probe ?? systemProbe(env);
  const profileDef = options.profile ? loadProfileDefinition(options.profile) : undefined;
  const steps = selectSteps(options.registry, options.only, profileDef);
  const targets: Target[] = [];
  if (options.host) targets.push({ kind: 'host', label: options.learn ? 'the recorded learn host' : 'this Docker host' });
  for (const file of options.files ?? []) {
    const resolved = checkTargetFile(file, 'Dockerfile');
    targets.push({ kind: 'dockerfile', path: resolved, label: file });
  }
  for (const file of options.composeFiles ?? []) {
    const resolved = checkTargetFile(file, 'compose file');
    targets.push({ kind: 'compose', path: resolved, label: file });
  }
  if (options.daemonConfig) checkDaemonConfigOption(path.resolve(options.daemonConfig));
  const host =
    options.hostFacts ??
    createHostFacts({ dockerHost: options.dockerHost, daemonConfigPath: options.daemonConfig, env, probe });
  const contexts = new Map<Target, Context>();
  for (const target of targets) contexts.set(target, createContext(target, { env, host, probe, learn: options.learn, runTargets: targets }));
  const store = new ProfileStore(path.resolve(options.stateDir ?? defaultStateDir(env)));
  return {
    targets,
    steps,
    contexts,
    store,
    host,
    daemon: options.daemon ?? createDaemonControl({ restartCommand: options.restartCommand, host }),
    ...(options.confineTo ? { confineTo: options.confineTo } : {}),
    async identifyHost() {
      const target = targets.find((t) => t.kind === 'host');
      if (!target || target.kind !== 'host' || target.daemonId) return;
      const id = await host
        .info()
        .then((info) => (typeof info.ID === 'string' && info.ID ? info.ID : undefined))
        .catch(() => undefined);
      if (id) {
        target.daemonId = id;
        store.hostId = id;
      }
    },
    beforeWrite: async (proposal) => {
      await options.beforeWrite?.(proposal);
      await daemonBeforeWrite(host, proposal);
    },
    pairs() {
      const out: { step: Step; target: Target; ctx: Context }[] = [];
      for (const step of steps) {
        const applicable = targets.filter((t) => step.meta.targets.includes(t.kind));
        for (const target of step.meta.oncePerRun ? applicable.slice(0, 1) : applicable) {
          out.push({ step, target, ctx: contexts.get(target)! });
        }
      }
      return out;
    },
  };
}
