/**
 * Step 11: confine containers with seccomp, AppArmor or SELinux, and fewer capabilities. On a
 * host: a mandatory access control system in use by dockerd, seccomp on, no-new-privileges as the
 * daemon default, and running containers' capabilities and profiles. In a compose file: cap_drop,
 * no-new-privileges and a read-only root file system per service. In a Dockerfile: an ssh port.
 */
import { defineStep, RESTART_STOPS_CONTAINERS, type CodeInfo, statusOf, type CheckResult, type Context, type Finding, type Proposal } from '../src/core/step.js';
import type { ContainerDetails } from '../src/host/facts.js';
import { serviceChange, type ComposeService, type ServiceEdit } from '../src/compose/model.js';
import { serviceImage } from '../src/compose/images.js';
import type { DockerInstruction, DockerfileModel } from '../src/dockerfile/model.js';
import { applyEdits, deleteLinesEdit, rangeEdit } from '../src/dockerfile/edit.js';
import { daemonConfigChange, hostDaemon, setByFlag, setting, unreachable, type HostDaemon } from './lib/daemon.js';
import {
  DANGEROUS_CAPS,
  containerName,
  containerWeakenings,
  selinuxActive,
  isNoNewPrivileges,
  normalizeCap,
  socketPathsFor,
  WEAKENINGS,
  WEAKENING_CODES,
} from './lib/workload.js';

const APPARMOR_ENABLED = '/sys/module/apparmor/parameters/enabled';
const APPARMOR_PROFILES = '/sys/kernel/security/apparmor/profiles';
const SELINUX_ENFORCE = '/sys/fs/selinux/enforce';

const NNP_BREAKS =
  'Programs that gain privileges through the setuid bit or file capabilities (sudo, su, ping in some images) no longer do so inside containers. Entrypoints that start as root and drop to a user (gosu, su-exec) keep working.';

/** Docker's default capability set: what a container keeps unless cap_drop takes it away. */
const DEFAULT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];

/**
 * Official images whose entrypoint starts as root, fixes ownership of its data and switches to its
 * own user: with cap_drop ALL they need these back (only when the service sets no `user:`).
 */
/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  ...WEAKENING_CODES,
  "DH-MAC-APPARMOR-UNUSED": {
    title: "AppArmor is enabled but dockerd does not use it",
    severity: 'medium',
    help: "Install apparmor_parser and restart dockerd so containers get the docker-default profile.",
  },
  "DH-MAC-APPARMOR-PROFILE": {
    title: "The docker-default AppArmor profile is not loaded",
    severity: 'medium',
    help: "dockerd loads it when it starts; restart dockerd and read its log if it is still missing.",
  },
  "DH-MAC-SELINUX-OFF": {
    title: "SELinux is enforcing but dockerd does not label containers",
    severity: 'medium',
    help: "Set \"selinux-enabled\": true so containers get their own SELinux labels.",
  },
  "DH-MAC-SELINUX-PERMISSIVE": {
    title: "SELinux is permissive",
    severity: 'medium',
    help: "It logs what it would deny but confines nothing. Switch it to enforcing once the logs are clean.",
  },
  "DH-MAC-NONE": {
    title: "No mandatory access control",
    severity: 'medium',
    help: "Neither AppArmor nor SELinux is active. Install and enable AppArmor (Debian, Ubuntu) or SELinux.",
  },
  "DH-CAPS-SECCOMP-UNSUPPORTED": {
    title: "dockerd lists no seccomp support",
    severity: 'high',
    help: "Containers run without a system call filter. Use a kernel and Docker build with seccomp.",
  },
  "DH-CAPS-SECCOMP-OFF": {
    title: "seccomp is off for every container",
    severity: 'high',
    help: "Remove seccomp-profile \"unconfined\" so the default profile applies.",
  },
  "DH-NNP-DEFAULT": {
    title: "no-new-privileges is not the daemon default",
    severity: 'low',
    help: "Set \"no-new-privileges\": true so setuid programs in containers cannot raise privileges.",
  },
  "DH-NNP-PENDING": {
    title: "no-new-privileges is set but not in force",
    severity: 'low',
    help: "daemon.json changed after dockerd started; restart dockerd.",
  },
  "DH-CAPS-PRIVILEGED": {
    title: "Runs privileged",
    severity: 'high',
    help: "Capability and profile settings do not apply to a privileged container. Remove privileged and add the one capability or device it needs.",
  },
  "CIS-5.4": {
    title: "Adds capabilities that widen what root can do",
    severity: 'medium',
    help: "Drop the added capabilities it does not need; add back only the ones it uses, after cap_drop: [ALL].",
  },
  "DH-CAPS-DEFAULT": {
    title: "Keeps Docker's default capabilities",
    severity: 'low',
    help: "Drop all capabilities (cap_drop: [ALL] / --cap-drop ALL) and add back only what the service needs.",
  },
  "CIS-5.26": {
    title: "Can acquire additional privileges",
    severity: 'low',
    help: "Set security_opt: [no-new-privileges:true] on the service.",
  },
  "CIS-5.13": {
    title: "The root file system is writable",
    severity: 'low',
    help: "Set read_only: true in compose (docker run --read-only) and give the paths it writes a tmpfs or volume.",
  },
  "DH-SSH-PORT": {
    title: "The image exposes port 22",
    severity: 'medium',
    help: "An ssh server in a container is one more service to attack. Use docker exec for a shell.",
  },
  "DH-SSH-SERVER": {
    title: "The image installs an ssh server",
    severity: 'medium',
    help: "One more service to attack and patch. Use docker exec for a shell.",
  },
};

