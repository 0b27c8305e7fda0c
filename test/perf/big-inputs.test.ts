/**
 * Big inputs give the same answers the small ones do: the shortcuts that make them fast (one
 * compose parse for a run's edits, diffs made from edits, arguments computed once, look-ups cached
 * for a run) must not change a result. No timing here: `npm run bench` measures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FILE_HEADERS_ONLY, applyPatch, formatPatch, structuredPatch } from 'diff';
import { ensureBuilt, repoRoot, runCli } from '../helpers/cli.js';
import { editService, editServices, type ServiceEdit } from '../../src/compose/edit.js';
import { createSession } from '../../src/app/session.js';
import { steps } from '../../steps/index.js';
import { runStep } from '../../src/core/runner.js';
import { unifiedDiff, writeFileAtomic } from '../../src/core/change.js';
import { parseDockerfile } from '../../src/dockerfile/model.js';
import { parseAst } from '../../src/dockerfile/ast.js';
import { runCommands } from '../../src/dockerfile/commands.js';
import { systemProbe } from '../../src/core/probe.js';
import { oneRun } from '../../src/core/writes.js';
import { ciFiles, findRepoRoot } from '../../steps/lib/supply-chain.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-big-'));
  await ensureBuilt();
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IMAGES = ['nginx:1.27', 'redis:7', 'postgres:16', 'node:20'];

function composeText(count: number): string {
  let text = '# services of a big deployment\nservices:\n';
  for (let i = 0; i < count; i++) {
    text += `  svc${i}:\n    image: ${IMAGES[i % IMAGES.length]}\n`;
    if (i % 2 === 0) text += `    ports:\n      - "${8000 + i}:80"\n`;
    if (i % 5 === 0) text += '    cap_drop: [NET_RAW]\n';
    if (i % 7 === 0) text += '    security_opt:\n      - apparmor:docker-default\n';
    text += `    volumes:\n      - ./data${i}:/data\n`;
  }
  return text;
}

/** The lines of service `svc<i>` in a file made by composeText. */
function serviceBlock(text: string, i: number): string {
  const start = text.indexOf(`  svc${i}:\n`);
  const next = text.indexOf('\n  svc', start + 1);
  return text.slice(start, next === -1 ? text.length : next + 1);
}

/** The service edits of the proposals a step makes for a compose file, in their order. */
async function proposedEdits(file: string, stepId: string): Promise<{ service: string; edits: ServiceEdit[] }[]> {
  const session = createSession({ registry: steps, composeFiles: [file], only: [stepId], stateDir: path.join(dir, 'state-propose'), env: { PATH: process.env.PATH } });
  const [pair] = session.pairs();
  const run = await runStep(pair!.step, pair!.ctx);
  return run.proposals.filter((p) => p.risk !== 'advice' && p.changes[0]?.compose).map((p) => p.changes[0]!.compose!);
}

