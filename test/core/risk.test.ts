/**
 * Risk on every proposal: table cases run the real steps and name the risk each proposal must
 * carry; `fix --yes` applies safe fixes only, `--include-review` adds review ones, `--only
 * STEP:PROPOSAL` applies the named one whatever its risk, and advice is never applied by the engine.
 * Findings name the proposal that fixes them (`fixedBy`) only when it is offered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { steps } from '../../steps/index.js';
import { applyProposal, runStep } from '../../src/core/runner.js';
import { ProfileStore } from '../../src/core/profile.js';
import { canApply, type Proposal, type Risk, type Target } from '../../src/core/step.js';
import { contextFor, dockerfileTarget, hostTarget, memoryProbe } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import type { HostFacts } from '../../src/host/facts.js';

interface RiskCase {
  name: string;
  step: string;
  dockerfile?: string;
  host?: () => HostFacts;
  /** proposal id -> risk; every listed proposal must be offered with that risk. */
  risks: Record<string, Risk>;
  /** finding code -> the proposal id it names as its fix. */
  fixedBy?: Record<string, string>;
}

const ROOT_WITH_SUDO = 'FROM debian:12\nRUN sudo apt-get update\nCMD ["sh"]\n';

const CASES: RiskCase[] = [
  { name: 'a user the image already has: USER node alone', step: 'non-root-user', dockerfile: 'FROM node:20\nCMD ["node", "server.js"]\n', risks: { 'set-user': 'review' }, fixedBy: { 'DH-USER-ROOT': 'set-user' } },
  { name: 'a user to create, sudo in RUN', step: 'non-root-user', dockerfile: ROOT_WITH_SUDO, risks: { 'set-user': 'review', 'drop-sudo': 'safe' }, fixedBy: { 'DH-USER-ROOT': 'set-user', 'DH-USER-SUDO': 'drop-sudo' } },
  { name: 'a smaller base lacks tools', step: 'slim-base-image', dockerfile: 'FROM python:3.12\nCMD ["python"]\n', risks: { 'smaller-base': 'review' }, fixedBy: { 'DH-BASE-LARGE': 'smaller-base' } },
  { name: 'ADD of a local file is COPY', step: 'content-trust', dockerfile: 'FROM scratch\nADD notes.txt /notes.txt\n', risks: { 'add-to-copy': 'safe' }, fixedBy: { 'DH-ADD-LOCAL': 'add-to-copy' } },
  { name: 'a build split into stages', step: 'multi-stage-build', dockerfile: 'FROM golang:1.22\nCOPY . .\nRUN go build -o /app .\nCMD ["/app"]\n', risks: { 'split-build': 'review' } },
  {
    name: 'daemon.json: icc cuts traffic; live-restore is a harmless reload; log-level needs a restart',
    step: 'scan-host-config',
    host: () =>
      recordedHost({
        info: { ...ENGINE_29_INFO, LiveRestoreEnabled: false, LoggingDriver: 'json-file' },
        config: { text: '{"icc": true, "log-level": "debug"}' },
      }),
    risks: { icc: 'review', 'live-restore': 'safe', 'log-level': 'review', 'userland-proxy': 'review' },
    fixedBy: { 'CIS-2.2': 'icc', 'CIS-2.15': 'live-restore', 'CIS-2.3': 'log-level' },
  },
];

