/**
 * The Dockerfile side of docker-harden through the real command line (`node bin/docker-harden.js`
 * over the built dist/): check, fix --yes, a second fix, bytes outside the edit, bad inputs.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diffLines } from 'diff';
import { ensureBuilt, runCli } from './helpers/cli.js';

const FILE_STEPS = 'non-root-user,slim-base-image,multi-stage-build';
const DEBIAN_USER = 'RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-cli-df-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface JsonResult {
  step: string;
  status: string;
  target: string;
  findings: { message: string; file?: string; line?: number }[];
  fix?: { changes: { path: string; diff: string }[] };
}

function parseResults(stdout: string): JsonResult[] {
  return (JSON.parse(stdout) as { tool: string; results: JsonResult[] }).results;
}

/** Removed and added lines between two texts, each without its line ending. */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const split = (v: string) => v.split(/(?<=\r\n|\n)/).filter(Boolean).map((l) => l.replace(/\r?\n$/, ''));
  const parts = diffLines(before, after);
  return { removed: parts.filter((p) => p.removed).flatMap((p) => split(p.value)), added: parts.filter((p) => p.added).flatMap((p) => split(p.value)) };
}

const rootCases: { name: string; text: string; line: number; removed: string[]; added: string[] }[] = [
  {
    name: 'no USER',
    text: 'FROM debian:bookworm-slim\n# tools\nRUN apt-get update && \\\n    apt-get install -y --no-install-recommends curl\nCOPY app /app\nCMD ["/app"]\n',
    line: 1,
    removed: [],
    added: [DEBIAN_USER, 'USER 10001:10001'],
  },
  { name: 'USER root', text: 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nUSER root\nCMD ["node", "index.js"]\n', line: 4, removed: ['USER root'], added: ['USER node'] },
  {
    name: 'USER 0:0 in a CRLF file with a backtick escape',
    text: '# escape=`\r\nFROM alpine:3.20\r\nRUN apk add --no-cache `\r\n    python3\r\nUSER 0:0\r\nENTRYPOINT ["python3"]\r\n',
    line: 5,
    removed: ['USER 0:0'],
    added: ['RUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app', 'USER 10001:10001'],
  },
  {
    name: 'root inherited from an earlier stage',
    text: 'FROM debian:bookworm-slim AS base\nUSER root\nRUN apt-get update\n\nFROM base\nCOPY app /app\nCMD ["/app"]\n',
    line: 2,
    removed: [],
    added: [DEBIAN_USER, 'USER 10001:10001'],
  },
];

describe('check and fix a Dockerfile whose final user is root', () => {
  it.each(rootCases)('$name', async ({ name, text, line, removed, added }) => {
    const caseDir = path.join(dir, name.replace(/[^a-z0-9]+/gi, '-'));
    mkdirSync(caseDir);
    const file = path.join(caseDir, 'Dockerfile');
    const state = path.join(caseDir, 'state');
    writeFileSync(file, text);

    const check = await runCli(['check', '--file', file, '--json', '--only', 'non-root-user']);
    expect(check.exitCode, check.stderr).toBe(1);
    const [result] = parseResults(check.stdout);
    expect(result).toMatchObject({ step: 'non-root-user', status: 'fail', target: file });
    expect(result!.findings[0]).toMatchObject({ file, line });

    const fix = await runCli(['fix', '--file', file, '--yes', '--include-review', '--state-dir', state, '--only', 'non-root-user']);
    expect(fix.exitCode, fix.stdout + fix.stderr).toBe(0);
    expect(fix.stdout).toContain('applied; the check now passes');
    expect(fix.stdout.trimEnd().split('\n').at(-1)).toBe('fix: 1 fix applied; no check fails or warns');
    const fixed = readFileSync(file, 'utf8');
    expect(changedLines(text, fixed)).toEqual({ removed, added });
    if (text.includes('\r\n')) expect(fixed.replace(/\r\n/g, '')).not.toMatch(/\n/);
    // Shown without a \x0d on each line; the JSON diff keeps the file's own line endings.
    if (text.includes('\r\n')) expect([fix.stdout.includes('\\x0d'), fix.stdout.includes('\\ CRLF line endings, kept')]).toEqual([false, true]);
    if (text.includes('\r\n')) expect(result!.fix!.changes[0]!.diff).toContain('\r\n');

    const again = await runCli(['check', '--file', file, '--json', '--only', 'non-root-user']);
    expect(again.exitCode, again.stdout).toBe(0);
    expect(parseResults(again.stdout)[0]!.status).toBe('pass');

    const before = statSync(file);
    const second = await runCli(['fix', '--file', file, '--yes', '--include-review', '--state-dir', state, '--only', 'non-root-user']);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).not.toContain('wrote');
    expect(second.stdout).toBe('fix: nothing applied; no check fails or warns');
    expect(readFileSync(file, 'utf8')).toBe(fixed);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
  });
});

