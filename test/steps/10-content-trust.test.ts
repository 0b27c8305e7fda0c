/**
 * content-trust: host settings in memory-probe worlds; Dockerfiles as real files in a temp tree with
 * the real probe; digests from a real dockerd and a real registry on loopback (Debian's
 * docker-registry), never from a stub.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import step, { withoutDct } from '../../steps/10-content-trust.js';
import { COSIGN_INSTALLER, verifyWorkflow } from '../../steps/lib/ci-documents.js';
import { applyProposal, runStep } from '../../src/core/runner.js';
import { ProfileStore, emptyProfile } from '../../src/core/profile.js';
import { systemProbe } from '../../src/core/probe.js';
import { oneRun } from '../../src/core/writes.js';
import { createHostFacts } from '../../src/host/client.js';
import type { CheckResult, Risk, Status } from '../../src/core/step.js';
import { contextFor, dockerfileTarget, hostTarget, memoryProbe } from '../helpers/world.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dh-trust-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function tree(files: Record<string, string>): Promise<string> {
  const dir = path.join(tmp, `w${++n}`);
  await fs.mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(dir, rel);
    if (rel.endsWith('/')) {
      await fs.mkdir(full, { recursive: true });
      continue;
    }
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.writeFile(full, content);
  }
  return dir;
}

const text = (r: CheckResult) => r.findings.map((f) => f.message).join('\n');

// ---------------------------------------------------------------------------------------------
// Host: DOCKER_CONTENT_TRUST wherever it is set

interface HostCase {
  name: string;
  given: { files?: Record<string, string>; env?: Record<string, string>; which?: Record<string, string>; passwd?: string };
  expect: { status: Status; findings: string[]; lines?: [file: string, line: number][]; afterFix?: Record<string, string> };
}

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nann:x:1000:1000:Ann:/home/ann:/bin/bash\n';

const hostCases: HostCase[] = [
  { name: 'nothing set', given: { files: { '/etc/environment': 'PATH="/usr/local/bin:/usr/bin:/bin"\n' } }, expect: { status: 'pass', findings: [] } },
  {
    name: '/etc/environment sets it',
    given: { files: { '/etc/environment': 'PATH="/usr/bin:/bin"\nDOCKER_CONTENT_TRUST=1\nLANG=C.UTF-8\n' } },
    expect: {
      status: 'fail',
      findings: ['DOCKER_CONTENT_TRUST=1 is set: Docker Content Trust is retired and this breaks pulls'],
      lines: [['/etc/environment', 2]],
      afterFix: { '/etc/environment': 'PATH="/usr/bin:/bin"\nLANG=C.UTF-8\n' },
    },
  },
  {
    name: 'a profile.d script and the sudo user\'s .bashrc, with the server too',
    given: {
      env: { SUDO_USER: 'ann', HOME: '/root' },
      passwd: PASSWD,
      files: {
        '/etc/profile.d/docker.sh': '# docker defaults\nexport DOCKER_CONTENT_TRUST=1\nexport DOCKER_CONTENT_TRUST_SERVER=https://notary.docker.io\n',
        '/home/ann/.bashrc': 'alias ll="ls -l"\nexport DOCKER_CONTENT_TRUST="true"   # from the 2019 hardening guide\n',
        '/root/.bashrc': 'export DOCKER_CONTENT_TRUST=1\n',
      },
    },
    expect: {
      status: 'fail',
      findings: ['DOCKER_CONTENT_TRUST=1 is set', 'DOCKER_CONTENT_TRUST_SERVER is set', 'DOCKER_CONTENT_TRUST=true is set'],
      lines: [['/etc/profile.d/docker.sh', 2], ['/etc/profile.d/docker.sh', 3], ['/home/ann/.bashrc', 2]],
      afterFix: { '/etc/profile.d/docker.sh': '# docker defaults\n', '/home/ann/.bashrc': 'alias ll="ls -l"\n' },
    },
  },
  {
    name: 'set to 0 in .zshrc: obsolete but harmless',
    given: { env: { HOME: '/home/bo' }, files: { '/home/bo/.zshrc': 'export DOCKER_CONTENT_TRUST=0\n' } },
    expect: { status: 'info', findings: ['DOCKER_CONTENT_TRUST is set (to "0"): an obsolete setting'], afterFix: { '/home/bo/.zshrc': '' } },
  },
  {
    name: 'only in the environment of this run: explained, no diff',
    given: { env: { DOCKER_CONTENT_TRUST: '1' } },
    expect: { status: 'fail', findings: ['DOCKER_CONTENT_TRUST=1 is set in this environment, by no file looked at'] },
  },
  {
    name: 'CRLF lines are removed whole',
    given: { files: { '/etc/environment': 'A=1\r\nDOCKER_CONTENT_TRUST=1\r\nB=2\r\n' } },
    expect: { status: 'fail', findings: ['DOCKER_CONTENT_TRUST=1'], afterFix: { '/etc/environment': 'A=1\r\nB=2\r\n' } },
  },
];

describe('content-trust: the host', () => {
  it.each(hostCases)('$name', async (c) => {
    const files = { ...(c.given.files ?? {}), ...(c.given.passwd ? { '/etc/passwd': c.given.passwd } : {}) };
    const ctx = contextFor(hostTarget, { probe: memoryProbe({ files, which: c.given.which }), env: c.given.env ?? {} });
    const run = await runStep(step, ctx);
    expect(run.result.status).toBe(c.expect.status);
    expect(run.result.findings).toHaveLength(c.expect.findings.length);
    for (const f of c.expect.findings) expect(text(run.result)).toContain(f);
    if (c.expect.lines) expect(run.result.findings.map((f) => [f.file, f.line])).toEqual(c.expect.lines);
    if (c.expect.afterFix) {
      expect(run.proposals.map((p) => p.id)).toEqual(['remove-dct']);
      const after = Object.fromEntries(run.proposals[0]!.changes.map((ch) => [ch.path, ch.after]));
      expect(after).toEqual(c.expect.afterFix);
      Object.assign(files, after);
      const again = await step.check(contextFor(hostTarget, { probe: memoryProbe({ files }), env: { ...(c.given.env ?? {}) } }));
      expect(again.status).toBe('pass');
    } else {
      expect(run.proposals).toEqual([]);
    }
  });

  it('cosign installed is noted', async () => {
    const r = await step.check(contextFor(hostTarget, { probe: memoryProbe({ which: { cosign: '/usr/local/bin/cosign' } }) }));
    expect(r.notes).toContain('signature tools installed: cosign');
  });

  it('withoutDct keeps every other byte', () => {
    expect(withoutDct('a\n  export DOCKER_CONTENT_TRUST=1\nb')).toBe('a\nb');
    expect(withoutDct('# DOCKER_CONTENT_TRUST=1 in a comment stays\n')).toBe('# DOCKER_CONTENT_TRUST=1 in a comment stays\n');
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfiles, with no daemon to ask for digests

interface FileCase {
  name: string;
  dockerfile: string;
  files?: Record<string, string>;
  expect: { status: Status; findings: string[]; absent?: string[]; proposals: string[]; notes?: string[]; after?: string; risks?: Record<string, Risk> };
}

// docker-harden's workflow for one image, with the signer a person filled in, and the quay.io image
// listed by hand.
const SIGNER_FILLED = verifyWorkflow(['cgr.dev/chainguard/node:20'])
  .replace('COSIGN_CERTIFICATE_IDENTITY_REGEXP: ""', 'COSIGN_CERTIFICATE_IDENTITY_REGEXP: ^https://github.com/acme/')
  .replace("'cgr.dev/chainguard/node:20'", `'quay.io/acme/tools:2@sha256:${'e'.repeat(64)}'\n          cosign verify --key cosign.pub 'cgr.dev/chainguard/node:20'`);

const fileCases: FileCase[] = [
  {
    name: 'a tagged base not pinned: low, and no digest known without a daemon',
    dockerfile: 'FROM debian:12-slim\nCMD ["bash"]\n',
    expect: { status: 'warn', findings: ['`debian:12-slim` is not pinned by digest'], proposals: [], notes: ['no digest known here, so no pin is proposed: the Docker daemon could not be asked'] },
  },
  // The pin is the reference as written with a digest after it: an invalid one is refused before the daemon is asked.
  {
    name: 'a reference that is not valid gets no pin, whatever the daemon knows',
    dockerfile: 'FROM debian:12-slim@\nCOPY --from=Tools:1 /bin/t /bin/t\n',
    expect: {
      status: 'warn',
      findings: ['`debian:12-slim@` is not pinned by digest', '`Tools:1` is not pinned by digest'],
      proposals: [],
      notes: ['no pin is proposed: the image at line 1, "debian:12-slim@", is not a valid image reference', 'no pin is proposed: the image at line 2, "Tools:1", is not a valid image reference'],
    },
  },
  { name: 'already pinned', dockerfile: `FROM debian:12-slim@sha256:${'c'.repeat(64)}\n`, expect: { status: 'pass', findings: [], proposals: [] } },
  { name: 'scratch and stage references are not images to pin', dockerfile: `FROM golang:1.22@sha256:${'a'.repeat(64)} AS build\nRUN true\nFROM scratch AS base\nFROM build\n`, expect: { status: 'pass', findings: [], proposals: [] } },
  { name: 'no tag at all', dockerfile: 'FROM ubuntu\n', expect: { status: 'fail', findings: ['`ubuntu` uses no tag (so latest)'], proposals: [] } },
  // A tag with no version moves across major versions as latest does; a distribution's codename is its release.
  { name: 'a tag that names no version floats', dockerfile: 'FROM node:alpine\n', expect: { status: 'fail', findings: ['`node:alpine` uses the tag alpine, which names no version: each build may get a different image, even a new major version'], proposals: [] } },
  { name: 'an lts tag floats, on a codename too', dockerfile: 'FROM node:bookworm-slim AS build\nFROM python:slim\n', expect: { status: 'fail', findings: ['`node:bookworm-slim` uses the tag bookworm-slim, which names no version', '`python:slim` uses the tag slim'], proposals: [] } },
  { name: "a distribution's codename is its release", dockerfile: 'FROM debian:bookworm-slim AS a\nFROM ubuntu:jammy\n', expect: { status: 'warn', findings: ['`debian:bookworm-slim` is not pinned by digest', '`ubuntu:jammy` is not pinned by digest'], proposals: [] } },
  { name: 'a build argument whose default names no version', dockerfile: 'ARG BASE=node:lts\nFROM ${BASE}\n', expect: { status: 'fail', findings: ["is `node:lts` by its build argument's default, a floating tag: each build may get a different image, even a new major version"], proposals: [] } },
  { name: 'a base from a build argument without a default', dockerfile: 'ARG BASE\nFROM ${BASE}\n', expect: { status: 'info', findings: ['comes from a build argument'], proposals: [] } },
  { name: 'a base from a build argument whose default is not pinned', dockerfile: 'ARG BASE=node:20\nFROM ${BASE}\n', expect: { status: 'warn', findings: ["is `node:20` by its build argument's default, not pinned by digest"], proposals: [] } },
  {
    name: 'ADD of a URL without checksum',
    dockerfile: `FROM alpine:3.20@sha256:${'b'.repeat(64)}\nADD https://example.com/tool.tar.gz /opt/\n`,
    expect: { status: 'fail', findings: ['ADD fetches https://example.com/tool.tar.gz and nothing verifies what arrives'], proposals: [] },
  },
  {
    name: 'ADD of a URL with --checksum is verified',
    dockerfile: `FROM alpine:3.20@sha256:${'b'.repeat(64)}\nADD --checksum=sha256:${'d'.repeat(64)} https://example.com/tool.tar.gz /opt/\n`,
    expect: { status: 'pass', findings: [], proposals: [] },
  },
  {
    name: 'ADD of local files becomes COPY, an archive stays ADD',
    dockerfile: `FROM alpine:3.20@sha256:${'b'.repeat(64)}\nADD vendor.tar.gz /opt/\nADD ["app.jar", "/app/app.jar"]\nadd conf/ /etc/app/\n`,
    expect: {
      status: 'warn',
      findings: ['ADD of a local file that is not an archive', 'ADD of a local file that is not an archive'],
      proposals: ['add-to-copy'],
      after: `FROM alpine:3.20@sha256:${'b'.repeat(64)}\nADD vendor.tar.gz /opt/\nCOPY ["app.jar", "/app/app.jar"]\ncopy conf/ /etc/app/\n`,
    },
  },
  {
    name: 'in a git repository without a signature check: the cosign workflow and Dependabot are offered',
    dockerfile: 'FROM cgr.dev/chainguard/node:20\nCMD ["server.js"]\n',
    files: { '.git/': '', '.github/workflows/ci.yml': 'on: push\njobs: {}\n' },
    expect: { status: 'warn', findings: ['is not pinned by digest', 'no signature check in CI'], proposals: ['ci-verify', 'dependabot'], risks: { 'ci-verify': 'review', dependabot: 'safe' } },
  },
  {
    name: 'Official Images from their ECR Public and Google mirrors: no cosign check either',
    dockerfile: 'FROM public.ecr.aws/docker/library/node:20-slim\nCOPY --from=mirror.gcr.io/library/busybox:1.36 /bin/busybox /bin/busybox\nCMD ["node", "server.js"]\n',
    files: { '.git/': '', '.github/workflows/ci.yml': 'on: push\njobs: {}\n' },
    expect: { status: 'warn', findings: ['is not pinned by digest', 'is not pinned by digest'], absent: ['no signature check'], proposals: ['dependabot'], notes: ['Docker Official Images are not signed with cosign'] },
  },
  {
    name: 'Official Images only: no cosign check is proposed (they are not cosign-signed)',
    dockerfile: 'FROM node:20-slim\nCOPY --from=docker.io/library/busybox:1.36 /bin/busybox /bin/busybox\nCMD ["node", "server.js"]\n',
    files: { '.git/': '', '.github/workflows/ci.yml': 'on: push\njobs: {}\n' },
    expect: { status: 'warn', findings: ['is not pinned by digest', 'is not pinned by digest'], absent: ['no signature check'], proposals: ['dependabot'], notes: ['Docker Official Images are not signed with cosign'] },
  },
  {
    name: 'ADD of a URL from an ARG is resolved: a remote fetch, never rewritten to COPY',
    dockerfile: `FROM alpine:3.20@sha256:${'b'.repeat(64)}\nARG TOOL_URL=https://example.com/tool\nADD $TOOL_URL /usr/local/bin/tool\n`,
    expect: { status: 'fail', findings: ['ADD fetches https://example.com/tool and nothing verifies'], proposals: [] },
  },
  {
    name: 'ADD of a URL from ENV is resolved too',
    dockerfile: `FROM alpine:3.20@sha256:${'b'.repeat(64)}\nENV BASE=https://example.com\nADD \${BASE}/app.sh /app.sh\n`,
    expect: { status: 'fail', findings: ['ADD fetches https://example.com/app.sh'], proposals: [] },
  },
  {
    name: 'ADD from a build argument with no value is left alone',
    dockerfile: `FROM alpine:3.20@sha256:${'b'.repeat(64)}\nARG SRC\nADD $SRC /opt/\n`,
    expect: { status: 'pass', findings: [], proposals: [] },
  },
  {
    name: 'ADD of a possible archive (no extension, .gz, a wildcard) is never rewritten',
    dockerfile: `FROM alpine:3.20@sha256:${'b'.repeat(64)}\nADD rootfs /\nADD data.gz /data/\nADD pkgs/* /opt/\n`,
    expect: { status: 'pass', findings: [], proposals: [] },
  },
  {
    name: 'COPY --from an external image is checked like FROM',
    dockerfile: `FROM alpine:3.20@sha256:${'b'.repeat(64)}\nCOPY --from=ghcr.io/example/tools:1.2 /bin/tool /usr/local/bin/\n`,
    expect: { status: 'warn', findings: ['the image copied from `ghcr.io/example/tools:1.2` is not pinned by digest'], proposals: [] },
  },
  {
    name: 'COPY --from an earlier stage or by index is not an image',
    dockerfile: `FROM golang:1.22@sha256:${'a'.repeat(64)} AS build\nRUN go build\nFROM scratch\nCOPY --from=build /out /out\nCOPY --from=0 /x /x\n`,
    expect: { status: 'pass', findings: [], proposals: [] },
  },
  {
    name: 'a build argument whose default is pinned by digest passes',
    dockerfile: `ARG BASE=node:20@sha256:${'e'.repeat(64)}\nFROM \${BASE}\nCMD ["node"]\n`,
    expect: { status: 'pass', findings: [], proposals: [] },
  },
  {
    name: "docker-harden's signature check verifies the images it lists: one it lists passes",
    dockerfile: `FROM ghcr.io/acme/base:1@sha256:${'d'.repeat(64)}\n`,
    files: { '.git/': '', 'renovate.json': '{}', '.github/workflows/docker-harden-verify.yml': verifyWorkflow([`ghcr.io/acme/base:1@sha256:${'d'.repeat(64)}`]) },
    expect: { status: 'pass', findings: [], proposals: [], notes: ['CI verifies signatures: '] },
  },
  {
    name: "an image docker-harden's signature check does not list: a line is added for it, the signer filled in stays",
    dockerfile: `FROM ghcr.io/acme/base:1@sha256:${'d'.repeat(64)}\nCOPY --from=quay.io/acme/tools:2@sha256:${'e'.repeat(64)} /t /t\n`,
    files: { '.git/': '', 'renovate.json': '{}', '.github/workflows/docker-harden-verify.yml': SIGNER_FILLED },
    expect: {
      status: 'info',
      findings: [`docker-harden's signature check (.github/workflows/docker-harden-verify.yml) does not verify \`ghcr.io/acme/base:1@sha256:${'d'.repeat(64)}\``],
      proposals: ['ci-verify'],
      risks: { 'ci-verify': 'review' },
      after: SIGNER_FILLED.replace(
        "'cgr.dev/chainguard/node:20'",
        `'cgr.dev/chainguard/node:20'\n          cosign verify --certificate-identity-regexp "$COSIGN_CERTIFICATE_IDENTITY_REGEXP" --certificate-oidc-issuer "$COSIGN_CERTIFICATE_OIDC_ISSUER" 'ghcr.io/acme/base:1@sha256:${'d'.repeat(64)}'`,
      ),
    },
  },
  {
    name: 'a signature check in CI is seen; Renovate already keeps digests fresh',
    dockerfile: 'FROM node:20-slim\n',
    files: { '.git/': '', 'renovate.json': '{}', '.github/workflows/verify.yml': 'jobs:\n  v:\n    steps:\n      - run: cosign verify --key cosign.pub node:20-slim\n' },
    expect: { status: 'warn', findings: ['is not pinned by digest'], absent: ['no signature check'], proposals: [], notes: ['CI verifies signatures: '] },
  },
];

async function fileContext(dockerfile: string, files: Record<string, string> = {}) {
  const dir = await tree({ ...files, Dockerfile: dockerfile });
  const probe = systemProbe({ PATH: path.join(dir, 'no-bin') });
  return { dir, ctx: contextFor(dockerfileTarget(path.join(dir, 'Dockerfile')), { probe }) };
}

describe('content-trust: Dockerfiles', () => {
  it.each(fileCases)('$name', async (c) => {
    const { ctx } = await fileContext(c.dockerfile, c.files);
    const run = await runStep(step, ctx);
    expect(run.result.status).toBe(c.expect.status);
    expect(run.result.findings).toHaveLength(c.expect.findings.length);
    for (const f of c.expect.findings) expect(text(run.result)).toContain(f);
    for (const f of c.expect.absent ?? []) expect(text(run.result)).not.toContain(f);
    for (const note of c.expect.notes ?? []) expect((run.result.notes ?? []).join('\n')).toContain(note);
    expect(run.proposals.map((p) => p.id)).toEqual(c.expect.proposals);
    if (c.expect.after) expect(run.proposals[0]!.changes[0]!.after).toBe(c.expect.after);
    if (c.expect.risks) for (const [id, risk] of Object.entries(c.expect.risks)) expect(run.proposals.find((p) => p.id === id)?.risk, id).toBe(risk);
    for (const p of run.proposals) if (p.id === 'add-to-copy' || p.id === 'pin-digests') expect(p.risk).toBe('safe');
  });

  it('the cosign workflow parses as YAML and verifies each base image', async () => {
    const wf = parseYaml(verifyWorkflow(['node:20-slim', "odd'name:1"])) as { jobs: { verify: { steps: { uses?: string; run?: string }[] } } };
    expect(wf.jobs.verify.steps[0]!.uses).toBe(COSIGN_INSTALLER);
    const run = wf.jobs.verify.steps[1]!.run!;
    expect(run).toContain(`cosign verify --certificate-identity-regexp "$COSIGN_CERTIFICATE_IDENTITY_REGEXP" --certificate-oidc-issuer "$COSIGN_CERTIFICATE_OIDC_ISSUER" 'node:20-slim'`);
    expect(run).toContain(`'odd'\\''name:1'`);
  });

  it('Dependabot watches the Dockerfile directory', async () => {
    const dir = await tree({ '.git/': '', 'svc/web/Dockerfile': 'FROM nginx:1.27\n' });
    const ctx = contextFor(dockerfileTarget(path.join(dir, 'svc/web/Dockerfile')), { probe: systemProbe({ PATH: '/nonexistent' }) });
    const bot = (await runStep(step, ctx)).proposals.find((p) => p.id === 'dependabot')!;
    expect(bot.changes[0]!.path).toBe(path.join(dir, '.github/dependabot.yml'));
    expect(parseYaml(bot.changes[0]!.after)).toEqual({ version: 2, updates: [{ 'package-ecosystem': 'docker', directory: '/svc/web', schedule: { interval: 'weekly' } }] });
  });

  it("one Dependabot configuration for the repository's Dockerfiles in a run: proposed with the first, for every folder", async () => {
    const dir = await tree({ '.git/': '', 'svc/web/Dockerfile': 'FROM scratch\nCOPY app /\n', 'svc/api/Dockerfile': 'FROM node:20\n', 'svc/api/worker.Dockerfile': 'FROM node:20\n' });
    const probe = systemProbe({ PATH: '/nonexistent' });
    const targets = ['svc/web/Dockerfile', 'svc/api/Dockerfile', 'svc/api/worker.Dockerfile'].map((f) => dockerfileTarget(path.join(dir, f)));
    const proposals = [];
    // As a batch run checks them: one run, in order.
    await oneRun(async () => {
      for (const t of targets) proposals.push((await runStep(step, contextFor(t, { probe, runTargets: targets }))).proposals.filter((p) => p.id === 'dependabot'));
    });
    // The first builds FROM scratch and passes: the next one proposes, for all the folders.
    expect(proposals.map((p) => p.length)).toEqual([0, 1, 0]);
    expect(proposals[1]![0]!.title).toContain('2 folders');
    expect(parseYaml(proposals[1]![0]!.changes[0]!.after)).toEqual({ version: 2, updates: [{ 'package-ecosystem': 'docker', directories: ['/svc/api', '/svc/web'], schedule: { interval: 'weekly' } }] });
  });
});

// ---------------------------------------------------------------------------------------------
// The "latest" tag and ADD of a local file (what Trivy's DS-0001 and DS-0005 cover; their own
// cases run in test/conformance/peer-cases.test.ts when the peer corpus is there)

describe('content-trust: latest and ADD', () => {
  // The step also reports every base not pinned by digest, so each case is held against the
  // finding that speaks to it: "latest", or "ADD" of a local file.
  const cases = [
    { rule: 'a pinned tag', dockerfile: 'FROM debian:12\nRUN apt-get update && apt-get -y install curl && apt-get clean\nUSER app', pattern: /latest/, flagged: false },
    { rule: 'an explicit latest', dockerfile: 'FROM debian:latest\nRUN apt-get update && apt-get -y install curl && apt-get clean\nUSER app', pattern: /latest/, flagged: true },
    { rule: 'ADD that unpacks an archive', dockerfile: 'FROM alpine:3.20\nUSER app\nADD "/build/assets.tar.gz" "assets"', pattern: /^ADD/, flagged: false },
    { rule: 'ADD of a plain file', dockerfile: 'FROM alpine:3.20\nUSER app\nADD "/build/assets.tar.gz" "assets.jar"\nADD "/build/service.jar" "service.jar"', pattern: /^ADD/, flagged: true },
  ];
  it.each(cases)('$rule', async ({ dockerfile, pattern, flagged }) => {
    const { ctx } = await fileContext(dockerfile + '\n');
    const run = await runStep(step, ctx);
    expect(run.result.findings.some((f) => pattern.test(f.message))).toBe(flagged);
    if (flagged && pattern.source === '^ADD') {
      const after = run.proposals.find((p) => p.id === 'add-to-copy')!.changes[0]!.after;
      expect(after).toContain('COPY "/build/service.jar" "service.jar"');
      // The archive is unpacked by ADD, which is what ADD is for: it stays.
      expect(after).toContain('ADD "/build/assets.tar.gz" "assets.jar"');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Digests from a real dockerd and a real registry on loopback

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const REGISTRY = '/usr/bin/docker-registry';
const registryReason = !hasDockerd ? 'no dockerd' : existsSync(REGISTRY) ? null : 'docker-registry is not installed (apt-get install docker-registry)';
if (registryReason && hasDockerd) {
  if (process.env.DOCKER_HARDEN_REQUIRE_DOCKERD === '1') throw new Error(`DOCKER_HARDEN_REQUIRE_DOCKERD=1 but ${registryReason}`);
  console.warn(`[docker-harden tests] registry tests skipped: ${registryReason}`);
}

describe.skipIf(registryReason !== null)('content-trust: pinning with a digest the daemon knows (real registry)', () => {
  let daemon: TestDaemon;
  let registry: ChildProcess;
  let registryDir: string;
  let image: string;
  let digest: string;

  beforeAll(async () => {
    registryDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dh-registry-'));
    const port = await freePort();
    const config = path.join(registryDir, 'config.yml');
    await fs.writeFile(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(registryDir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    registry = spawn(REGISTRY, ['serve', config], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('docker-registry did not answer');
      await new Promise((r) => setTimeout(r, 100));
    }
    daemon = await startDockerd();
    // Loopback registries are insecure by default: plain HTTP push works without configuration.
    image = `127.0.0.1:${port}/busybox-base:1.0`;
    await buildBusyboxImage(daemon, image);
    await daemon.docker(['push', image]);
    const repoDigests = JSON.parse((await daemon.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', image])).stdout) as string[];
    expect(repoDigests).toHaveLength(1);
    digest = repoDigests[0]!.split('@')[1]!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await buildBusyboxImage(daemon, 'local-only:1.0');
  });

  afterAll(async () => {
    await daemon?.stop();
    if (registry && registry.exitCode === null) {
      registry.kill('SIGTERM');
      await new Promise((r) => registry.once('exit', r));
    }
    await fs.rm(registryDir, { recursive: true, force: true });
  });

  const hostFor = () => createHostFacts({ dockerHost: daemon.host, env: {}, probe: systemProbe({}) });

  it('pins FROM to the pushed digest; the pinned Dockerfile builds and re-checks clean', async () => {
    const original = `# base from our registry\nFROM ${image} AS base\nRUN ["/bin/sh", "-c", "echo hi > /hi"]\nCMD ["cat", "/hi"]\n`;
    const dir = await tree({ Dockerfile: original });
    const file = path.join(dir, 'Dockerfile');
    const ctx = contextFor(dockerfileTarget(file), { probe: systemProbe({ PATH: '/nonexistent' }), host: hostFor() });
    const run = await runStep(step, ctx);
    expect(text(run.result)).toContain(`\`${image}\` is not pinned by digest`);
    expect(run.result.notes?.join('\n')).toContain(`the daemon knows its digest ${digest}`);
    const pin = run.proposals.find((p) => p.id === 'pin-digests')!;
    expect(pin.changes[0]!.after).toBe(original.replace(`FROM ${image} AS base`, `FROM ${image}@${digest} AS base`));

    const store = new ProfileStore(path.join(dir, 'state'));
    const outcome = await applyProposal(step, ctx.target, pin, { store, profile: emptyProfile(), recheck: () => runStep(step, contextFor(dockerfileTarget(file), { probe: systemProbe({ PATH: '/nonexistent' }), host: hostFor() })) });
    expect(outcome.status).toBe('applied');
    expect(readFileSync(file, 'utf8')).toBe(pin.changes[0]!.after);
    expect(outcome.recheck!.findings.map((f) => f.message).join('\n')).not.toContain('not pinned');

    // The digest is the image's: the daemon builds from the pinned reference.
    const built = await execa('docker', ['-H', daemon.host, 'build', '-q', '-t', 'pinned:1', dir], { reject: false, env: { DOCKER_BUILDKIT: '0' } });
    expect(built.exitCode, built.stderr).toBe(0);
  });

  it('an image the daemon built but never pushed has no digest: explained, no diff', async () => {
    const { dir } = await fileContext('FROM local-only:1.0\n');
    const ctx = contextFor(dockerfileTarget(path.join(dir, 'Dockerfile')), { probe: systemProbe({ PATH: '/nonexistent' }), host: hostFor() });
    const run = await runStep(step, ctx);
    expect(run.result.notes?.join('\n')).toContain('local-only:1.0 (line 1): no digest known here, so no pin is proposed: the daemon has local-only:1.0 but no registry digest for it');
    expect(run.proposals.find((p) => p.id === 'pin-digests')).toBeUndefined();
    expect(run.proposals.flatMap((p) => p.changes).filter((c) => c.path.endsWith('Dockerfile'))).toEqual([]);
  });

  it('an image the daemon does not have: explained, no diff; a known one in the same file is pinned alone', async () => {
    const original = `FROM nowhere/app:2.1 AS a\nFROM ${image}\n`;
    const { dir } = await fileContext(original);
    const ctx = contextFor(dockerfileTarget(path.join(dir, 'Dockerfile')), { probe: systemProbe({ PATH: '/nonexistent' }), host: hostFor() });
    const run = await runStep(step, ctx);
    expect(run.result.notes?.join('\n')).toContain('nowhere/app:2.1 (line 1): no digest known here, so no pin is proposed: the daemon has no image tagged nowhere/app:2.1');
    const pin = run.proposals.find((p) => p.id === 'pin-digests')!;
    expect(pin.changes[0]!.after).toBe(`FROM nowhere/app:2.1 AS a\nFROM ${image}@${digest}\n`);
    expect(pin.description).toContain('Not pinned, no digest known here: nowhere/app:2.1');
  });
});