describe('a compose file of 1,000 services', () => {
  it('fix --yes writes what fixing one proposal at a time gives, and the check then passes', async () => {
    const text = composeText(1000);
    const file = path.join(dir, 'compose.yaml');
    writeFileSync(file, text);
    // Each service alone in a small file, its proposals applied one at a time (how fix worked
    // before); the services are independent, so the big file's result is those put together.
    const proposed = await proposedEdits(file, 'seccomp-apparmor-capabilities');
    expect(proposed.length).toBeGreaterThan(2500);
    let expected = '# services of a big deployment\nservices:\n';
    for (let i = 0; i < 1000; i++) {
      let small = `services:\n${serviceBlock(text, i)}`;
      for (const { service, edits } of proposed.filter((p) => p.service === `svc${i}`)) small = editService(small, service, edits);
      expected += small.slice('services:\n'.length);
    }
    const env = { DOCKER_HARDEN_STATE_DIR: path.join(dir, 'state-compose'), CI: '1' };
    const fix = await runCli(['fix', '--yes', '--include-review', '--only', 'seccomp-apparmor-capabilities', '--compose', file], { env, timeoutMs: 240_000 });
    expect(fix.stderr).toBe('');
    expect(fix.stdout).toContain('applied; the check now passes');
    // Applied as one change, counted as the fixes it holds.
    expect(fix.stdout.trimEnd().split('\n').at(-1)).toBe(`fix: ${proposed.length} fixes applied; no check fails or warns`);
    expect(readFileSync(file, 'utf8')).toBe(expected);
    const check = await runCli(['check', '--json', '--only', 'seccomp-apparmor-capabilities', '--compose', file], { env, timeoutMs: 240_000 });
    const doc = JSON.parse(check.stdout) as { results: { status: string; notes?: string[] }[] };
    expect(doc.results[0]!.status).toBe('pass');
    expect(doc.results[0]!.notes).toContain('1000 services checked');
  }, 600_000);

  it('edits of many services made on one parse equal the same edits made one service at a time', async () => {
    const text = composeText(100);
    const file = path.join(dir, 'compose-100.yaml');
    writeFileSync(file, text);
    const byService = new Map<string, ServiceEdit[]>();
    for (const { service, edits } of await proposedEdits(file, 'seccomp-apparmor-capabilities')) byService.set(service, [...(byService.get(service) ?? []), ...edits]);
    const list = [...byService].map(([service, edits]) => ({ service, edits }));
    expect(list).toHaveLength(100);
    let oneByOne = text;
    for (const { service, edits } of list) oneByOne = editService(oneByOne, service, edits);
    const together = editServices(text, list)!;
    expect(together.after).toBe(oneByOne);
    // The diff made from the edits applies back to exactly that text.
    const diff = unifiedDiff({ path: 'compose.yaml', before: text, after: together.after, edits: together.splices });
    expect(applyPatch(text, diff)).toBe(together.after);
    expect(diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).length).toBeGreaterThan(100 * 4);
  });

  it('an edit that cannot share a parse with another (same spot) is refused as a batch, not written wrongly', () => {
    const text = 'services:\n  web:\n    image: nginx\n    tmpfs:\n      - /run\n';
    // Appending to tmpfs (its last key) and adding a new key both land after the last line.
    expect(editServices(text, [{ service: 'web', edits: [{ op: 'add', key: 'tmpfs', items: ['/tmp'] }, { op: 'set', key: 'read_only', value: true }] }])).toBeNull();
    // One at a time still gets it right.
    expect(editService(text, 'web', [{ op: 'add', key: 'tmpfs', items: ['/tmp'] }, { op: 'set', key: 'read_only', value: true }])).toBe(
      'services:\n  web:\n    image: nginx\n    tmpfs:\n      - /run\n      - /tmp\n    read_only: true\n',
    );
  });
});

describe('diffs of new files', () => {
  it('are made without the line diff, and equal it', () => {
    const texts = ['one\n', 'a\nb\n\nc\n', '\n', '# workflow\nname: x\non:\n  push:\n' + 'x\n'.repeat(200)];
    for (const after of texts) {
      const expected = formatPatch(structuredPatch('/dev/null', 'new.yml', '', after, undefined, undefined, { context: 3 }), FILE_HEADERS_ONLY);
      const made = unifiedDiff({ path: 'new.yml', before: null, after });
      expect(made).toBe(expected);
      expect(applyPatch('', made)).toBe(after);
    }
  });
});