export default defineStep({
  meta: {
    id: 'seccomp-apparmor-capabilities',
    order: 11,
    title: 'Confine containers: seccomp, AppArmor or SELinux, fewer capabilities',
    scope: 'both',
    targets: ['host', 'dockerfile', 'compose'],
    summary: 'Profiles active, no-new-privileges by default, and containers that drop the capabilities they do not need.',
    explain: [
      'Three kernel mechanisms limit what a process in a container can do even as root: seccomp filters system calls, AppArmor or SELinux restrict files and operations by profile, and Linux capabilities split root\'s power into pieces that can be dropped. Docker applies a default of each, but it keeps 14 capabilities (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW and others) that most services never use, and it lets setuid programs raise privileges inside a container unless no-new-privileges is set.',
      'On a host this step checks that AppArmor is enabled with the docker-default profile loaded (or SELinux enforcing with dockerd\'s selinux-enabled), that seccomp is active, that no-new-privileges is the daemon default, and which running containers add capabilities, keep all the default ones, or run unconfined. In a compose file it checks each service for cap_drop, no-new-privileges and a read-only root file system. In a Dockerfile it flags port 22: an ssh server in a container is one more thing to attack, and docker exec already gives a shell.',
      'The fixes: "no-new-privileges": true in daemon.json (a restart; setuid programs stop working inside containers), "selinux-enabled": true on an SELinux host, and for compose services cap_drop: [ALL] with only the capabilities the service needs added back (NET_BIND_SERVICE for a port below 1024), no-new-privileges, and read_only: true with a tmpfs for /tmp. A service that fails to start afterwards with "operation not permitted" needs one capability back, or a writable path as a tmpfs or volume; each choice says so before you apply it.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Seccomp security profiles for Docker', url: 'https://docs.docker.com/engine/security/seccomp/' },
      { title: 'AppArmor security profiles for Docker', url: 'https://docs.docker.com/engine/security/apparmor/' },
      { title: 'Runtime privilege and Linux capabilities', url: 'https://docs.docker.com/engine/containers/run/#runtime-privilege-and-linux-capabilities' },
      { title: 'Compose file reference: cap_drop, security_opt, read_only, tmpfs', url: 'https://docs.docker.com/reference/compose-file/services/' },
      { title: 'OWASP Docker Security Cheat Sheet, rules 3 and 4', url: 'https://cheatsheetseries.owasp.org/cheatsheets/Docker_Security_Cheat_Sheet.html' },
    ],
  },

  async check(ctx) {
    if (ctx.target.kind === 'compose') return checkCompose(ctx);
    if (ctx.target.kind === 'dockerfile') return checkDockerfile(ctx);
    return checkHost(ctx);
  },

  async propose(ctx) {
    if (ctx.target.kind === 'compose') return proposeCompose(ctx);
    if (ctx.target.kind === 'dockerfile') return proposeDockerfile(ctx);
    return proposeHost(ctx);
  },
});

