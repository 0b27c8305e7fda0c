/**
 * `docker compose` reads compose.override.yaml with compose.yaml unasked, and the files COMPOSE_FILE
 * names (in the environment or .env) instead: what the others add (a command, mounts,
 * configuration) is not in the file checked, so no fix of that file is safe there.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import step from '../../steps/11-seccomp-apparmor-capabilities.js';
import defaults from '../../steps/01-use-docker-defaults.js';
import { runStep } from '../../src/core/runner.js';
import { systemProbe } from '../../src/core/probe.js';
import { composeTarget, contextFor } from '../helpers/world.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-override-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const COMPOSE = 'services:\n  db:\n    image: postgres:16\n    volumes:\n      - data:/var/lib/postgresql/data\nvolumes:\n  data: {}\n';

let made = 0;

/** `beside`: files written next to the compose file; a value of null is a folder of that name. */
async function risks(name: string, beside: Record<string, string | null>, env: Record<string, string> = {}): Promise<{ risks: Record<string, string>; warnings: string[] }> {
  const dir = path.join(tmp, `p${made++}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, name), COMPOSE);
  for (const [file, text] of Object.entries(beside)) {
    if (text === null) mkdirSync(path.join(dir, file));
    else writeFileSync(path.join(dir, file), text);
  }
  const run = await runStep(step, contextFor(composeTarget(path.join(dir, name)), { probe: systemProbe(), env }));
  return { risks: Object.fromEntries(run.proposals.map((p) => [p.id, p.risk])), warnings: run.proposals.flatMap((p) => p.warnings) };
}

const ALL_SAFE = { 'db-cap-drop': 'safe', 'db-no-new-privileges': 'safe', 'db-read-only': 'safe' };
const ALL_REVIEW = { 'db-cap-drop': 'review', 'db-no-new-privileges': 'review', 'db-read-only': 'review' };
const PROD = 'services:\n  db:\n    volumes:\n      - ./pg.conf:/etc/postgresql/postgresql.conf\n';

describe('a compose override beside the file', () => {
  it('alone, the official postgres image gets its safe fixes', async () => {
    const { risks: r } = await risks('compose.yaml', {});
    expect(r).toEqual(ALL_SAFE);
  });

  it.each([
    ['compose.yaml', 'compose.override.yaml'],
    ['compose.yaml', 'compose.override.yml'],
    ['docker-compose.yml', 'docker-compose.override.yml'],
    // compose reads the first override it finds, whatever the base file's name.
    ['compose.yaml', 'docker-compose.override.yml'],
  ])('%s with %s: every fix is review, and says why', async (name, override) => {
    const { risks: r, warnings } = await risks(name, { [override]: 'services:\n  db:\n    command: ["sh", "-c", "cp /cfg/pg.conf /etc/postgresql/ && exec docker-entrypoint.sh postgres"]\n' });
    expect(r).toEqual(ALL_REVIEW);
    expect(warnings.filter((w) => w.includes(`docker compose reads ${override} beside this file with it`))).toHaveLength(3);
  });

  it('a file compose does not find by itself (named with -f) reads no override: its fixes stay safe', async () => {
    const { risks: r, warnings } = await risks('compose.prod.yaml', { 'compose.yaml': COMPOSE, 'compose.override.yaml': 'services: {}\n' });
    expect(r['db-read-only']).toBe('safe');
    expect(warnings.join('\n')).not.toContain('not this file');
  });
});

describe('a default-named file that docker compose passes over for another', () => {
  it.each<[string, string, Record<string, string>, Record<string, string>, string]>([
    // compose-go takes the first of compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml.
    ['an older name beside compose.yaml', 'docker-compose.yml', { 'compose.yaml': COMPOSE }, {}, 'docker compose, run in this folder without -f, reads compose.yaml, not this file'],
    ['with the override compose reads then', 'compose.yml', { 'compose.yaml': COMPOSE, 'compose.override.yaml': PROD }, {}, 'reads compose.yaml, compose.override.yaml, not this file'],
    ['COMPOSE_FILE names other files', 'compose.yaml', { 'compose.prod.yaml': PROD, '.env': 'COMPOSE_FILE=compose.prod.yaml\n' }, {}, 'COMPOSE_FILE in .env beside this file makes docker compose read compose.prod.yaml, not this file'],
  ])('%s: the fixes stay safe and say where they take effect', async (_label, name, beside, env, fragment) => {
    const { risks: r, warnings } = await risks(name, beside, env);
    expect(r).toEqual(ALL_SAFE);
    expect(warnings.filter((w) => w.includes(fragment) && w.includes(`this change takes effect where the file is named (\`docker compose -f ${name}\`)`))).toHaveLength(3);
    expect(warnings.join('\n')).not.toContain('docker compose config');
  });

  it('the first default name itself is read: no such warning', async () => {
    const { warnings } = await risks('compose.yaml', { 'docker-compose.yml': COMPOSE });
    expect(warnings.join('\n')).not.toContain('not this file');
  });
});

