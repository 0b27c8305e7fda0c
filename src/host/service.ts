/**
 * Service control: restart or reload dockerd through --restart-command, systemd, OpenRC or SysV,
 * wait for it to answer, and the checks a daemon.json change must pass before it is written.
 */
import { existsSync } from 'node:fs';
import type { DaemonControl } from '../core/runner.js';
import type { HostFacts } from './facts.js';
import { describeRestartImpact, restartImpact } from './restart-impact.js';
import type { Proposal } from '../core/step.js';
import { UserError } from '../core/errors.js';
import { splitCommand } from '../args.js';
import { createHostFacts } from './client.js';
import { normalizeSocketPath, socketPathOf } from './endpoints.js';
import { systemProbe } from '../core/probe.js';
import { keyUnsupportedBy, keysNotInInfo, notLiveKeys } from './daemon-schema.js';
import { daemonFlagConflicts, describeConflict, parseDaemonConfig, startProblems } from './daemon-validate.js';
import { effectiveDaemonSetting, loadDaemonView, viewFlags } from './daemon-view.js';
import { flagBoolean, flagConfigKey, parseDaemonArgs, splitExecStart } from './flags.js';
import { unitDirective } from './units.js';

export interface ServiceOptions {
  restartCommand?: string;
  host: HostFacts;
  /** Service manager override (tests); found from the machine otherwise. */
  manager?: 'systemd' | 'openrc' | 'sysv';
  env?: Readonly<Record<string, string | undefined>>;
}

/** No dockerd process for this long after a restart: it exited (a service manager restarts it sooner). */
const EXITED_AFTER_MS = 5000;

/** The service manager running on this machine, judged from what it leaves in /run and /etc. */
export function detectManager(): 'systemd' | 'openrc' | 'sysv' | null {
  if (existsSync('/run/systemd/system')) return 'systemd';
  if (existsSync('/run/openrc')) return 'openrc';
  if (existsSync('/etc/init.d/docker')) return 'sysv';
  return null;
}

function isSystemSocket(endpoint: string): boolean {
  const socket = socketPathOf(endpoint);
  return socket !== null && normalizeSocketPath(socket) === '/run/docker.sock';
}

async function runOrFail(argv: string[], what: string): Promise<void> {
  // execa is loaded on first use: a check that runs no command never pays for it.
  const { execa } = await import('execa');
  // Its own process group: a Ctrl-C or a hang-up meant for docker-harden must not stop a restart
  // half-way (dockerd stopped, not yet started); docker-harden waits for it instead.
  const result = await execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore', timeout: 5 * 60_000, detached: true });
  if (result.exitCode !== 0) {
    const out = String(result.stderr || result.stdout).trim().slice(0, 500);
    throw new Error(`${what} \`${argv.join(' ')}\` failed (exit ${result.exitCode ?? 'killed'})${out ? `: ${out}` : ''}`);
  }
}

/**
 * How dockerd is restarted here: the --restart-command, or the service manager. Undefined when
 * there is no way (no manager, or a remote daemon and no --restart-command): the runner then says
 * to pass --restart-command before anything is written.
 */