// ---------------------------------------------------------------------------------------------
// Host

function changedSinceStart(daemon: HostDaemon): boolean {
  const modified = daemon.view?.config.modifiedMs;
  const started = daemon.view?.process?.startedMs;
  return modified !== undefined && started !== undefined && modified > started + 1000;
}

interface Lsm {
  apparmor: boolean;
  /** null when the profile list cannot be read. */
  dockerDefaultLoaded: boolean | null;
  /** '1' enforcing, '0' permissive, null no SELinux. */
  selinux: '1' | '0' | null;
}

async function readLsm(ctx: Context): Promise<Lsm> {
  const enabled = (await ctx.probe.readText(APPARMOR_ENABLED))?.trim() === 'Y';
  const profiles = enabled ? await ctx.probe.readText(APPARMOR_PROFILES) : null;
  const enforce = (await ctx.probe.readText(SELINUX_ENFORCE))?.trim();
  return {
    apparmor: enabled,
    dockerDefaultLoaded: profiles === null ? null : profiles.split('\n').some((l) => l.split(' ')[0] === 'docker-default'),
    selinux: enforce === '1' || enforce === '0' ? enforce : null,
  };
}

function capsOf(c: ContainerDetails): { add: string[]; dropsAll: boolean } {
  const hc = c.HostConfig ?? {};
  const add = (Array.isArray(hc.CapAdd) ? (hc.CapAdd as string[]) : []).map(normalizeCap);
  const drop = (Array.isArray(hc.CapDrop) ? (hc.CapDrop as string[]) : []).map(normalizeCap);
  return { add, dropsAll: drop.includes('ALL') };
}

