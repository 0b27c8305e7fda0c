/**
 * runtime-monitoring: Falco cannot be installed here, so its binary, its service and the kernel are
 * memory-probe worlds (the replies are what `falco --version` and `systemctl is-active` print). A
 * falco container is a real container on a real dockerd, from a BusyBox image tagged as Falco's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import step, { FALCO_APT_LIST, FALCO_IMAGE, FALCO_KEYRING, FALCO_UNITS, falcoAptSource } from '../../steps/09-runtime-monitoring.js';
import { runStep } from '../../src/core/runner.js';
import { systemProbe } from '../../src/core/probe.js';
import { createHostFacts } from '../../src/host/client.js';
import type { CommandResult } from '../../src/core/probe.js';
import type { Proposal, Status } from '../../src/core/step.js';
import { contextFor, hostTarget, memoryProbe, type MemoryWorld } from '../helpers/world.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
const UBUNTU = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n';
const ROCKY = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n';
const ARCH = 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\n';

const FALCO_VERSION_OUT = 'Falco version: 0.39.2 (x86_64)\nLibs version:  0.18.2\nPlugin API:    3.7.0\nEngine:        0.43.0\nDriver:\n  API version:    8.0.0\n  Schema version: 2.0.0\n  Default driver: 7.3.0+driver\n';

/** `systemctl is-active` prints one state per unit, in order. */
function isActive(active: string[]): Partial<CommandResult> {
  const lines = FALCO_UNITS.map((u) => (active.includes(u) ? 'active' : 'inactive'));
  return { stdout: lines.join('\n') + '\n', exitCode: lines.every((l) => l === 'active') ? 0 : 3 };
}

interface World {
  osRelease?: string;
  kernel?: string;
  btf?: boolean;
  falco?: boolean;
  systemd?: boolean;
  active?: string[];
  /** Unit files present beyond the active units' own. */
  unitFiles?: string[];
}

function worldOf(w: World): MemoryWorld {
  const files: Record<string, string> = {};
  if (w.osRelease) files['/etc/os-release'] = w.osRelease;
  if (w.kernel) files['/proc/sys/kernel/osrelease'] = w.kernel + '\n';
  if (w.btf) files['/sys/kernel/btf/vmlinux'] = '';
  // Falco's packages install their units here; an active unit has its file.
  for (const unit of [...(w.active ?? []), ...(w.unitFiles ?? [])]) files[`/usr/lib/systemd/system/${unit}`] = '[Service]\nExecStart=/usr/bin/falco\n';
  const which: Record<string, string> = {};
  if (w.falco) which.falco = '/usr/bin/falco';
  if (w.systemd) which.systemctl = '/usr/bin/systemctl';
  return {
    files,
    which,
    commands: (argv) => {
      if (argv[0] === '/usr/bin/falco' && argv[1] === '--version') return { stdout: FALCO_VERSION_OUT };
      if (argv[0] === '/usr/bin/systemctl' && argv[1] === 'is-active') return isActive(w.active ?? []);
      return undefined;
    },
  };
}

interface Case {
  name: string;
  given: World;
  expect: {
    status: Status;
    findings: string[];
    notes?: string[];
    proposals: string[];
    check?: (proposals: Proposal[]) => void;
  };
}

const argvs = (p: Proposal) => p.commands.map((c) => c.argv.join(' '));

