/**
 * dependency-scanning: real files in a temp directory (Dockerfile, CI definitions, package-lock),
 * the real system probe with PATH pointing at a temp bin directory. No scanner can be installed
 * here, so the scanners on that PATH are small scripts that replay a recorded report in the format
 * the real tool documents (test/fixtures/scanners).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import step, { CRON_FILE, SAVED_IMAGE, imageScanCommand } from '../../steps/05-dependency-scanning.js';
import { MATRIX_LIMIT, SETUP_TRIVY, TRIVY_ACTION, githubWorkflow, gitlabJobs, matrixWorkflows, unusableScans, workflowFile } from '../../steps/lib/ci-documents.js';
import { systemProbe } from '../../src/core/probe.js';
import { applyEdits } from '../../src/dockerfile/edit.js';
import { applyProposal, runStep } from '../../src/core/runner.js';
import { ProfileStore, emptyProfile } from '../../src/core/profile.js';
import type { CheckResult, Proposal, Status, Target } from '../../src/core/step.js';
import { contextFor, dockerfileTarget, hostTarget, memoryProbe, unreachableHost } from '../helpers/world.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { createHostFacts } from '../../src/host/client.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'scanners');

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dh-scan-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let n = 0;
/** A fresh directory tree from `files` (relative path -> content; '' with a trailing / = directory). */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = path.join(tmp, `w${++n}`);
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(dir, rel);
    if (rel.endsWith('/')) {
      await fs.mkdir(full, { recursive: true });
      continue;
    }
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.writeFile(full, content);
  }
  await fs.mkdir(path.join(dir, 'bin'), { recursive: true });
  return dir;
}

/** A fake scanner: prints a recorded report and exits with `exitCode`, nothing else. */
async function fakeTool(binDir: string, name: string, fixture: string, exitCode = 0): Promise<string> {
  const file = path.join(binDir, name);
  await fs.writeFile(file, `#!/bin/sh\ncat '${path.join(fixtures, fixture)}'\nexit ${exitCode}\n`, { mode: 0o755 });
  return file;
}

const DOCKERFILE = 'FROM python:3.9-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]\n';

interface FileCase {
  name: string;
  given: { files: Record<string, string>; dockerfile?: string; tools?: [name: string, fixture: string, exit?: number][] };
  expect: {
    status: Status;
    findings: string[];
    notes?: string[];
    proposals?: string[];
    /** Apply this proposal's file changes, then the check must report `status`. */
    afterFix?: { proposal: string; status: Status };
  };
}

const fileCases: FileCase[] = [
  {
    name: 'no repository, no CI, no scanner',
    given: { files: { 'Dockerfile': DOCKERFILE } },
    expect: { status: 'fail', findings: ['nothing scans this image in CI: it has no CI definition'], notes: ['no scanner installed here'], proposals: ['ci-github'], afterFix: { proposal: 'ci-github', status: 'pass' } },
  },
  {
    name: 'a GitHub workflow that builds but scans nothing',
    given: { files: { '.git/': '', 'Dockerfile': DOCKERFILE, '.github/workflows/build.yml': 'on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker build .\n' } },
    expect: { status: 'fail', findings: ['its CI (.github/workflows/build.yml) runs no scanner'], proposals: ['ci-github'], afterFix: { proposal: 'ci-github', status: 'pass' } },
  },
  {
    name: 'a GitHub workflow with trivy-action (a v tag, the tag made after the attack, a commit)',
    given: { files: { '.git/': '', 'Dockerfile': DOCKERFILE, '.github/workflows/scan.yaml': 'jobs:\n  s:\n    steps:\n      - uses: aquasecurity/trivy-action@v0.28.0\n      - uses: aquasecurity/trivy-action@0.35.0\n      - uses: aquasecurity/trivy-action@ed142fd0673e97e23eac54620cfb913e5ce36c25\n' } },
    expect: { status: 'pass', findings: [], notes: ['CI scans images: ', 'scan.yaml:4'] },
  },
  {
    name: 'a setup-trivy release removed after the attack (before v0.2.6) installs nothing: pinned to the commit of v0.2.6, the job scans again',
    given: {
      files: {
        '.git/': '',
        'Dockerfile': DOCKERFILE,
        '.github/workflows/scan.yml': 'jobs:\n  s:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aquasecurity/setup-trivy@v0.2.1\n        with:\n          version: v0.69.3\n      - run: docker build -t app . && trivy image --exit-code 1 app\n',
      },
    },
    expect: {
      status: 'fail',
      findings: ['uses setup-trivy v0.2.1, a tag deleted after the March 2026 attack: the job fails before it scans', "its CI's Trivy job (.github/workflows/scan.yml) cannot scan"],
      proposals: ['ci-repin-trivy', 'ci-github'],
      afterFix: { proposal: 'ci-repin-trivy', status: 'pass' },
    },
  },
  {
    name: 'a trivy-action tag deleted after the March 2026 attack scans nothing: pinned by commit, the job scans again',
    given: {
      files: {
        '.git/': '',
        'Dockerfile': DOCKERFILE,
        '.github/workflows/scan.yaml': 'jobs:\n  s:\n    steps:\n      # was aquasecurity/trivy-action@0.20.0\n      - name: Run Trivy vulnerability scanner\n        uses: "aquasecurity/trivy-action@0.28.0"\r\n        with:\n          image-ref: app\n',
      },
    },
    expect: {
      status: 'fail',
      findings: ['uses trivy-action 0.28.0, a tag deleted after the March 2026 attack', "its CI's Trivy job (.github/workflows/scan.yaml) cannot scan"],
      proposals: ['ci-repin-trivy', 'ci-github'],
      afterFix: { proposal: 'ci-repin-trivy', status: 'pass' },
    },
  },
  {
    name: 'Trivy 0.69.4 to 0.69.6, made by the attacker, in a GitLab job and as an installed version: critical, and a grype job still scans',
    given: {
      files: {
        '.git/': '',
        'Dockerfile': DOCKERFILE,
        '.gitlab-ci.yml': 'scan:\n  image: aquasec/trivy:0.69.4\n  script: [trivy image app]\ngrype:\n  script: [grype app]\n',
        '.github/workflows/t.yml': 'jobs:\n  s:\n    steps:\n      - uses: aquasecurity/setup-trivy@v0.2.6\n        with:\n          version: v0.69.6\n',
      },
    },
    expect: { status: 'fail', findings: ['runs Trivy 0.69.4, a release made by an attacker', 'runs Trivy v0.69.6'], notes: ['CI scans images: ', '.gitlab-ci.yml:4 (grype:)'], proposals: ['ci-repin-trivy'], afterFix: { proposal: 'ci-repin-trivy', status: 'pass' } },
  },
  {
    name: 'a scanner named only in a comment scans nothing',
    given: { files: { '.git/': '', 'Dockerfile': DOCKERFILE, '.github/workflows/build.yml': '# - security-scan: scans the image with Trivy (to do)\non: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker build .\n' } },
    expect: { status: 'fail', findings: ['its CI (.github/workflows/build.yml) runs no scanner'], proposals: ['ci-github'] },
  },
  {
    name: 'GitLab container scanning template',
    given: { files: { '.git/': '', 'Dockerfile': DOCKERFILE, '.gitlab-ci.yml': 'include:\n  - template: Jobs/Container-Scanning.gitlab-ci.yml\n' } },
    expect: { status: 'pass', findings: [] },
  },
  {
    name: 'trivy in a file the GitLab pipeline includes (local, and a ** pattern)',
    given: {
      files: {
        '.git/': '',
        'Dockerfile': DOCKERFILE,
        '.gitlab-ci.yml': 'include:\n  - local: /.gitlab/ci/build.gitlab-ci.yml\n  - project: group/templates\n    file: /scan.yml\n',
        '.gitlab/ci/build.gitlab-ci.yml': 'include: "/.gitlab/jobs/**.yml"\nbuild:\n  script: [docker build .]\n',
        '.gitlab/jobs/security/scan.yml': 'scan:\n  script:\n    - trivy image --exit-code 1 app\n',
      },
    },
    expect: { status: 'pass', findings: [], notes: ['CI scans images: ', 'scan.yml:3'] },
  },
  {
    name: 'a GitLab include named with a variable is not read: the pipeline here runs no scanner',
    given: {
      files: {
        '.git/': '',
        'Dockerfile': DOCKERFILE,
        '.gitlab-ci.yml': 'include:\n  - local: /$CI_DIR/scan.yml\nbuild:\n  script: [make]\n',
        'ci/scan.yml': 'scan:\n  script:\n    - trivy image app\n',
      },
    },
    expect: { status: 'fail', findings: ['its CI (.gitlab-ci.yml) runs no scanner'], proposals: ['ci-gitlab', 'ci-github'] },
  },
  {
    name: "a GitLab pipeline that includes another project's CI files: a note says they are not read, and how to skip the step",
    given: { files: { '.git/': '', 'Dockerfile': DOCKERFILE, '.gitlab-ci.yml': 'include:\n  - project: fsrvcorp/templates\n    file: /docker.yml\n  - remote: https://example.com/ci.yml\nbuild:\n  script: [make]\n' } },
    expect: {
      status: 'fail',
      findings: ['its CI (.gitlab-ci.yml) runs no scanner'],
      notes: ['its GitLab CI includes files from outside the repository (fsrvcorp/templates, https://example.com/ci.yml), which docker-harden cannot read: if a scan job comes from there, skip this step in .docker-harden.yaml'],
      proposals: ['ci-gitlab', 'ci-github'],
    },
  },
  {
    name: 'grype in a Jenkinsfile',
    given: { files: { '.git/': '', 'Dockerfile': DOCKERFILE, 'Jenkinsfile': "pipeline { stages { stage('scan') { steps { sh 'grype app:latest --fail-on high' } } } }\n" } },
    expect: { status: 'pass', findings: [] },
  },
  {
    name: 'GitLab CI without a scan: the GitLab job is offered first',
    given: { files: { '.git/': '', 'Dockerfile': DOCKERFILE, '.gitlab-ci.yml': '# our pipeline\nstages: [build, deploy]\n\nbuild:\n  stage: build\n  script: [make]\n' } },
    expect: { status: 'fail', findings: ['its CI (.gitlab-ci.yml) runs no scanner'], proposals: ['ci-gitlab', 'ci-github'], afterFix: { proposal: 'ci-gitlab', status: 'pass' } },
  },
  {
    name: 'an installed trivy is offered on the final base image',
    given: { files: { 'Dockerfile': 'FROM golang:1.22 AS build\nRUN go build -o /app\nFROM debian:12-slim\nCOPY --from=build /app /app\n' }, tools: [['trivy', 'trivy-image.json']] },
    expect: { status: 'fail', findings: ['nothing scans this image in CI'], notes: ['scanners installed here: trivy'], proposals: ['scan-trivy', 'ci-github'] },
  },
  {
    name: 'a Node project gets npm audit',
    given: { files: { 'Dockerfile': 'FROM node:20\nCOPY . .\n', 'package-lock.json': '{"lockfileVersion": 3}' }, tools: [['npm', 'npm-audit.json', 1]] },
    expect: { status: 'fail', findings: ['nothing scans this image in CI'], notes: ['`npm audit` can check'], proposals: ['npm-audit', 'ci-github'] },
  },
];

async function setUp(c: FileCase) {
  const dir = await tree(c.given.files);
  for (const [name, fixture, exit] of c.given.tools ?? []) await fakeTool(path.join(dir, 'bin'), name, fixture, exit);
  const probe = systemProbe({ PATH: path.join(dir, 'bin') });
  const target = dockerfileTarget(path.join(dir, 'Dockerfile'));
  return { dir, probe, ctx: contextFor(target, { probe }) };
}

function messages(result: CheckResult): string {
  return result.findings.map((f) => f.message).join('\n');
}

describe('dependency-scanning: Dockerfile targets', () => {
  it.each(fileCases)('$name', async (c) => {
    const { ctx } = await setUp(c);
    const run = await runStep(step, ctx);
    expect(run.result.status).toBe(c.expect.status);
    expect(run.result.findings).toHaveLength(c.expect.findings.length);
    for (const f of c.expect.findings) expect(messages(run.result)).toContain(f);
    for (const note of c.expect.notes ?? []) expect((run.result.notes ?? []).join('\n')).toContain(note);
    if (c.expect.proposals) expect(run.proposals.map((p) => p.id)).toEqual(c.expect.proposals);
    if (c.expect.afterFix) {
      const proposal = run.proposals.find((p) => p.id === c.expect.afterFix!.proposal)!;
      for (const change of proposal.changes) {
        await fs.mkdir(path.dirname(change.path), { recursive: true });
        await fs.writeFile(change.path, change.after);
      }
      expect((await step.check(ctx)).status).toBe(c.expect.afterFix.status);
    }
  });
});

