/**
 * Step 1: keep Docker's secure defaults. On a host: a reachable daemon on a maintained Engine
 * release, seccomp on, no daemon-wide `seccomp-profile: unconfined`, and no running container that
 * switches the defaults off (privileged, unconfined profiles, host namespaces, the Docker socket,
 * writable system directories). In a compose file: the same settings as service keys.
 */
import path from 'node:path';
import { adviceProposal, defineStep, RESTART_STOPS_CONTAINERS, type CodeInfo, statusOf, type CheckResult, type Context, type Finding, type Proposal } from '../src/core/step.js';
import { serviceImage } from '../src/compose/images.js';
import { ENGINE_LINES, ENGINE_RELEASES_CHECKED, ENGINE_RELEASES_SOURCE, judgeEngineVersion, parseEngineVersion } from './lib/engine-releases.js';
import { composeOrigin, containerName, containerWeakenings, keyAt, selinuxActive, serviceWeakenings, socketPathsFor, takenWeakenings, WEAKENINGS, type TakenWeakening, type Weakening, WEAKENING_CODES } from './lib/workload.js';
import { daemonConfigChange, hostDaemon, locationOf, setting, type HostDaemon } from './lib/daemon.js';
import type { EffectiveSetting } from '../src/host/daemon-view.js';
import type { ContainerDetails } from '../src/host/facts.js';
import type { ComposeModel, ComposeService } from '../src/compose/model.js';
import { UserError } from '../src/core/errors.js';
import { safeLine } from '../src/core/sanitize.js';

const SECCOMP_BREAKS =
  'Containers get the default seccomp profile again: a program that needs one of the system calls it blocks (some debuggers and nested sandboxes) fails with "operation not permitted". Start such a container alone with --security-opt seccomp=<a profile that allows that call>.';

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  ...WEAKENING_CODES,
  "DH-ENGINE-UNKNOWN": {
    title: "The Docker Engine release is not known",
    severity: 'info',
    help: "docker-harden cannot place this ServerVersion in its release data. Check docs.docker.com/engine/release-notes for whether it still gets security fixes.",
  },
  "DH-ENGINE-EXTENDED": {
    title: "The Docker Engine release is maintained only by other distributors",
    severity: 'low',
    help: "Docker no longer maintains this release line; a distribution may still patch it. Plan the upgrade to a maintained release.",
  },
  "DH-ENGINE-EOL": {
    title: "The Docker Engine release is out of support",
    severity: 'high',
    help: "This release line gets no security fixes. Upgrade Docker Engine to a maintained release.",
  },
  "DH-SECCOMP-UNSUPPORTED": {
    title: "dockerd has no seccomp support",
    severity: 'high',
    help: "The kernel or dockerd was built without seccomp, so containers run without a system call filter. Use a kernel and a Docker build with seccomp.",
  },
  "DH-SECCOMP-OFF": {
    title: "seccomp is switched off for every container",
    severity: 'high',
    help: "The daemon runs with seccomp-profile \"unconfined\". Remove that setting (daemon.json or the --seccomp-profile flag) so the default profile applies.",
  },
};

