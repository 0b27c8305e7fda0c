/**
 * Step 12: rootless Docker. Passes when dockerd runs rootless. Otherwise it checks the
 * prerequisites for the person's own user (newuidmap, subordinate ids, cgroup v2 with systemd,
 * unprivileged user namespaces) and what of the current workload would not run rootless, and
 * shows the set-up commands in order, each marked with the user who runs it. Nothing here is run
 * by docker-harden: the set-up must run as that user, and stopping the rootful daemon is the
 * person's own, separate decision.
 */
import { defineStep, type CodeInfo, type CheckResult, type CommandAction, type Context, type Finding, type Proposal } from '../src/core/step.js';
import { parseSubIds, showRange, subIdReport, totalCount } from './lib/subids.js';
import { containerName, publishedPorts } from './lib/workload.js';

const MIN_SUBIDS = 65536;
// Written out, not toLocaleString: the first Intl call costs a check 20 ms of ICU start-up.
const MIN_SUBIDS_TEXT = '65,536';
const DEBIAN_SETUPTOOL = '/usr/share/docker.io/contrib/dockerd-rootless-setuptool.sh';

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "CIS-2.1": {
    title: "dockerd runs as root",
    severity: 'low',
    help: "A break-out from the daemon or a container gets root on the host. Consider rootless Docker for users who do not need root.",
  },
  "DH-ROOTLESS-NO-USER": {
    title: "No ordinary user to run rootless Docker for",
    severity: 'info',
    help: "Run docker-harden with sudo from that user's account to see the set-up for it.",
  },
  "DH-ROOTLESS-UIDMAP": {
    title: "newuidmap/newgidmap are not installed",
    severity: 'info',
    help: "Install the uidmap package; rootless Docker needs it to map user ids.",
  },
  "DH-ROOTLESS-SUBIDS": {
    title: "Too few subordinate ids for rootless Docker",
    severity: 'info',
    help: "Give the user at least 65536 ids in /etc/subuid and /etc/subgid.",
  },
  "DH-ROOTLESS-CGROUP-V1": {
    title: "The host uses cgroup v1",
    severity: 'info',
    help: "Rootless containers run but resource limits are ignored; they need cgroup v2 with systemd.",
  },
  "DH-ROOTLESS-NO-SYSTEMD": {
    title: "systemd is not running",
    severity: 'info',
    help: "The per-user service cannot be installed; start dockerd-rootless.sh another way.",
  },
  "DH-ROOTLESS-USERNS-OFF": {
    title: "Unprivileged user namespaces are switched off",
    severity: 'info',
    help: "Set kernel.unprivileged_userns_clone=1, or rootless Docker cannot start.",
  },
  "DH-ROOTLESS-USERNS-ZERO": {
    title: "User namespaces are limited to none",
    severity: 'info',
    help: "Raise user.max_user_namespaces, or rootless Docker cannot start.",
  },
  "DH-ROOTLESS-APPARMOR": {
    title: "AppArmor blocks rootlesskit",
    severity: 'info',
    help: "Install an AppArmor profile for rootlesskit that allows user namespaces (Ubuntu 24.04 and later).",
  },
  "DH-ROOTLESS-WORKLOAD": {
    title: "A container would not carry over to rootless Docker as it is",
    severity: 'info',
    help: "The message names what does not work rootless (privileged ports, host paths, ...); change it before moving.",
  },
};

export default defineStep<State>({
  meta: {
    id: 'rootless-docker',
    order: 12,
    title: 'Run the Docker daemon rootless',
    targets: ['host'],
    needsDaemon: true,
    summary: 'dockerd and its containers run as an ordinary user, so a daemon or container escape does not give root.',
    explain: [
      'A normal Docker daemon runs as root, and so does anything that breaks out of it or of a container. In rootless mode, dockerd and every container run inside a user namespace owned by an ordinary user: an escape ends up as that user, not as root. It goes further than userns-remap, which still runs the daemon as root.',
      'This step checks whether dockerd already runs rootless. If not, it checks what rootless mode needs for your user (the one who ran sudo): newuidmap and newgidmap (package uidmap), at least 65,536 subordinate user and group ids, cgroup v2 with systemd (otherwise limits such as --memory do not work), and unprivileged user namespaces allowed by the kernel (including the AppArmor restriction of Ubuntu 24.04). It also lists what of your current containers would not work rootless: ports below 1024, --network host, AppArmor profiles, overlay networks.',
      'The set-up is shown as commands in order, marked with who runs each: docker-harden does not run them, because the main one must run as your user in a login session. Images, containers and volumes of the root daemon are not shared with the rootless one: pull or build them again and recreate containers there. Stopping the root daemon is a separate, last choice, for when the rootless daemon runs everything.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Rootless mode', url: 'https://docs.docker.com/engine/security/rootless/' },
      { title: 'Rootless mode: known limitations and troubleshooting', url: 'https://docs.docker.com/engine/security/rootless/troubleshoot/' },
      { title: 'Rootless containers: AppArmor on Ubuntu 24.04', url: 'https://rootlesscontaine.rs/getting-started/common/apparmor/' },
    ],
  },

  async check(ctx) {
    const state = await examine(ctx);
    return { ...state.result, state };
  },

  async propose(ctx, result) {
    const state = result.state;
    if (!state || state.rootless || !state.user) return [];
    return proposalsFor(ctx, state);
  },
});