const cases: Case[] = [
  {
    name: 'nothing installed on Debian 12 with a modern kernel',
    given: { osRelease: DEBIAN, kernel: '6.1.0-26-amd64', btf: true, systemd: true },
    expect: {
      status: 'fail',
      findings: ['no runtime monitoring: Falco is not installed'],
      notes: ["kernel 6.1.0-26-amd64 with BTF: Falco's modern eBPF driver works here"],
      proposals: ['install-package', 'run-container'],
      check(proposals) {
        const pkg = proposals[0]!;
        expect(pkg.title).toContain('Debian GNU/Linux 12 (bookworm)');
        expect(pkg.changes).toEqual([{ path: FALCO_APT_LIST, before: null, after: falcoAptSource(), mode: 0o644 }]);
        expect(pkg.changes[0]!.after).toContain(`deb [signed-by=${FALCO_KEYRING}] https://download.falco.org/packages/deb stable main`);
        expect(argvs(pkg)).toEqual([
          `curl -fsSL -o ${FALCO_KEYRING} https://falco.org/repo/falcosecurity-packages.asc`,
          'apt-get update -y',
          'env FALCO_FRONTEND=noninteractive FALCO_DRIVER_CHOICE=modern_ebpf apt-get install -y falco',
        ]);
        // Shown only, as fix --help says: fix --yes never installs software.
        expect(pkg.commands.every((c) => !c.run)).toBe(true);
        expect(proposals[1]!.commands.every((c) => !c.run)).toBe(true);
        expect(pkg.group).toBe('falco');
        const container = proposals[1]!;
        expect(container.group).toBe('falco');
        expect(container.commands[0]!.argv.slice(-4)).toEqual([FALCO_IMAGE, 'falco', '-o', 'engine.kind=modern_ebpf']);
        expect(container.commands[0]!.argv).toContain('--privileged');
      },
    },
  },
  {
    name: 'Ubuntu without BTF: the kernel module driver with its headers',
    given: { osRelease: UBUNTU, kernel: '5.4.0-182-generic', btf: false },
    expect: {
      status: 'fail',
      findings: ['Falco is not installed'],
      notes: ['/sys/kernel/btf/vmlinux is missing'],
      proposals: ['install-package', 'run-container'],
      check(proposals) {
        expect(argvs(proposals[0]!)).toContain('apt-get install -y dkms make linux-headers-5.4.0-182-generic');
        expect(argvs(proposals[0]!).at(-1)).toBe('env FALCO_FRONTEND=noninteractive FALCO_DRIVER_CHOICE=kmod apt-get install -y falco');
        expect(proposals[1]!.commands[0]!.argv).toContain('engine.kind=kmod');
      },
    },
  },
  {
    name: 'BTF present but kernel 5.4: too old for modern eBPF',
    given: { osRelease: UBUNTU, kernel: '5.4.0-1', btf: true },
    expect: { status: 'fail', findings: ['Falco is not installed'], notes: ['it needs kernel 5.8 or later'], proposals: ['install-package', 'run-container'] },
  },
  {
    name: 'Rocky Linux: the rpm repository',
    given: { osRelease: ROCKY, kernel: '5.14.0-427.el9.x86_64', btf: true },
    expect: {
      status: 'fail',
      findings: ['Falco is not installed'],
      proposals: ['install-package', 'run-container'],
      check(proposals) {
        expect(argvs(proposals[0]!)).toEqual([
          'rpm --import https://falco.org/repo/falcosecurity-packages.asc',
          'curl -fsSL -o /etc/yum.repos.d/falcosecurity.repo https://falco.org/repo/falcosecurity-rpm.repo',
          'env FALCO_FRONTEND=noninteractive FALCO_DRIVER_CHOICE=modern_ebpf dnf install -y falco',
        ]);
      },
    },
  },
  {
    name: 'an unknown distribution gets the container form only',
    given: { osRelease: ARCH, kernel: '6.10.1-arch1-1', btf: true },
    expect: { status: 'fail', findings: ['Falco is not installed'], proposals: ['run-container'] },
  },
  {
    name: 'installed but no service active: start the unit for the driver',
    given: { osRelease: DEBIAN, kernel: '6.1.0-26-amd64', btf: true, falco: true, systemd: true, unitFiles: FALCO_UNITS },
    expect: {
      status: 'fail',
      findings: ['Falco is installed but not running'],
      notes: ['falco installed: /usr/bin/falco (version 0.39.2)'],
      proposals: ['start-service'],
      check(proposals) {
        expect(argvs(proposals[0]!)).toEqual(['/usr/bin/systemctl enable --now falco-modern-bpf.service']);
      },
    },
  },
  {
    name: 'the falco-modern-bpf service is active',
    given: { osRelease: DEBIAN, kernel: '6.1.0-26-amd64', btf: true, falco: true, systemd: true, active: ['falco-modern-bpf.service'] },
    expect: { status: 'pass', findings: [], notes: ['falco service active: falco-modern-bpf.service'], proposals: [] },
  },
  {
    name: 'a kmod service is active on an old kernel',
    given: { osRelease: UBUNTU, kernel: '5.4.0-182-generic', falco: true, systemd: true, active: ['falco-kmod.service'] },
    expect: { status: 'pass', findings: [], notes: ['falco service active: falco-kmod.service', 'the modern eBPF driver cannot run'], proposals: [] },
  },
];

