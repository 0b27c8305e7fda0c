/**
 * Finding codes: every code a step reports is declared in its meta.codes, codes are unique across
 * steps (a code declared by several steps comes from one shared table), the list is stable (the
 * snapshot below changes only on purpose), and table cases run the real steps on Dockerfiles,
 * compose files and recorded hosts and name the codes they must report. `explain CODE` and the
 * text output are checked through the built CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { steps } from '../../steps/index.js';
import { SHARED_CODES } from '../../src/core/codes.js';
import { WEAKENING_CODES } from '../../steps/lib/workload.js';
import { runStep } from '../../src/core/runner.js';
import type { Finding, Step, Target } from '../../src/core/step.js';
import { contextFor, composeTarget, dockerfileTarget, hostTarget, memoryProbe, unreachableHost } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';
import { ensureBuilt, repoRoot, runCli } from '../helpers/cli.js';
import type { HostFacts } from '../../src/host/facts.js';
import { UserError } from '../../src/core/errors.js';

// The stable list: a code is renamed or removed only on purpose (ignores in repositories name them).
const DECLARED: Record<string, string[]> = {
  'use-docker-defaults': [
    'CIS-5.5',
    'CIS-5.22',
    'CIS-5.2',
    'CIS-5.3',
    'DH-CAP-ALL',
    'DH-CAP-SYS-ADMIN',
    'CIS-5.16',
    'CIS-5.17',
    'CIS-5.21',
    'CIS-5.10',
    'CIS-5.32',
    'CIS-5.6',
    'DH-ENGINE-UNKNOWN',
    'DH-ENGINE-EXTENDED',
    'DH-ENGINE-EOL',
    'DH-SECCOMP-UNSUPPORTED',
    'DH-SECCOMP-OFF',
  ],
  'scan-host-config': [
    'DH-FLAG-FILE-CONFLICT',
    'DH-MIRROR-HTTP',
    'CIS-2.2',
    'CIS-2.3',
    'CIS-2.4',
    'CIS-2.5',
    'CIS-2.6',
    'CIS-2.7',
    'CIS-2.8',
    'CIS-2.10',
    'CIS-2.11',
    'CIS-2.12',
    'CIS-2.13',
    'CIS-2.14',
    'CIS-2.15',
    'CIS-2.16',
    'CIS-2.17',
    'CIS-2.18',
    'CIS-3.1',
    'CIS-3.2',
    'CIS-3.3',
    'CIS-3.4',
    'CIS-3.5',
    'CIS-3.6',
    'CIS-3.9',
    'CIS-3.10',
    'CIS-3.11',
    'CIS-3.12',
    'CIS-3.13',
    'CIS-3.14',
    'CIS-3.15',
    'CIS-3.16',
    'CIS-3.17',
    'CIS-3.18',
    'CIS-3.19',
    'CIS-3.20',
    'CIS-3.21',
    'CIS-3.22',
    'CIS-3.23',
    'CIS-3.24',
    'CIS-1.1',
  ],
  'protect-docker-socket': [
    'DH-TCP-TLS-VERIFY',
    'DH-TCP-NO-CLIENT-AUTH',
    'DH-TCP-PLAIN',
    'DH-PORT-KNOWN',
    'DH-PORT-UNEXPLAINED',
    'DH-CLIENT-PLAIN-TCP',
    'DH-CONTEXT-INSECURE',
    'DH-SOCKET-WORLD',
    'DH-SOCKET-OWNER',
    'DH-SOCKET-GROUP',
    'DH-SOCKET-MOUNTED',
  ],
  'non-root-user': [
    'DH-USER-ROOT',
    'DH-USER-UNRESOLVED',
    'DH-USER-NO-PASSWD',
    'DH-USER-SUDO',
    'DH-CONTAINER-ROOT',
  ],
  'dependency-scanning': [
    'DH-SCAN-NONE',
    'DH-SCAN-UNSCHEDULED',
    'DH-SCAN-CI-TAG-GONE',
    'DH-SCAN-CI-ATTACKER-TRIVY',
    'DH-SCAN-CI-MISSING',
  ],
  'slim-base-image': [
    'DH-BASE-UNRESOLVED',
    'DH-BASE-LATEST',
    'DH-BASE-LARGE',
  ],
  'multi-stage-build': [
    'DH-BUILD-TOOLS-SHIPPED',
  ],
  'user-namespaces': [
    'CIS-2.9',
    'DH-USERNS-PENDING',
    'DH-USERNS-NO-RANGE',
    'DH-USERNS-SMALL-RANGE',
    'DH-USERNS-UNSEEN',
    'DH-USERNS-OVERLAP',
  ],
  'runtime-monitoring': [
    'DH-FALCO-STOPPED',
    'DH-MONITOR-NONE',
  ],
  'content-trust': [
    'DH-DCT-ON',
    'DH-DCT-OBSOLETE',
    'DH-BASE-ARG',
    'DH-BASE-FLOATING',
    'DH-BASE-UNPINNED',
    'DH-ADD-UNVERIFIED',
    'DH-ADD-LOCAL',
    'DH-CI-NO-VERIFY',
  ],
  'seccomp-apparmor-capabilities': [
    'CIS-5.5',
    'CIS-5.22',
    'CIS-5.2',
    'CIS-5.3',
    'DH-CAP-ALL',
    'DH-CAP-SYS-ADMIN',
    'CIS-5.16',
    'CIS-5.17',
    'CIS-5.21',
    'CIS-5.10',
    'CIS-5.32',
    'CIS-5.6',
    'DH-MAC-APPARMOR-UNUSED',
    'DH-MAC-APPARMOR-PROFILE',
    'DH-MAC-SELINUX-OFF',
    'DH-MAC-SELINUX-PERMISSIVE',
    'DH-MAC-NONE',
    'DH-CAPS-SECCOMP-UNSUPPORTED',
    'DH-CAPS-SECCOMP-OFF',
    'DH-NNP-DEFAULT',
    'DH-NNP-PENDING',
    'DH-CAPS-PRIVILEGED',
    'CIS-5.4',
    'DH-CAPS-DEFAULT',
    'CIS-5.26',
    'CIS-5.13',
    'DH-SSH-PORT',
    'DH-SSH-SERVER',
  ],
  'rootless-docker': [
    'CIS-2.1',
    'DH-ROOTLESS-NO-USER',
    'DH-ROOTLESS-UIDMAP',
    'DH-ROOTLESS-SUBIDS',
    'DH-ROOTLESS-CGROUP-V1',
    'DH-ROOTLESS-NO-SYSTEMD',
    'DH-ROOTLESS-USERNS-OFF',
    'DH-ROOTLESS-USERNS-ZERO',
    'DH-ROOTLESS-APPARMOR',
    'DH-ROOTLESS-WORKLOAD',
  ],
  'security-platforms': [
    'DH-PLATFORM-CHOICE',
  ],
  healthcheck: [
    'CIS-4.6',
    'DH-HEALTHCHECK-NONE',
  ],
};
const CODE_SHAPE = /^(CIS-\d+(\.\d+)+|DH-[A-Z0-9]+(-[A-Z0-9]+)*)$/;

function stepFile(step: Step): string {
  return path.join(repoRoot, 'steps', `${String(step.meta.order).padStart(2, '0')}-${step.meta.id}.ts`);
}

describe('declared codes', () => {
  it('match the stable list, step by step', () => {
    expect(Object.fromEntries(steps.map((s) => [s.meta.id, Object.keys(s.meta.codes)]))).toEqual(DECLARED);
  });

  it('are well formed, with a title, a severity and help', () => {
    const all = [...steps.flatMap((s) => Object.entries(s.meta.codes)), ...Object.entries(SHARED_CODES)];
    for (const [code, info] of all) {
      expect(code, code).toMatch(CODE_SHAPE);
      expect(info.title.length, code).toBeGreaterThan(5);
      expect(['critical', 'high', 'medium', 'low', 'info'], code).toContain(info.severity);
      expect(info.help, code).toMatch(/\.$/);
    }
  });

  it('are unique across steps: a code two steps declare is the same shared entry, and no step redeclares a shared code', () => {
    const seen = new Map<string, { step: string; info: object }>();
    for (const s of steps) {
      for (const [code, info] of Object.entries(s.meta.codes)) {
        expect(SHARED_CODES[code], `${s.meta.id} redeclares ${code}`).toBeUndefined();
        const before = seen.get(code);
        if (before) {
          expect(info, `${code} declared by ${before.step} and ${s.meta.id} with different meanings`).toBe(before.info);
          expect(WEAKENING_CODES[code]).toBe(info);
        } else seen.set(code, { step: s.meta.id, info });
      }
    }
  });

  it('every code written in a step is declared by it, and every declared code is written (or derived) in it', () => {
    const workload = readFileSync(path.join(repoRoot, 'steps', 'lib', 'workload.ts'), 'utf8');
    for (const s of steps) {
      const source = readFileSync(stepFile(s), 'utf8');
      const codeList = source.slice(source.indexOf('const CODES'), source.indexOf('export default defineStep'));
      // Step 2's check rows and step 11's per-target checks live in lib modules: part of what they report.
      const libs: Record<string, string[]> = {
        'scan-host-config': ['cis-daemon.ts', 'cis-files.ts'],
        'seccomp-apparmor-capabilities': ['confine-host.ts', 'confine-compose.ts', 'confine-dockerfile.ts'],
      };
      const rows = (libs[s.meta.id] ?? []).map((f) => readFileSync(path.join(repoRoot, 'steps', 'lib', f), 'utf8')).join('\n');
      const body = source.replace(codeList, '') + rows;
      const written = new Set([...body.matchAll(/'((?:CIS|DH)-[A-Z0-9.-]+)'/g)].map((m) => m[1]!));
      for (const code of written) expect(s.meta.codes[code] ?? SHARED_CODES[code], `${s.meta.id} reports ${code} without declaring it`).toBeDefined();
      for (const code of Object.keys(s.meta.codes)) {
        if (WEAKENING_CODES[code]) {
          expect(workload).toContain(`code: '${code}'`);
          continue;
        }
        // Step 2 builds CIS-<id> from the benchmark id of each check or file rule.
        const cis = code.replace(/^CIS-/, '');
        const derived = s.meta.id === 'scan-host-config' && new RegExp(`'(${cis.replace('.', '\\.')}|[\\d.]+/${cis.replace('.', '\\.')}|${cis.replace('.', '\\.')}/[\\d.]+)'`).test(body);
        expect(written.has(code) || derived, `${s.meta.id} declares ${code} but never reports it`).toBe(true);
      }
    }
  });
});

// Table cases: the real steps on a world, the exact codes they report.
interface CodeCase {
  name: string;
  step: string;
  dockerfile?: string;
  compose?: string;
  host?: () => HostFacts;
  codes: string[];
}

const BROKEN_DAEMON_JSON = new UserError('trailing comma', 'Remove the comma.', '/etc/docker/daemon.json', 1, 15);

const CASES: CodeCase[] = [
  { name: 'root image, sudo in RUN', step: 'non-root-user', dockerfile: 'FROM debian:12\nRUN sudo apt-get update\nCMD ["sh"]\n', codes: ['DH-USER-SUDO', 'DH-USER-ROOT'] },
  { name: 'USER from an ARG without default', step: 'non-root-user', dockerfile: 'FROM debian:12\nARG U\nUSER $U\nCMD ["sh"]\n', codes: ['DH-USER-UNRESOLVED'] },
  { name: 'non-root image', step: 'non-root-user', dockerfile: 'FROM debian:12\nUSER 10001\nCMD ["sh"]\n', codes: [] },
  { name: 'latest base', step: 'slim-base-image', dockerfile: 'FROM alpine\nCMD ["sh"]\n', codes: ['DH-BASE-LATEST'] },
  { name: 'large base', step: 'slim-base-image', dockerfile: 'FROM python:3.12\nCMD ["python"]\n', codes: ['DH-BASE-LARGE'] },
  { name: 'base from ARG', step: 'slim-base-image', dockerfile: 'ARG BASE\nFROM $BASE\nCMD ["sh"]\n', codes: ['DH-BASE-UNRESOLVED'] },
  { name: 'compiler in the final stage', step: 'multi-stage-build', dockerfile: 'FROM golang:1.22\nCOPY . .\nRUN go build -o /app .\nCMD ["/app"]\n', codes: ['DH-BUILD-TOOLS-SHIPPED'] },
  {
    name: 'floating base, ADD of a URL and of a text file',
    step: 'content-trust',
    dockerfile: 'FROM alpine:latest\nADD https://example.com/tool.tgz /opt/\nADD notes.txt /notes.txt\nCMD ["sh"]\n',
    codes: ['DH-BASE-FLOATING', 'DH-ADD-UNVERIFIED', 'DH-ADD-LOCAL'],
  },
  { name: 'tag without digest', step: 'content-trust', dockerfile: 'FROM alpine:3.20\nCMD ["sh"]\n', codes: ['DH-BASE-UNPINNED'] },
  { name: 'ssh server in the image', step: 'seccomp-apparmor-capabilities', dockerfile: 'FROM debian:12\nRUN apt-get install -y openssh-server\nEXPOSE 22\nCMD ["sh"]\n', codes: ['DH-SSH-PORT', 'DH-SSH-SERVER'] },
  {
    name: 'compose service that weakens the defaults',
    step: 'use-docker-defaults',
    compose: 'services:\n  app:\n    image: alpine:3.20\n    privileged: true\n    pid: host\n    network_mode: host\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n',
    codes: ['CIS-5.5', 'CIS-5.16', 'CIS-5.10', 'CIS-5.32'],
  },
  {
    name: 'compose service with added capabilities, writable root',
    step: 'seccomp-apparmor-capabilities',
    compose: 'services:\n  app:\n    image: alpine:3.20\n    cap_add: [SYS_ADMIN]\n',
    codes: ['DH-CAPS-DEFAULT', 'CIS-5.4', 'CIS-5.26', 'CIS-5.13'],
  },
  { name: 'unreachable daemon (scan-host-config)', step: 'scan-host-config', host: unreachableHost, codes: ['DH-DAEMON-UNREACHABLE'] },
  { name: 'unreachable daemon (user-namespaces)', step: 'user-namespaces', host: unreachableHost, codes: ['DH-DAEMON-UNREACHABLE'] },
  {
    name: 'engine 29 with defaults: no userns-remap',
    step: 'user-namespaces',
    host: () => recordedHost({ info: ENGINE_29_INFO, config: { text: '{}' } }),
    codes: ['CIS-2.9'],
  },
  {
    name: 'engine 29, icc and userland proxy at their defaults',
    step: 'scan-host-config',
    host: () => recordedHost({ info: { ...ENGINE_29_INFO, ExperimentalBuild: true }, config: { text: '{"icc": true}' } }),
    codes: ['CIS-2.2', 'CIS-2.18'],
  },
  {
    name: 'daemon.json that dockerd would refuse',
    step: 'user-namespaces',
    host: () => recordedHost({ info: ENGINE_29_INFO, config: { text: '{ "icc": false, }', invalid: BROKEN_DAEMON_JSON } }),
    codes: ['DH-DAEMON-JSON-INVALID'],
  },
];

describe('table cases: the codes each world reports', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-codes-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function targetOf(c: CodeCase): Target {
    const file = path.join(dir, c.name.replace(/[^a-z0-9]+/gi, '-'));
    if (c.dockerfile !== undefined) {
      writeFileSync(file + '.Dockerfile', c.dockerfile);
      return dockerfileTarget(file + '.Dockerfile');
    }
    if (c.compose !== undefined) {
      writeFileSync(file + '.compose.yaml', c.compose);
      return composeTarget(file + '.compose.yaml');
    }
    return hostTarget;
  }

  it.each(CASES)('$step: $name', async (c) => {
    const step = steps.find((s) => s.meta.id === c.step)!;
    const run = await runStep(step, contextFor(targetOf(c), { probe: memoryProbe(), env: {}, ...(c.host ? { host: c.host() } : {}) }));
    const reported = run.result.findings.map((f: Finding) => f.code);
    for (const f of run.result.findings) expect(step.meta.codes[f.code] ?? SHARED_CODES[f.code], `${f.code}: ${f.message}`).toBeDefined();
    for (const code of c.codes) expect(reported, run.result.findings.map((f) => `${f.code} ${f.message}`).join('\n')).toContain(code);
    if (c.codes.length === 0) expect(reported).toEqual([]);
  });

  it('a step that throws reports DH-CHECK-ERROR', async () => {
    const step = steps.find((s) => s.meta.id === 'non-root-user')!;
    const run = await runStep(step, contextFor(dockerfileTarget(path.join(dir, 'missing.Dockerfile')), { probe: memoryProbe() }));
    expect(run.result.status).toBe('error');
    expect(run.result.findings.map((f) => f.code)).toEqual(['DH-CHECK-ERROR']);
  });
});

describe('codes on the command line', () => {
  let dir: string;
  const env = () => ({ DOCKER_HOST: `unix://${path.join(dir, 'none.sock')}`, HOME: dir });
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-codes-cli-'));
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM node:20\nCMD ["node", "server.js"]\n');
    await ensureBuilt();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('explain prints the title, severity, help and the step that reports it', async () => {
    const r = await runCli(['explain', 'DH-USER-ROOT'], { cwd: dir, env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    const info = steps.find((s) => s.meta.id === 'non-root-user')!.meta.codes['DH-USER-ROOT']!;
    expect(r.stdout).toContain(`DH-USER-ROOT (high): ${info.title}`);
    expect(r.stdout).toContain(info.help);
    expect(r.stdout).toContain('[non-root-user]');
  });

  it('explain takes a CIS id in any case, or the bare number; --json gives the entry', async () => {
    const lower = await runCli(['explain', 'cis-2.2'], { cwd: dir, env: env() });
    expect(lower.stdout).toMatch(/^CIS-2\.2 \(medium\)/);
    const bare = await runCli(['explain', '2.14', '--json'], { cwd: dir, env: env() });
    expect(JSON.parse(bare.stdout)).toMatchObject({ code: 'CIS-2.14', severity: 'medium', steps: ['scan-host-config'] });
    const shared = await runCli(['explain', 'DH-DAEMON-UNREACHABLE'], { cwd: dir, env: env() });
    expect(shared.stdout).toContain('Reported by docker-harden itself');
  });

  it('an unknown code exits 2 and suggests the nearest one', async () => {
    const r = await runCli(['explain', 'DH-USER-ROT'], { cwd: dir, env: env() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('unknown finding code "DH-USER-ROT"');
    expect(r.stderr).toContain('Did you mean DH-USER-ROOT?');
    const none = await runCli(['explain'], { cwd: dir, env: env() });
    expect(none.exitCode).toBe(2);
  });

  it('check shows the code of each finding in text and JSON', async () => {
    const text = await runCli(['check', '--file', 'Dockerfile', '--only', 'non-root-user', '--no-color'], { cwd: dir, env: env() });
    expect(text.stdout).toMatch(/\[high\] DH-USER-ROOT \S*Dockerfile:1: the final stage/);
    const json = await runCli(['check', '--file', 'Dockerfile', '--only', 'non-root-user', '--json'], { cwd: dir, env: env() });
    const doc = JSON.parse(json.stdout) as { results: { findings: { code: string }[] }[] };
    expect(doc.results[0]!.findings.map((f) => f.code)).toEqual(['DH-USER-ROOT']);
  });
});
