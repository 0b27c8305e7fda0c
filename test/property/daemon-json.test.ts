/**
 * Properties of daemon.json handling over generated files (fast-check, 1,000 runs each): the
 * strict validator never throws anything but a UserError with a real line and column; every edit
 * writes a file the strict validator (dockerd's rules) accepts, with the intended value, applied
 * twice changes nothing, and keeps the bytes of keys it did not touch, the indentation, the line
 * endings and a byte-order mark. The host steps' daemon.json proposals over generated files and a
 * recorded host obey the same rules.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseTree, type Node as JsonNode } from 'jsonc-parser';
import { parseDaemonConfig } from '../../src/host/daemon-validate.js';
import { editDaemonConfig, type DaemonConfigEdit } from '../../src/host/daemon-edit.js';
import { UserError } from '../../src/core/errors.js';
import { steps } from '../../steps/index.js';
import type { Step } from '../../src/core/step.js';
import { contextFor, hostTarget, memoryProbe } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';

const NUM_RUNS = Number(process.env.DOCKER_HARDEN_PROPERTY_RUNS ?? 1000);
const FILE = '/etc/docker/daemon.json';

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const valueArbs: Record<string, fc.Arbitrary<unknown>> = {
  icc: fc.boolean(),
  'live-restore': fc.boolean(),
  debug: fc.boolean(),
  experimental: fc.boolean(),
  'userland-proxy': fc.boolean(),
  'no-new-privileges': fc.boolean(),
  'log-level': fc.constantFrom('debug', 'info', 'warn', 'error'),
  'log-driver': fc.constantFrom('json-file', 'local', 'journald', 'syslog'),
  'log-opts': fc.dictionary(fc.constantFrom('max-size', 'max-file', 'labels', 'tag'), fc.constantFrom('10m', '3', 'a,b', '{{.Name}}')),
  dns: fc.array(fc.constantFrom('1.1.1.1', '9.9.9.9', '8.8.8.8'), { maxLength: 3 }),
  labels: fc.array(word.map((w) => `team=${w}`), { maxLength: 3 }),
  'insecure-registries': fc.array(fc.constantFrom('registry.local:5000', '10.0.0.0/8'), { maxLength: 2 }),
  'max-concurrent-downloads': fc.integer({ min: 1, max: 10 }),
  'storage-driver': fc.constantFrom('overlay2', 'vfs'),
  'data-root': fc.constantFrom('/var/lib/docker', '/srv/docker'),
  features: fc.dictionary(fc.constantFrom('buildkit', 'containerd-snapshotter'), fc.boolean()),
  'default-ulimits': fc.constant({ nofile: { Name: 'nofile', Hard: 64000, Soft: 64000 } }),
  'default-address-pools': fc.constant([{ base: '10.10.0.0/16', size: 24 }]),
  bridge: fc.constantFrom('none', 'docker0'),
  'seccomp-profile': fc.constantFrom('builtin', '/etc/docker/seccomp.json'),
  'userns-remap': fc.constantFrom('default', 'dockremap'),
  'exec-opts': fc.constant(['native.cgroupdriver=systemd']),
};

/** A daemon.json object dockerd accepts: a few known keys with values of the right type. */
const configArb = fc
  .uniqueArray(fc.constantFrom(...Object.keys(valueArbs)), { maxLength: 8 })
  .chain((keys) => fc.tuple(...keys.map((k) => valueArbs[k]!.map((v) => [k, v] as const))))
  .map((pairs) => Object.fromEntries(pairs) as Record<string, unknown>);

/** How a person wrote it: indentation, line endings, final newline, a byte-order mark. */
const styleArb = fc.record({
  indent: fc.constantFrom<number | string>(0, 2, 4, '\t'),
  eol: fc.constantFrom('\n', '\r\n'),
  finalNewline: fc.boolean(),
  bom: fc.boolean(),
  /** Nested objects and lists written on one line (`"log-opts": {"max-size": "10m"}`). */
  inline: fc.boolean(),
});

type Style = { indent: number | string; eol: string; finalNewline: boolean; bom: boolean; inline: boolean };

