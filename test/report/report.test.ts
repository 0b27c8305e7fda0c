/**
 * `docker-harden report`: text, Markdown, JSON and SARIF 2.1.0. The SARIF is validated against
 * the OASIS schema (test/fixtures/sarif-schema-2.1.0.json, a JSON Schema draft-04 document).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { prepareLearnSandbox } from '../../src/core/learn.js';
import { createSession } from '../../src/app/session.js';
import { runStep, type StepRun } from '../../src/core/runner.js';
import { steps, STEP_IDS } from '../../steps/index.js';
import { toSarif, levelOf, artifactLocation, relativeText } from '../../src/report/sarif.js';
import { buildReport, renderReportMarkdown } from '../../src/report/markdown.js';
import { emptyProfile } from '../../src/core/profile.js';
import { ensureBuilt, repoRoot, runCli } from '../helpers/cli.js';

const schemaFile = path.join(repoRoot, 'test', 'fixtures', 'sarif-schema-2.1.0.json');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
// Both are CommonJS with the class (plugin) also on `.default`, which is what Node's ESM import sees typed.
const ajv = new ajvDraft04.default({ allErrors: true, strict: false });
ajvFormats.default(ajv);
const validateSarif = ajv.compile(schema);

function problems(doc: unknown): string[] {
  return validateSarif(doc) ? [] : (validateSarif.errors ?? []).map((e: { instancePath: string; message?: string }) => `${e.instancePath} ${e.message}`);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'dh-report-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface SarifResult {
  ruleId: string;
  ruleIndex?: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation?: { artifactLocation: { uri: string; uriBaseId?: string }; region?: { startLine: number } }; logicalLocations?: { name: string }[] }[];
}
interface SarifDoc {
  version: string;
  runs: { tool: { driver: { name: string; version: string; informationUri: string; rules: { id: string; shortDescription: { text: string }; fullDescription: { text: string }; helpUri: string }[] } }; results: SarifResult[]; originalUriBaseIds: Record<string, { uri: string }> }[];
}

describe('the vendored SARIF schema', () => {
  it('is the OASIS SARIF 2.1.0 schema, JSON Schema draft-04', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(schema.id).toBe('https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
  });

  it('rejects a log that breaks it, so a pass means something', () => {
    const bad = { version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ ruleId: 'a', level: 'critical', message: { text: 'm' } }] }] };
    expect(problems(bad).join('\n')).toMatch(/level/);
    expect(problems({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x', informationUri: 'not a uri' } } }] }).join('\n')).toMatch(/informationUri/);
  });
});

describe('SARIF of the learn sandbox (host, Dockerfile and compose findings)', () => {
  let runs: StepRun[];
  let sandboxDir: string;
  let sarif: SarifDoc;
  let session: ReturnType<typeof createSession>;

  beforeAll(async () => {
    const sandbox = await prepareLearnSandbox({ dir: path.join(work, 'sandbox'), env: {} });
    sandboxDir = sandbox.dir;
    session = createSession({ ...sandbox.sessionOptions, registry: steps });
    runs = [];
    for (const { step, ctx } of session.pairs()) runs.push(await runStep(step, ctx));
    sarif = toSarif(runs, { version: '1.2.3', cwd: sandboxDir, steps: session.steps }) as unknown as SarifDoc;
  });

  it('validates against the SARIF 2.1.0 schema', () => {
    expect(problems(sarif)).toEqual([]);
  });

  it('has one run whose driver describes every finding code as a rule, with its help', () => {
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs).toHaveLength(1);
    const driver = sarif.runs[0]!.tool.driver;
    expect(driver).toMatchObject({ name: 'docker-harden', version: '1.2.3' });
    expect(new URL(driver.informationUri).protocol).toBe('https:');
    const declared = session.steps.flatMap((st) => Object.keys(st.meta.codes));
    const ids = driver.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const code of new Set(declared)) expect(ids).toContain(code);
    expect(ids).toContain('CIS-2.2');
    expect(ids).toContain('DH-USER-ROOT');
    const userRoot = driver.rules.find((r) => r.id === 'DH-USER-ROOT')!;
    expect(userRoot.fullDescription.text).toBe(steps.find((st) => st.meta.id === 'non-root-user')!.meta.codes['DH-USER-ROOT']!.help);
    for (const rule of driver.rules) {
      expect(rule.shortDescription.text.length, rule.id).toBeGreaterThan(0);
      expect(rule.fullDescription.text.length, rule.id).toBeGreaterThan(0);
      expect(() => new URL(rule.helpUri), rule.id).not.toThrow();
    }
  });

  it('gives file findings a path relative to the working directory and a line', () => {
    const results = sarif.runs[0]!.results;
    const dockerfile = results.filter((r) => r.locations[0]?.physicalLocation?.artifactLocation.uri === 'Dockerfile');
    expect(dockerfile.length).toBeGreaterThan(0);
    const nonRoot = dockerfile.find((r) => r.ruleId === 'DH-USER-ROOT')!;
    expect(nonRoot.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: 'Dockerfile', uriBaseId: '%SRCROOT%' }, region: { startLine: 3 } });
    const compose = results.find((r) => r.locations[0]?.physicalLocation?.artifactLocation.uri === 'compose.yaml' && /privileged/.test(r.message.text))!;
    expect(compose.locations[0]!.physicalLocation!.region!.startLine).toBe(7);
    expect(sarif.runs[0]!.originalUriBaseIds['%SRCROOT%']!.uri).toBe(`file://${sandboxDir}/`);
  });

  it('names the host as a logical location for host findings without a file', () => {
    const hostOnly = sarif.runs[0]!.results.filter((r) => r.locations[0]?.logicalLocations);
    expect(hostOnly.length).toBeGreaterThan(0);
    expect(hostOnly[0]!.locations[0]!.logicalLocations![0]!.name).toBe('the recorded learn host');
  });

  it('has one result per finding of a step that did not pass, with its level and rule index', () => {
    const expected = runs.filter((r) => r.result.status !== 'pass' && r.result.status !== 'not-applicable' && r.result.status !== 'error').reduce((n, r) => n + r.result.findings.length, 0);
    const results = sarif.runs[0]!.results;
    expect(results).toHaveLength(expected);
    const rules = sarif.runs[0]!.tool.driver.rules;
    for (const r of results) expect(rules[r.ruleIndex!]!.id).toBe(r.ruleId);
    const findingCodes = runs.filter((r) => r.result.status !== 'pass' && r.result.status !== 'not-applicable' && r.result.status !== 'error').flatMap((r) => r.result.findings.map((f) => f.code));
    expect(results.map((r) => r.ruleId)).toEqual(findingCodes);
    expect(results.some((r) => r.level === 'error')).toBe(true);
    expect(levelOf('critical')).toBe('error');
    expect(levelOf('medium')).toBe('warning');
    expect(levelOf('info')).toBe('note');
  });

  it('a check that could not run is a tool notification, and the invocation is not successful', () => {
    const broken: StepRun = { ...runs[0]!, result: { status: 'error', findings: [{ code: 'DH-DAEMON-JSON-INVALID', message: 'daemon.json:3:1: trailing comma', severity: 'high' }] }, proposals: [] };
    const doc = toSarif([broken], { version: '1.0.0', cwd: sandboxDir, steps }) as unknown as { runs: { results: unknown[]; invocations: { executionSuccessful: boolean; toolExecutionNotifications: { message: { text: string } }[] }[] }[] };
    expect(problems(doc)).toEqual([]);
    expect(doc.runs[0]!.results).toEqual([]);
    expect(doc.runs[0]!.invocations[0]!.executionSuccessful).toBe(false);
    expect(doc.runs[0]!.invocations[0]!.toolExecutionNotifications[0]!.message.text).toMatch(/trailing comma/);
  });

  it('keys a finding whose message names a path under the root the same in another checkout', () => {
    const dockerfileRun = runs.find((r) => r.target.kind === 'dockerfile')!;
    const keyIn = (root: string) => {
      const finding = { code: 'DH-USER-ROOT', message: `runs as root; see ${root}/api/Dockerfile`, severity: 'high' as const, file: path.join(root, 'Dockerfile'), line: 1 };
      const run: StepRun = { ...dockerfileRun, target: { ...dockerfileRun.target, path: path.join(root, 'Dockerfile'), label: path.join(root, 'Dockerfile') } as StepRun['target'], result: { status: 'fail', findings: [finding] }, proposals: [] };
      const doc = toSarif([run], { version: '1.0.0', cwd: root, root, steps }) as unknown as { runs: { results: { message: { text: string }; partialFingerprints: Record<string, string> }[] }[] };
      return doc.runs[0]!.results[0]!;
    };
    const [a, b] = [keyIn('/srv/ci-1/repo'), keyIn('/home/dev/repo')];
    expect(a.message.text).toBe('runs as root; see api/Dockerfile');
    expect(a.partialFingerprints['dockerHarden/v1']).toBe(b.partialFingerprints['dockerHarden/v1']);
  });

  it('encodes a path outside the working directory as an absolute file URI', () => {
    expect(artifactLocation('/etc/docker/daemon.json', sandboxDir)).toEqual({ uri: 'file:///etc/docker/daemon.json' });
    expect(artifactLocation(path.join(sandboxDir, 'sub dir', 'Dockerfile'), sandboxDir)).toEqual({ uri: 'sub%20dir/Dockerfile', uriBaseId: '%SRCROOT%' });
  });

  it('Markdown has the table of every step and escapes what would break it', () => {
    const profile = emptyProfile();
    profile.targets.host = { 'user-namespaces': { status: 'skipped', at: '2025-06-03T10:00:00.000Z', reason: 'swarm | later' } };
    const md = renderReportMarkdown(buildReport({ runs, profile, version: '1.2.3', profileFile: '/x/profile.json', stateDir: '/x', undoArgs: '' }));
    expect(md).toMatch(/^# docker-harden report/);
    expect(md).toContain('| # | Step | Target | Status | Decision |');
    for (const id of STEP_IDS) expect(md).toContain(`\`${id}\``);
    expect(md).toContain('skipped 2025-06-03 10:00: swarm \\| later');
  });
});

describe('SARIF message text: paths under the root written from it', () => {
  const relativeCases: [string, string, string][] = [
    ['/srv/repo', 'Seen: the repository at /srv/repo', 'Seen: the repository at .'],
    ['/srv/repo', 'read /srv/repo/api/Dockerfile:3 and (/srv/repo/compose.yaml)', 'read api/Dockerfile:3 and (compose.yaml)'],
    ['/srv/repo', 'the files under /srv/repo.', 'the files under ./.'],
    ['/srv/repo', 'not /srv/repo2/Dockerfile, /old/srv/repo/Dockerfile or /srv/repo.bak', 'not /srv/repo2/Dockerfile, /old/srv/repo/Dockerfile or /srv/repo.bak'],
    ['/', 'Seen: /etc/docker/daemon.json', 'Seen: /etc/docker/daemon.json'],
  ];
  for (const [root, text, expected] of relativeCases) {
    it(`message text under ${root}: ${JSON.stringify(text)}`, () => expect(relativeText(text, root)).toBe(expected));
  }
});

describe('docker-harden report on the command line', () => {
  const project = path.join(work, 'project');
  const stateDir = path.join(work, 'state');
  const env = { DOCKER_HOST: `unix://${path.join(work, 'none.sock')}`, HOME: work };

  beforeAll(async () => {
    await fs.mkdir(project, { recursive: true });
    await fs.writeFile(path.join(project, 'Dockerfile'), 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n');
    await ensureBuilt();
  });

  it('--format sarif for a Dockerfile: valid, relative to the working directory, with lines', async () => {
    const r = await runCli(['report', '--file', 'Dockerfile', '--format', 'sarif', '--state-dir', stateDir], { cwd: project, env });
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as SarifDoc;
    expect(problems(doc)).toEqual([]);
    const nonRoot = doc.runs[0]!.results.find((x) => x.ruleId === 'DH-USER-ROOT')!;
    expect(nonRoot.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: 'Dockerfile', uriBaseId: '%SRCROOT%' }, region: { startLine: 1 } });
  });

  it('check --sarif from a folder of a repository: paths from the repository root, as code scanning reads them; a file-wide finding at line 1', async () => {
    const repo = path.join(work, 'repo');
    await fs.mkdir(path.join(repo, '.git'), { recursive: true });
    await fs.mkdir(path.join(repo, 'api'), { recursive: true });
    await fs.writeFile(path.join(repo, 'api', 'Dockerfile'), 'FROM node:20\nCMD ["node", "server.js"]\n');
    await fs.writeFile(path.join(repo, 'compose.yaml'), 'services:\n  web:\n    image: nginx:1.27\n    privileged: true\n');
    const r = await runCli(['check', '--sarif', 'Dockerfile', '../compose.yaml'], { cwd: path.join(repo, 'api'), env });
    const doc = JSON.parse(r.stdout) as SarifDoc & { runs: { originalUriBaseIds: Record<string, { uri: string }> }[] };
    expect(problems(doc)).toEqual([]);
    expect(doc.runs[0]!.originalUriBaseIds['%SRCROOT%']!.uri).toBe(`file://${repo}/`);
    const uris = new Set(doc.runs[0]!.results.map((x) => x.locations[0]?.physicalLocation?.artifactLocation.uri));
    expect([...uris].sort()).toEqual(['api/Dockerfile', 'compose.yaml']);
    const physical = doc.runs[0]!.results.map((x) => x.locations[0]?.physicalLocation).filter((l) => l !== undefined);
    expect(physical.every((l) => (l!.region?.startLine ?? 0) >= 1)).toBe(true);
  });

  it('check --sarif writes the paths in messages from the repository root too; text and JSON keep them absolute', async () => {
    const repo = path.join(work, 'repo-messages');
    await fs.mkdir(path.join(repo, '.git'), { recursive: true });
    await fs.mkdir(path.join(repo, 'api'), { recursive: true });
    await fs.writeFile(path.join(repo, 'api', 'Dockerfile'), 'FROM node:20\nCMD ["node", "server.js"]\n');
    const args = ['check', '--only', 'dependency-scanning', 'Dockerfile'];
    const sarif = await runCli([...args, '--sarif'], { cwd: path.join(repo, 'api'), env });
    const doc = JSON.parse(sarif.stdout) as SarifDoc;
    expect(problems(doc)).toEqual([]);
    const texts = doc.runs[0]!.results.map((x) => x.message.text);
    expect(texts).toContainEqual(expect.stringMatching(/\nSeen: the repository at \.$/));
    for (const t of texts) expect(t).not.toContain(repo);
    const text = await runCli(args, { cwd: path.join(repo, 'api'), env });
    expect(text.stdout).toContain(`the repository at ${repo}\n`);
    const json = JSON.parse((await runCli([...args, '--json'], { cwd: path.join(repo, 'api'), env })).stdout) as { results: { findings: { evidence?: string }[] }[] };
    expect(json.results[0]!.findings.map((f) => f.evidence)).toContain(`the repository at ${repo}`);
  });

  it('--sarif and check --sarif give the same kind of document', async () => {
    const report = await runCli(['report', '--file', 'Dockerfile', '--sarif', '--state-dir', stateDir], { cwd: project, env });
    expect(problems(JSON.parse(report.stdout))).toEqual([]);
    const check = await runCli(['check', '--file', 'Dockerfile', '--sarif'], { cwd: project, env });
    expect(check.exitCode).toBe(1);
    expect(problems(JSON.parse(check.stdout))).toEqual([]);
  });

  it('shows decisions and applied changes after a fix, in text, md and json', async () => {
    const fix = await runCli(['fix', '--file', 'Dockerfile', '--only', 'non-root-user', '--yes', '--include-review', '--state-dir', stateDir], { cwd: project, env });
    expect(fix.exitCode, fix.stderr).not.toBe(2);
    const json = await runCli(['report', '--file', 'Dockerfile', '--json', '--state-dir', stateDir], { cwd: project, env });
    expect(json.exitCode, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { results: { step: string; status: string; applied: { id: string }[] }[]; applied: { id: string; step: string }[] };
    const nonRoot = doc.results.find((e) => e.step === 'non-root-user')!;
    expect(nonRoot.status).toBe('pass');
    expect(nonRoot.applied).toHaveLength(1);
    const id = nonRoot.applied[0]!.id;
    const text = await runCli(['report', '--file', 'Dockerfile', '--state-dir', stateDir], { cwd: project, env });
    expect(text.stdout).toContain(`docker-harden undo ${id} --state-dir ${stateDir}`);
    expect(text.stdout).not.toMatch(/\u001b\[/);
    const md = await runCli(['report', '--file', 'Dockerfile', '--format', 'md', '--state-dir', stateDir], { cwd: project, env });
    expect(md.stdout).toContain('## Applied changes, newest first');
    expect(md.stdout).toContain(`\`${id}\``);
  });

  it("applies the repository's decisions as check does: a skipped step, an ignored finding, an unused ignore, in every format", async () => {
    const repo = path.join(work, 'repo-decisions');
    await fs.mkdir(path.join(repo, '.git'), { recursive: true });
    await fs.writeFile(path.join(repo, 'Dockerfile'), '# docker-harden ignore=DH-BASE-LATEST renovate pins it\nFROM alpine:latest\nCMD ["sh"]\n# docker-harden ignore=DH-BASE-LATEST stale\n');
    await fs.writeFile(path.join(repo, '.docker-harden.yaml'), 'steps:\n  non-root-user:\n    skip: the platform runs it as a random uid\n');
    const base = ['report', '--file', 'Dockerfile', '--only', 'non-root-user,slim-base-image', '--state-dir', path.join(work, 'state-decisions')];
    const json = await runCli([...base, '--json'], { cwd: repo, env });
    expect(json.exitCode, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { summary: Record<string, number>; unusedIgnores?: { code: string; source: string }[]; results: { step: string; findings: { code: string }[]; suppressed?: { code: string }[]; skipped?: { reason: string } }[] };
    const byStep = new Map(doc.results.map((e) => [e.step, e]));
    expect(byStep.get('non-root-user')!.skipped?.reason).toBe('the platform runs it as a random uid');
    expect(byStep.get('non-root-user')!.findings).toEqual([]);
    expect(byStep.get('slim-base-image')!.findings.map((f) => f.code)).not.toContain('DH-BASE-LATEST');
    expect(byStep.get('slim-base-image')!.suppressed?.map((f) => f.code)).toContain('DH-BASE-LATEST');
    expect(doc.summary.skipped).toBe(1);
    expect(doc.unusedIgnores?.map((u) => `${u.code} ${path.relative(repo, u.source)}`)).toEqual(['DH-BASE-LATEST Dockerfile:4']);
    const text = await runCli(base, { cwd: repo, env });
    expect(text.stdout).toMatch(/^– skipped {2}4\. Run as a non-root user/m);
    expect(text.stdout).toMatch(/^ {4}skipped: the platform runs it as a random uid \(.*\.docker-harden\.yaml:2\)$/m);
    expect(text.stdout).toMatch(/^ {4}suppressed: \[\w+\] DH-BASE-LATEST .*\(renovate pins it; .*Dockerfile:1\)$/m);
    expect(text.stdout).toMatch(/^unused ignore: .*Dockerfile:4: DH-BASE-LATEST matches no finding/m);
    expect(text.stdout).toMatch(/^2 checks: .*1 skipped$/m);
    const md = await runCli([...base, '--format', 'md'], { cwd: repo, env });
    expect(md.stdout).toMatch(/\| – skipped \|/);
    expect(md.stdout).toContain('## Ignores that matched no finding');
    const sarif = JSON.parse((await runCli([...base, '--sarif'], { cwd: repo, env })).stdout);
    expect(problems(sarif)).toEqual([]);
    const results = sarif.runs[0].results as { ruleId: string; suppressions?: unknown[] }[];
    expect(results.find((r) => r.ruleId === 'DH-BASE-LATEST')?.suppressions).toHaveLength(1);
    expect(sarif.runs[0].invocations[0].toolConfigurationNotifications).toHaveLength(1);
  });

  it('without targets, reports the targets the profile knows', async () => {
    const r = await runCli(['report', '--state-dir', stateDir, '--json'], { cwd: work, env });
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { results: { target: string }[] };
    expect(new Set(doc.results.map((e) => e.target))).toEqual(new Set([path.join(project, 'Dockerfile')]));
  });

  it('says what to do when there is nothing to report, or the format is unknown', async () => {
    const empty = await runCli(['report', '--state-dir', path.join(work, 'fresh-state')], { cwd: work, env });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toMatch(/nothing to report/);
    expect(empty.stderr).toMatch(/--file \.\/Dockerfile/);
    const xml = await runCli(['report', '--file', 'Dockerfile', '--format', 'xml'], { cwd: project, env });
    expect(xml.exitCode).toBe(2);
    expect(xml.stderr).toMatch(/Use --format text, md, json or sarif/);
  });
});
