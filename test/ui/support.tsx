/**
 * Worlds for the wizard's UI tests: a real Walk over a temp Dockerfile and a real ProfileStore in
 * a temp state directory, rendered with ink-testing-library, and keys sent with short waits.
 */
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { render } from 'ink-testing-library';
import { App } from '../../src/ui/app.js';
import { Walk } from '../../src/core/walk.js';
import { ProfileStore } from '../../src/core/profile.js';
import type { Step, StepTarget } from '../../src/core/step.js';
import { contextFor, dockerfileTarget } from '../helpers/world.js';

export const KEY = {
  enter: '\r',
  esc: '\u001b',
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  home: '\u001b[H',
  end: '\u001b[F',
  tab: '\t',
  backspace: '\u007f',
  ctrlC: '\u0003',
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Remove ANSI escapes, so frames can be matched as text. */
export function plain(text: string | undefined): string {
  return (text ?? '').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

export interface World {
  dir: string;
  dockerfile: string;
  stateDir: string;
  store: ProfileStore;
  read(): string;
}

export function tempWorld(dockerfileText = 'FROM debian:12\nRUN apt-get update\nCMD ["app"]\n'): World {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-ui-'));
  const dockerfile = path.join(dir, 'Dockerfile');
  writeFileSync(dockerfile, dockerfileText);
  const stateDir = path.join(dir, 'state');
  return { dir, dockerfile, stateDir, store: new ProfileStore(stateDir), read: () => readFileSync(dockerfile, 'utf8') };
}

export async function walkFor(world: World, steps: Step[]): Promise<Walk> {
  const profile = await world.store.load();
  const target = dockerfileTarget(world.dockerfile);
  const ctx = contextFor(target);
  const items: StepTarget[] = steps.map((step) => ({ step, target, ctx }));
  return new Walk({ items, store: world.store, profile });
}

export interface Rendered {
  frame(): string;
  /** The last frame as written, escapes included. */
  rawFrame(): string;
  frames(): string[];
  press(...keys: string[]): Promise<void>;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  unmount(): void;
  /** Resize the terminal the app renders to, as a terminal emulator does: new size, then 'resize'. */
  resize(rows: number, cols: number): void;
}

export async function renderWizard(
  walk: Walk,
  options: { color?: boolean; stopOnPassing?: boolean; sandbox?: string; size?: { rows: number; cols: number }; onExit?: (code: number) => void } = {},
): Promise<Rendered> {
  const r = render(
    <App
      size={options.size}
      onExit={options.onExit}
      walk={walk}
      color={options.color ?? false}
      stopOnPassing={options.stopOnPassing}
      cwd={path.dirname(walk.items[0]?.target.kind === 'dockerfile' ? walk.items[0].target.path : '/')}
      info={{ profile: 'dockerfile', undoCommand: 'docker-harden undo --state-dir /s', sandbox: options.sandbox, appliedEarlier: walk.appliedEarlier().length }}
    />,
  );
  // With CI set, Ink writes an empty frame when the app exits: the last frame worth reading is the
  // last one that is not blank.
  const latest = () => [...r.frames].reverse().find((f) => f.trim() !== '') ?? '';
  const rendered: Rendered = {
    frame: () => plain(latest()),
    rawFrame: () => latest(),
    frames: () => r.frames.map(plain),
    async press(...keys) {
      for (const k of keys) {
        r.stdin.write(k);
        await sleep(60);
      }
    },
    async waitFor(pattern, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const f = plain(latest());
        if (typeof pattern === 'string' ? f.includes(pattern) : pattern.test(f)) return f;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; last frame:\n${f}`);
        await sleep(25);
      }
    },
    unmount: () => r.unmount(),
    resize(rows, cols) {
      Object.defineProperty(r.stdout, 'rows', { value: rows, configurable: true });
      Object.defineProperty(r.stdout, 'columns', { value: cols, configurable: true });
      r.stdout.emit('resize');
    },
  };
  return rendered;
}
