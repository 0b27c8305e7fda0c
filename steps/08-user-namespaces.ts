/**
 * Step 8: user namespace remapping. Root in a container is then an unprivileged uid on the host.
 * Checks whether dockerd runs with it (`name=userns`), whether daemon.json asks for it, and the
 * remap user's subordinate id ranges. Before proposing `"userns-remap": "default"` it shows the
 * gates: what becomes invisible (real counts), which containers break, the containerd image store.
 */
import path from 'node:path';
import { defineStep, type CodeInfo, statusOf, type CheckResult, type Context, type Finding, type Proposal } from '../src/core/step.js';
import { daemonConfigChange, hostDaemon, locationOf, setByFlag, setting, type HostDaemon } from './lib/daemon.js';
import { showRange, subIdReport, totalCount } from './lib/subids.js';
import { containerName } from './lib/workload.js';
import { safeLine } from '../src/core/sanitize.js';
import type { Probe } from '../src/core/probe.js';

/** Ranges below this size cannot hold the uids an ordinary image uses (nobody is 65534). */
const MIN_SUBIDS = 65536;

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "CIS-2.9": {
    title: "User namespace support is not enabled",
    severity: 'medium',
    help: "Root in a container is root on the host. Set \"userns-remap\" so container root maps to an unprivileged host user (check what breaks first).",
  },
  "DH-USERNS-PENDING": {
    title: "userns-remap is set but not in force",
    severity: 'medium',
    help: "dockerd runs without it until it restarts.",
  },
  "DH-USERNS-NO-RANGE": {
    title: "userns-remap names a user with no subordinate id range",
    severity: 'high',
    help: "dockerd refuses to start. Add a range for the user to /etc/subuid and /etc/subgid.",
  },
  "DH-USERNS-SMALL-RANGE": {
    title: "The subordinate id range is too small",
    severity: 'medium',
    help: "Images with files owned by high uids (nobody is 65534) fail to unpack. Give the user at least 65536 ids.",
  },
  "DH-USERNS-UNSEEN": {
    title: "Containers started before remapping still run, unseen and as root",
    severity: 'high',
    help: "They kept running through the restart (live-restore) but live in the previous data root: docker ps, these checks' daemon view and docker stop no longer reach them. Stop each process and recreate the container on the remapped daemon.",
  },
  "DH-USERNS-OVERLAP": {
    title: "Subordinate id ranges overlap",
    severity: 'medium',
    help: "Container uids are shared with another user's namespaces. Give each user its own range.",
  },
};

export default defineStep({
  meta: {
    id: 'user-namespaces',
    order: 8,
    title: 'Remap root in containers with user namespaces',
    targets: ['host'],
    needsDaemon: true,
    summary: 'dockerd runs with userns-remap, so root in a container is an unprivileged uid on the host.',
    explain: [
      'Without user namespaces, uid 0 in a container is uid 0 on the host: a process that escapes the container, or a file it writes to a mounted host directory, acts as root. With "userns-remap", dockerd maps the container\'s uids onto a range of unprivileged host uids (the remap user\'s subordinate ids in /etc/subuid and /etc/subgid), so root inside is, say, uid 100000 outside.',
      'This step checks whether dockerd runs with remapping (name=userns in docker info), whether daemon.json asks for it without dockerd having been restarted, and whether the remap user has its own, non-overlapping id ranges. With "default", dockerd creates the user "dockremap" and its ranges itself.',
      'What the change may break, shown again before you confirm: dockerd keeps remapped images and containers in a separate directory, so every existing image, container and volume is invisible afterwards (they come back if the change is undone); containers that use --privileged, --pid=host or --network=host no longer start unless they opt out with --userns=host; the containerd image store cannot be used with remapping; files in bind mounts are seen as owned by "nobody" unless their owners are inside the range. A rootless daemon does not need any of this: it already runs in a user namespace.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Isolate containers with a user namespace', url: 'https://docs.docker.com/engine/security/userns-remap/' },
      { title: 'containerd image store: not available with userns-remap (moby#47377)', url: 'https://docs.docker.com/engine/storage/containerd/' },
      { title: 'CIS Docker Benchmark 2.9: enable user namespace support', url: 'https://www.cisecurity.org/benchmark/docker' },
    ],
  },

  async check(ctx) {
    const state = await examine(ctx);
    // What the switch would hide or stop, read now so that propose reads nothing more.
    const gates = state.live || state.rootless ? [] : await gatesFor(ctx, state);
    return { ...state.result, state: { ...state, gates } };
  },

  async propose(_ctx, result) {
    const state = result.state;
    if (!state || state.live || state.rootless) return [];
    const { gates } = state;
    if (state.configured) {
      return [
        {
          id: 'restart-for-userns',
          kind: 'command',
          risk: 'review',
          title: `daemon.json already sets "userns-remap": "${state.configured}"; restart dockerd to make it live`,
          description: 'Nothing needs to change in the file: dockerd reads it when it starts.',
          changes: [],
          commands: [{ title: 'restart dockerd', argv: ['systemctl', 'restart', 'docker.service'], run: false }],
          warnings: gates,
        },
      ];
    }
    if (!state.daemon.view) return [];
    return [
      {
        id: 'userns-remap-default',
        kind: 'change',
        risk: 'review',
        title: 'Set "userns-remap": "default" in daemon.json and restart dockerd',
        description:
          'dockerd creates the user "dockremap" with its own subordinate id ranges and runs every container in a user namespace mapped onto them. Undo puts the old daemon.json back and restarts dockerd; the old images and containers are visible again.',
        changes: [await daemonConfigChange(state.daemon.view.config, [{ key: 'userns-remap', value: 'default' }])],
        commands: [],
        daemon: 'restart',
        warnings: gates,
      } satisfies Proposal,
    ];
  },
});

