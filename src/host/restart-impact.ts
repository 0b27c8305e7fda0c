/**
 * What a dockerd restart does to the containers running now, named, for the confirmation before
 * it and the progress line at it. Seen on a real dockerd 20.10 (test/integration/restart-impact):
 * - live-restore on in the daemon that stops and in the one that starts: they keep running;
 * - off in the daemon that stops: it stops them (SIGTERM, SIGKILL after the stop timeout), and the
 *   new one starts `always` and `unless-stopped` again, `on-failure` only after an error exit;
 * - on in the daemon that stops but off in the one that starts (undoing live-restore): the new one
 *   kills those still running, and starts again only `always` and `on-failure` ones;
 * - userns-remap switched on or off: the new daemon has another data root and never sees them, so
 *   with live-restore they keep running unseen, without it none comes back (test/integration/userns-unseen).
 */
import { safeLine } from '../core/sanitize.js';
import type { ContainerDetails, HostFacts } from './facts.js';

export interface RestartImpact {
  /** live-restore in the daemon that stops, and in the one that starts (its daemon.json and flags). */
  liveRestoreNow: boolean;
  liveRestoreAfter: boolean;
  /**
   * userns-remap in force now differs from what the restarted daemon reads: it keeps its containers
   * in another data root (`<data-root>/<uid>.<gid>`), so it neither restarts nor stops these.
   */
  remapSwitches?: boolean;
  /** Running containers by restart policy. */
  always: string[];
  unlessStopped: string[];
  onFailure: string[];
  none: string[];
}

/** Names listed in one sentence before "and N more": enough to recognise, bounded for a screen. */
const NAMES_SHOWN = 8;

function nameOf(c: ContainerDetails): string {
  return safeLine((c.Name ?? '').replace(/^\//, '') || String(c.Id ?? '').slice(0, 12));
}

function names(list: string[]): string {
  const shown = list.slice(0, NAMES_SHOWN).join(', ');
  return list.length > NAMES_SHOWN ? `${shown} and ${list.length - NAMES_SHOWN} more` : shown;
}

function flagOn(value: string | null | undefined): boolean {
  return value === null || value === 'true';
}

/** live-restore as daemon.json text sets it (null: no file); undefined when it cannot be read. */
export function liveRestoreIn(text: string | null): boolean | undefined {
  if (text === null) return false;
  try {
    const value = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
    return typeof value === 'object' && value !== null && (value as Record<string, unknown>)['live-restore'] === true;
  } catch {
    return undefined;
  }
}

/** Whether daemon.json text sets userns-remap (null: no file); undefined when it cannot be read. */
function remapIn(text: string | null): boolean | undefined {
  if (text === null) return false;
  try {
    const value = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
    const remap = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['userns-remap'] : undefined;
    return typeof remap === 'string' && remap !== '';
  } catch {
    return undefined;
  }
}

/**
 * The impact on this daemon now; null when its containers cannot be listed. `configAfter` is the
 * daemon.json the restarted daemon will read (null: none) when it is not yet on disk (undo asks first).
 */
export async function restartImpact(host: HostFacts, configAfter?: string | null): Promise<RestartImpact | null> {
  try {
    const [info, containers, config, proc] = await Promise.all([
      host.info(),
      host.containers(),
      host.daemonConfig().catch(() => null),
      host.daemonProcess().catch(() => null),
    ]);
    const flag = proc?.flags.find((f) => f.name === 'live-restore');
    const fromFile = configAfter !== undefined ? liveRestoreIn(configAfter) : config ? config.value['live-restore'] === true : undefined;
    const remapFlag = proc?.flags.find((f) => f.name === 'userns-remap');
    const remapAfter = remapFlag ? Boolean(remapFlag.value) : configAfter !== undefined ? remapIn(configAfter) : typeof config?.value['userns-remap'] === 'string' && config.value['userns-remap'] !== '';
    const remapNow = (info.SecurityOptions ?? []).includes('name=userns');
    const impact: RestartImpact = {
      remapSwitches: remapAfter !== undefined && remapAfter !== remapNow,
      liveRestoreNow: info.LiveRestoreEnabled === true,
      liveRestoreAfter: flag ? flagOn(flag.value) : (fromFile ?? info.LiveRestoreEnabled === true),
      always: [],
      unlessStopped: [],
      onFailure: [],
      none: [],
    };
    for (const c of containers) {
      const policy = c.HostConfig?.RestartPolicy?.Name ?? '';
      const list = policy === 'always' ? impact.always : policy === 'unless-stopped' ? impact.unlessStopped : policy === 'on-failure' ? impact.onFailure : impact.none;
      list.push(nameOf(c));
    }
    for (const list of [impact.always, impact.unlessStopped, impact.onFailure, impact.none]) list.sort();
    return impact;
  } catch {
    return null;
  }
}

/** One sentence for a person about to restart dockerd (or watching it happen). */
export function describeRestartImpact(impact: RestartImpact): string {
  const { always, unlessStopped, onFailure, none } = impact;
  const count = always.length + unlessStopped.length + onFailure.length + none.length;
  if (count === 0) return 'No container is running, so restarting dockerd stops none.';
  const all = count === 1 ? 'the running container' : `the ${count} running containers`;
  if (impact.remapSwitches) {
    const everyone = [...always, ...unlessStopped, ...onFailure, ...none].sort();
    return impact.liveRestoreNow
      ? `live-restore is on and userns-remap changes: ${all} keep${count === 1 ? 's' : ''} running, but the restarted dockerd keeps its containers in another data root and no longer sees ${count === 1 ? 'it' : 'them'}: ${names(everyone)}.`
      : `Restarting dockerd stops ${all} (live-restore is off), and none comes back whatever its restart policy: with userns-remap changed the restarted dockerd keeps its containers in another data root: ${names(everyone)}.`;
  }
  if (impact.liveRestoreNow && impact.liveRestoreAfter) return `live-restore is on: ${all} keep${count === 1 ? 's' : ''} running while dockerd restarts.`;
  const parts: string[] = [];
  if (impact.liveRestoreNow) {
    // The daemon that stops leaves them running; the one that starts without live-restore kills them.
    parts.push(`dockerd starts again without live-restore and stops ${all}.`);
    const back = [...always, ...onFailure].sort();
    const stay = [...unlessStopped, ...none].sort();
    if (back.length > 0) parts.push(`Started again by their restart policy (always, on-failure): ${names(back)}.`);
    if (stay.length > 0) parts.push(`Stay stopped until you start them (unless-stopped or no policy): ${names(stay)}.`);
    return parts.join(' ');
  }
  parts.push(`Restarting dockerd stops ${all} (live-restore is off).`);
  const back = [...always, ...unlessStopped].sort();
  if (back.length > 0) parts.push(`Started again by their restart policy (always, unless-stopped): ${names(back)}.`);
  if (onFailure.length > 0) parts.push(`Started again only if they exit with an error when stopped (on-failure): ${names(onFailure)}.`);
  if (none.length > 0) parts.push(`Stay stopped until you start them (no restart policy): ${names(none)}.`);
  return parts.join(' ');
}
