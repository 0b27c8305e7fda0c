/**
 * Decisions kept in the repository: `.docker-harden.yaml` ignores (by code and path) and step skips,
 * inline `# docker-harden ignore=` comments, as `check` (text, JSON, SARIF, exit code) and
 * `fix --yes` see them through the real command line; ignores that match no finding named;
 * malformed files refused with exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { ensureBuilt, repoRoot, runCli } from '../helpers/cli.js';
import { globMatches } from '../../src/core/repoconfig.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'dh-repoconfig-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

const ajv = new ajvDraft04.default({ allErrors: true, strict: false });
ajvFormats.default(ajv);
const validateSarif = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8')));

const ROOT_DOCKERFILE = 'FROM alpine:latest\nRUN echo hi\n';
let n = 0;

/** A fresh repository (a `.git` folder) with the given files; returns its root. */
function repo(files: Record<string, string>): string {
  const root = path.join(work, `repo-${++n}`);
  mkdirSync(path.join(root, '.git'), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

interface Entry {
  step: string;
  findings: { code: string }[];
  suppressed?: { code: string; suppression: { kind: string; reason: string; source: string } }[];
  skipped?: { reason: string };
}

async function checkJson(root: string, file: string, only: string): Promise<{ exitCode: number; entries: Entry[] }> {
  const r = await runCli(['check', '--json', '--only', only, file], { cwd: root });
  expect(r.stderr).toBe('');
  return { exitCode: r.exitCode, entries: (JSON.parse(r.stdout) as { results: Entry[] }).results };
}

describe('check honours the repository decisions', () => {
  const cases: { name: string; files: Record<string, string>; target: string; code: string; suppressed: false | { kind: string; reason: string; sourceEnd: string } }[] = [
    { name: 'an ignore by code', files: { 'Dockerfile': ROOT_DOCKERFILE, '.docker-harden.yaml': 'ignore:\n  - code: DH-USER-ROOT\n    reason: needs port 80\n' }, target: 'Dockerfile', code: 'DH-USER-ROOT', suppressed: { kind: 'external', reason: 'needs port 80', sourceEnd: '.docker-harden.yaml:2' } },
    { name: 'an ignore by code and a matching path glob', files: { 'svc/api/Dockerfile': ROOT_DOCKERFILE, '.docker-harden.yaml': '# kept\nignore:\n  - code: DH-USER-ROOT\n    path: "svc/**/Dockerfile"\n    reason: legacy image\n' }, target: 'svc/api/Dockerfile', code: 'DH-USER-ROOT', suppressed: { kind: 'external', reason: 'legacy image', sourceEnd: '.docker-harden.yaml:3' } },
    { name: 'an ignore whose path does not match', files: { 'svc/api/Dockerfile': ROOT_DOCKERFILE, '.docker-harden.yaml': 'ignore:\n  - code: DH-USER-ROOT\n    path: "web/*"\n    reason: legacy image\n' }, target: 'svc/api/Dockerfile', code: 'DH-USER-ROOT', suppressed: false },
    { name: 'an ignore of another code', files: { 'Dockerfile': ROOT_DOCKERFILE, '.docker-harden.yaml': 'ignore:\n  - code: DH-BASE-LATEST\n    reason: pinned later\n' }, target: 'Dockerfile', code: 'DH-USER-ROOT', suppressed: false },
    { name: 'an inline comment on the line before', files: { 'Dockerfile': '# docker-harden ignore=DH-BASE-LATEST,DH-USER-ROOT root for port 80\nFROM alpine:latest\n' }, target: 'Dockerfile', code: 'DH-USER-ROOT', suppressed: { kind: 'inSource', reason: 'root for port 80', sourceEnd: 'Dockerfile:1' } },
    { name: 'an inline comment not right above the finding', files: { 'Dockerfile': '# docker-harden ignore=DH-USER-ROOT root for port 80\n\nFROM alpine:latest\n' }, target: 'Dockerfile', code: 'DH-USER-ROOT', suppressed: false },
    { name: 'an inline comment in a compose file', files: { 'compose.yaml': 'services:\n  web:\n    image: nginx:1.25\n    # docker-harden ignore=DH-CAPS-PRIVILEGED the device needs it\n    privileged: true\n' }, target: 'compose.yaml', code: 'DH-CAPS-PRIVILEGED', suppressed: { kind: 'inSource', reason: 'the device needs it', sourceEnd: 'compose.yaml:4' } },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const root = repo(c.files);
      const r = await runCli(['check', '--json', c.target], { cwd: root });
      expect(r.stderr).toBe('');
      const entries = (JSON.parse(r.stdout) as { results: Entry[] }).results;
      const found = entries.flatMap((e) => e.findings).filter((f) => f.code === c.code);
      const suppressed = entries.flatMap((e) => e.suppressed ?? []).filter((f) => f.code === c.code);
      if (c.suppressed) {
        expect(found).toEqual([]);
        expect(suppressed).toHaveLength(1);
        expect(suppressed[0]!.suppression.kind).toBe(c.suppressed.kind);
        expect(suppressed[0]!.suppression.reason).toBe(c.suppressed.reason);
        expect(suppressed[0]!.suppression.source.endsWith(c.suppressed.sourceEnd)).toBe(true);
      } else {
        expect(found).toHaveLength(1);
        expect(suppressed).toEqual([]);
      }
    });
  }

  it('a step skipped in the file suppresses all its findings, and suppressed findings do not count for the exit code', async () => {
    const root = repo({ 'Dockerfile': '# docker-harden ignore=DH-BASE-LATEST renovate pins it\nFROM alpine:latest\n', '.docker-harden.yaml': 'steps:\n  non-root-user:\n    skip: the platform runs it as a random uid\n' });
    const before = await checkJson(repo({ 'Dockerfile': ROOT_DOCKERFILE }), 'Dockerfile', 'non-root-user,slim-base-image');
    expect(before.exitCode).toBe(1);
    const after = await checkJson(root, 'Dockerfile', 'non-root-user,slim-base-image');
    expect(after.exitCode).toBe(0);
    const step = after.entries.find((e) => e.step === 'non-root-user')!;
    expect(step.skipped?.reason).toBe('the platform runs it as a random uid');
    expect(step.findings).toEqual([]);
    expect(step.suppressed?.map((f) => f.code)).toContain('DH-USER-ROOT');
    const failOn = await runCli(['check', '--fail-on', 'low', '--only', 'non-root-user,slim-base-image', 'Dockerfile'], { cwd: root });
    expect(failOn.exitCode).toBe(0);
    expect(failOn.stdout).toMatch(/suppressed: \[medium\] DH-BASE-LATEST .*\(renovate pins it; .*Dockerfile:1\)/);
    expect(failOn.stdout).toMatch(/skipped: the platform runs it as a random uid \(.*\.docker-harden\.yaml:2\)/);
  });

  it('a skipped step shows as skipped, not as a pass, and the last line counts it so', async () => {
    const root = repo({ 'Dockerfile': ROOT_DOCKERFILE, '.docker-harden.yaml': 'steps:\n  non-root-user:\n    skip: the platform runs it as a random uid\n' });
    const r = await runCli(['check', '--only', 'non-root-user,multi-stage-build', 'Dockerfile'], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^– skipped {2}4\. Run as a non-root user \[non-root-user\] Dockerfile$/m);
    expect(r.stdout).toMatch(/^✔ pass {2}7\. /m);
    expect(r.stdout).not.toMatch(/^✔ pass {2}4\. /m);
    expect(r.stdout).toMatch(/^2 checks: 1 pass, 1 skipped$/m);
  });

  it('a platform chosen in the file settles the platforms step', async () => {
    const before = await checkJson(repo({ 'Dockerfile': ROOT_DOCKERFILE }), 'Dockerfile', 'security-platforms');
    expect(before.entries[0]!.findings.map((f) => f.code)).toContain('DH-PLATFORM-CHOICE');
    const after = await checkJson(repo({ 'Dockerfile': ROOT_DOCKERFILE, '.docker-harden.yaml': 'steps:\n  security-platforms:\n    platform: open-tools\n' }), 'Dockerfile', 'security-platforms');
    expect(after.entries[0]!.findings).toEqual([]);
    expect(after.entries[0]!.suppressed?.[0]?.suppression.reason).toBe('platform chosen for the repository: open-tools');
  });

  it('SARIF carries the suppressions (external for the file, inSource for a comment) and validates', async () => {
    const root = repo({ 'Dockerfile': '# docker-harden ignore=DH-BASE-LATEST renovate pins it\nFROM alpine:latest\n', '.docker-harden.yaml': 'ignore:\n  - code: DH-USER-ROOT\n    reason: needs port 80\n' });
    const r = await runCli(['check', '--sarif', '--only', 'non-root-user,slim-base-image', 'Dockerfile'], { cwd: root });
    expect(r.exitCode).toBe(0);
    const log = JSON.parse(r.stdout);
    expect(validateSarif(log), JSON.stringify(validateSarif.errors)).toBe(true);
    const results = log.runs[0].results as { ruleId: string; suppressions?: { kind: string; justification: string; location?: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } } }[] }[];
    const root_ = results.find((x) => x.ruleId === 'DH-USER-ROOT')!;
    expect(root_.suppressions).toEqual([expect.objectContaining({ kind: 'external', justification: 'needs port 80' })]);
    expect(root_.suppressions![0]!.location!.physicalLocation.artifactLocation.uri).toBe('.docker-harden.yaml');
    const latest = results.find((x) => x.ruleId === 'DH-BASE-LATEST')!;
    expect(latest.suppressions).toEqual([expect.objectContaining({ kind: 'inSource', justification: 'renovate pins it' })]);
    expect(latest.suppressions![0]!.location!.physicalLocation.region.startLine).toBe(1);
  });
});