function render(value: Record<string, unknown>, style: Style): string {
  const unit = typeof style.indent === 'number' ? ' '.repeat(style.indent) : style.indent;
  const entries = Object.entries(value);
  const body =
    style.inline && unit && entries.length > 0
      ? `{${style.eol}${entries.map(([k, v]) => `${unit}${JSON.stringify(k)}: ${JSON.stringify(v).replace(/,"/g, ', "').replace(/":/g, '": ')}`).join(`,${style.eol}`)}${style.eol}}`
      : JSON.stringify(value, null, style.indent).replace(/\n/g, style.eol);
  return (style.bom ? '\uFEFF' : '') + body + (style.finalNewline ? style.eol : '');
}

/** The hardening edits the host steps make. */
const EDITS: DaemonConfigEdit[] = [
  { path: ['icc'], value: false },
  { path: ['live-restore'], value: true },
  { path: ['no-new-privileges'], value: true },
  { path: ['userland-proxy'], value: false },
  { path: ['log-level'], value: 'info' },
  { path: ['log-opts', 'max-size'], value: '10m' },
  { path: ['log-opts', 'max-file'], value: '3' },
  { path: ['userns-remap'], value: 'default' },
  { path: ['experimental'], value: undefined },
  { path: ['insecure-registries'], value: undefined },
  { path: ['seccomp-profile'], value: undefined },
  { path: ['default-ulimits', 'nproc'], value: { Name: 'nproc', Hard: 4096, Soft: 4096 } },
];
const editsArb = fc.uniqueArray(fc.constantFrom(...EDITS), { minLength: 1, maxLength: 5, selector: (e) => e.path.join('.') });

function expected(value: Record<string, unknown>, edits: DaemonConfigEdit[]): Record<string, unknown> {
  const out = structuredClone(value);
  for (const edit of edits) {
    let node = out as Record<string, unknown>;
    for (const key of edit.path.slice(0, -1)) {
      if (typeof node[key as string] !== 'object' || node[key as string] === null) node[key as string] = {};
      node = node[key as string] as Record<string, unknown>;
    }
    const last = edit.path[edit.path.length - 1] as string;
    if (edit.value === undefined) delete node[last];
    else node[last] = edit.value;
  }
  return out;
}

/** Source text of each top-level property. */
function propertyTexts(text: string): Map<string, string> {
  const root = parseTree(text.replace(/^\uFEFF/, ' '));
  const out = new Map<string, string>();
  for (const prop of (root?.children ?? []) as JsonNode[]) out.set(String(prop.children![0]!.value), text.slice(prop.offset, prop.offset + prop.length));
  return out;
}

function strictParse(text: string): Record<string, unknown> {
  return parseDaemonConfig(text, FILE);
}

describe('daemon.json: the strict validator', () => {
  it(`never throws anything but a UserError with a line and column inside the file (${NUM_RUNS} runs)`, () => {
    const mutated = fc.tuple(configArb, styleArb, fc.nat(), fc.constantFrom('', ',', '}', '{', '"', '//', '/*', ':', ']', 'x', '\u0000', 'true', '\uFFFD')).map(([value, style, at, insert]) => {
      const text = render(value, style);
      const i = at % (text.length + 1);
      return text.slice(0, i) + insert + text.slice(i + (insert === '' ? 1 : 0));
    });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 60 }), fc.json()), (text) => {
        try {
          const value = strictParse(text);
          expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
        } catch (err) {
          expect(err, String((err as Error)?.stack)).toBeInstanceOf(UserError);
          const u = err as UserError;
          expect(u.file).toBe(FILE);
          expect(u.line).toBeGreaterThanOrEqual(1);
          expect(u.line!).toBeLessThanOrEqual(text.split('\n').length);
          expect(u.column ?? 1).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('daemon.json: edits', () => {
  it(`write what dockerd accepts, as intended, idempotently, keeping untouched bytes and the layout (${NUM_RUNS} runs)`, () => {
    fc.assert(
      fc.property(configArb, styleArb, editsArb, (value, style, edits) => {
        const text = render(value, style);
        expect(strictParse(text)).toEqual(value);
        const out = editDaemonConfig(text, edits);
        // dockerd accepts it, and it says what was meant.
        expect(strictParse(out)).toEqual(expected(value, edits));
        // A second application changes nothing.
        expect(editDaemonConfig(out, edits)).toBe(out);
        // Keys no edit touched keep their bytes; the line ending, the byte-order mark and the
        // final newline stay as written.
        const touched = new Set(edits.map((e) => String(e.path[0])));
        const before = propertyTexts(text);
        const after = propertyTexts(out);
        for (const [key, source] of before) if (!touched.has(key)) expect(after.get(key), `key ${key}`).toBe(source);
        // (A file with no line break at all, like `{}`, has no line ending to keep.)
        if (text.includes('\r\n')) expect(/(^|[^\r])\n/.test(out), JSON.stringify(out)).toBe(false);
        if (text.includes('\n') && !text.includes('\r\n')) expect(out.includes('\r')).toBe(false);
        // A one-line file stays on one line while a key of its own is still in it.
        const removed = new Set(edits.filter((e) => e.value === undefined && e.path.length === 1).map((e) => String(e.path[0])));
        const kept = Object.keys(value).some((k) => !removed.has(k));
        if (kept && !text.replace(/\r?\n$/, '').includes('\n')) expect(out.replace(/\r?\n$/, '').includes('\n'), JSON.stringify(out)).toBe(false);
        expect(out.startsWith('\uFEFF')).toBe(style.bom);
        if (style.finalNewline) expect(out.endsWith(style.eol)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it(`create a file dockerd accepts from nothing (${Math.min(NUM_RUNS, 200)} runs)`, () => {
    fc.assert(
      fc.property(editsArb, (edits) => {
        const out = editDaemonConfig(null, edits);
        expect(strictParse(out)).toEqual(expected({}, edits));
        expect(out.endsWith('\n')).toBe(true);
      }),
      { numRuns: Math.min(NUM_RUNS, 200) },
    );
  });
});

describe('daemon.json: the host steps\' proposals', () => {
  const hostSteps = steps.filter((s) => s.meta.targets.includes('host'));
  async function proposalsFor(step: Step, text: string) {
    const host = recordedHost({ info: { ...ENGINE_29_INFO }, config: { path: FILE, text, source: 'default' } });
    const ctx = contextFor(hostTarget, { host, probe: memoryProbe({ files: { [FILE]: text } }) });
    const result = await step.check(ctx).catch((err: unknown) => {
      if (err instanceof UserError) return null;
      throw err;
    });
    if (!result || !step.propose || result.status === 'pass' || result.status === 'not-applicable' || result.status === 'error') return [];
    return step.propose(ctx, result);
  }

  it(`every daemon.json a step proposes is one dockerd accepts, and is not proposed again once written (${Math.min(NUM_RUNS, 300)} runs)`, async () => {
    let seen = 0;
    await fc.assert(
      fc.asyncProperty(configArb, styleArb, async (value, style) => {
        // The recorded host reads the file with JSON.parse, which knows no byte-order mark.
        const text = render(value, { ...style, bom: false });
        for (const step of hostSteps) {
          for (const proposal of await proposalsFor(step, text)) {
            for (const change of proposal.changes.filter((c) => c.path === FILE)) {
              seen++;
              const where = `${step.meta.id}:${proposal.id}\n${JSON.stringify(text)}\n->\n${JSON.stringify(change.after)}`;
              expect(() => strictParse(change.after), where).not.toThrow();
              const again = await proposalsFor(step, change.after);
              const repeat = again.find((p) => p.id === proposal.id && p.changes.some((c) => c.path === FILE && c.after !== c.before));
              expect(repeat?.changes.find((c) => c.path === FILE)?.after, `proposed again: ${where}`).toBeUndefined();
            }
          }
        }
      }),
      { numRuns: Math.min(NUM_RUNS, 300) },
    );
    expect(seen).toBeGreaterThan(0);
  }, 600_000);
});