interface TargetUser {
  name: string;
  uid: number;
  /** How it was chosen, for the notes. */
  how: string;
}

interface State {
  rootless: boolean;
  user: TargetUser | null;
  missingTools: string[];
  subIdsShort: ('/etc/subuid' | '/etc/subgid')[];
  userNamespacesBlocked: string | null;
  workload: string[];
  result: CheckResult;
}

interface PasswdEntry {
  name: string;
  uid: number;
  shell: string;
}

function passwd(text: string | null): PasswdEntry[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), shell: f[6]!.trim() }));
}

/** The person rootless Docker is for: the sudo caller, the invoking user, or the one regular user. */
async function targetUser(ctx: Context): Promise<TargetUser | null> {
  const users = passwd(await ctx.probe.readText('/etc/passwd'));
  const byName = (name: string | undefined) => users.find((u) => u.name === name && u.uid !== 0);
  const sudo = byName(ctx.env.SUDO_USER);
  if (sudo) return { name: sudo.name, uid: sudo.uid, how: 'the user who ran sudo' };
  const self = byName(ctx.env.USER ?? ctx.env.LOGNAME);
  if (self) return { name: self.name, uid: self.uid, how: 'the user running docker-harden' };
  const regular = users.filter((u) => u.uid >= 1000 && u.uid < 65534 && !/(nologin|false)$/.test(u.shell));
  if (regular.length === 1) return { name: regular[0]!.name, uid: regular[0]!.uid, how: 'the only regular user on this machine' };
  return null;
}

