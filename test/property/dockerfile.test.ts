/**
 * Properties of every Dockerfile step over generated Dockerfiles (fast-check, 1,000 runs): line
 * endings, instruction case, continuations, comments, heredocs, escape directives, ARG-built base
 * images, several stages. For each: nothing throws but a UserError; every proposed Dockerfile
 * parses again; a fix applied once is not proposed again; lines the step did not point at keep
 * their bytes; the file's line ending is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { diffLines } from 'diff';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { steps } from '../../steps/index.js';
import { parseDockerfile } from '../../src/dockerfile/model.js';
import { UserError } from '../../src/core/errors.js';
import type { CheckResult, Context, Proposal, Step } from '../../src/core/step.js';
import { contextFor, dockerfileTarget, memoryProbe } from '../helpers/world.js';

export const NUM_RUNS = Number(process.env.DOCKER_HARDEN_PROPERTY_RUNS ?? 1000);

const fileSteps = steps.filter((s) => s.meta.targets.includes('dockerfile'));
/** Steps whose proposal rewrites the file as a whole by design (a build stage split out). */
const REWRITES = new Set(['multi-stage-build:split-build']);

const IMAGES = [
  'node:20', 'node:20-bookworm', 'node:20-slim', 'python:3.12', 'python:3.12-slim', 'debian:12', 'debian:bookworm',
  'ubuntu:24.04', 'alpine:3.20', 'golang:1.22', 'golang:1.22-alpine', 'eclipse-temurin:21-jdk', 'maven:3.9-eclipse-temurin-21',
  'busybox', 'scratch', 'gcr.io/distroless/static-debian12', 'nginx', 'nginx:latest', 'registry.example.com:5000/team/app:1.2',
  '${BASE}', `node:20@sha256:${'a'.repeat(64)}`, 'rust:1.79', 'openjdk:17',
];

interface Shape {
  eol: '\n' | '\r\n';
  escape: '\\' | '`';
  lower: boolean;
  indent: string;
}

const kw = (shape: Shape, word: string) => (shape.lower ? word.toLowerCase() : word);

/** One instruction (or comment/blank) inside a stage, as lines without endings. */
function instructionArb(stageNames: string[]): fc.Arbitrary<(s: Shape) => string[]> {
  const simple = (word: string, args: string[]) => fc.constantFrom(...args).map((a) => (s: Shape) => [`${s.indent}${kw(s, word)} ${a}`]);
  return fc.oneof(
    simple('RUN', [
      'apt-get update && apt-get install -y curl',
      'npm ci', 'npm run build', 'npm ci --omit=dev', 'go build -o /out/app ./...', 'pip install -r requirements.txt',
      'mvn -q package', 'cargo build --release', 'sudo make install', 'sudo -E apt-get install -y git', 'useradd -r app',
      '["/bin/sh", "-c", "echo hi"]', 'apk add --no-cache build-base git', 'echo "# not a comment" > /etc/motd',
    ]),
    fc.constantFrom(
      (s: Shape) => [`${s.indent}${kw(s, 'RUN')} apt-get update ${s.escape}`, `    && apt-get install -y --no-install-recommends build-essential git ${s.escape}`, `    && rm -rf /var/lib/apt/lists/*`],
      (s: Shape) => [`${s.indent}${kw(s, 'RUN')} set -eux; ${s.escape}`, '# a comment inside a continuation', `    npm ci; ${s.escape}`, '    npm run build'],
      (s: Shape) => [`${s.indent}${kw(s, 'RUN')} <<EOF`, 'set -e', 'echo building', 'EOF'],
    ),
    simple('COPY', ['. .', '--chown=1000:1000 package*.json ./', 'src/ /app/src/', ...stageNames.map((n) => `--from=${n} /out /app`)]),
    simple('ADD', ['https://example.com/tool.tgz /tmp/', 'app.tar.gz /opt/']),
    simple('ENV', ['NODE_ENV=production', 'A=1 B=2', 'PATH=/app/bin:$PATH']),
    simple('ARG', ['UID=10001', 'USER', 'VERSION=1.0']),
    simple('WORKDIR', ['/app', 'app', '/srv/${VERSION}']),
    simple('EXPOSE', ['80', '8080', '22', '443/tcp 8443']),
    simple('USER', ['root', '0', '0:0', 'root:root', 'app', '10001', '10001:10001', 'node', '${UID}', '$USER', 'nobody']),
    simple('LABEL', ['maintainer="someone@example.com"', 'org.opencontainers.image.source=https://example.com']),
    simple('HEALTHCHECK', ['CMD curl -f http://localhost/ || exit 1', 'NONE']),
    simple('VOLUME', ['/data', '["/var/lib/app"]']),
    fc.constantFrom((s: Shape) => [`${s.indent}# a comment`], () => [''], () => ['   ']),
  );
}

