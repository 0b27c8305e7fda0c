/**
 * The wizard end to end, in a real pseudo-terminal: the built CLI spawned with node-pty on a temp
 * Dockerfile and a temp state directory, driven by keys as a person would.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { spawnCli, sleep, KEY, type PtyRun } from './pty.js';

const STEPS = 'non-root-user,slim-base-image,multi-stage-build';
const NO_DAEMON = 'unix:///nonexistent/docker-harden-test.sock';
// Fails all three: root, a full node image, and a build whose tools ship in the image.
const DOCKERFILE = 'FROM node:20\nWORKDIR /app\nCOPY package.json .\nRUN npm install\nCOPY . .\nRUN npm run build\nCMD ["node","dist/index.js"]\n';

function workspace(text = DOCKERFILE) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-pty-'));
  const dockerfile = path.join(dir, 'Dockerfile');
  writeFileSync(dockerfile, text);
  const stateDir = path.join(dir, 'state');
  return { dir, dockerfile, stateDir, read: () => readFileSync(dockerfile, 'utf8') };
}

function profileOf(stateDir: string) {
  return JSON.parse(readFileSync(path.join(stateDir, 'profile.json'), 'utf8')) as {
    targets: Record<string, Record<string, { status: string; reason?: string; applied?: string[] }>>;
    applied: { step: string; files: { path: string }[] }[];
  };
}

async function finish(run: PtyRun): Promise<number> {
  const code = await Promise.race([run.exited, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
  run.kill();
  return code;
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('wizard in a real terminal', () => {
  it('applies a change, skips one with a reason, quits; the next run resumes at the next undecided step', async () => {
    const ws = workspace();
    const args = ['--file', 'Dockerfile', '--only', STEPS, '--state-dir', ws.stateDir];

    const first = spawnCli(args, { cwd: ws.dir });
    try {
      const screen = await first.waitFor('❯ Apply');
      expect(screen).toMatch(/checking \d\/3/);
      expect(screen).toContain('4. Run as a non-root user');
      expect(screen).toMatch(/Dockerfile:1 the final stage \(FROM node:20\) sets no USER/);
      expect(screen).toMatch(/\+USER node/);
      await first.press('1', 'a');
      await first.waitFor('Apply this change?');
      await first.press('7', 'y');
      const next = await first.waitFor('❯ Apply');
      expect(next).toContain('Run as a non-root user: applied; the check now passes');
      expect(next).toContain('6. Use a small base image');
      await first.press('s');
      await first.waitFor('Why?');
      await first.type('node:20 is mandated by the platform team');
      await first.press(KEY.enter);
      const third = await first.waitFor('❯ Apply');
      expect(third).toContain('skipped (node:20 is mandated by the platform team)');
      expect(third).toContain('7. Build in one stage, ship from another');
      await first.press('q');
      const summary = await first.waitFor(/Progress is saved\.[^\n]*/);
      expect(summary).toContain('slim-base-image: node:20 is mandated by the platform team');
      expect(summary).toMatch(/To undo, newest first: docker-harden undo --state-dir \S+/);
      expect(summary).toContain('continue at check 3/3, multi-stage-build');
      expect(await finish(first)).toBe(0);
    } finally {
      first.kill();
    }

    const after = ws.read();
    expect(after).toMatch(/^USER node$/m);
    expect(after.startsWith('FROM node:20\n')).toBe(true);
    const profile = profileOf(ws.stateDir);
    const decisions = Object.values(profile.targets)[0]!;
    expect(decisions['non-root-user']).toMatchObject({ status: 'done' });
    expect(decisions['slim-base-image']).toMatchObject({ status: 'skipped', reason: 'node:20 is mandated by the platform team' });
    expect(decisions['multi-stage-build']).toBeUndefined();
    expect(profile.applied).toHaveLength(1);
    expect(readdirSync(path.join(ws.stateDir, 'backups'))).toHaveLength(1);
    expect(readdirSync(ws.stateDir)).not.toContain('lock');

    const second = spawnCli(args, { cwd: ws.dir });
    try {
      const resumed = await second.waitFor('❯ Apply');
      expect(resumed.replace(/\s+/g, ' ')).toContain('Resuming at check 3/3, multi-stage-build: the first step that is neither done nor skipped.');
      expect(resumed).toContain('7. Build in one stage, ship from another');
      await second.press('l');
      const end = await second.waitFor(/Enter or q exit/);
      expect(end).toMatch(/4\. non-root-user\s+done/);
      await second.press(KEY.enter);
      await second.waitFor('Progress is saved.');
      expect(await finish(second)).toBe(0);
    } finally {
      second.kill();
    }
    expect(Object.values(profileOf(ws.stateDir).targets)[0]!['multi-stage-build']).toMatchObject({ status: 'later' });
    expect(ws.read()).toBe(after);
  }, 180_000);

  it('decline: saying no at the confirm screen leaves the file byte for byte as it was', async () => {
    const ws = workspace();
    const run = spawnCli(['--file', ws.dockerfile, '--only', 'non-root-user', '--state-dir', ws.stateDir], { cwd: ws.dir });
    try {
      await run.waitFor('❯ Apply');
      await run.press(KEY.enter);
      await run.waitFor('Apply this change?');
      await run.press('2', ' ', 'n');
      await run.waitFor('Not applied: nothing was changed.');
      await run.press(KEY.enter);
      await run.waitFor('Apply this change?');
      await run.press(KEY.enter);
      await run.waitFor('Not applied: nothing was changed.');
      await run.press('a');
      await run.waitFor('Apply this change?');
      await run.press(KEY.esc);
      await run.waitFor('Not applied: nothing was changed.');
      await run.press('s');
      await run.waitFor('Why?');
      await run.type('maybe');
      await run.press(KEY.esc);
      await run.waitFor('❯ Apply');
      await run.press('q');
      await run.waitFor('Nothing was applied in this run.');
      expect(await finish(run)).toBe(0);
    } finally {
      run.kill();
    }
    expect(ws.read()).toBe(DOCKERFILE);
    expect(readdirSync(ws.stateDir)).not.toContain('backups');
  });

  it('colours the diff in a terminal, and prints no colour with NO_COLOR or --no-color', async () => {
    const sgrColour = /\u001b\[(3[0-7]|9[0-7])m/;
    const cases: { env?: Record<string, string>; flag?: string; coloured: boolean }[] = [
      { coloured: true },
      { env: { NO_COLOR: '1' }, coloured: false },
      { flag: '--no-color', coloured: false },
    ];
    for (const c of cases) {
      const ws = workspace();
      const run = spawnCli(['--file', ws.dockerfile, '--only', 'non-root-user', '--state-dir', ws.stateDir, ...(c.flag ? [c.flag] : [])], { cwd: ws.dir, env: c.env });
      try {
        await run.waitFor('❯ Apply');
        if (c.coloured) expect(run.raw()).toMatch(/\u001b\[32m\+USER node/);
        else expect(run.raw()).not.toMatch(sgrColour);
        await run.press('q');
        expect(await finish(run)).toBe(0);
      } finally {
        run.kill();
      }
    }
  }, 120_000);

  it('a second run on the same state directory says another run holds it, exit 2', async () => {
    const ws = workspace();
    const args = ['--file', ws.dockerfile, '--only', 'non-root-user', '--state-dir', ws.stateDir];
    const first = spawnCli(args, { cwd: ws.dir });
    let second: PtyRun | undefined;
    try {
      await first.waitFor('❯ Apply');
      second = spawnCli(args, { cwd: ws.dir });
      expect(await finish(second)).toBe(2);
      expect(second.text()).toMatch(/another docker-harden run \(pid \d+\) is using this state directory/);
      await first.press('q');
      expect(await finish(first)).toBe(0);
    } finally {
      first.kill();
      second?.kill();
    }
  });

  it('honours the repository\'s .docker-harden.yaml as check does: a skipped step and an ignored finding are not walked; a malformed file is exit 2', async () => {
    const ws = workspace();
    mkdirSync(path.join(ws.dir, '.git'));
    const config = path.join(ws.dir, '.docker-harden.yaml');
    writeFileSync(config, 'ignore:\n  - code: DH-BASE-LARGE\n    reason: the platform image\nsteps:\n  non-root-user:\n    skip: the entrypoint drops root\n');
    const args = ['--file', 'Dockerfile', '--only', STEPS, '--state-dir', ws.stateDir];
    const run = spawnCli(args, { cwd: ws.dir });
    try {
      const first = await run.waitFor('❯ Apply');
      expect(first).toContain('7. Build in one stage, ship from another');
      await run.press('v');
      const list = await run.waitFor(/All steps[^]*7\. multi-stage-build/);
      expect(list).toMatch(/– +4\. non-root-user/);
      expect(list).toMatch(/✔ +6\. slim-base-image/);
      await run.press(KEY.up, KEY.up, KEY.enter);
      const skipped = await run.waitFor(/4\. Run as a non-root user[^]*drops root/);
      expect(skipped.replace(/\s+/g, ' ')).toContain(`skipped for the repository in ${config}:5: the entrypoint drops root`);
      expect(skipped).toMatch(/4\. Run as a non-root user – skipped/);
      await run.press('q');
      expect(await finish(run)).toBe(0);
    } finally {
      run.kill();
    }
    expect(ws.read()).toBe(DOCKERFILE);

    writeFileSync(config, 'steps:\n  no-such-step:\n    skip: x\n');
    const bad = spawnCli(args, { cwd: ws.dir });
    try {
      expect(await finish(bad)).toBe(2);
      expect(bad.text()).toContain(`${config}:2: unknown step "no-such-step"`);
    } finally {
      bad.kill();
    }
  }, 60_000);

  it('without a terminal it asks nothing: exit 2 and the flag to pass', async () => {
    const ws = workspace();
    for (const args of [[], ['--file', ws.dockerfile]]) {
      const r = await runCli(args, { cwd: ws.dir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/needs a terminal/);
      expect(r.stderr).toMatch(/--yes/);
      expect(r.stderr).toMatch(/`docker-harden check` \(the Dockerfiles and compose files here; or name them, or --host\)/);
    }
    const learn = await runCli(['learn'], { cwd: ws.dir });
    expect(learn.exitCode).toBe(2);
    expect(learn.stderr).toMatch(/needs a terminal/);
    expect(ws.read()).toBe(DOCKERFILE);
  });

  it('--verify with no daemon answering stops before the first question: exit 2, the file as it was', async () => {
    const ws = workspace();
    const run = spawnCli(['--file', ws.dockerfile, '--verify', '--docker-host', NO_DAEMON, '--state-dir', ws.stateDir], { cwd: ws.dir });
    try {
      expect(await finish(run)).toBe(2);
      expect(run.text()).toMatch(/--verify needs a Docker daemon, and unix:\/\/\/nonexistent\/docker-harden-test\.sock does not answer/);
      expect(run.text()).not.toContain('❯ Apply');
    } finally {
      run.kill();
    }
    expect(ws.read()).toBe(DOCKERFILE);
  });

  it('with CI set it asks nothing either, even in a terminal', async () => {
    const ws = workspace();
    const run = spawnCli(['--file', ws.dockerfile, '--state-dir', ws.stateDir], { cwd: ws.dir, env: { CI: 'true' } });
    try {
      expect(await finish(run)).toBe(2);
      expect(run.text()).toMatch(/CI is set/);
      expect(run.text()).toMatch(/--yes/);
    } finally {
      run.kill();
    }
  });

  it('nothing to harden in the folder and no daemon: offers the learn sandbox; no leaves everything as it was', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-pty-empty-'));
    const run = spawnCli([], { cwd: dir, env: { DOCKER_HOST: NO_DAEMON } });
    try {
      const ask = await run.waitFor('[Y/n]');
      expect(ask.replace(/\s+/g, ' ')).toContain(`Nothing to harden here: no Dockerfile or compose file in ${dir} and no Docker daemon answers. Walk the learn sandbox?`);
      await run.press('3', 'n');
      await run.waitFor('Nothing was changed.');
      expect(await finish(run)).toBe(0);
    } finally {
      run.kill();
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('yes to the offer starts the learn walkthrough in a fresh sandbox under TMPDIR', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-pty-empty-'));
    const tmpdir = mkdtempSync(path.join(os.tmpdir(), 'dh-pty-tmpdir-'));
    const run = spawnCli([], { cwd: dir, env: { DOCKER_HOST: NO_DAEMON, TMPDIR: tmpdir } });
    try {
      await run.waitFor('[Y/n]');
      await run.press(KEY.enter);
      const first = await run.waitFor('Quit  (q)');
      expect(first).toContain('profile learn');
      expect(first).toContain('1. Keep Docker');
      await run.press('q');
      const end = await run.waitFor('Progress is saved.');
      // A long sandbox path wraps the sentence at a space.
      expect(end.replace(/\s+/g, ' ')).toMatch(/Everything happened in the sandbox \S+docker-harden-learn-\S+; nothing else was touched\./);
      expect(await finish(run)).toBe(0);
    } finally {
      run.kill();
    }
    expect(readdirSync(dir)).toEqual([]);
    const sandboxes = readdirSync(tmpdir);
    expect(sandboxes).toHaveLength(1);
    expect(readdirSync(path.join(tmpdir, sandboxes[0]!))).toEqual(expect.arrayContaining(['Dockerfile', 'compose.yaml', 'daemon.json']));
  }, 120_000);

  it('learn runs to its end with no Docker daemon, and writes only in its sandbox', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'dh-pty-learn-cwd-'));
    const home = mkdtempSync(path.join(os.tmpdir(), 'dh-pty-learn-home-'));
    const sandbox = path.join(mkdtempSync(path.join(os.tmpdir(), 'dh-pty-learn-')), 'sandbox');
    const rootState = existsSync('/var/lib/docker-harden');
    const run = spawnCli(['learn', '--sandbox', sandbox], { cwd, env: { DOCKER_HOST: NO_DAEMON, HOME: home, XDG_STATE_HOME: undefined } });
    const visited = new Set<string>();
    let applied = 0;
    let skipped = 0;
    const outcomes: string[] = [];
    const confirms: string[] = [];
    let undoCommand: string;
    try {
      for (let guard = 0; guard < 100; guard++) {
        const seen = await run.waitFor(/↑↓ Enter[\s\S]*?q quit|Enter or q exit/, 30_000);
        if (seen.endsWith('Enter or q exit')) break;
        const upTo = run.matched();
        const screen = upTo.slice(upTo.lastIndexOf('docker-harden ·'));
        const position = /· check (\d+\/\d+)\n/.exec(screen)?.[1] ?? '';
        expect(position, screen.slice(0, 400)).not.toBe('');
        if (screen.includes('Apply  (a)') && !visited.has(position)) {
          visited.add(position);
          await run.press('a');
          confirms.push(await run.waitFor('Apply this change?'));
          await run.press('y');
          const outcome = await run.waitFor(/[^\n]*(in the learn sandbox|failed|restored|Nothing was changed)[^\n]*/);
          // The notice may wrap to a second row: read on (without consuming) until the screen's keys are drawn.
          let after = '';
          for (let wait = 0; wait < 500 && !/q quit|Enter or q exit/.test(after); wait++) {
            await sleep(30);
            after = run.text().slice(run.matched().length);
          }
          outcomes.push(`${position} ${outcome.split('\n').slice(-4).join(' / ')} ${after.split('\n')[1] ?? ''}`.replace(/\s+/g, ' '));
          applied++;
        } else if (screen.includes('Next step  (n)')) {
          await run.press('n');
        } else if (screen.includes('Mark done')) {
          await run.press('d');
        } else {
          await run.press('s');
          await run.waitFor('Why?');
          await run.type('learning only');
          await run.press(KEY.enter);
          skipped++;
        }
        visited.add(position);
      }
      // A summary longer than the screen scrolls: End shows its last lines.
      await run.press(KEY.end);
      await run.waitFor(/Everything happened in the sandbox/);
      const summary = run.text().slice(run.text().lastIndexOf('Summary'));
      undoCommand = /To undo, newest first: (docker-harden undo [^\n]*?) \(add --list/.exec(summary.replace(/\n(?! )/g, ' '))?.[1] ?? '';
      await run.press(KEY.enter);
      await run.waitFor('Progress is saved. Every step is done, skipped or passes.');
      expect(await finish(run)).toBe(0);
    } finally {
      run.kill();
    }
    expect(applied).toBeGreaterThan(0);
    expect(visited.size).toBeGreaterThanOrEqual(13);
    expect(skipped).toBeGreaterThanOrEqual(0);
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
    expect(existsSync('/var/lib/docker-harden')).toBe(rootState);
    const profile = profileOf(path.join(sandbox, '.docker-harden'));
    // Each step is checked again after an earlier change, so no diff is stale when applied.
    expect(outcomes.join('\n')).not.toMatch(/changed since it was checked/);
    expect(profile.applied.length, outcomes.join('\n')).toBe(outcomes.filter((o) => /the sandbox copy was written|nothing was written/.test(o)).length);
    for (const record of profile.applied) for (const f of record.files) expect(f.path.startsWith(sandbox)).toBe(true);
    // What the sandbox did is said as such: never a bare "applied", the copies named, the simulated labelled.
    expect(outcomes.join('\n')).not.toMatch(/applied; the check now passes/);
    expect(outcomes.some((o) => /simulated in the learn sandbox/.test(o)), outcomes.join('\n')).toBe(true);
    for (const c of confirms.filter((c) => /Writes/.test(c))) {
      expect(c.replace(/\s+/g, ' ')).toContain(`Writes the sandbox copy ${sandbox}`);
      expect(c).not.toMatch(/^\s*--- \/etc\//m);
    }
    // The undo command the summary suggests works in the sandbox.
    expect(undoCommand).toBe(`docker-harden undo --sandbox ${sandbox}`);
    const list = await runCli([...undoCommand.split(' ').slice(1), '--list'], { cwd, env: { DOCKER_HOST: NO_DAEMON, HOME: home } });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toContain(profile.applied.at(-1)!.step);
  }, 240_000);
});