export default defineStep({
  meta: {
    id: 'use-docker-defaults',
    order: 1,
    title: "Keep Docker's secure defaults",
    targets: ['host', 'compose'],
    needsDaemon: true,
    summary: 'A maintained Engine with seccomp on, and no container that switches the default confinement off.',
    explain: [
      'Docker starts every container with a set of protections: a seccomp filter that blocks dangerous system calls, an AppArmor or SELinux profile, a reduced set of Linux capabilities, and its own process, network and IPC namespaces. They only help while they stay on, and while the Engine itself still gets security fixes.',
      'This step checks that the daemon answers, that its release line is still maintained (Engine 20.10 stopped getting fixes years ago), that seccomp is active and not switched off for all containers in daemon.json, and that no running container or compose service turns the defaults off: --privileged, seccomp or AppArmor "unconfined", SELinux label=disable, --cap-add ALL or SYS_ADMIN, the host\'s PID, IPC, UTS or network namespace, the Docker socket, or a writable mount of /, /etc, /proc, /sys, /boot, /dev, /usr or /lib. A compose service that takes another\'s volumes (volumes_from) holds that service\'s socket and mounts too, and is named with it.',
      'The fixes remove those settings, one choice each, because each may break something: a monitoring agent that reads host processes, a CI runner that talks to the Docker socket, a tool that needs a blocked system call. Each choice says what it may break. A container started by hand is never recreated here: the step shows which flags to leave out the next time you create it.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Docker Engine security', url: 'https://docs.docker.com/engine/security/' },
      { title: 'Seccomp security profiles for Docker', url: 'https://docs.docker.com/engine/security/seccomp/' },
      { title: 'Docker run reference: runtime privilege and Linux capabilities', url: 'https://docs.docker.com/engine/containers/run/#runtime-privilege-and-linux-capabilities' },
      { title: 'Moby release branches and their maintenance', url: ENGINE_RELEASES_SOURCE },
      { title: 'CIS Docker Benchmark, section 5 (container runtime)', url: 'https://www.cisecurity.org/benchmark/docker' },
    ],
  },

  async check(ctx): Promise<CheckResult<State>> {
    if (ctx.target.kind === 'compose') return checkCompose(ctx);
    return checkHost(ctx);
  },

  async propose(_ctx, result) {
    const state = result.state;
    if (!state) return [];
    return state.target === 'compose' ? proposeCompose(state) : proposeHost(state);
  },
});

// ---------------------------------------------------------------------------------------------
// Host

function versionFinding(serverVersion: string): { finding: Finding | null; note: string } {
  const verdict = judgeEngineVersion(serverVersion);
  const data = `release data checked ${ENGINE_RELEASES_CHECKED}`;
  const current = ENGINE_LINES.filter((l) => l.status === 'maintained').map((l) => l.line).join(', ');
  if (verdict.status === 'unknown') {
    return { finding: { code: 'DH-ENGINE-UNKNOWN', message: `cannot tell which Engine release "${serverVersion}" is`, severity: 'info' }, note: data };
  }
  if (verdict.newer) return { finding: null, note: `Engine ${serverVersion} is newer than the release data (${data})` };
  const line = verdict.line;
  if (verdict.status === 'maintained') return { finding: null, note: `Engine ${serverVersion}: release line ${line!.line} is maintained (${data})` };
  const lineName = line ? `release line ${line.line} (first released ${line.released})` : 'this release line';
  const distro = /dfsg|deb|ubuntu|el\d|fc\d/i.test(serverVersion)
    ? ' A distribution package may carry a few backported fixes, but upstream no longer fixes this line.'
    : '';
  if (verdict.status === 'distributor-only') {
    return {
      finding: {
        code: 'DH-ENGINE-EXTENDED', message: `Docker Engine ${serverVersion}: ${lineName} is maintained only for other distributors${line?.note ? ` (${line.note})` : ''}. Plan the upgrade to a current release (${current}).`,
        severity: 'low',
        evidence: `ServerVersion: ${serverVersion}`,
      },
      note: data,
    };
  }
  return {
    finding: {
      code: 'DH-ENGINE-EOL', message: `Docker Engine ${serverVersion} is out of support: ${lineName} gets no security fixes${line?.endOfMaintenance ? ` since ${line.endOfMaintenance}` : ''}.${distro} Upgrade to a maintained release (${current}).`,
      severity: 'high',
      evidence: `ServerVersion: ${serverVersion}`,
    },
    note: data,
  };
}

/** What check read: the daemon's seccomp setting and each running container's weakenings. */
interface HostState {
  target: 'host';
  daemon: HostDaemon;
  profile: EffectiveSetting | null;
  weakened: { c: ContainerDetails; ws: Weakening[] }[];
}

