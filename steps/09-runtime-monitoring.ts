import { defineStep, type CodeInfo, statusOf, type CommandAction, type Context, type Finding, type Proposal } from '../src/core/step.js';
import { HostUnavailableError } from '../src/host/facts.js';
import { anyUnitFile } from '../src/host/units.js';

/** The Falco release the container form runs (pinned: a floating tag changes under you). */
export const FALCO_IMAGE = 'falcosecurity/falco:0.39.2';
/** The systemd units the Falco packages install, one per driver. */
export const FALCO_UNITS = ['falco-modern-bpf.service', 'falco-kmod.service', 'falco-bpf.service', 'falco-custom.service', 'falco.service'];
const FALCO_KEY_URL = 'https://falco.org/repo/falcosecurity-packages.asc';
export const FALCO_KEYRING = '/usr/share/keyrings/falco-archive-keyring.asc';
export const FALCO_APT_LIST = '/etc/apt/sources.list.d/falcosecurity.list';

export type Distro = 'debian' | 'rhel' | 'other';
export type Driver = 'modern_ebpf' | 'kmod';

interface Kernel {
  release: string | null;
  version: [number, number] | null;
  btf: boolean;
  /** Falco's modern eBPF driver needs BTF and kernel 5.8 or later. */
  modernEbpf: boolean;
}

interface Situation {
  binary: { path: string; version: string | null } | null;
  services: string[];
  containers: string[];
  hostProblem?: string;
  kernel: Kernel;
  distro: { family: Distro; name: string };
  systemctl: string | null;
}

export async function kernelSupport(ctx: Context): Promise<Kernel> {
  const release = (await ctx.probe.readText('/proc/sys/kernel/osrelease'))?.trim() || null;
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  const version: [number, number] | null = m ? [Number(m[1]), Number(m[2])] : null;
  const btf = (await ctx.probe.stat('/sys/kernel/btf/vmlinux')) !== null;
  const recent = version !== null && (version[0] > 5 || (version[0] === 5 && version[1] >= 8));
  return { release, version, btf, modernEbpf: btf && recent };
}

/** The distribution family from /etc/os-release (ID, then ID_LIKE). */
export async function distroOf(ctx: Context): Promise<{ family: Distro; name: string }> {
  const text = (await ctx.probe.readText('/etc/os-release')) ?? '';
  const field = (key: string) => new RegExp(`^${key}=["']?([^"'\\n]*)`, 'm').exec(text)?.[1]?.toLowerCase() ?? '';
  const ids = [field('ID'), ...field('ID_LIKE').split(/\s+/)].filter(Boolean);
  const name = new RegExp(`^PRETTY_NAME=["']?([^"'\\n]*)`, 'm').exec(text)?.[1] ?? (field('ID') || 'unknown');
  if (ids.some((id) => ['debian', 'ubuntu'].includes(id))) return { family: 'debian', name };
  if (ids.some((id) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'amzn'].includes(id))) return { family: 'rhel', name };
  return { family: 'other', name };
}

async function look(ctx: Context): Promise<Situation> {
  const falco = await ctx.probe.which('falco');
  let binary: Situation['binary'] = null;
  if (falco) {
    const r = await ctx.probe.run([falco, '--version'], { timeoutMs: 15_000 });
    const version = /Falco version:\s*(\S+)/i.exec(r.stdout)?.[1] ?? (r.stdout.trim().split('\n')[0] || null);
    binary = { path: falco, version };
  }
  const systemctl = await ctx.probe.which('systemctl');
  const services: string[] = [];
  if (systemctl && (await anyUnitFile(ctx.probe, FALCO_UNITS))) {
    const r = await ctx.probe.run([systemctl, 'is-active', ...FALCO_UNITS], { timeoutMs: 10_000 });
    // One line per unit, in order; `is-active` exits non-zero unless all are active, so read the lines.
    r.stdout.split('\n').forEach((state, i) => {
      if (state.trim() === 'active' && FALCO_UNITS[i]) services.push(FALCO_UNITS[i]!);
    });
  }
  const containers: string[] = [];
  let hostProblem: string | undefined;
  try {
    for (const c of await ctx.host.containers()) {
      const image = c.Config?.Image ?? '';
      if (/(^|\/)falco(:|@|$)/.test(image) || /falcosecurity\/falco/.test(image)) containers.push(`${c.Name?.replace(/^\//, '') ?? c.Id.slice(0, 12)} (${image})`);
    }
  } catch (err) {
    if (!(err instanceof HostUnavailableError)) throw err;
    hostProblem = err.message;
  }
  return { binary, services, containers, hostProblem, kernel: await kernelSupport(ctx), distro: await distroOf(ctx), systemctl };
}