describe('dependency-scanning: the proposed CI', () => {
  it('a deleted trivy-action tag becomes a commit pin with its version in a comment where the line ends with it; Trivy 0.69.4-6 becomes 0.70.0', () => {
    const text = [
      '      - uses: aquasecurity/trivy-action@0.28.0',
      "      - uses: 'aquasecurity/trivy-action@0.34.2'\r",
      '      - uses: aquasecurity/trivy-action@0.20.0 # scan',
      '      - { uses: aquasecurity/trivy-action@0.9.1, with: { image-ref: app } }',
      '  image: aquasec/trivy:0.69.5',
      '          version: "v0.69.4"',
      '  # image: aquasec/trivy:0.69.6',
      '      - uses: aquasecurity/trivy-action@0.35.0',
      '      - uses: aquasecurity/trivy-action@0.28.0.1',
      '  image: aquasec/trivy:0.69.40',
      '      - uses: aquasecurity/setup-trivy@v0.2.2',
      '      - uses: aquasecurity/setup-trivy@v0.2.6',
      '      - uses: aquasecurity/setup-trivy@v0.3.1',
      '',
    ].join('\n');
    const scans = unusableScans(text);
    const after = applyEdits(text, scans.flatMap((x) => x.edits));
    const pin = TRIVY_ACTION.split('@')[1]!;
    expect(after.split('\n')).toEqual([
      `      - uses: aquasecurity/trivy-action@${pin} # v0.36.0`,
      `      - uses: 'aquasecurity/trivy-action@${pin}' # v0.36.0\r`,
      `      - uses: aquasecurity/trivy-action@${pin} # scan`,
      `      - { uses: aquasecurity/trivy-action@${pin}, with: { image-ref: app } }`,
      '  image: aquasec/trivy:0.70.0',
      '          version: "v0.70.0"',
      '  # image: aquasec/trivy:0.69.6',
      '      - uses: aquasecurity/trivy-action@0.35.0',
      '      - uses: aquasecurity/trivy-action@0.28.0.1',
      '  image: aquasec/trivy:0.69.40',
      `      - uses: aquasecurity/setup-trivy@${SETUP_TRIVY.split('@')[1]} # v0.2.6`,
      '      - uses: aquasecurity/setup-trivy@v0.2.6',
      '      - uses: aquasecurity/setup-trivy@v0.3.1',
      '',
    ]);
    expect(scans.map((x) => [x.line, x.why])).toEqual([[1, 'tag-gone'], [2, 'tag-gone'], [3, 'tag-gone'], [4, 'tag-gone'], [5, 'attacker-release'], [6, 'attacker-release'], [11, 'tag-gone']]);
  });

  it('the GitHub workflow parses as YAML, builds the right Dockerfile and fails on critical/high', async () => {
    const dir = await tree({ '.git/': '', 'services/api/Dockerfile': DOCKERFILE });
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const ctx = contextFor(dockerfileTarget(path.join(dir, 'services/api/Dockerfile')), { probe });
    const run = await runStep(step, ctx);
    const change = run.proposals.find((p) => p.id === 'ci-github')!.changes[0]!;
    expect(change.path).toBe(path.join(dir, '.github/workflows/docker-harden-scan-services-api.yml'));
    expect(change.before).toBeNull();
    const wf = parseYaml(change.after) as { on: Record<string, unknown>; jobs: { scan: { steps: { run?: string; uses?: string; with?: Record<string, unknown> }[] } } };
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['push', 'pull_request', 'schedule']));
    const steps = wf.jobs.scan.steps;
    const build = steps.find((s) => s.run?.startsWith('docker build'))!;
    expect(build.run).toBe('docker build --file services/api/Dockerfile --tag docker-harden-scan:${{ github.sha }} services/api');
    const scan = steps.find((s) => s.uses === TRIVY_ACTION)!;
    expect(scan.with).toMatchObject({ 'image-ref': 'docker-harden-scan:${{ github.sha }}', 'exit-code': '1', severity: 'CRITICAL,HIGH' });
  });

  it('a FROM that needs a build argument with no default: the workflow is review, and its warning names the argument', async () => {
    const dir = await tree({ '.git/': '', 'Dockerfile': 'ARG JENKINS_VERSION\nFROM jenkins/jenkins:${JENKINS_VERSION}\nUSER jenkins\n', 'other/Dockerfile': DOCKERFILE });
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const needsArg = (await runStep(step, contextFor(dockerfileTarget(path.join(dir, 'Dockerfile')), { probe }))).proposals.find((p) => p.id === 'ci-github')!;
    expect(needsArg.risk).toBe('review');
    expect(needsArg.warnings.join('\n')).toContain('Dockerfile names its base image with ${JENKINS_VERSION}, which has no default: the job builds with no --build-arg, so it fails until you add `--build-arg JENKINS_VERSION=...`');
    const plain = (await runStep(step, contextFor(dockerfileTarget(path.join(dir, 'other/Dockerfile')), { probe }))).proposals.find((p) => p.id === 'ci-github')!;
    expect(plain.risk).toBe('safe');
    await fs.writeFile(path.join(dir, '.gitlab-ci.yml'), 'stages: [build]\nb:\n  stage: build\n  script: [make]\n');
    const gitlab = (await runStep(step, contextFor(dockerfileTarget(path.join(dir, 'Dockerfile')), { probe }))).proposals.find((p) => p.id === 'ci-gitlab')!;
    expect(gitlab.warnings.join('\n')).toContain('`--build-arg JENKINS_VERSION=...`');
  });

  it('a FROM that uses an ARG no ARG declares: the warning says to declare it, since no --build-arg can set it', async () => {
    const dir = await tree({ '.git/': '', 'Dockerfile': 'FROM jenkins/jenkins:${JENKINS_VERSION}\nUSER jenkins\n' });
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const proposal = (await runStep(step, contextFor(dockerfileTarget(path.join(dir, 'Dockerfile')), { probe }))).proposals.find((p) => p.id === 'ci-github')!;
    expect(proposal.risk).toBe('review');
    const warnings = proposal.warnings.join('\n');
    expect(warnings).toContain('Dockerfile names its base image with ${JENKINS_VERSION}, which no ARG before its first FROM declares, so Docker reads it as empty there and no --build-arg can set it: add `ARG JENKINS_VERSION=...` with a default above the first FROM');
    expect(warnings).not.toContain('--build-arg JENKINS_VERSION');
  });

  it('a COPY of a file git does not track (a build output): the workflow is review, and its warning names the file', async () => {
    const dockerfile = 'FROM eclipse-temurin:21-jre\nCOPY target/app.jar /app/app.jar\nCOPY --from=builder /out /out\nCOPY config/*.toml requirements.txt ./\nCOPY <<EOF /etc/motd\nhi\nEOF\nADD https://example.com/x.tgz /x\nCMD ["java", "-jar", "/app/app.jar"]\n';
    const dir = await tree({ 'svc/Dockerfile': dockerfile, 'svc/target/app.jar': 'jar', 'svc/config/a.toml': '', 'svc/requirements.txt': '', '.gitignore': 'target/\n', 'other/Dockerfile': DOCKERFILE, 'other/main.py': '' });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd: dir });
    git('init', '-q');
    git('add', '--', '.gitignore', 'svc/Dockerfile', 'svc/config/a.toml', 'svc/requirements.txt');
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const workflow = async (file: string) => (await runStep(step, contextFor(dockerfileTarget(path.join(dir, file)), { probe }))).proposals.find((p) => p.id === 'ci-github')!;
    const built = await workflow('svc/Dockerfile');
    expect(built.risk).toBe('review');
    expect(built.warnings.filter((w) => w.includes('git does not track'))).toEqual([
      'svc/Dockerfile copies target/app.jar (line 2), which git does not track: the job builds from a fresh checkout that lacks it, so it fails until it is committed or made before its docker build line (a build step in the job, or a build stage in the Dockerfile)',
    ]);
    // A Dockerfile git does not track yet: what will be committed with it is not known.
    expect((await workflow('other/Dockerfile')).risk).toBe('safe');
    // Once the jar is in the repository, the checkout has it.
    git('add', '--force', '--', 'svc/target/app.jar');
    expect((await workflow('svc/Dockerfile')).risk).toBe('safe');
  });

  /** The scan workflow proposed for `dockerfiles` of a git repository of `files`, all tracked, and its matrix. */
  async function repositoryWorkflow(files: Record<string, string>, dockerfiles: string[]) {
    const dir = await tree(files);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['add', '--', ...Object.keys(files)], { cwd: dir });
    const targets = dockerfiles.map((f) => dockerfileTarget(path.join(dir, f)));
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const proposal = (await runStep(step, contextFor(targets[0]!, { probe, runTargets: targets }))).proposals.find((p) => p.id === 'ci-github')!;
    const wf = parseYaml(proposal.changes[0]!.after!) as { jobs: { scan: { strategy: { matrix: { include: { dockerfile: string; context: string }[] } } } } };
    return { proposal, matrix: wf.jobs.scan.strategy.matrix.include };
  }

  it('builds each Dockerfile from the folder the repository builds it from: compose, devcontainer.json, or where its COPY lines point', async () => {
    const files: Record<string, string> = {
      // `docker build -f docker/Dockerfile .`: the files it copies are at the root, none beside it.
      'docker/Dockerfile': 'FROM node:22-slim\nCOPY package.json package-lock.json ./\nCOPY src/ ./src/\nCMD ["node", "src/index.js"]\n',
      'package.json': '{}',
      'package-lock.json': '{}',
      'src/index.js': '',
      // A compose file names the context and the Dockerfile.
      'compose.yaml': 'services:\n  api:\n    build:\n      context: ./services\n      dockerfile: api/api.Dockerfile\n',
      'services/api/api.Dockerfile': 'FROM python:3.12-slim\nCOPY api/requirements.txt .\nCMD ["python"]\n',
      'services/api/requirements.txt': '',
      // A dev container built from the repository root (JSON with comments).
      '.devcontainer/devcontainer.json': '{\n  // the whole repository is the context\n  "build": { "dockerfile": "Dockerfile", "context": ".." },\n}\n',
      '.devcontainer/Dockerfile': 'FROM mcr.microsoft.com/devcontainers/base:bookworm\nCOPY tools.txt /tmp/\n',
      'tools.txt': '',
      // Its files beside it: built from its own folder, as before.
      'web/Dockerfile': 'FROM nginx:1.27\nCOPY site/ /usr/share/nginx/html/\n',
      'web/site/index.html': '',
      'site/index.html': '',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['docker/Dockerfile', 'services/api/api.Dockerfile', '.devcontainer/Dockerfile', 'web/Dockerfile']);
    expect(matrix).toEqual([
      { dockerfile: 'docker/Dockerfile', context: '.' },
      { dockerfile: 'services/api/api.Dockerfile', context: 'services' },
      { dockerfile: '.devcontainer/Dockerfile', context: '.' },
      { dockerfile: 'web/Dockerfile', context: 'web' },
    ]);
    // Built from there, nothing the checkout has is missing: no warning, and it says why.
    expect(proposal.risk).toBe('safe');
    expect(proposal.warnings.filter((w) => /git does not track/.test(w))).toEqual([]);
    expect(proposal.description).toContain('docker/Dockerfile from . (its COPY lines name package.json, package-lock.json, src, which are there and not beside it)');
    expect(proposal.description).toContain('services/api/api.Dockerfile from services (compose.yaml builds service api with context ./services)');
    expect(proposal.description).toContain('.devcontainer/Dockerfile from . (devcontainer.json builds it with context ..)');
  });

  it('a Makefile that chooses the Dockerfile in ifeq ... else ... endif builds each from the context its line gives', async () => {
    const files: Record<string, string> = {
      Makefile: 'ARCH ?= amd64\nifeq ($(ARCH),arm64)\n  DOCKERFILE := docker/arm64.Dockerfile\nelse\n  DOCKERFILE := docker/Dockerfile\nendif\nCTX = .\nCTX = .\nimage:\n\tdocker build -f $(DOCKERFILE) $(CTX)\n',
      // Each copies a file of its own folder too: without the Makefile, that folder would be the guess.
      'docker/Dockerfile': 'FROM golang:1.22\nCOPY entry.sh /\n',
      'docker/arm64.Dockerfile': 'FROM arm64v8/golang:1.22\nCOPY entry.sh /\n',
      'docker/entry.sh': '',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['docker/Dockerfile', 'docker/arm64.Dockerfile']);
    expect(matrix).toEqual([
      { dockerfile: 'docker/Dockerfile', context: '.' },
      { dockerfile: 'docker/arm64.Dockerfile', context: '.' },
    ]);
    expect(proposal.description).toContain('docker/Dockerfile from . (Makefile line 10 builds it with context .)');
    expect(proposal.description).toContain('docker/arm64.Dockerfile from . (Makefile line 10 builds it with context .)');
  });

  it('a Makefile variable defined with export or override, or added to with +=, is read as make reads it', async () => {
    const files: Record<string, string> = {
      Makefile: 'export DOCKERFILE := build/Dockerfile\noverride CTX = .\nFLAGS = -f $(DOCKERFILE)\nFLAGS += $(CTX)\nVERSION != git describe\nimage:\n\tdocker build $(FLAGS)\n',
      'build/Dockerfile': 'FROM golang:1.22\nCOPY entry.sh /\n',
      'build/entry.sh': '',
      'web/Dockerfile': 'FROM nginx:1.27\nCOPY site/ /usr/share/nginx/html/\n',
      'web/site/index.html': '',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['build/Dockerfile', 'web/Dockerfile']);
    expect(matrix).toEqual([
      { dockerfile: 'build/Dockerfile', context: '.' },
      { dockerfile: 'web/Dockerfile', context: 'web' },
    ]);
    expect(proposal.description).toContain('build/Dockerfile from . (Makefile line 7 builds it with context .)');
  });

  it('a dev container whose Dockerfile is elsewhere: devcontainer.json in .devcontainer, or a folder of it, names its context', async () => {
    const files: Record<string, string> = {
      '.devcontainer/devcontainer.json': '{ "build": { "dockerfile": "../docker/dev.Dockerfile", "context": ".." } }',
      '.devcontainer/python/devcontainer.json': '{ "build": { "dockerfile": "../../tools/py.Dockerfile", "context": "../../tools" } }',
      // Beside each, a file of the same name as one it copies: the COPY lines alone would choose wrongly.
      'docker/dev.Dockerfile': 'FROM mcr.microsoft.com/devcontainers/base:bookworm\nCOPY setup.sh /tmp/\n',
      'docker/setup.sh': '',
      'setup.sh': '',
      'tools/py.Dockerfile': 'FROM mcr.microsoft.com/devcontainers/python:3.12\nCOPY requirements.txt /tmp/\n',
      'tools/requirements.txt': '',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['docker/dev.Dockerfile', 'tools/py.Dockerfile']);
    expect(matrix).toEqual([
      { dockerfile: 'docker/dev.Dockerfile', context: '.' },
      { dockerfile: 'tools/py.Dockerfile', context: 'tools' },
    ]);
    expect(proposal.description).toContain('docker/dev.Dockerfile from . (devcontainer.json builds it with context ..)');
  });

  it('the build context from the lines that build it (Makefile, README, CI), from the folder holding most of what it copies, or the root for COPY . from a folder of Dockerfiles', async () => {
    const files: Record<string, string> = {
      // The project's Makefile builds it from the root; its COPY . names nothing.
      'Makefile': 'OCI_BUILD := DOCKER_BUILDKIT=1 docker build $(BUILD_ARGS)\ninclude build/images.mk\nlogcli-image:\n\tdocker build -t grafana/logcli:$(IMAGE_TAG) -f cmd/logcli/Dockerfile .\n',
      // A file the Makefile includes, building with a variable the Makefile sets.
      'build/images.mk': 'canary-image:\n\t$(OCI_BUILD) -t $(CANARY_IMAGE) -f cmd/canary/Dockerfile .\nhelper-image:\n\t@docker build -t helper -f cmd/helper/Dockerfile .\n',
      'cmd/helper/Dockerfile': 'FROM golang:1.22\nCOPY . /src\n',
      'cmd/helper/main.go': '',
      'cmd/canary/Dockerfile': 'FROM golang:1.22\nCOPY . /src\n',
      'cmd/canary/main.go': '',
      'cmd/logcli/Dockerfile': 'FROM golang:1.22 AS build\nCOPY . /src\nWORKDIR /src\nRUN make logcli\nFROM alpine:3.20\nCOPY --from=build /src/cmd/logcli/logcli /usr/bin/logcli\n',
      'cmd/logcli/main.go': '',
      'go.mod': '',
      // A workspace package: its own package.json beside it, but the root holds more of what it copies.
      'streaming/Dockerfile': 'FROM node:20-slim\nWORKDIR /app\nCOPY package.json yarn.lock /app/\nCOPY ./streaming /app/streaming\n',
      'streaming/package.json': '{}',
      'package.json': '{}',
      'yarn.lock': '',
      // A build output the checkout lacks is in no folder: the root still holds the rest.
      'docker/images/n8n/Dockerfile': 'FROM node:20-alpine\nCOPY ./compiled /app/\nCOPY docker/images/n8n/docker-entrypoint.sh /\n',
      'docker/images/n8n/docker-entrypoint.sh': '',
      // COPY . from a folder with nothing but Dockerfiles: the root.
      'build/package/Dockerfile': 'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build ./...\n',
      // A compose variant's name.
      'deploy/Dockerfile': 'FROM python:3.12-slim\nCOPY app.py .\n',
      'docker-compose.ci.yml': 'services:\n  app:\n    build:\n      context: .\n      dockerfile: deploy/Dockerfile\n',
      'app.py': '',
      '.gitignore': 'compiled\n',
      // It copies a binary named as its own folder (built by `go install ./cmd/gitlab-sshd`): not that folder.
      'cmd/gitlab-sshd/Dockerfile': 'FROM alpine:3.20\nCOPY gitlab-sshd /gitlab-sshd\nCMD ["/gitlab-sshd"]\n',
      'cmd/gitlab-sshd/main.go': '',
      // Its own folder named by its path from the root: built from the root.
      'tools/lambda/Dockerfile': 'FROM golang:1.22\nCOPY tools/lambda /src/tools/lambda\n',
      'tools/lambda/main.go': '',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['cmd/logcli/Dockerfile', 'streaming/Dockerfile', 'docker/images/n8n/Dockerfile', 'build/package/Dockerfile', 'deploy/Dockerfile', 'cmd/gitlab-sshd/Dockerfile', 'cmd/canary/Dockerfile', 'tools/lambda/Dockerfile', 'cmd/helper/Dockerfile']);
    expect(matrix.map((e) => e.context)).toEqual(['.', '.', '.', '.', '.', 'cmd/gitlab-sshd', '.', '.', '.']);
    expect(proposal.description).toContain('cmd/logcli/Dockerfile from . (Makefile line 4 builds it with context .)');
    // The Dockerfile's own folder seen from above is no evidence: it is the package, not what it names.
    expect(proposal.description).toContain('streaming/Dockerfile from . (its COPY lines name package.json, yarn.lock, which are there)');
    // Inferred from the Dockerfile alone: the workflow is review, and says what to check.
    expect(proposal.risk).toBe('review');
    expect(proposal.warnings).toContain(
      'build/package/Dockerfile is built from . (its folder holds only Dockerfiles, COPY . copies the whole build context, and Makefile is at the root), which no compose file, Bake file, Makefile, README or CI file of the repository confirms: check that the job builds it from the folder you do',
    );
    // Only what the checkout really lacks is named.
    expect(proposal.warnings.filter((w) => /git does not track/.test(w))).toEqual([
      'docker/images/n8n/Dockerfile copies ./compiled (line 2), which git does not track: the job builds from a fresh checkout that lacks it, so it fails until it is committed or made before its docker build line (a build step in the job, or a build stage in the Dockerfile)',
      'cmd/gitlab-sshd/Dockerfile copies gitlab-sshd (line 2), which git does not track: the job builds from a fresh checkout that lacks it, so it fails until it is committed or made before its docker build line (a build step in the job, or a build stage in the Dockerfile)',
    ]);
  });

  it('kaniko, podman and buildah lines name the context too, with the checkout as $CI_PROJECT_DIR; continued and folded lines are one command; included GitLab files count; a line after a cd says nothing', async () => {
    const gitlab = [
      'stages: [build]',
      'api:',
      '  stage: build',
      '  image: { name: gcr.io/kaniko-project/executor:debug, entrypoint: [""] }',
      '  script:',
      '    - /kaniko/executor --context "${CI_PROJECT_DIR}" --dockerfile "${CI_PROJECT_DIR}/deploy/api/Dockerfile" --destination "$CI_REGISTRY_IMAGE/api:$CI_COMMIT_SHA"',
      'include:',
      '  - local: .gitlab/ci/worker.yml',
      'web:',
      '  stage: build',
      '  script:',
      '    - |',
      '      podman build --format docker \\',
      '        -f web/Containerfile \\',
      '        -t web:$CI_COMMIT_SHA .',
      'tools:',
      '  stage: build',
      '  script:',
      '    - buildah bud -f "$DOCKERFILE" -t tools .',
      // After a cd, a build line runs in another folder: it says nothing.
      'deploy:',
      '  script:',
      '    - cd services',
      '    - docker build -f api/Dockerfile .',
      '',
    ].join('\n');
    // A GitHub step's cd ends with the step: the next step builds from the root.
    const steps = ['on: push', 'jobs:', '  build:', '    runs-on: ubuntu-latest', '    steps:', '      - run: |', '          cd web', '          npm ci', '      - run: docker build -f cli/Dockerfile .', ''].join('\n');
    // A file the pipeline includes.
    const worker = ['worker:', '  stage: build', '  script:', '    - >-', '      /kaniko/executor', '      --context dir://$CI_PROJECT_DIR/worker', '      --dockerfile build/Dockerfile', '      --no-push', ''].join('\n');
    const files: Record<string, string> = {
      '.gitlab-ci.yml': gitlab,
      '.gitlab/ci/worker.yml': worker,
      '.github/workflows/build.yml': steps,
      'cli/Dockerfile': 'FROM alpine:3.20\nCOPY cli.sh /\n',
      'cli/cli.sh': '',
      'cli.sh': '',
      // Its files beside it as well as at the root: only the CI line tells.
      'deploy/api/Dockerfile': 'FROM python:3.12-slim\nCOPY app.py .\n',
      'deploy/api/app.py': '',
      'app.py': '',
      // kaniko reads a relative --dockerfile from the context when it is not at the root.
      'worker/build/Dockerfile': 'FROM golang:1.22\nCOPY . .\n',
      'worker/go.mod': '',
      'package.json': '{}',
      'web/Containerfile': 'FROM nginx:1.27\nCOPY index.html /usr/share/nginx/html/\n',
      'web/index.html': '',
      'index.html': '',
      // A Dockerfile named by a variable says nothing: its own folder, where its files are.
      'tools/Dockerfile': 'FROM alpine:3.20\nCOPY tool.sh /usr/local/bin/\n',
      'tools/tool.sh': '',
      'api/Dockerfile': 'FROM python:3.12-slim\nCOPY main.py .\n',
      'api/main.py': '',
      'main.py': '',
      // A README's cd into the clone is the root.
      'README.md': '# x\n\n```sh\ngit clone https://example.com/x.git\ncd x\ndocker build -f docs/Dockerfile .\n```\n',
      'docs/Dockerfile': 'FROM nginx:1.27\nCOPY guide.md /srv/\n',
      'docs/guide.md': '',
      'guide.md': '',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['deploy/api/Dockerfile', 'worker/build/Dockerfile', 'web/Containerfile', 'tools/Dockerfile', 'api/Dockerfile', 'docs/Dockerfile', 'cli/Dockerfile']);
    expect(matrix.map((e) => e.context)).toEqual(['.', 'worker', '.', 'tools', 'api', '.', '.']);
    expect(proposal.description).toContain('deploy/api/Dockerfile from . (.gitlab-ci.yml line 6 builds it with context ${CI_PROJECT_DIR})');
    expect(proposal.description).toContain('worker/build/Dockerfile from worker (.gitlab/ci/worker.yml line 5 builds it with context $CI_PROJECT_DIR/worker)');
    expect(proposal.description).toContain('web/Containerfile from . (.gitlab-ci.yml line 13 builds it with context .)');
    expect(proposal.risk).toBe('safe');
  });

  it('a docker/build-push-action step names the context: a path (file from the root), the git context or a folder of it (file inside it), a matrix', async () => {
    const release = [
      'name: release',
      'on: push',
      'jobs:',
      '  api:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - uses: docker/build-push-action@v6',
      '        with:',
      '          context: .',
      '          file: ./deploy/api/Dockerfile',
      '  worker:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: docker/build-push-action@v6',
      '        with:',
      '          context: "{{defaultContext}}:worker"',
      '          file: build/Dockerfile',
      '  images:',
      '    runs-on: ubuntu-latest',
      '    strategy:',
      '      matrix:',
      '        include:',
      '          - { dockerfile: images/a/Dockerfile, context: images }',
      '          - { dockerfile: images/b/Dockerfile, context: . }',
      '    steps:',
      '      - uses: docker/build-push-action@v6',
      '        with:',
      '          context: ${{ matrix.context }}',
      '          file: ./${{ matrix.dockerfile }}',
      '  web:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: docker/build-push-action@v6',
      '        with: { file: web/Dockerfile }',
      '      - uses: docker/build-push-action@v6',
      '        with: { context: "${{ env.TOOLS }}", file: tools/Dockerfile }',
      // A list in the matrix, beside an include that adds other keys.
      '  services:',
      '    runs-on: ubuntu-latest',
      '    strategy:',
      '      matrix:',
      '        service: [svc/one, svc/two]',
      '        include: [{ service: svc/one, runner: large }]',
      '    steps:',
      '      - uses: docker/build-push-action@v6',
      '        with: { context: ., file: "${{ matrix.service }}/Dockerfile" }',
      // A script's build line runs in the job's working directory.
      '  cli:',
      '    runs-on: ubuntu-latest',
      '    defaults: { run: { working-directory: cli } }',
      '    steps:',
      '      - run: |',
      '          echo building',
      '          docker build -f build/Dockerfile ..',
      // Fields of a matrix list's objects.
      '  demo:',
      '    runs-on: ubuntu-latest',
      '    strategy:',
      '      matrix:',
      '        file_tag:',
      '          - { file: ./demo/cart/Dockerfile, context: ./ }',
      '    steps:',
      '      - uses: docker/build-push-action@v6',
      '        with: { context: "${{ matrix.file_tag.context }}", file: "${{ matrix.file_tag.file }}" }',
      '',
    ].join('\n');
    const files: Record<string, string> = {
      '.github/workflows/release.yml': release,
      'demo/cart/Dockerfile': 'FROM alpine:3.20\nCOPY cart.txt /\n',
      'demo/cart/cart.txt': '',
      'cart.txt': '',
      // Its files are beside it as well as at the root: only the workflow tells.
      'deploy/api/Dockerfile': 'FROM python:3.12-slim\nCOPY app.py .\n',
      'deploy/api/app.py': '',
      'app.py': '',
      'package.json': '{}',
      // COPY . from a folder of Dockerfiles would be the root; the workflow says worker.
      'worker/build/Dockerfile': 'FROM golang:1.22\nCOPY . .\n',
      'worker/go.mod': '',
      'images/a/Dockerfile': 'FROM nginx:1.27\nCOPY a/site.conf /etc/nginx/conf.d/\n',
      'images/a/site.conf': '',
      'images/b/Dockerfile': 'FROM nginx:1.27\nCOPY images/b/site.conf /etc/nginx/conf.d/\n',
      'images/b/site.conf': '',
      'web/Dockerfile': 'FROM nginx:1.27\nCOPY index.html /usr/share/nginx/html/\n',
      'web/index.html': '',
      'index.html': '',
      // A context from an expression says nothing: its own folder, where its files are.
      'tools/Dockerfile': 'FROM alpine:3.20\nCOPY tool.sh /usr/local/bin/\n',
      'tools/tool.sh': '',
      'svc/two/Dockerfile': 'FROM alpine:3.20\nCOPY x.txt /\n',
      'svc/two/x.txt': '',
      'x.txt': '',
      'cli/build/Dockerfile': 'FROM alpine:3.20\nCOPY cli.sh /\n',
      'cli/build/cli.sh': '',
      'cli.sh': '',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['deploy/api/Dockerfile', 'worker/build/Dockerfile', 'images/a/Dockerfile', 'images/b/Dockerfile', 'web/Dockerfile', 'tools/Dockerfile', 'svc/two/Dockerfile', 'cli/build/Dockerfile']);
    expect(matrix.map((e) => e.context)).toEqual(['.', 'worker', 'images', '.', '.', 'tools', '.', '.']);
    const cli = await repositoryWorkflow(files, ['cli/build/Dockerfile', 'demo/cart/Dockerfile']);
    expect(cli.matrix.map((e) => e.context)).toEqual(['.', '.']);
    expect(cli.proposal.description).toContain('demo/cart/Dockerfile from . (.github/workflows/release.yml line 61 builds it with docker/build-push-action, context ./)');
    expect(cli.proposal.description).toContain('cli/build/Dockerfile from . (.github/workflows/release.yml line 53 builds it with context .. in cli)');
    expect(proposal.description).toContain('deploy/api/Dockerfile from . (.github/workflows/release.yml line 8 builds it with docker/build-push-action, context .)');
    expect(proposal.description).toContain('worker/build/Dockerfile from worker (.github/workflows/release.yml line 15 builds it with docker/build-push-action, context {{defaultContext}}:worker)');
    expect(proposal.description).toContain('images/a/Dockerfile from images (.github/workflows/release.yml line 27 builds it with docker/build-push-action, context images)');
    expect(proposal.risk).toBe('safe');
  });

  it("a run step's build line runs where the job put the repository (a checkout in a folder) and in its working directory; $GITHUB_WORKSPACE is the workspace", async () => {
    const workflow = [
      'on: push',
      'jobs:',
      '  canary:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '        with: { path: release }',
      '      - run: docker build -f release/cmd/canary/Dockerfile release',
      '      - run: docker build -f cmd/agent/Dockerfile .',
      '        working-directory: release',
      // Outside the checkout: not a folder of this repository.
      '      - run: docker build -f tools/Dockerfile .',
      '  complement:',
      '    runs-on: ubuntu-latest',
      '    strategy:',
      '      matrix:',
      // A key a row lacks is empty in a script; a number is its text.
      '        include: [{ cgo: 0 }, { postgres: Postgres, cgo: 1 }]',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - run: docker build --build-arg=CGO=${{ matrix.cgo }} -t c:${{ github.sha }} -f build/scripts/Complement${{ matrix.postgres }}.Dockerfile .',
      '  web:',
      '    runs-on: ubuntu-latest',
      '    defaults: { run: { working-directory: web } }',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - run: docker build -f Dockerfile "$GITHUB_WORKSPACE"',
      '',
    ].join('\n');
    const files: Record<string, string> = {
      '.github/workflows/canary.yml': workflow,
      // Each copies a file that is both beside it and at the root: only the workflow tells.
      'cmd/canary/Dockerfile': 'FROM alpine:3.20\nCOPY canary.sh /\n',
      'cmd/canary/canary.sh': '',
      'canary.sh': '',
      'cmd/agent/Dockerfile': 'FROM alpine:3.20\nCOPY agent.sh /\n',
      'cmd/agent/agent.sh': '',
      'agent.sh': '',
      'tools/Dockerfile': 'FROM alpine:3.20\nCOPY tool.sh /\n',
      'tools/tool.sh': '',
      'web/Dockerfile': 'FROM nginx:1.27\nCOPY index.html /usr/share/nginx/html/\n',
      'web/index.html': '',
      'index.html': '',
      // Built from the root once for each value of the matrix; nothing in their folder tells.
      'build/scripts/Complement.Dockerfile': 'FROM golang:1.22\nRUN --mount=target=. go build ./cmd/...\n',
      'build/scripts/ComplementPostgres.Dockerfile': 'FROM golang:1.22\nRUN --mount=target=. go build ./cmd/...\n',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['cmd/canary/Dockerfile', 'cmd/agent/Dockerfile', 'tools/Dockerfile', 'web/Dockerfile', 'build/scripts/Complement.Dockerfile', 'build/scripts/ComplementPostgres.Dockerfile']);
    expect(matrix.map((e) => e.context)).toEqual(['.', '.', 'tools', '.', '.', '.']);
    expect(proposal.description).toContain('cmd/canary/Dockerfile from . (.github/workflows/canary.yml line 8 builds it with context release)');
    expect(proposal.description).toContain('cmd/agent/Dockerfile from . (.github/workflows/canary.yml line 9 builds it with context . in release)');
    expect(proposal.description).toContain('web/Dockerfile from . (.github/workflows/canary.yml line 25 builds it with context $GITHUB_WORKSPACE in web)');
    const complement = await repositoryWorkflow(files, ['build/scripts/ComplementPostgres.Dockerfile', 'build/scripts/Complement.Dockerfile']);
    expect(complement.proposal.description).toContain('build/scripts/ComplementPostgres.Dockerfile from . (.github/workflows/canary.yml line 19 builds it with context .)');
    expect(proposal.risk).toBe('safe');
  });

  it('CI elsewhere (GitLab alone): the GitHub workflow is review and says which CI runs; a Windows image is left out of both jobs, and its own proposal is advice', async () => {
    const files: Record<string, string> = {
      '.gitlab-ci.yml': 'test:\n  script:\n    - make test\n',
      'api/Dockerfile': 'FROM python:3.12-slim\nCOPY app.py /srv/\n',
      'api/app.py': '',
      'win/Dockerfile': 'FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY app.ps1 C:/app/\n',
      'win/app.ps1': '',
    };
    const dir = await tree(files);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['add', '--', ...Object.keys(files)], { cwd: dir });
    const targets = ['win/Dockerfile', 'api/Dockerfile'].map((f) => dockerfileTarget(path.join(dir, f)));
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const run = async (i: number) => (await runStep(step, contextFor(targets[i]!, { probe, runTargets: targets }))).proposals;
    // The Windows Dockerfile: advice, nothing written.
    const win = await run(0);
    expect(win.map((p) => [p.id, p.risk, p.changes.length])).toEqual([['ci-windows', 'advice', 0]]);
    expect(win[0]!.description).toContain('FROM mcr.microsoft.com/windows/servercore:ltsc2022');
    // The other proposes both jobs for it alone, each saying the Windows one is left out.
    const api = await run(1);
    const github = api.find((p) => p.id === 'ci-github')!;
    const gitlab = api.find((p) => p.id === 'ci-gitlab')!;
    expect(github.risk).toBe('review');
    expect(github.warnings).toContain("this repository's CI is .gitlab-ci.yml, and it has no GitHub workflow: a GitHub workflow runs only where the repository is hosted on GitHub; the GitLab job is the one that runs");
    for (const p of [github, gitlab]) {
      expect(p.warnings).toContain('win/Dockerfile builds a Windows image, which a Linux runner cannot build: left out of the job');
      expect(p.changes[0]!.after).toContain('api/Dockerfile');
      expect(p.changes[0]!.after).not.toContain('win/Dockerfile');
    }
    // With a GitHub workflow beside it, the GitHub job runs there: no such warning.
    const both = await repositoryWorkflow({ ...files, '.github/workflows/ci.yml': 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n', 'web/Dockerfile': 'FROM nginx:1.27\n' }, ['api/Dockerfile', 'web/Dockerfile']);
    expect(both.proposal.warnings.filter((w) => w.includes('no GitHub workflow'))).toEqual([]);
    expect(both.proposal.risk).toBe('safe');
  });

  it('Bake and compose files a command names (-f), and those of docker/bake-action (files, workdir), are read where they run', async () => {
    const files: Record<string, string> = {
      // Bake runs at the root: the file's contexts are read from there, not from its folder.
      // Compose reads a file's paths from the project directory: --project-directory, else the first file's folder.
      Makefile: 'images:\n\tdocker buildx bake -f docker/docker-bake.hcl --load\n\tdocker compose --project-directory . -f deploy/prod/compose.yml build\n\tdocker compose -f ops/compose.yml -f ops/ci/override.yml build\n',
      'deploy/prod/compose.yml': 'services:\n  worker:\n    build: { context: ., dockerfile: worker/Dockerfile }\n',
      'worker/Dockerfile': 'FROM alpine:3.20\nCOPY w.sh /\n',
      'worker/w.sh': '',
      'w.sh': '',
      'ops/compose.yml': 'services:\n  jobs:\n    image: example/jobs\n',
      'ops/ci/override.yml': 'services:\n  jobs:\n    build:\n      context: .\n      dockerfile: jobs/Dockerfile\n',
      'ops/jobs/Dockerfile': 'FROM alpine:3.20\nCOPY j.sh /\n',
      'ops/jobs/j.sh': '',
      'ops/j.sh': '',
      'docker/docker-bake.hcl': 'target "php" {\n  context = "docker/php"\n  dockerfile = "debug/Dockerfile"\n}\n',
      'docker/php/debug/Dockerfile': 'FROM php:8.3-cli\nCOPY conf.ini /usr/local/etc/php/\n',
      'docker/php/conf.ini': '',
      'docker/php/debug/conf.ini': '',
      // Compose reads its paths from the file's own folder.
      '.gitlab-ci.yml': 'images:\n  script:\n    - docker compose -f deploy/common.yml build\n',
      // `docker compose build` with no -f reads the compose file of the folder it runs in.
      '.github/workflows/e2e.yml': 'on: push\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: docker compose build\n        working-directory: e2e\n',
      'e2e/docker-compose.yml': 'services:\n  server:\n    build:\n      context: ..\n      dockerfile: server/Dockerfile\n',
      'server/Dockerfile': 'FROM node:22-slim\nCOPY package.json /app/\n',
      'server/package.json': '',
      'package.json': '',
      'deploy/common.yml': 'services:\n  api:\n    build:\n      context: ../api\n      dockerfile: docker/Dockerfile\n',
      'api/docker/Dockerfile': 'FROM python:3.12-slim\nCOPY app.py /srv/\n',
      'api/app.py': '',
      'api/docker/app.py': '',
      '.github/workflows/bake.yml': [
        'on: push',
        'jobs:',
        '  bake:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: docker/bake-action@v6',
        '        with:',
        '          workdir: tools',
        '          files: |',
        '            bake.hcl',
        '',
      ].join('\n'),
      'tools/bake.hcl': 'target "gen" {\n  context = "."\n  dockerfile = "gen/Dockerfile"\n}\n',
      'tools/gen/Dockerfile': 'FROM alpine:3.20\nCOPY x /\n',
      'tools/x': '',
      'tools/gen/x': '',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['docker/php/debug/Dockerfile', 'api/docker/Dockerfile', 'tools/gen/Dockerfile', 'server/Dockerfile']);
    expect(matrix.map((e) => e.context)).toEqual(['docker/php', 'api', 'tools', '.']);
    const server = await repositoryWorkflow(files, ['server/Dockerfile', 'tools/gen/Dockerfile']);
    expect(server.proposal.description).toContain('server/Dockerfile from . (e2e/docker-compose.yml builds service server with context ..)');
    expect(proposal.description).toContain('docker/php/debug/Dockerfile from docker/php (docker/docker-bake.hcl target php builds it with context docker/php)');
    expect(proposal.description).toContain('api/docker/Dockerfile from api (deploy/common.yml builds service api with context ../api)');
    expect(proposal.description).toContain('tools/gen/Dockerfile from tools (tools/bake.hcl target gen builds it with context .)');
    expect(proposal.risk).toBe('safe');
    const project = await repositoryWorkflow(files, ['worker/Dockerfile', 'ops/jobs/Dockerfile']);
    expect(project.matrix.map((e) => e.context)).toEqual(['.', 'ops']);
    expect(project.proposal.description).toContain('worker/Dockerfile from . (deploy/prod/compose.yml builds service worker with context . from project directory .)');
    expect(project.proposal.description).toContain('ops/jobs/Dockerfile from ops (ops/ci/override.yml builds service jobs with context . from project directory ops)');
  });

  // Each case: the repository's files, the Dockerfiles checked, the folder each is built from, and
  // what the proposal says: its risk, phrases of its description, and the start (to the first colon)
  // of each warning about a build context given by name.
  const BAKE_FILE = [
    '# docker buildx bake',
    'variable "TAG" { default = "dev" }',
    'group "default" { targets = ["api", "cli", "docs"] }',
    '/* shared: context and tags */',
    'target "_common" {',
    '  context = "."',
    '  args = { GO_VERSION = "1.22" }',
    '}',
    'target "api" {',
    '  inherits = ["_common"]',
    '  dockerfile = "build/api/Dockerfile"',
    '  tags = ["example/api:${TAG}"]',
    '}',
    'target "cli" {',
    '  context = "cmd"',
    '  dockerfile = "tools/cli.Dockerfile"',
    '}',
    'target "gen" {',
    '  context = "src"',
    '  dockerfile = "cwd://tools/gen.Dockerfile"',
    '}',
    'target "docs" {',
    '  context = "${DOCS_DIR}"',
    '  dockerfile = "docs/Dockerfile"',
    '}',
    '',
  ].join('\n');
  const BAKE_REPOSITORY: Record<string, string> = {
    'docker-bake.hcl': BAKE_FILE,
    // COPY . from a folder of Dockerfiles would be the root as a guess; the Bake file says so.
    'build/api/Dockerfile': 'FROM golang:1.22\nCOPY . .\n',
    'go.mod': '',
    // Files beside it as well as in cmd: only the Bake file tells.
    'cmd/tools/cli.Dockerfile': 'FROM alpine:3.20\nCOPY main.go /src/\n',
    'cmd/tools/main.go': '',
    'cmd/main.go': '',
    'docs/Dockerfile': 'FROM nginx:1.27\nCOPY index.html /usr/share/nginx/html/\n',
    'docs/index.html': '',
    // cwd:// names the Dockerfile from the root, not from the context.
    'tools/gen.Dockerfile': 'FROM alpine:3.20\nCOPY schema.json /src/\n',
    'tools/schema.json': '',
    'src/schema.json': '',
  };
  const NAMED_WARNING = "core/nginx/Dockerfile starts FROM base, a build context its Bake target front gives it (base = target:base): the job's plain docker build has no such context and pulls base from a registry instead, so it fails or scans another image; build it with docker buildx bake, or give the context with --build-context on its docker build line";
  /** A Dockerfile that copies `name`, which is both beside it and at the root: only the repository's build definitions tell which folder it is built from. */
  const besideAndRoot = (dir: string, name: string): Record<string, string> => ({
    [`${dir}/Dockerfile`]: dir === 'web' ? `FROM nginx:1.27\nCOPY ${name} /usr/share/nginx/html/\n` : `FROM alpine:3.20\nCOPY ${name} /\n`,
    [`${dir}/${name}`]: '',
    [name]: '',
  });

  const definitionCases: {
    name: string;
    files: Record<string, string>;
    dockerfiles: string[];
    contexts: string[];
    risk?: 'safe' | 'review';
    described?: string[];
    notDescribed?: RegExp;
    contextWarnings?: string[];
    /** Warnings that start so, in order (the part before the first colon). */
    outsideWarnings?: string[];
  }[] = [
    {
      name: 'Bake: the context from the root and the Dockerfile in it, through inherits, cwd://; a variable without a default says nothing; declared, not guessed',
      files: BAKE_REPOSITORY,
      dockerfiles: ['build/api/Dockerfile', 'cmd/tools/cli.Dockerfile', 'docs/Dockerfile', 'tools/gen.Dockerfile'],
      contexts: ['.', 'cmd', 'docs', 'src'],
      risk: 'safe',
      described: ['build/api/Dockerfile from . (docker-bake.hcl target api builds it with context .)'],
    },
    {
      name: 'Bake: the JSON form',
      files: { ...BAKE_REPOSITORY, 'docker-bake.hcl': '', 'docker-bake.json': JSON.stringify({ target: { base: { context: 'cmd' }, cli: { inherits: ['base'], dockerfile: 'tools/cli.Dockerfile' } } }) },
      dockerfiles: ['cmd/tools/cli.Dockerfile', 'docs/Dockerfile'],
      contexts: ['cmd', 'docs'],
    },
    {
      name: "Bake: a FROM naming a context its target is given is review (the job's plain docker build has none)",
      files: {
        'docker-bake.hcl': 'target "base" {\n  context = "core/base"\n}\ntarget "front" {\n  context = "core/nginx"\n  contexts = {\n    base = "target:base"\n  }\n}\n',
        'core/base/Dockerfile': 'FROM alpine:3.20\nRUN apk add --no-cache tini\n',
        'core/nginx/Dockerfile': 'FROM base\nCOPY conf/ /etc/nginx/\n',
        'core/nginx/conf/site.conf': '',
      },
      dockerfiles: ['core/base/Dockerfile', 'core/nginx/Dockerfile'],
      contexts: ['core/base', 'core/nginx'],
      risk: 'review',
      contextWarnings: [NAMED_WARNING.slice(0, NAMED_WARNING.indexOf(':'))],
    },
    {
      // A list of objects gives `${os.name}`; a template naming something else says nothing.
      name: 'Bake: a matrix target is one build per combination, its templates filled in',
      files: {
        'docker-bake.hcl': [
          'target "svc" {',
          '  name = "svc-${tgt}"',
          '  matrix = {',
          '    tgt = ["api", "web"]',
          '  }',
          '  context = "apps"',
          '  dockerfile = "${tgt}/Dockerfile"',
          '}',
          'target "cann" {',
          '  context = "cann"',
          '  dockerfile = "${os.name}/Dockerfile"',
          '  matrix = {',
          '    os = [',
          '      {',
          '        name = "ubuntu"',
          '        version = "22.04"',
          '      },',
          '      { "name" = "openeuler", "platforms" = equal("1", RELEASE) ? ["linux/arm64"] : [""] }',
          '    ]',
          '    py = ["3.9", "3.10"]',
          '  }',
          '}',
          'target "cli" {',
          '  matrix = { os = ["linux"] }',
          '  context = "cli/${VERSION}"',
          '}',
          // A matrix key alone as a value.
          'target "default" {',
          '  name = dir',
          '  matrix = {',
          '    dir = ["jobs"]',
          '  }',
          '  context = dir',
          '  dockerfile = "cron/Dockerfile"',
          '}',
          '',
        ].join('\n'),
        'apps/api/Dockerfile': 'FROM alpine:3.20\nCOPY shared/ /srv/\n',
        'apps/web/Dockerfile': 'FROM alpine:3.20\nCOPY shared/ /srv/\n',
        'apps/shared/a.txt': '',
        'cann/ubuntu/Dockerfile': 'FROM ubuntu:22.04\nCOPY scripts/install.sh /\n',
        'cann/openeuler/Dockerfile': 'FROM openeuler/openeuler:22.03\nCOPY scripts/install.sh /\n',
        'cann/scripts/install.sh': '',
        'jobs/cron/Dockerfile': 'FROM alpine:3.20\nCOPY crontab /etc/\n',
        'jobs/crontab': '',
      },
      dockerfiles: ['apps/api/Dockerfile', 'jobs/cron/Dockerfile', 'cann/ubuntu/Dockerfile', 'cann/openeuler/Dockerfile', 'apps/web/Dockerfile'],
      contexts: ['apps', 'jobs', 'cann', 'cann', 'apps'],
      described: [
        'jobs/cron/Dockerfile from jobs (docker-bake.hcl target jobs builds it with context jobs)',
        'apps/api/Dockerfile from apps (docker-bake.hcl target svc-api builds it with context apps)',
        'cann/ubuntu/Dockerfile from cann (docker-bake.hcl target cann (os.name=ubuntu, os.version=22.04, py=3.9) builds it with context cann)',
      ],
      notDescribed: /target cli/,
    },
    {
      // BuildKit gives TARGETARCH a value: no warning that the job needs a --build-arg.
      name: "Bake: a target whose Dockerfile is an expression gives its contexts to its folder's Dockerfiles; a FROM with ARG defaults; a variable's default",
      files: {
        'docker-bake.hcl': [
          'target "default" {',
          // A matrix that cannot be read: the values that use none of it still hold.
          '  matrix = { os = ["bookworm", "alpine"], php-version = split(",", PHP_VERSION) }',
          '  contexts = { php-base = "docker-image://php:${php-version}-zts-${os}" }',
          '  dockerfile = os == "alpine" ? "alpine.Dockerfile" : "Dockerfile"',
          '  context = "./"',
          '}',
          'target "app" {',
          '  context = "app"',
          '  contexts = { base = "target:default" }',
          '}',
          // A variable's default fills a template; one without a default says nothing.
          'variable "FLAVOR" {',
          '  default = "alpine"',
          '}',
          'variable "VERSION" {}',
          'target "flavored" {',
          '  context = "dist/"',
          '  dockerfile = "../docker/base-${FLAVOR}.dockerfile"',
          '}',
          'target "versioned" {',
          '  context = "v${VERSION}"',
          '  dockerfile = "../docker/base-alpine.dockerfile"',
          '}',
          '',
        ].join('\n'),
        Dockerfile: 'FROM php-base AS common\nCOPY caddy /srv/\n',
        caddy: '',
        'app/Dockerfile': 'ARG BASE=base\nFROM ${BASE}\nCOPY main.go /src/\n',
        'app/main.go': '',
        // BuildKit gives TARGETARCH a value: no warning that the job needs a --build-arg.
        'docker/base-alpine.dockerfile': 'ARG TARGETARCH\nFROM alpine:3.20 AS build_amd64\nFROM build_${TARGETARCH}\nCOPY site/ /srv/\n',
        'dist/site/index.html': '',
      },
      dockerfiles: ['Dockerfile', 'app/Dockerfile', 'docker/base-alpine.dockerfile'],
      contexts: ['.', 'app', 'dist'],
      risk: 'review',
      described: ['docker/base-alpine.dockerfile from dist (docker-bake.hcl target flavored builds it with context dist/)'],
      notDescribed: /TARGETARCH/,
      contextWarnings: [
        'Dockerfile starts FROM php-base, a build context its Bake target default gives it (php-base = (an expression))',
        'app/Dockerfile starts FROM base, a build context its Bake target app gives it (base = target',
      ],
    },
    {
      // web's COPY --from=assets names its own stage: nothing outside the file. api's `assets` is no
      // context of its service.
      name: "compose: a service's additional_contexts, as a map and as a list; COPY --from= and RUN --mount from= one of them",
      files: {
        'compose.yaml': [
          'services:',
          '  web:',
          '    build:',
          '      context: web',
          '      additional_contexts:',
          '        assets: ./static',
          '        unused: ./other',
          '  api:',
          '    build:',
          '      context: .',
          '      dockerfile: api/Dockerfile',
          '      additional_contexts: ["base=service:web", "ignored"]',
          '  worker:',
          '    build: { context: worker, additional_contexts: { assets: ./static, tools: ./tools } }',
          '',
        ].join('\n'),
        'web/Dockerfile': 'FROM nginx:1.27 AS assets\nFROM nginx:1.27\nCOPY --from=assets /usr/share/nginx /srv\nCOPY site.conf /etc/nginx/conf.d/\n',
        'web/site.conf': '',
        'api/Dockerfile': 'FROM base\nCOPY --from=assets /srv /srv\nCOPY api/main.py /app/\n',
        'api/main.py': '',
        'worker/Dockerfile': 'FROM alpine:3.20 AS build\nRUN true\nFROM alpine:3.20\nCOPY --from=assets /srv /srv\nCOPY --from=0 /etc/os-release /x\nRUN --mount=type=bind,from=tools,target=/t /t/setup.sh\nRUN --mount=type=cache,target=/root/.cache true\nCOPY run.sh /\n',
        'worker/run.sh': '',
      },
      dockerfiles: ['web/Dockerfile', 'api/Dockerfile', 'worker/Dockerfile'],
      contexts: ['web', '.', 'worker'],
      risk: 'review',
      contextWarnings: [
        'api/Dockerfile starts FROM base, a build context its compose.yaml service api gives it (base = service',
        'worker/Dockerfile copies or mounts from assets, tools, build contexts its compose.yaml service worker gives it (assets = ./static, tools = ./tools)',
      ],
    },
    {
      name: 'compose: ${VAR:-default} in context and dockerfile, from the .env beside the file or the default; a variable with no value says nothing',
      files: {
        'compose.yaml': 'services:\n  app:\n    build:\n      context: ${APP_CONTEXT:-.}\n      dockerfile: ${APP_DOCKERFILE}\n  other:\n    build:\n      context: ${OTHER_CONTEXT}\n      dockerfile: other/Dockerfile\n',
        '.env': 'APP_DOCKERFILE=docker/app.Dockerfile\n',
        // Each copies a file that is both beside it and at the root: only the compose file tells.
        'docker/app.Dockerfile': 'FROM alpine:3.20\nCOPY app.sh /\n',
        'docker/app.sh': '',
        'app.sh': '',
        'other/Dockerfile': 'FROM alpine:3.20\nCOPY other.sh /\n',
        'other/other.sh': '',
        'other.sh': '',
      },
      dockerfiles: ['docker/app.Dockerfile', 'other/Dockerfile'],
      contexts: ['.', 'other'],
      risk: 'safe',
      described: ['docker/app.Dockerfile from . (compose.yaml builds service app with context ${APP_CONTEXT:-.})'],
    },
    {
      // The job checks out this repository alone: it builds from the best folder it has, and says
      // which build it cannot repeat. A context of `..` from a folder of the repository is inside.
      name: 'a Bake or dev container context outside the repository: built from the folder the checkout has, review, a warning naming it',
      files: {
        'docker-bake.hcl': 'target "app" {\n  context = ".."\n  dockerfile = "cwd://app/Dockerfile"\n}\ntarget "tools" {\n  context = "tools/.."\n  dockerfile = "tools/Dockerfile"\n}\n',
        'app/Dockerfile': 'FROM alpine:3.20\nCOPY shared/lib.sh /lib/\nCOPY app/run.sh /\n',
        'app/run.sh': '',
        'tools/Dockerfile': 'FROM alpine:3.20\nCOPY tools/x.sh /\n',
        'tools/x.sh': '',
        '.devcontainer.json': '{ "build": { "dockerfile": "dev.Dockerfile", "context": ".." } }',
        'dev.Dockerfile': 'FROM debian:12\nCOPY dev.sh /\n',
        'dev.sh': '',
      },
      dockerfiles: ['app/Dockerfile', 'tools/Dockerfile', 'dev.Dockerfile'],
      contexts: ['.', '.', '.'],
      risk: 'review',
      described: ['tools/Dockerfile from . (docker-bake.hcl target tools builds it with context tools/..)'],
      outsideWarnings: [
        'app/Dockerfile is built from .. (docker-bake.hcl target app builds it with context ..), outside this repository',
        'dev.Dockerfile is built from .. (.devcontainer.json builds it with context ..), outside this repository',
      ],
    },
    {
      name: "a run step's build line sees the env: values of the workflow, job and step (not one the script sets); a local composite action's run steps count, its inputs from the step's with: or their defaults",
      files: {
        '.github/workflows/images.yml': [
          'on: push',
          'env:',
          '  IMAGE_DIR: services/api',
          'jobs:',
          '  api:',
          '    runs-on: ubuntu-latest',
          '    env: { CONTEXT: . }',
          '    steps:',
          '      - uses: actions/checkout@v4',
          '      - run: docker build -f $IMAGE_DIR/Dockerfile ${{ env.CONTEXT }}',
          // A variable the script sets itself is not the workflow's: this line says nothing of services/api.
          '      - run: |',
          '          IMAGE_DIR=tools',
          '          docker build -f ${IMAGE_DIR}/Dockerfile services',
          '  images:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - uses: actions/checkout@v4',
          '      - uses: ./.github/actions/image',
          '        with: { dockerfile: worker/Dockerfile }',
          '      - uses: ./.github/actions/image',
          '',
        ].join('\n'),
        '.github/actions/image/action.yml': ['name: image', 'inputs:', '  dockerfile: { default: web/Dockerfile }', '  context: { default: . }', 'runs:', '  using: composite', '  steps:', '    - shell: bash', '      run: docker build -f ${{ inputs.dockerfile }} ${{ inputs.context }}', ''].join('\n'),
        ...besideAndRoot('services/api', 'api.sh'),
        ...besideAndRoot('worker', 'worker.sh'),
        ...besideAndRoot('web', 'index.html'),
      },
      dockerfiles: ['services/api/Dockerfile', 'worker/Dockerfile', 'web/Dockerfile'],
      contexts: ['.', '.', '.'],
      // One folder for services/api/Dockerfile: no disagreement to warn of.
      risk: 'safe',
      described: [
        'services/api/Dockerfile from . (.github/workflows/images.yml line 10 builds it with context .)',
        'worker/Dockerfile from . (.github/actions/image/action.yml line 9 builds it with context .)',
        'web/Dockerfile from . (.github/actions/image/action.yml line 9 builds it with context .)',
      ],
    },
    {
      // Nothing else in this workflow asks for a step-by-step reading.
      name: "an env: value on a continuation line of the build command",
      files: {
        '.github/workflows/backend.yml': ['on: push', 'env:', '  DOCKERFILE: backend/Dockerfile', 'jobs:', '  b:', '    runs-on: ubuntu-latest', '    steps:', '      - run: |', '          docker build \\', '            -f $DOCKERFILE \\', '            .', ''].join('\n'),
        ...besideAndRoot('backend', 'b.sh'),
        'web/Dockerfile': 'FROM nginx:1.27\nCOPY index.html /usr/share/nginx/html/\n',
        'web/index.html': '',
      },
      dockerfiles: ['backend/Dockerfile', 'web/Dockerfile'],
      contexts: ['.', 'web'],
      described: ['backend/Dockerfile from . (.github/workflows/backend.yml line 9 builds it with context .)'],
    },
    {
      name: "GitLab: a script line sees the variables: of the pipeline and of its job (a value, or value:), not those of another job, and what its extends: templates give it, in an included file too; a cd earlier in the job says nothing",
      files: {
        '.gitlab-ci.yml': [
          'include:',
          '  - local: .gitlab/ci/templates.yml',
          'jobs-image:',
          '  extends: .image',
          '  variables:',
          '    DOCKERFILE_PATH: $CI_PROJECT_DIR/jobs/Dockerfile',
          'variables:',
          '  DOCKERFILE: api/Dockerfile',
          '  CONTEXT: { value: ., description: where images build from }',
          'api:',
          '  script:',
          // The shell's `;` ends the context word.
          '    - docker build -t api:$CI_COMMIT_SHA -f $DOCKERFILE $CONTEXT;',
          'worker:',
          '  variables:',
          '    DOCKERFILE: worker/Dockerfile',
          '  script:',
          '    - docker build -f ${DOCKERFILE} "${CONTEXT}"',
          'web:',
          '  before_script:',
          '    - cd web',
          '  script:',
          '    - docker build -f web/Dockerfile .',
          '',
        ].join('\n'),
        // The template's build command goes on over lines; the variable is on the last.
        '.gitlab/ci/templates.yml': ['.image:', '  variables:', '    CONTEXT_DIR: .', '  script:', '    - |', '      docker buildx build \\', '        --tag $CI_REGISTRY_IMAGE \\', '        -f $DOCKERFILE_PATH $CONTEXT_DIR', ''].join('\n'),
        ...besideAndRoot('jobs', 'jobs.sh'),
        ...besideAndRoot('api', 'api.sh'),
        ...besideAndRoot('worker', 'worker.sh'),
        ...besideAndRoot('web', 'index.html'),
      },
      dockerfiles: ['api/Dockerfile', 'worker/Dockerfile', 'web/Dockerfile', 'jobs/Dockerfile'],
      contexts: ['.', '.', 'web', '.'],
      described: [
        'api/Dockerfile from . (.gitlab-ci.yml line 12 builds it with context .)',
        'worker/Dockerfile from . (.gitlab-ci.yml line 17 builds it with context .)',
        'jobs/Dockerfile from . (.gitlab/ci/templates.yml line 6 builds it with context .)',
      ],
      // One folder each: no disagreement to warn of.
      notDescribed: /also builds it/,
    },
  ];

  it.each(definitionCases)('$name', async (c) => {
    const { proposal, matrix } = await repositoryWorkflow(c.files, c.dockerfiles);
    expect(matrix.map((e) => e.context)).toEqual(c.contexts);
    if (c.risk) expect(proposal.risk).toBe(c.risk);
    for (const phrase of c.described ?? []) expect(proposal.description).toContain(phrase);
    if (c.notDescribed) expect([proposal.description, ...proposal.warnings].join('\n')).not.toMatch(c.notDescribed);
    if (c.contextWarnings) expect(proposal.warnings.filter((w) => w.includes('build context')).map((w) => w.slice(0, w.indexOf(':')))).toEqual(c.contextWarnings);
    expect(proposal.warnings.filter((w) => w.includes('outside this repository')).map((w) => w.slice(0, w.indexOf(':')))).toEqual(c.outsideWarnings ?? []);
  });

  it('a warning for a context outside the repository says what the job builds instead and what to do', async () => {
    const c = definitionCases.find((x) => x.outsideWarnings)!;
    const { proposal } = await repositoryWorkflow(c.files, c.dockerfiles);
    expect(proposal.warnings).toContain(
      'app/Dockerfile is built from .. (docker-bake.hcl target app builds it with context ..), outside this repository: the job checks out this repository alone, so it builds it from . instead, and what its COPY lines take from outside is missing there; check out what it needs beside it in the job, or scan the image where it is built',
    );
  });

  it('a named-context warning says what to do', async () => {
    const { proposal } = await repositoryWorkflow(definitionCases[2]!.files, definitionCases[2]!.dockerfiles);
    expect(proposal.warnings).toContain(NAMED_WARNING);
  });

  it('build-push-action: a checkout in a folder of the workspace (not that of another repository), values from env (and the matrix through it), forks of the action', async () => {
    const images = [
      'on: push',
      'env:',
      '  ROOT: .',
      'jobs:',
      '  canary:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '        with: { repository: example/release-tools, path: lib }',
      '      - uses: actions/checkout@v4',
      '        with: { path: release }',
      '      - uses: docker/build-push-action@v6',
      '        with:',
      '          context: release',
      '          file: release/cmd/canary/Dockerfile',
      '  server:',
      '    runs-on: ubuntu-latest',
      '    strategy:',
      '      matrix:',
      '        include: [{ dir: server }]',
      '    env:',
      '      file: ${{ matrix.dir }}/Dockerfile',
      '    steps:',
      '      - uses: useblacksmith/build-push-action@v1',
      '        with:',
      '          context: ${{ env.ROOT }}',
      '          file: ${{ env.file }}',
      '',
    ].join('\n');
    const files: Record<string, string> = {
      '.github/workflows/images.yml': images,
      // COPY . alone from its own folder would be its own folder; the workflow says the root.
      'cmd/canary/Dockerfile': 'FROM golang:1.22\nCOPY . /src\n',
      'cmd/canary/main.go': '',
      'server/Dockerfile': 'FROM node:22-slim\nCOPY package.json .\n',
      'server/package.json': '{}',
      'package.json': '{}',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['cmd/canary/Dockerfile', 'server/Dockerfile']);
    expect(matrix.map((e) => e.context)).toEqual(['.', '.']);
    expect(proposal.description).toContain('cmd/canary/Dockerfile from . (.github/workflows/images.yml line 12 builds it with docker/build-push-action, context release)');
    expect(proposal.description).toContain('server/Dockerfile from . (.github/workflows/images.yml line 24 builds it with useblacksmith/build-push-action, context .)');
  });

  it('build definitions that disagree: the folder holding more of what it copies, and a review warning naming both', async () => {
    const files: Record<string, string> = {
      // A workflow left from an older Dockerfile builds it from its folder; the GitLab job from the root.
      '.github/workflows/images.yml': 'on: push\njobs:\n  server:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with: { context: server/, file: server/Dockerfile }\n',
      '.gitlab-ci.yml': 'server:\n  script:\n    - /kaniko/executor --context $CI_PROJECT_DIR --dockerfile $CI_PROJECT_DIR/server/Dockerfile --no-push\n',
      'server/Dockerfile': 'FROM rust:1.80\nCOPY Cargo.toml Cargo.lock /src/\n',
      'server/main.rs': '',
      'Cargo.toml': '',
      'Cargo.lock': '',
      'web/Dockerfile': 'FROM nginx:1.27\nCOPY index.html /usr/share/nginx/html/\n',
      'web/index.html': '',
    };
    const { proposal, matrix } = await repositoryWorkflow(files, ['server/Dockerfile', 'web/Dockerfile']);
    expect(matrix.map((e) => e.context)).toEqual(['.', 'web']);
    expect(proposal.risk).toBe('review');
    expect(proposal.warnings).toContain(
      'server/Dockerfile is built from . (.gitlab-ci.yml line 3 builds it with context $CI_PROJECT_DIR), but the repository also builds it from server (.github/workflows/images.yml line 6 builds it with docker/build-push-action, context server/): check that the job builds it from the folder you do',
    );
  });

  it('a matrix of many such Dockerfiles lists the first ten and counts the rest', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++) files[`s${i}/Dockerfile`] = `FROM alpine:3.20\nCOPY dist/ /srv/\n`;
    const dir = await tree(files);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['add', '--', ...Object.keys(files)], { cwd: dir });
    const dockerfiles = Object.keys(files).map((f) => path.join(dir, f));
    const targets = dockerfiles.map(dockerfileTarget);
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const run = await runStep(step, contextFor(targets[0]!, { probe, runTargets: targets }));
    const warnings = run.proposals.find((p) => p.id === 'ci-github')!.warnings.filter((w) => /git does not track/.test(w));
    expect(warnings).toHaveLength(11);
    expect(warnings[0]).toMatch(/^s0\/Dockerfile copies dist\/ \(line 2\), which git does not track/);
    expect(warnings[10]).toBe('2 more of these Dockerfiles copy files git does not track (`docker-harden check --file` on each names them)');
  });

  it('a matrix of Dockerfiles whose FROM needs a build argument lists the first ten and counts the rest', async () => {
    const files: Record<string, string> = { '.git/': '' };
    for (let i = 0; i < 13; i++) files[`s${i}/Dockerfile`] = `ARG BASE\nFROM \${BASE}\nCOPY . /srv/\n`;
    const dir = await tree(files);
    const targets = Object.keys(files).filter((f) => f.endsWith('Dockerfile')).map((f) => dockerfileTarget(path.join(dir, f)));
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const run = await runStep(step, contextFor(targets[0]!, { probe, runTargets: targets }));
    const warnings = run.proposals.find((p) => p.id === 'ci-github')!.warnings.filter((w) => /build argument|no --build-arg/.test(w));
    expect(warnings).toHaveLength(11);
    expect(warnings[0]).toMatch(/^s0\/Dockerfile names its base image with \$\{BASE\}, which has no default/);
    expect(warnings[10]).toBe('3 more of these Dockerfiles name their base image with a build argument that has no default (`docker-harden check --file` on each names it)');
  });

  it('a Dockerfile at the repository root builds with context . and a path with spaces is quoted', () => {
    const wf = parseYaml(githubWorkflow('/r', '/r/Dockerfile')) as { jobs: { scan: { steps: { run?: string }[] } } };
    expect(wf.jobs.scan.steps[1]!.run).toBe('docker build --file Dockerfile --tag docker-harden-scan:${{ github.sha }} .');
    expect(workflowFile('/r', '/r/Dockerfile')).toBe('/r/.github/workflows/docker-harden-scan.yml');
    const spaced = parseYaml(githubWorkflow('/r', "/r/my app/Dockerfile.prod")) as { jobs: { scan: { steps: { run?: string }[] } } };
    expect(spaced.jobs.scan.steps[1]!.run).toBe("docker build --file 'my app/Dockerfile.prod' --tag docker-harden-scan:${{ github.sha }} 'my app'");
  });

  it('the GitLab edit keeps the file byte for byte and adds jobs in a listed stage', async () => {
    const original = '# our pipeline\nstages: [build, deploy]\n\nbuild:\n  stage: build\n  script: [make]\n';
    const dir = await tree({ '.git/': '', 'app/Dockerfile': DOCKERFILE, '.gitlab-ci.yml': original });
    const ctx = contextFor(dockerfileTarget(path.join(dir, 'app/Dockerfile')), { probe: systemProbe({ PATH: path.join(dir, 'bin') }) });
    const run = await runStep(step, ctx);
    const change = run.proposals.find((p) => p.id === 'ci-gitlab')!.changes[0]!;
    expect(change.before).toBe(original);
    expect(change.after.startsWith(original)).toBe(true);
    const ci = parseYaml(change.after) as Record<string, { stage?: string; script: string[]; needs?: string[] }>;
    expect(ci['docker-harden-build']!.stage).toBe('deploy');
    expect(ci['docker-harden-build']!.script[0]).toBe('docker build --file app/Dockerfile --tag docker-harden-scan:$CI_COMMIT_SHORT_SHA app');
    expect(ci['docker-harden-scan']!.needs).toEqual(['docker-harden-build']);
    expect(ci['docker-harden-scan']!.script[0]).toContain('--exit-code 1');
    expect(ci['docker-harden-scan']!.script[0]).toContain('--severity CRITICAL,HIGH');
    expect(ci.build).toEqual({ stage: 'build', script: ['make'] });
  });
});