describe('the last line of fix says where the run ended', () => {
  it('a finding with no fix here leaves exit 1, and fix says a check still warns instead of printing nothing', async () => {
    const caseDir = path.join(dir, 'no-fix-here');
    mkdirSync(caseDir);
    const file = path.join(caseDir, 'Dockerfile');
    writeFileSync(file, 'FROM node:20\nUSER node\nCMD ["node", "server.js"]\n');
    // No daemon to read the digest from: the unpinned base image is a warning with nothing to apply.
    const env = { DOCKER_HOST: `unix://${path.join(caseDir, 'none.sock')}` };
    const fix = await runCli(['fix', '--file', file, '--yes', '--state-dir', path.join(caseDir, 'state'), '--only', 'content-trust'], { env });
    expect(fix.exitCode, fix.stdout + fix.stderr).toBe(1);
    expect(fix.stdout).toBe('fix: nothing applied; 1 check still fails or warns (docker-harden check shows why)');
    expect(readFileSync(file, 'utf8')).toBe('FROM node:20\nUSER node\nCMD ["node", "server.js"]\n');
  });

  it('a fix named with --only that is not proposed is said, with what the check proposes instead', async () => {
    const caseDir = path.join(dir, 'named-not-proposed');
    mkdirSync(caseDir);
    const file = path.join(caseDir, 'Dockerfile');
    const state = path.join(caseDir, 'state');
    const text = 'FROM node:20\nCMD ["node", "server.js"]\n';
    writeFileSync(file, text);
    const typo = await runCli(['fix', '--file', file, '--yes', '--state-dir', state, '--only', 'non-root-user:set-usr']);
    expect(typo.exitCode, typo.stdout + typo.stderr).toBe(1);
    expect(typo.stdout).toContain('Run as a non-root user: no fix "set-usr" here (this check proposes set-user); docker-harden check --only non-root-user shows why');
    expect(readFileSync(file, 'utf8')).toBe(text);
    // Applied, then named again: nothing left to propose, and it says so.
    expect((await runCli(['fix', '--file', file, '--yes', '--state-dir', state, '--only', 'non-root-user:set-user'])).exitCode).toBe(0);
    const again = await runCli(['fix', '--file', file, '--yes', '--state-dir', state, '--only', 'non-root-user:set-user']);
    expect(again.stdout.split('\n')).toEqual(['Run as a non-root user: no fix "set-user" here (this check proposes no fix); docker-harden check --only non-root-user shows why', 'fix: nothing applied; no check fails or warns']);
  });
});

