/**
 * Changes to how the service starts dockerd, for settings that live in the unit rather than in
 * daemon.json: a systemd drop-in that replaces ExecStart with the flags changed, or the same edit
 * to the ExecStart line of the person's own drop-in when that is the one in force.
 */
import type { CommandAction, FileChange } from '../core/step.js';
import type { DaemonFlag, ServiceUnits } from './facts.js';
import { quoteExecArg, splitExecStart, withoutFlags } from './flags.js';
import { SERVICE_DROP_IN, SOCKET_DROP_IN, unitDirective } from './units.js';

export interface UnitEdit {
  /** Flags to take out of ExecStart. */
  remove: (flag: DaemonFlag) => boolean;
  /** Arguments to add (`--icc=false`). */
  add?: string[];
  /** One line saying why, written as a comment in the drop-in. */
  reason: string;
}

export interface UnitChange {
  change: FileChange;
  commands: CommandAction[];
  /** The ExecStart argv after the change. */
  execStart: string[];
}

const DAEMON_RELOAD: CommandAction = { title: 'Make systemd read the changed unit', argv: ['systemctl', 'daemon-reload'], run: true };

/**
 * The change that edits dockerd's ExecStart, or null when the unit is not systemd's or has no
 * ExecStart. `readText` gives a file's current text (null when absent).
 */
export async function serviceUnitChange(
  units: ServiceUnits,
  edit: UnitEdit,
  readText: (file: string) => Promise<string | null>,
): Promise<UnitChange | null> {
  if (units.manager !== 'systemd' || !units.execStart) return null;
  const execStart = [...withoutFlags(units.execStart, edit.remove), ...(edit.add ?? [])];
  const line = `ExecStart=${execStart.map(quoteExecArg).join(' ')}`;
  const inForce = units.execStartFile ?? null;
  // The person's own drop-in in /etc holds the ExecStart in force: edit that line there, so no
  // later drop-in of theirs overrides ours.
  if (inForce && inForce.startsWith('/etc/systemd/system/docker.service.d/') && inForce !== SERVICE_DROP_IN) {
    const before = await readText(inForce);
    if (before !== null) {
      const after = replaceLastExecStart(before, line);
      if (after !== null) return { change: { path: inForce, before, after }, commands: [DAEMON_RELOAD], execStart };
    }
  }
  const before = await readText(SERVICE_DROP_IN);
  const after = `# Written by docker-harden: ${edit.reason}\n# The empty ExecStart= clears the one from docker.service before setting ours.\n[Service]\nExecStart=\n${line}\n`;
  return { change: { path: SERVICE_DROP_IN, before, after, mode: 0o644 }, commands: [DAEMON_RELOAD], execStart };
}

function replaceLastExecStart(text: string, line: string): string | null {
  const lines = text.split(/(\r?\n)/);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^\s*ExecStart\s*=\s*\S/.test(lines[i]!) && !lines[i]!.trimEnd().endsWith('\\')) {
      lines[i] = line;
      return lines.join('');
    }
  }
  return null;
}

/** A docker.socket drop-in keeping only the ListenStream values `keep` allows. */
export async function socketUnitChange(
  units: ServiceUnits,
  keep: (listen: string) => boolean,
  reason: string,
  readText: (file: string) => Promise<string | null>,
): Promise<UnitChange | null> {
  if (units.manager !== 'systemd' || !units.socketUnitFile) return null;
  const kept = units.socketListen.filter(keep);
  const before = await readText(SOCKET_DROP_IN);
  const after =
    `# Written by docker-harden: ${reason}\n# The empty ListenStream= clears the ones from docker.socket before setting ours.\n[Socket]\nListenStream=\n` +
    kept.map((l) => `ListenStream=${l}\n`).join('');
  return {
    change: { path: SOCKET_DROP_IN, before, after, mode: 0o644 },
    commands: [DAEMON_RELOAD, { title: 'Reopen docker.socket with the new listeners', argv: ['systemctl', 'restart', 'docker.socket'], run: true }],
    execStart: units.execStart ?? [],
  };
}

/** ExecStart of a drop-in's text, split: what the unit will run after the change. */
export function dropInExecStart(path: string, text: string): string[] | null {
  const values = unitDirective([{ path, text }], 'Service', 'ExecStart');
  const last = values[values.length - 1];
  return last ? splitExecStart(last) : null;
}