interface State {
  rootless: boolean;
  live: boolean;
  /** The remap setting in daemon.json or on dockerd's command line. */
  configured: string | null;
  /** The user whose ranges are used: dockremap for "default". */
  remapUser: string;
  daemon: HostDaemon;
  result: CheckResult;
}

async function examine(ctx: Context): Promise<State> {
  const empty = { rootless: false, live: false, configured: null, remapUser: 'dockremap' };
  const info = await ctx.host.info();
  const options = info.SecurityOptions ?? [];
  const daemon = await hostDaemon(ctx);
  const findings: Finding[] = [];
  const notes: string[] = [];
  if (daemon.problem) findings.push(daemon.problem);

  const rootless = options.includes('name=rootless') || (await ctx.host.rootless().catch(() => false));
  if (rootless) {
    return {
      ...empty,
      rootless: true,
      daemon,
      result: {
        status: 'not-applicable',
        findings,
        notes: ['dockerd runs rootless: it and its containers already live in a user namespace, so userns-remap is not needed'],
      },
    };
  }

  const live = options.includes('name=userns');
  const remap = await setting(daemon, 'userns-remap');
  const configured = typeof remap?.value === 'string' && remap.value !== '' ? remap.value : null;
  const byFlag = setByFlag(remap);
  const remapName = (configured ?? 'default').split(':')[0]!;
  const remapUser = remapName === 'default' ? 'dockremap' : remapName;

  if (live) {
    notes.push(`dockerd runs with user namespace remapping${configured ? ` ("userns-remap": "${configured}")` : ''}`);
    const unseen = await unseenContainers(ctx.probe, info.DockerRootDir);
    if (unseen.length > 0) {
      findings.push({
        code: 'DH-USERNS-UNSEEN',
        message: `${unseen.length === 1 ? '1 container' : `${unseen.length} containers`} started before remapping still ${unseen.length === 1 ? 'runs' : 'run'} outside it, unseen by docker ps: ${listNames(unseen.map((c) => `${c.name} (pid ${c.pid}, uid ${c.uid ?? '?'})`))}`,
        severity: 'high',
        file: path.join(path.dirname(info.DockerRootDir!), 'containers'),
        evidence: `Stop each process (kill ${unseen.slice(0, NAMES_SHOWN).map((c) => c.pid).join(' ')}), then recreate the container on this daemon (docker run or docker compose up again, with the images pulled or built anew). Or undo the change, docker stop them, apply it again and recreate them.`,
      });
    }
  } else if (configured) {
    findings.push({
      code: 'DH-USERNS-PENDING', message: `"userns-remap": "${configured}" is set${byFlag ? " on dockerd's command line" : ' in daemon.json'} but dockerd runs without it: it takes effect when dockerd restarts`,
      severity: 'medium',
      ...(remap ? await locationOf(remap) : {}),
      evidence: `SecurityOptions: ${options.join(' ') || '(none)'}`,
    });
  } else {
    findings.push({
      code: 'CIS-2.9', fixedBy: 'userns-remap-default', message: 'user namespace remapping is off: root in a container is root (uid 0) on the host',
      severity: 'medium',
      evidence: `SecurityOptions: ${options.join(' ') || '(none)'}`,
    });
  }

  // The remap user's subordinate ids: what dockerd needs to start with remapping.
  // "user:group" names the group whose /etc/subgid ranges are used.
  const remapGroup = remapName === 'default' ? 'dockremap' : (configured?.split(':')[1] ?? remapUser);
  const uid = await ctx.probe.userId(remapUser);
  const gid = await ctx.probe.groupId(remapGroup);
  for (const [file, owner, id] of [['/etc/subuid', remapUser, uid], ['/etc/subgid', remapGroup, gid]] as const) {
    const report = await subIdReport(ctx.probe, file, owner, id);
    if (report.mine.length === 0) {
      if (remapName === 'default') {
        notes.push(
          uid === null
            ? `${file}: no ranges for dockremap yet; dockerd creates the user and its ranges when it starts with "default"`
            : `${file}: no ranges for dockremap yet; dockerd adds them (usermod) when it starts with "default"`,
        );
      } else if (configured) {
        findings.push({
          code: 'DH-USERNS-NO-RANGE', message: `no range for "${owner}", named by userns-remap: dockerd refuses to start with this setting`,
          severity: 'high',
          file,
          evidence: `add a line such as ${owner}:100000:${MIN_SUBIDS} (a range no other entry uses)`,
        });
      }
      continue;
    }
    const count = totalCount(report.mine);
    if (count < MIN_SUBIDS) {
      findings.push({
        code: 'DH-USERNS-SMALL-RANGE', message: `only ${count} ids for "${owner}": images with files owned by higher uids (nobody is 65534) fail to unpack`,
        severity: 'medium',
        file,
        line: report.mine[0]!.line,
        evidence: report.mine.map(showRange).join(', '),
      });
    }
    for (const o of report.overlaps) {
      findings.push({
        code: 'DH-USERNS-OVERLAP', message: `the range of "${owner}" overlaps the range of "${o.other.owner}", so container uids are shared with that user's namespaces`,
        severity: 'medium',
        file,
        line: o.mine.line,
        evidence: `${showRange(o.mine)} overlaps ${showRange(o.other)} (line ${o.other.line})`,
      });
    }
  }

  const status = live && findings.length === 0 ? 'pass' : statusOf(findings);
  return { rootless: false, live, configured, remapUser, daemon, result: { status, findings, notes } };
}

