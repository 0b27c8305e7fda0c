/**
 * The daemon side of the host steps: the effective configuration (daemon.json, dockerd's flags,
 * the service unit, docker info; gathered by the host layer), an invalid daemon.json turned into
 * a finding instead of an abort, and the daemon.json FileChange of a proposal.
 */
import type { Context, FileChange, Finding } from '../../src/core/step.js';
import type { DaemonConfigFile } from '../../src/host/facts.js';
import type { DaemonView, EffectiveSetting } from '../../src/host/daemon-view.js';
import { UserError } from '../../src/core/errors.js';

export interface HostDaemon {
  /** null when daemon.json is invalid; `problem` then says where and why. */
  view: DaemonView | null;
  problem: Finding | null;
}

export async function hostDaemon(ctx: Context): Promise<HostDaemon> {
  try {
    return { view: await ctx.daemon(), problem: null };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return {
      view: null,
      problem: {
        code: 'DH-DAEMON-JSON-INVALID',
        message: `daemon.json cannot be read as dockerd reads it: ${err.message}${err.hint ? ` (${err.hint})` : ''}; docker-harden will not change it until it is fixed`,
        severity: 'high',
        ...(err.file ? { file: err.file } : {}),
        ...(err.line ? { line: err.line } : {}),
        ...(err.column ? { column: err.column } : {}),
      },
    };
  }
}

/** The effective value of a daemon.json key (file, flags, live), or null when daemon.json is invalid. */
export async function setting(daemon: HostDaemon, key: string): Promise<EffectiveSetting | null> {
  if (!daemon.view) return null;
  const { effectiveDaemonSetting } = await import('../../src/host/daemon-view.js');
  return effectiveDaemonSetting(daemon.view, key);
}

export async function locationOf(s: EffectiveSetting): Promise<{ file?: string; line?: number; column?: number }> {
  const { findingLocation } = await import('../../src/host/daemon-view.js');
  return findingLocation(s);
}

/** True when a flag on dockerd's command line or in its unit sets the key (a file edit would conflict). */
export function setByFlag(s: EffectiveSetting | null): boolean {
  return Boolean(s && (s.cmdline.length > 0 || s.unit.length > 0));
}

/**
 * The daemon.json change setting (value) or removing (undefined) top-level keys, format-preserving.
 * The file is created when it does not exist.
 */
export async function daemonConfigChange(config: DaemonConfigFile, edits: { key: string; value: unknown }[]): Promise<FileChange> {
  const { editDaemonConfig } = await import('../../src/host/daemon-edit.js');
  const json = edits.map((e) => ({ path: [e.key], value: e.value }));
  return { path: config.path, before: config.text, after: editDaemonConfig(config.text, json), json, ...(config.text === null ? { mode: 0o644 } : {}) };
}