/** What check read of a compose file: its model and each service's weakenings. */
interface ComposeState {
  target: 'compose';
  model: ComposeModel;
  weakened: { s: ComposeService; ws: Weakening[] }[];
  /** What each service takes from others through volumes_from. */
  taken: { s: ComposeService; taken: TakenWeakening[] }[];
}

type State = HostState | ComposeState;

async function checkHost(ctx: Context): Promise<CheckResult<HostState>> {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const [info, version] = await Promise.all([ctx.host.info(), ctx.host.version().catch(() => null)]);

  const serverVersion = String(version?.Version ?? info.ServerVersion ?? '');
  const v = versionFinding(serverVersion);
  if (v.finding) findings.push(v.finding);
  notes.push(v.note);

  const securityOptions = info.SecurityOptions ?? [];
  const seccomp = securityOptions.find((o) => o.startsWith('name=seccomp'));
  if (!seccomp) {
    findings.push({
      code: 'DH-SECCOMP-UNSUPPORTED', message: 'seccomp is not active: the daemon lists no seccomp support, so containers run without a system call filter (the kernel or dockerd was built without it)',
      severity: 'high',
      evidence: `SecurityOptions: ${securityOptions.join(' ') || '(none)'}`,
    });
  } else if (/profile=unconfined\b/.test(seccomp)) {
    findings.push({
      code: 'DH-SECCOMP-OFF', message: 'seccomp is switched off for every container: the daemon runs with seccomp-profile "unconfined"',
      severity: 'high',
      evidence: `SecurityOptions: ${seccomp}`,
    });
  }

  const daemon = await hostDaemon(ctx);
  if (daemon.problem) findings.push(daemon.problem);
  const profile = await setting(daemon, 'seccomp-profile');
  // "unconfined" is understood from Engine 23 on (moby#42481); older daemons read it as a file path.
  const understood = (parseEngineVersion(serverVersion)?.[0] ?? Infinity) >= 23;
  if (profile?.file?.value === 'unconfined') {
    findings.push({
      code: 'DH-SECCOMP-OFF', message: understood
        ? 'daemon.json sets "seccomp-profile": "unconfined", which turns seccomp off for every container'
        : `daemon.json sets "seccomp-profile": "unconfined": Engine ${serverVersion} reads that as the path of a profile file and will refuse to start at its next restart (from Engine 23 on it turns seccomp off for every container)`,
      severity: 'high',
      ...(await locationOf({ ...profile, source: profile.file })),
      evidence: '"seccomp-profile": "unconfined"',
    });
  }
  for (const flag of [...(profile?.cmdline ?? []), ...(profile?.unit ?? [])]) {
    if (flag.value !== 'unconfined') continue;
    findings.push({
      code: 'DH-SECCOMP-OFF', message: 'dockerd is started with --seccomp-profile=unconfined, which turns seccomp off for every container',
      severity: 'high',
      ...(flag.file ? { file: flag.file } : {}),
      evidence: flag.where,
    });
  }

  const containers = await ctx.host.containers();
  const sockets = socketPathsFor(ctx.host.endpoint);
  const selinux = await selinuxActive(ctx.probe);
  const weakened = containers.map((c) => ({ c, ws: containerWeakenings(c, sockets, { selinux }) }));
  for (const { c, ws } of weakened) {
    const origin = composeOrigin(c);
    for (const w of ws) {
      findings.push({
        code: w.code, message: w.message + (origin ? ` (started by docker compose, service ${origin.service} in ${origin.files})` : ''),
        severity: w.severity,
        evidence: w.evidence,
      });
    }
  }
  notes.push(`${containers.length} running container${containers.length === 1 ? '' : 's'} inspected`);
  return { status: statusOf(findings), findings, notes, state: { target: 'host', daemon, profile, weakened } };
}

