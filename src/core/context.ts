/** Builds the Context a step sees for one target, with every source lazy and cached. */
import { statSync } from 'node:fs';
import type { Context, Target } from './step.js';
import type { HostFacts } from '../host/facts.js';
import type { Probe } from './probe.js';
import { loadDockerfile, type DockerfileModel } from '../dockerfile/model.js';
import { cachedUntilWrite } from './writes.js';
import { loadDaemonView, type DaemonView } from '../host/daemon-view.js';

const versions = {};
const versionOf = cachedUntilWrite<object, string>();
// One daemon view per host for every step and target of a batch run, read again after a write.
const daemonViewOf = cachedUntilWrite<HostFacts, Promise<DaemonView>>();

export interface ContextSources {
  env: Readonly<Record<string, string | undefined>>;
  host: HostFacts;
  probe: Probe;
  learn?: boolean;
  /** The run's targets (the target alone when not given). */
  runTargets?: readonly Target[];
}

/**
 * Load a file's model once per version of the file: a fix writes a new file (rename over the old
 * one), so the check that follows it parses what is there now, not what was there before.
 */
function cachedByVersion<T>(file: string, load: (file: string) => Promise<T>): () => Promise<T> {
  let cached: { version: string; model: Promise<T> } | undefined;
  return async () => {
    // In a batch run, asked once until the run writes something: thirteen steps ask per file.
    const version = versionOf(versions, file, () => {
      // Synchronous: an awaited stat waits its turn in libuv's thread pool.
      const info = statSync(file, { throwIfNoEntry: false }) ?? null;
      return info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'missing';
    });
    if (!cached || cached.version !== version) cached = { version, model: load(file) };
    return cached.model;
  };
}

// The Dockerfile loaders of a run's targets, by path: a step that reads the repository's other
// Dockerfiles gets the model their own steps see, parsed once.
const runLoaders = new WeakMap<readonly Target[], Map<string, () => Promise<DockerfileModel>>>();

export function createContext(target: Target, sources: ContextSources): Context {
  const dockerfile = target.kind === 'dockerfile' ? cachedByVersion(target.path, loadDockerfile) : undefined;
  let loaders: Map<string, () => Promise<DockerfileModel>> | undefined;
  if (sources.runTargets) {
    loaders = runLoaders.get(sources.runTargets) ?? new Map();
    runLoaders.set(sources.runTargets, loaders);
    if (dockerfile && target.kind === 'dockerfile') loaders.set(target.path, dockerfile);
  }
  // The compose model (and yaml) is loaded only for a compose target.
  const compose = target.kind === 'compose' ? cachedByVersion(target.path, async (file) => (await import('../compose/model.js')).loadCompose(file)) : undefined;
  return {
    target,
    env: sources.env,
    host: sources.host,
    probe: sources.probe,
    learn: sources.learn ?? false,
    runTargets: sources.runTargets ?? [target],
    dockerfile() {
      if (!dockerfile) return Promise.reject(new Error('this step needs a Dockerfile target'));
      return dockerfile();
    },
    runDockerfile(file) {
      if (target.kind === 'dockerfile' && file === target.path && dockerfile) return dockerfile();
      let load = loaders?.get(file);
      if (!load) {
        load = cachedByVersion(file, loadDockerfile);
        loaders?.set(file, load);
      }
      return load();
    },
    compose() {
      if (!compose) return Promise.reject(new Error('this step needs a compose target'));
      return compose();
    },
    daemon() {
      return daemonViewOf(sources.host, 'view', () => loadDaemonView(sources.host));
    },
  };
}