describe('runtime-monitoring', () => {
  it.each(cases)('$name', async (c) => {
    const ctx = contextFor(hostTarget, { probe: memoryProbe(worldOf(c.given)) });
    const run = await runStep(step, ctx);
    expect(run.result.status).toBe(c.expect.status);
    expect(run.result.findings).toHaveLength(c.expect.findings.length);
    for (const f of c.expect.findings) expect(run.result.findings.map((x) => x.message).join('\n')).toContain(f);
    for (const note of c.expect.notes ?? []) expect((run.result.notes ?? []).join('\n')).toContain(note);
    expect(run.proposals.map((p) => p.id)).toEqual(c.expect.proposals);
    c.expect.check?.(run.proposals);
  });

  it('asks systemctl only when systemd has a Falco unit file: a unit without one is never active', async () => {
    const asked: string[] = [];
    const world = (w: World): MemoryWorld => {
      const base = worldOf(w);
      return { ...base, commands: (argv) => (asked.push(argv.join(' ')), typeof base.commands === 'function' ? base.commands(argv) : undefined) };
    };
    await runStep(step, contextFor(hostTarget, { probe: memoryProbe(world({ osRelease: DEBIAN, kernel: '6.1.0', btf: true, systemd: true })) }));
    expect(asked.filter((a) => a.includes('is-active'))).toEqual([]);
    await runStep(step, contextFor(hostTarget, { probe: memoryProbe(world({ osRelease: DEBIAN, kernel: '6.1.0', btf: true, systemd: true, unitFiles: ['falco.service'] })) }));
    expect(asked.filter((a) => a.includes('is-active'))).toEqual([`/usr/bin/systemctl is-active ${FALCO_UNITS.join(' ')}`]);
  });

  it('in the learn sandbox nothing is run, only shown', async () => {
    const ctx = contextFor(hostTarget, { probe: memoryProbe(worldOf({ osRelease: DEBIAN, kernel: '6.1.0', btf: true })), learn: true });
    const run = await runStep(step, ctx);
    expect(run.proposals.flatMap((p) => p.commands).every((c) => !c.run)).toBe(true);
  });

  it('an unreachable daemon is a note, not an error', async () => {
    const run = await runStep(step, contextFor(hostTarget, { probe: memoryProbe(worldOf({ osRelease: DEBIAN, kernel: '6.1.0', btf: true })) }));
    expect(run.result.notes?.join('\n')).toContain('containers not listed: cannot reach the Docker daemon');
  });
});

describe.skipIf(!hasDockerd)('runtime-monitoring: a falco container on a real dockerd', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startDockerd();
    // Falco itself cannot run here; a BusyBox image under Falco's name stands in for its container.
    await buildBusyboxImage(daemon, FALCO_IMAGE);
    await daemon.docker(['run', '-d', '--network', 'none', '--name', 'falco', FALCO_IMAGE, 'sleep', '600']);
  });
  afterAll(async () => {
    await daemon?.docker(['rm', '-f', 'falco'], { reject: false });
    await daemon?.stop();
  });

  it('passes and names the container', async () => {
    const probe = memoryProbe(worldOf({ osRelease: DEBIAN, kernel: '6.1.0-26-amd64', btf: true }));
    const host = createHostFacts({ dockerHost: daemon.host, env: {}, probe: systemProbe({}) });
    const run = await runStep(step, contextFor(hostTarget, { probe, host }));
    expect(run.result.status).toBe('pass');
    expect(run.result.notes?.join('\n')).toContain(`falco container running: falco (${FALCO_IMAGE})`);
    expect(run.proposals).toEqual([]);
  });
});