const endArb = fc.constantFrom(
  (s: Shape) => [`${kw(s, 'CMD')} ["node", "server.js"]`],
  (s: Shape) => [`${kw(s, 'ENTRYPOINT')} ["/app"]`],
  (s: Shape) => [`${kw(s, 'CMD')} python app.py`],
  (s: Shape) => [`${kw(s, 'ENTRYPOINT')} ["gosu", "app", "/app"]`],
  () => [],
);

const stageArb = (index: number, names: string[]) =>
  fc.record({
    image: fc.constantFrom(...IMAGES, ...names),
    name: fc.option(fc.constantFrom('build', 'deps', 'runtime', `s${index}`), { nil: undefined }),
    platform: fc.boolean(),
    body: fc.array(instructionArb(names), { maxLength: 8 }),
  });

const dockerfileArb = fc
  .record({
    eol: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
    escape: fc.constantFrom<'\\' | '`'>('\\', '\\', '`'),
    lower: fc.boolean(),
    indent: fc.constantFrom('', '', '  '),
    syntax: fc.boolean(),
    globalArg: fc.boolean(),
    finalNewline: fc.boolean(),
    stageCount: fc.integer({ min: 1, max: 3 }),
    end: endArb,
  })
  .chain((shape) => {
    const names: string[] = [];
    const stageArbs = Array.from({ length: shape.stageCount }, (_, i) => {
      const arb = stageArb(i, [...names]);
      names.push(i === 0 ? 'build' : `s${i}`);
      return arb;
    });
    return fc.tuple(fc.constant(shape), fc.tuple(...stageArbs));
  })
  .map(([shape, stages]) => {
    const s: Shape = shape;
    const lines: string[] = [];
    if (shape.escape === '`') lines.push('# escape=`');
    if (shape.syntax) lines.push('# syntax=docker/dockerfile:1');
    if (shape.globalArg) lines.push(`${kw(s, 'ARG')} BASE=node:20`);
    stages.forEach((stage, i) => {
      const name = i === 0 ? 'build' : stage.name;
      lines.push(`${kw(s, 'FROM')} ${stage.platform ? '--platform=$BUILDPLATFORM ' : ''}${stage.image}${name ? ` ${shape.lower ? 'as' : 'AS'} ${name}` : ''}`);
      for (const make of stage.body) lines.push(...make(s));
    });
    lines.push(...shape.end(s));
    return lines.join(shape.eol) + (shape.finalNewline ? shape.eol : '');
  });

function rethrowUnlessUserError(where: string) {
  return (err: unknown) => {
    if (err instanceof UserError) return null;
    throw new Error(`${where} threw ${(err as Error)?.stack ?? String(err)}`);
  };
}

/** 1-based lines of `before` that `after` drops or changes. */
function removedLines(before: string, after: string): number[] {
  const out: number[] = [];
  let line = 1;
  for (const part of diffLines(before, after)) {
    const count = part.count ?? part.value.split(/\r?\n/).length - 1;
    if (part.removed) for (let i = 0; i < count; i++) out.push(line + i);
    if (!part.added) line += count;
  }
  return out;
}

