/**
 * The real-world corpus: Dockerfiles and compose files written after public ones (manifest.json names
 * each source). For every file: `check --json` gives the verdict per step, `fix --yes` runs on a temp
 * copy, and the fixed file is held to the manifest's "must not break" checks (no USER where the
 * entrypoint drops privileges, ADD of a URL or archive kept, data mounts and host networking kept,
 * databases keep the capabilities and writable paths they need, the compose file still validates
 * against the Compose Specification's JSON schema). Prints precision/recall per step and the breaks.
 * Expectations today's code does not meet are listed in the manifest (knownWrong, knownBreaks): the
 * test asserts they are still wrong, so a fix that makes one right fails here until the list is updated.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';

const corpusDir = path.dirname(fileURLToPath(import.meta.url));
const schemaPath = path.join(corpusDir, '..', 'fixtures', 'compose-spec.json');

type Verdict = 'fail' | 'pass';
interface MustNotBreak {
  noNewUser?: string;
  noNumericUser?: string;
  keepAdd?: string[];
  keepLastUser?: string;
  keepMounts?: string[];
  keepNetworkModeHost?: string[];
  readOnlyTmpfs?: Record<string, string[]>;
  capsNeeded?: Record<string, string[]>;
  schemaValid?: boolean;
  fixRuns?: string;
}
interface Entry {
  file: string;
  kind: 'dockerfile' | 'compose';
  source: { repo: string; path: string };
  expect: Record<string, Verdict>;
  mustNotBreak: MustNotBreak;
  knownWrong?: Record<string, string>;
}
interface Manifest {
  files: Entry[];
  knownBreaks: string[];
}

const manifest = JSON.parse(readFileSync(path.join(corpusDir, 'manifest.json'), 'utf8')) as Manifest;

/** fail and warn are findings; pass, info and skip are not. */
function verdictOf(status: string | undefined): Verdict | undefined {
  if (status === 'fail' || status === 'warn') return 'fail';
  if (status === 'pass' || status === 'info' || status === 'skip') return 'pass';
  return undefined;
}

interface Outcome {
  entry: Entry;
  verdicts: Record<string, Verdict | undefined>;
  fixExit: number;
  fixStderr: string;
  breaks: string[];
}

const DOCKERFILE_STEPS = ['non-root-user', 'slim-base-image', 'multi-stage-build', 'content-trust', 'seccomp-apparmor-capabilities'];
const COMPOSE_STEPS = ['use-docker-defaults', 'content-trust', 'seccomp-apparmor-capabilities'];

function targetArgs(entry: Entry, file: string): string[] {
  return entry.kind === 'dockerfile' ? ['--file', file] : ['--compose', file];
}

/** The final stage's instructions (after the last FROM), comments dropped. */
function finalStage(text: string): string[] {
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const lastFrom = lines.map((l) => /^\s*FROM\s/i.test(l)).lastIndexOf(true);
  return lines.slice(Math.max(lastFrom, 0));
}

function dockerfileBreaks(entry: Entry, before: string, after: string): string[] {
  const m = entry.mustNotBreak;
  const out: string[] = [];
  const users = (t: string) => finalStage(t).filter((l) => /^\s*USER\s/i.test(l));
  if (m.noNewUser && users(after).length > users(before).length) out.push(`noNewUser: ${users(after).at(-1)!.trim()} added (${m.noNewUser})`);
  if (m.noNumericUser && users(after).some((l) => /^\s*USER\s+\d/i.test(l))) out.push(`noNumericUser: ${m.noNumericUser}`);
  if (m.keepLastUser && users(after).at(-1)?.trim() !== `USER ${m.keepLastUser}`) out.push(`keepLastUser: ${m.keepLastUser} replaced by ${users(after).at(-1)?.trim()}`);
  for (const source of m.keepAdd ?? []) {
    if (!after.split('\n').some((l) => /^\s*ADD\s/i.test(l) && l.includes(source))) out.push(`keepAdd: ADD ${source} rewritten`);
  }
  return out;
}

type Service = Record<string, unknown>;

