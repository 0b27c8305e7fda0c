import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { render } from 'ink-testing-library';
import { parseArgs } from '../../src/args.js';
import type { AppIo } from '../../src/app/batch.js';
import { steps } from '../../steps/index.js';
import { planRun, isInCi, startInteractive } from '../../src/app/wizard.js';
import { undoCommandFor } from '../../src/app/batch.js';
import { Offer, offerAnswer } from '../../src/ui/offer.js';
import { Walk, recordDecision, decisionFor, isSettledDecision } from '../../src/core/walk.js';
import { emptyProfile, ProfileStore } from '../../src/core/profile.js';
import { hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { contextFor, dockerfileTarget } from '../helpers/world.js';
import { addUserStep } from './test-steps.js';
import { sleep } from './support.js';

function io(env: Record<string, string | undefined> = {}): AppIo {
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  return { stdout: sink, stderr: sink, stdinIsTTY: true, env, version: 'test', registry: steps };
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dh-start-'));
const NO_DAEMON = 'unix:///nonexistent/docker-harden-test.sock';

describe('what the wizard walks (planRun)', () => {
  it('--file: those files with the dockerfile profile', async () => {
    const dir = tmp();
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM scratch\n');
    const plan = await planRun(parseArgs(['--file', file, '--state-dir', dir]), io(), { cwd: dir, isRoot: false });
    expect(plan).toMatchObject({ kind: 'walk', profile: 'dockerfile', learn: false, options: { files: [file], profile: 'dockerfile', stateDir: dir } });
  });

  it('--host: the server profile; --host with a file and no --profile: every step that fits', async () => {
    expect(await planRun(parseArgs(['--host']), io(), { isRoot: true })).toMatchObject({ kind: 'walk', profile: 'server', options: { host: true, profile: 'server' } });
    const both = await planRun(parseArgs(['--host', '--file', 'Dockerfile']), io(), { isRoot: true });
    expect(both).toMatchObject({ kind: 'walk', profile: 'all' });
    expect(both.kind === 'walk' && both.options.profile).toBeUndefined();
  });

  it('--compose with its base and its override: the override is read with the base, said on stderr', async () => {
    const dir = tmp();
    for (const name of ['compose.yaml', 'compose.override.yaml']) writeFileSync(path.join(dir, name), 'services:\n  web:\n    image: nginx:1.27\n');
    let said = '';
    const withStderr = { ...io(), stderr: { write: (t: string) => ((said += t), true) } as unknown as NodeJS.WritableStream };
    const plan = await planRun(parseArgs(['--compose', path.join(dir, 'compose.yaml'), '--compose', path.join(dir, 'compose.override.yaml')]), withStderr, { cwd: dir, isRoot: false });
    expect(plan).toMatchObject({ kind: 'walk', options: { composeFiles: [path.join(dir, 'compose.yaml')] } });
    expect(said).toContain('compose.override.yaml is read with');
  });

  it('--profile wins over the guess', async () => {
    expect(await planRun(parseArgs(['--file', 'Dockerfile', '--profile', 'server']), io())).toMatchObject({ profile: 'server', options: { profile: 'server' } });
  });

  it('no targets, Dockerfiles and compose.yaml in the folder: those, the override read with its base, with the dockerfile profile', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(dir, 'Dockerfile.dev'), 'FROM scratch\n');
    writeFileSync(path.join(dir, 'compose.yaml'), 'services: {}\n');
    writeFileSync(path.join(dir, 'compose.override.yaml'), 'services: {}\n');
    const plan = await planRun(parseArgs([]), io(), { cwd: dir, isRoot: true });
    expect(plan).toMatchObject({
      kind: 'walk',
      profile: 'dockerfile',
      options: { files: [path.join(dir, 'Dockerfile'), path.join(dir, 'Dockerfile.dev')], composeFiles: [path.join(dir, 'compose.yaml')], profile: 'dockerfile' },
    });
  });

  it('nothing in the folder and not root: offers the learn sandbox, saying why; the wizard does not look below, even in a repository', async () => {
    const dir = tmp();
    mkdirSync(path.join(dir, '.git'));
    mkdirSync(path.join(dir, 'api'));
    writeFileSync(path.join(dir, 'api', 'Dockerfile'), 'FROM scratch\n');
    const plan = await planRun(parseArgs([]), io(), { cwd: dir, isRoot: false });
    expect(plan.kind).toBe('offer-learn');
    expect(plan.kind === 'offer-learn' && plan.question).toBe(
      `Nothing to harden here: no Dockerfile or compose file in ${dir} and not running as root, which the host steps need. Walk the learn sandbox?`,
    );
  });

  it('nothing in the folder, root, but no daemon answers: offers the learn sandbox', async () => {
    const dir = tmp();
    const plan = await planRun(parseArgs(['--docker-host', NO_DAEMON]), io(), { cwd: dir, isRoot: true });
    expect(plan.kind === 'offer-learn' && plan.question).toMatch(/no Dockerfile or compose file in .* and no Docker daemon answers\. Walk the learn sandbox\?$/);
  });

  it('learn: a sandbox with its own state directory and the learn profile', async () => {
    const sandbox = path.join(tmp(), 'sandbox');
    const plan = await planRun(parseArgs(['learn', '--sandbox', sandbox]), io(), {});
    expect(plan).toMatchObject({ kind: 'walk', profile: 'learn', learn: true });
    if (plan.kind !== 'walk') return;
    expect(plan.sandbox).toBe(sandbox);
    expect(plan.options.learn).toBe(true);
    expect(plan.options.stateDir!.startsWith(sandbox)).toBe(true);
    expect(existsSync(path.join(sandbox, 'Dockerfile'))).toBe(true);
    expect(undoCommandFor(plan.options)).toBe(`docker-harden undo --state-dir ${plan.options.stateDir}`);
  });

  describe.skipIf(!hasDockerd)('with a Docker daemon that answers', () => {
    let daemon: TestDaemon;
    beforeAll(async () => {
      daemon = await startDockerd();
    });
    afterAll(async () => {
      await daemon?.stop();
    });

    it('nothing in the folder, root: this host, with the server profile', async () => {
      const plan = await planRun(parseArgs(['--docker-host', daemon.host]), io(), { cwd: tmp(), isRoot: true });
      expect(plan).toMatchObject({ kind: 'walk', profile: 'server', options: { host: true, profile: 'server', dockerHost: daemon.host } });
    });
  });
});

