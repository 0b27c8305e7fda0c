/** Builds the Context a step sees for one target, with every source lazy and cached. */
import { statSync, type Stats } from 'node:fs';
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

/** A file's version as its stat shows it: a write renames a new file over it, or changes its size or time. */
function statVersion(info: Stats | undefined): string {
  return info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'missing';
}

/**
 * Load a file's model once per version of the file: a fix writes a new file (rename over the old
 * one), so the check that follows it parses what is there now, not what was there before. The
 * version of a loaded model is the stat of the file the loader read, so the first load costs no
 * stat of its own.
 */
function cachedByVersion<T>(file: string, load: (file: string, seen: (info: Stats) => void) => Promise<T>): () => Promise<T> {
  // `version` is null while a load is under way and has not opened the file yet.
  let cached: { version: string | null; model: Promise<T> } | undefined;
  return async () => {
    if (cached) {
      if (cached.version === null) return cached.model;
      // In a batch run, asked once until the run writes something: thirteen steps ask per file.
      // Synchronous: an awaited stat waits its turn in libuv's thread pool.
      const version = versionOf(versions, file, () => statVersion(statSync(file, { throwIfNoEntry: false })));
      if (version === cached.version) return cached.model;
    }
    // The model is set at once below; the loader's callback fills in the version.
    const entry = { version: null } as { version: string | null; model: Promise<T> };
    entry.model = load(file, (info) => {
      entry.version = versionOf(versions, file, () => statVersion(info));
    });
    // A load that failed before it opened the file (not found) is of the file as missing.
    entry.model.catch(() => undefined).finally(() => (entry.version ??= 'missing'));
    cached = entry;
    return entry.model;
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
  // The compose model (and yaml) is loaded only for a compose target: as compose runs it, on top
  // of the files compose reads before it when it is their override.
  const compose =
    target.kind === 'compose'
      ? cachedByVersion(target.path, async (file, seen) => {
          const [{ loadCompose }, { earlierServices }] = await Promise.all([import('../compose/model.js'), import('../compose/later-files.js')]);
          return loadCompose(file, seen, await earlierServices({ env: sources.env, probe: sources.probe }, file));
        })
      : undefined;
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