describe('COMPOSE_FILE: the files docker compose reads instead of the default names', () => {
  it.each<[string, Record<string, string | null>, Record<string, string>, string]>([
    ['.env names this file and another', { '.env': 'COMPOSE_FILE=compose.yaml:compose.prod.yaml\n' }, {}, 'COMPOSE_FILE in .env beside this file makes docker compose read compose.prod.yaml with this file, and what it adds'],
    // compose-go's dotenv: comments, `export`, quotes and a comment after the value.
    ['.env with export, double quotes and comments', { '.env': '# stack settings\n\nexport COMPOSE_FILE="compose.yaml:compose.prod.yaml"\nTZ=UTC\n' }, {}, 'read compose.prod.yaml with this file'],
    ['.env with single quotes', { '.env': "COMPOSE_FILE='compose.yaml:compose.prod.yaml'\n" }, {}, 'read compose.prod.yaml with this file'],
    ['.env with a comment after the value, CRLF lines', { '.env': 'A = 1\r\nCOMPOSE_FILE=compose.yaml:compose.prod.yaml  # prod\r\n' }, {}, 'read compose.prod.yaml with this file'],
    ['.env with its own separator', { '.env': 'COMPOSE_PATH_SEPARATOR=;\nCOMPOSE_FILE=compose.yaml;compose.prod.yaml\n' }, {}, 'read compose.prod.yaml with this file'],
    ['three files, named by path', { '.env': 'COMPOSE_FILE=./compose.yaml:compose.prod.yaml:ops/compose.logs.yaml\n' }, {}, 'read compose.prod.yaml, ops/compose.logs.yaml with this file, and what they add (a command, mounts, configuration) is not checked here: the service may need more than this change leaves it; run `docker compose config` to see them all merged, and check the service starts'],
    ['the environment names them', {}, { COMPOSE_FILE: 'compose.yaml:compose.ci.yaml' }, 'COMPOSE_FILE in the environment makes docker compose read compose.ci.yaml with this file'],
    ['the environment wins over .env', { '.env': 'COMPOSE_FILE=compose.yaml\n' }, { COMPOSE_FILE: 'compose.yaml:compose.ci.yaml' }, 'COMPOSE_FILE in the environment makes docker compose read compose.ci.yaml'],
    ['a .env that is a folder is left unread', { '.env': null }, { COMPOSE_FILE: 'compose.yaml:compose.ci.yaml' }, 'COMPOSE_FILE in the environment makes docker compose read compose.ci.yaml'],
    ['a .env that is not text is left unread', { '.env': 'COMPOSE_FILE=compose.yaml\u0000\n' }, { COMPOSE_FILE: 'compose.yaml:compose.ci.yaml' }, 'COMPOSE_FILE in the environment makes docker compose read compose.ci.yaml'],
    // compose-go's cli.WithEnvFiles: COMPOSE_ENV_FILES replaces .env, comma-separated, the later file winning.
    ['COMPOSE_ENV_FILES names the env file that sets it', { 'ci.env': 'COMPOSE_FILE=compose.yaml:compose.prod.yaml\n' }, { COMPOSE_ENV_FILES: 'ci.env' }, 'COMPOSE_FILE in ci.env (named by COMPOSE_ENV_FILES) makes docker compose read compose.prod.yaml with this file'],
    ['COMPOSE_ENV_FILES names two, the later one wins', { 'a.env': 'COMPOSE_FILE=compose.yaml\n', 'b.env': 'COMPOSE_FILE=compose.yaml:compose.prod.yaml\n' }, { COMPOSE_ENV_FILES: 'a.env,b.env' }, 'COMPOSE_FILE in a.env, b.env (named by COMPOSE_ENV_FILES) makes docker compose read compose.prod.yaml with this file'],
    ['COMPOSE_DISABLE_ENV_FILE=false still reads .env', { '.env': 'COMPOSE_FILE=compose.yaml:compose.prod.yaml\n' }, { COMPOSE_DISABLE_ENV_FILE: 'false' }, 'COMPOSE_FILE in .env beside this file makes docker compose read compose.prod.yaml with this file'],
  ])('%s: every fix is review, names the other files and says how to check', async (_label, beside, env, fragment) => {
    const { risks: r, warnings } = await risks('compose.yaml', { 'compose.prod.yaml': PROD, ...beside }, env);
    expect(r).toEqual(ALL_REVIEW);
    expect(warnings.filter((w) => w.includes(fragment) && w.includes('run `docker compose config`') && w.includes('check the service starts'))).toHaveLength(3);
  });

  it.each<[string, Record<string, string>, Record<string, string>]>([
    // With COMPOSE_FILE set compose reads only the files it names: the override beside is not one.
    ['it names this file alone, an override beside', { '.env': 'COMPOSE_FILE=compose.yaml\n', 'compose.override.yaml': PROD }, {}],
    // This file is then read only when named with -f, which reads it alone.
    ['it names other files, an override beside', { '.env': 'COMPOSE_FILE=compose.prod.yaml:compose.override.yaml\n', 'compose.override.yaml': PROD }, {}],
    ['the environment names this file alone, .env names two', { '.env': 'COMPOSE_FILE=compose.yaml:compose.prod.yaml\n', 'compose.override.yaml': PROD }, { COMPOSE_FILE: 'compose.yaml' }],
    // The env files compose reads for its own settings: .env is not one of them here.
    ['COMPOSE_DISABLE_ENV_FILE leaves the .env that names two unread', { '.env': 'COMPOSE_FILE=compose.yaml:compose.prod.yaml\n', 'compose.prod.yaml': PROD }, { COMPOSE_DISABLE_ENV_FILE: '1' }],
    ['COMPOSE_ENV_FILES names another file instead of the .env that names two', { '.env': 'COMPOSE_FILE=compose.yaml:compose.prod.yaml\n', 'compose.prod.yaml': PROD, 'ci.env': 'TZ=UTC\n' }, { COMPOSE_ENV_FILES: 'ci.env' }],
  ])('%s: the fixes stay safe', async (_label, beside, env) => {
    const { risks: r, warnings } = await risks('compose.yaml', beside, env);
    expect(r).toEqual(ALL_SAFE);
    expect(warnings.join('\n')).not.toContain('docker compose config');
  });

  it('a file compose does not find by itself is judged by COMPOSE_FILE too', async () => {
    const { risks: r, warnings } = await risks('compose.base.yaml', { '.env': 'COMPOSE_FILE=compose.base.yaml:compose.prod.yaml\n', 'compose.prod.yaml': PROD });
    expect(r).toEqual(ALL_REVIEW);
    expect(warnings.filter((w) => w.includes('COMPOSE_FILE in .env beside this file makes docker compose read compose.prod.yaml with this file'))).toHaveLength(3);
  });
});