async function checkHost(ctx: Context): Promise<CheckResult> {
  const down = await unreachable(ctx);
  if (down) return down;
  const findings: Finding[] = [];
  const notes: string[] = [];
  const info = await ctx.host.info();
  const options = info.SecurityOptions ?? [];
  const hasOption = (name: string) => options.some((o) => o.split(',').includes(`name=${name}`));
  const daemon = await hostDaemon(ctx);
  if (daemon.problem) findings.push(daemon.problem);
  const lsm = await readLsm(ctx);
  const selinuxSetting = await setting(daemon, 'selinux-enabled');

  if (lsm.apparmor) {
    if (!hasOption('apparmor')) {
      findings.push({
        code: 'DH-MAC-APPARMOR-UNUSED', message: 'AppArmor is enabled in the kernel but dockerd does not use it (no name=apparmor in its security options; is apparmor_parser installed?)',
        severity: 'medium',
        evidence: `SecurityOptions: ${options.join(' ') || '(none)'}`,
      });
    } else if (lsm.dockerDefaultLoaded === false) {
      findings.push({
        code: 'DH-MAC-APPARMOR-PROFILE', message: 'AppArmor is on, but the docker-default profile is not loaded: dockerd loads it when it starts, so restart dockerd and check its log if it is still missing',
        severity: 'medium',
        file: APPARMOR_PROFILES,
      });
    } else {
      notes.push(`AppArmor is enabled${lsm.dockerDefaultLoaded ? ' and docker-default is loaded' : ''}`);
    }
  } else if (lsm.selinux === '1') {
    if (selinuxSetting?.value === true) notes.push('SELinux is enforcing and dockerd labels containers (selinux-enabled)');
    else {
      findings.push({
        code: 'DH-MAC-SELINUX-OFF', message: 'SELinux is enforcing, but dockerd runs without "selinux-enabled": containers are not given their own SELinux labels',
        severity: 'medium',
        evidence: `${SELINUX_ENFORCE}: 1`,
      });
    }
  } else if (lsm.selinux === '0') {
    findings.push({
      code: 'DH-MAC-SELINUX-PERMISSIVE', message: 'SELinux is in permissive mode: it logs what it would deny but does not confine containers',
      severity: 'medium',
      evidence: `${SELINUX_ENFORCE}: 0`,
    });
  } else {
    findings.push({
      code: 'DH-MAC-NONE', message: 'neither AppArmor nor SELinux is active on this host, so containers get no mandatory access control profile (install and enable AppArmor, the default on Debian and Ubuntu, then restart dockerd)',
      severity: 'medium',
      evidence: `${APPARMOR_ENABLED}: absent or not Y; ${SELINUX_ENFORCE}: absent`,
    });
  }

  const seccomp = options.find((o) => o.startsWith('name=seccomp'));
  if (!seccomp) {
    findings.push({ code: 'DH-CAPS-SECCOMP-UNSUPPORTED', message: 'seccomp is not active: dockerd lists no seccomp support', severity: 'high', evidence: `SecurityOptions: ${options.join(' ') || '(none)'}` });
  } else if (/profile=unconfined\b/.test(seccomp)) {
    findings.push({ code: 'DH-CAPS-SECCOMP-OFF', message: 'seccomp is switched off for every container (seccomp-profile "unconfined")', severity: 'high', evidence: `SecurityOptions: ${seccomp}` });
  }

  const nnp = await setting(daemon, 'no-new-privileges');
  if (nnp && nnp.value !== true) {
    findings.push({
      code: 'DH-NNP-DEFAULT', message: `no-new-privileges is not the daemon default: a setuid program in any container can raise its privileges`,
      severity: 'low',
      ...(nnp.source?.file ? { file: nnp.source.file, line: nnp.source.line } : {}),
      evidence: nnp.source ? nnp.source.where : '"no-new-privileges" not set',
    });
  } else if (nnp?.source?.kind === 'file' && changedSinceStart(daemon)) {
    // docker info does not show no-new-privileges (moby#45311): a daemon.json written after
    // dockerd started is the sign that the setting may not be in force yet.
    findings.push({
      code: 'DH-NNP-PENDING', message: '"no-new-privileges" is set in daemon.json, which changed after dockerd started: restart dockerd to put it in force',
      severity: 'low',
      ...(nnp.source.file ? { file: nnp.source.file, line: nnp.source.line } : {}),
    });
  }

  const sockets = socketPathsFor(ctx.host.endpoint);
  const containers = await ctx.host.containers();
  for (const c of containers) {
    const name = containerName(c);
    if (c.HostConfig?.Privileged) {
      findings.push({ code: 'DH-CAPS-PRIVILEGED', message: `container ${name} runs privileged: capability and profile settings do not apply to it (see step 1)`, severity: 'high', evidence: 'HostConfig.Privileged: true' });
      continue;
    }
    const { add, dropsAll } = capsOf(c);
    // Adding back a harmless capability after --cap-drop ALL is the pattern this step asks for.
    const dangerous = add.filter((cap) => DANGEROUS_CAPS.has(cap));
    if (dangerous.length > 0) {
      findings.push({
        code: 'CIS-5.4', message: `container ${name} adds ${dangerous.join(', ')}, which widen${dangerous.length === 1 ? 's' : ''} what root in it can do to the host`,
        severity: 'medium',
        evidence: `HostConfig.CapAdd: ${add.join(', ')}`,
      });
    }
    if (!dropsAll) {
      findings.push({
        code: 'DH-CAPS-DEFAULT', message: `container ${name} keeps Docker's default capabilities (no --cap-drop ALL)`,
        severity: 'low',
        evidence: 'HostConfig.CapDrop: ' + (((c.HostConfig?.CapDrop as string[] | null) ?? []).join(', ') || '(none)'),
      });
    }
    if (c.HostConfig?.ReadonlyRootfs !== true) {
      findings.push({
        code: 'CIS-5.13', message: `container ${name} has a writable root file system: an intruder can change its programs and leave files behind (recreate it with --read-only and a tmpfs or volume for the paths it writes)`,
        severity: 'low',
        evidence: 'HostConfig.ReadonlyRootfs: false',
      });
    }
    for (const w of containerWeakenings(c, sockets, { selinux: lsm.selinux !== null })) {
      if (w.kind === 'seccomp-unconfined' || w.kind === 'apparmor-unconfined' || w.kind === 'label-disable') {
        findings.push({ code: w.code, message: w.message, severity: w.severity, evidence: w.evidence });
      }
    }
  }
  notes.push(`${containers.length} running container${containers.length === 1 ? '' : 's'} inspected`);
  return { status: statusOf(findings), findings, notes };
}