describe('start-up checks', () => {
  it('CI set (and not 0 or false) means no questions', () => {
    expect(isInCi({ CI: 'true' })).toBe(true);
    expect(isInCi({ CONTINUOUS_INTEGRATION: '1' })).toBe(true);
    expect(isInCi({ CI: '0' })).toBe(false);
    expect(isInCi({ CI: 'false' })).toBe(false);
    expect(isInCi({})).toBe(false);
  });

  it('startInteractive refuses in CI before touching anything', async () => {
    const dir = tmp();
    await expect(startInteractive(parseArgs(['--file', 'x', '--state-dir', path.join(dir, 's')]), io({ CI: 'true' }))).rejects.toThrow(/CI is set/);
    expect(existsSync(path.join(dir, 's'))).toBe(false);
  });

  it('a corrupt profile: the error names the file, the profile is left as it was, and the lock is released', async () => {
    const dir = tmp();
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM debian:12\n');
    const stateDir = path.join(dir, 'state');
    mkdirSync(stateDir);
    writeFileSync(path.join(stateDir, 'profile.json'), '{"schema": 1,');
    const saved = process.env.FORCE_COLOR;
    try {
      await expect(startInteractive(parseArgs(['--file', file, '--state-dir', stateDir]), io())).rejects.toThrow(/not valid JSON; it was left untouched/);
    } finally {
      if (saved === undefined) delete process.env.FORCE_COLOR;
      else process.env.FORCE_COLOR = saved;
    }
    expect(readFileSync(path.join(stateDir, 'profile.json'), 'utf8')).toBe('{"schema": 1,');
    expect(existsSync(path.join(stateDir, 'lock'))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('FROM debian:12\n');
  });

  it('the undo command names the state directory when one was given', () => {
    expect(undoCommandFor({})).toBe('docker-harden undo');
    expect(undoCommandFor({ stateDir: '/tmp/a b' })).toBe(`docker-harden undo --state-dir '/tmp/a b'`);
  });
});

describe('the learn offer', () => {
  it('y, Y and Enter say yes; n, N, Esc, q and Ctrl+C say no; a digit is no answer', () => {
    for (const k of ['y', 'Y']) expect(offerAnswer(k, {})).toBe(true);
    expect(offerAnswer('', { return: true })).toBe(true);
    for (const k of ['n', 'N', 'q']) expect(offerAnswer(k, {})).toBe(false);
    expect(offerAnswer('', { escape: true })).toBe(false);
    expect(offerAnswer('c', { ctrl: true })).toBe(false);
    for (const k of ['1', '0', ' ', 'x']) expect(offerAnswer(k, {})).toBeUndefined();
  });

  it('renders the question and takes the first answer', async () => {
    const answers: boolean[] = [];
    const r = render(<Offer question="Nothing to harden here. Walk the learn sandbox?" color={false} onAnswer={(a) => answers.push(a)} />);
    await vi.waitFor(() => expect(r.lastFrame()).toContain('Nothing to harden here. Walk the learn sandbox? [Y/n]'));
    r.stdin.write('5');
    await sleep(100);
    expect(answers).toEqual([]);
    r.stdin.write('n');
    await vi.waitFor(() => expect(answers).toEqual([false]));
    r.stdin.write('y');
    await sleep(100);
    expect(answers).toEqual([false]);
    r.unmount();
  });

  it('Ctrl+C is a no that says it was an interruption (the run exits 130); n is a plain no', async () => {
    for (const [k, interrupted] of [['\u0003', true], ['n', false]] as const) {
      const answers: [boolean, boolean][] = [];
      const r = render(<Offer question="Walk the learn sandbox?" color={false} onAnswer={(a, i) => answers.push([a, i])} />);
      await vi.waitFor(() => expect(r.lastFrame()).toContain('[Y/n]'));
      r.stdin.write(k);
      await vi.waitFor(() => expect(answers).toEqual([[false, interrupted]]));
      r.unmount();
    }
  });
});

describe('the walk controller', () => {
  it('recordDecision files the decision under the target and replaces an earlier one', () => {
    const profile = emptyProfile();
    const target = dockerfileTarget('/tmp/x/Dockerfile');
    recordDecision(profile, target, 'non-root-user', { status: 'later' }, new Date('2025-01-01T00:00:00Z'));
    const d = recordDecision(profile, target, 'non-root-user', { status: 'skipped', reason: 'r' }, new Date('2025-01-02T00:00:00Z'));
    expect(profile.targets['dockerfile:/tmp/x/Dockerfile']).toEqual({ 'non-root-user': { status: 'skipped', reason: 'r', at: '2025-01-02T00:00:00.000Z' } });
    expect(decisionFor(profile, target, 'non-root-user')).toEqual(d);
    expect(isSettledDecision(d)).toBe(true);
    expect(isSettledDecision({ status: 'later', at: '' })).toBe(false);
    expect(isSettledDecision({ status: 'failed', at: '' })).toBe(false);
    expect(isSettledDecision(undefined)).toBe(false);
  });

  it('apply writes through the runner, checks again, records done with the applied change, and saves', async () => {
    const dir = tmp();
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM debian:12\n');
    const store = new ProfileStore(path.join(dir, 'state'));
    const target = dockerfileTarget(file);
    const walk = new Walk({ items: [{ step: addUserStep, target, ctx: contextFor(target) }], store, profile: await store.load() });
    const run = await walk.check(0);
    expect(run.result.status).toBe('fail');
    const lines: string[] = [];
    const outcome = await walk.apply(0, run.proposals[0]!, (l) => lines.push(l));
    expect(outcome.status).toBe('applied');
    expect(outcome.run.result.status).toBe('pass');
    expect(outcome.decision).toMatchObject({ status: 'done', proposal: 'add-user', applied: [outcome.record!.id] });
    expect(lines).toEqual([`wrote ${file}`]);
    expect(walk.appliedThisRun).toHaveLength(1);
    const saved = await store.load();
    expect(saved.targets[`dockerfile:${file}`]!['non-root-user']!.status).toBe('done');
    expect(saved.applied).toHaveLength(1);
    // A second walk over the same state sees the change as applied earlier.
    const later = new Walk({ items: [{ step: addUserStep, target, ctx: contextFor(target) }], store, profile: saved });
    expect(later.appliedEarlier()).toHaveLength(1);
  });
});