async function examine(ctx: Context): Promise<State> {
  const base = { rootless: false, user: null, missingTools: [], subIdsShort: [], userNamespacesBlocked: null, workload: [] };
  const info = await ctx.host.info();
  const options = info.SecurityOptions ?? [];
  if (options.some((o) => o.split(',').includes('name=rootless'))) {
    const config = await ctx.host.daemonConfig().catch(() => null);
    return {
      ...base,
      rootless: true,
      result: {
        status: 'pass',
        findings: [],
        notes: [`dockerd runs rootless${config ? `; its configuration is ${config.path}` : ''}`],
      },
    };
  }

  const findings: Finding[] = [
    {
      code: 'CIS-2.1', message: 'dockerd runs as root: a break-out from the daemon or a container gets root on the host',
      severity: 'low',
      evidence: `SecurityOptions: ${options.join(' ') || '(none)'}`,
    },
  ];
  const notes: string[] = [];
  const user = await targetUser(ctx);
  const state: State = { ...base, user, result: { status: 'warn', findings, notes } };

  if (!user) {
    findings.push({
      code: 'DH-ROOTLESS-NO-USER', message: 'no ordinary user found to run rootless Docker for: run docker-harden with sudo from that user\'s account to see the set-up for it',
      severity: 'info',
    });
  } else {
    notes.push(`prerequisites checked for ${user.name} (uid ${user.uid}, ${user.how})`);
    for (const tool of ['newuidmap', 'newgidmap']) {
      if (!(await ctx.probe.which(tool))) state.missingTools.push(tool);
    }
    if (state.missingTools.length) {
      findings.push({ code: 'DH-ROOTLESS-UIDMAP', message: `${state.missingTools.join(' and ')} not installed (package uidmap): rootless Docker cannot map its user ids`, severity: 'info' });
    }
    const gid = await ctx.probe.groupId(user.name);
    for (const [file, id] of [['/etc/subuid', user.uid], ['/etc/subgid', gid]] as const) {
      const report = await subIdReport(ctx.probe, file, user.name, id);
      const count = totalCount(report.mine);
      if (count < MIN_SUBIDS) {
        state.subIdsShort.push(file);
        findings.push({
          code: 'DH-ROOTLESS-SUBIDS', message: `${count === 0 ? 'no subordinate ids' : `only ${count} subordinate ids`} for ${user.name}; rootless Docker needs at least ${MIN_SUBIDS_TEXT}`,
          severity: 'info',
          file,
          ...(report.mine[0] ? { line: report.mine[0].line, evidence: report.mine.map(showRange).join(', ') } : {}),
        });
      }
    }
  }

  if (!(await ctx.probe.stat('/sys/fs/cgroup/cgroup.controllers'))) {
    findings.push({
      code: 'DH-ROOTLESS-CGROUP-V1', message: 'the host uses cgroup v1: rootless containers run, but resource limits (--memory, --cpus, --pids-limit) are ignored; they need cgroup v2 with systemd',
      severity: 'info',
      evidence: '/sys/fs/cgroup/cgroup.controllers: absent',
    });
  }
  const systemd = await ctx.probe.stat('/run/systemd/system');
  if (!systemd?.isDirectory) {
    findings.push({
      code: 'DH-ROOTLESS-NO-SYSTEMD', message: 'systemd is not running: the set-up tool cannot install the per-user service, and dockerd-rootless.sh must be started another way',
      severity: 'info',
    });
  }

  const clone = (await ctx.probe.readText('/proc/sys/kernel/unprivileged_userns_clone'))?.trim();
  const maxNs = (await ctx.probe.readText('/proc/sys/user/max_user_namespaces'))?.trim();
  const aaRestrict = (await ctx.probe.readText('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'))?.trim();
  if (clone === '0') {
    state.userNamespacesBlocked = 'kernel.unprivileged_userns_clone=1';
    findings.push({ code: 'DH-ROOTLESS-USERNS-OFF', message: 'unprivileged user namespaces are switched off (kernel.unprivileged_userns_clone = 0): rootless Docker cannot start', severity: 'info', evidence: '/proc/sys/kernel/unprivileged_userns_clone: 0' });
  }
  if (maxNs === '0') {
    state.userNamespacesBlocked = 'user.max_user_namespaces=28633';
    findings.push({ code: 'DH-ROOTLESS-USERNS-ZERO', message: 'user namespaces are limited to none (user.max_user_namespaces = 0): rootless Docker cannot start', severity: 'info', evidence: '/proc/sys/user/max_user_namespaces: 0' });
  }
  if (aaRestrict === '1') {
    const profiles = await ctx.probe.list('/etc/apparmor.d');
    if (!profiles.some((p) => p.includes('rootlesskit'))) {
      findings.push({
        code: 'DH-ROOTLESS-APPARMOR', message: 'AppArmor restricts unprivileged user namespaces (Ubuntu 24.04 and later) and no rootlesskit profile is installed in /etc/apparmor.d: rootlesskit needs one that allows userns',
        severity: 'info',
        evidence: '/proc/sys/kernel/apparmor_restrict_unprivileged_userns: 1',
      });
    }
  }

  // What the current workload does that rootless mode cannot.
  const containers = await ctx.host.containers();
  for (const c of containers) {
    const name = containerName(c);
    const low = publishedPorts(c).filter((p) => p.hostPort < 1024);
    if (low.length) {
      state.workload.push(`${name} publishes port ${low.map((p) => p.hostPort).join(', ')}, below 1024: a rootless daemon cannot bind it unless net.ipv4.ip_unprivileged_port_start is lowered (or setcap cap_net_bind_service on rootlesskit)`);
    }
    if (c.HostConfig?.NetworkMode === 'host') {
      state.workload.push(`${name} uses --network host: rootless, "host" is the network namespace of rootlesskit, not the host's`);
    }
    const profile = c.AppArmorProfile;
    if (profile && profile !== 'docker-default' && profile !== 'unconfined') {
      state.workload.push(`${name} runs under the AppArmor profile ${profile}: rootless Docker does not apply AppArmor profiles`);
    }
  }
  if ((await ctx.probe.readText('/sys/module/apparmor/parameters/enabled'))?.trim() === 'Y') {
    state.workload.push('AppArmor is enabled here, and rootless Docker does not confine containers with docker-default: the user namespace takes its place');
  }
  if (info.Swarm?.LocalNodeState === 'active') {
    state.workload.push('this daemon is in swarm mode: overlay networks and swarm services do not work with rootless Docker');
  }
  for (const w of state.workload) findings.push({ code: 'DH-ROOTLESS-WORKLOAD', message: `would not carry over as it is: ${w}`, severity: 'info' });
  notes.push(`${containers.length} running container${containers.length === 1 ? '' : 's'} inspected`);
  return state;
}