describe('an ignore that matches no finding is named, and the exit code stays the same', () => {
  // A comment on the last line stands above no finding: named in every case, whatever else is.
  const STALE_LAST = '# docker-harden ignore=DH-BASE-LATEST stale\n';
  const cases: { name: string; files: Record<string, string>; only: string; unused: string[]; exitCode: number }[] = [
    { name: 'a comment left after the fix', files: { 'Dockerfile': '# docker-harden ignore=DH-USER-ROOT root for port 80\nFROM alpine:3.19\nUSER 10001\n' + STALE_LAST }, only: 'non-root-user,slim-base-image', unused: ['DH-USER-ROOT Dockerfile:1', 'DH-BASE-LATEST Dockerfile:4'], exitCode: 0 },
    { name: 'a comment not right above the finding', files: { 'Dockerfile': '# docker-harden ignore=DH-USER-ROOT root for port 80\n\nFROM alpine:3.19\n' + STALE_LAST }, only: 'non-root-user,slim-base-image', unused: ['DH-USER-ROOT Dockerfile:1', 'DH-BASE-LATEST Dockerfile:4'], exitCode: 1 },
    { name: 'one code of a comment in use, the other not', files: { 'Dockerfile': '# docker-harden ignore=DH-USER-ROOT,DH-BASE-LATEST root for port 80\nFROM alpine:3.19\n' }, only: 'non-root-user,slim-base-image', unused: ['DH-BASE-LATEST Dockerfile:1'], exitCode: 0 },
    { name: 'a comment in use is not named', files: { 'Dockerfile': '# docker-harden ignore=DH-USER-ROOT root for port 80\nFROM alpine:3.19\n' + STALE_LAST }, only: 'non-root-user,slim-base-image', unused: ['DH-BASE-LATEST Dockerfile:3'], exitCode: 0 },
    { name: 'a code whose step is left out with --only is not named', files: { 'Dockerfile': '# docker-harden ignore=DH-USER-ROOT root for port 80\n\nFROM alpine:3.19\n' + STALE_LAST }, only: 'slim-base-image', unused: ['DH-BASE-LATEST Dockerfile:4'], exitCode: 0 },
    { name: 'a code whose step is skipped is not named', files: { 'Dockerfile': '# docker-harden ignore=DH-USER-ROOT root for port 80\n\nFROM alpine:3.19\n' + STALE_LAST, '.docker-harden.yaml': 'steps:\n  non-root-user:\n    skip: random uid\n' }, only: 'non-root-user,slim-base-image', unused: ['DH-BASE-LATEST Dockerfile:4'], exitCode: 0 },
    { name: 'a code of a step that does not check Dockerfiles is not named', files: { 'Dockerfile': '# docker-harden ignore=DH-USERNS-PENDING not here\nFROM alpine:3.19\n' + STALE_LAST }, only: 'user-namespaces,slim-base-image', unused: ['DH-BASE-LATEST Dockerfile:3'], exitCode: 0 },
    { name: 'a code of a step not applicable to the file is not named', files: { 'Dockerfile': '# docker-harden ignore=CIS-4.6 probed by the orchestrator\nFROM alpine:3.19\nCMD ["sh"]\n' + STALE_LAST }, only: 'healthcheck,slim-base-image', unused: ['DH-BASE-LATEST Dockerfile:4'], exitCode: 0 },
    { name: 'a comment in a compose file', files: { 'compose.yaml': 'services:\n  web:\n    image: nginx:1.25\n    # docker-harden ignore=DH-CAPS-PRIVILEGED the device needs it\n    read_only: true\n' }, only: 'seccomp-apparmor-capabilities', unused: ['DH-CAPS-PRIVILEGED compose.yaml:4'], exitCode: 1 },
    { name: 'an entry whose path covers the checked file', files: { 'Dockerfile': 'FROM alpine:3.19\nUSER 10001\n', '.docker-harden.yaml': 'ignore:\n  - code: DH-USER-ROOT\n    path: Dockerfile\n    reason: needs port 80\n' }, only: 'non-root-user', unused: ['DH-USER-ROOT .docker-harden.yaml:2'], exitCode: 0 },
    { name: 'an entry without a path', files: { 'Dockerfile': 'FROM alpine:3.19\nUSER 10001\n', '.docker-harden.yaml': 'ignore:\n  - code: DH-USER-ROOT\n    reason: needs port 80\n' }, only: 'non-root-user', unused: ['DH-USER-ROOT .docker-harden.yaml:2'], exitCode: 0 },
    { name: 'an entry whose path covers no checked file is not named', files: { 'Dockerfile': 'FROM alpine:3.19\nUSER 10001\n' + STALE_LAST, '.docker-harden.yaml': 'ignore:\n  - code: DH-USER-ROOT\n    path: "legacy/**"\n    reason: needs port 80\n' }, only: 'non-root-user,slim-base-image', unused: ['DH-BASE-LATEST Dockerfile:3'], exitCode: 0 },
    { name: 'an entry whose finding a comment took is not named', files: { 'Dockerfile': '# docker-harden ignore=DH-USER-ROOT root for port 80\nFROM alpine:3.19\n' + STALE_LAST, '.docker-harden.yaml': 'ignore:\n  - code: DH-USER-ROOT\n    reason: needs port 80\n' }, only: 'non-root-user,slim-base-image', unused: ['DH-BASE-LATEST Dockerfile:3'], exitCode: 0 },
    { name: 'an entry in use is not named', files: { 'Dockerfile': 'FROM alpine:3.19\n' + STALE_LAST, '.docker-harden.yaml': 'ignore:\n  - code: DH-USER-ROOT\n    reason: needs port 80\n' }, only: 'non-root-user,slim-base-image', unused: ['DH-BASE-LATEST Dockerfile:2'], exitCode: 0 },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const root = repo(c.files);
      const target = Object.keys(c.files).find((f) => f !== '.docker-harden.yaml')!;
      const json = await runCli(['check', '--json', '--only', c.only, target], { cwd: root });
      expect(json.stderr).toBe('');
      expect(json.exitCode).toBe(c.exitCode);
      const doc = JSON.parse(json.stdout) as { unusedIgnores?: { code: string; kind: string; source: string; files: string[] }[] };
      expect((doc.unusedIgnores ?? []).map((u) => `${u.code} ${path.relative(root, u.source)}`)).toEqual(c.unused);
      for (const u of doc.unusedIgnores ?? []) {
        expect(u.kind).toBe(u.source.includes('.docker-harden.yaml') ? 'external' : 'inSource');
        expect(u.files).toEqual([path.join(root, target)]);
      }
      const text = await runCli(['check', '--only', c.only, target], { cwd: root });
      expect(text.exitCode).toBe(c.exitCode);
      expect(text.stdout.match(/^unused ignore: /gm) ?? []).toHaveLength(c.unused.length);
      for (const u of c.unused) {
        const [code, where] = u.split(' ');
        expect(text.stdout).toContain(`unused ignore: ${path.join(root, where!)}: ${code} matches no finding`);
      }
      // SARIF: a configuration notification at the ignore's line, the run still successful.
      const sarif = await runCli(['check', '--sarif', '--only', c.only, target], { cwd: root });
      expect(sarif.exitCode).toBe(c.exitCode);
      const log = JSON.parse(sarif.stdout);
      expect(validateSarif(log), JSON.stringify(validateSarif.errors)).toBe(true);
      const invocation = log.runs[0].invocations[0] as { executionSuccessful: boolean; toolConfigurationNotifications?: { level: string; message: { text: string }; associatedRule: { id: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] };
      expect(invocation.executionSuccessful).toBe(true);
      const notes = invocation.toolConfigurationNotifications ?? [];
      expect(notes.map((n) => `${n.associatedRule.id} ${n.locations[0]!.physicalLocation.artifactLocation.uri}:${n.locations[0]!.physicalLocation.region.startLine}`)).toEqual(c.unused);
      for (const n of notes) expect(n).toMatchObject({ level: 'note', message: { text: expect.stringMatching(/^unused ignore: \S+ matches no finding/) } });
      for (const n of notes) expect(n.message.text).not.toContain(root);
    });
  }
});

