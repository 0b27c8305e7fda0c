/**
 * The bad-input corpus (test/fixtures/bad/cases.json): Dockerfiles, daemon.json files, compose
 * files, progress profiles and command lines that are wrong in the ways people get them wrong.
 * Each runs through the real command line; each must exit 2 with the message the person needs
 * (with the line, where there is one), and leave every file exactly as it was.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, repoRoot, runCli } from './helpers/cli.js';
import { snapshot } from './faults/fs-helpers.js';

type Kind = 'dockerfile' | 'daemon' | 'compose' | 'profile' | 'args';
interface BadCase {
  name: string;
  kind: Kind;
  /** A fixture under test/fixtures/bad, an input made at test time, or a fixed path. */
  input?: string | { generate: 'directory' | 'missing' | 'fifo' | 'huge-line' } | { path: string };
  args?: string[];
  /** Substrings the person must see (stdout or stderr). */
  message: string[];
  /** The line the message must name, as `file:line`. */
  line?: number;
  /** Extra files to create in the case's directory. */
  files?: Record<string, string>;
  exit?: number;
  /** Run in the case's empty input folder rather than beside its good Dockerfile. */
  inEmptyFolder?: boolean;
}

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'bad');
const { cases } = JSON.parse(readFileSync(path.join(fixtures, 'cases.json'), 'utf8')) as { cases: BadCase[] };

const DAEMON_JSON_STEPS = 'use-docker-defaults,scan-host-config,protect-docker-socket,user-namespaces';
const GOOD_DOCKERFILE = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "server.js"]\n';

/** The commands each kind of input is run through; every one must refuse it. */
function commandsFor(c: BadCase): string[][] {
  switch (c.kind) {
    case 'dockerfile':
      return [['check', '--file', '{input}'], ['check', '--file', '{input}', '--json'], ['fix', '--file', '{input}', '--yes']];
    case 'daemon':
      // `fix --host --yes` would apply every host proposal (package installs included) to this
      // machine: only the steps that edit daemon.json are let through.
      return [
        ['check', '--host', '--daemon-config', '{input}'],
        ['check', '--host', '--daemon-config', '{input}', '--json'],
        ['fix', '--host', '--yes', '--daemon-config', '{input}', '--only', DAEMON_JSON_STEPS],
      ];
    case 'compose':
      return [['check', '--compose', '{input}'], ['check', '--compose', '{input}', '--json'], ['fix', '--compose', '{input}', '--yes']];
    case 'profile':
      return [['fix', '--file', '{good}', '--yes'], ['undo', '--yes'], ['undo', '--list']];
    case 'args':
      return [c.args!];
  }
}

async function prepare(c: BadCase, dir: string): Promise<string> {
  writeFileSync(path.join(dir, 'Dockerfile'), GOOD_DOCKERFILE);
  for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(path.join(dir, name), text);
  const state = path.join(dir, 'state');
  const inputDir = path.join(dir, 'input');
  mkdirSync(inputDir);
  const input = c.input;
  if (c.kind === 'profile') {
    mkdirSync(state, { mode: 0o700 });
    copyFileSync(path.join(fixtures, input as string), path.join(state, 'profile.json'));
    return path.join(state, 'profile.json');
  }
  if (input === undefined) return '';
  if (typeof input === 'string') {
    const target = path.join(inputDir, path.basename(input));
    copyFileSync(path.join(fixtures, input), target);
    return target;
  }
  if ('path' in input) return input.path;
  const target = path.join(inputDir, c.kind === 'daemon' ? 'daemon.json' : c.kind === 'compose' ? 'compose.yaml' : 'Dockerfile');
  switch (input.generate) {
    case 'directory':
      mkdirSync(target);
      writeFileSync(path.join(target, 'inside'), 'x\n');
      break;
    case 'missing':
      break;
    case 'fifo':
      await execa('mkfifo', [target]);
      break;
    case 'huge-line':
      writeFileSync(target, `FROM debian:12\nRUN echo ${'x'.repeat(6 * 1024 * 1024)}\n`);
      break;
  }
  return target;
}

/** Everything the person sees: stderr, and stdout; a JSON document is read for its messages. */
function seen(stdout: string, stderr: string): string {
  try {
    const doc = JSON.parse(stdout) as { results?: { findings: { message: string; file?: string; line?: number }[] }[] };
    const lines = (doc.results ?? []).flatMap((r) => r.findings.map((f) => `${f.file ?? ''}${f.line ? `:${f.line}` : ''}: ${f.message}`));
    return `${stderr}\n${lines.join('\n')}`;
  } catch {
    return `${stderr}\n${stdout}`;
  }
}

/**
 * A run may create its (empty, private) state directory before it finds the input bad: that is
 * not a changed file. Anything inside it is.
 */
function withoutEmptyStateDir(after: Record<string, string>, before: Record<string, string>): Record<string, string> {
  const out = { ...after };
  if (!('state/' in before) && Object.keys(out).filter((k) => k.startsWith('state/')).length === 1) delete out['state/'];
  return out;
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('the bad-input corpus', () => {
  it('holds at least 60 cases of every kind', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const kind of ['dockerfile', 'daemon', 'compose', 'profile', 'args'] as const) expect(cases.some((c) => c.kind === kind)).toBe(true);
    expect(new Set(cases.map((c) => `${c.kind}: ${c.name}`)).size).toBe(cases.length);
  });

  it.concurrent.each(cases.map((c) => [`${c.kind}: ${c.name}`, c] as const))('%s: exit 2, the message, no file changed', async (_label, c) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-bad-'));
    try {
      const input = await prepare(c, dir);
      const before = snapshot(dir);
      for (const command of commandsFor(c)) {
        const args = command.map((a) => a.replace('{input}', input).replace('{good}', path.join(dir, 'Dockerfile')).replace('{dir}', dir));
        const r = await runCli(args, {
          cwd: c.inEmptyFolder ? path.join(dir, 'input') : dir,
          env: { DOCKER_HARDEN_STATE_DIR: path.join(dir, 'state'), DOCKER_HOST: `unix://${path.join(dir, 'no-daemon.sock')}`, CI: '1' },
        });
        const shown = seen(r.stdout, r.stderr);
        const label = `docker-harden ${args.join(' ').slice(0, 200)}\n--- stderr\n${r.stderr.slice(0, 1500)}\n--- stdout\n${r.stdout.slice(0, 1500)}`;
        expect(r.exitCode, label).toBe(c.exit ?? 2);
        for (const m of c.message) expect(shown, label).toContain(m);
        if (c.line !== undefined && !args.includes('--json')) expect(shown, label).toContain(`${input}:${c.line}`);
        expect(shown, `${label}\nan internal error reached the person`).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)|TypeError|ReferenceError|Cannot read properties/);
        expect(withoutEmptyStateDir(snapshot(dir), before), `${label}\na file changed`).toEqual(before);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
