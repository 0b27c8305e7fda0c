/**
 * Step 11 on a host: the mandatory access control dockerd uses, seccomp, no-new-privileges as
 * the daemon default, and the running containers' capabilities, profiles and root file systems.
 */
import { NNP_BREAKS } from './confine-compose.js';
import { RESTART_STOPS_CONTAINERS, statusOf, type CheckResult, type Context, type Finding, type Proposal } from '../../src/core/step.js';
import type { ContainerDetails } from '../../src/host/facts.js';
import { daemonConfigChange, hostDaemon, setByFlag, setting, type HostDaemon } from './daemon.js';
import { DANGEROUS_CAPS, containerName, containerWeakenings, selinuxActive, normalizeCap, socketPathsFor, WEAKENINGS } from './workload.js';

const APPARMOR_ENABLED = '/sys/module/apparmor/parameters/enabled';
const APPARMOR_PROFILES = '/sys/kernel/security/apparmor/profiles';
const SELINUX_ENFORCE = '/sys/fs/selinux/enforce';


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

/** What the host check read, for propose: the daemon's settings, the LSMs and the running containers. */
export interface HostState {
  target: 'host';
  daemon: HostDaemon;
  lsm: Lsm;
  containers: ContainerDetails[];
  selinuxOn: boolean;
}

export async function checkHost(ctx: Context): Promise<CheckResult<HostState>> {
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
  const selinuxOn = await selinuxActive(ctx.probe);
  return { status: statusOf(findings), findings, notes, state: { target: 'host', daemon, lsm, containers, selinuxOn } };
}

export async function proposeHost(state: HostState): Promise<Proposal[]> {
  const proposals: Proposal[] = [];
  const { daemon, lsm, selinuxOn } = state;
  const nnp = await setting(daemon, 'no-new-privileges');
  if (daemon.view && nnp && nnp.value !== true && !setByFlag(nnp)) {
    proposals.push({
      id: 'daemon-no-new-privileges',
      // Every container on the host: any of them may rely on a setuid program.
      kind: 'change',
      risk: 'review',
      title: 'Set "no-new-privileges": true in daemon.json and restart dockerd',
      description: 'Every container then starts with no-new-privileges: no process in it can gain privileges through setuid or file capabilities.',
      changes: [await daemonConfigChange(daemon.view.config, [{ key: 'no-new-privileges', value: true }])],
      commands: [],
      daemon: 'restart',
      warnings: [NNP_BREAKS, RESTART_STOPS_CONTAINERS],
    });
  }
  const selinux = await setting(daemon, 'selinux-enabled');
  if (daemon.view && !lsm.apparmor && lsm.selinux === '1' && selinux && selinux.value !== true && !setByFlag(selinux)) {
    proposals.push({
      id: 'daemon-selinux-enabled',
      // Bind mounts without :z/:Z lose access.
      kind: 'change',
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

  for (const c of state.containers) {
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
      kind: 'advice',
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

