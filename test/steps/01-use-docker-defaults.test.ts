import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import step from '../../steps/01-use-docker-defaults.js';
import { judgeEngineVersion, ENGINE_RELEASES_CHECKED } from '../../steps/lib/engine-releases.js';
import { runStep } from '../../src/core/runner.js';
import { systemProbe } from '../../src/core/probe.js';
import { createHostFacts } from '../../src/host/client.js';
import { UserError } from '../../src/core/errors.js';
import { composeTarget, contextFor, hostTarget, unreachableHost } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import type { Risk, Status } from '../../src/core/step.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-step1-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let fileNo = 0;
function fsMk(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

interface ComposeCase {
  name: string;
  given: string;
  expect: {
    status: Status;
    findings: string[];
    /** Proposal id -> the whole file after applying it. */
    afterFix?: Record<string, string>;
    /** Proposal id -> its risk (every proposal listed). */
    risks?: Record<string, Risk>;
    /** Proposal id -> substrings of its description. */
    describes?: Record<string, string[]>;
  };
}

const composeCases: ComposeCase[] = [
  {
    name: 'a plain service passes',
    given: 'services:\n  web:\n    image: nginx:1.27\n    ports:\n      - "8080:80"\n',
    expect: { status: 'pass', findings: [] },
  },
  {
    name: 'privileged, with comments around it',
    given: [
      '# the app',
      'services:',
      '  app:',
      '    image: example/app:1.0   # pinned',
      '    # needs devices, someone said',
      '    privileged: true',
      '    restart: unless-stopped',
      '',
    ].join('\n'),
    expect: {
      status: 'fail',
      findings: ['service app runs privileged'],
      afterFix: {
        'app-privileged': [
          '# the app',
          'services:',
          '  app:',
          '    image: example/app:1.0   # pinned',
          '    # needs devices, someone said',
          '    restart: unless-stopped',
          '',
        ].join('\n'),
      },
    },
  },
  {
    name: 'unconfined profiles and label=disable in security_opt, each its own choice',
    given: [
      'services:',
      '  tool:',
      '    image: example/tool',
      '    security_opt:',
      '      - seccomp:unconfined   # for strace',
      '      - apparmor=unconfined',
      '      - label:disable',
      '      - no-new-privileges:true',
      '',
    ].join('\n'),
    expect: {
      status: 'fail',
      findings: ['service tool runs without a seccomp profile', 'service tool runs without the docker-default AppArmor profile', 'SELinux labelling disabled'],
      afterFix: {
        'tool-seccomp-unconfined': [
          'services:',
          '  tool:',
          '    image: example/tool',
          '    security_opt:',
          '      - apparmor=unconfined',
          '      - label:disable',
          '      - no-new-privileges:true',
          '',
        ].join('\n'),
        'tool-label-disable': [
          'services:',
          '  tool:',
          '    image: example/tool',
          '    security_opt:',
          '      - seccomp:unconfined   # for strace',
          '      - apparmor=unconfined',
          '      - no-new-privileges:true',
          '',
        ].join('\n'),
      },
    },
  },
  {
    name: 'cap_add ALL and SYS_ADMIN (with and without CAP_), NET_ADMIN is not step 1',
    given: 'services:\n  a:\n    image: x\n    cap_add: [ALL]\n  b:\n    image: x\n    cap_add:\n      - CAP_SYS_ADMIN\n      - NET_ADMIN\n',
    expect: {
      status: 'fail',
      findings: ['service a adds every Linux capability', 'service b adds CAP_SYS_ADMIN'],
      afterFix: {
        'a-cap-all': 'services:\n  a:\n    image: x\n  b:\n    image: x\n    cap_add:\n      - CAP_SYS_ADMIN\n      - NET_ADMIN\n',
        'b-cap-sys-admin': 'services:\n  a:\n    image: x\n    cap_add: [ALL]\n  b:\n    image: x\n    cap_add:\n      - NET_ADMIN\n',
      },
    },
  },
  {
    name: 'host namespaces',
    given: 'services:\n  mon:\n    image: x\n    pid: host\n    ipc: host\n    uts: host\n    network_mode: host\n',
    expect: {
      status: 'fail',
      findings: ["service mon shares the host's process namespace", "service mon shares the host's IPC namespace", "service mon shares the host's UTS namespace", "service mon uses the host's network stack"],
      afterFix: { 'mon-network-host': 'services:\n  mon:\n    image: x\n    pid: host\n    ipc: host\n    uts: host\n' },
    },
  },
  {
    name: 'the Docker socket (short and long syntax) and writable system directories; read-only /etc is fine',
    given: [
      'services:',
      '  proxy:',
      '    image: example/proxy:3',
      '    volumes:',
      '      - /var/run/docker.sock:/var/run/docker.sock:ro',
      '      - ./conf:/etc/traefik',
      '  agent:',
      '    image: x',
      '    volumes:',
      '      - type: bind',
      '        source: /run/docker.sock',
      '        target: /docker.sock',
      '      - /:/host',
      '      - /etc:/host-etc:ro',
      '      - /usr/lib/modules:/lib/modules',
      '',
    ].join('\n'),
    expect: {
      status: 'fail',
      findings: [
        'service proxy has the Docker socket mounted (/var/run/docker.sock, read-only, which does not limit the API)',
        'service agent has the Docker socket mounted (/run/docker.sock)',
        "service agent mounts the host's / writable at /host",
        "service agent mounts the host's /usr/lib/modules writable at /lib/modules",
      ],
      afterFix: {
        'proxy-docker-socket-var-run-docker-sock': [
          'services:',
          '  proxy:',
          '    image: example/proxy:3',
          '    volumes:',
          '      - ./conf:/etc/traefik',
          '  agent:',
          '    image: x',
          '    volumes:',
          '      - type: bind',
          '        source: /run/docker.sock',
          '        target: /docker.sock',
          '      - /:/host',
          '      - /etc:/host-etc:ro',
          '      - /usr/lib/modules:/lib/modules',
          '',
        ].join('\n'),
        'agent-docker-socket-docker-sock': [
          'services:',
          '  proxy:',
          '    image: example/proxy:3',
          '    volumes:',
          '      - /var/run/docker.sock:/var/run/docker.sock:ro',
          '      - ./conf:/etc/traefik',
          '  agent:',
          '    image: x',
          '    volumes:',
          '      - /:/host',
          '      - /etc:/host-etc:ro',
          '      - /usr/lib/modules:/lib/modules',
          '',
        ].join('\n'),
      },
    },
  },
  {
    name: 'application data under system folders is not a finding (Pi-hole, WireGuard, app data)',
    given: [
      'services:',
      '  pihole:',
      '    image: pihole/pihole:2024.07.0',
      '    volumes:',
      '      - /etc/pihole:/etc/pihole',
      '      - /etc/dnsmasq.d:/etc/dnsmasq.d',
      '  wireguard:',
      '    image: lscr.io/linuxserver/wireguard:latest',
      '    volumes:',
      '      - /etc/wireguard:/config',
      '      - /opt/wg/data:/data',
      '      - /usr/local/share/wg:/share',
      '',
    ].join('\n'),
    expect: { status: 'pass', findings: [] },
  },
  {
    name: 'system paths written to are findings: /var/lib/docker, /proc, /etc itself',
    given: 'services:\n  agent:\n    image: x\n    volumes:\n      - /var/lib/docker/volumes:/vols\n      - /proc/sys:/host-sys\n      - /etc:/host-etc\n',
    expect: {
      status: 'fail',
      findings: ["mounts the host's /var/lib/docker/volumes writable", "mounts the host's /proc/sys writable", "mounts the host's /etc writable"],
      risks: { 'agent-writable-host-path-vols': 'review', 'agent-writable-host-path-host-sys': 'review', 'agent-writable-host-path-host-etc': 'review' },
      // Made read-only where it stands, not removed: an agent that reads the host's files still can.
      afterFix: { 'agent-writable-host-path-host-sys': 'services:\n  agent:\n    image: x\n    volumes:\n      - /var/lib/docker/volumes:/vols\n      - /proc/sys:/host-sys:ro\n      - /etc:/host-etc\n' },
    },
  },
  {
    name: 'the Docker socket mounted through a variable is found',
    given: 'services:\n  ui:\n    image: example/ui:2.21.0\n    volumes:\n      - ${DOCKER_SOCKET_LOCATION}:/var/run/docker.sock\n      - data:/data\nvolumes:\n  data: {}\n',
    expect: {
      status: 'fail',
      findings: ['service ui has the Docker socket mounted (${DOCKER_SOCKET_LOCATION})'],
      risks: { 'ui-docker-socket-var-run-docker-sock': 'review' },
      afterFix: { 'ui-docker-socket-var-run-docker-sock': 'services:\n  ui:\n    image: example/ui:2.21.0\n    volumes:\n      - data:/data\nvolumes:\n  data: {}\n' },
    },
  },
  {
    name: "a host-monitoring agent keeps the host's namespaces it measures (node_exporter): advice, never removed",
    given: 'services:\n  node_exporter:\n    image: quay.io/prometheus/node-exporter:v1.8.2\n    network_mode: host\n    pid: host\n    volumes:\n      - /:/host:ro,rslave\n',
    expect: {
      status: 'fail',
      findings: ["service node_exporter shares the host's process namespace", "service node_exporter uses the host's network stack"],
      risks: { 'node_exporter-pid-host': 'advice', 'node_exporter-network-host': 'advice' },
      describes: { 'node_exporter-network-host': ['built to monitor the host'] },
    },
  },
  {
    name: 'services that exist to use the Docker API (Traefik, Watchtower, Portainer) keep the socket: advice, never removed',
    given: 'services:\n  traefik:\n    image: traefik:v3.1\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n  watchtower:\n    image: containrrr/watchtower\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n  portainer:\n    image: portainer/portainer-ce:2.21.0\n    volumes:\n      - ${DOCKER_SOCKET_LOCATION}:/var/run/docker.sock\n',
    expect: {
      status: 'fail',
      findings: ['service traefik has the Docker socket mounted', 'service watchtower has the Docker socket mounted', 'service portainer has the Docker socket mounted'],
      risks: { 'traefik-docker-socket-var-run-docker-sock': 'advice', 'watchtower-docker-socket-var-run-docker-sock': 'advice', 'portainer-docker-socket-var-run-docker-sock': 'advice' },
      describes: {
        'traefik-docker-socket-var-run-docker-sock': ['every router defined by labels is gone', 'tecnativa/docker-socket-proxy'],
        'watchtower-docker-socket-var-run-docker-sock': ['a read-only socket proxy does not do'],
      },
    },
  },
  {
    name: 'a variable with a default path is read as that path',
    given: 'services:\n  agent:\n    image: x\n    volumes:\n      - ${ROOT_DIR:-/}:/host\n',
    expect: { status: 'fail', findings: ["service agent mounts the host's ${ROOT_DIR:-/} writable at /host"] },
  },
  {
    name: 'network_mode: host of a known image is review and publishes its ports',
    given: 'services:\n  homeassistant:\n    image: ghcr.io/home-assistant/home-assistant:stable\n    network_mode: host\n    volumes:\n      - ./config:/config\n',
    expect: {
      status: 'fail',
      findings: ["service homeassistant uses the host's network stack"],
      risks: { 'homeassistant-network-host': 'review' },
      describes: { 'homeassistant-network-host': ['publishes the ports', '8123:8123', 'mDNS'] },
      afterFix: { 'homeassistant-network-host': 'services:\n  homeassistant:\n    image: ghcr.io/home-assistant/home-assistant:stable\n    volumes:\n      - ./config:/config\n    ports:\n      - 8123:8123\n' },
    },
  },
  {
    name: 'the ports it publishes are quoted where a YAML 1.1 reader would take them for a number (22:22 is 1342 there)',
    given: 'services:\n  gitlab:\n    image: gitlab/gitlab-ce:17.5.1-ce.0\n    network_mode: host\n',
    expect: {
      status: 'fail',
      findings: ["service gitlab uses the host's network stack"],
      risks: { 'gitlab-network-host': 'review' },
      afterFix: { 'gitlab-network-host': 'services:\n  gitlab:\n    image: gitlab/gitlab-ce:17.5.1-ce.0\n    ports:\n      - 80:80\n      - 443:443\n      - "22:22"\n' },
    },
  },
  {
    name: 'network_mode: host of an unknown image is review and says the ports are not known',
    given: 'services:\n  app:\n    image: example/app:1\n    network_mode: host\n',
    expect: {
      status: 'fail',
      findings: ["service app uses the host's network stack"],
      risks: { 'app-network-host': 'review' },
      describes: { 'app-network-host': ['does not know which ports example/app:1 serves', 'mDNS'] },
      afterFix: { 'app-network-host': 'services:\n  app:\n    image: example/app:1\n' },
    },
  },
  {
    name: "fail2ban keeps the host's network (its iptables rules would ban nothing in a namespace of its own): advice; the AIO mastercontainer keeps the socket",
    given: 'services:\n  fail2ban:\n    image: crazymax/fail2ban:latest\n    network_mode: host\n    cap_add:\n      - NET_ADMIN\n      - NET_RAW\n  nextcloud-aio-mastercontainer:\n    image: nextcloud/all-in-one:latest\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n',
    expect: {
      status: 'fail',
      findings: ["service fail2ban uses the host's network stack", 'service nextcloud-aio-mastercontainer has the Docker socket mounted'],
      risks: { 'fail2ban-network-host': 'advice', 'nextcloud-aio-mastercontainer-docker-socket-var-run-docker-sock': 'advice' },
      describes: { 'fail2ban-network-host': ['ban nothing'], 'nextcloud-aio-mastercontainer-docker-socket-var-run-docker-sock': ['Docker socket is not available'] },
    },
  },
  {
    name: 'CI runners keep the socket, Docker-in-Docker keeps privileged: advice, each naming why',
    given: 'services:\n  runner:\n    image: gitea/act_runner:latest\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n  agent:\n    image: woodpeckerci/woodpecker-agent:v2\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n  dind:\n    image: docker:27-dind\n    privileged: true\n  cli:\n    image: docker:27-cli\n    privileged: true\n',
    expect: {
      status: 'fail',
      findings: ['service runner has the Docker socket mounted', 'service agent has the Docker socket mounted', 'service dind runs privileged', 'service cli runs privileged'],
      risks: { 'runner-docker-socket-var-run-docker-sock': 'advice', 'agent-docker-socket-var-run-docker-sock': 'advice', 'dind-privileged': 'advice', 'cli-privileged': 'review' },
      describes: { 'runner-docker-socket-var-run-docker-sock': ['every job fails'], 'dind-privileged': ['required for Docker-in-Docker'] },
    },
  },
  {
    // compose reads `yes` as true; what a service extends is its own too.
    name: 'privileged: yes, and a service that extends a privileged one',
    given: 'services:\n  base:\n    image: example/vpn:1.0\n    privileged: yes\n  app:\n    extends: base\n    ports: ["500:500/udp"]\n',
    expect: {
      status: 'fail',
      findings: ['service base runs privileged', 'service app runs privileged'],
      risks: { 'base-privileged': 'review', 'app-privileged': 'advice' },
      describes: { 'app-privileged': ['`privileged` of service `app` comes from service base, which it extends', 'Write `privileged` in service `app` itself'] },
    },
  },
];

describe('use-docker-defaults: compose files', () => {
  it.each(composeCases)('$name', async (c) => {
    const file = fsMk(path.join(tmp, `case-${fileNo++}`, 'compose.yaml'), c.given);
    const run = await runStep(step, contextFor(composeTarget(file)));
    expect(run.result.status).toBe(c.expect.status);
    const messages = run.result.findings.map((f) => f.message);
    for (const want of c.expect.findings) expect(messages.some((m) => m.includes(want)), `${want}\nin:\n${messages.join('\n')}`).toBe(true);
    expect(run.result.findings.length).toBe(c.expect.findings.length);
    for (const f of run.result.findings) {
      expect(f.file).toBe(file);
      expect(f.line).toBeGreaterThan(0);
    }
    // Every finding is its own choice, and each says what it may break.
    expect(run.proposals.length).toBe(c.expect.findings.length);
    for (const p of run.proposals) {
      // A change says what it may break; advice (never written) says why in its description.
      if (p.kind !== 'advice') expect(p.warnings.join(' ')).toMatch(/May break/);
      expect(p.id).not.toContain(':');
    }
    if (c.expect.risks) expect(Object.fromEntries(run.proposals.map((p) => [p.id, p.risk]))).toEqual(c.expect.risks);
    for (const [id, parts] of Object.entries(c.expect.describes ?? {})) {
      const text = run.proposals.find((p) => p.id === id)?.description ?? '';
      for (const part of parts) expect(text, id).toContain(part);
    }
    for (const [id, after] of Object.entries(c.expect.afterFix ?? {})) {
      const proposal = run.proposals.find((p) => p.id === id);
      expect(proposal, `proposal ${id} among ${run.proposals.map((p) => p.id).join(', ')}`).toBeDefined();
      expect(proposal!.changes).toHaveLength(1);
      expect(proposal!.changes[0]!.before).toBe(c.given);
      expect(proposal!.changes[0]!.after).toBe(after);
      // After the change the file checks again with that finding gone.
      const fixed = fsMk(path.join(tmp, `fixed-${fileNo++}`, 'compose.yaml'), after);
      const again = await runStep(step, contextFor(composeTarget(fixed)));
      expect(again.result.findings.length).toBe(c.expect.findings.length - 1);
    }
  });

  it("a service that takes another's volumes (volumes_from) holds its socket and writable mounts too; the fix where they are written names it", async () => {
    const given = [
      'services:',
      '  agent:',
      '    image: example/agent:1',
      '    volumes:',
      '      - /var/run/docker.sock:/var/run/docker.sock',
      '      - /etc:/host-etc',
      '      - data:/data',
      '  web:',
      '    image: example/web:2',
      '    volumes_from:',
      '      - agent',
      '  report:',
      '    image: example/report:1',
      '    volumes_from:',
      '      - web:ro',
      '  legacy:',
      '    image: example/legacy:1',
      '    volumes_from:',
      '      - container:old-agent',
      '  loop-a:',
      '    image: x',
      '    volumes_from: [loop-b]',
      '  loop-b:',
      '    image: x',
      '    volumes_from: [loop-a]',
      'volumes:',
      '  data: {}',
      '',
    ].join('\n');
    const file = fsMk(path.join(tmp, `volumes-from-${fileNo++}`, 'compose.yaml'), given);
    const run = await runStep(step, contextFor(composeTarget(file)));
    expect(run.result.findings.map((f) => [f.code, f.line, f.message.split(':')[0]])).toEqual([
      ['CIS-5.32', 5, 'service agent has the Docker socket mounted (/var/run/docker.sock)'],
      ['CIS-5.6', 6, "service agent mounts the host's /etc writable at /host-etc"],
      ['CIS-5.32', 11, 'service web takes the volumes of service agent (volumes_from)'],
      ['CIS-5.6', 11, 'service web takes the volumes of service agent (volumes_from)'],
      // Through web, read-only: the socket still gives the API, /etc is no longer writable.
      ['CIS-5.32', 15, 'service report takes the volumes of service agent (volumes_from, through service web)'],
    ]);
    expect(run.result.findings[2]!.message).toContain('it too has the Docker socket mounted (/var/run/docker.sock)');
    expect(run.result.findings[3]!.message).toContain("it too mounts the host's /etc writable at /host-etc");
    expect(Object.fromEntries(run.proposals.map((p) => [p.id, p.risk]))).toEqual({
      'agent-docker-socket-var-run-docker-sock': 'review',
      'agent-writable-host-path-host-etc': 'review',
      'web-docker-socket-from-agent-var-run-docker-sock': 'advice',
      'web-writable-host-path-from-agent-host-etc': 'advice',
      'report-docker-socket-from-agent-var-run-docker-sock': 'advice',
    });
    const proposal = (id: string) => run.proposals.find((p) => p.id === id)!;
    expect(proposal('agent-docker-socket-var-run-docker-sock').warnings).toContain("Service web, Service report take this service's volumes (volumes_from), so they lose the Docker socket too: what runs there may break the same way.");
    expect(proposal('agent-docker-socket-var-run-docker-sock').description).toContain('docker compose up -d agent web report');
    expect(proposal('agent-writable-host-path-host-etc').warnings).toContain("Service web takes this service's volumes (volumes_from), so it sees /etc:/host-etc read-only too: what runs there may break the same way.");
    expect(proposal('web-docker-socket-from-agent-var-run-docker-sock').description).toContain('the change belongs in service agent');
    // Removed where it is written, it is gone from every service that took it.
    const fixed = fsMk(path.join(tmp, `volumes-from-fixed-${fileNo++}`, 'compose.yaml'), proposal('agent-docker-socket-var-run-docker-sock').changes[0]!.after!);
    const again = await runStep(step, contextFor(composeTarget(fixed)));
    expect(again.result.findings.map((f) => f.code)).toEqual(['CIS-5.6', 'CIS-5.6']);
  });

  it('a service that takes the same volumes read-only one way and writable another holds them writable', async () => {
    const given = 'services:\n  agent:\n    image: x\n    volumes:\n      - /etc:/host-etc\n  relay:\n    image: x\n    volumes_from: [agent]\n  web:\n    image: x\n    volumes_from:\n      - agent:ro\n      - relay\n';
    const file = fsMk(path.join(tmp, `volumes-from-ro-rw-${fileNo++}`, 'compose.yaml'), given);
    const run = await runStep(step, contextFor(composeTarget(file)));
    expect(run.result.findings.map((f) => [f.line, f.message.split(':')[0]])).toEqual([
      [5, "service agent mounts the host's /etc writable at /host-etc"],
      [8, 'service relay takes the volumes of service agent (volumes_from)'],
      [13, 'service web takes the volumes of service agent (volumes_from, through service relay)'],
    ]);
  });

  it("a service extends another's settings, from another file too: the base's fix fixes both", async () => {
    const dir = path.join(tmp, `extends-${fileNo++}`);
    fsMk(path.join(dir, 'common', 'vpn.yml'), 'services:\n  vpn:\n    image: example/vpn:1.0\n    security_opt: [apparmor=unconfined]\n');
    const given = 'services:\n  base:\n    extends: { service: vpn, file: common/vpn.yml }\n    privileged: yes\n  app:\n    extends: base\n';
    const file = fsMk(path.join(dir, 'compose.yaml'), given);
    const run = await runStep(step, contextFor(composeTarget(file)));
    const what = (f: { message: string }) => /^service \w+ (runs privileged|runs without the docker-default AppArmor profile)/.exec(f.message)?.[0];
    expect(run.result.findings.map((f) => [what(f), f.line])).toEqual([
      ['service base runs privileged', 4],
      ['service base runs without the docker-default AppArmor profile', 3],
      ['service app runs privileged', 6],
      ['service app runs without the docker-default AppArmor profile', 6],
    ]);
    writeFileSync(file, run.proposals.find((p) => p.id === 'base-privileged')!.changes[0]!.after!);
    const again = await runStep(step, contextFor(composeTarget(file)));
    expect(again.result.findings.map(what)).toEqual(['service base runs without the docker-default AppArmor profile', 'service app runs without the docker-default AppArmor profile']);
  });

  it('a file with many aliases (Sentry self-hosted: 142) is edited, not refused', async () => {
    // yaml refuses more than 100 expansions of one anchor by default ("Excessive alias count").
    const services = Array.from({ length: 142 }, (_, i) => `  svc${i}:\n    <<: *defaults\n    image: example/svc${i}:1\n`).join('');
    const given = `x-defaults: &defaults\n  restart: unless-stopped\nservices:\n${services}  tool:\n    <<: *defaults\n    image: example/tool:1\n    privileged: true\n`;
    const file = fsMk(path.join(tmp, `aliases-${fileNo++}`, 'compose.yaml'), given);
    const run = await runStep(step, contextFor(composeTarget(file)));
    expect(run.result.findings).toHaveLength(1);
    expect(run.result.findings[0]!.message).toContain('service tool runs privileged');
    const after = run.proposals[0]!.changes[0]!.after;
    expect(after).toBe(given.replace('    privileged: true\n', ''));
    writeFileSync(file, after);
    expect((await runStep(step, contextFor(composeTarget(file)))).result.status).toBe('pass');
  });

  it('each writable mount keeps its fix id when another is fixed first, and is made read-only in its own syntax', async () => {
    const given = 'services:\n  netdata:\n    image: netdata/netdata:v1.47\n    volumes:\n      - /etc/passwd:/host/etc/passwd\n      - /proc:/host/proc   # host metrics\n      - /sys:/host/sys:rw,z\n      - type: bind\n        source: /etc/group\n        target: /host/etc/group\n';
    const file = fsMk(path.join(tmp, `ro-${fileNo++}`, 'compose.yaml'), given);
    const first = await runStep(step, contextFor(composeTarget(file)));
    const ids = first.proposals.map((p) => p.id);
    expect(ids).toEqual(['netdata-writable-host-path-host-etc-passwd', 'netdata-writable-host-path-host-proc', 'netdata-writable-host-path-host-sys', 'netdata-writable-host-path-host-etc-group']);
    writeFileSync(file, first.proposals[0]!.changes[0]!.after);
    const second = await runStep(step, contextFor(composeTarget(file)));
    expect(second.proposals.map((p) => p.id)).toEqual(ids.slice(1));
    for (const id of ids.slice(1)) {
      const run = await runStep(step, contextFor(composeTarget(file)));
      writeFileSync(file, run.proposals.find((p) => p.id === id)!.changes[0]!.after);
    }
    expect(readFileSync(file, 'utf8')).toBe(given.replace('/host/etc/passwd\n', '/host/etc/passwd:ro\n').replace('/host/proc   #', '/host/proc:ro   #').replace(':rw,z', ':ro,z').replace('target: /host/etc/group\n', 'target: /host/etc/group\n        read_only: true\n'));
    expect((await runStep(step, contextFor(composeTarget(file)))).result.status).toBe('pass');
  });

  it('privileged and the host network set through .env are found, and the evidence names the variable', async () => {
    const given = 'services:\n  app:\n    image: example/app:1\n    privileged: ${PRIV:-false}\n    network_mode: ${NET_MODE:-bridge}\n';
    const file = fsMk(path.join(tmp, `env-${fileNo++}`, 'compose.yaml'), given);
    expect((await runStep(step, contextFor(composeTarget(file)))).result.status).toBe('pass');
    writeFileSync(path.join(path.dirname(file), '.env'), 'PRIV=true\nNET_MODE=host\n');
    const run = await runStep(step, contextFor(composeTarget(file)));
    expect(run.result.findings.map((f) => f.evidence)).toEqual(['privileged: ${PRIV:-false} (true with .env and the defaults)', 'network_mode: ${NET_MODE:-bridge} (host with .env and the defaults)']);
    const after = run.proposals.find((p) => p.id === 'app-privileged')!.changes[0]!.after;
    expect(after).toBe(given.replace('    privileged: ${PRIV:-false}\n', ''));
  });

  it('cap_add and security_opt items written with variables are judged as compose reads them and removed as written', async () => {
    const given = 'services:\n  app:\n    image: example/app:1\n    cap_add:\n      - ${EXTRA_CAP:-SYS_ADMIN}\n      - NET_BIND_SERVICE\n    security_opt:\n      - ${SECCOMP:-seccomp:default}\n';
    const file = fsMk(path.join(tmp, `env-${fileNo++}`, 'compose.yaml'), given);
    writeFileSync(path.join(path.dirname(file), '.env'), 'SECCOMP=seccomp:unconfined\n');
    const run = await runStep(step, contextFor(composeTarget(file)));
    expect(run.result.findings.map((f) => f.evidence)).toEqual(['security_opt: ${SECCOMP:-seccomp:default} (seccomp:unconfined with .env and the defaults)', 'cap_add: ${EXTRA_CAP:-SYS_ADMIN} (SYS_ADMIN with .env and the defaults)']);
    const after = run.proposals.find((p) => p.id === 'app-cap-sys-admin')!.changes[0]!.after;
    expect(after).toBe(given.replace('      - ${EXTRA_CAP:-SYS_ADMIN}\n', ''));
    // The environment's own value decides: .env says otherwise, so nothing is found.
    writeFileSync(path.join(path.dirname(file), '.env'), 'EXTRA_CAP=NET_RAW\n');
    expect((await runStep(step, contextFor(composeTarget(file)))).result.status).toBe('pass');
  });

  it('a malformed compose file is an error naming the line, with no proposal', async () => {
    const file = fsMk(path.join(tmp, 'bad', 'compose.yaml'), 'services:\n  web:\n    image: [unclosed\n');
    const run = await runStep(step, contextFor(composeTarget(file)));
    expect(run.result.status).toBe('error');
    expect(run.result.findings[0]!.message).toMatch(/not valid YAML/);
    expect(run.result.findings[0]!.line).toBeGreaterThan(0);
    expect(run.proposals).toEqual([]);
  });
});

describe('use-docker-defaults: Engine releases as dated data', () => {
  it.each([
    ['20.10.24+dfsg1', 'unmaintained'],
    ['23.0.6', 'unmaintained'],
    ['25.0.8', 'distributor-only'],
    ['26.1.4', 'unmaintained'],
    ['27.5.1', 'unmaintained'],
    ['28.5.2', 'distributor-only'],
    ['29.2.0', 'maintained'],
    ['30.0.0', 'maintained'],
    ['19.03.15', 'unmaintained'],
    ['1.13.1', 'unmaintained'],
    ['not-a-version', 'unknown'],
  ])('%s is %s', (version, status) => {
    expect(judgeEngineVersion(version).status).toBe(status);
  });

  it('the data says when it was checked', () => {
    expect(ENGINE_RELEASES_CHECKED).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('use-docker-defaults: recorded hosts (what the test dockerd cannot be)', () => {
  it('a fresh Engine 29 with seccomp and nothing weakening passes', async () => {
    const run = await runStep(step, contextFor(hostTarget, { host: recordedHost({ info: ENGINE_29_INFO }) }));
    expect(run.result.status).toBe('pass');
    expect(run.result.notes?.join(' ')).toMatch(/release line 29 is maintained \(release data checked/);
  });

  it('Engine 28 is a low finding: maintained only for other distributors', async () => {
    const run = await runStep(step, contextFor(hostTarget, { host: recordedHost({ info: { ...ENGINE_29_INFO, ServerVersion: '28.5.2' } }) }));
    expect(run.result.status).toBe('warn');
    expect(run.result.findings[0]!.message).toMatch(/28\.5\.2: release line 28 .* maintained only for other distributors/);
  });

  it('seccomp missing from SecurityOptions, or unconfined daemon-wide, fails', async () => {
    const none = await runStep(step, contextFor(hostTarget, { host: recordedHost({ info: { ...ENGINE_29_INFO, SecurityOptions: ['name=apparmor'] } }) }));
    expect(none.result.findings.map((f) => f.message)).toContain(
      'seccomp is not active: the daemon lists no seccomp support, so containers run without a system call filter (the kernel or dockerd was built without it)',
    );
    const off = await runStep(step, contextFor(hostTarget, { host: recordedHost({ info: { ...ENGINE_29_INFO, SecurityOptions: ['name=seccomp,profile=unconfined'] } }) }));
    expect(off.result.status).toBe('fail');
    expect(off.result.findings[0]!.message).toMatch(/seccomp is switched off for every container/);
  });

  it('an invalid daemon.json is reported with its line, and the other checks still run', async () => {
    const host = recordedHost({
      info: { ...ENGINE_29_INFO, SecurityOptions: ['name=seccomp,profile=unconfined'] },
      config: { text: '{ "debug": true, }', invalid: new UserError('trailing comma', 'Remove it.', '/etc/docker/daemon.json', 1, 17) },
    });
    const run = await runStep(step, contextFor(hostTarget, { host }));
    const bad = run.result.findings.find((f) => f.message.startsWith('daemon.json cannot be read'));
    expect(bad).toMatchObject({ file: '/etc/docker/daemon.json', line: 1, column: 17, severity: 'high' });
    expect(run.result.findings.some((f) => /seccomp is switched off/.test(f.message))).toBe(true);
    expect(run.proposals.filter((p) => p.changes.length > 0)).toEqual([]);
  });

  it('a container started by compose points at its compose file', async () => {
    const host = recordedHost({
      info: ENGINE_29_INFO,
      containers: [
        {
          Name: '/shop-web-1',
          HostConfig: { Privileged: true },
          Config: { Labels: { 'com.docker.compose.service': 'web', 'com.docker.compose.project.config_files': '/srv/shop/compose.yaml' } },
        },
      ],
    });
    const run = await runStep(step, contextFor(hostTarget, { host }));
    expect(run.result.findings[0]!.message).toMatch(/container shop-web-1 runs privileged.*\(started by docker compose, service web in \/srv\/shop\/compose.yaml\)/);
    expect(run.proposals[0]!.title).toMatch(/compose service web \(\/srv\/shop\/compose.yaml\): remove --privileged there/);
    expect(run.proposals[0]!.changes).toEqual([]);
    expect(run.proposals[0]!.commands).toEqual([]);
  });

  it('an Engine 29 host reads "unconfined" as seccomp off for every container', async () => {
    const host = recordedHost({ info: ENGINE_29_INFO, config: { path: '/etc/docker/daemon.json', text: '{\n  "seccomp-profile": "unconfined"\n}\n' } });
    const run = await runStep(step, contextFor(hostTarget, { host }));
    expect(run.result.findings.map((f) => f.message)).toContain('daemon.json sets "seccomp-profile": "unconfined", which turns seccomp off for every container');
    // Only the key goes; how the emptied object is laid out is the daemon.json editor's business.
    expect(JSON.parse(run.proposals.find((p) => p.id === 'daemon-seccomp-default')!.changes[0]!.after)).toEqual({});
  });

  it('an unreachable daemon is an error that says what to do', async () => {
    const run = await runStep(step, contextFor(hostTarget, { host: unreachableHost() }));
    expect(run.result.status).toBe('error');
    expect(run.result.findings[0]!.message).toMatch(/does not answer: cannot reach the Docker daemon/);
    expect(run.result.findings[0]!.evidence).toMatch(/Start Docker, or pass --docker-host/);
    expect(run.proposals).toEqual([]);
  });
});

describe.skipIf(!hasDockerd)('use-docker-defaults: a real dockerd', () => {
  let d: TestDaemon;
  const probe = systemProbe();
  const live = (daemon: TestDaemon) =>
    contextFor(hostTarget, { host: createHostFacts({ dockerHost: daemon.host, daemonConfigPath: daemon.configPath, env: {}, probe }), probe });

  beforeAll(async () => {
    d = await startDockerd();
    await buildBusyboxImage(d, 'dh-bb:1');
    const run = (name: string, flags: string[]) => d.docker(['run', '-d', '--name', name, '--network', 'none', ...flags, 'dh-bb:1', 'sleep', '3600']);
    // No --privileged container here: this machine's capability bounding set lacks
    // CAP_SYS_RESOURCE, so runc cannot start one ("unable to apply caps"). The recorded-host
    // cases above cover privileged containers.
    await run('dh-sysadmin', ['--cap-add', 'SYS_ADMIN']);
    await run('dh-socket', ['-v', `${d.socket}:/var/run/docker.sock`]);
    await run('dh-seccomp', ['--security-opt', 'seccomp=unconfined']);
    await run('dh-pidhost', ['--pid', 'host']);
    await run('dh-etc', ['-v', '/etc:/host-etc']);
    await run('dh-etc-ro', ['-v', '/etc:/host-etc:ro']);
    await run('dh-clean', []);
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('reports Engine 20.10 out of support and each weakening container by name, not the clean ones', async () => {
    const run = await runStep(step, live(d));
    expect(run.result.status).toBe('fail');
    const messages = run.result.findings.map((f) => f.message);
    const has = (re: RegExp) => expect(messages.some((m) => re.test(m)), `${re}\nin:\n${messages.join('\n')}`).toBe(true);
    has(/^Docker Engine 20\.10\.\d+.* is out of support: release line 20\.10 .* gets no security fixes/);
    has(/^container dh-sysadmin adds CAP_SYS_ADMIN/);
    has(new RegExp(`^container dh-socket has the Docker socket mounted \\(${d.socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    has(/^container dh-seccomp runs without a seccomp profile/);
    has(/^container dh-pidhost shares the host's process namespace/);
    has(/^container dh-etc mounts the host's \/etc writable at \/host-etc/);
    expect(messages.some((m) => m.includes('dh-clean'))).toBe(false);
    expect(messages.some((m) => m.includes('dh-etc-ro'))).toBe(false);
    expect(run.result.notes?.join(' ')).toMatch(/7 running containers inspected/);
  });

  it('proposes the flags to leave out for each hand-started container, and runs nothing', async () => {
    const run = await runStep(step, live(d));
    const byId = new Map(run.proposals.map((p) => [p.id, p]));
    expect(byId.get('container-dh-sysadmin')!.title).toBe('When you next create container dh-sysadmin, leave out: --cap-add SYS_ADMIN');
    expect(byId.get('container-dh-seccomp')!.title).toBe('When you next create container dh-seccomp, leave out: --security-opt seccomp=unconfined');
    expect(byId.get('container-dh-etc')!.title).toBe('When you next create container dh-etc, leave out: -v /etc:/host-etc');
    expect(byId.get('container-dh-socket')!.warnings.join(' ')).toMatch(/socket proxy/);
    for (const p of run.proposals) {
      expect(p.changes).toEqual([]);
      expect(p.commands.filter((c) => c.run)).toEqual([]);
    }
    expect(byId.has('container-dh-clean')).toBe(false);
  });

  it('"seccomp-profile": "unconfined" written to daemon.json: found at its line, and on 20.10 it would stop dockerd; the diff keeps the rest', async () => {
    // Engine 20.10 refuses to start with it (it reads "unconfined" as a file path; moby#42481
    // added the value in 23.0), so the file is written to the running daemon's config, not started.
    const before = await fs.readFile(d.configPath, 'utf8');
    const text = '{\n    "bridge": "none",\n    "seccomp-profile": "unconfined",\n    "debug": false\n}\n';
    await fs.writeFile(d.configPath, text);
    try {
      const run = await runStep(step, live(d));
      const finding = run.result.findings.find((f) => f.message.startsWith('daemon.json sets "seccomp-profile": "unconfined"'));
      expect(finding).toMatchObject({ file: d.configPath, line: 3, severity: 'high' });
      expect(finding!.message).toMatch(/reads that as the path of a profile file and will refuse to start at its next restart/);
      const p = run.proposals.find((x) => x.id === 'daemon-seccomp-default')!;
      expect(p.daemon).toBe('restart');
      expect(p.changes[0]).toMatchObject({ path: d.configPath, before: text, after: '{\n    "bridge": "none",\n    "debug": false\n}\n' });
      expect(p.warnings.join(' ')).toMatch(/operation not permitted/);
      // The proposed file starts: dockerd answers with seccomp on.
      await fs.writeFile(d.configPath, p.changes[0]!.after);
      await d.restart();
      const again = await runStep(step, live(d));
      expect(again.result.findings.some((f) => /seccomp/.test(f.message))).toBe(false);
    } finally {
      await fs.writeFile(d.configPath, before);
    }
  });
});