function kernelNote(k: Kernel): string {
  const release = k.release ?? 'unknown kernel';
  if (k.modernEbpf) return `kernel ${release} with BTF: Falco's modern eBPF driver works here (no kernel module, no headers)`;
  const why = !k.btf ? '/sys/kernel/btf/vmlinux is missing (kernel built without BTF)' : 'it needs kernel 5.8 or later';
  return `kernel ${release}: the modern eBPF driver cannot run (${why}); Falco needs its kernel module, built with DKMS against the kernel headers`;
}

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "DH-FALCO-STOPPED": {
    title: "Falco is installed but not running",
    severity: 'medium',
    help: "Start the falco service (or container) so runtime events are watched.",
  },
  "DH-MONITOR-NONE": {
    title: "No runtime monitoring",
    severity: 'medium',
    help: "Nothing watches what containers do at run time. Install Falco (or another runtime monitor).",
  },
};

export default defineStep<Situation>({
  meta: {
    id: 'runtime-monitoring',
    order: 9,
    title: 'Watch containers at runtime (Falco)',
    targets: ['host'],
    summary: 'A runtime monitor such as Falco reports a shell in a container, a write below /etc, an unexpected outbound connection.',
    explain:
      'Scanning and hardening reduce what can go wrong; runtime monitoring tells you when something does. Falco ' +
      'watches the system calls of every container through an eBPF probe and raises an alert when one does what a ' +
      'service should never do: a shell started in a container, a write below /etc or /usr/bin, a read of ' +
      '/etc/shadow, a privileged container started, an outbound connection from a process that has none. This step ' +
      'looks for Falco as a package (its binary and a running falco service) or as a container, and checks whether ' +
      'the kernel supports the modern eBPF driver (kernel 5.8 or later with BTF), which needs no kernel module. It ' +
      'proposes the install commands for this distribution from Falco\'s package repository, or the container form. ' +
      'Falco uses some CPU on busy hosts, and its default rules may need tuning before its alerts are quiet enough to act on.',
    codes: CODES,
    references: [
      { title: 'Falco: install on a host (DEB, RPM)', url: 'https://falco.org/docs/setup/packages/' },
      { title: 'Falco: run in a container', url: 'https://falco.org/docs/setup/container/' },
      { title: 'Falco: kernel event sources and drivers', url: 'https://falco.org/docs/concepts/event-sources/kernel/' },
    ],
  },

  async check(ctx) {
    const s = await look(ctx);
    const findings: Finding[] = [];
    const notes: string[] = [];
    if (s.binary) notes.push(`falco installed: ${s.binary.path}${s.binary.version ? ` (version ${s.binary.version})` : ''}`);
    if (s.services.length > 0) notes.push(`falco service active: ${s.services.join(', ')}`);
    if (s.containers.length > 0) notes.push(`falco container running: ${s.containers.join(', ')}`);
    if (s.hostProblem) notes.push(`containers not listed: ${s.hostProblem}`);
    notes.push(kernelNote(s.kernel));
    const running = s.services.length > 0 || s.containers.length > 0;
    if (!running) {
      if (s.binary) {
        findings.push({ code: 'DH-FALCO-STOPPED', message: 'Falco is installed but not running: no falco service is active and no falco container runs', severity: 'medium', evidence: s.binary.path });
      } else {
        findings.push({ code: 'DH-MONITOR-NONE', message: 'no runtime monitoring: Falco is not installed, and no falco service or container runs', severity: 'medium' });
      }
    }
    return { status: statusOf(findings), findings, notes, state: s };
  },

  async propose(ctx, result) {
    const s = result.state;
    if (!s) return [];
    if (s.services.length > 0 || s.containers.length > 0) return [];
    const driver: Driver = s.kernel.modernEbpf ? 'modern_ebpf' : 'kmod';
    const proposals: Proposal[] = [];
    if (s.binary && s.systemctl) {
      const unit = driver === 'modern_ebpf' ? 'falco-modern-bpf.service' : 'falco-kmod.service';
      proposals.push({
        id: 'start-service',
        kind: 'command',
        risk: 'review',
        title: `Start Falco now and at boot (${unit})`,
        description: `Falco is installed; this enables and starts ${unit}, the unit for the ${driver === 'modern_ebpf' ? 'modern eBPF driver' : 'kernel module driver'}. Alerts go to the journal: journalctl -u ${unit}.`,
        changes: [],
        commands: [{ title: `systemctl enable --now ${unit}`, argv: [s.systemctl, 'enable', '--now', unit], run: !ctx.learn }],
        warnings: [],
        group: 'falco',
      });
      return proposals;
    }
    if (s.distro.family !== 'other') proposals.push(packageProposal(s.distro, driver, s.kernel));
    proposals.push(containerProposal(driver));
    return proposals;
  },
});

/** The apt source line Falco documents, keyed to its signing key. */
export function falcoAptSource(): string {
  return `# Falco packages (added by docker-harden)\ndeb [signed-by=${FALCO_KEYRING}] https://download.falco.org/packages/deb stable main\n`;
}