/** The warnings shown before the switch, with this host's real numbers and names. */
async function gatesFor(ctx: Context, state: State): Promise<string[]> {
  const info = await ctx.host.info();
  const [images, volumes, running] = await Promise.all([
    ctx.host.images().then((l) => l.length),
    ctx.host.volumeCount(),
    ctx.host.containers(),
  ]);
  const containers = typeof info.Containers === 'number' ? info.Containers : running.length;
  const root = info.DockerRootDir ?? '/var/lib/docker';
  const gates = [
    `${images} image${images === 1 ? '' : 's'}, ${containers} container${containers === 1 ? '' : 's'} and ${volumes} volume${volumes === 1 ? '' : 's'} become invisible after the switch: the remapped daemon keeps its data in a new directory under ${root}. Pull or rebuild the images and recreate the containers afterwards; undoing the change brings the old ones back.`,
  ];
  if (running.length > 0) {
    const names = listNames(running.map((c) => safeLine(containerName(c))));
    const liveRestore = info.LiveRestoreEnabled === true || (await setting(state.daemon, 'live-restore'))?.value === true;
    gates.push(
      liveRestore
        ? `live-restore is on, so the running containers keep running through the restart, still as root, but unseen: docker ps and docker stop on the remapped daemon no longer reach them: ${names}. Stop them before applying and recreate them afterwards (this step's check names any still running).`
        : `The restart stops the running containers and none of them comes back, whatever its restart policy (they stay in the old data root): ${names}. Recreate them afterwards.`,
    );
  }
  const breaking: string[] = [];
  const optedOut: string[] = [];
  for (const c of running) {
    const hc = c.HostConfig ?? {};
    const why: string[] = [];
    if (hc.Privileged) why.push('--privileged');
    if (hc.PidMode === 'host') why.push('--pid=host');
    if (hc.NetworkMode === 'host') why.push('--network=host');
    if (hc.UsernsMode === 'host') optedOut.push(containerName(c));
    else if (why.length) breaking.push(`${containerName(c)} (${why.join(', ')})`);
  }
  if (breaking.length) {
    gates.push(
      `These containers will not start with remapping: ${breaking.join('; ')}. Each would need --userns=host, which opts it out of the protection again.`,
    );
  }
  if (optedOut.length) gates.push(`These containers use --userns=host and stay without remapping: ${optedOut.join(', ')}.`);
  const driverType = (info.DriverStatus as [string, string][] | undefined)?.find(([k]) => k === 'driver-type')?.[1];
  const containerdStore = driverType === 'io.containerd.snapshotter.v1' || (state.daemon.view?.config.value.features as Record<string, unknown> | undefined)?.['containerd-snapshotter'] === true;
  if (containerdStore) {
    gates.push(
      `This daemon uses the containerd image store (storage driver ${info.Driver ?? '?'}${driverType ? `, ${driverType}` : ''}), which cannot be used with userns-remap: with remapping dockerd uses the classic storage drivers, and "containerd-snapshotter": true in features must go.`,
    );
  }
  // The remapped root must be able to walk down to its directory under the data root: dockerd
  // opens the data root itself (chmod 0711) but refuses to start when a directory above it is closed.
  const closed: string[] = [];
  for (let dir = path.dirname(root); dir !== '/' && dir !== '.'; dir = path.dirname(dir)) {
    const s = await ctx.probe.stat(dir);
    if (s?.isDirectory && (s.mode & 0o001) === 0) closed.push(`${dir} (mode ${(s.mode & 0o777).toString(8).padStart(4, '0')})`);
  }
  if (closed.length) {
    gates.push(
      `dockerd will refuse to start with remapping: ${closed.reverse().join(', ')} ${closed.length === 1 ? 'does' : 'do'} not let others pass (o+x), so the remapped root cannot reach its data under ${root}. Run chmod o+x on ${closed.length === 1 ? 'it' : 'them'} first (the change is rolled back if dockerd does not start).`,
    );
  }
  if (state.remapUser === 'dockremap' && (await ctx.probe.userId('dockremap')) === null && !(await ctx.probe.which('useradd'))) {
    gates.push('dockerd creates the user "dockremap" with useradd, which is not installed here: create the user and its /etc/subuid and /etc/subgid ranges first, or dockerd will not start (the change is then rolled back).');
  }
  gates.push('Files in bind mounts owned by host users outside the range appear as "nobody" inside containers; give them to the mapped uid (for root in the container, the first id of the range) where containers must write.');
  return gates;
}