function composeBreaks(entry: Entry, after: string, validate: (doc: unknown) => string | null): string[] {
  const m = entry.mustNotBreak;
  const out: string[] = [];
  const doc = parseDocument(after, { merge: true, maxAliasCount: -1 }).toJS({ maxAliasCount: -1 }) as { services?: Record<string, Service> };
  const services = doc.services ?? {};
  const targets = Object.values(services).flatMap((s) =>
    ((s.volumes as unknown[]) ?? []).map((v) => (typeof v === 'string' ? v.split(':')[1] : (v as { target?: string }).target)),
  );
  for (const mount of m.keepMounts ?? []) if (!targets.includes(mount)) out.push(`keepMounts: ${mount} removed`);
  for (const name of m.keepNetworkModeHost ?? []) if (services[name]?.network_mode !== 'host') out.push(`keepNetworkModeHost: ${name} lost network_mode: host`);
  for (const [name, paths] of Object.entries(m.readOnlyTmpfs ?? {})) {
    const s = services[name];
    if (!s || s.read_only !== true) continue;
    const tmpfs = ([] as string[]).concat((s.tmpfs as string[] | string | undefined) ?? []).map((t) => t.split(':')[0]);
    const writable = [...tmpfs, ...((s.volumes as unknown[]) ?? []).map((v) => (typeof v === 'string' ? v.split(':')[1] : (v as { target?: string }).target))];
    for (const p of paths) if (!writable.includes(p)) out.push(`readOnlyTmpfs: ${name} is read_only without a writable ${p}`);
  }
  for (const [name, caps] of Object.entries(m.capsNeeded ?? {})) {
    const s = services[name];
    if (!s || !((s.cap_drop as string[] | undefined) ?? []).includes('ALL')) continue;
    const added = (s.cap_add as string[] | undefined) ?? [];
    const missing = caps.filter((c) => !added.includes(c) && !added.includes(`CAP_${c}`));
    if (missing.length) out.push(`capsNeeded: ${name} drops ALL without ${missing.join(', ')}`);
  }
  if (m.schemaValid) {
    const error = validate(doc);
    if (error) out.push(`schemaValid: ${error}`);
  }
  return out;
}