function shapeEol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function eolOf(text: string): 'crlf' | 'lf' | 'none' {
  if (text.includes('\r\n')) return 'crlf';
  return text.includes('\n') ? 'lf' : 'none';
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-prop-df-'));
  mkdirSync(path.join(dir, 'fixed'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Check and propose one step on a file; only a UserError may come out of a step. */
async function checkAndPropose(step: Step, ctx: Context): Promise<{ result: CheckResult | null; proposals: Proposal[] }> {
  const result = await step.check(ctx).catch(rethrowUnlessUserError(`${step.meta.id} check`));
  if (!result || !step.propose || result.status === 'pass' || result.status === 'not-applicable' || result.status === 'error') return { result, proposals: [] };
  const proposals = (await step.propose(ctx, result).catch(rethrowUnlessUserError(`${step.meta.id} propose`))) ?? [];
  return { result, proposals };
}

/** A fresh context on `file` holding `text` (one per text, shared by the steps, as in a real run). */
function contextOn(file: string, text: string): Context {
  writeFileSync(file, text);
  return contextFor(dockerfileTarget(file), { probe: memoryProbe() });
}

describe('generated Dockerfiles through every Dockerfile step', () => {
  it('the generator makes Dockerfiles the parser accepts', () => {
    fc.assert(
      fc.property(dockerfileArb, (text) => {
        expect(() => parseDockerfile(text, 'Dockerfile')).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it(`check and propose never throw; fixes re-parse, keep untouched bytes and are not proposed twice (${NUM_RUNS} runs)`, async () => {
    let proposalsSeen = 0;
    await fc.assert(
      fc.asyncProperty(dockerfileArb, async (text) => {
        const file = path.join(dir, 'Dockerfile');
        const fixedFile = path.join(dir, 'fixed', 'Dockerfile');
        const ctx = contextOn(file, text);
        for (const step of fileSteps) {
          const { result, proposals } = await checkAndPropose(step, ctx);
          if (!result) continue;
          // Lines the step points at: each finding's whole instruction.
          const model = parseDockerfile(text, file);
          const pointed = new Set<number>();
          for (const f of result.findings) {
            if (f.file && f.file !== file) continue;
            if (!f.line) continue;
            const inst = model.instructions.find((i) => f.line! >= i.line && f.line! <= i.endLine);
            for (let l = inst?.line ?? f.line; l <= (inst?.endLine ?? f.line); l++) pointed.add(l);
          }
          // A value that comes from an ARG or ENV (FROM ${BASE}) is fixed where it is defined.
          const used = new Set([...model.instructions.filter((i) => pointed.has(i.line)).flatMap((i) => [...i.source.matchAll(/\$\{?(\w+)/g)].map((m) => m[1]!))]);
          for (const i of model.instructions) {
            if ((i.keyword === 'ARG' || i.keyword === 'ENV') && [...used].some((name) => new RegExp(`^\\s*${name}\\b`).test(i.args))) {
              for (let l = i.line; l <= i.endLine; l++) pointed.add(l);
            }
          }
          for (const proposal of proposals) {
            for (const change of proposal.changes.filter((c) => c.path === file)) {
              proposalsSeen++;
              const where = `${step.meta.id}:${proposal.id} on\n${JSON.stringify(text)}\n->\n${JSON.stringify(change.after)}`;
              expect(change.before, where).toBe(text);
              // Every fix re-parses.
              expect(() => parseDockerfile(change.after, file), where).not.toThrow();
              // The file's line ending is kept.
              if (eolOf(text) === 'crlf') expect(/(^|[^\r])\n/.test(change.after), `bare LF written into a CRLF file: ${where}`).toBe(false);
              if (eolOf(text) === 'lf') expect(change.after.includes('\r'), `CR written into an LF file: ${where}`).toBe(false);
              // Bytes outside the edited ranges stay: only lines the step pointed at are removed.
              if (!REWRITES.has(`${step.meta.id}:${proposal.id}`)) {
                // A last line without a line ending may gain one when a line is added after it.
                const closed = /(\r\n|\n)$/.test(text) ? text : text + shapeEol(text);
                const removed = [removedLines(text, change.after), removedLines(closed, change.after)].sort((a, b) => a.length - b.length)[0]!;
                const stray = removed.filter((l) => !pointed.has(l));
                expect(stray, `lines changed that no finding named (${[...pointed].join(',')}): ${where}`).toEqual([]);
              }
              // Applied once, the same fix is not proposed again.
              // (The fixed text goes to a second file, so the shared context above stays valid.)
              const again = await checkAndPropose(step, contextOn(fixedFile, change.after));
              const repeat = again.proposals.find((p) => p.id === proposal.id && p.changes.some((c) => c.path === fixedFile && c.after !== c.before));
              expect(repeat?.changes.find((c) => c.path === fixedFile)?.after, `proposed again after it was applied: ${where}`).toBeUndefined();
            }
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect(proposalsSeen, 'the generator should reach the fixes').toBeGreaterThan(NUM_RUNS / 2);
  }, 600_000);
});