describe('risk of each proposal, per world', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-risk-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CASES)('$step: $name', async (c) => {
    const step = steps.find((s) => s.meta.id === c.step)!;
    let target: Target = hostTarget;
    if (c.dockerfile !== undefined) {
      const file = path.join(dir, `${c.name.replace(/[^a-z0-9]+/gi, '-')}.Dockerfile`);
      writeFileSync(file, c.dockerfile);
      target = dockerfileTarget(file);
    }
    const run = await runStep(step, contextFor(target, { probe: memoryProbe(), env: {}, ...(c.host ? { host: c.host() } : {}) }));
    const offered = Object.fromEntries(run.proposals.map((p) => [p.id, p.risk]));
    for (const p of run.proposals) expect(['safe', 'review', 'advice'], p.id).toContain(p.risk);
    for (const [id, risk] of Object.entries(c.risks)) expect(offered[id], `${id} in ${JSON.stringify(offered)}`).toBe(risk);
    for (const [code, fix] of Object.entries(c.fixedBy ?? {})) {
      const f = run.result.findings.find((x) => x.code === code);
      expect(f?.fixedBy, `${code} in ${run.result.findings.map((x) => x.code).join(', ')}`).toBe(fix);
    }
    // A finding never names a fix that is not offered.
    for (const f of run.result.findings) if (f.fixedBy) expect(offered[f.fixedBy], f.fixedBy).toBeDefined();
  });

  it('the engine refuses advice, whoever asks, and writes nothing', async () => {
    const file = path.join(dir, 'advice.Dockerfile');
    writeFileSync(file, ROOT_WITH_SUDO);
    const step = steps.find((s) => s.meta.id === 'non-root-user')!;
    const store = new ProfileStore(path.join(dir, 'advice-state'));
    // The types rule out advice with a change; the engine refuses one all the same.
    const advice = { kind: 'advice', id: 'x', title: 'known to break', risk: 'advice', changes: [{ path: file, before: ROOT_WITH_SUDO, after: 'FROM scratch\n' }], commands: [], warnings: [] } as unknown as Proposal;
    const outcome = await applyProposal(step, dockerfileTarget(file), advice, { store, profile: await store.load() });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/advice/);
    expect(readFileSync(file, 'utf8')).toBe(ROOT_WITH_SUDO);
  });
});

describe('fix on the command line: safe by default, review on request', () => {
  let dir: string;
  const env = () => ({ DOCKER_HOST: `unix://${path.join(dir, 'none.sock')}`, HOME: dir });
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-risk-cli-'));
    await ensureBuilt();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function dockerfile(name: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, ROOT_WITH_SUDO);
    return file;
  }

  it('--yes applies the safe fix and says how to apply the review one', async () => {
    const file = dockerfile('a.Dockerfile');
    const r = await runCli(['fix', '--file', file, '--only', 'non-root-user', '--yes', '--no-color', '--state-dir', path.join(dir, 's1')], { env: env() });
    const after = readFileSync(file, 'utf8');
    expect(after).toContain('RUN apt-get update');
    expect(after).not.toMatch(/^USER /m);
    expect(r.stdout).toContain('not applied, risk review');
    expect(r.stdout).toContain('--only non-root-user:set-user');
    expect(r.exitCode).toBe(1);
  });

  it('--include-review applies the review fix too', async () => {
    const file = dockerfile('b.Dockerfile');
    await runCli(['fix', '--file', file, '--only', 'non-root-user', '--yes', '--include-review', '--state-dir', path.join(dir, 's2')], { env: env() });
    const after = readFileSync(file, 'utf8');
    expect(after).toContain('RUN apt-get update');
    expect(after).toMatch(/^USER 10001/m);
  });

  it('naming the proposal applies it whatever its risk, and only it', async () => {
    const file = dockerfile('c.Dockerfile');
    await runCli(['fix', '--file', file, '--only', 'non-root-user:set-user', '--yes', '--state-dir', path.join(dir, 's3')], { env: env() });
    const after = readFileSync(file, 'utf8');
    expect(after).toMatch(/^USER 10001/m);
    expect(after).toContain('sudo apt-get update');
  });

  it('a platform choice is recorded only when named: --yes alone picks none', async () => {
    const file = dockerfile('e.Dockerfile');
    const unnamed = path.join(dir, 's5');
    await runCli(['fix', '--file', file, '--only', 'security-platforms', '--yes', '--state-dir', unnamed], { env: env() });
    expect((await new ProfileStore(unnamed).load()).platform).toBeUndefined();
    const named = path.join(dir, 's6');
    const r = await runCli(['fix', '--file', file, '--only', 'security-platforms:open-tools', '--yes', '--no-color', '--state-dir', named], { env: env() });
    expect(r.stdout).toContain('recorded: ');
    expect((await new ProfileStore(named).load()).platform).toBe('open-tools');
    expect(readFileSync(file, 'utf8')).toBe(ROOT_WITH_SUDO);
  });

  it('check shows each fix with its risk, in text and JSON', async () => {
    const file = dockerfile('d.Dockerfile');
    const text = await runCli(['fix', '--file', file, '--only', 'non-root-user', '--dry-run', '--no-color'], { env: env() });
    expect(text.stdout).toMatch(/fix: Run the final stage as .* \(non-root-user:set-user\) \[review\]/);
    expect(text.stdout).toMatch(/\(non-root-user:drop-sudo\) \[safe\]/);
    const json = await runCli(['check', '--file', file, '--only', 'non-root-user', '--json'], { env: env() });
    const doc = JSON.parse(json.stdout) as { results: { fix: { proposals: { id: string; kind: string; risk: string }[] } }[] };
    expect(doc.results[0]!.fix.proposals.map((p) => [p.id, p.kind, p.risk])).toEqual([
      ['set-user', 'change', 'review'],
      ['drop-sudo', 'change', 'safe'],
    ]);
  });
});