async function runEntry(entry: Entry, includeReview: boolean, validate: (doc: unknown) => string | null): Promise<Outcome> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-harden-corpus-'));
  try {
    const file = path.join(dir, entry.kind === 'dockerfile' ? 'Dockerfile' : 'compose.yaml');
    copyFileSync(path.join(corpusDir, entry.file), file);
    const before = readFileSync(file, 'utf8');
    const env = { DOCKER_HOST: `unix://${path.join(dir, 'no-daemon.sock')}` };
    const check = await runCli(['check', ...targetArgs(entry, file), '--json'], { env });
    const results = (JSON.parse(check.stdout) as { results: { step: string; status: string }[] }).results;
    const verdicts: Record<string, Verdict | undefined> = {};
    for (const step of Object.keys(entry.expect)) verdicts[step] = verdictOf(results.find((r) => r.step === step)?.status);
    const fixArgs = ['fix', ...targetArgs(entry, file), '--yes', '--state-dir', path.join(dir, 'state'), ...(includeReview ? ['--include-review'] : [])];
    let fix = await runCli(fixArgs, { env });
    const fixExit = fix.exitCode;
    const fixStderr = fix.stderr;
    if (fix.exitCode === 2) {
      // One proposal that cannot be applied stops the whole run today: apply the file's own steps one by one.
      fix = await runCli([...fixArgs, '--only', (entry.kind === 'dockerfile' ? DOCKERFILE_STEPS : COMPOSE_STEPS).join(',')], { env });
    }
    const after = readFileSync(file, 'utf8');
    const breaks =
      entry.kind === 'dockerfile' ? dockerfileBreaks(entry, before, after) : composeBreaks(entry, after, validate);
    // Findings were reported, so an unchanged file means the fix refused or skipped the file.
    if (entry.mustNotBreak.fixRuns && after === before) breaks.push(`fixRuns: nothing was changed (${printableTail(fixStderr)})`);
    return { entry, verdicts, fixExit, fixStderr, breaks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The schema names its parts with draft-04 `id` (docker compose's validator ignores them); ajv refuses
 * that keyword, so the ids and the `$schema` line are dropped before compiling. Nothing else changes.
 */
function draft04Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(draft04Ids);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (!((k === 'id' && typeof v === 'string') || k === '$schema')) out[k] = draft04Ids(v);
  return out;
}

function printableTail(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 200) || 'no message';
}

async function inBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

function table(outcomes: Outcome[]): { rows: string[]; perStep: Record<string, { tp: number; fp: number; fn: number; tn: number }> } {
  const perStep: Record<string, { tp: number; fp: number; fn: number; tn: number }> = {};
  for (const o of outcomes) {
    for (const [step, want] of Object.entries(o.entry.expect)) {
      const s = (perStep[step] ??= { tp: 0, fp: 0, fn: 0, tn: 0 });
      const got = o.verdicts[step];
      if (want === 'fail' && got === 'fail') s.tp++;
      else if (want === 'pass' && got === 'fail') s.fp++;
      else if (want === 'fail') s.fn++;
      else s.tn++;
    }
  }
  const rows = ['step                       files  TP  FP  FN  TN  precision  recall'];
  for (const [step, s] of Object.entries(perStep)) {
    const precision = s.tp + s.fp ? (s.tp / (s.tp + s.fp)).toFixed(2) : '-';
    const recall = s.tp + s.fn ? (s.tp / (s.tp + s.fn)).toFixed(2) : '-';
    rows.push(`${step.padEnd(26)} ${String(s.tp + s.fp + s.fn + s.tn).padStart(5)} ${String(s.tp).padStart(3)} ${String(s.fp).padStart(3)} ${String(s.fn).padStart(3)} ${String(s.tn).padStart(3)}  ${precision.padStart(9)}  ${recall.padStart(6)}`);
  }
  return { rows, perStep };
}

describe('real-world corpus', () => {
  let outcomes: Outcome[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    const help = await runCli(['fix', '--help']);
    const includeReview = help.stdout.includes('--include-review');
    const schema = draft04Ids(JSON.parse(readFileSync(schemaPath, 'utf8'))) as Record<string, unknown>;
    const ajv = new Ajv2019.default({ strict: false, allErrors: false, validateFormats: false });
    const check = ajv.compile(schema);
    const validate = (doc: unknown): string | null => (check(doc) ? null : ajv.errorsText(check.errors));
    outcomes = await inBatches(manifest.files, 4, (entry) => runEntry(entry, includeReview, validate));
    const { rows } = table(outcomes);
    const breaks = outcomes.flatMap((o) => o.breaks.map((b) => `${o.entry.file}: ${b}`));
    const stopped = outcomes.filter((o) => o.fixExit === 2).length;
    const report = [
        `corpus: ${outcomes.filter((o) => o.entry.kind === 'dockerfile').length} Dockerfiles, ${outcomes.filter((o) => o.entry.kind === 'compose').length} compose files${includeReview ? ' (fix with --include-review)' : ''}`,
        ...rows,
        `fixes that break: ${new Set(breaks.map((b) => b.split(':')[0])).size} files, ${breaks.length} checks; fix --yes stopped with exit 2 on ${stopped} files`,
        ...breaks.map((b) => `  ${b}`),
      ].join('\n');
    // The figures go to a file as well: a reporter may hold back console output of a passing run.
    writeFileSync(path.join(os.tmpdir(), 'docker-harden-corpus-report.txt'), report + '\n');
    process.stderr.write(`${report}\n`);
  }, 1_200_000);

  it('has at least 40 Dockerfiles and 10 compose files, each naming its public source', () => {
    expect(manifest.files.filter((e) => e.kind === 'dockerfile').length).toBeGreaterThanOrEqual(40);
    expect(manifest.files.filter((e) => e.kind === 'compose').length).toBeGreaterThanOrEqual(10);
    for (const e of manifest.files) {
      const first = readFileSync(path.join(corpusDir, e.file), 'utf8').split('\n')[0]!;
      expect(first.startsWith(`# Taught by: ${e.source.repo} ${e.source.path}`), e.file).toBe(true);
      expect(e.source.repo, e.file).toMatch(/^[\w.-]+\/[\w.-]+$/);
    }
  });

  it('every file is checked: each expected step gives a verdict', () => {
    for (const o of outcomes) for (const step of Object.keys(o.entry.expect)) expect(o.verdicts[step], `${o.entry.file} ${step}`).toBeDefined();
  });

  it('verdicts match the manifest, except the listed knownWrong ones, which are still wrong', () => {
    const unexpected: string[] = [];
    const nowRight: string[] = [];
    for (const o of outcomes) {
      for (const [step, want] of Object.entries(o.entry.expect)) {
        const known = o.entry.knownWrong?.[step];
        if (o.verdicts[step] !== want && !known) unexpected.push(`${o.entry.file} ${step}: expected ${want}, got ${o.verdicts[step]}`);
        if (o.verdicts[step] === want && known) nowRight.push(`${o.entry.file} ${step}: now right, remove from knownWrong ("${known}")`);
      }
    }
    expect(unexpected).toEqual([]);
    expect(nowRight).toEqual([]);
  });

  it('the fixes that break are exactly the listed knownBreaks', () => {
    const breaks = outcomes.flatMap((o) => o.breaks.map((b) => `${o.entry.file}: ${b.split(':')[0]}`)).sort();
    expect(breaks).toEqual([...manifest.knownBreaks].sort());
  });

  it('the checks detect the breaks they name (a USER line where the entrypoint drops privileges, a removed data mount)', () => {
    const gosu = manifest.files.find((e) => e.file === 'dockerfiles/postgres-gosu.Dockerfile')!;
    const before = readFileSync(path.join(corpusDir, gosu.file), 'utf8');
    expect(dockerfileBreaks(gosu, before, before)).toEqual([]);
    expect(dockerfileBreaks(gosu, before, `${before}USER 10001:10001\n`)[0]).toMatch(/^noNewUser/);
    const pihole = manifest.files.find((e) => e.file === 'compose/pihole.yaml')!;
    const text = readFileSync(path.join(corpusDir, pihole.file), 'utf8');
    const never = () => null;
    expect(composeBreaks(pihole, text, never)).toEqual([]);
    expect(composeBreaks(pihole, text.replace("      - './etc-pihole:/etc/pihole'\n", ''), never)).toEqual(['keepMounts: /etc/pihole removed']);
  });
});
