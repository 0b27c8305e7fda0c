import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import chalk from 'chalk';
import { render } from 'ink-testing-library';
import { Wizard } from '../../src/ui/app.js';
import { initialState, reducer } from '../../src/ui/reducer.js';
import { itemsFromWalk } from '../../src/ui/effects.js';
import { tempWorld, walkFor, renderWizard, KEY, sleep, plain, type Rendered } from './support.js';
import { addUserStep, slimStep, manualStep, passingStep, longStep } from './test-steps.js';
import type { Step } from '../../src/core/step.js';

const ORIGINAL = 'FROM debian:12\nRUN apt-get update\nCMD ["app"]\n';

let current: Rendered | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});

async function start(steps: Step[], options: { text?: string; stopOnPassing?: boolean; color?: boolean } = {}) {
  const world = tempWorld(options.text ?? ORIGINAL);
  const walk = await walkFor(world, steps);
  const ui = await renderWizard(walk, { stopOnPassing: options.stopOnPassing, color: options.color });
  current = ui;
  return { world, walk, ui };
}

/** The profile as saved on disk, for the Dockerfile of `world`. */
async function decisions(world: ReturnType<typeof tempWorld>) {
  const profile = await world.store.load();
  return Object.values(profile.targets)[0] ?? {};
}

describe('wizard screens and keys (ink-testing-library)', () => {
  it('shows progress while checking, then the first step: header, finding with file:line and evidence, explanation, diff, warnings, choices, footer', async () => {
    const { ui } = await start([addUserStep, slimStep]);
    const f = await ui.waitFor('❯ Apply');
    expect(ui.frames().some((fr) => /checking 1\/2/.test(fr))).toBe(true);
    expect(f).toContain('docker-harden · Dockerfile · profile dockerfile · check 1/2');
    expect(f).toContain('4. Run as a non-root user ✘ fail');
    expect(f).toContain('✘ Dockerfile:1 the final stage runs as root (no USER) [high]');
    expect(f).toContain('    FROM debian:12');
    expect(f).toContain('A process running as root in a container is root on the host if it escapes.');
    expect(f).not.toContain('Second paragraph');
    expect(f).toContain('Fix: Add USER 10001 at the end');
    expect(f).toContain('warning: files the app writes must belong to uid 10001');
    expect(f).toMatch(/@@ -1,3 \+1,4 @@/);
    expect(f).toMatch(/^4 \+USER 10001$/m);
    expect(f).not.toMatch(/Index:|^=+$/m);
    for (const choice of ['Apply  (a)', 'Skip (give a reason)  (s)', 'Later  (l)', 'Check again  (r)', 'Explain more  (e)', 'Quit  (q)']) expect(f).toContain(choice);
    expect(f).toContain('↑↓ Enter · a apply · s skip · l later · r again · e explain · v steps · q quit');
  });

  it('apply: a, the confirm screen, y; the file is written, the step is done in the profile, and the next step comes up', async () => {
    const { world, ui } = await start([addUserStep, slimStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('a');
    const confirm = await ui.waitFor('Apply this change?');
    expect(confirm).toContain('Writes ' + world.dockerfile + '; the previous version is kept as a backup.');
    expect(confirm).toContain('[ No ]');
    expect(confirm).toContain('y apply · n or Esc keep as is');
    expect(world.read()).toBe(ORIGINAL);
    await ui.press('y');
    const next = await ui.waitFor('6. Use a slim base image');
    expect(next).toContain('Run as a non-root user: applied; the check now passes');
    expect(next).toContain('check 2/2');
    expect(world.read()).toBe(`${ORIGINAL}USER 10001\n`);
    await vi.waitFor(async () => {
      const saved = await decisions(world);
      expect(saved['non-root-user']).toMatchObject({ status: 'done', proposal: 'add-user' });
      expect(saved['non-root-user']!.applied).toHaveLength(1);
    });
  });

  it('after a change, the next step is checked again, so its diff applies to the file as it is now', async () => {
    const { world, ui } = await start([addUserStep, slimStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('a', 'y');
    const next = await ui.waitFor('Fix 1 of 2: Use debian:12-slim');
    expect(ui.frames().some((f) => f.includes('checking slim-base-image again'))).toBe(true);
    expect(next).toMatch(/^4\s+USER 10001$/m);
    await ui.press('a', 'y');
    await ui.waitFor('Summary');
    expect(world.read()).toBe(`${ORIGINAL.replace('debian:12', 'debian:12-slim')}USER 10001\n`);
  });

  it('Enter on Apply also only asks; Enter on the highlighted No declines and nothing changes', async () => {
    const { world, ui } = await start([addUserStep]);
    await ui.waitFor('❯ Apply');
    await ui.press(KEY.enter);
    await ui.waitFor('Apply this change?');
    await ui.press(KEY.enter);
    const f = await ui.waitFor('Not applied: nothing was changed.');
    expect(f).toContain('❯ Apply');
    expect(world.read()).toBe(ORIGINAL);
    await sleep(150); // a decision would be saved by now
    expect(await decisions(world)).toEqual({});
  });

  it('n and Esc at the confirm screen decline', async () => {
    const { world, ui } = await start([addUserStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('a', 'n');
    await ui.waitFor('Not applied: nothing was changed.');
    await ui.press('a');
    await ui.waitFor('Apply this change?');
    await ui.press(KEY.esc);
    await ui.waitFor('Not applied: nothing was changed.');
    expect(world.read()).toBe(ORIGINAL);
  });

  it('→ then Enter on Yes applies', async () => {
    const { world, ui } = await start([addUserStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('a');
    await ui.waitFor('Apply this change?');
    await ui.press(KEY.right);
    expect(await ui.waitFor('[ Yes ]')).not.toContain('[ No ]');
    await ui.press(KEY.enter);
    await ui.waitFor('Summary');
    expect(world.read()).toBe(`${ORIGINAL}USER 10001\n`);
  });

  it('stray digits do not apply: not on the step screen, not at the confirm screen', async () => {
    const { world, ui } = await start([addUserStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('1', '2', '3', '0');
    expect(ui.frame()).toContain('❯ Apply');
    await ui.press('a');
    await ui.waitFor('Apply this change?');
    await ui.press('1', '9', ' ', 'x');
    expect(ui.frame()).toContain('Apply this change?');
    expect(world.read()).toBe(ORIGINAL);
    await sleep(150); // a decision would be saved by now
    expect(await decisions(world)).toEqual({});
  });

  it('skip asks for a reason, keeps it in the profile, and moves on', async () => {
    const { world, ui } = await start([addUserStep, slimStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('s');
    const ask = await ui.waitFor('Why?');
    expect(ask).toContain('type the reason · Enter save · Esc back');
    await ui.press(KEY.enter);
    await ui.waitFor('Type why you skip this step');
    await ui.press('r', 'o', 'o', 't', 'x', KEY.backspace, ' ', 'i', 's', ' ', 'n', 'e', 'e', 'd', 'e', 'd', ' ', 'b', 'y', ' ', 'v', '2');
    expect(ui.frame()).toContain('reason› root is needed by v2');
    await ui.press(KEY.enter);
    const next = await ui.waitFor('6. Use a slim base image');
    expect(next).toContain('Run as a non-root user: skipped (root is needed by v2).');
    await vi.waitFor(async () => expect((await decisions(world))['non-root-user']).toMatchObject({ status: 'skipped', reason: 'root is needed by v2' }));
    expect(world.read()).toBe(ORIGINAL);
  });

  it('Esc from the reason goes back to the step without a decision', async () => {
    const { world, ui } = await start([addUserStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('s', 'a', 'b', KEY.esc);
    await ui.waitFor('❯ Apply');
    await sleep(150); // a decision would be saved by now
    expect(await decisions(world)).toEqual({});
  });

  it('later records later and moves on', async () => {
    const { world, ui } = await start([addUserStep, slimStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('l');
    const f = await ui.waitFor('6. Use a slim base image');
    expect(f).toContain('later. The next run starts with it.');
    await vi.waitFor(async () => expect((await decisions(world))['non-root-user']).toMatchObject({ status: 'later' }));
  });

  it('explain more shows the whole explanation and references; Esc comes back', async () => {
    const { ui } = await start([addUserStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('e');
    const f = await ui.waitFor('Second paragraph');
    expect(f).toContain('Dockerfile USER: https://docs.docker.com/reference/dockerfile/#user');
    expect(f).toContain('Esc or Enter back · q quit');
    await ui.press(KEY.esc);
    await ui.waitFor('❯ Apply');
  });

  it('the arrows and Enter choose too: ↓ ↓ Enter is Later', async () => {
    const { world, ui } = await start([addUserStep, slimStep]);
    await ui.waitFor('❯ Apply');
    await ui.press(KEY.down, KEY.down);
    expect(ui.frame()).toContain('❯ Later');
    await ui.press(KEY.enter);
    await ui.waitFor('6. Use a slim base image');
    await vi.waitFor(async () => expect((await decisions(world))['non-root-user']?.status).toBe('later'));
  });

  it('several proposals: → shows the other, and Apply writes the one on screen', async () => {
    const { world, ui } = await start([slimStep]);
    const f = await ui.waitFor('❯ Apply');
    expect(f).toContain('Fix 1 of 2: Use debian:12-slim');
    expect(f).toContain('←→ other fixes');
    expect(f).toMatch(/\+FROM debian:12-slim/);
    await ui.press(KEY.right);
    const g = await ui.waitFor('Fix 2 of 2: Use debian:bookworm-slim');
    expect(g).toMatch(/\+FROM debian:bookworm-slim/);
    await ui.press('a', 'y');
    await ui.waitFor('Summary');
    expect(world.read()).toBe(ORIGINAL.replace('debian:12', 'debian:bookworm-slim'));
    await vi.waitFor(async () => expect((await decisions(world))['slim-base-image']).toMatchObject({ status: 'done', proposal: 'bookworm-slim-pinned' }));
  });

  it('a file edited after the check: the change is refused, nothing written, the step is marked failed', async () => {
    const { world, ui } = await start([addUserStep]);
    await ui.waitFor('❯ Apply');
    const edited = ORIGINAL + '# edited by hand\n';
    writeFileSync(world.dockerfile, edited);
    await ui.press('a', 'y');
    const f = await ui.waitFor('changed since it was checked');
    expect(f).toContain('Nothing was changed.');
    expect(f).toContain('❯ Apply');
    expect(world.read()).toBe(edited);
    await vi.waitFor(async () => expect((await decisions(world))['non-root-user']?.status).toBe('failed'));
  });

  it('commands to run by hand are shown, and d marks the step done', async () => {
    const { world, ui } = await start([manualStep]);
    const f = await ui.waitFor('Mark done');
    expect(f).toContain('Commands for you to run:');
    expect(f).toContain('$ apt-get install trivy  # install trivy');
    expect(f).not.toContain('Apply  (a)');
    expect(f).toContain('↑↓ Enter · d done · s skip');
    expect(f).not.toContain(' a apply');
    await ui.press('a');
    expect(ui.frame()).not.toContain('Apply this change?');
    await ui.press('d');
    await ui.waitFor('Summary');
    await vi.waitFor(async () => expect((await decisions(world))['dependency-scanning']).toMatchObject({ status: 'done', proposal: 'install-trivy' }));
  });

  it('check again re-runs the check: after a hand edit the step passes', async () => {
    const { world, ui } = await start([addUserStep]);
    await ui.waitFor('❯ Apply');
    writeFileSync(world.dockerfile, ORIGINAL + 'USER app\n');
    await ui.press('r');
    const f = await ui.waitFor('Checked again: pass');
    expect(f).toContain('Next step  (n)');
  });

  it('passing steps are gone past in a real run and shown in the learn walk', async () => {
    const run = await start([passingStep, addUserStep]);
    expect(await run.ui.waitFor('❯ Apply')).toContain('check 2/2');
    run.ui.unmount();
    const learn = await start([passingStep, addUserStep], { stopOnPassing: true });
    const f = await learn.ui.waitFor('❯ Next step');
    expect(f).toContain('7. Build in stages ✔ pass');
    expect(f).toContain('Nothing found to change.');
    expect(f).toContain('one stage, nothing built');
    await learn.ui.press('n');
    await learn.ui.waitFor('4. Run as a non-root user');
    await vi.waitFor(async () => expect((await decisions(learn.world))['multi-stage-build']?.status).toBe('done'));
  });

  it('the step list shows a mark per status and the decisions; Enter opens a step', async () => {
    const { ui } = await start([addUserStep, manualStep, passingStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('l');
    await ui.waitFor('5. Scan dependencies');
    await ui.press('v');
    const f = await ui.waitFor('All steps');
    expect(f).toMatch(/ ✘  4\. non-root-user\s+later/);
    expect(f).toMatch(/❯ !  5\. dependency-scanning/);
    expect(f).toMatch(/ ✔  7\. multi-stage-build/);
    await ui.press(KEY.up, KEY.enter);
    await ui.waitFor('4. Run as a non-root user');
    expect(ui.frame()).toContain('check 1/3');
  });

  it('summary at the end: statuses, skip reasons, what was applied and how to undo; Enter exits', async () => {
    const { ui } = await start([addUserStep, slimStep, manualStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('a', 'y');
    await ui.waitFor('6. Use a slim base image');
    await ui.press('s', ...'pinned by the platform team', KEY.enter);
    await ui.waitFor('5. Scan dependencies');
    await ui.press('l');
    const f = await ui.waitFor('Summary');
    expect(f).toMatch(/✔  4\. non-root-user\s+done/);
    expect(f).toMatch(/✘  6\. slim-base-image\s+skipped: pinned by the platform team/);
    expect(f).toMatch(/!  5\. dependency-scanning\s+later/);
    expect(f).toContain('Skipped, with the reasons given:');
    expect(f).toContain('slim-base-image: pinned by the platform team');
    expect(f).toContain('Applied in this run:');
    // A long temporary path wraps the change id to the next row.
    expect(f).toMatch(/✔ non-root-user: Add USER 10001 at the end \(.*Dockerfile\)\s+change\s+\S+/);
    expect(f).toContain('To undo, newest first: docker-harden undo --state-dir /s');
    expect(f).not.toContain('this run at once');
    expect(f).toContain('Enter or q exit · v all steps');
    await ui.press(KEY.enter);
    const last = await ui.waitFor('Progress is saved.');
    expect(last).toContain('Run the same command again to continue at check 3/3, dependency-scanning.');
    expect(last).not.toContain('Enter or q exit');
  });

  it('two changes in one session: both recorded with the session\'s run, and the summary says how to undo them at once', async () => {
    const { ui, world } = await start([addUserStep, slimStep, manualStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('a', 'y');
    await ui.waitFor('6. Use a slim base image');
    await ui.waitFor('❯ Apply');
    await ui.press('a', 'y');
    await ui.waitFor('5. Scan dependencies');
    await ui.press('l');
    const f = (await ui.waitFor('Summary')).replace(/\n\s*/g, ' ');
    expect(f).toMatch(/To undo all of this run at once: docker-harden undo --state-dir \S+ --run/);
    const applied = (await world.store.load()).applied;
    expect(applied).toHaveLength(2);
    expect(applied[0]!.run).toMatch(/\S/);
    expect(applied[1]!.run).toBe(applied[0]!.run);
  });

  it('quit from a step shows the summary, saved progress and where the next run starts', async () => {
    const { ui } = await start([addUserStep, slimStep]);
    await ui.waitFor('❯ Apply');
    await ui.press('q');
    const f = await ui.waitFor('Progress is saved.');
    expect(f).toContain('Summary');
    expect(f).toContain('Nothing was applied in this run.');
    expect(f).toContain('continue at check 1/2, non-root-user');
  });

  it('resume: a second run starts at the first step that is neither done nor skipped, and says so', async () => {
    const first = await start([addUserStep, slimStep, manualStep]);
    await first.ui.waitFor('❯ Apply');
    await first.ui.press('a', 'y');
    await first.ui.waitFor('6. Use a slim base image');
    await first.ui.press('l', 'q');
    await first.ui.waitFor('Progress is saved.');
    // The app exits once the decisions before the quit are saved.
    await vi.waitFor(async () => expect((await decisions(first.world))['slim-base-image']?.status).toBe('later'));
    first.ui.unmount();

    const walk = await walkFor(first.world, [addUserStep, slimStep, manualStep]);
    const again = await renderWizard(walk);
    current = again;
    const f = await again.waitFor('❯ Apply');
    expect(f.replace(/\s+/g, ' ')).toContain('Resuming at check 2/3, slim-base-image (you chose Later last time): the first step that is neither done nor skipped.');
    expect(f).toContain('6. Use a slim base image');
    expect(f).toContain('Decided earlier: later');
  });

  it('Ctrl+C quits like q', async () => {
    const { ui } = await start([addUserStep]);
    await ui.waitFor('❯ Apply');
    await ui.press(KEY.ctrlC);
    await ui.waitFor('Progress is saved.');
  });

  it('colours the diff, and not at all when colour is off (NO_COLOR, --no-color)', async () => {
    const level = chalk.level;
    chalk.level = 1; // the test runner is no terminal, so chalk would print no colour at all
    try {
      const on = await start([addUserStep], { color: true });
      await on.ui.waitFor('❯ Apply');
      const raw = on.ui.rawFrame();
      expect(raw).toContain('\u001b[32m+USER 10001\u001b[39m');
      expect(raw).toContain('\u001b[36m@@ -1,3 +1,4 @@\u001b[39m');
      on.ui.unmount();
      const off = await start([addUserStep], { color: false });
      await off.ui.waitFor('❯ Apply');
      expect(off.ui.rawFrame()).not.toMatch(/\u001b\[/);
    } finally {
      chalk.level = level;
    }
  });

  it('a step screen that fits the terminal shows everything, with the findings before the fix', async () => {
    const world = tempWorld(ORIGINAL);
    const walk = await walkFor(world, [addUserStep]);
    const run = await walk.check(0);
    let state = initialState({ items: itemsFromWalk(walk, world.dir), info: { profile: 'dockerfile', undoCommand: 'docker-harden undo' } });
    state = reducer(state, { type: 'checked', index: 0, result: run.result, proposals: run.proposals });
    state = reducer(state, { type: 'loaded' });
    const r = render(<Wizard state={state} viewport={{ rows: 40, cols: 80 }} />);
    try {
      const f = plain(r.lastFrame());
      expect(f.split('\n').length).toBeLessThanOrEqual(40);
      expect(f).toContain('A process running as root');
      expect(f).not.toContain('PgDn');
      expect(f.indexOf('the final stage runs as root')).toBeLessThan(f.indexOf('Fix: Add USER 10001'));
      expect(f).toMatch(/❯ Apply {2}\(a\)\s+Skip \(give a reason\) {2}\(s\)\s+Later {2}\(l\)/);
      expect(f).toMatch(/^4 \+USER 10001$/m);
    } finally {
      r.unmount();
    }
  });
});

describe('bounded layout: screens that fit the terminal', () => {
  const LONG = 'FROM debian:12\nRUN apt-get update\nCMD ["app"]\n';

  for (const size of [
    { rows: 24, cols: 80 },
    { rows: 20, cols: 60 },
  ]) {
    it(`${size.cols}x${size.rows}: header, step line, the critical finding and the menu on every frame; PgDn, End and Home scroll the pane`, async () => {
      const world = tempWorld(LONG);
      const walk = await walkFor(world, [longStep, addUserStep]);
      const ui = await renderWizard(walk, { size });
      current = ui;
      let f = await ui.waitFor('❯ Apply');
      const top = f.split('\n');
      expect(top[0]).toMatch(/^docker-harden · Dockerfile · profile dockerfile · check 1\/2/);
      expect(top[1]).toMatch(/^2\. Check the daemon configuration ✘ fail/);
      // The critical finding comes first, although the check reported it last.
      expect(f).toMatch(/✘ tcp:\/\/0\.0\.0\.0:2375 accepts connections from anyone and has\s+no\s+TLS \[critical\]/);
      expect(f).toContain('Quit  (q)');
      expect(f).not.toContain('the-end-of-the-diff');
      expect(f).toMatch(/── 1-\d+ of \d+ · PgDn more ──/);
      const total = Number(/── 1-\d+ of (\d+)/.exec(f)![1]);
      expect(total).toBeGreaterThan(size.rows);

      await ui.press(KEY.pageDown);
      f = await ui.waitFor(/── \d+-\d+ of \d+ · (PgDn more|end) · PgUp back ──/);
      expect(f.split('\n')[0]).toMatch(/^docker-harden ·/);
      expect(f).toContain('Quit  (q)');
      // The menu still has the cursor on Apply: paging moved the pane, not the choice.
      expect(f).toContain('❯ Apply');

      await ui.press(KEY.end);
      f = await ui.waitFor('the-end-of-the-diff');
      expect(f).toMatch(new RegExp(`── \\d+-${total} of ${total} · end · PgUp back ──`));
      expect(f).toMatch(/^2\. Check the daemon configuration/m);

      await ui.press(KEY.home);
      f = await ui.waitFor(/── 1-\d+ of \d+ · PgDn more ──/);
      expect(f).toContain('[critical]');
      expect(f).not.toContain('the-end-of-the-diff');

      // Explain more is a pane too: ↑↓ scroll it, the header stays.
      await ui.press('e');
      f = await ui.waitFor('Esc or Enter back');
      expect(f).toContain('Second paragraph of the explanation');

      for (const frame of ui.frames()) expect(frame.replace(/\n$/, '').split('\n').length, frame).toBeLessThanOrEqual(size.rows);
    });
  }

  it('a resize reflows: narrower and shorter, the frame is bounded again and the scroll position kept in range', async () => {
    const world = tempWorld(LONG);
    const walk = await walkFor(world, [longStep]);
    const ui = await renderWizard(walk);
    current = ui;
    await ui.waitFor('❯ Apply');
    // Unknown size (no terminal rows): nothing is bounded, the diff end is on the first frame.
    expect(ui.frame()).toContain('the-end-of-the-diff');
    ui.resize(20, 60);
    // Ink redraws the state it has at once (the old frame at the new width); the reflowed frame follows.
    const before = ui.frames().length;
    const f = await ui.waitFor('PgDn more');
    expect(f.split('\n').length).toBeLessThanOrEqual(20);
    expect(f).not.toContain('the-end-of-the-diff');
    for (const line of f.split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    await ui.press(KEY.end);
    await ui.waitFor('the-end-of-the-diff');
    for (const frame of ui.frames().slice(before)) expect(frame.replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(20);
    ui.resize(40, 100);
    const after = ui.frames().length;
    const taller = await ui.waitFor(/── \d+-\d+ of \d+ · end/);
    expect(taller.split('\n').length).toBeLessThanOrEqual(40);
    expect(taller).toContain('the-end-of-the-diff');
    for (const frame of ui.frames().slice(after)) expect(frame.replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(40);
  });

  it('Ctrl-C ends the wizard with exit code 130; q with 0', async () => {
    for (const [k, code] of [[KEY.ctrlC, 130], ['q', 0]] as const) {
      const world = tempWorld(LONG);
      const walk = await walkFor(world, [addUserStep]);
      let exited: number | undefined;
      const ui = await renderWizard(walk, { onExit: (c) => (exited = c) });
      current = ui;
      await ui.waitFor('❯ Apply');
      await ui.press(k);
      await ui.waitFor('Progress is saved');
      await vi.waitFor(() => expect(exited).toBe(code));
      ui.unmount();
      current = undefined;
    }
  });
});