describe('diffs of compose service changes', () => {
  it('made from the planned splices equal the line diff of the whole new text, for every proposal of every step', async () => {
    const file = path.join(dir, 'compose-diffs.yaml');
    writeFileSync(file, composeText(60).replace('services:\n', 'services:\n  first:\n    image: nginx  # pinned later\n    privileged: true\n'));
    const session = createSession({ registry: steps, composeFiles: [file], stateDir: path.join(dir, 'state-diffs'), env: { PATH: process.env.PATH } });
    let compared = 0;
    for (const { step, ctx } of session.pairs()) {
      const run = await runStep(step, ctx);
      for (const change of run.proposals.flatMap((p) => p.changes)) {
        if (!change.compose || !change.edits) continue;
        const fromEdits = unifiedDiff(change);
        expect(fromEdits).toBe(unifiedDiff({ path: change.path, before: change.before, after: change.after }));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  }, 120_000);

  it('of the last service of a file, are made without building the new text (a 5 MB value is not parsed again for a diff)', async () => {
    const file = path.join(dir, 'compose-last-big.yaml');
    writeFileSync(file, `services:\n  web:\n    image: nginx:1.27\n    environment:\n      BIG: "${'x'.repeat(5 * 1024 * 1024)}"\n`);
    const session = createSession({ registry: steps, composeFiles: [file], only: ['seccomp-apparmor-capabilities'], stateDir: path.join(dir, 'state-last-big'), env: { PATH: process.env.PATH } });
    const [{ step, ctx }] = session.pairs();
    const run = await runStep(step!, ctx!);
    const changes = run.proposals.flatMap((p) => p.changes).filter((c) => c.compose && c.edits);
    expect(changes.length).toBe(3);
    for (const change of changes) {
      expect(change.edits!.every((e) => e.start === change.before!.length)).toBe(true);
      const unread = { path: change.path, before: change.before, edits: change.edits, get after(): string { throw new Error('after was built'); } };
      const diff = unifiedDiff(unread);
      // The same diff as the whole new text gives, which applies back to it.
      expect(diff).toBe(unifiedDiff({ path: change.path, before: change.before, after: change.after }));
      expect(applyPatch(change.before!, diff)).toBe(change.after);
    }
  }, 120_000);
});

describe('diffs of Dockerfile changes', () => {
  it('made from the edits equal the line diff of the whole new text: lines written back as they were are context', async () => {
    const corpus = path.join(repoRoot, 'test', 'corpus', 'dockerfiles');
    const files = readdirSync(corpus, { recursive: true }).map(String).filter((f) => /Dockerfile/i.test(f)).map((f) => path.join(corpus, f));
    // One edit that rewrites a RUN of here-documents changes one of its lines.
    const heredoc = path.join(dir, 'heredoc.Dockerfile');
    writeFileSync(heredoc, '# syntax=docker/dockerfile:1\nFROM debian:12\nRUN <<EOF\nset -e\nsudo apt-get update\nEOF\nRUN cat <<EOF > /etc/motd\nsudo is not here\nEOF\nUSER 1000\n');
    let compared = 0;
    let sudoDiff = '';
    for (const file of [heredoc, ...files]) {
      const session = createSession({ registry: steps, files: [file], stateDir: path.join(dir, 'state-dockerfile-diffs'), env: { PATH: process.env.PATH } });
      for (const { step, ctx } of session.pairs()) {
        const run = await runStep(step, ctx);
        for (const change of run.proposals.flatMap((p) => p.changes)) {
          if (!change.edits || change.before === null) continue;
          const fromEdits = unifiedDiff(change);
          expect(fromEdits, `${file}: ${step.meta.id}`).toBe(unifiedDiff({ path: change.path, before: change.before, after: change.after }));
          if (file === heredoc && step.meta.id === 'non-root-user') sudoDiff = fromEdits;
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(20);
    expect(sudoDiff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-sudo apt-get update', '+apt-get update']);
  }, 120_000);
});

describe('a Dockerfile of 6,000 stages', () => {
  it('resolves the effective user through the whole FROM chain', () => {
    let text = 'ARG BASE=debian:12\nFROM ${BASE} AS s0\nRUN echo 0\n';
    for (let i = 1; i < 6000; i++) text += `FROM s${i - 1} AS s${i}\n${i === 2999 ? 'USER app:app\n' : ''}RUN echo ${i}\n`;
    const model = parseDockerfile(text, 'Dockerfile');
    expect(model.stages).toHaveLength(6000);
    expect(model.chain()).toHaveLength(6000);
    expect(model.baseImage()?.repository).toBe('debian');
    const user = model.effectiveUser();
    expect(user).toMatchObject({ spec: 'app:app', root: false, source: 'user' });
    expect(user.stage.index).toBe(2999);
    expect(user.instruction?.line).toBe(2 * 2999 + 3);
    // Before that USER line, the chain runs as root.
    expect(model.effectiveUser(model.stages[2998]).root).toBe(true);
  });

  it('check --json reports the final stage as non-root, with no step failing to run', async () => {
    let text = 'FROM debian:12 AS s0\nRUN useradd app\n';
    for (let i = 1; i < 6000; i++) text += `FROM s${i - 1} AS s${i}\n${i === 10 ? 'USER app\n' : ''}RUN echo ${i}\n`;
    const file = path.join(dir, 'stages.Dockerfile');
    writeFileSync(file, text);
    const r = await runCli(['check', '--json', '--file', file], { env: { DOCKER_HARDEN_STATE_DIR: path.join(dir, 'state-stages'), CI: '1' }, timeoutMs: 240_000 });
    const doc = JSON.parse(r.stdout) as { results: { step: string; status: string }[] };
    expect(doc.results.filter((x) => x.status === 'error')).toEqual([]);
    expect(doc.results.find((x) => x.step === 'non-root-user')!.status).toBe('pass');
  }, 300_000);
});

describe('a RUN of 150,000 continuation lines', () => {
  it('keeps every command, and finds the one sudo among them', () => {
    let text = 'FROM debian:12\nRUN apt-get update \\\n';
    for (let i = 0; i < 150_000; i++) text += i === 123_456 ? '    && sudo make install \\\n' : `    && echo line-${i} \\\n`;
    text += '    && true\nUSER 1000\n';
    const model = parseDockerfile(text, 'Dockerfile');
    const run = model.instructions.find((i) => i.keyword === 'RUN')!;
    expect(run.endLine).toBe(150_003);
    const commands = runCommands(run);
    expect(commands).toHaveLength(150_002);
    expect(commands[123_457]).toEqual(['sudo', 'make', 'install']);
    expect(commands.filter((c) => c[0] === 'sudo')).toHaveLength(1);
    // The list and its words are shared between callers, so no caller may change them.
    expect(() => (commands[0] as string[]).push('changed')).toThrow(TypeError);
    expect(() => (commands as string[][]).pop()).toThrow(TypeError);
    expect(runCommands(run)).toHaveLength(150_002);
    // The parser's arguments are shared too: a reader cannot shorten them for the next.
    const args = run.ast.getArguments();
    expect(args).toHaveLength(450_005);
    expect(() => args.shift()).toThrow(TypeError);
    expect(run.ast.getArguments()[0]!.getValue()).toBe('apt-get');
    expect(runCommands(run)[0]).toEqual(['apt-get', 'update']);
  });

  it('every step answers as it does for the same RUN of three lines', async () => {
    const dockerfile = (lines: number) => {
      let text = 'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y build-essential \\\n';
      for (let i = 0; i < lines; i++) text += `    && echo line-${i} \\\n`;
      return text + '    && sudo make install\nCMD ["/usr/local/bin/app"]\n';
    };
    const answers = async (lines: number) => {
      const file = path.join(dir, `run-${lines}.Dockerfile`);
      writeFileSync(file, dockerfile(lines));
      const session = createSession({ registry: steps, files: [file], stateDir: path.join(dir, `state-run-${lines}`), env: { PATH: process.env.PATH } });
      return oneRun(async () => {
        const out = [];
        for (const { step, ctx } of session.pairs()) {
          const run = await runStep(step, ctx);
          // Line numbers after the RUN differ by the lines added; everything else must not.
          const shift = (n: number | undefined) => (n !== undefined && n > 4 ? n - lines : n);
          out.push({
            step: step.meta.id,
            status: run.result.status,
            findings: run.result.findings.map((f) => ({ code: f.code, severity: f.severity, line: shift(f.line), fixedBy: f.fixedBy })),
            proposals: run.proposals.map((p) => `${p.id}:${p.risk}`),
          });
        }
        return out;
      });
    };
    const small = await answers(3);
    expect(small.find((a) => a.step === 'non-root-user')!.findings.length).toBeGreaterThan(0);
    expect(await answers(150_000)).toEqual(small);
  }, 120_000);
});

describe('arguments computed once', () => {
  it('give the same arguments and flags on every call, flags never shifted twice', () => {
    const ast = parseAst('FROM golang:1.22 AS build\nCOPY --from=build --chown=1:1 a b /dst/\nRUN --mount=type=cache,target=/root/.cache go build ./...\n');
    const [, copy, run] = ast.getInstructions();
    for (let k = 0; k < 3; k++) {
      expect(copy!.getArguments().map((a) => a.getValue())).toEqual(['a', 'b', '/dst/']);
      expect(run!.getArguments().map((a) => a.getValue())).toEqual(['go', 'build', './...']);
    }
    expect((copy as unknown as { getFlags(): { getName(): string }[] }).getFlags().map((f) => f.getName())).toEqual(['from', 'chown']);
  });
});

describe('look-ups cached for a run', () => {
  it('see a CI file the run itself wrote', async () => {
    const repo = path.join(dir, 'repo');
    mkdirSync(path.join(repo, '.git'), { recursive: true });
    mkdirSync(path.join(repo, 'a', 'b'), { recursive: true });
    const probe = systemProbe();
    await oneRun(async () => {
      expect(await findRepoRoot(probe, path.join(repo, 'a', 'b'))).toBe(repo);
      expect(await ciFiles(probe, repo)).toEqual([]);
      mkdirSync(path.join(repo, '.github', 'workflows'), { recursive: true });
      await writeFileAtomic(path.join(repo, '.github', 'workflows', 'scan.yml'), 'name: scan\n');
      expect((await ciFiles(probe, repo)).map((f) => f.path)).toEqual([path.join(repo, '.github', 'workflows', 'scan.yml')]);
    });
  });

  it('outside a batch run, a file changed by hand is seen at once (the wizard checking again)', async () => {
    const repo = path.join(dir, 'repo-by-hand');
    mkdirSync(path.join(repo, '.git'), { recursive: true });
    const probe = systemProbe();
    expect(await ciFiles(probe, repo)).toEqual([]);
    writeFileSync(path.join(repo, '.gitlab-ci.yml'), 'stages: [test]\n');
    expect((await ciFiles(probe, repo)).map((f) => f.kind)).toEqual(['gitlab']);
  });
});