/** Each proposal's risk and text, for `base` with `beside` written next to it. */
async function proposalsOf(stepUsed: typeof step, base: string, beside: Record<string, string>): Promise<{ risks: Record<string, string>; texts: Record<string, string>; findings: { code: string; message: string; file?: string; line?: number }[] }> {
  const dir = path.join(tmp, `p${made++}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'compose.yaml'), base);
  for (const [file, text] of Object.entries(beside)) writeFileSync(path.join(dir, file), text);
  const run = await runStep(stepUsed, contextFor(composeTarget(path.join(dir, 'compose.yaml')), { probe: systemProbe() }));
  return {
    risks: Object.fromEntries(run.proposals.map((p) => [p.id, p.risk])),
    texts: Object.fromEntries(run.proposals.map((p) => [p.id, `${p.description ?? ''}\n${p.changes.length}`])),
    // Paths in messages as the target was named (here by its full path), shown from its folder.
    findings: run.result.findings.map((f) => ({ code: f.code, message: f.message.replaceAll(`${dir}${path.sep}`, ''), file: f.file && path.basename(f.file), line: f.line })),
  };
}

describe('a fix that a file docker compose reads after this one undoes is advice, never written', () => {
  // compose-spec merge.md: a later file's value replaces; a sequence is joined unless tagged !override or !reset.
  it.each<[string, string, Record<string, string>, string | null]>([
    ['read_only: false there wins over read_only: true here', 'services:\n  db:\n    read_only: false\n', { 'db-read-only': 'advice', 'db-cap-drop': 'review', 'db-no-new-privileges': 'review' }, 'sets `read_only: false` for service db (line 3)'],
    ['read_only: !reset removes it', 'services:\n  db:\n    read_only: !reset null\n', { 'db-read-only': 'advice' }, 'sets `read_only: !reset null`'],
    ['cap_drop: !override replaces this file\'s list', 'services:\n  db:\n    cap_drop: !override [NET_RAW]\n', { 'db-cap-drop': 'advice', 'db-read-only': 'review' }, 'sets `cap_drop: !override [NET_RAW]` for service db (line 3), and `!override` makes it replace this file\'s list'],
    // A plain list is joined with this file's: what the fix adds stays.
    ['a plain security_opt list is joined', 'services:\n  db:\n    security_opt: ["label:type:svirt_apache_t"]\n', { 'db-no-new-privileges': 'review', 'db-cap-drop': 'review', 'db-read-only': 'review' }, null],
    ['another service there changes nothing here', 'services:\n  other:\n    read_only: false\n', { 'db-read-only': 'review' }, null],
  ])('%s', async (_label, override, expected, sentence) => {
    const { risks: r, texts } = await proposalsOf(step, COMPOSE, { 'compose.override.yaml': override });
    expect(r).toMatchObject(expected);
    const advised = Object.keys(expected).filter((id) => expected[id] === 'advice');
    for (const id of advised) {
      expect(texts[id]).toContain(`compose.override.yaml, which docker compose reads after this file, ${sentence}`);
      expect(texts[id]).toContain('Make the change in compose.override.yaml instead');
      // Advice carries no change: nothing to write.
      expect(texts[id]!.endsWith('\n0')).toBe(true);
    }
    if (sentence === null) expect(Object.values(texts).join('\n')).not.toContain('reads after this file');
  });

  it('a COMPOSE_FILE list: only a file after this one decides; one before it is decided by this file', async () => {
    const after = await proposalsOf(step, COMPOSE, { 'compose.prod.yaml': 'services:\n  db:\n    read_only: false\n', '.env': 'COMPOSE_FILE=compose.yaml:compose.prod.yaml\n' });
    expect(after.risks['db-read-only']).toBe('advice');
    expect(after.texts['db-read-only']).toContain('compose.prod.yaml, which docker compose reads after this file, sets `read_only: false`');
    const before = await proposalsOf(step, COMPOSE, { 'compose.prod.yaml': 'services:\n  db:\n    read_only: false\n', '.env': 'COMPOSE_FILE=compose.prod.yaml:compose.yaml\n' });
    expect(before.risks['db-read-only']).toBe('review');
  });

  it.each<[string, string, string, string]>([
    // Removing privileged here leaves the service privileged when the later file sets it too.
    ['privileged set again there', 'services:\n  app:\n    image: alpine:3.20\n    privileged: true\n', 'services:\n  app:\n    privileged: true\n', 'sets `privileged: true` for service app (line 3), and compose runs the service with it whatever this file says'],
    ['SYS_ADMIN listed there too', 'services:\n  app:\n    image: alpine:3.20\n    cap_add: [SYS_ADMIN]\n', 'services:\n  app:\n    cap_add:\n      - SYS_ADMIN\n', 'sets `cap_add: SYS_ADMIN` for service app (line 3), and compose joins the two lists, so the item stays'],
  ])('step 1: a removal that a later file undoes (%s) is advice', async (_label, base, override, sentence) => {
    const { risks: r, texts } = await proposalsOf(defaults, base, { 'compose.override.yaml': override });
    const [id] = Object.keys(r);
    expect(r[id!]).toBe('advice');
    expect(texts[id!]).toContain(sentence);
  });

  it.each([
    ['privileged: !reset', 'services:\n  app:\n    privileged: !reset null\n'],
    ['privileged: false', 'services:\n  app:\n    privileged: false\n'],
    ['cap_add: !override without SYS_ADMIN', 'services:\n  app:\n    cap_add: !override [NET_ADMIN]\n'],
  ])('step 1: %s there: compose does not run it as this file says, so nothing is said or fixed here', async (_label, override) => {
    const base = 'services:\n  app:\n    image: alpine:3.20\n    privileged: true\n    cap_add: [SYS_ADMIN]\n';
    const { risks: r, findings } = await proposalsOf(defaults, base, { 'compose.override.yaml': override });
    const turnedOff = override.includes('cap_add') ? 'adds SYS_ADMIN' : 'runs privileged';
    expect(findings.map((f) => f.message).filter((m) => m.includes(turnedOff))).toEqual([]);
    // What it does not turn off is still said and fixed here.
    expect(findings.filter((f) => f.file === 'compose.yaml')).toHaveLength(1);
    expect(Object.keys(r)).toHaveLength(1);
  });
});

describe('step 1 names what a file docker compose reads after this one turns off', () => {
  const OVERRIDE = 'services:\n  db:\n    privileged: true\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n  debug:\n    image: busybox\n    pid: host\n';

  it('at the later file\'s line, for its services and its new ones, with no fix of this file', async () => {
    const { findings, risks: r } = await proposalsOf(defaults, COMPOSE, { 'compose.override.yaml': OVERRIDE });
    expect(findings.map((f) => `${f.file}:${f.line} ${f.message.split(':')[0]}`)).toEqual([
      'compose.override.yaml:3 service db runs privileged',
      'compose.override.yaml:5 service db has the Docker socket mounted (/var/run/docker.sock)',
      "compose.override.yaml:8 service debug shares the host's process namespace (--pid host)",
    ]);
    for (const f of findings) expect(f.message).toContain('(set in compose.override.yaml, which docker compose reads after this file; `docker-harden fix --compose compose.override.yaml` fixes it there)');
    expect(r).toEqual({});
  });

  it('a later file that is also a target of the run is judged there, not twice', async () => {
    const dir = path.join(tmp, `p${made++}`);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'compose.yaml'), COMPOSE);
    writeFileSync(path.join(dir, 'compose.override.yaml'), OVERRIDE);
    const base = composeTarget(path.join(dir, 'compose.yaml'));
    const later = composeTarget(path.join(dir, 'compose.override.yaml'));
    const run = await runStep(defaults, contextFor(base, { probe: systemProbe(), runTargets: [base, later] }));
    expect(run.result.findings).toEqual([]);
  });

  it('without a later file, this file alone is judged', async () => {
    const { findings } = await proposalsOf(defaults, COMPOSE, {});
    expect(findings).toEqual([]);
  });
});

describe('step 11 says when a file docker compose reads after this one takes its confinement back', () => {
  const HARDENED = 'services:\n  web:\n    image: nginx:1.27\n    read_only: true\n    security_opt: ["no-new-privileges:true"]\n    cap_drop: [ALL]\n';

  it.each<[string, string, string[]]>([
    ['read_only: false and no-new-privileges:false', 'services:\n  web:\n    read_only: false\n    security_opt:\n      - no-new-privileges:false\n', [
      'compose.override.yaml:3 CIS-5.13 service web has a writable root file system after all: compose.override.yaml, which docker compose reads after this file, sets `read_only: false`, and its value is the one compose runs; `docker-harden fix --compose compose.override.yaml` fixes it there',
      'compose.override.yaml:4 CIS-5.26 service web does not get no-new-privileges after all: compose.override.yaml, which docker compose reads after this file, takes it back (`security_opt: no-new-privileges:false`); `docker-harden fix --compose compose.override.yaml` fixes it there',
    ]],
    ['read_only: !reset and security_opt: !override without it', 'services:\n  web:\n    read_only: !reset null\n    security_opt: !override ["label:disable"]\n', [
      'compose.override.yaml:3 CIS-5.13 service web has a writable root file system after all: compose.override.yaml, which docker compose reads after this file, sets `read_only: !reset null`, and its value is the one compose runs; `docker-harden fix --compose compose.override.yaml` fixes it there',
      'compose.override.yaml:4 CIS-5.26 service web does not get no-new-privileges after all: compose.override.yaml, which docker compose reads after this file, takes it back (`security_opt: !override ["label:disable"]`); `docker-harden fix --compose compose.override.yaml` fixes it there',
    ]],
    ['cap_drop: !override without ALL', 'services:\n  web:\n    cap_drop: !override [NET_RAW]\n', [
      "compose.override.yaml:3 DH-CAPS-DEFAULT service web keeps Docker's default capabilities after all: compose.override.yaml, which docker compose reads after this file, replaces its cap_drop (`cap_drop: !override [NET_RAW]`); `docker-harden fix --compose compose.override.yaml` fixes it there",
    ]],
    // A plain list is joined: no-new-privileges and cap_drop ALL stay; read_only: true there changes nothing.
    ['a plain security_opt list, a plain cap_drop and read_only: true', 'services:\n  web:\n    read_only: true\n    security_opt: ["label:type:svirt_apache_t"]\n    cap_drop: [NET_RAW]\n', []],
    ['cap_drop: !override that keeps ALL', 'services:\n  web:\n    cap_drop: !override [ALL]\n', []],
  ])('%s', async (_label, override, expected) => {
    const { findings } = await proposalsOf(step, HARDENED, { 'compose.override.yaml': override });
    expect(findings.filter((f) => f.file === 'compose.override.yaml').map((f) => `${f.file}:${f.line} ${f.code} ${f.message}`)).toEqual(expected);
  });

  it('the same file named in the run is judged there: nothing is said twice', async () => {
    const dir = path.join(tmp, `p${made++}`);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'compose.yaml'), HARDENED);
    writeFileSync(path.join(dir, 'compose.override.yaml'), 'services:\n  web:\n    read_only: false\n');
    const base = composeTarget(path.join(dir, 'compose.yaml'));
    const run = await runStep(step, contextFor(base, { probe: systemProbe(), runTargets: [base, composeTarget(path.join(dir, 'compose.override.yaml'))] }));
    expect(run.result.findings).toEqual([]);
  });
});

describe('an override checked alone is judged as docker compose runs it: on top of the file it overrides', () => {
  const HARDENED = 'services:\n  web:\n    image: nginx:1.27\n    read_only: true\n    security_opt: ["no-new-privileges:true"]\n    cap_drop: [ALL]\n  db:\n    image: postgres:16\n    privileged: true\n';

  /** Step `used` on the override `override` written beside `base` (compose.yaml). */
  async function overrideAlone(used: typeof step, base: string, override: string, env: Record<string, string> = {}, name = 'compose.override.yaml') {
    const dir = path.join(tmp, `p${made++}`);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'compose.yaml'), base);
    writeFileSync(path.join(dir, name), override);
    const run = await runStep(used, contextFor(composeTarget(path.join(dir, name)), { probe: systemProbe(), env }));
    return {
      findings: run.result.findings.map((f) => `${f.file && path.basename(f.file)}:${f.line} ${f.code} ${f.message.replaceAll(`${dir}${path.sep}`, '')}`),
      proposals: run.proposals.map((p) => ({ id: p.id, kind: p.kind, risk: p.risk, files: p.changes.map((c) => path.basename(c.path)), text: p.description ?? '' })),
    };
  }

  it.each<[string, string, string[]]>([
    ['a key it sets: read_only: false', 'services:\n  web:\n    read_only: false\n', ['compose.override.yaml:3 CIS-5.13 service web has a writable root file system: an intruder can change its programs and leave files behind']],
    ['what the base file sets and it does not touch is kept: nothing to say', 'services:\n  web:\n    ports: ["8080:80"]\n', []],
    ['cap_drop: !reset removes the base file\'s ALL: said at that line', 'services:\n  web:\n    cap_drop: !reset []\n', ["compose.override.yaml:3 DH-CAPS-DEFAULT service web keeps Docker's default capabilities (14, such as CHOWN, DAC_OVERRIDE, SETUID and NET_RAW): no cap_drop: [ALL]"]],
    ['security_opt: !override without no-new-privileges', 'services:\n  web:\n    security_opt: !override ["label:type:svirt_apache_t"]\n', ['compose.override.yaml:3 CIS-5.26 service web does not set no-new-privileges: a setuid program in it can raise its privileges']],
    ['a plain security_opt list is joined: no-new-privileges stays', 'services:\n  web:\n    security_opt: ["label:type:svirt_apache_t"]\n', []],
  ])('step 11: %s', async (_label, override, expected) => {
    const { findings, proposals } = await overrideAlone(step, HARDENED, override);
    expect(findings).toEqual(expected);
    // Its fixes are written in the override, where they take effect.
    for (const p of proposals) expect(p.files).toEqual(['compose.override.yaml']);
    expect(proposals).toHaveLength(expected.length);
  });

  it('step 1: a weakening only the base file sets is named at its line there, and its fix is advice to change it there', async () => {
    const { findings, proposals } = await overrideAlone(defaults, HARDENED, 'services:\n  db:\n    environment:\n      A: b\n');
    expect(findings).toEqual(['compose.yaml:9 CIS-5.5 service db runs privileged: every capability, every host device, no seccomp or AppArmor confinement; root in it is root on the host (set in compose.yaml, which docker compose reads before this file)']);
    expect(proposals).toHaveLength(1);
    expect(proposals[0]).toMatchObject({ kind: 'advice', files: [] });
    expect(proposals[0]!.text).toContain('`privileged` of service `db` is set in compose.yaml (line 9), which docker compose reads before this file');
  });

  it('a service of the base file the override does not name is not its to judge; one only it defines is', async () => {
    const { findings } = await overrideAlone(step, HARDENED, 'services:\n  debug:\n    image: busybox\n    read_only: true\n    cap_drop: [ALL]\n');
    expect(findings).toEqual(['compose.override.yaml:2 CIS-5.26 service debug does not set no-new-privileges: a setuid program in it can raise its privileges']);
  });

  it('a COMPOSE_FILE list: a file named after another is judged on top of it; one named first, with the other read after it', async () => {
    const prod = 'services:\n  web:\n    environment:\n      A: b\n  worker:\n    image: busybox\n    read_only: true\n    cap_drop: [ALL]\n';
    const later = await overrideAlone(step, HARDENED, prod, { COMPOSE_FILE: 'compose.yaml:compose.prod.yaml' }, 'compose.prod.yaml');
    expect(later.findings.map((f) => f.split(' ').slice(0, 3).join(' '))).toEqual(['compose.prod.yaml:5 CIS-5.26 service']);
    // First, it is judged by itself, and compose.yaml read after it gives web its confinement.
    const first = await overrideAlone(step, HARDENED, prod, { COMPOSE_FILE: 'compose.prod.yaml:compose.yaml' }, 'compose.prod.yaml');
    expect(first.findings.map((f) => f.split(' ').slice(0, 3).join(' '))).toEqual(['compose.prod.yaml:5 CIS-5.26 service']);
    expect(first.proposals.map((p) => p.id)).toEqual(['worker-no-new-privileges']);
  });
});

describe('the file an override is read with: what the override supplies is not asked for again', () => {
  it('cap_drop: [ALL], no-new-privileges and read_only: true set in the override: no finding and no fix for that service here', async () => {
    const { findings, risks: r } = await proposalsOf(step, COMPOSE, { 'compose.override.yaml': 'services:\n  db:\n    cap_drop: [ALL]\n    security_opt: ["no-new-privileges:true"]\n    read_only: true\n' });
    expect(findings).toEqual([]);
    expect(r).toEqual({});
  });

  it('a service only the override defines: what it lacks is said at its line there, with how to fix it', async () => {
    const { findings, risks: r } = await proposalsOf(step, 'services:\n  db:\n    image: postgres:16\n    read_only: true\n    cap_drop: [ALL]\n    security_opt: ["no-new-privileges:true"]\n', { 'compose.override.yaml': 'services:\n  debug:\n    image: busybox\n' });
    expect(findings.map((f) => `${f.file}:${f.line} ${f.code}`)).toEqual(['compose.override.yaml:2 DH-CAPS-DEFAULT', 'compose.override.yaml:2 CIS-5.26', 'compose.override.yaml:2 CIS-5.13']);
    for (const f of findings) expect(f.message).toContain('(only compose.override.yaml, which docker compose reads after this file, defines it; `docker-harden fix --compose compose.override.yaml` fixes it there)');
    expect(r).toEqual({});
  });
});

describe('how to fix what a later file sets', () => {
  it('names the later file as the person named the file it is read with, so the command runs where theirs did', async () => {
    const { fixThere } = await import('../../src/compose/later-files.js');
    expect(fixThere({ path: '/repo/deploy/compose.yaml', label: 'deploy/compose.yaml' }, '/repo/deploy/compose.override.yaml')).toBe('`docker-harden fix --compose deploy/compose.override.yaml` fixes it there');
    expect(fixThere({ path: '/repo/compose.yaml', label: 'compose.yaml' }, '/repo/compose.override.yaml')).toBe('`docker-harden fix --compose compose.override.yaml` fixes it there');
    expect(fixThere({ path: '/repo/compose.yaml', label: '/repo/compose.yaml' }, '/repo/prod/compose.prod.yaml')).toBe('`docker-harden fix --compose /repo/prod/compose.prod.yaml` fixes it there');
  });
});