async function proposeHost(state: HostState): Promise<Proposal[]> {
  const proposals: Proposal[] = [];
  const { daemon, profile } = state;
  if (daemon.view && profile?.file?.value === 'unconfined') {
    proposals.push({
      id: 'daemon-seccomp-default',
      kind: 'change',
      risk: 'review',
      title: 'Remove "seccomp-profile": "unconfined" from daemon.json and restart dockerd',
      description: 'dockerd then applies its built-in seccomp profile to every container it starts.',
      changes: [await daemonConfigChange(daemon.view.config, [{ key: 'seccomp-profile', value: undefined }])],
      commands: [],
      daemon: 'restart',
      warnings: [SECCOMP_BREAKS, RESTART_STOPS_CONTAINERS],
    });
  }
  const flagged = [...(profile?.cmdline ?? []), ...(profile?.unit ?? [])].find((f) => f.value === 'unconfined');
  if (flagged) {
    const unitFile = profile?.unit[0]?.file ?? daemon.view?.units?.unitFiles.at(-1);
    proposals.push({
      id: 'flag-seccomp-default',
      kind: 'command',
      risk: 'review',
      title: `Remove --seccomp-profile=unconfined from dockerd's command line${unitFile ? ` (${unitFile})` : ''}`,
      description:
        'The flag is set where dockerd is started, not in daemon.json. Edit the service so ExecStart no longer passes it (a drop-in made with `systemctl edit docker.service` keeps the packaged unit intact), then restart dockerd.',
      changes: [],
      commands: [
        { title: 'edit the service', argv: ['systemctl', 'edit', 'docker.service'], run: false },
        { title: 'restart dockerd', argv: ['systemctl', 'restart', 'docker.service'], run: false },
      ],
      warnings: [SECCOMP_BREAKS],
    });
  }

  for (const { c, ws } of state.weakened) {
    if (ws.length === 0) continue;
    const name = containerName(c);
    const origin = composeOrigin(c);
    const flags = ws.map((w) => w.flag);
    proposals.push({
      id: `container-${name}`,
      kind: 'command',
      risk: 'review',
      title: origin
        ? `Container ${name} comes from compose service ${origin.service} (${origin.files}): remove ${flags.join(', ')} there (docker-harden check --compose ${origin.files.split(',')[0]})`
        : `When you next create container ${name}, leave out: ${flags.join(' ')}`,
      description: 'A running container keeps its settings until it is created again; docker-harden never recreates one for you.',
      changes: [],
      commands: [],
      warnings: uniqueBreaks(ws),
    });
  }
  return proposals;
}

function uniqueBreaks(ws: Weakening[]): string[] {
  return [...new Set(ws.map((w) => `${w.flag}: removing it may break this: ${WEAKENINGS[w.kind].breaks}.`))];
}

// ---------------------------------------------------------------------------------------------
// Compose