async function proposeHost(ctx: Context): Promise<Proposal[]> {
  if (await unreachable(ctx)) return [];
  const proposals: Proposal[] = [];
  const daemon = await hostDaemon(ctx);
  const nnp = await setting(daemon, 'no-new-privileges');
  if (daemon.view && nnp && nnp.value !== true && !setByFlag(nnp)) {
    proposals.push({
      id: 'daemon-no-new-privileges',
      // Every container on the host: any of them may rely on a setuid program.
      risk: 'review',
      title: 'Set "no-new-privileges": true in daemon.json and restart dockerd',
      description: 'Every container then starts with no-new-privileges: no process in it can gain privileges through setuid or file capabilities.',
      changes: [await daemonConfigChange(daemon.view.config, [{ key: 'no-new-privileges', value: true }])],
      commands: [],
      daemon: 'restart',
      warnings: [NNP_BREAKS, RESTART_STOPS_CONTAINERS],
    });
  }
  const lsm = await readLsm(ctx);
  const selinux = await setting(daemon, 'selinux-enabled');
  if (daemon.view && !lsm.apparmor && lsm.selinux === '1' && selinux && selinux.value !== true && !setByFlag(selinux)) {
    proposals.push({
      id: 'daemon-selinux-enabled',
      // Bind mounts without :z/:Z lose access.
      risk: 'review',
      title: 'Set "selinux-enabled": true in daemon.json and restart dockerd',
      description: 'dockerd then gives every container its own SELinux label (container_t with a unique category).',
      changes: [await daemonConfigChange(daemon.view.config, [{ key: 'selinux-enabled', value: true }])],
      commands: [],
      daemon: 'restart',
      warnings: [
        'Needs the container-selinux policy package installed; without it dockerd may refuse to start (the change is then rolled back).',
        'Bind mounts must be relabelled with :z (shared) or :Z (private to one container), or containers get "permission denied" on them.',
        RESTART_STOPS_CONTAINERS,
      ],
    });
  }

  const selinuxOn = await selinuxActive(ctx.probe);
  for (const c of await ctx.host.containers()) {
    if (c.HostConfig?.Privileged) continue;
    const { add, dropsAll } = capsOf(c);
    const unconfined = containerWeakenings(c, [], { selinux: selinuxOn }).filter((w) => ['seccomp-unconfined', 'apparmor-unconfined', 'label-disable'].includes(w.kind));
    const dangerous = add.filter((cap) => DANGEROUS_CAPS.has(cap));
    if (dropsAll && dangerous.length === 0 && unconfined.length === 0) continue;
    const parts: string[] = [];
    const kept = add.filter((x) => !DANGEROUS_CAPS.has(x));
    if (!dropsAll) parts.push(`add --cap-drop ALL${kept.length ? ` (keeping ${kept.map((x) => `--cap-add ${x}`).join(' ')})` : ''}`);
    if (dangerous.length) parts.push(`leave out ${dangerous.map((x) => `--cap-add ${x}`).join(' ')}`);
    if (unconfined.length) parts.push(`leave out ${unconfined.map((w) => w.flag).join(' ')}`);
    const name = containerName(c);
    proposals.push({
      id: `container-${name}`,
      // Shown for the next `docker run`; nothing is written.
      risk: 'advice',
      title: `When you next create container ${name}: ${parts.join('; ')}`,
      description: 'A running container keeps its settings until it is created again; docker-harden never recreates one for you.',
      changes: [],
      commands: [],
      warnings: [
        ...(!dropsAll ? ['With --cap-drop ALL, a process that starts as root and switches user or changes file ownership needs CHOWN, SETUID, SETGID (and sometimes DAC_OVERRIDE, FOWNER) added back; one that listens below port 1024 needs NET_BIND_SERVICE.'] : []),
        ...unconfined.map((w) => `${w.flag}: removing it may break this: ${WEAKENINGS[w.kind].breaks}.`),
      ],
    });
  }
  return proposals;
}