/** Names listed before "and N more": enough to recognise, bounded for a screen. */
const NAMES_SHOWN = 8;
/** Container folders read in the previous data root: a server holds far fewer. */
const MAX_CONTAINER_DIRS = 2000;

function listNames(names: string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).join(', ');
  return names.length > NAMES_SHOWN ? `${shown} and ${names.length - NAMES_SHOWN} more` : shown;
}

export interface UnseenContainer {
  id: string;
  name: string;
  pid: number;
  /** The process's real uid on the host (0: root), null when /proc does not say. */
  uid: number | null;
}

/**
 * Containers of the daemon as it was before remapping that still run. dockerd 20.10 keeps a
 * remapped daemon's data in `<data-root>/<uid>.<gid>`, so the previous containers are the folders
 * in `<data-root>/containers`. One counts only when its recorded process is alive and that process
 * is in the container's own cgroup (its id in /proc/PID/cgroup): a recorded pid reused by another
 * process is not taken for the container.
 */
export async function unseenContainers(probe: Probe, rootDir: string | undefined): Promise<UnseenContainer[]> {
  if (!rootDir || !/^\d+\.\d+$/.test(path.basename(rootDir))) return [];
  const dir = path.join(path.dirname(rootDir), 'containers');
  const ids = (await probe.list(dir)).filter((n) => /^[0-9a-f]{64}$/.test(n)).slice(0, MAX_CONTAINER_DIRS);
  const found: UnseenContainer[] = [];
  for (const id of ids) {
    const text = await probe.readText(path.join(dir, id, 'config.v2.json'));
    if (!text) continue;
    let config: { Name?: unknown; State?: { Running?: unknown; Pid?: unknown } };
    try {
      config = JSON.parse(text) as typeof config;
    } catch {
      continue;
    }
    const pid = config.State?.Pid;
    if (config.State?.Running !== true || typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) continue;
    const cgroup = await probe.readText(`/proc/${pid}/cgroup`);
    if (!cgroup?.includes(id)) continue;
    const status = await probe.readText(`/proc/${pid}/status`);
    const uid = status?.match(/^Uid:\s+(\d+)/m)?.[1];
    const name = typeof config.Name === 'string' ? config.Name.replace(/^\//, '') : '';
    found.push({ id, name: safeLine(name || id.slice(0, 12)), pid, uid: uid === undefined ? null : Number(uid) });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
