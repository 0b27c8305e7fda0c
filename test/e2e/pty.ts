/**
 * docker-harden in a real pseudo-terminal: `node bin/docker-harden.js` spawned with node-pty,
 * keys written with short waits, output matched with the ANSI escapes stripped.
 */
import pty from '@lydell/node-pty';
import { binPath, repoRoot } from '../helpers/cli.js';

export const KEY = {
  enter: '\r',
  esc: '\u001b',
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  backspace: '\u007f',
  ctrlC: '\u0003',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  home: '\u001b[H',
  end: '\u001b[F',
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Remove CSI and OSC escape sequences and carriage returns. */
export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;?<>=]*[ -/]*[@-~]/g, '').replace(/\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)/g, '').replace(/\u001b[()][A-Z0-9]/g, '').replace(/\r/g, '');
}

export interface PtyRun {
  /** Everything written so far, escapes stripped. */
  text(): string;
  /** Everything written so far, as written. */
  raw(): string;
  /**
   * Wait until `pattern` appears after the previous match (so a screen drawn again later is what
   * is matched); returns the text from the previous match to the end of this one.
   */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** The output up to the end of the last match. */
  matched(): string;
  press(...keys: string[]): Promise<void>;
  type(text: string): Promise<void>;
  /** Write `text` in one piece, as a terminal delivers a paste. */
  paste(text: string): Promise<void>;
  /** Resize the pseudo-terminal: the child gets SIGWINCH and its stdout a 'resize'. */
  resize(cols: number, rows: number): void;
  exited: Promise<number>;
  kill(): void;
}

/** Environment for the child: a terminal, no CI (the wizard refuses to ask questions in CI). */
export function ptyEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !['CI', 'CONTINUOUS_INTEGRATION', 'NO_COLOR', 'FORCE_COLOR'].includes(k) && !k.startsWith('VITEST')) env[k] = v;
  }
  env.TERM = 'xterm-256color';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function spawnCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; cols?: number; rows?: number } = {}): PtyRun {
  const term = pty.spawn(process.execPath, [binPath, ...args], {
    name: 'xterm-256color',
    cols: options.cols ?? 120,
    rows: options.rows ?? 60,
    cwd: options.cwd ?? repoRoot,
    env: ptyEnv(options.env),
  });
  let raw = '';
  let mark = 0;
  term.onData((d) => {
    raw += d;
  });
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  let done = false;
  void exited.then(() => (done = true));
  const run: PtyRun = {
    text: () => stripAnsi(raw),
    raw: () => raw,
    matched: () => stripAnsi(raw).slice(0, mark),
    async waitFor(pattern, timeoutMs = 45_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = stripAnsi(raw);
        const rest = text.slice(mark);
        const index = typeof pattern === 'string' ? rest.indexOf(pattern) : rest.search(pattern);
        if (index >= 0) {
          const length = typeof pattern === 'string' ? pattern.length : (rest.slice(index).match(pattern)?.[0].length ?? 0);
          const seen = rest.slice(0, index + length);
          mark += index + length;
          return seen;
        }
        if (Date.now() > deadline || done) {
          if (done) await sleep(50);
          const again = stripAnsi(raw).slice(mark);
          if (typeof pattern === 'string' ? again.includes(pattern) : pattern.test(again)) continue;
          throw new Error(`${done ? 'exited' : 'timed out'} waiting for ${String(pattern)}; output since the last match:\n${again.slice(-3000)}`);
        }
        await sleep(30);
      }
    },
    async press(...keys) {
      for (const k of keys) {
        term.write(k);
        await sleep(120);
      }
    },
    async type(text) {
      for (const ch of text) {
        term.write(ch);
        await sleep(15);
      }
      await sleep(100);
    },
    async paste(text) {
      term.write(text);
      await sleep(100);
    },
    resize(cols, rows) {
      term.resize(cols, rows);
    },
    exited,
    kill() {
      if (!done) term.kill();
    },
  };
  return run;
}