function packageProposal(distro: { family: Distro; name: string }, driver: Driver, kernel: Kernel): Proposal {
  // Installing software is shown, never run (fix --help says so): a package install and a kernel
  // driver are for the person to start.
  const run = false;
  const env = ['env', 'FALCO_FRONTEND=noninteractive', `FALCO_DRIVER_CHOICE=${driver}`];
  const headers = driver === 'kmod' && kernel.release ? kernel.release : null;
  if (distro.family === 'debian') {
    const commands: CommandAction[] = [
      { title: "Download Falco's package signing key", argv: ['curl', '-fsSL', '-o', FALCO_KEYRING, FALCO_KEY_URL], run },
      { title: 'Refresh the package lists', argv: ['apt-get', 'update', '-y'], run },
    ];
    if (driver === 'kmod') {
      commands.push({ title: 'Install what the kernel module is built with', argv: ['apt-get', 'install', '-y', 'dkms', 'make', ...(headers ? [`linux-headers-${headers}`] : [])], run });
    }
    commands.push({ title: `Install Falco with the ${driver} driver, without questions`, argv: [...env, 'apt-get', 'install', '-y', 'falco'], run });
    return {
      id: 'install-package',
      kind: 'change',
      risk: 'review',
      title: `Install Falco from its apt repository (${distro.name}, ${driver === 'modern_ebpf' ? 'modern eBPF driver' : 'kernel module'})`,
      description:
        `Adds Falco's apt repository (signed by its key, kept in ${FALCO_KEYRING}); the commands shown then install the falco package, which starts ` +
        `the falco-${driver === 'modern_ebpf' ? 'modern-bpf' : 'kmod'} service: run them yourself. Undo removes the repository file; ` +
        'remove the package with `apt-get remove falco`.',
      changes: [{ path: FALCO_APT_LIST, before: null, after: falcoAptSource(), mode: 0o644 }],
      commands,
      warnings: driver === 'kmod' ? ['The kernel module is built against the running kernel: after a kernel upgrade DKMS rebuilds it.'] : [],
      group: 'falco',
    };
  }
  const commands: CommandAction[] = [
    { title: "Trust Falco's package signing key", argv: ['rpm', '--import', FALCO_KEY_URL], run },
    { title: "Add Falco's package repository", argv: ['curl', '-fsSL', '-o', '/etc/yum.repos.d/falcosecurity.repo', 'https://falco.org/repo/falcosecurity-rpm.repo'], run },
  ];
  if (driver === 'kmod') commands.push({ title: 'Install what the kernel module is built with', argv: ['dnf', 'install', '-y', 'dkms', 'make', ...(headers ? [`kernel-devel-${headers}`] : [])], run });
  commands.push({ title: `Install Falco with the ${driver} driver, without questions`, argv: [...env, 'dnf', 'install', '-y', 'falco'], run });
  return {
    id: 'install-package',
    kind: 'command',
    risk: 'review',
    title: `Install Falco from its rpm repository (${distro.name}, ${driver === 'modern_ebpf' ? 'modern eBPF driver' : 'kernel module'})`,
    description: "Imports Falco's signing key, adds its rpm repository and installs the falco package, which starts its service. Remove it with `dnf remove falco`.",
    changes: [],
    commands,
    warnings: [],
    group: 'falco',
  };
}

function containerProposal(driver: Driver): Proposal {
  const argv = [
    'docker', 'run', '-d', '--name', 'falco', '--restart', 'unless-stopped', '--privileged',
    '-v', '/var/run/docker.sock:/host/var/run/docker.sock',
    '-v', '/proc:/host/proc:ro',
    '-v', '/etc:/host/etc:ro',
    ...(driver === 'kmod' ? ['-v', '/dev:/host/dev', '-v', '/lib/modules:/host/lib/modules:ro', '-v', '/usr/src:/usr/src:ro'] : []),
    FALCO_IMAGE,
    'falco', '-o', `engine.kind=${driver === 'modern_ebpf' ? 'modern_ebpf' : 'kmod'}`,
  ];
  return {
    id: 'run-container',
    kind: 'command',
    risk: 'review',
    title: `Run Falco as a container (${FALCO_IMAGE}, ${driver === 'modern_ebpf' ? 'modern eBPF' : 'kernel module'})`,
    description:
      'Starts Falco in a container that restarts with Docker. It needs --privileged to load its eBPF probe and reads the ' +
      'Docker socket to name the containers in its alerts. Alerts: docker logs falco. Remove it with `docker rm -f falco`.',
    changes: [],
    // Shown, never run: a privileged container with the Docker socket is the person's to start.
    commands: [{ title: 'Start the Falco container', argv, run: false }],
    warnings: [
      'The container is privileged and mounts the Docker socket: it is as powerful as root on this host, like any runtime monitor.',
      ...(driver === 'kmod' ? ['Without the modern eBPF driver, Falco builds a kernel module: the kernel headers must be installed on the host.'] : []),
    ],
    group: 'falco',
  };
}
