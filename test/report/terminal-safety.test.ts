/**
 * No terminal injection: OSC title (0), clipboard (52) and link (8) sequences in a Dockerfile
 * comment, a compose service name, a daemon.json key and the daemon's words reach no terminal
 * raw, in text output, the Markdown report, error messages and the wizard's state; each control
 * character is shown visibly (`\x1b`). (A container name from the daemon: test/host/hostile-api.)
 * --json keeps the raw value, JSON-escaped, as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { safeLine, safeText } from '../../src/core/sanitize.js';
import { UserError, formatError } from '../../src/core/errors.js';
import { buildReport, renderReportMarkdown } from '../../src/report/markdown.js';
import { emptyProfile } from '../../src/core/profile.js';
import { diffLines } from '../../src/ui/layout.js';
import { createEffectRunner } from '../../src/ui/effects.js';
import type { Action } from '../../src/ui/reducer.js';
import type { StepRun } from '../../src/core/runner.js';
import type { Walk } from '../../src/core/walk.js';

const OSC = '\u001b]0;PWNED\u0007 \u001b]52;c;ZXZpbA==\u0007 \u001b]8;;http://evil.example\u0007x\u001b]8;;\u0007';
const SHOWN = '\\x1b]0;PWNED\\x07 \\x1b]52;c;ZXZpbA==\\x07 \\x1b]8;;http://evil.example\\x07x\\x1b]8;;\\x07';
/** Any C0 control but newline, DEL or C1: what must never reach the terminal from a file. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-terminal-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safeText', () => {
  it('shows C0, DEL, C1 and bidi controls visibly and keeps newlines and tabs', () => {
    expect(safeText(`a${OSC}\nb\tc\u009b31m\u202e`)).toBe(`a${SHOWN}\nb\tc\\x9b31m\\u202e`);
    expect(safeLine('a\nb\tc\rd')).toBe('a\\x0ab\\x09c\\x0dd');
    expect(safeText('plain text, ünïcödé, 日本語 ✔')).toBe('plain text, ünïcödé, 日本語 ✔');
  });
});

describe('through the command line (text output)', () => {
  it('a Dockerfile comment in a fix diff', async () => {
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, `FROM debian:bookworm\n# ${OSC}\nRUN echo hi\n`);
    const r = await runCli(['fix', '--file', file, '--only', 'non-root-user', '--dry-run', '--state-dir', path.join(dir, 's1')]);
    expect(r.stdout).toContain(`# ${SHOWN}`);
    expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
  });

  it('a compose service name in findings', async () => {
    const file = path.join(dir, 'compose.yaml');
    writeFileSync(file, `services:\n  ${JSON.stringify(`web${OSC}`)}:\n    image: nginx\n    privileged: true\n`);
    const r = await runCli(['check', '--compose', file, '--only', 'use-docker-defaults', '--state-dir', path.join(dir, 's2')]);
    expect(r.stdout).toContain(`service web${SHOWN} runs privileged`);
    expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
    const json = await runCli(['check', '--compose', file, '--only', 'use-docker-defaults', '--json', '--state-dir', path.join(dir, 's2')]);
    expect(json.stdout).toContain('web\\u001b]0;PWNED\\u0007');
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain('\\u001b]0;PWNED');
  });

  it('a daemon.json key in the error that names it', async () => {
    const file = path.join(dir, 'daemon.json');
    writeFileSync(file, JSON.stringify({ icc: false, [`x${OSC}`]: 1 }));
    const r = await runCli(['check', '--host', '--only', 'protect-docker-socket', '--daemon-config', file, '--docker-host', `unix://${dir}/none.sock`, '--state-dir', path.join(dir, 's3')]);
    expect(r.stdout).toContain(`unknown key "x${SHOWN}"`);
    expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
  });

  it("a fix's id, a file name with a newline in its diff, and undo's list and lines: shown, never acted on, no line injected", async () => {
    // A folder name cannot hold the link sequence's slashes: a title sequence.
    const sub = path.join(dir, 'proj\u001b]0;T\u0007');
    mkdirSync(sub);
    const compose = path.join(sub, 'compose.yaml');
    writeFileSync(compose, `services:\n  ${JSON.stringify(`we${OSC}b`)}:\n    image: nginx\n    privileged: true\n`);
    const dockerfile = path.join(sub, 'Dockerfile.x\n✔ pass  all good');
    writeFileSync(dockerfile, 'FROM debian:bookworm\nCMD ["app"]\n');
    const state = path.join(dir, 's5');
    const dry = await runCli(['fix', '--compose', compose, '--only', 'use-docker-defaults', '--dry-run', '--state-dir', state]);
    expect(dry.stdout).toContain(`(use-docker-defaults:we${SHOWN}b-privileged)`);
    const fixed = await runCli(['fix', '--file', dockerfile, '--only', 'non-root-user', '--include-review', '--yes', '--state-dir', state]);
    expect(fixed.stdout).toContain('Dockerfile.x\\x0a✔ pass  all good');
    const applied = await runCli(['fix', '--compose', compose, '--only', 'use-docker-defaults', '--include-review', '--yes', '--state-dir', state]);
    const list = await runCli(['undo', '--list', '--state-dir', state]);
    expect(list.stdout).toContain(`Service we${SHOWN}b`);
    const undone = await runCli(['undo', '--yes', '--state-dir', state]);
    expect(undone.stdout).toContain(`undid Service we${SHOWN}b`);
    for (const r of [dry, fixed, applied, list, undone]) {
      expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
      // The name's newline never starts a line of its own.
      expect((r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('✔ pass  all good'))).toEqual([]);
    }
  });

  it("the Docker plugin's --debug line: DOCKER_HOST and DOCKER_CONFIG shown, never acted on", async () => {
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM debian:bookworm\n');
    const env = { DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker', DOCKER_HOST: 'unix:///tmp/x\u001b]0;OWNED\u0007.sock', DOCKER_CONFIG: `${dir}/c\u001b[2J` };
    const r = await runCli(['--debug', 'harden', 'check', '--file', file, '--state-dir', path.join(dir, 's6')], { env });
    expect(r.stderr).toContain('debug: daemon from DOCKER_HOST unix:///tmp/x\\x1b]0;OWNED\\x07.sock; docker config');
    expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
  });

  it('a path in an error message (stderr)', async () => {
    const r = await runCli(['check', '--file', `${dir}/missing\u001b]0;PWNED\u0007`, '--state-dir', path.join(dir, 's4')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('missing\\x1b]0;PWNED\\x07');
    expect(r.stderr).not.toMatch(RAW_CONTROL);
  });
});

function hostileRun(): StepRun {
  return {
    step: { meta: { id: 'non-root-user', order: 4, title: 'Run as a non-root user', targets: ['dockerfile'] } },
    target: { kind: 'dockerfile', path: '/x/Dockerfile', label: `/x/Dockerfile${OSC}` },
    result: { status: 'fail', findings: [{ message: `stage ${OSC} runs as root`, severity: 'high', file: `/x/Dockerfile`, evidence: `# ${OSC}` }], notes: [`note ${OSC}`] },
    proposals: [
      {
        kind: 'change',
        id: 'set-user',
        title: `Run ${OSC}`,
        warnings: [`warn ${OSC}`],
        description: `desc ${OSC}`,
        changes: [{ path: '/x/Dockerfile', before: `FROM a\n# ${OSC}\n`, after: `FROM a\n# ${OSC}\nUSER 1\n` }],
        commands: [{ title: `cmd ${OSC}`, argv: ['echo', OSC], run: false }],
      },
    ],
  } as unknown as StepRun;
}

describe('the Markdown report, errors and the wizard', () => {
  it('the Markdown report shows the controls visibly', () => {
    const doc = buildReport({ runs: [hostileRun()], profile: emptyProfile(), version: '0', profileFile: '/p.json', stateDir: '/s', undoArgs: '' });
    const md = renderReportMarkdown(doc);
    expect(md).toContain(`stage ${SHOWN} runs as root`);
    expect(md).not.toMatch(RAW_CONTROL);
  });

  it('error messages', () => {
    expect(formatError(new UserError(`bad ${OSC}`, `hint ${OSC}`, `/x${OSC}`, 2))).not.toMatch(RAW_CONTROL);
    expect(formatError(new Error(`daemon said ${OSC}`))).toBe(`daemon said ${SHOWN}`);
  });

  it('the wizard gets results, proposal words, log lines and diffs already safe; what a proposal writes is unchanged', async () => {
    const run = hostileRun();
    const actions: Action[] = [];
    const walk = { check: async () => run, items: [] } as unknown as Walk;
    const runner = createEffectRunner(walk, (a) => actions.push(a), () => undefined);
    runner.run({ kind: 'check', index: 0, why: 'recheck' });
    await runner.idle();
    const checked = actions.find((a) => a.type === 'checked') as Extract<Action, { type: 'checked' }>;
    const { result, proposals } = checked;
    const shown = JSON.stringify({ result, words: proposals.map((p) => [p.title, p.description, p.warnings, p.commands.map((c) => c.title)]) });
    expect(shown).not.toMatch(/\\u001b|\\u0007/);
    expect(result.findings[0]!.message).toBe(`stage ${SHOWN} runs as root`);
    // The change and the argv are what gets written and run: untouched.
    expect(proposals[0]!.changes[0]!.after).toBe(`FROM a\n# ${OSC}\nUSER 1\n`);
    expect(proposals[0]!.commands[0]!.argv).toEqual(['echo', OSC]);
    expect(diffLines(proposals[0]!.changes[0]!).map((l) => l.text).join('\n')).not.toMatch(RAW_CONTROL);
  });

  it('a diff of a CRLF file is shown without a carriage return on each line, said once; one CR among LF lines is still shown', () => {
    const crlf = { path: '/x/Dockerfile', before: 'FROM a\r\nCMD ["x"]\r\n', after: 'FROM a\r\nUSER 1\r\nCMD ["x"]\r\n' };
    expect(diffLines(crlf).map((l) => [l.kind, l.text])).toEqual([
      ['file', '--- /x/Dockerfile'],
      ['file', '+++ /x/Dockerfile'],
      ['hunk', '@@ -1,2 +1,3 @@'],
      ['same', ' FROM a'],
      ['add', '+USER 1'],
      ['same', ' CMD ["x"]'],
      ['note', '\\ CRLF line endings, kept'],
    ]);
    const mixed = { path: '/x/Dockerfile', before: 'FROM a\nCMD ["x"]\r\n', after: 'FROM a\nUSER 1\nCMD ["x"]\r\n' };
    expect(diffLines(mixed).map((l) => l.text)).toContain(' CMD ["x"]\\x0d');
  });
});