describe('the three file steps together', () => {
  it('a multi-stage Dockerfile whose final stage runs as non-root passes all three', async () => {
    const file = path.join(dir, 'multi.Dockerfile');
    writeFileSync(
      file,
      'FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app ./cmd/app\n\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /out/app /app\nUSER nonroot\nENTRYPOINT ["/app"]\n',
    );
    const r = await runCli(['check', '--file', file, '--json', '--only', FILE_STEPS]);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(parseResults(r.stdout).map((x) => [x.step, x.status])).toEqual([
      ['non-root-user', 'pass'],
      ['slim-base-image', 'pass'],
      ['multi-stage-build', 'pass'],
    ]);
  });

  it('fix --yes walks a single-stage Node build to a passing multi-stage file', async () => {
    const file = path.join(dir, 'node.Dockerfile');
    const state = path.join(dir, 'node-state');
    writeFileSync(file, 'FROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nEXPOSE 3000\nCMD ["node", "dist/server.js"]\n');
    const fix = await runCli(['fix', '--file', file, '--yes', '--include-review', '--state-dir', state, '--only', FILE_STEPS]);
    expect(fix.exitCode, fix.stdout + fix.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('FROM node:20-slim AS build');
    expect(text).toContain('COPY --from=build /app/dist /app/dist\nUSER node\nEXPOSE 3000\nCMD ["node", "dist/server.js"]\n');
    const check = await runCli(['check', '--file', file, '--json', '--only', FILE_STEPS]);
    expect(parseResults(check.stdout).every((x) => x.status === 'pass')).toBe(true);
    expect(check.exitCode).toBe(0);
    // Each change can be undone, newest first, back to the original bytes.
    for (let i = 0; i < 3; i++) expect((await runCli(['undo', '--yes', '--state-dir', state])).exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('FROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nEXPOSE 3000\nCMD ["node", "dist/server.js"]\n');
  });
});

/** Names and mtimes of everything under a directory. */
function snapshot(root: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      out[path.relative(root, full)] = statSync(full).mtimeMs;
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out;
}

describe('bad input: a clear message, exit 2, nothing written', () => {
  let bad: string;
  beforeAll(() => {
    bad = path.join(dir, 'bad');
    mkdirSync(bad);
    mkdirSync(path.join(bad, 'folder'));
    // The start of a real executable: NUL bytes, as any binary has.
    writeFileSync(path.join(bad, 'binary'), readFileSync(process.execPath).subarray(0, 64 * 1024));
    writeFileSync(path.join(bad, 'notes.txt'), 'Shopping list\n- milk\n- bread\n');
    writeFileSync(path.join(bad, 'empty'), '');
  });

  const cases: { name: string; file: string; message: RegExp }[] = [
    { name: 'a path that does not exist', file: 'missing/Dockerfile', message: /not found/ },
    { name: 'a directory', file: 'folder', message: /is a directory/ },
    { name: 'a binary file', file: 'binary', message: /binary file, not a Dockerfile/ },
    { name: 'text that is not a Dockerfile', file: 'notes.txt', message: /is not a Dockerfile/ },
    { name: 'an empty file', file: 'empty', message: /is empty/ },
  ];
  it.each(cases)('$name', async ({ file, message }) => {
    const full = path.join(bad, file);
    const state = path.join(bad, 'state');
    const before = snapshot(bad);
    for (const args of [
      ['check', '--file', full, '--json'],
      ['check', '--file', full, '--only', FILE_STEPS],
      ['fix', '--file', full, '--yes', '--include-review', '--state-dir', state],
      ['fix', '--file', full, '--dry-run'],
    ]) {
      const r = await runCli(args);
      expect(r.exitCode, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain(full);
      expect(r.stderr.split('\n').length, 'a message and a hint').toBeGreaterThanOrEqual(2);
      expect(r.stdout).toBe('');
    }
    expect(snapshot(bad)).toEqual(before);
  });
});

describe('fix --yes with a document format', () => {
  it.each([
    { flag: ['--json'], says: '--json is for check and fix --dry-run' },
    { flag: ['--sarif'], says: '--sarif is for check and fix --dry-run' },
    { flag: ['--format', 'md'], says: '--format md is for check and fix --dry-run' },
  ])('$flag: exit 2, says to run check for the document, changes nothing', async ({ flag, says }) => {
    const file = path.join(dir, `format-${flag.join('-').replace(/-/g, '')}.Dockerfile`);
    writeFileSync(file, 'FROM node:20\nCMD ["node", "server.js"]\n');
    const state = path.join(dir, `format-state-${flag.join('')}`);
    const r = await runCli(['fix', '--file', file, '--yes', '--only', 'non-root-user', '--state-dir', state, ...flag]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(says);
    expect(r.stderr).toMatch(/docker-harden check --(json|sarif)/);
    expect(r.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('FROM node:20\nCMD ["node", "server.js"]\n');
    expect(existsSync(state)).toBe(false);
  });

  it('--dry-run --json still prints the results with their diffs', async () => {
    const file = path.join(dir, 'format-dry.Dockerfile');
    writeFileSync(file, 'FROM node:20\nCMD ["node", "server.js"]\n');
    const r = await runCli(['fix', '--file', file, '--dry-run', '--json', '--only', 'non-root-user']);
    expect(r.exitCode).toBe(1);
    expect(parseResults(r.stdout)[0]!.fix!.changes[0]!.diff).toContain('+USER node');
  });
});

describe('fix without a terminal', () => {
  it('exits 2 and says to pass --yes or --dry-run, changing nothing', async () => {
    const file = path.join(dir, 'noterm.Dockerfile');
    writeFileSync(file, 'FROM debian:bookworm\nCMD ["sh"]\n');
    const before = statSync(file).mtimeMs;
    const r = await runCli(['fix', '--file', file, '--state-dir', path.join(dir, 'noterm-state')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(r.stderr).toMatch(/--dry-run/);
    expect(readFileSync(file, 'utf8')).toBe('FROM debian:bookworm\nCMD ["sh"]\n');
    expect(statSync(file).mtimeMs).toBe(before);
  });
  it('--dry-run prints the diffs and writes nothing', async () => {
    const file = path.join(dir, 'dry.Dockerfile');
    writeFileSync(file, 'FROM debian:bookworm\nCMD ["sh"]\n');
    const r = await runCli(['fix', '--file', file, '--dry-run', '--only', 'non-root-user']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('+USER 10001:10001');
    expect(readFileSync(file, 'utf8')).toBe('FROM debian:bookworm\nCMD ["sh"]\n');
  });
  it('--dry-run explains each fix as the wizard does: what a review fix may break, what advice says to do, a choice as a choice', async () => {
    const file = path.join(dir, 'explained.Dockerfile');
    const text = 'FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nEXPOSE 8000\nCMD ["/app/server", "--port", "8000"]\n';
    writeFileSync(file, text);
    const only = ['--only', 'non-root-user,healthcheck,security-platforms'];
    const r = await runCli(['fix', '--file', file, '--dry-run', ...only]);
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = r.stdout.split('\n');
    const after = (start: RegExp) => lines[lines.findIndex((l) => start.test(l)) + 1] ?? '';
    // The review fix: how it may break (files COPY put there belong to root), right under its title.
    expect(after(/fix: Run the final stage as 10001:10001 .*\[review\]/)).toMatch(/^ {6}Adds `USER 10001:10001`.*belong to root/);
    // Advice is never written: its text is the fix, so it is shown.
    expect(after(/fix: Add a HEALTHCHECK .*\[advice\]/)).toMatch(/^ {6}docker-harden does not know a probe this image carries\. Add one before line 5/);
    // A choice is applied only when named: labelled as a choice, not as a safe fix.
    expect(r.stdout).toMatch(/fix: Keep to open tools \(security-platforms:open-tools\) \[choice\]/);
    expect(r.stdout).not.toMatch(/security-platforms:\S+\) \[safe\]/);
    const json = await runCli(['fix', '--file', file, '--dry-run', '--json', ...only]);
    const proposals = (JSON.parse(json.stdout) as { results: { step: string; fix?: { proposals: { id: string; kind: string; description?: string }[] } }[] }).results.flatMap((x) => x.fix?.proposals ?? []);
    expect(proposals.find((p) => p.id === 'add-healthcheck')).toMatchObject({ kind: 'advice', description: expect.stringContaining('Add one before line 5') });
    expect(proposals.find((p) => p.id === 'set-user')?.description).toContain('belong to root');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('--dry-run marks an alternative as one: of the USER change and the one that also gives the app its folder, fix applies one', async () => {
    const file = path.join(dir, 'alternatives.Dockerfile');
    writeFileSync(file, 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n');
    const r = await runCli(['fix', '--file', file, '--dry-run', '--only', 'non-root-user']);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => /fix: Run the final stage as node, owning \/app \(non-root-user:set-user-own-folder\) \[review\]/.test(l));
    expect(lines[at + 1]).toBe("      an alternative to non-root-user:set-user: fix applies at most one of them, the first unless another is named with --only or --verify's proof refuses the first");
    // The first of them is not marked.
    expect(lines.filter((l) => l.includes('an alternative to'))).toHaveLength(1);
  });
});
