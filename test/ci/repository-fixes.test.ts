/**
 * Fixes for a whole repository (a CI scan, Dependabot) are proposed once, with the first of its
 * Dockerfiles in the run, and cover all of them: `fix --yes` over many Dockerfiles writes one
 * workflow and one Dependabot configuration, after which none of them is left unscanned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ensureBuilt, runCli } from '../helpers/cli.js';

interface Entry {
  step: string;
  target: string;
  findings: { code: string }[];
  notes?: string[];
  fix?: { proposals: { id: string; changes: { path: string; diff: string }[] }[] };
}

const FILES = ['services/api/Dockerfile', 'services/web/Dockerfile', 'tools/build.Dockerfile'];
const TEXTS = ['FROM node:20\nCMD ["node", "server.js"]\n', 'FROM nginx:1.27\n', 'FROM debian:12\nRUN true\n'];

describe('one CI scan and one Dependabot configuration for the Dockerfiles of a repository', () => {
  let dir: string;
  let repo: string;
  let outside: string;
  let state: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-repo-fixes-'));
    repo = path.join(dir, 'repo');
    // A Dockerfile of another repository in the same run gets its own proposals.
    outside = path.join(dir, 'other', 'Dockerfile');
    state = path.join(dir, 'state');
    mkdirSync(path.join(repo, '.git'), { recursive: true });
    mkdirSync(path.join(dir, 'other', '.git'), { recursive: true });
    FILES.forEach((f, i) => {
      mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      writeFileSync(path.join(repo, f), TEXTS[i]!);
    });
    writeFileSync(outside, 'FROM alpine:3.20\n');
    await ensureBuilt();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const targets = () => [...FILES.map((f) => path.join(repo, f)), outside].flatMap((f) => ['--file', f]);
  const only = ['--only', 'dependency-scanning,content-trust'];
  const proposalIds = (e: Entry | undefined) => (e?.fix?.proposals ?? []).map((p) => p.id);

  it('check proposes each once per repository, with its first Dockerfile, and says so on the others', async () => {
    const r = await runCli(['check', '--json', ...only, ...targets()], { env: { DOCKER_HARDEN_STATE_DIR: state } });
    expect(r.exitCode, r.stderr).toBe(1);
    const results = (JSON.parse(r.stdout) as { results: Entry[] }).results;
    const entry = (step: string, file: string) => results.find((e) => e.step === step && e.target === file);
    const [first, ...others] = FILES.map((f) => path.join(repo, f));
    expect(proposalIds(entry('dependency-scanning', first!))).toContain('ci-github');
    const scan = entry('dependency-scanning', first!)!.fix!.proposals.find((p) => p.id === 'ci-github')!;
    expect(scan.changes.map((c) => c.path)).toEqual([path.join(repo, '.github/workflows/docker-harden-scan.yml')]);
    expect(proposalIds(entry('content-trust', first!))).toContain('dependabot');
    for (const file of others) {
      const scanning = entry('dependency-scanning', file)!;
      // Still a finding: nothing scans the image yet.
      expect(scanning.findings.map((f) => f.code)).toEqual(['DH-SCAN-CI-MISSING']);
      expect(proposalIds(scanning)).not.toContain('ci-github');
      expect(scanning.notes!.join('\n')).toContain('one CI scan is proposed with services/api/Dockerfile for the 3 Dockerfiles');
      expect(proposalIds(entry('content-trust', file))).not.toContain('dependabot');
    }
    // The other repository's Dockerfile is the first (and only) of its own.
    expect(proposalIds(entry('dependency-scanning', outside))).toContain('ci-github');
    expect(proposalIds(entry('content-trust', outside))).toContain('dependabot');
  });

  it('fix --yes writes one matrix workflow and one Dependabot file for all of them; check then finds them scanned', async () => {
    const r = await runCli(['fix', '--yes', ...only, ...targets()], { env: { DOCKER_HARDEN_STATE_DIR: state } });
    expect(r.stderr).toBe('');
    expect(readdirSync(path.join(repo, '.github', 'workflows'))).toEqual(['docker-harden-scan.yml']);
    const workflow = parseYaml(readFileSync(path.join(repo, '.github/workflows/docker-harden-scan.yml'), 'utf8')) as {
      jobs: { scan: { strategy: { matrix: { include: { dockerfile: string; context: string }[] } } } };
    };
    expect(workflow.jobs.scan.strategy.matrix.include).toEqual([
      { dockerfile: 'services/api/Dockerfile', context: 'services/api' },
      { dockerfile: 'services/web/Dockerfile', context: 'services/web' },
      { dockerfile: 'tools/build.Dockerfile', context: 'tools' },
    ]);
    const bot = parseYaml(readFileSync(path.join(repo, '.github/dependabot.yml'), 'utf8')) as { updates: { 'package-ecosystem': string; directories: string[] }[] };
    expect(bot.updates).toHaveLength(1);
    expect(bot.updates[0]!.directories).toEqual(['/services/api', '/services/web', '/tools']);
    // The other repository got its own single-Dockerfile workflow.
    expect(existsSync(path.join(path.dirname(outside), '.github/workflows/docker-harden-scan.yml'))).toBe(true);

    const after = await runCli(['check', '--json', '--only', 'dependency-scanning', ...targets()], { env: { DOCKER_HARDEN_STATE_DIR: state } });
    const results = (JSON.parse(after.stdout) as { results: Entry[] }).results;
    expect(results).toHaveLength(4);
    for (const e of results) expect(e.findings.map((f) => f.code)).not.toContain('DH-SCAN-CI-MISSING');
  });

  it('a Dockerfile added later is not counted as scanned: the next fix adds a workflow for it alone', async () => {
    const added = path.join(repo, 'services', 'jobs', 'Dockerfile');
    mkdirSync(path.dirname(added), { recursive: true });
    writeFileSync(added, 'FROM python:3.12\n');
    const files = [...targets(), '--file', added];
    const r = await runCli(['check', '--json', '--only', 'dependency-scanning', ...files], { env: { DOCKER_HARDEN_STATE_DIR: state } });
    const results = (JSON.parse(r.stdout) as { results: Entry[] }).results;
    expect(results.filter((e) => e.findings.length > 0).map((e) => e.target)).toEqual([added]);
    expect(JSON.stringify(results.find((e) => e.target === added))).toContain("docker-harden's scan workflow (.github/workflows/docker-harden-scan.yml) does not build it");
    await runCli(['fix', '--yes', '--only', 'dependency-scanning', ...files], { env: { DOCKER_HARDEN_STATE_DIR: state } });
    expect(readdirSync(path.join(repo, '.github', 'workflows')).sort()).toEqual(['docker-harden-scan-2.yml', 'docker-harden-scan.yml']);
    const again = await runCli(['check', '--json', '--only', 'dependency-scanning', ...files], { env: { DOCKER_HARDEN_STATE_DIR: state } });
    expect(again.exitCode, again.stdout).toBe(0);
  });
});

describe("one signature check for the base images of a repository's Dockerfiles", () => {
  let dir: string;
  let state: string;
  const FILES: Record<string, string> = {
    'api/Dockerfile': 'FROM ghcr.io/acme/base:1\nCMD ["api"]\n',
    'web/Dockerfile': 'FROM nginx:1.27\n',
    'jobs/Dockerfile': 'FROM cgr.dev/chainguard/python:3.12\nCOPY --from=quay.io/acme/tools:2 /t /t\n',
  };
  const WORKFLOW = () => path.join(dir, '.github/workflows/docker-harden-verify.yml');
  const verified = () => {
    const wf = parseYaml(readFileSync(WORKFLOW(), 'utf8')) as { env: Record<string, string>; jobs: { verify: { steps: { run?: string }[] } } };
    const run = wf.jobs.verify.steps.find((s) => s.run)!.run!;
    return { env: wf.env, images: [...run.matchAll(/^cosign verify .* '([^']+)'$/gm)].map((m) => m[1]) };
  };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-repo-verify-'));
    state = mkdtempSync(path.join(os.tmpdir(), 'dh-repo-verify-state-'));
    mkdirSync(path.join(dir, '.git'));
    for (const [f, text] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
    await ensureBuilt();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  });
  const files = () => Object.keys(FILES).flatMap((f) => ['--file', path.join(dir, f)]);
  const cli = (args: string[]) => runCli(args, { env: { DOCKER_HARDEN_STATE_DIR: state } });
  const unverified = async () => {
    const r = await cli(['check', '--json', '--only', 'content-trust', ...files()]);
    return (JSON.parse(r.stdout) as { results: Entry[] }).results.filter((e) => e.findings.some((f) => f.code === 'DH-CI-NO-VERIFY'));
  };

  it('check proposes it once, with the first Dockerfile that needs it, for the images of all of them', async () => {
    const r = await cli(['check', '--json', '--only', 'content-trust', ...files()]);
    const results = (JSON.parse(r.stdout) as { results: Entry[] }).results;
    const verify = results.flatMap((e) => (e.fix?.proposals ?? []).filter((p) => p.id === 'ci-verify').map((p) => ({ target: e.target, p })));
    expect(verify.map((v) => v.target)).toEqual([path.join(dir, 'api/Dockerfile')]);
    const diff = verify[0]!.p.changes[0]!.diff;
    for (const image of ['ghcr.io/acme/base:1', 'cgr.dev/chainguard/python:3.12', 'quay.io/acme/tools:2']) expect(diff).toContain(`'${image}'`);
    expect(diff).not.toContain('nginx');
    // The last one still needs it; it is covered by the one proposal, and says so.
    const needing = await unverified();
    expect(needing.map((e) => e.target)).toEqual([path.join(dir, 'api/Dockerfile'), path.join(dir, 'jobs/Dockerfile')]);
    expect(needing[1]!.notes!.join('\n')).toContain("one signature check is proposed with api/Dockerfile for the images of this repository's Dockerfiles checked here");
    expect((needing[0]!.notes ?? []).join('\n')).not.toContain('one signature check is proposed with');
  });

  it('fix --yes leaves it (it needs a review); named, it is written, and then every Dockerfile is verified', async () => {
    await cli(['fix', '--yes', '--only', 'content-trust', ...files()]);
    expect(existsSync(WORKFLOW())).toBe(false);
    const r = await cli(['fix', '--yes', '--only', 'content-trust:ci-verify', ...files()]);
    expect(r.stderr).toBe('');
    expect(verified().images).toEqual(['ghcr.io/acme/base:1', 'cgr.dev/chainguard/python:3.12', 'quay.io/acme/tools:2']);
    expect(await unverified()).toEqual([]);
  });

  it('a Dockerfile added later: its image is named as not verified, and the fix adds it, keeping the signer filled in', async () => {
    writeFileSync(WORKFLOW(), readFileSync(WORKFLOW(), 'utf8').replace('COSIGN_CERTIFICATE_IDENTITY_REGEXP: ""', 'COSIGN_CERTIFICATE_IDENTITY_REGEXP: ^https://github.com/acme/'));
    FILES['worker/Dockerfile'] = 'FROM ghcr.io/acme/worker:3\n';
    mkdirSync(path.join(dir, 'worker'));
    writeFileSync(path.join(dir, 'worker/Dockerfile'), FILES['worker/Dockerfile']);
    const missing = await unverified();
    expect(missing.map((e) => e.target)).toEqual([path.join(dir, 'worker/Dockerfile')]);
    expect(JSON.stringify(missing[0])).toContain("docker-harden's signature check (.github/workflows/docker-harden-verify.yml) does not verify `ghcr.io/acme/worker:3`");
    await cli(['fix', '--yes', '--only', 'content-trust:ci-verify', ...files()]);
    expect(verified()).toEqual({
      env: { COSIGN_CERTIFICATE_IDENTITY_REGEXP: '^https://github.com/acme/', COSIGN_CERTIFICATE_OIDC_ISSUER: 'https://token.actions.githubusercontent.com' },
      images: ['ghcr.io/acme/base:1', 'cgr.dev/chainguard/python:3.12', 'quay.io/acme/tools:2', 'ghcr.io/acme/worker:3'],
    });
    expect(await unverified()).toEqual([]);
  });
});