// ---------------------------------------------------------------------------------------------
// Compose

function dropsAll(s: ComposeService): boolean {
  return s.cap_drop.map(normalizeCap).includes('ALL');
}

function hasNoNewPrivileges(s: ComposeService): boolean {
  return s.security_opt.some(isNoNewPrivileges);
}

function exposedBelow1024(s: ComposeService): number[] {
  const ports = s.ports.map((p) => p.containerPort).filter((p): p is number => p !== null);
  const expose = (Array.isArray(s.value.expose) ? s.value.expose : []).map((e) => Number(/^(\d+)/.exec(String(e))?.[1] ?? NaN));
  return [...new Set([...ports, ...expose].filter((p) => Number.isInteger(p) && p > 0 && p < 1024))].sort((a, b) => a - b);
}

/** The capabilities to add back after cap_drop ALL, with the reason for each group. */
export function neededCaps(s: ComposeService): { caps: string[]; reasons: string[] } {
  const caps = new Set<string>();
  const reasons: string[] = [];
  const low = exposedBelow1024(s);
  if (low.length) {
    caps.add('NET_BIND_SERVICE');
    reasons.push(`NET_BIND_SERVICE: the service listens on port ${low.join(', ')}, below 1024`);
  }
  const runsAsImageDefault = s.user === undefined;
  const known = serviceImage(s.image);
  if (known && runsAsImageDefault && known.caps.length > 0) {
    for (const c of known.caps) caps.add(c);
    reasons.push(`${known.caps.join(', ')}: ${known.capsWhy} (${known.source})`);
  }
  return { caps: [...caps], reasons };
}

async function checkCompose(ctx: Context): Promise<CheckResult> {
  const model = await ctx.compose();
  const findings: Finding[] = [];
  for (const s of model.services) {
    const at = (key?: string) => ({ file: model.path, line: key ? (s.keys[key]?.line ?? s.line) : s.line });
    if (s.privileged) {
      findings.push({ code: 'DH-CAPS-PRIVILEGED', message: `service ${s.name} runs privileged: capability and profile settings do not apply to it (see step 1)`, severity: 'high', ...at('privileged') });
      continue;
    }
    if (!dropsAll(s)) {
      findings.push({
        code: 'DH-CAPS-DEFAULT', message: `service ${s.name} keeps Docker's default capabilities (${DEFAULT_CAPS.length}, such as CHOWN, DAC_OVERRIDE, SETUID and NET_RAW): no cap_drop: [ALL]`,
        severity: 'medium',
        ...at(s.keys.cap_drop ? 'cap_drop' : undefined),
        ...(s.cap_drop.length ? { evidence: `cap_drop: [${s.cap_drop.join(', ')}]` } : {}),
      });
    }
    const dangerous = s.cap_add.map(normalizeCap).filter((c) => DANGEROUS_CAPS.has(c));
    if (dangerous.length) {
      findings.push({
        code: 'CIS-5.4', message: `service ${s.name} adds ${dangerous.join(', ')}, which widen${dangerous.length === 1 ? 's' : ''} what root in it can do to the host`,
        severity: 'medium',
        ...at('cap_add'),
        evidence: `cap_add: [${s.cap_add.join(', ')}]`,
      });
    }
    if (!hasNoNewPrivileges(s)) {
      findings.push({
        code: 'CIS-5.26', message: `service ${s.name} does not set no-new-privileges: a setuid program in it can raise its privileges`,
        severity: 'low',
        ...at(s.keys.security_opt ? 'security_opt' : undefined),
      });
    }
    if (s.read_only !== true) {
      findings.push({
        code: 'CIS-5.13', message: `service ${s.name} has a writable root file system: an intruder can change its programs and leave files behind`,
        severity: 'low',
        ...at(s.keys.read_only ? 'read_only' : undefined),
        ...(s.read_only === false ? { evidence: 'read_only: false' } : {}),
      });
    }
  }
  const notes = [`${model.services.length} service${model.services.length === 1 ? '' : 's'} checked`];
  return { status: model.services.length === 0 ? 'not-applicable' : statusOf(findings), findings, notes };
}

