/**
 * The bounded layout in a real pseudo-terminal at 80x24 and 60x20: the learn sandbox's recorded
 * host, whose socket step has a critical finding (tcp://0.0.0.0:2375 without TLS) and a screen
 * three times the terminal's height.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../helpers/cli.js';
import { spawnCli, KEY, type PtyRun } from './pty.js';

const NO_DAEMON = 'unix:///nonexistent/docker-harden-test.sock';
const SCROLL_LINE = /── (\d+)-(\d+) of (\d+) · (PgDn more|end)[^\n]*──/;

function sandboxDir(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'dh-pty-layout-')), 'sandbox');
}

function socketStep(sandbox: string, cols: number, rows: number): PtyRun {
  return spawnCli(['learn', '--sandbox', sandbox, '--only', 'protect-docker-socket', '--no-color'], {
    cwd: os.tmpdir(),
    cols,
    rows,
    env: { DOCKER_HOST: NO_DAEMON },
  });
}

/** The latest frame: from the last header to the end of what was written. */
function lastFrame(run: PtyRun): string[] {
  const text = run.text();
  return text.slice(text.lastIndexOf('docker-harden ·')).replace(/\n$/, '').split('\n');
}

function expectBounded(frame: string[], cols: number, rows: number): void {
  expect(frame.length, frame.join('\n')).toBeLessThanOrEqual(rows);
  for (const line of frame) expect([...line].length, line).toBeLessThanOrEqual(cols);
}

async function finish(run: PtyRun): Promise<number> {
  const code = await Promise.race([run.exited, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
  run.kill();
  return code;
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('screens that fit, in a real terminal', () => {
  for (const [cols, rows] of [
    [80, 24],
    [60, 20],
  ] as const) {
    it(`${cols}x${rows}: header and the critical finding on the first screen; PgDn reaches the end of the diff; Home goes back`, async () => {
      const sandbox = sandboxDir();
      const run = socketStep(sandbox, cols, rows);
      try {
        await run.waitFor(SCROLL_LINE);
        await run.waitFor('q quit');
        const first = lastFrame(run);
        expectBounded(first, cols, rows);
        // At 60 columns the header takes two rows.
        expect(first.slice(0, 2).join(' ')).toMatch(/^docker-harden · the recorded learn host · profile learn ·\s+sandbox · check 1\/\d+/);
        expect(first.join('\n')).toMatch(/^3\. Protect the Docker socket ✘ fail/m);
        const firstText = first.join(' ').replace(/\s+/g, ' ');
        expect(firstText).toContain('dockerd listens on plain TCP tcp://0.0.0.0:2375');
        expect(firstText).toContain('Quit (q)');
        expect(firstText).not.toContain('+++');

        // Page down until the end: the diff of the sandbox's daemon.json goes by, to its last line.
        const seen: string[] = [];
        for (let guard = 0; guard < 20; guard++) {
          await run.press(KEY.pageDown);
          const line = await run.waitFor(SCROLL_LINE);
          await run.waitFor('q quit');
          const frame = lastFrame(run);
          expectBounded(frame, cols, rows);
          expect(frame[0]).toMatch(/^docker-harden ·/);
          expect(frame.join('\n')).toContain('Quit  (q)');
          seen.push(...frame);
          if (SCROLL_LINE.exec(line)![4] === 'end') break;
        }
        const all = seen.join('\n');
        expect(all).toContain(`--- ${sandbox}/daemon.json`);
        expect(all).toMatch(/^\s*\d+ \+\s+"unix:\/\/\/var\/run\/docker\.sock"$/m);
        expect(all).toMatch(/"insecure-registries"/);
        const end = SCROLL_LINE.exec(lastFrame(run).join('\n'))!;
        expect(end[2]).toBe(end[3]);

        await run.press(KEY.home);
        await run.waitFor(/── 1-\d+ of \d+ · PgDn more/);
        await run.waitFor('q quit');
        expect(lastFrame(run).join(' ').replace(/\s+/g, ' ')).toContain('tcp://0.0.0.0:2375');
        await run.press('q');
        await run.waitFor('Progress is saved.');
        expect(await finish(run)).toBe(0);
        expectBounded(lastFrame(run), cols, rows);
      } finally {
        run.kill();
      }
    }, 120_000);
  }

  it('a resize from 80x24 to 60x20 reflows the screen: bounded again, the header and the critical finding still there', async () => {
    const run = socketStep(sandboxDir(), 80, 24);
    try {
      const at80 = SCROLL_LINE.exec(await run.waitFor(SCROLL_LINE))!;
      await run.waitFor('q quit');
      run.resize(60, 20);
      // Wrapped at 60 columns the pane has more rows: a new total says the frame was laid out again.
      await run.waitFor(new RegExp(`── 1-\\d+ of (?!${at80[3]}\\b)\\d+ · PgDn more`));
      await run.waitFor('q quit');
      const frame = lastFrame(run);
      expectBounded(frame, 60, 20);
      expect(frame[0]).toMatch(/^docker-harden ·/);
      expect(frame.join(' ').replace(/\s+/g, ' ')).toContain('dockerd listens on plain TCP tcp://0.0.0.0:2375');
      run.resize(100, 40);
      await run.waitFor(/── 1-\d+ of \d+ · PgDn more/);
      await run.waitFor('q quit');
      expectBounded(lastFrame(run), 100, 40);
      await run.press('q');
      expect(await finish(run)).toBe(0);
    } finally {
      run.kill();
    }
  }, 120_000);
});