async function checkCompose(ctx: Context): Promise<CheckResult<ComposeState>> {
  const model = await ctx.compose();
  const findings: Finding[] = [];
  const { laterModelsToReport, lastWritten, fixThere } = await import('../src/compose/later-files.js');
  const later = await laterModelsToReport(ctx, model.path);
  // A weakening a file compose reads after this one turns off (`privileged: false`, a list it
  // replaces with !override or !reset) does not run: not said, nor fixed, here.
  const laterWeakenings = new Map<ComposeModel, Map<string, Weakening[]>>(later.map((m) => [m, new Map(m.services.map((s) => [s.name, serviceWeakenings(s)]))]));
  const turnedOff = (s: ComposeService, w: Weakening): boolean => {
    const decided = lastWritten(later, s.name, w.flag);
    if (!decided) return false;
    const by = later.find((m) => m.path === decided.file)!;
    if (Array.isArray(by.service(s.name)?.value[w.flag]) || Array.isArray(s.value[w.flag])) return decided.tag !== undefined;
    return !laterWeakenings.get(by)!.get(s.name)!.some((lw) => lw.flag === w.flag);
  };
  const weakened = model.services.map((s) => ({ s, ws: serviceWeakenings(s).filter((w) => !turnedOff(s, w)) }));
  const own = new Map(weakened.map(({ s, ws }) => [s, ws]));
  const taken = model.services.map((s) => ({ s, taken: s.volumesFrom.length > 0 ? takenWeakenings(model, s, own) : [] }));
  for (const [i, { s, ws }] of weakened.entries()) {
    for (const w of ws) {
      // Set only in a file compose reads before this one (this file is its override): named there.
      const earlier = s.earlier[w.flag] ? keyAt(model, s, w.flag) : null;
      const read = earlier ? ` (set in ${safeLine(path.relative(path.dirname(model.path), earlier.file))}, which docker compose reads before this file)` : '';
      findings.push({ code: w.code, message: w.message + read, severity: w.severity, ...(earlier ?? { file: model.path, line: w.line }), evidence: w.evidence });
    }
    for (const t of taken[i]!.taken) {
      findings.push({ code: t.weakening.code, message: takenMessage(taken[i]!.s, t), severity: t.weakening.severity, file: model.path, line: t.line, evidence: `volumes_from: ${t.via[0]}` });
    }
  }
  // What a file docker compose reads after this one sets is what runs: its weakenings are named
  // where they are written, where the change belongs (by this run's check of it, when it is a target too).
  for (const [file, byService] of laterWeakenings) {
    const name = safeLine(path.relative(path.dirname(model.path), file.path));
    const read = `set in ${name}, which docker compose reads after this file; ${fixThere(ctx.target as { path: string; label: string }, file.path)}`;
    for (const ws of byService.values()) {
      for (const w of ws) findings.push({ code: w.code, message: `${w.message} (${read})`, severity: w.severity, file: file.path, line: w.line, evidence: w.evidence });
    }
  }
  const notes = [`${model.services.length} service${model.services.length === 1 ? '' : 's'} checked`];
  return { status: model.services.length === 0 ? 'not-applicable' : statusOf(findings), findings, notes, state: { target: 'compose', model, weakened, taken } };
}

/** `service web takes the volumes of service agent (volumes_from): it too has the Docker socket mounted ...`. */
function takenMessage(s: ComposeService, t: TakenWeakening): string {
  const through = t.via.length > 1 ? `, through ${t.via.slice(0, -1).map((n) => `service ${n}`).join(', ')}` : '';
  return `service ${s.name} takes the volumes of service ${t.from.name} (volumes_from${through}): it too ${t.weakening.message.slice(`service ${t.from.name} `.length)}`;
}

/** A mount weakening's mount as written (`/etc:/host-etc`), from its evidence. */
function mountOf(w: Weakening): string {
  return w.evidence.replace(/^volumes: /, '');
}

/** The services that take a weakening of another one's through volumes_from, by that weakening. */
function takersOf(taken: ComposeState['taken']): Map<Weakening, string[]> {
  const out = new Map<Weakening, string[]>();
  for (const { s, taken: list } of taken) for (const t of list) out.set(t.weakening, [...(out.get(t.weakening) ?? []), s.name]);
  return out;
}