async function proposeCompose(ctx: Context): Promise<Proposal[]> {
  const model = await ctx.compose();
  const proposals: Proposal[] = [];
  const change = (s: ComposeService, edits: ServiceEdit[]) => [serviceChange(model, s.name, edits)];
  const recreate = (s: ComposeService) => ` Recreate the service afterwards (docker compose up -d ${s.name}).`;
  for (const s of model.services) {
    if (s.privileged) continue;
    if (!dropsAll(s)) {
      const { caps, reasons } = neededCaps(s);
      const have = new Set(s.cap_add.map(normalizeCap));
      const fresh = caps.filter((c) => !have.has(c));
      const edits: ServiceEdit[] = [{ op: 'add', key: 'cap_drop', items: ['ALL'] }];
      if (fresh.length) edits.push({ op: 'add', key: 'cap_add', items: fresh });
      const kept = s.cap_add.length ? ` Its cap_add (${s.cap_add.join(', ')}) stays.` : '';
      // A known image gets what its entrypoint needs; any other may need more than we can tell.
      const capsKnown = serviceImage(s.image) !== null || s.user !== undefined;
      proposals.push({
        id: `${s.name}-cap-drop`,
        risk: capsKnown ? 'safe' : 'review',
        title: `Service ${s.name}: cap_drop: [ALL]${fresh.length ? `, cap_add: [${fresh.join(', ')}]` : ''}`,
        description: `Drops every capability the service does not ask for by name.${kept}${reasons.length ? ` Added back: ${reasons.join('; ')}.` : ''}${recreate(s)}`,
        changes: change(s, edits),
        commands: [],
        warnings: [
          'If the service then fails with "operation not permitted": a process that starts as root and switches user or changes file ownership needs CHOWN, SETUID, SETGID (sometimes DAC_OVERRIDE, FOWNER) in cap_add; one that listens below port 1024 needs NET_BIND_SERVICE.',
        ],
      });
    }
    if (!hasNoNewPrivileges(s)) {
      proposals.push({
        id: `${s.name}-no-new-privileges`,
        // Breaks only setuid programs (sudo, su, ping); the known images' entrypoints use none.
        risk: serviceImage(s.image) ? 'safe' : 'review',
        title: `Service ${s.name}: security_opt: ["no-new-privileges:true"]`,
        description: `No process in the service can gain privileges through setuid or file capabilities.${recreate(s)}`,
        changes: change(s, [{ op: 'add', key: 'security_opt', items: ['no-new-privileges:true'] }]),
        commands: [],
        warnings: [NNP_BREAKS],
      });
    }
    if (s.read_only !== true) {
      const known = serviceImage(s.image);
      const covered = (p: string) => s.tmpfs.some((t) => t.split(':')[0] === p) || s.volumes.some((v) => v.target === p);
      const tmpfs = (known ? known.tmpfs : ['/tmp']).filter((p) => !covered(p));
      const edits: ServiceEdit[] = [{ op: 'set', key: 'read_only', value: true }];
      if (tmpfs.length) edits.push({ op: 'add', key: 'tmpfs', items: tmpfs });
      proposals.push({
        id: `${s.name}-read-only`,
        // Known images get the writable paths they need; for others the paths are a guess.
        risk: known ? 'safe' : 'review',
        title: `Service ${s.name}: read_only: true${tmpfs.length ? ` with tmpfs: [${tmpfs.join(', ')}]` : ''}`,
        description: `The container's own file system becomes read-only; volumes and tmpfs mounts stay writable.${known ? ` ${s.image} writes outside its volumes only to ${known.tmpfs.join(', ')} (${known.source}).` : ''}${recreate(s)}`,
        changes: change(s, edits),
        commands: [],
        warnings: [
          'Writes outside volumes and tmpfs mounts fail ("read-only file system"): log files, pid files under /run or /var/run, caches. Give each such path a tmpfs entry or a volume.',
        ],
      });
    }
  }
  return proposals;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface SshExpose {
  instruction: DockerInstruction;
  /** The port tokens as written, and which of them cover port 22. */
  tokens: string[];
  ssh: string[];
}

function coversPort22(token: string): boolean {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(token);
  if (!m) return false;
  if (m[3] && m[3].toLowerCase() !== 'tcp') return false;
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  return from <= 22 && 22 <= to;
}

function sshExposes(model: DockerfileModel): SshExpose[] {
  const out: SshExpose[] = [];
  const stage = model.finalStage;
  for (const s of model.chain(stage)) {
    for (const i of s.instructions) {
      if (i.keyword !== 'EXPOSE') continue;
      const tokens = i.args.split(/\s+/).filter(Boolean);
      const ssh = tokens.filter((t) => coversPort22(model.resolve(t, s, i).value));
      if (ssh.length) out.push({ instruction: i, tokens, ssh });
    }
  }
  return out;
}

async function checkDockerfile(ctx: Context): Promise<CheckResult> {
  const model = await ctx.dockerfile();
  const findings: Finding[] = [];
  for (const e of sshExposes(model)) {
    findings.push({
      code: 'DH-SSH-PORT', fixedBy: 'no-ssh-port', message: 'the image exposes port 22 (ssh): an ssh server in a container is one more service to attack and to keep patched; use docker exec for a shell',
      severity: 'medium',
      file: model.path,
      line: e.instruction.line,
      evidence: e.instruction.source.trim(),
    });
  }
  for (const s of model.chain(model.finalStage)) {
    for (const i of s.instructions) {
      if (i.keyword === 'RUN' && /\b(openssh-server|dropbear)\b|\bapk\b[^&;|]*\badd\b[^&;|]*\bopenssh\b/.test(i.args)) {
        findings.push({
          code: 'DH-SSH-SERVER', message: 'the image installs an ssh server: one more service to attack and to keep patched; use docker exec for a shell',
          severity: 'medium',
          file: model.path,
          line: i.line,
          evidence: i.source.split(/\r?\n/)[0]!.trim(),
        });
      }
    }
  }
  return { status: statusOf(findings), findings };
}

async function proposeDockerfile(ctx: Context): Promise<Proposal[]> {
  const model = await ctx.dockerfile();
  const exposes = sshExposes(model);
  if (exposes.length === 0) return [];
  const edits = exposes.map((e) => {
    const rest = e.tokens.filter((t) => !e.ssh.includes(t));
    if (rest.length === 0 || !e.instruction.argsRange) {
      return deleteLinesEdit(model.text, e.instruction.line - 1, e.instruction.endLine - 1);
    }
    return rangeEdit(model.text, e.instruction.argsRange, rest.join(' '));
  });
  return [
    {
      id: 'no-ssh-port',
      // EXPOSE only documents; logins over ssh must move to docker exec.
      risk: 'review',
      title: 'Stop exposing port 22',
      description:
        'EXPOSE only documents a port; the ssh server itself must also go from the image (its package and the command that starts it). For a shell in a running container use `docker exec -it NAME sh`.',
      changes: [{ path: model.path, before: model.text, after: applyEdits(model.text, edits) }],
      commands: [],
      warnings: ['Anything that logs in to the container over ssh (deployment scripts, people) must use docker exec or the orchestrator instead.'],
    },
  ];
}