export function createDaemonControl(options: ServiceOptions): DaemonControl | undefined {
  const { host } = options;
  const custom = options.restartCommand ? splitCommand(options.restartCommand) : null;
  if (custom && custom.length === 0) throw new UserError('--restart-command is empty', 'For example: --restart-command "systemctl restart docker"');
  const manager = custom ? null : (options.manager ?? detectManager());
  // The service manager runs the system daemon: without --restart-command, only its socket may be
  // restarted that way (a second daemon on another socket is not the service's).
  if (!custom && (!manager || !isSystemSocket(host.endpoint))) return undefined;

  const restart = async () => {
    if (custom) return runOrFail(custom, 'the restart command');
    switch (manager) {
      case 'systemd':
        return runOrFail(['systemctl', 'restart', 'docker'], 'restarting dockerd with');
      case 'openrc':
        return runOrFail(['rc-service', 'docker', 'restart'], 'restarting dockerd with');
      default:
        return runOrFail(['service', 'docker', 'restart'], 'restarting dockerd with');
    }
  };

  // Whether dockerd's process could be told apart before the restart: only then does its absence
  // afterwards mean it exited, and waitReady may give up early instead of waiting out the bound.
  let processKnown = false;

  const restartCommand = options.restartCommand ?? (manager === 'systemd' ? 'systemctl restart docker' : manager === 'openrc' ? 'rc-service docker restart' : 'service docker restart');
  return {
    async restartImpact(configAfter) {
      // Fresh: just before a restart the files are written, so the daemon.json read is the next one.
      host.refresh?.();
      const impact = await restartImpact(host, configAfter);
      return impact ? describeRestartImpact(impact) : null;
    },
    async identify() {
      const [config, info] = await Promise.all([host.daemonConfig().catch(() => null), host.info().catch(() => null)]);
      const id = info && typeof info.ID === 'string' && info.ID ? info.ID : undefined;
      return { endpoint: host.endpoint, ...(config ? { configPath: config.path } : {}), restartCommand, ...(id ? { id } : {}) };
    },
    async apply(kind) {
      processKnown = (await host.daemonProcess().catch(() => null)) !== null;
      if (kind === 'reload') {
        // SIGHUP makes dockerd re-read daemon.json for the keys it can change live.
        if (manager === 'systemd') {
          await runOrFail(['systemctl', 'reload', 'docker'], 'reloading dockerd with');
        } else {
          const proc = await host.daemonProcess().catch(() => null);
          if (proc) process.kill(proc.pid, 'SIGHUP');
          else await restart();
        }
      } else {
        await restart();
      }
      host.refresh?.();
    },
    async confirmLive(changes) {
      let configPath = '';
      try {
        configPath = (await host.daemonConfig()).path;
      } catch {
        /* judged by the file name below */
      }
      const change = changes.find((c) => c.path === configPath || /(^|\/)daemon\.json$/.test(c.path));
      if (!change) return { wrong: [], unseen: [] };
      const parse = (text: string | null): Record<string, unknown> => {
        if (!text || !text.trim()) return {};
        try {
          return JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
        } catch {
          return {};
        }
      };
      host.refresh?.();
      const [before, after] = [parse(change.before), parse(change.after)];
      return { wrong: notLiveKeys(before, after, await host.info()), unseen: keysNotInInfo(before, after) };
    },
    async identity() {
      host.refresh?.();
      const proc = await host.daemonProcess().catch(() => null);
      return proc ? `pid ${proc.pid}${proc.startedMs !== undefined ? `, started ${new Date(proc.startedMs).toISOString()}` : ''}` : null;
    },
    async notLive() {
      host.refresh?.();
      const view = await loadDaemonView(host);
      return Object.keys(view.config.value).filter((key) => effectiveDaemonSetting(view, key).pending);
    },
    async waitReady(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last: string;
      let goneSince: number | null = null;
      for (;;) {
        // A fresh client each time: a cached answer from the old daemon proves nothing.
        const probeHost = createHostFacts({
          dockerHost: host.endpoint,
          env: options.env ?? process.env,
          probe: systemProbe(options.env ?? process.env),
          timeoutMs: Math.max(1000, Math.min(5000, deadline - Date.now())),
        });
        try {
          await probeHost.ping();
          await probeHost.info();
          host.refresh?.();
          return;
        } catch (err) {
          last = err instanceof Error ? err.message : String(err);
        }
        if (processKnown) {
          const running = await probeHost.daemonProcess().catch(() => null);
          if (running) goneSince = null;
          else if (goneSince === null) goneSince = Date.now();
          else if (Date.now() - goneSince >= EXITED_AFTER_MS) {
            throw new Error(`dockerd is not running: it exited after the restart (${last}); its log says why (journalctl -u docker)`);
          }
        }
        if (Date.now() >= deadline) throw new Error(`dockerd did not answer within ${Math.round(timeoutMs / 1000)} s (${last})`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
  };
}

/** The daemon.json a proposal writes, if any: the change whose path is the located daemon.json. */
async function daemonConfigChange(host: HostFacts, proposal: Proposal) {
  if (proposal.changes.length === 0) return null;
  let configPath: string;
  try {
    configPath = (await host.daemonConfig()).path;
  } catch {
    // The current file is invalid: any change to a daemon.json is judged on its own text below.
    configPath = '';
  }
  return proposal.changes.find((c) => c.path === configPath || /(^|\/)daemon\.json$/.test(c.path)) ?? null;
}

/**
 * Checks a proposal must pass before anything is written: the new daemon.json is what dockerd
 * accepts (plain JSON, known keys, right types, keys this Engine knows), no key is also given as
 * a flag (on the running command line or in the unit), and no pair of keys dockerd refuses.
 */
export async function daemonBeforeWrite(host: HostFacts, proposal: Proposal): Promise<void> {
  const change = await daemonConfigChange(host, proposal);
  const dropIn = proposal.changes.find((c) => /docker\.service\.d\/[^/]+\.conf$/.test(c.path));
  if (!change && !dropIn) return;
  // A drop-in alone is judged against the daemon.json as it is.
  const current = change ? null : await host.daemonConfig();
  const configPath = change?.path ?? current!.path;
  const [proc, units, version] = await Promise.all([
    host.daemonProcess().catch(() => null),
    host.serviceUnits().catch(() => null),
    host.version().catch(() => null),
  ]);
  const value = change ? parseDaemonConfig(change.after, change.path, version?.Version) : current!.value;
  // A drop-in written by the same proposal replaces the unit's ExecStart, and with it the command
  // line dockerd gets at the restart: judge against the new one.
  let flags = viewFlags({ process: proc, units });
  if (dropIn) {
    const exec = unitDirective([{ path: dropIn.path, text: dropIn.after }], 'Service', 'ExecStart');
    const last = exec[exec.length - 1];
    if (last) {
      const where = dropIn.path;
      flags = parseDaemonArgs(splitExecStart(last).slice(1)).map((flag) => ({ flag, source: 'unit' as const, where }));
    }
  }
  const conflicts = daemonFlagConflicts(flags, value);
  if (conflicts.length > 0) {
    throw new UserError(
      `${describeConflict(conflicts[0]!, configPath)}; nothing was written`,
      'Keep the setting in one place: remove the flag (a systemd drop-in) or leave the key out of daemon.json.',
      configPath,
    );
  }
  const engine = (version?.Version as string | undefined) ?? undefined;
  for (const key of Object.keys(value)) {
    const problem = keyUnsupportedBy(key, engine);
    if (problem) throw new UserError(`${problem}: dockerd would refuse to start; nothing was written`, 'Leave the key out, or upgrade Docker Engine first.', configPath);
  }
  // Flags count too for the pairs dockerd refuses (e.g. --iptables=false with "icc": false).
  const merged: Record<string, unknown> = { ...value };
  for (const f of flags) {
    const key = flagConfigKey(f.flag.name);
    if (key === 'icc' || key === 'iptables' || key === 'userland-proxy') merged[key] = flagBoolean(f.flag);
  }
  const problems = startProblems(merged);
  if (problems.length > 0) throw new UserError(`${problems[0]}; nothing was written`, undefined, configPath);
}
