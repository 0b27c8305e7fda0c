/**
 * What one run works on: targets, steps (by profile and --only), contexts, the profile store and
 * the daemon control. Shared by the wizard and the batch commands.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Context, Step, Target, TargetKind } from '../core/step.js';
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
}

export interface ProfileDefinition {
  name: string;
  description: string;
  targets: TargetKind[];
  /** Step ids, or "all": every step of the registry. */
  steps: string[] | 'all';
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
  /** (step, target) pairs to run, in seed order, then target order. */
  pairs(): { step: Step; target: Target; ctx: Context }[];
}

/** Resolve --only: step ids (or `id:proposal`), each checked against the known steps. */
export function selectSteps(registry: readonly Step[], only: string[] | undefined, profile: ProfileDefinition | undefined): Step[] {
  let chosen = [...registry];
  if (profile && profile.steps !== 'all') chosen = chosen.filter((s) => profile.steps.includes(s.meta.id));
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
  if (info.isDirectory()) throw new UserError(`is a directory, not a ${what}`, `Pass the file itself, for example ${path.join(file, what === 'Dockerfile' ? 'Dockerfile' : 'compose.yaml')}.`, file);
  if (!info.isFile()) throw new UserError(`is not a regular file`, `Pass the path of a ${what}.`, file);
  return resolved;
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
  const host =
    options.hostFacts ??
    createHostFacts({ dockerHost: options.dockerHost, daemonConfigPath: options.daemonConfig, env, probe });
  const contexts = new Map<Target, Context>();
  for (const target of targets) contexts.set(target, createContext(target, { env, host, probe, learn: options.learn }));
  const store = new ProfileStore(path.resolve(options.stateDir ?? defaultStateDir(env)));
  return {
    targets,
    steps,
    contexts,
    store,
    host,
    daemon: options.daemon ?? createDaemonControl({ restartCommand: options.restartCommand, host }),
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
