/**
 * Helpful errors: a slip in a command, an option, a step id or a help topic gets the nearest
 * right word; `help nosuch` is exit 2; counts read "1 check", "2 checks" in text and Markdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main, version } from '../../src/cli.js';
import { splitDockerGlobals } from '../../src/args.js';
import { closest, counted } from '../../src/core/suggest.js';
import { formatError } from '../../src/core/errors.js';
import { steps } from '../../steps/index.js';

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = { write: (s: string) => ((stdout += s), true), isTTY: false } as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  const err = { write: (s: string) => ((stderr += s), true), isTTY: false } as unknown as NodeJS.WritableStream;
  const code = await main(argv, { stdout: out, stderr: err, stdinIsTTY: false, env: { NO_COLOR: '1', ...env }, version: version() });
  return { code, stdout, stderr };
}

describe('did you mean', () => {
  it.each([
    [['chek'], 'unknown command "chek"', 'Did you mean "check"?'],
    [['stpes'], 'unknown command "stpes"', 'Did you mean "steps"?'],
    [['learnn'], 'unknown command "learnn"', 'Did you mean "learn"?'],
    [['check', '--fiel', 'Dockerfile'], 'unknown option --fiel', 'Did you mean "--file"?'],
    [['check', '--dryrun'], 'unknown option --dryrun', 'Did you mean "--dry-run"?'],
    [['check', '--jsno'], 'unknown option --jsno', 'Did you mean "--json"?'],
    [['check', '--file', 'Dockerfile', '--only', 'non-rot-user'], 'unknown step "non-rot-user" in --only', 'Did you mean "non-root-user"?'],
    [['check', '--file', 'Dockerfile', '--only', 'slim-base'], 'unknown step "slim-base" in --only', 'Did you mean "slim-base-image"?'],
    [['help', 'chek'], 'no help for "chek"', 'Did you mean "check"?'],
  ])('%j', async (argv, message, suggestion) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(suggestion);
  });

  it('nothing close: no guess, the list instead', async () => {
    const r = await run(['zzzzzz']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/Did you mean/);
    expect(r.stderr).toMatch(/Commands: learn, check, fix, undo, steps, report, export, explain, plugin, help/);
    expect(closest('qqqqqqqq', ['check', 'fix'])).toBeUndefined();
    expect(closest('slim-base', ['slim-base-image', 'scan-host-config'])).toBe('slim-base-image');
  });

  it('help nosuch is exit 2 and names the topics there are; help check is 0', async () => {
    const r = await run(['help', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no help for "nosuch"/);
    expect(r.stderr).toMatch(/Help is there for: explain, check, fix, undo, steps, learn, report, export, plugin\./);
    expect((await run(['help', 'check'])).code).toBe(0);
  });

  it('names from the command line reach the terminal without escape sequences', async () => {
    const r = await run(['check', 'evil\u001b[31mred\u001b]0;title\u0007.txt']);
    expect(r.code).toBe(2);
    // Control characters are shown, made harmless, rather than dropped: the person sees what was there.
    expect(r.stderr).toContain('cannot tell what kind of file "evil\\x1b[31mred\\x1b]0;title\\x07.txt" is');
    expect(r.stderr).not.toMatch(/\u001b|\u0007/);
  });

  it('a Dockerfile named where the command goes: how to check it', async () => {
    const r = await run(['Dockerfile']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/To check that file: docker-harden check Dockerfile/);
  });
});

describe('--verify-wait', () => {
  it.each([
    [['--verify', '--verify-wait', '0'], '--verify-wait takes whole seconds from 1 to 600, not "0"'],
    [['--verify', '--verify-wait', '2.5'], '--verify-wait takes whole seconds from 1 to 600, not "2.5"'],
    [['--verify', '--verify-wait=601'], '--verify-wait takes whole seconds from 1 to 600, not "601"'],
    [['--verify-wait', '30'], '--verify-wait goes with --verify'],
    [['--verify', '--verify-wait'], '--verify-wait needs a value'],
    // The learn sandbox has no daemon of its own: --verify would run containers on this machine's.
    [['--verify', '--sandbox', 'sandbox'], '--verify runs containers on a real Docker daemon, and the learn sandbox has none'],
  ])('fix %j: exit 2, what it takes, nothing changed', async (options, message) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-verify-wait-'));
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM debian:12\nCMD ["sleep", "600"]\n');
    const r = await run(['fix', '--file', file, '--yes', ...options, '--state-dir', path.join(dir, 'state')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(readFileSync(file, 'utf8')).toBe('FROM debian:12\nCMD ["sleep", "600"]\n');
    expect(existsSync(path.join(dir, 'state'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('an option the command does not take', () => {
  it.each([
    [['steps', '--fail-on', 'high'], 'steps does not take --fail-on', 'docker-harden steps takes --json, --format'],
    [['undo', '--json'], 'undo does not take --json', 'docker-harden undo takes --state-dir'],
    [['explain', 'DH-USER-ROOT', '-y'], 'explain does not take --yes', 'docker-harden explain takes --json, --format'],
    [['export', 'ansible', '--host'], 'export does not take --host', 'docker-harden export takes --state-dir, --daemon-config, --out'],
    [['learn', '--file', 'Dockerfile'], 'learn does not take --file', 'docker-harden learn takes --sandbox, --only'],
    [['plugin', 'install', '--yes'], 'plugin does not take --yes', 'docker-harden plugin takes --force'],
    [['check', '--file', 'Dockerfile', '--list'], 'check does not take --list', 'Run `docker-harden check --help`'],
    [['--list'], 'the wizard does not take --list', 'Run `docker-harden --help`'],
  ])('%j: exit 2, the option and what the command takes', async (argv, message, hint) => {
    const state = path.join(mkdtempSync(path.join(os.tmpdir(), 'dh-options-')), 'state');
    // The first option the command does not take is named, whatever follows it.
    const r = await run([...argv, '--state-dir', state]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${message}; nothing was done`);
    expect(r.stderr).toContain(hint);
    expect(existsSync(state)).toBe(false);
    rmSync(path.dirname(state), { recursive: true, force: true });
  });

  it('the options a command takes still work, and --help with any option shows the help', async () => {
    expect((await run(['steps', '--json'])).code).toBe(0);
    expect((await run(['explain', 'DH-USER-ROOT', '--json'])).code).toBe(0);
    const help = await run(['check', '--help', '--list']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: docker-harden check');
  });
});

describe('options that ask for two different things, or for nothing', () => {
  it.each([
    [['check', '--file', 'Dockerfile', '--json', '--sarif'], '--json and --sarif ask for two output formats; nothing was done', 'Pass one of them.'],
    [['check', '--file', 'Dockerfile', '--sarif', '--format', 'json'], '--sarif and --format json ask for two output formats', 'Pass one of them.'],
    [['fix', '--file', 'Dockerfile', '--yes', '--dry-run'], 'fix --yes applies and --dry-run only shows: they ask for two different things; nothing was done', 'Pass --dry-run to see the diffs, or --yes'],
    [['undo', 'a1', 'b2', '--yes'], 'undo takes one change id, not 2 (a1, b2); nothing was undone', 'newest first'],
    [['check', '--file', 'Dockerfile', '--only', ''], '--only needs at least one step id; nothing was done', '`docker-harden steps` lists them'],
  ])('%j: exit 2, saying which', async (argv, message, hint) => {
    const state = path.join(mkdtempSync(path.join(os.tmpdir(), 'dh-options-')), 'state');
    const r = await run([...argv, '--state-dir', state]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(hint);
    expect(existsSync(state)).toBe(false);
    rmSync(path.dirname(state), { recursive: true, force: true });
  });

  it('one format asked twice the same way is one format', async () => {
    expect((await run(['steps', '--json', '--format', 'json'])).code).toBe(0);
  });
});

describe('counted nouns', () => {
  it.each([
    [0, 'check', '0 checks'],
    [1, 'check', '1 check'],
    [2, 'check', '2 checks'],
    [1, 'applied change', '1 applied change'],
  ])('%i %s', (n, noun, text) => {
    expect(counted(n, noun)).toBe(text);
  });

  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-plural-'));
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM node:20\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the check summary says "1 check" for one and "2 checks" for two', async () => {
    const file = path.join(dir, 'Dockerfile');
    const one = await run(['check', file, '--only', 'non-root-user']);
    expect(one.stdout).toMatch(/^1 check: 1 fail$/m);
    const two = await run(['check', file, '--only', 'non-root-user,slim-base-image']);
    expect(two.stdout).toMatch(/^2 checks: 2 fail$/m);
  });

  it('the Markdown report says "1 check"', async () => {
    const r = await run(['report', '--file', path.join(dir, 'Dockerfile'), '--only', 'non-root-user', '--format', 'md', '--state-dir', path.join(dir, 'state')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\b1 check: /);
    expect(r.stdout).not.toMatch(/\b1 checks\b/);
  });
});

describe("docker's global flags, as the plugin receives them", () => {
  it('splits the flags before the plugin name from the rest', () => {
    expect(splitDockerGlobals(['--context', 'prod', '-D', '--tlsverify=false', 'harden', 'check', '--host'])).toEqual({
      globals: { context: 'prod', debug: true, tls: false, tlsverify: false },
      rest: ['check', '--host'],
    });
    expect(splitDockerGlobals(['-H', 'unix:///x.sock', '-l', 'warn', 'harden'])!.globals).toMatchObject({ host: 'unix:///x.sock', logLevel: 'warn' });
  });

  it('leaves an argv without the plugin name alone (the metadata call, a run by hand)', () => {
    expect(splitDockerGlobals(['docker-cli-plugin-metadata'])).toBeNull();
    expect(splitDockerGlobals(['check', '--host'])).toBeNull();
    expect(splitDockerGlobals(['--context', 'x', 'check'])).toBeNull();
  });

  it('refuses --context with --host, and a log level docker does not have', () => {
    expect(() => splitDockerGlobals(['--context', 'a', '-H', 'unix:///b', 'harden'])).toThrow(/both --context and --host/);
    const formatted = (() => {
      try {
        splitDockerGlobals(['--log-level', 'warnn', 'harden']);
        return 'no error';
      } catch (err) {
        return formatError(err);
      }
    })();
    expect(formatted).toMatch(/--log-level takes debug, info, warn, error, fatal, not "warnn"\n {2}Did you mean "warn"\?/);
  });

  it('without DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND docker-harden does not take docker flags', async () => {
    const r = await run(['--context', 'x', 'harden', 'steps']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --context/);
    const plugin = await run(['--context', 'default', 'harden', 'steps'], { DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker' });
    expect(plugin.code, plugin.stderr).toBe(0);
    expect(plugin.stdout.trim().split('\n')).toHaveLength(steps.length);
  });
});
