/**
 * How dockerd is started by the service manager: systemd's docker.service (with drop-ins) and
 * docker.socket, OpenRC's /etc/conf.d/docker, SysV's /etc/default/docker.
 */
import path from 'node:path';
import type { Probe } from '../core/probe.js';
import type { ServiceUnits } from './facts.js';
import { parseDaemonArgs, splitExecStart, splitWords } from './flags.js';

/** systemd unit directories, highest precedence first. */
export const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

/** Where else systemd finds units: made by generators, or transient (systemd-run). */
const GENERATED_UNIT_DIRS = ['/run/systemd/transient', '/run/systemd/generator.early', '/run/systemd/generator', '/run/systemd/generator.late'];

/**
 * Whether systemd has a file for any of `units`: one without a file is never active, so a check
 * of them needs no `systemctl` (a process started for nothing on most hosts).
 */
export async function anyUnitFile(probe: Probe, units: readonly string[]): Promise<boolean> {
  for (const dir of [...UNIT_DIRS, ...GENERATED_UNIT_DIRS]) {
    for (const unit of units) if (await probe.stat(path.join(dir, unit))) return true;
  }
  return false;
}

/** The drop-in docker-harden writes when a setting belongs in the unit. */
export const DROP_IN_NAME = 'docker-harden.conf';
export const SERVICE_DROP_IN = `/etc/systemd/system/docker.service.d/${DROP_IN_NAME}`;
export const SOCKET_DROP_IN = `/etc/systemd/system/docker.socket.d/${DROP_IN_NAME}`;

export interface UnitText {
  path: string;
  text: string;
}

/** Values of `Key=` in a section across unit files in order; an empty assignment resets the list. */
export function unitDirective(files: UnitText[], section: string, key: string): string[] {
  return unitDirectiveWithFiles(files, section, key).map((v) => v.value);
}

/** As unitDirective, with the file each value comes from. */
export function unitDirectiveWithFiles(files: UnitText[], section: string, key: string): { value: string; file: string }[] {
  let values: { value: string; file: string }[] = [];
  for (const file of files) {
    let current = '';
    for (const line of joinContinuations(file.text)) {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
      const header = /^\[(.+)\]$/.exec(trimmed);
      if (header) {
        current = header[1]!;
        continue;
      }
      if (current !== section) continue;
      const eq = trimmed.indexOf('=');
      if (eq < 0 || trimmed.slice(0, eq).trim() !== key) continue;
      const value = trimmed.slice(eq + 1).trim();
      if (value === '') values = [];
      else values.push({ value, file: file.path });
    }
  }
  return values;
}

function joinContinuations(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    if (raw.endsWith('\\')) {
      pending += raw.slice(0, -1) + ' ';
      continue;
    }
    out.push(pending + raw);
    pending = '';
  }
  if (pending) out.push(pending);
  return out;
}

/** The unit file and its drop-ins, in the order systemd applies them. */
export async function unitFiles(probe: Probe, unit: string): Promise<UnitText[]> {
  let main: UnitText | null = null;
  for (const dir of UNIT_DIRS) {
    const file = path.join(dir, unit);
    const text = await probe.readText(file);
    if (text !== null) {
      main = { path: file, text };
      break;
    }
  }
  if (!main) return [];
  // Drop-ins: a file name in a higher-precedence directory masks the same name below; all are
  // then applied in file-name order.
  const dropIns = new Map<string, string>();
  for (const dir of [...UNIT_DIRS].reverse()) {
    const dropDir = path.join(dir, `${unit}.d`);
    for (const name of await probe.list(dropDir)) if (name.endsWith('.conf')) dropIns.set(name, path.join(dropDir, name));
  }
  const out: UnitText[] = [main];
  for (const name of [...dropIns.keys()].sort()) {
    const file = dropIns.get(name)!;
    const text = await probe.readText(file);
    if (text !== null) out.push({ path: file, text });
  }
  return out;
}

/** `DOCKER_OPTS="..."` from a shell-style defaults file. */
export function dockerOpts(text: string): string[] {
  let args: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?DOCKER_OPTS\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[1]!.trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    args = splitWords(value);
  }
  return args;
}

async function exists(probe: Probe, file: string): Promise<boolean> {
  return (await probe.stat(file)) !== null;
}

export async function readServiceUnits(probe: Probe): Promise<ServiceUnits> {
  const units: ServiceUnits = { manager: 'none', execStart: null, execStartFlags: [], unitFiles: [], socketListen: [], socketUnitFile: null };
  if (await exists(probe, '/run/systemd/system')) units.manager = 'systemd';
  else if (await exists(probe, '/run/openrc')) units.manager = 'openrc';
  else if (await exists(probe, '/etc/init.d/docker')) units.manager = 'sysv';

  const service = await unitFiles(probe, 'docker.service');
  if (service.length > 0) {
    units.unitFiles = service.map((f) => f.path);
    const exec = unitDirectiveWithFiles(service, 'Service', 'ExecStart');
    const last = exec[exec.length - 1];
    // A unit file on disk says nothing about how dockerd runs unless systemd runs it.
    if (last && units.manager === 'systemd') {
      units.execStartFile = last.file;
      units.execStart = splitExecStart(last.value);
      units.execStartFlags = parseDaemonArgs(units.execStart.slice(1));
    }
  }
  const socket = await unitFiles(probe, 'docker.socket');
  if (socket.length > 0) {
    units.socketUnitFile = socket[0]!.path;
    if (units.manager === 'systemd') units.socketListen = unitDirective(socket, 'Socket', 'ListenStream');
  }
  if (units.manager === 'openrc' || units.manager === 'sysv') {
    const conf = units.manager === 'openrc' ? '/etc/conf.d/docker' : '/etc/default/docker';
    const text = await probe.readText(conf);
    if (text !== null) {
      units.unitFiles = [conf];
      units.execStartFile = conf;
      units.execStartFlags = parseDaemonArgs(dockerOpts(text));
    }
  }
  return units;
}
