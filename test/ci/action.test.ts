/**
 * action.yml: checked against the Actions metadata rules (the composite-action parts of
 * SchemaStore's github-action.json, as JSON Schema, plus the references a runner resolves), then
 * run the way a runner runs a composite action: each `run` step in bash (`bash --noprofile
 * --norc -eo pipefail`) with the env the action sets, GITHUB_OUTPUT, GITHUB_ACTION_PATH and the
 * workspace as working directory; `if:` evaluated with the implicit success(); `uses:` steps,
 * which need GitHub, are recorded with their evaluated inputs instead of run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { ensureBuilt, repoRoot } from '../helpers/cli.js';

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}
interface Action {
  name: string;
  inputs: Record<string, { description: string; required: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const actionText = readFileSync(path.join(repoRoot, 'action.yml'), 'utf8');
const action = parseYaml(actionText) as Action;

// From SchemaStore's github-action.json (definitions runs-composite and outputs-composite, and
// the top level), draft-07, keeping the rules a composite action is held to.
const ID = '^[_a-zA-Z][a-zA-Z0-9_-]*$';
const actionSchema = {
  $schema: 'http://json-schema.org/draft-07/schema',
  type: 'object',
  required: ['name', 'description', 'runs'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    author: { type: 'string' },
    description: { type: 'string' },
    inputs: {
      type: 'object',
      additionalProperties: false,
      patternProperties: {
        [ID]: {
          type: 'object',
          required: ['description', 'required'],
          additionalProperties: false,
          properties: { description: { type: 'string' }, deprecationMessage: { type: 'string' }, required: { type: 'boolean' }, default: { type: 'string' } },
        },
      },
    },
    outputs: {
      type: 'object',
      additionalProperties: false,
      patternProperties: { [ID]: { type: 'object', required: ['description', 'value'], additionalProperties: false, properties: { description: { type: 'string' }, value: { type: 'string' } } } },
    },
    runs: {
      type: 'object',
      required: ['using', 'steps'],
      additionalProperties: false,
      properties: {
        using: { const: 'composite' },
        steps: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              run: { type: 'string' },
              shell: { type: 'string', enum: ['bash', 'pwsh', 'python', 'sh', 'cmd', 'powershell'] },
              uses: { type: 'string' },
              with: { type: 'object' },
              name: { type: 'string' },
              id: { type: 'string' },
              if: { type: 'string' },
              env: { type: 'object', additionalProperties: { type: 'string' } },
              'working-directory': { type: 'string' },
            },
            oneOf: [{ required: ['run', 'shell'] }, { required: ['uses'] }],
          },
        },
      },
    },
    branding: {
      type: 'object',
      additionalProperties: false,
      properties: { color: { enum: ['white', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'] }, icon: { type: 'string' } },
    },
  },
};

describe('action.yml against the Actions metadata rules', () => {
  it('is a valid composite action', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(actionSchema);
    expect(validate(action), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('the schema check catches what a runner would reject', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(actionSchema);
    const broken = structuredClone(action);
    delete broken.runs.steps[1]!.shell;
    expect(validate(broken)).toBe(false);
    const noRequired = structuredClone(action);
    delete (noRequired.inputs.files as Partial<Action['inputs'][string]>).required;
    expect(validate(noRequired)).toBe(false);
  });

  it('every expression names a declared input, an earlier step or a known context', () => {
    const ids: string[] = [];
    const check = (text: string, stepIndex: number) => {
      for (const m of text.matchAll(/\binputs\.([a-zA-Z0-9_-]+)/g)) expect(Object.keys(action.inputs), m[0]).toContain(m[1]);
      for (const m of text.matchAll(/\bsteps\.([a-zA-Z0-9_-]+)\.outputs\.([a-zA-Z0-9_-]+)/g)) {
        expect(ids, `${m[0]} in step ${stepIndex}`).toContain(m[1]);
        expect(actionText, `${m[0]}: the step writes it to GITHUB_OUTPUT`).toContain(`${m[2]}=`);
      }
      for (const m of text.matchAll(/\$\{\{([^}]*)\}\}/g)) expect(m[1]!.trim()).toMatch(/^(always\(\)|[^$]*)$/);
    };
    action.runs.steps.forEach((step, i) => {
      check(JSON.stringify(step), i);
      if (step.id) ids.push(step.id);
      // Values from inputs reach a shell through env only, never pasted into the script.
      if (step.run) expect(step.run, step.name).not.toMatch(/\$\{\{/);
      if (step.uses) expect(step.uses).toMatch(/^[\w.-]+\/[\w./-]+@v\d+$/);
    });
    for (const output of Object.values(action.outputs)) check(output.value, action.runs.steps.length);
    expect(action.runs.steps.map((s) => s.uses).filter(Boolean)).toContain('github/codeql-action/upload-sarif@v4');
  });
});

// ---------------------------------------------------------------------------------------------
// A runner, for the expressions this action uses: literals, contexts, ==, !=, &&, ||, always().

type Contexts = { inputs: Record<string, string>; github: Record<string, string>; steps: Record<string, { outputs: Record<string, string> }> };

function evaluate(expression: string, ctx: Contexts, status: { failed: boolean }): string | boolean {
  const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||[A-Za-z_][\w.-]*(?:\(\))?|\S/g) ?? [];
  let pos = 0;
  const atom = (): string | boolean => {
    const t = tokens[pos++]!;
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (t === 'always()') return true;
    if (t === 'success()') return !status.failed;
    if (t === 'failure()') return status.failed;
    if (t === 'true' || t === 'false') return t === 'true';
    const [head, ...rest] = t.split('.');
    let value: unknown = (ctx as unknown as Record<string, unknown>)[head!];
    for (const key of rest) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (value === undefined && head !== 'steps') throw new Error(`unknown context ${t}`);
    return (value as string | undefined) ?? '';
  };
  const comparison = (): string | boolean => {
    const left = atom();
    if (tokens[pos] === '==' || tokens[pos] === '!=') {
      const op = tokens[pos++];
      const right = atom();
      return op === '==' ? String(left) === String(right) : String(left) !== String(right);
    }
    return left;
  };
  const and = (): string | boolean => {
    let v = comparison();
    while (tokens[pos] === '&&') {
      pos++;
      const r = comparison();
      v = Boolean(v) && Boolean(r);
    }
    return v;
  };
  let v = and();
  while (tokens[pos] === '||') {
    pos++;
    const r = and();
    v = Boolean(v) || Boolean(r);
  }
  if (pos !== tokens.length) throw new Error(`cannot evaluate ${expression}`);
  return v;
}

const substitute = (text: string, ctx: Contexts, status: { failed: boolean }) => text.replace(/\$\{\{(.*?)\}\}/g, (_m, e: string) => String(evaluate(e, ctx, status)));

interface ActionRun {
  failed: boolean;
  ran: string[];
  uses: { uses: string; with: Record<string, string> }[];
  outputs: Record<string, string>;
  log: string;
}

async function runAction(workspace: string, inputs: Record<string, string>): Promise<ActionRun> {
  const ctx: Contexts = {
    inputs: Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, inputs[k] ?? v.default ?? ''])),
    github: { action_path: repoRoot, workspace },
    steps: {},
  };
  const status = { failed: false };
  const result: ActionRun = { failed: false, ran: [], uses: [], outputs: {}, log: '' };
  const temp = mkdtempSync(path.join(os.tmpdir(), 'dh-runner-'));
  try {
    for (const [i, step] of action.runs.steps.entries()) {
      const condition = step.if ? step.if.replace(/^\$\{\{(.*)\}\}$/s, '$1') : 'success()';
      const explicitStatus = /\b(always|success|failure|cancelled)\(\)/.test(condition);
      const run = explicitStatus ? evaluate(condition, ctx, status) : !status.failed && evaluate(condition, ctx, status);
      if (!run) continue;
      result.ran.push(step.name ?? step.id ?? String(i));
      if (step.uses) {
        result.uses.push({ uses: step.uses, with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(String(v), ctx, status)])) });
        continue;
      }
      const script = path.join(temp, `step-${i}.sh`);
      writeFileSync(script, step.run!);
      const outputFile = path.join(temp, `output-${i}`);
      writeFileSync(outputFile, '');
      const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(v, ctx, status)]));
      const cwd = step['working-directory'] ? substitute(step['working-directory'], ctx, status) : workspace;
      const r = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
        cwd,
        env: { PATH: process.env.PATH, HOME: temp, NO_COLOR: '1', CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace, GITHUB_ACTION_PATH: repoRoot, GITHUB_OUTPUT: outputFile, RUNNER_TEMP: temp, DOCKER_HARDEN_STATE_DIR: path.join(temp, 'state'), ...env },
        extendEnv: false,
        reject: false,
        timeout: 300_000,
        all: true,
      });
      result.log += String(r.all);
      const outputs = Object.fromEntries(
        readFileSync(outputFile, 'utf8')
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      if (step.id) ctx.steps[step.id] = { outputs };
      if (r.exitCode !== 0) status.failed = true;
    }
    result.failed = status.failed;
    result.outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, o]) => [k, substitute(o.value, ctx, status)]));
    return result;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

describe('action.yml run in a local shell', () => {
  let dir: string;
  const workspaces: Record<string, string> = {};
  async function repo(name: string, files: Record<string, string>): Promise<string> {
    const ws = path.join(dir, name);
    mkdirSync(ws, { recursive: true });
    await execa('git', ['init', '-q', ws]);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(ws, file)), { recursive: true });
      writeFileSync(path.join(ws, file), text);
    }
    await execa('git', ['add', '.'], { cwd: ws });
    return ws;
  }

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-action-'));
    workspaces.root = await repo('root', {
      'svc/api/Dockerfile': 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n',
      // BuildKit's ignore file for that Dockerfile: not a Dockerfile, never checked as one.
      'svc/api/Dockerfile.dockerignore': 'node_modules\n.git\n',
      'README.md': '# app\n',
    });
    // actions/checkout with `path: src`: the workspace itself is no repository.
    workspaces.nested = path.join(dir, 'nested');
    mkdirSync(workspaces.nested);
    await repo(path.join('nested', 'src'), { 'Dockerfile': 'FROM node:20-slim\nCMD ["node", "server.js"]\n' });
    workspaces.none = await repo('none', { 'README.md': '# nothing to check\n' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the tracked Dockerfile, writes SARIF with its path, uploads it, then fails the job', async () => {
    const r = await runAction(workspaces.root!, {});
    expect(r.outputs).toEqual({ 'sarif-file': 'docker-harden.sarif', 'exit-code': '1' });
    expect(r.log).toMatch(/svc\/api\/Dockerfile:1: the final stage \(FROM node:20-slim\) sets no USER/);
    const sarif = JSON.parse(readFileSync(path.join(workspaces.root!, 'docker-harden.sarif'), 'utf8')) as { version: string; runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    const uris = sarif.runs[0]!.results.flatMap((res) => res.locations.map((l) => l.physicalLocation.artifactLocation.uri));
    expect(uris).toContain('svc/api/Dockerfile');
    expect(r.uses).toEqual([
      { uses: 'actions/setup-node@v4', with: { 'node-version': '20' } },
      { uses: 'github/codeql-action/upload-sarif@v4', with: { sarif_file: 'docker-harden.sarif', category: 'docker-harden', checkout_path: `${workspaces.root!}/.` } },
    ]);
    expect(r.ran).toContain('Fail on findings');
    expect(r.failed).toBe(true);
  });

  it('with fail-on critical the same findings are uploaded (to a new directory) and the job passes', async () => {
    const again = await runAction(workspaces.root!, { 'fail-on': 'critical', 'sarif-file': 'out/dh.sarif' });
    expect(again.outputs).toEqual({ 'sarif-file': 'out/dh.sarif', 'exit-code': '0' });
    expect(existsSync(path.join(workspaces.root!, 'out/dh.sarif'))).toBe(true);
    expect(again.uses.map((u) => u.uses)).toContain('github/codeql-action/upload-sarif@v4');
    expect(again.ran).not.toContain('Fail on findings');
    expect(again.failed).toBe(false);
  });

  it('files named in the input are checked; a name it cannot place stops the job before any upload', async () => {
    const named = await runAction(workspaces.root!, { files: 'svc/api/Dockerfile', upload: 'false' });
    expect(named.outputs['exit-code']).toBe('1');
    expect(named.uses.map((u) => u.uses)).not.toContain('github/codeql-action/upload-sarif@v4');
    const bad = await runAction(workspaces.root!, { files: 'README.md' });
    expect(bad.failed).toBe(true);
    expect(bad.outputs).toEqual({ 'sarif-file': '', 'exit-code': '2' });
    expect(bad.log).toMatch(/cannot tell what kind of file "README.md" is/);
    expect(bad.uses.map((u) => u.uses)).not.toContain('github/codeql-action/upload-sarif@v4');
  });

  it('a repository checked out under a path: not found at the workspace (exit 2, said why), found with working-directory, the report where the input says', async () => {
    const lost = await runAction(workspaces.nested!, {});
    expect(lost.failed).toBe(true);
    expect(lost.outputs).toEqual({ 'sarif-file': '', 'exit-code': '2' });
    expect(lost.log).toMatch(/is not a git checkout, so its files cannot be listed: set the working-directory input/);
    const found = await runAction(workspaces.nested!, { 'working-directory': 'src' });
    expect(found.outputs).toEqual({ 'sarif-file': 'docker-harden.sarif', 'exit-code': '1' });
    const sarif = JSON.parse(readFileSync(path.join(workspaces.nested!, 'docker-harden.sarif'), 'utf8')) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(sarif.runs[0]!.results.flatMap((res) => res.locations.map((l) => l.physicalLocation.artifactLocation.uri))).toContain('Dockerfile');
    expect(found.uses.at(-1)).toEqual({ uses: 'github/codeql-action/upload-sarif@v4', with: { sarif_file: 'docker-harden.sarif', category: 'docker-harden', checkout_path: `${workspaces.nested!}/src` } });
  });

  it('a repository without Dockerfiles or compose files passes and uploads nothing', async () => {
    const r = await runAction(workspaces.none!, {});
    expect(r.failed).toBe(false);
    expect(r.log).toMatch(/no Dockerfile or compose file to check/);
    expect(r.outputs).toEqual({ 'sarif-file': '', 'exit-code': '0' });
    expect(r.uses.map((u) => u.uses)).toEqual(['actions/setup-node@v4']);
  });
});