async function proposeCompose(state: ComposeState): Promise<Proposal[]> {
  // Loaded here, not at the top: a host or Dockerfile check never needs yaml.
  const { serviceChange } = await import('../src/compose/edit.js');
  const { model } = state;
  const proposals: Proposal[] = [];
  const ids = new Map<string, number>();
  const idFor = (base: string) => {
    const n = (ids.get(base) ?? 0) + 1;
    ids.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  };
  // A mount's target names its fix: fixing one mount first does not renumber the others.
  const itemPart = (w: Weakening) => (w.item ? `-${w.item.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}` : '');
  const takers = takersOf(state.taken);
  for (const [i, { s, ws }] of state.weakened.entries()) {
    const known = serviceImage(s.image);
    for (const t of state.taken[i]!.taken) {
      // Fixed where it is mounted: removing volumes_from would take the other service's data volumes away too.
      const what = t.weakening.kind === 'docker-socket' ? 'the Docker socket' : `the host's ${mountOf(t.weakening)} mount`;
      proposals.push(
        adviceProposal(
          idFor(`${s.name}-${t.weakening.kind}-from-${t.from.name}${itemPart(t.weakening)}`),
          `Service ${s.name}: ${what} comes from service ${t.from.name} (advice; not written)`,
          `Service ${s.name} takes every volume of service ${t.from.name} with volumes_from${t.via.length > 1 ? ` (through ${t.via.slice(0, -1).join(', ')})` : ''}, and ${what} with them. Removing volumes_from would take ${t.from.name}'s data volumes away from ${s.name} as well, so the change belongs in service ${t.from.name}, where the mount is written, and reaches both. Then recreate both (docker compose up -d ${t.from.name} ${s.name}).`,
        ),
      );
    }
    for (const w of ws) {
      const id = idFor(`${s.name}-${w.kind}${itemPart(w)}`);
      const socketUser = w.kind === 'docker-socket' ? known?.breaks?.socket : undefined;
      const hostAgent = known?.breaks?.host?.kinds.includes(w.kind) ? known.breaks.host.why : undefined;
      if (socketUser || hostAgent) {
        proposals.push(adviceProposal(id, `Service ${s.name}: ${socketUser ? 'the Docker socket stays' : `${w.evidence} stays`} (advice; not written)`, `${s.image}: ${socketUser ?? hostAgent}.`));
        continue;
      }
      const edits = [w.edit!];
      let publish = '';
      if (w.kind === 'network-host') {
        // Leaving the host network, the service is reachable only through published ports.
        const ports = known?.ports.filter((p) => !s.ports.some((q) => String(q.raw) === p)) ?? [];
        if (ports.length) edits.push({ op: 'add', key: 'ports', items: ports });
        publish = known?.ports.length
          ? ` The change publishes the ports ${s.image} serves: ${known.ports.join(', ')} (${known.source}).`
          : ` docker-harden does not know which ports ${s.image ?? 'this service'} serves: add a ports: entry for each before you recreate it.`;
        // Any image may find devices this way (Home Assistant, zigbee2mqtt, Scrypted, ESPHome).
        publish += ' Discovery over broadcast or mDNS (DLNA, HomeKit, Chromecast, ESPHome and other devices on the LAN) stops working without the host network.';
      }
      let change;
      try {
        change = serviceChange(model, s.name, edits);
      } catch (err) {
        // A setting this service cannot drop by itself (it comes from a merge key or the service it
        // extends): said for this service alone; the others' fixes stand.
        if (!(err instanceof UserError)) throw err;
        proposals.push(adviceProposal(id, `Service ${s.name}: ${w.evidence} stays (advice; not written)`, `${err.message}. ${err.hint ?? ''}`.trim()));
        continue;
      }
      const takenBy = takers.get(w) ?? [];
      const recreate = [s.name, ...takenBy].join(' ');
      const one = takenBy.length === 1;
      proposals.push({
        id,
        title: `Service ${s.name}: ${w.does ?? `remove ${w.evidence}`}`,
        // Each of these settings is there because something in the service may use it.
        kind: 'change',
        risk: 'review',
        description: `${WEAKENINGS[w.kind].what[0]!.toUpperCase()}${WEAKENINGS[w.kind].what.slice(1)}.${publish} Recreate ${takenBy.length > 0 ? 'the services' : 'the service'} afterwards (docker compose up -d ${recreate}) for the change to take effect, and check that ${takenBy.length > 0 ? 'they still work' : 'it still works'}.`,
        changes: [change],
        commands: [],
        warnings: [
          `May break: ${WEAKENINGS[w.kind].breaks}.`,
          ...(takenBy.length > 0
            ? [`${takenBy.map((n) => `Service ${n}`).join(', ')} ${one ? 'takes' : 'take'} this service's volumes (volumes_from), so ${one ? 'it' : 'they'} ${w.kind === 'docker-socket' ? `${one ? 'loses' : 'lose'} the Docker socket` : `${one ? 'sees' : 'see'} ${mountOf(w)} read-only`} too: what runs there may break the same way.`]
            : []),
        ],
      });
    }
  }
  return proposals;
}