describe('dependency-scanning: one CI scan for the Dockerfiles of a repository in one run', () => {
  type Matrix = { name: string; jobs: { scan: { strategy: { matrix: { include: { dockerfile: string; context: string }[] } }; steps: { run?: string; env?: Record<string, string> }[] } } };

  it('the first Dockerfile proposes a matrix workflow for all; the others say where it is; applied, all pass', async () => {
    const dir = await tree({ '.git/': '', 'a/Dockerfile': DOCKERFILE, 'b/Dockerfile': DOCKERFILE, 'b/c/worker.Dockerfile': DOCKERFILE });
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const targets = ['a/Dockerfile', 'b/Dockerfile', 'b/c/worker.Dockerfile'].map((f) => dockerfileTarget(path.join(dir, f)));
    const contexts = targets.map((t) => contextFor(t, { probe, runTargets: targets }));
    const runs = [];
    for (const ctx of contexts) runs.push(await runStep(step, ctx));
    expect(runs.map((r) => r.proposals.map((p) => p.id))).toEqual([['ci-github'], [], []]);
    for (const r of runs.slice(1)) expect(r.result.notes!.join('\n')).toContain('one CI scan is proposed with a/Dockerfile for the 3 Dockerfiles of this repository checked here that nothing scans');
    const change = runs[0]!.proposals[0]!.changes[0]!;
    expect(change.path).toBe(path.join(dir, '.github/workflows/docker-harden-scan.yml'));
    const wf = parseYaml(change.after) as Matrix;
    expect(wf.jobs.scan.strategy.matrix.include).toEqual([
      { dockerfile: 'a/Dockerfile', context: 'a' },
      { dockerfile: 'b/Dockerfile', context: 'b' },
      { dockerfile: 'b/c/worker.Dockerfile', context: 'b/c' },
    ]);
    await fs.mkdir(path.dirname(change.path), { recursive: true });
    await fs.writeFile(change.path, change.after);
    for (const ctx of contexts) expect((await step.check(ctx)).status).toBe('pass');
  });

  it("docker-harden's own workflows count for the Dockerfiles they build; one added later gets a workflow of its own", async () => {
    const dir = await tree({ '.git/': '', 'a/Dockerfile': DOCKERFILE, 'b/Dockerfile': DOCKERFILE, 'c/Dockerfile': DOCKERFILE });
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const [a, b, c] = ['a', 'b', 'c'].map((d) => dockerfileTarget(path.join(dir, d, 'Dockerfile'))) as [Target, Target, Target];
    const runAndApply = async (targets: Target[], expected: string[]) => {
      const runs = [];
      for (const t of targets) runs.push(await runStep(step, contextFor(t, { probe, runTargets: targets })));
      const written = runs.flatMap((r) => r.proposals.filter((p) => p.id === 'ci-github').flatMap((p) => p.changes));
      expect(written.map((w) => path.relative(dir, w.path))).toEqual(expected);
      for (const w of written) {
        expect(w.before).toBeNull();
        await fs.mkdir(path.dirname(w.path), { recursive: true });
        await fs.writeFile(w.path, w.after);
      }
      return runs;
    };
    // a alone: its own single workflow.
    await runAndApply([a], ['.github/workflows/docker-harden-scan-a.yml']);
    // a and b: a is built by it and passes; b is not, and gets a matrix workflow for itself.
    const second = await runAndApply([a, b], ['.github/workflows/docker-harden-scan.yml']);
    expect(second[0]!.result.status).toBe('pass');
    expect(second[1]!.result.findings[0]!.message).toBe("nothing scans this image in CI: docker-harden's scan workflow (.github/workflows/docker-harden-scan-a.yml) does not build it");
    // c next: the next free name.
    const third = await runAndApply([a, b, c], ['.github/workflows/docker-harden-scan-2.yml']);
    expect(third.map((r) => r.result.status)).toEqual(['pass', 'pass', 'fail']);
    for (const t of [a, b, c]) expect((await step.check(contextFor(t, { probe, runTargets: [a, b, c] }))).status).toBe('pass');
  });

  it("a workflow with docker-harden's name that someone else wrote, or that no longer reads as ours, counts for every image", async () => {
    const theirs = 'name: scan\non: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: trivy fs .\n';
    const broken = '# Added by docker-harden: builds the image\njobs: [trivy\n';
    for (const text of [theirs, broken]) {
      const dir = await tree({ '.git/': '', 'a/Dockerfile': DOCKERFILE, '.github/workflows/docker-harden-scan.yml': text });
      const run = await runStep(step, contextFor(dockerfileTarget(path.join(dir, 'a/Dockerfile')), { probe: systemProbe({ PATH: path.join(dir, 'bin') }) }));
      expect(run.result.status).toBe('pass');
    }
  });

  it('a Dockerfile alone in the run keeps its own workflow file', async () => {
    const dir = await tree({ '.git/': '', 'a/Dockerfile': DOCKERFILE, 'b/Dockerfile': DOCKERFILE });
    const target = dockerfileTarget(path.join(dir, 'b/Dockerfile'));
    const run = await runStep(step, contextFor(target, { probe: systemProbe({ PATH: path.join(dir, 'bin') }), runTargets: [target] }));
    expect(run.proposals[0]!.changes.map((c) => c.path)).toEqual([path.join(dir, '.github/workflows/docker-harden-scan-b.yml')]);
  });

  it(`over ${MATRIX_LIMIT} Dockerfiles go into one workflow per ${MATRIX_LIMIT} (GitHub's matrix limit), each listed once`, () => {
    const files = Array.from({ length: 2 * MATRIX_LIMIT + 3 }, (_, i) => `/r/s${i % 7}/app-${i}.Dockerfile`);
    const workflows = matrixWorkflows('/r', files);
    expect(workflows.map((w) => path.basename(w.path))).toEqual(['docker-harden-scan.yml', 'docker-harden-scan-2.yml', 'docker-harden-scan-3.yml']);
    const included = workflows.map((w) => (parseYaml(w.text) as Matrix).jobs.scan.strategy.matrix.include);
    expect(included.map((x) => x.length)).toEqual([MATRIX_LIMIT, MATRIX_LIMIT, 3]);
    expect(included.flat().map((e) => `/r/${e.dockerfile}`)).toEqual(files);
    expect((parseYaml(workflows[1]!.text) as Matrix).name).toBe('Container image scan (part 2 of 3)');
  });

  it('paths reach the build through the environment: a path that looks like shell or YAML stays data', () => {
    const odd = ['/r/$(id)/Dockerfile', "/r/it's: here/Dockerfile", '/r/#x/Dockerfile', '/r/a;b`c`/Dockerfile'];
    const wf = parseYaml(matrixWorkflows('/r', odd)[0]!.text) as Matrix;
    expect(wf.jobs.scan.strategy.matrix.include.map((e) => e.dockerfile)).toEqual(odd.map((f) => f.slice(3)));
    const build = wf.jobs.scan.steps.find((x) => x.run?.startsWith('docker build'))!;
    expect(build.run).toBe('docker build --file "$DOCKERFILE" --tag docker-harden-scan:${{ github.sha }} "$CONTEXT"');
    expect(build.env).toEqual({ DOCKERFILE: '${{ matrix.dockerfile }}', CONTEXT: '${{ matrix.context }}' });
  });

  it('GitLab: the two jobs build, save and scan every Dockerfile', () => {
    const ci = parseYaml(gitlabJobs('/r', ['/r/a/Dockerfile', '/r/b c/Dockerfile'], '')) as Record<string, { script: string[]; artifacts?: { paths: string[] } }>;
    expect(ci['docker-harden-build']!.script).toEqual([
      'docker build --file a/Dockerfile --tag docker-harden-scan-1:$CI_COMMIT_SHORT_SHA a',
      'docker save --output docker-harden-scan-1.tar docker-harden-scan-1:$CI_COMMIT_SHORT_SHA',
      "docker build --file 'b c/Dockerfile' --tag docker-harden-scan-2:$CI_COMMIT_SHORT_SHA 'b c'",
      'docker save --output docker-harden-scan-2.tar docker-harden-scan-2:$CI_COMMIT_SHORT_SHA',
    ]);
    expect(ci['docker-harden-build']!.artifacts!.paths).toEqual(['docker-harden-scan-1.tar', 'docker-harden-scan-2.tar']);
    expect(ci['docker-harden-scan']!.script.map((line) => line.split(' ')[3])).toEqual(['docker-harden-scan-1.tar', 'docker-harden-scan-2.tar']);
  });
});