describe('an ignore for the host that matches nothing is named too', () => {
  // Content trust is judged on the host without a daemon: from DOCKER_CONTENT_TRUST in the environment and the shell files.
  const config = 'ignore:\n  - code: DH-DCT-ON\n    reason: the old registry needs it\n';
  const args = ['check', '--host', '--only', 'content-trust', '--docker-host', 'unix:///nonexistent/docker.sock'];

  it('an entry without a path, on a host where nothing matches it: named, with the host', async () => {
    const root = repo({ '.docker-harden.yaml': config });
    const json = await runCli([...args, '--json'], { cwd: root, env: { HOME: root } });
    expect(json.exitCode, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { unusedIgnores?: { code: string; kind: string; source: string; files: string[] }[] };
    expect(doc.unusedIgnores).toEqual([{ code: 'DH-DCT-ON', kind: 'external', source: `${path.join(root, '.docker-harden.yaml')}:2`, files: ['host'] }]);
    const text = await runCli(args, { cwd: root, env: { HOME: root } });
    expect(text.stdout).toContain('DH-DCT-ON matches no finding in the host; it can be removed unless another host or a file not checked here needs it');
  });

  it('in use when the host has the finding: suppressed, not named', async () => {
    const root = repo({ '.docker-harden.yaml': config });
    const json = await runCli([...args, '--json'], { cwd: root, env: { HOME: root, DOCKER_CONTENT_TRUST: '1' } });
    const doc = JSON.parse(json.stdout) as { unusedIgnores?: unknown[]; results: { suppressed?: { code: string }[] }[] };
    expect(doc.results[0]!.suppressed?.map((f) => f.code)).toEqual(['DH-DCT-ON']);
    expect(doc.unusedIgnores).toBeUndefined();
  });
});

describe('fix --yes never applies a suppressed or skipped proposal', () => {
  const dockerfile = 'FROM alpine:3.19\nRUN apk add curl\nCMD ["sh"]\n';
  const workflow = '.github/workflows/docker-harden-scan.yml';
  const cases: { name: string; config?: string; applied: boolean }[] = [
    { name: 'no decisions: the workflow is written', applied: true },
    { name: 'the finding ignored', config: 'ignore:\n  - code: DH-SCAN-CI-MISSING\n    reason: scanned by the registry\n', applied: false },
    { name: 'the step skipped', config: 'steps:\n  dependency-scanning:\n    skip: scanned by the registry\n', applied: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const root = repo({ 'Dockerfile': dockerfile, ...(c.config ? { '.docker-harden.yaml': c.config } : {}) });
      const r = await runCli(['fix', '--yes', '--only', 'dependency-scanning', '--state-dir', path.join(root, '.state'), 'Dockerfile'], { cwd: root });
      expect(existsSync(path.join(root, workflow))).toBe(c.applied);
      expect(r.exitCode).toBe(0);
      if (c.config?.includes('skip')) expect(r.stdout).toMatch(/skipped \(scanned by the registry; .*\.docker-harden\.yaml:2\)/);
    });
  }

  it('a step skipped in the profile (the wizard) is not applied either', async () => {
    const root = repo({ 'Dockerfile': dockerfile });
    const state = path.join(root, '.state');
    mkdirSync(state);
    const profile = { schema: 1, tool: 'docker-harden', targets: { [`dockerfile:${path.join(root, 'Dockerfile')}`]: { 'dependency-scanning': { status: 'skipped', at: new Date().toISOString(), reason: 'not ours' } } }, applied: [] };
    writeFileSync(path.join(state, 'profile.json'), JSON.stringify(profile));
    const r = await runCli(['fix', '--yes', '--only', 'dependency-scanning', '--state-dir', state, 'Dockerfile'], { cwd: root });
    expect(r.stdout).toMatch(/skipped \(not ours; the profile\)/);
    expect(existsSync(path.join(root, workflow))).toBe(false);
  });

  it('a review fix named with --include-review stays unapplied when its finding is ignored', async () => {
    const config = 'ignore:\n  - code: DH-USER-ROOT\n    reason: needs port 80\n';
    const root = repo({ 'Dockerfile': dockerfile, '.docker-harden.yaml': config });
    await runCli(['fix', '--yes', '--include-review', '--only', 'non-root-user', '--state-dir', path.join(root, '.state'), 'Dockerfile'], { cwd: root });
    expect(readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toBe(dockerfile);
    const control = repo({ 'Dockerfile': dockerfile });
    await runCli(['fix', '--yes', '--include-review', '--only', 'non-root-user', '--state-dir', path.join(control, '.state'), 'Dockerfile'], { cwd: control });
    expect(readFileSync(path.join(control, 'Dockerfile'), 'utf8')).toMatch(/^USER /m);
  });
});

describe('a malformed decisions file: exit 2 naming file and line, nothing changed', () => {
  const cases: { name: string; yaml: string; line: number; says: RegExp }[] = [
    { name: 'bad YAML', yaml: 'ignore: [\n  - code: x\n', line: 2, says: /not valid YAML/ },
    { name: 'an unknown key', yaml: 'ignore: []\nignroe: []\n', line: 2, says: /unknown key "ignroe".*\n.*Did you mean "ignore"/ },
    { name: 'an unknown key in an entry', yaml: 'ignore:\n  - code: DH-USER-ROOT\n    reason: r\n    paht: x\n', line: 4, says: /unknown key "paht"/ },
    { name: 'a missing reason', yaml: '# ok\nignore:\n  - code: DH-USER-ROOT\n', line: 3, says: /no "reason"[\s\S]*Every ignore needs a reason/ },
    { name: 'an empty reason', yaml: 'ignore:\n  - code: DH-USER-ROOT\n    reason: "  "\n', line: 3, says: /reason/ },
    { name: 'an unknown code', yaml: 'ignore:\n  - code: DH-USER-ROT\n    reason: r\n', line: 2, says: /unknown finding code "DH-USER-ROT"[\s\S]*Did you mean "DH-USER-ROOT"/ },
    { name: 'an unknown step', yaml: 'steps:\n  non-root-usr:\n    skip: r\n', line: 2, says: /unknown step "non-root-usr"[\s\S]*Did you mean "non-root-user"/ },
    { name: 'an empty skip reason, in plain words', yaml: 'steps:\n  dependency-scanning:\n    skip: ""\n', line: 3, says: /steps\.dependency-scanning\.skip is empty\n/ },
    { name: 'ignore that is not a list, in plain words', yaml: '# ours\nignore: DH-USER-ROOT\n', line: 2, says: /ignore must be a list \(- item lines\)/ },
    { name: 'a file that is a list, in plain words', yaml: '- ignore\n', line: 1, says: /the top level must be a mapping \(key: value lines\)/ },
    { name: 'a platform the step does not offer', yaml: 'steps:\n  security-platforms:\n    platform: open-tool\n', line: 3, says: /"open-tool" is not a platform choice of security-platforms[\s\S]*Did you mean "open-tools"[\s\S]*open-tools, docker-scout, commercial-platform/ },
    { name: 'a platform under a step that offers none', yaml: 'steps:\n  dependency-scanning:\n    platform: open-tools\n', line: 3, says: /step "dependency-scanning" offers no platform choice[\s\S]*Keep it under security-platforms/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const root = repo({ 'Dockerfile': 'FROM alpine:3.19\nCMD ["sh"]\n', '.docker-harden.yaml': c.yaml });
      const r = await runCli(['fix', '--yes', '--include-review', '--state-dir', path.join(root, '.state'), 'Dockerfile'], { cwd: root });
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${path.join(root, '.docker-harden.yaml')}:${c.line}`);
      expect(r.stderr).toMatch(c.says);
      expect(readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toBe('FROM alpine:3.19\nCMD ["sh"]\n');
      expect(existsSync(path.join(root, '.github'))).toBe(false);
      expect(existsSync(path.join(root, '.state'))).toBe(false);
    });
  }

  it('an inline comment with an unknown code or without a reason', async () => {
    const root = repo({ 'Dockerfile': '# docker-harden ignore=DH-USER-ROOT\nFROM alpine:3.19\n' });
    const r = await runCli(['check', 'Dockerfile'], { cwd: root });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${path.join(root, 'Dockerfile')}:1`);
    expect(r.stderr).toMatch(/gives no reason/);
    const r2 = await runCli(['check', 'Dockerfile'], { cwd: repo({ 'Dockerfile': '# docker-harden ignore=DH-USR-ROOT why\nFROM alpine:3.19\n' }) });
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toMatch(/unknown finding code "DH-USR-ROOT"/);
  });
});

describe('path globs', () => {
  const table: [string, string, boolean][] = [
    ['Dockerfile', 'Dockerfile', true],
    ['Dockerfile', 'svc/api/Dockerfile', true],
    ['svc/*/Dockerfile', 'svc/api/Dockerfile', true],
    ['svc/*/Dockerfile', 'svc/a/b/Dockerfile', false],
    ['svc/**/Dockerfile', 'svc/a/b/Dockerfile', true],
    ['svc/**/Dockerfile', 'svc/Dockerfile', true],
    ['**/*.dev', 'a/Dockerfile.dev', true],
    ['Dockerfile.?', 'Dockerfile.1', true],
    ['Dockerfile.?', 'Dockerfile.10', false],
    ['./web/Dockerfile', 'web/Dockerfile', true],
    ['web/Dockerfile', 'api/web/Dockerfile', false],
  ];
  for (const [pattern, file, matches] of table) {
    it(`${pattern} ${matches ? 'matches' : 'does not match'} ${file}`, () => expect(globMatches(pattern, file)).toBe(matches));
  }
});