describe('each kind of proposal: what the engine does with it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-kinds-'));
  const file = path.join(dir, 'Dockerfile');
  const marker = path.join(dir, 'ran');
  const step = steps.find((s) => s.meta.id === 'non-root-user')!;
  const change = { path: file, before: 'FROM x\n', after: 'FROM x\nUSER 1\n' };
  const cases: { name: string; proposal: Proposal; applicable: boolean; status: string; file: string; ran: boolean; profile?: string }[] = [
    { name: 'a change is written', proposal: { kind: 'change', id: 'c', title: 'c', risk: 'safe', changes: [change], commands: [], warnings: [] }, applicable: true, status: 'applied', file: change.after, ran: false },
    { name: 'commands the engine runs', proposal: { kind: 'command', id: 'r', title: 'r', risk: 'safe', changes: [], commands: [{ title: 'touch', argv: ['touch', marker], run: true }], warnings: [] }, applicable: true, status: 'applied', file: change.before, ran: true },
    { name: 'commands only shown are not run', proposal: { kind: 'command', id: 's', title: 's', risk: 'safe', changes: [], commands: [{ title: 'touch', argv: ['touch', marker], run: false }], warnings: [] }, applicable: false, status: 'failed', file: change.before, ran: false },
    { name: 'advice is neither written nor run', proposal: { kind: 'advice', id: 'a', title: 'a', risk: 'advice', changes: [], commands: [{ title: 'touch', argv: ['touch', marker], run: true }], warnings: [] }, applicable: false, status: 'failed', file: change.before, ran: false },
    { name: 'a choice is recorded, nothing else', proposal: { kind: 'choice', id: 'p', title: 'p', risk: 'safe', changes: [], commands: [], warnings: [], choice: { key: 'platform', value: 'github' } }, applicable: true, status: 'applied', file: change.before, ran: false, profile: 'github' },
  ];
  it.each(cases)('$name', async (c) => {
    writeFileSync(file, change.before);
    rmSync(marker, { force: true });
    expect(canApply(c.proposal)).toBe(c.applicable);
    const store = new ProfileStore(path.join(dir, `state-${c.proposal.id}`));
    const profile = await store.load();
    const outcome = await applyProposal(step, dockerfileTarget(file), c.proposal, { store, profile, recheck: () => runStep(step, contextFor(dockerfileTarget(file))) });
    expect(outcome.status).toBe(c.status);
    expect(readFileSync(file, 'utf8')).toBe(c.file);
    expect(existsSync(marker)).toBe(c.ran);
    expect((await store.load()).platform).toBe(c.profile);
  });
});