/** A free range of 65,536 ids after every range already handed out (at least 100000). */
function freeRange(subuid: string | null, subgid: string | null): string {
  const ranges = [...parseSubIds(subuid), ...parseSubIds(subgid)];
  const start = Math.max(100000, ...ranges.map((r) => r.start + r.count));
  return `${start}-${start + MIN_SUBIDS - 1}`;
}

async function proposalsFor(ctx: Context, state: State): Promise<Proposal[]> {
  const user = state.user!;
  const root = 'root';
  const commands: CommandAction[] = [];
  const debianSetup = await ctx.probe.stat(DEBIAN_SETUPTOOL);
  const onPath = await ctx.probe.which('dockerd-rootless-setuptool.sh');
  if (await ctx.probe.which('apt-get')) {
    // Debian and Ubuntu's docker.io ship the set-up tool in contrib and rootlesskit separately;
    // Docker's own packages put both in docker-ce-rootless-extras.
    const extras = onPath ? [] : debianSetup ? ['rootlesskit'] : ['docker-ce-rootless-extras'];
    commands.push({ title: 'install the prerequisites', argv: ['apt-get', 'install', '-y', 'uidmap', 'dbus-user-session', ...extras], run: false, asUser: root });
  } else if (await ctx.probe.which('dnf')) {
    commands.push({ title: 'install the prerequisites', argv: ['dnf', 'install', '-y', 'shadow-utils', 'fuse-overlayfs', ...(onPath ? [] : ['docker-ce-rootless-extras'])], run: false, asUser: root });
  }
  if (state.subIdsShort.length) {
    const range = freeRange(await ctx.probe.readText('/etc/subuid'), await ctx.probe.readText('/etc/subgid'));
    commands.push({ title: `give ${user.name} 65,536 subordinate ids`, argv: ['usermod', '--add-subuids', range, '--add-subgids', range, '--', user.name], run: false, asUser: root });
  }
  if (state.userNamespacesBlocked) {
    commands.push({ title: 'allow unprivileged user namespaces', argv: ['sysctl', '-w', state.userNamespacesBlocked], run: false, asUser: root });
  }
  commands.push(
    { title: 'set up the rootless daemon as a user service', argv: [onPath ?? (debianSetup ? DEBIAN_SETUPTOOL : 'dockerd-rootless-setuptool.sh'), 'install'], run: false, asUser: user.name },
    { title: 'keep it running when the user is logged out', argv: ['loginctl', 'enable-linger', user.name], run: false, asUser: root },
    { title: 'make the docker CLI use it', argv: ['docker', 'context', 'use', 'rootless'], run: false, asUser: user.name },
  );
  const [images, volumes] = await Promise.all([ctx.host.images().then((l) => l.length), ctx.host.volumeCount()]);
  return [
    {
      id: 'rootless-setup',
      kind: 'command',
      risk: 'review',
      title: `Set up rootless Docker for ${user.name} (commands to run in this order)`,
      description:
        `Run the set-up as ${user.name} in a login session (ssh or a console login, not su or sudo -u), so that a systemd user session exists. The rootless daemon keeps its configuration in ~${user.name}/.config/docker/daemon.json and its data in ~${user.name}/.local/share/docker.`,
      changes: [],
      commands,
      warnings: [
        `The rootless daemon starts empty: the ${images} image${images === 1 ? '' : 's'} and ${volumes} volume${volumes === 1 ? '' : 's'} of the root daemon are not shared with it. Pull or build images again and recreate containers there.`,
        ...state.workload.map((w) => `Would not carry over as it is: ${w}.`),
      ],
    },
    {
      id: 'stop-rootful',
      // Shown only either way; advice while the workload would not carry over.
      ...(state.workload.length > 0 ? { kind: 'advice' as const, risk: 'advice' as const } : { kind: 'command' as const, risk: 'review' as const }),
      title: 'Last, once the rootless daemon runs your workload: stop and disable the root daemon',
      description: 'Only when nothing needs the root daemon any more. `systemctl enable --now docker.service docker.socket` brings it back.',
      changes: [],
      commands: [{ title: 'stop and disable the root daemon', argv: ['systemctl', 'disable', '--now', 'docker.service', 'docker.socket'], run: false, asUser: root }],
      warnings: ['Every container of the root daemon stops, and anything using /var/run/docker.sock loses Docker.'],
    },
  ];
}
