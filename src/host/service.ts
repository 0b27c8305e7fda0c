// PLACEHOLDER: service control (systemd, OpenRC, SysV, --restart-command) is built here.
import type { DaemonControl } from '../core/runner.js';
import type { HostFacts } from './facts.js';
import type { Proposal } from '../core/step.js';

export interface ServiceOptions {
  restartCommand?: string;
  host: HostFacts;
}

export function createDaemonControl(_options: ServiceOptions): DaemonControl | undefined {
  return undefined;
}

/** Checks a proposal must pass before a daemon.json is written: valid for dockerd, no flag conflicts. */
export async function daemonBeforeWrite(_host: HostFacts, _proposal: Proposal): Promise<void> {}