describe('dependency-scanning: running a scanner on a yes shows its parsed result', () => {
  async function apply(proposal: Proposal) {
    const store = new ProfileStore(path.join(tmp, `state${++n}`));
    const profile = emptyProfile();
    const outcome = await applyProposal(step, dockerfileTarget('/x/Dockerfile'), proposal, { store, profile });
    return { outcome, profile };
  }

  it('trivy on the base image: counts by severity and the worst findings, nothing recorded to undo', async () => {
    const c = fileCases.find((x) => x.name.startsWith('an installed trivy'))!;
    const { dir, ctx } = await setUp(c);
    const run = await runStep(step, ctx);
    const scan = run.proposals.find((p) => p.id === 'scan-trivy')!;
    expect(scan.commands[0]!.argv).toEqual([path.join(dir, 'bin', 'trivy'), 'image', '--format', 'json', '--quiet', '--scanners', 'vuln', '--', 'debian:12-slim']);
    expect(scan.commands[0]!.parse).toBe('trivy-json');
    const { outcome, profile } = await apply(scan);
    expect(outcome.status).toBe('applied');
    expect(outcome.scans?.[0]?.counts).toEqual({ critical: 2, high: 2, medium: 1, low: 1, unknown: 0 });
    expect(outcome.message).toContain('6 vulnerabilities (2 critical, 2 high, 1 medium, 1 low)');
    expect(outcome.message).toContain('CVE-2024-45491');
    expect(profile.applied).toEqual([]);
  });

  it('an image name from the Dockerfile that looks like an option never reaches the scanner as one', async () => {
    const dir = await tree({ Dockerfile: 'FROM -o/tmp/dh-owned\nRUN true\n' });
    const log = path.join(dir, 'argv.log');
    const trivy = path.join(dir, 'bin', 'trivy');
    // A scanner that records its arguments, one a line, and prints a valid empty report.
    await fs.writeFile(trivy, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> '${log}'; done\ncat '${path.join(fixtures, 'trivy-image.json')}'\n`, { mode: 0o755 });
    const ctx = contextFor(dockerfileTarget(path.join(dir, 'Dockerfile')), { probe: systemProbe({ PATH: path.join(dir, 'bin') }) });
    const run = await runStep(step, ctx);
    const scan = run.proposals.find((p) => p.id === 'scan-trivy')!;
    for (const argv of scan.commands.map((c) => c.argv)) {
      const end = argv.indexOf('--');
      const options = end < 0 ? argv : argv.slice(0, end);
      expect(options.filter((a) => a.startsWith('-o') || a.includes('dh-owned'))).toEqual([]);
    }
    await apply(scan);
    const seen = (await fs.readFile(log, 'utf8')).split('\n');
    const end = seen.indexOf('--');
    expect(end).toBeGreaterThan(0);
    expect(seen.slice(0, end).some((a) => a.includes('dh-owned'))).toBe(false);
  });

  it('npm audit exits 1 when it finds something: still a readable result', async () => {
    const c = fileCases.find((x) => x.name.startsWith('a Node project'))!;
    const { dir, ctx } = await setUp(c);
    const run = await runStep(step, ctx);
    const audit = run.proposals.find((p) => p.id === 'npm-audit')!;
    expect(audit.commands[0]!.argv).toEqual([path.join(dir, 'bin', 'npm'), 'audit', '--json', '--prefix', dir]);
    const { outcome } = await apply(audit);
    expect(outcome.status).toBe('applied');
    expect(outcome.scans?.[0]?.counts.critical).toBe(2);
    expect(outcome.message).toContain('npm audit: 3 vulnerabilities (2 critical, 1 medium)');
  });

  it('a scanner that fails without a report is a failed outcome that says why', async () => {
    const dir = await tree({});
    const broken = path.join(dir, 'bin', 'trivy');
    await fs.writeFile(broken, '#!/bin/sh\necho "FATAL: failed to download vulnerability DB" >&2\nexit 1\n', { mode: 0o755 });
    const { outcome } = await apply({ kind: 'command', id: 'scan-trivy', title: 'scan', changes: [], commands: [{ title: 't', argv: [broken, 'image', 'x'], run: true, parse: 'trivy-json' }], warnings: [] });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toContain('failed to download vulnerability DB');
  });
});

interface HostCase {
  name: string;
  given: { files?: Record<string, string>; which?: Record<string, string> };
  expect: { status: Status; findings: string[]; proposals: string[]; afterFix?: Status };
}

const hostCases: HostCase[] = [
  { name: 'no scanner, nothing scheduled', given: {}, expect: { status: 'fail', findings: ['no image scanner is installed'], proposals: ['install-trivy'] } },
  {
    name: 'trivy installed but not scheduled',
    given: { which: { trivy: '/usr/bin/trivy', docker: '/usr/bin/docker' }, files: { '/etc/cron.d/': '' } },
    expect: { status: 'warn', findings: ['not scanned on a schedule (trivy installed'], proposals: ['scheduled-scan'], afterFix: 'pass' },
  },
  {
    name: 'a cron job already scans the images',
    given: { which: { grype: '/usr/local/bin/grype' }, files: { '/etc/cron.d/image-scan': '0 3 * * * root for i in $(docker ps --format "{{.Image}}"); do grype "$i"; done\n' } },
    expect: { status: 'pass', findings: [], proposals: [] },
  },
  {
    name: 'a systemd timer unit runs trivy',
    given: { which: { trivy: '/usr/bin/trivy' }, files: { '/etc/systemd/system/trivy-scan.service': '[Service]\nExecStart=/usr/local/bin/scan-images.sh trivy image\n' } },
    expect: { status: 'pass', findings: [], proposals: [] },
  },
];

describe('dependency-scanning: the host', () => {
  it.each(hostCases)('$name', async (c) => {
    const files = { ...(c.given.files ?? {}) };
    const probe = memoryProbe({ files, which: c.given.which });
    const ctx = contextFor(hostTarget, { probe });
    const run = await runStep(step, ctx);
    expect(run.result.status).toBe(c.expect.status);
    expect(run.result.findings).toHaveLength(c.expect.findings.length);
    for (const f of c.expect.findings) expect(messages(run.result)).toContain(f);
    expect(run.proposals.map((p) => p.id)).toEqual(c.expect.proposals);
    if (c.expect.afterFix) {
      const change = run.proposals[0]!.changes[0]!;
      expect(change.path).toBe(CRON_FILE);
      expect(change.after).toMatch(/^23 4 \* \* \* root for img in \$\(\/usr\/bin\/docker ps --format '\{\{\.Image\}\}' \| sort -u\); do \/usr\/bin\/trivy image/m);
      files[change.path] = change.after;
      expect((await step.check(ctx)).status).toBe(c.expect.afterFix);
    }
  });

  it('without a scanner, the container form is shown and never run, and never mounts the Docker socket', async () => {
    const run = await runStep(step, contextFor(hostTarget, { probe: memoryProbe() }));
    const install = run.proposals[0]!;
    expect(install.risk).toBe('safe');
    expect(install.commands.every((c) => !c.run)).toBe(true);
    const words = install.commands.flatMap((c) => c.argv);
    expect(words.some((w) => w.includes('docker.sock'))).toBe(false);
    expect(install.commands[0]!.argv).toEqual(['docker', 'image', 'save', '--output', SAVED_IMAGE, 'IMAGE']);
    expect(install.commands[1]!.argv).toContain('--input');
  });

  it('the scanner commands honour --docker-host', async () => {
    const endpoint = 'tcp://10.0.0.5:2376';
    const host = { ...unreachableHost(), endpoint };
    const install = (await runStep(step, contextFor(hostTarget, { probe: memoryProbe(), host }))).proposals[0]!;
    expect(install.commands[0]!.argv.slice(0, 3)).toEqual(['docker', '--host', endpoint]);
    const files = { '/etc/cron.d/': '' };
    const scheduled = (await runStep(step, contextFor(hostTarget, { probe: memoryProbe({ files, which: { trivy: '/usr/bin/trivy', docker: '/usr/bin/docker' } }), host }))).proposals.find((p) => p.id === 'scheduled-scan')!;
    expect(scheduled.changes[0]!.after).toContain(`/usr/bin/docker --host ${endpoint} ps`);
    expect(scheduled.changes[0]!.after).toContain(`/usr/bin/trivy image --docker-host ${endpoint} `);
    expect(imageScanCommand({ name: 'trivy', path: '/usr/bin/trivy' }, 'web:1', endpoint)!.argv).toEqual(['/usr/bin/trivy', 'image', '--docker-host', endpoint, '--format', 'json', '--quiet', '--scanners', 'vuln', '--', 'web:1']);
    expect(imageScanCommand({ name: 'trivy', path: '/usr/bin/trivy' }, 'web:1')!.argv).not.toContain('--docker-host');
  });
});

describe.skipIf(!hasDockerd)('dependency-scanning: the running images of a real dockerd', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startDockerd();
    await buildBusyboxImage(daemon, 'shop/web:1.4');
    await daemon.docker(['run', '-d', '--network', 'none', '--name', 'web', 'shop/web:1.4', 'sleep', '600']);
  });
  afterAll(async () => {
    await daemon?.docker(['rm', '-f', 'web'], { reject: false });
    await daemon?.stop();
  });

  it('offers to scan each running image and shows the parsed result', async () => {
    const dir = await tree({});
    const trivy = await fakeTool(path.join(dir, 'bin'), 'trivy', 'trivy-image.json');
    const probe = systemProbe({ PATH: path.join(dir, 'bin') });
    const host = createHostFacts({ dockerHost: daemon.host, env: {}, probe });
    const ctx = contextFor(hostTarget, { probe, host });
    const run = await runStep(step, ctx);
    expect(run.result.status).toBe('warn');
    expect(run.result.notes?.join('\n')).toContain('running images: shop/web:1.4');
    const scan = run.proposals.find((p) => p.id === 'scan-running-trivy')!;
    // The test daemon is not the default socket: trivy is pointed at it, as --docker-host says.
    expect(scan.commands.map((c) => c.argv)).toEqual([[trivy, 'image', '--docker-host', daemon.host, '--format', 'json', '--quiet', '--scanners', 'vuln', '--', 'shop/web:1.4']]);
    const store = new ProfileStore(path.join(dir, 'state'));
    const outcome = await applyProposal(step, hostTarget, scan, { store, profile: emptyProfile() });
    expect(outcome.status).toBe('applied');
    expect(outcome.scans).toHaveLength(1);
    expect(outcome.message).toContain('6 vulnerabilities (2 critical, 2 high, 1 medium, 1 low)');
    expect(run.proposals.map((p) => p.id)).toEqual(['scan-running-trivy', 'scheduled-scan']);
  });
});
