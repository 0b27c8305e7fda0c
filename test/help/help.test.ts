/**
 * The first minute: --help for every command with examples that parse, --version, errors that
 * say what to do next, and no colour without a terminal or with NO_COLOR.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main, version } from '../../src/cli.js';
import { COMMANDS, parseArgs, splitCommand } from '../../src/args.js';
import { COMMAND_HELP, MAIN_HELP } from '../../src/help.js';
import { colorEnabled } from '../../src/report/color.js';
import { repoRoot } from '../helpers/cli.js';
import { STEP_IDS } from '../../steps/index.js';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], options: { env?: Record<string, string>; tty?: boolean; stderrTTY?: boolean } = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const out = { write: (s: string) => ((stdout += s), true), isTTY: options.tty ?? false } as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  const err = { write: (s: string) => ((stderr += s), true), isTTY: options.stderrTTY ?? false } as unknown as NodeJS.WritableStream;
  const code = await main(argv, { stdout: out, stderr: err, stdinIsTTY: options.tty ?? false, env: options.env ?? {}, version: version() });
  return { code, stdout, stderr };
}

const USER_COMMANDS = ['learn', 'check', 'fix', 'undo', 'report', 'export', 'steps', 'explain', 'plugin'];

/** The example command lines of a help text. */
function examples(text: string): string[] {
  const at = text.indexOf('Examples:');
  if (at < 0) return [];
  return text
    .slice(at)
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.replace(/\s{2,}.*$/, '').replace(/\s*>\s*\S+$/, ''));
}

describe('--help', () => {
  it('the main help lists every command and every option the parser knows', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(MAIN_HELP);
    }
    for (const command of USER_COMMANDS) expect(MAIN_HELP).toMatch(new RegExp(`docker-harden ${command}\\b`));
    const flags = [...readFileSync(path.join(repoRoot, 'src', 'args.ts'), 'utf8').matchAll(/^\s+'(--?[a-zA-Z-]+)': '/gm)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(15);
    for (const flag of flags) expect(MAIN_HELP, flag).toMatch(new RegExp(`(^|[\\s,])${flag}\\b`, 'm'));
  });

  it.each(USER_COMMANDS)('%s --help: usage, what it does, examples; the same as help COMMAND', async (command) => {
    const r = await run([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: docker-harden ${command}\\b`));
    expect(r.stdout).toContain('Examples:');
    expect(examples(r.stdout).length).toBeGreaterThan(0);
    expect((await run(['help', command])).stdout).toBe(r.stdout);
    expect((await run([command, '-h'])).stdout).toBe(r.stdout);
  });

  it('every example in every help text parses to a known command', () => {
    const all = [MAIN_HELP, ...Object.values(COMMAND_HELP)].flatMap(examples);
    expect(all.length).toBeGreaterThan(30);
    for (const line of all) {
      const words = splitCommand(line.replace(/^sudo /, '').replace(/^[A-Z_]+=\S+ /, ''));
      if (words[0] === 'docker' && words[1] === 'harden') words.splice(0, 2, 'docker-harden');
      expect(words[0], line).toBe('docker-harden');
      const args = parseArgs(words.slice(1));
      expect(COMMANDS, line).toContain(args.command);
    }
  });

  it('has help for each command the parser accepts, except the internal ones', () => {
    const internal = ['wizard', 'help', 'docker-cli-plugin-metadata'];
    expect(Object.keys(COMMAND_HELP).sort()).toEqual(COMMANDS.filter((c) => !internal.includes(c)).sort());
  });
});

describe('--version', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`docker-harden ${pkg.version}\n`);
    }
  });
});

describe('steps', () => {
  it("lists every step of the registry with a scope that follows the kinds of target it checks", async () => {
    const r = await run(['steps', '--json']);
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout) as { id: string; scope: string }[];
    expect(listed.map((s) => s.id)).toEqual(STEP_IDS);
    const scope = Object.fromEntries(listed.map((s) => [s.id, s.scope]));
    // Host only; files only; both (step 4 checks running containers' users as well as Dockerfiles).
    expect([scope['scan-host-config'], scope['slim-base-image'], scope['non-root-user'], scope['use-docker-defaults']]).toEqual(['host', 'dockerfile', 'both', 'both']);
  });
});

describe('errors say what to do next (exit 2)', () => {
  it.each([
    [['frobnicate'], /unknown command "frobnicate"[\s\S]*Commands: learn, check, fix, undo, steps, report, export, explain, plugin/],
    [['check', '--frob'], /unknown option --frob[\s\S]*docker-harden --help/],
    [['check', '--file'], /--file needs a value[\s\S]*For example: --file \.\/Dockerfile/],
    [['fix', '--sandbox'], /--sandbox needs a value[\s\S]*For example: --sandbox \.\/docker-harden-learn/],
    // `check` with no target takes what is in the folder it runs in (here, this repository): test/discover.test.ts.
    [['check', '/no/such/folder/'], /\/no\/such\/folder\/: folder not found[\s\S]*Check the path/],
    [['check', '--file', '/no/such/Dockerfile'], /\/no\/such\/Dockerfile: Dockerfile not found[\s\S]*Check the path/],
    [['check', '--only', 'no-such-step', '--file', 'x'], /unknown step "no-such-step"[\s\S]*docker-harden steps/],
    [['report', '--format', 'pdf', '--file', 'x'], /unknown report format "pdf"[\s\S]*--format text, md, json or sarif/],
    [['plugin', 'launch'], /unknown plugin action "launch"[\s\S]*plugin install/],
  ])('%j', async (argv, message) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^docker-harden: /);
    expect(r.stderr).toMatch(message as RegExp);
  });
});

describe('colours', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-help-colour-'));
  const dockerfile = path.join(dir, 'Dockerfile');
  writeFileSync(dockerfile, 'FROM node:20\n');
  const check = ['check', '--file', dockerfile, '--only', 'non-root-user'];
  const ansi = /\u001b\[\d+m/;

  it('are off without a terminal, on in one, and off again with NO_COLOR or --no-color', async () => {
    expect((await run(check)).stdout).not.toMatch(ansi);
    expect((await run(check, { tty: true })).stdout).toMatch(ansi);
    expect((await run(check, { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ansi);
    expect((await run([...check, '--no-color'], { tty: true })).stdout).not.toMatch(ansi);
  });

  it('progress of the checks goes to a terminal on stderr, never to stdout, a pipe or CI', async () => {
    const shown = await run(check, { stderrTTY: true });
    expect(shown.stderr).toContain('checking 1/1: ');
    expect(shown.stderr).toMatch(/\r\u001b\[2K$/);
    expect(shown.stdout).not.toContain('checking 1/1');
    expect((await run(check)).stderr).toBe('');
    expect((await run(check, { stderrTTY: true, env: { CI: 'true' } })).stderr).toBe('');
  });

  it('NO_COLOR wins over FORCE_COLOR; FORCE_COLOR colours a pipe', () => {
    expect(colorEnabled({ NO_COLOR: '', FORCE_COLOR: '1' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '0' }, true)).toBe(true);
    expect(colorEnabled({}, false)).toBe(false);
  });
});
