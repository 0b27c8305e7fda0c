/** Builds the Context a step sees for one target, with every source lazy and cached. */
import type { Context, Target } from './step.js';
import type { HostFacts } from '../host/facts.js';
import type { Probe } from './probe.js';
import { loadDockerfile, type DockerfileModel } from '../dockerfile/model.js';
import { loadCompose, type ComposeModel } from '../compose/model.js';

export interface ContextSources {
  env: Readonly<Record<string, string | undefined>>;
  host: HostFacts;
  probe: Probe;
  learn?: boolean;
}

export function createContext(target: Target, sources: ContextSources): Context {
  let dockerfile: Promise<DockerfileModel> | undefined;
  let compose: Promise<ComposeModel> | undefined;
  return {
    target,
    env: sources.env,
    host: sources.host,
    probe: sources.probe,
    learn: sources.learn ?? false,
    dockerfile() {
      if (target.kind !== 'dockerfile') return Promise.reject(new Error('this step needs a Dockerfile target'));
      return (dockerfile ??= loadDockerfile(target.path));
    },
    compose() {
      if (target.kind !== 'compose') return Promise.reject(new Error('this step needs a compose target'));
      return (compose ??= loadCompose(target.path));
    },
  };
}
