/**
 * Where CI builds a Dockerfile from. Its own folder, unless the repository says otherwise: a
 * `docker build` line or docker/build-push-action step of its CI, a Bake file's target, a compose
 * file's `build:` (context and dockerfile), a dev container's devcontainer.json (`build.context`),
 * or COPY lines whose files are in a folder above it and not beside it (a `docker/Dockerfile`
 * built with `docker build -f docker/Dockerfile .`). A CI job that builds from the wrong folder
 * fails at its first COPY.
 */
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { Context } from '../../src/core/step.js';
import type { TrackedFiles } from '../../src/core/git-index.js';
import type { Document } from 'yaml';
import { yamlLibrary } from '../../src/core/yaml-lazy.js';
import { splitWords } from '../../src/core/words.js';
import { interpolate, parseDotEnv } from '../../src/compose/interpolate.js';
import { ciFiles, copyOperands, findRepoRoot, inside, isRemoteSource, type CiFile } from './supply-chain.js';
import { trackedFiles } from '../../src/core/git-index.js';

/** A build context other than the Dockerfile's folder, and what says so. */
export interface BuildContext {
  dir: string;
  why: string;
  /** Inferred from the Dockerfile alone, with nothing in the repository to confirm it. */
  guess?: boolean;
  /** Other folders the repository's build definitions build it from: they disagree. */
  conflicts?: BuildContext[];
  /**
   * Build contexts given to it by name, which a FROM may name: a Bake target's `contexts = { base =
   * "target:base" }`, a compose service's `additional_contexts`. `by` says which ("Bake target
   * front"), `builder` the command that gives them.
   */
  named?: { by: string; builder: 'docker buildx bake' | 'docker compose build'; contexts: Record<string, string> };
  /** What builds it from a folder outside the repository, which a checkout of it alone lacks. */
  outside?: BuildContext;
  /** A compose service that builds it: how the image is run. */
  service?: BuildingService;
  /** The build arguments a CI build line gives it with their values written out (`--build-arg BASE=alpine:3.20`). */
  buildArgs?: [string, string][];
}

/** A compose service that builds a Dockerfile: the compose file (absolute path) and the service's name. */
export interface BuildingService {
  file: string;
  name: string;
}

/** What the repository's build definitions say of each Dockerfile: every folder they build it from, in the order read. */
type Declared = Map<string, BuildContext[]>;

function declare(out: Declared, file: string, entry: BuildContext): void {
  const known = out.get(file);
  const same = known?.find((k) => k.dir === entry.dir);
  if (!known) out.set(file, [entry]);
  else if (!same) known.push(entry);
  else {
    if (entry.named && !same.named) same.named = entry.named;
    if (entry.service && !same.service) same.service = entry.service;
    if (entry.buildArgs && !same.buildArgs) same.buildArgs = entry.buildArgs;
  }
}

// compose.yaml and docker-compose.yml, and their variants (docker-compose.dev.yml, compose.ci.yaml).
const COMPOSE_NAME = /^(docker-)?compose(\.[\w-]+)?\.ya?ml$/;
/** The plain names first: what `docker compose` reads without -f. */
const composeFirst = (a: string, b: string) => Number(/^(docker-)?compose\.ya?ml$/.test(b)) - Number(/^(docker-)?compose\.ya?ml$/.test(a)) || a.localeCompare(b);
const DEVCONTAINER_NAMES = ['devcontainer.json', '.devcontainer.json'];
// The files a project's build starts from.
const PROJECT_FILE = /^(go\.mod|package\.json|pom\.xml|build\.gradle(\.kts)?|Cargo\.toml|pyproject\.toml|requirements\.txt|Gemfile|composer\.json|mix\.exs|.*\.sln|Makefile)$/;
const ROOT_BUILD_FILES = ['Makefile', 'makefile', 'GNUmakefile', 'README.md'];
// What `docker buildx bake` reads at the root, the later overriding the earlier.
const BAKE_FILES = ['docker-bake.json', 'docker-bake.override.json', 'docker-bake.hcl', 'docker-bake.override.hcl'];

// Options of docker, podman and buildah build that take a value as the next word; the others stand alone.
const VALUED = new Set(['-f', '--file', '-t', '--tag', '--build-arg', '--target', '--platform', '--label', '--cache-from', '--cache-to', '-o', '--output', '--secret', '--ssh', '--network', '--progress', '--iidfile', '--metadata-file', '--build-context', '--add-host', '--builder', '--ulimit', '--shm-size', '-m', '--memory', '--cgroup-parent', '--isolation', '--annotation', '--attest', '--provenance', '--sbom', '--allow', '--format', '--authfile', '--creds', '--jobs', '--arch', '--os', '--variant', '--volume', '-v', '--env', '--runtime', '--userns', '--device', '--dns', '--sign-by', '--manifest', '--retry', '--retry-delay', '--timestamp', '--layer-label', '--build-arg-file', '--cert-dir', '--cpu-shares', '--security-opt']);
// A build command: docker, podman or buildah build, or kaniko's executor (in a Makefile, maybe after @ or -).
const BUILD_COMMAND = /(?:^|[\s;&|(`'"@-])((?:docker|podman)\s+(?:buildx\s+|image\s+)?build|buildah\s+(?:bud|build(?:-using-dockerfile)?)|\/kaniko\/executor)(?=\s|$)/;
// The job's workspace, in the variables CI gives it: where the repository is checked out.
const ROOT_VARIABLE = /\$\{\{\s*github\.workspace\s*\}\}|\$\{(?:CI_PROJECT_DIR|GITHUB_WORKSPACE)\}|\$(?:CI_PROJECT_DIR|GITHUB_WORKSPACE)\b/g;
// What ROOT_VARIABLE becomes in a build line's words: a path from it is a path from the workspace.
const WORKSPACE = '\u0001';

/** The text's lines with continuations joined (a trailing `\`, or a next line of options), each with its first line's number. */
function commandLines(text: string): { line: number; text: string }[] {
  const lines = text.split('\n');
  const out: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let joined = lines[i]!;
    // A folded YAML command (`- >`) goes on with lines of options; a shell one with a trailing backslash.
    while (i + 1 < lines.length && (/\\\s*$/.test(joined) || (BUILD_COMMAND.test(joined) && /^\s*-{1,2}[A-Za-z]/.test(lines[i + 1]!)))) joined = joined.replace(/\\\s*$/, '') + ' ' + lines[++i]!.trim();
    out.push({ line: first + 1, text: joined });
  }
  return out;
}

/**
 * The build lines of a CI file, Makefile or README, run from the repository root: `docker build
 * -f DOCKERFILE CONTEXT` (podman, buildah alike), `/kaniko/executor --context DIR --dockerfile
 * FILE`. A line that changes folder first, or names either with a variable other than the
 * checkout's (`$CI_PROJECT_DIR`, `$GITHUB_WORKSPACE`), says nothing. `place`: where a workflow
 * step's script runs.
 */
function buildCommands(root: string, file: string, text: string, out: Declared, place: RunPlace = AT_ROOT): DefinitionFile[] {
  const named: DefinitionFile[] = [];
  if (!/\b(build|bud|executor|bake|compose)\b/.test(text)) return named;
  // After a `cd` of its own (a script's line, a CI job's list item), build lines run elsewhere
  // until the next job, GitHub step, code block or file (a README's `cd` after `git clone` goes to
  // the root); a Makefile's recipe lines each run in a shell of their own.
  let moved = false;
  let cloned = false;
  for (const { line: number, text: line } of commandLines(text)) {
    if (/^(\S.*:\s*$|\s*```|\s*-\s+(name|run|uses|id|if)\s*:)/.test(line)) moved = cloned = false;
    else if (/\bgit\s+clone\s/.test(line)) cloned = true;
    else if (/^ *(- +)?cd\s/.test(line)) {
      if (cloned) cloned = false;
      else moved = true;
    }
    if (moved) continue;
    named.push(...definitionFiles(root, place, line));
    const command = commandWords(line, BUILD_COMMAND);
    if (!command) continue;
    const { words } = command;
    const kaniko = command.name.endsWith('executor');
    const operands = buildOperands(words, kaniko);
    let { dockerfile, context } = operands;
    if (kaniko && context) context = context.replace(/^dir:\/\//, '');
    if (kaniko && context && !dockerfile) dockerfile = 'Dockerfile';
    // `docker build --build-arg BASE=x .`: the Dockerfile in the context, for the arguments it is given.
    if (!kaniko && context && !dockerfile && operands.args.length > 0) dockerfile = path.posix.join(context, 'Dockerfile');
    if (!dockerfile || !context || /[$`(){}]/.test(dockerfile + context) || /^[a-z]+:\/\//i.test(context) || context === '-') continue;
    const dir = repositoryPath(root, place, context);
    if (dir === null) continue;
    const where = place.dir === '.' ? '' : ` in ${place.dir}`;
    const why: BuildContext = { dir, why: `${path.relative(root, file)} line ${number + place.firstLine - 1} builds it with context ${context.replace(WORKSPACE, line.match(ROOT_VARIABLE)?.[0] ?? '.')}${where}`, ...(operands.args.length > 0 ? { buildArgs: operands.args } : {}) };
    // kaniko reads a relative --dockerfile from where it runs, else from the context.
    const candidates = [repositoryPath(root, place, dockerfile), ...(kaniko && !dockerfile.startsWith(WORKSPACE) && !path.isAbsolute(dockerfile) ? [path.resolve(dir, dockerfile)] : [])];
    for (const built of candidates) if (built !== null) declare(out, built, why);
  }
  return named;
}

/**
 * The command `pattern` finds in a line (its group 1), and the words after it, with the checkout's
 * variables as WORKSPACE; null when there is none, a `cd` comes before it, or a quote is not closed.
 */
function commandWords(line: string, pattern: RegExp): { name: string; words: string[] } | null {
  const match = pattern.exec(line);
  if (!match) return null;
  const at = match.index + match[0].length - match[1]!.length;
  if (/\bcd\s/.test(line.slice(0, at))) return null;
  try {
    return { name: match[1]!, words: splitWords(line.slice(at + match[1]!.length).replace(ROOT_VARIABLE, WORKSPACE), { operators: true, onUnclosedQuote: () => { throw new Error('unclosed'); } }) };
  } catch {
    return null;
  }
}

/** A Bake or compose file a command names (`docker buildx bake -f FILE`, `docker compose -f FILE`), and the folder Bake runs in. */
interface DefinitionFile {
  kind: 'bake' | 'compose';
  file: string;
  /** The folder its paths are read from: where Bake runs, or compose's project directory. */
  cwd: string;
}

/** The files `docker compose` reads without -f, in its order. */
const COMPOSE_DEFAULTS = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

const DEFINITION_COMMAND = /(?:^|[\s;&|(`'"@-])(docker\s+(?:buildx\s+)?bake|docker\s+compose|docker-compose)(?=\s)/;

/** The files a `docker buildx bake` or `docker compose` line names with -f/--file, as paths of the repository. */
function definitionFiles(root: string, place: RunPlace, line: string): DefinitionFile[] {
  const command = commandWords(line, DEFINITION_COMMAND);
  if (!command) return [];
  const { words } = command;
  const named: string[] = [];
  let builds = false;
  let project: string | null = null;
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (['&&', '||', ';', '|', '&'].includes(w) || w.startsWith('#')) break;
    if (w === '-f' || w === '--file') named.push(words[++k] ?? '');
    else if (w.startsWith('--file=')) named.push(w.slice('--file='.length));
    else if (w === '--project-directory') project = words[++k] ?? '';
    else if (w.startsWith('--project-directory=')) project = w.slice('--project-directory='.length);
    else if (w === 'build' || w === '--build') builds = true;
  }
  const kind = command.name.includes('bake') ? 'bake' : 'compose';
  // `docker compose build` (or `up --build`) with no -f: the compose file of the folder it runs in.
  if (kind === 'compose' && builds && named.length === 0) named.push(...COMPOSE_DEFAULTS);
  const files = named.filter((f) => f && f !== '-' && !/[$`]/.test(f)).map((f) => repositoryPath(root, place, f));
  // Bake reads its files' paths from where it runs; compose from the project directory:
  // --project-directory, else the folder of the first file.
  const cwd =
    kind === 'bake' ? repositoryPath(root, place, '.') : project !== null ? (/[$`]/.test(project) ? null : repositoryPath(root, place, project)) : files[0] ? path.dirname(files[0]) : null;
  return cwd === null ? [] : files.flatMap((file) => (file === null ? [] : [{ kind, file, cwd }]));
}

/**
 * A path of a build line as a path of the repository, null outside it: from the folder the line
 * runs in, or from the workspace after `$GITHUB_WORKSPACE`; the repository sits in the workspace
 * where the job checked it out.
 */
function repositoryPath(root: string, place: RunPlace, value: string): string | null {
  const fromWorkspace = value.startsWith(WORKSPACE);
  const rest = fromWorkspace ? value.slice(WORKSPACE.length).replace(/^\/+/, '') || '.' : value;
  if (path.posix.isAbsolute(rest) || rest.includes(WORKSPACE)) return null;
  const inWorkspace = path.posix.normalize(path.posix.join(fromWorkspace ? '.' : place.dir, rest)).replace(/\/$/, '');
  const rel = place.checkout === '.' ? inWorkspace : fromCheckout(inWorkspace, place.checkout);
  return rel === null || rel === '..' || rel.startsWith('../') ? null : path.resolve(root, rel);
}

/**
 * The Dockerfile and context a build command's words name: kaniko's `--dockerfile` and
 * `--context`; for the others `-f`/`--file` and the last operand (options that take a value skip it).
 */
function buildOperands(words: readonly string[], kaniko: boolean): { dockerfile: string | null; context: string | null; args: [string, string][] } {
  const [fileOptions, contextOptions] = kaniko ? [['-f', '--dockerfile'], ['-c', '--context']] : [['-f', '--file'], []];
  let dockerfile: string | null = null;
  let context: string | null = null;
  const args: [string, string][] = [];
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (['&&', '||', ';', '|', '&', '>', '2>&1'].includes(w) || w.startsWith('#')) break;
    // `--file=X` or `--file X`.
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    const name = eq > 0 ? w.slice(0, eq) : w;
    const value = () => (eq > 0 ? w.slice(eq + 1) : (words[++k] ?? null));
    if (fileOptions.includes(name)) dockerfile = value();
    else if (contextOptions.includes(name)) context = value();
    else if (name === '--build-arg') {
      // Only a value written out: one from a variable or an expression of the CI is not known here.
      const arg = value();
      const at = arg?.indexOf('=') ?? -1;
      if (arg && at > 0 && !/[$`]/.test(arg)) args.push([arg.slice(0, at), arg.slice(at + 1)]);
    } else if (w.startsWith('-')) {
      if (eq < 0 && VALUED.has(w)) k++;
    } else if (!kaniko) context = w;
  }
  return { dockerfile, context, args };
}

/** Where a script runs. */
interface RunPlace {
  /** Its folder, from the workspace ('.': the workspace itself). */
  dir: string;
  /** The folder of the workspace the repository is checked out in ('.': the workspace itself). */
  checkout: string;
  /** The line of its file it starts at. */
  firstLine: number;
}

const AT_ROOT: RunPlace = { dir: '.', checkout: '.', firstLine: 1 };

/** A workflow checks the repository out in a folder of its workspace (`actions/checkout` with `path:`). */
const CHECKOUT_IN_FOLDER = (text: string) => /actions\/checkout@/i.test(text) && /\bpath\s*:/.test(text);

const SETS_WORKING_DIRECTORY = /\bworking-directory\s*:/;
const BUILD_PUSH_ACTION_NAMED = /build-push-action/i;

/** A GitHub workflow's YAML, with its data, parsed once for the readers that need its structure; null when none does, or it does not parse. */
interface Workflow {
  doc: Document;
  data: { env?: unknown; defaults?: RunDefaults['defaults']; jobs?: Record<string, WorkflowJob | null> } | null;
}
type RunDefaults = { defaults?: { run?: { 'working-directory'?: unknown } } };
type WorkflowJob = RunDefaults & { steps?: unknown; strategy?: { matrix?: unknown }; env?: unknown };

function parseWorkflow(text: string): Workflow | null {
  if (!readStepByStep(text) && !BUILD_PUSH_ACTION_NAMED.test(text) && !/bake-action/i.test(text)) return null;
  const doc = yamlLibrary().parseDocument(text, { merge: true, uniqueKeys: false });
  return doc.errors.length > 0 ? null : { doc, data: doc.toJS() as Workflow['data'] };
}

/** The line of a workflow node (a block scalar's text starts on the line after its indicator). */
function workflowLine(f: CiFile, workflow: Workflow, at: (string | number)[]): number | undefined {
  const node = workflow.doc.getIn(at, true) as { range?: [number, number, number]; type?: string } | undefined;
  if (!node?.range) return undefined;
  return f.text.slice(0, node.range[0]).split('\n').length + (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED' ? 1 : 0);
}

/**
 * A workflow whose `run:` lines do not all run at the repository root, or need what the workflow
 * around them gives (the matrix, `env:` values, a local action's steps): read step by step.
 */
function readStepByStep(text: string): boolean {
  return (
    SETS_WORKING_DIRECTORY.test(text) ||
    CHECKOUT_IN_FOLDER(text) ||
    /\b(build|bake|compose)\b[^\n]*\$\{\{\s*(matrix|env)\./.test(text) ||
    // A variable may sit on a continuation line of the build command.
    (/^\s*env\s*:/m.test(text) && /\$\{?[A-Za-z_]/.test(text)) ||
    LOCAL_ACTION.test(text)
  );
}

/** A step that runs an action of the repository itself (`uses: ./.github/actions/build`). */
const LOCAL_ACTION = /^\s*(-\s+)?uses\s*:\s*['"]?\.\//m;

/**
 * The `run:` steps of a GitHub workflow read step by step (see readStepByStep): their build lines
 * run from the step's folder of the workspace, with the `env:` values of the workflow, job and
 * step put in (`${{ env.KEY }}`, and `$KEY` the script does not set), once per matrix row they
 * name. A local composite action's run steps count as the calling step's, its inputs from the
 * step's `with:` or their defaults. A folder set by an expression says nothing.
 */
async function workflowRunSteps(ctx: Context, root: string, f: CiFile, workflow: Workflow, out: Declared): Promise<DefinitionFile[]> {
  const named: DefinitionFile[] = [];
  const { data } = workflow;
  for (const [jobName, job] of Object.entries(data?.jobs ?? {})) {
    const steps = (Array.isArray(job?.steps) ? job.steps : []) as (WorkflowStep | null)[];
    const checkout = checkoutFolder(steps);
    const defaultDir = job?.defaults?.run?.['working-directory'] ?? data?.defaults?.run?.['working-directory'];
    const jobEnv = { ...plainValues(data?.env), ...plainValues(job?.env) };
    const scripts: { file: CiFile; script: string; dir: unknown; env: Record<string, string>; firstLine: number }[] = [];
    for (const [i, step] of steps.entries()) {
      const env = { ...jobEnv, ...plainValues(step?.env) };
      if (typeof step?.run === 'string') scripts.push({ file: f, script: step.run, dir: step['working-directory'] ?? defaultDir ?? '.', env, firstLine: workflowLine(f, workflow, ['jobs', jobName, 'steps', i, 'run']) ?? 1 });
      else if (typeof step?.uses === 'string' && step.uses.startsWith('./')) scripts.push(...(await compositeRunSteps(ctx, root, checkout, step.uses, step.with, env)));
    }
    for (const { file, script, dir, env, firstLine } of scripts) {
      if (typeof dir !== 'string' || dir.includes('${{') || path.posix.isAbsolute(dir)) continue;
      const place = { dir: path.posix.normalize(dir).replace(/\/$/, ''), checkout, firstLine };
      for (const filled of matrixScripts(job?.strategy?.matrix, withEnv(script, env))) named.push(...buildCommands(root, file.path, filled, out, place));
    }
  }
  return named;
}

/** A script with the `env:` values it sees put in: `${{ env.KEY }}`, and `$KEY` or `${KEY}` unless the script sets KEY itself. */
function withEnv(script: string, env: Readonly<Record<string, string>>): string {
  const own = (key: string) => new RegExp(`(^|[\\s;&|(])(export\\s+)?${key}=`, 'm').test(script);
  return script
    .replace(ENV_VALUE, (expr, key: string) => env[key] ?? expr)
    .replace(/(?<!\\)\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/g, (expr, braced: string | undefined, bare: string | undefined) => {
      const key = (braced ?? bare)!;
      return Object.hasOwn(env, key) && !own(key) ? env[key]! : expr;
    });
}

// Top-level keys of a GitLab pipeline that are not jobs.
const GITLAB_KEYWORDS = new Set(['variables', 'stages', 'include', 'default', 'workflow', 'image', 'services', 'before_script', 'after_script', 'cache', 'spec']);

interface GitlabJob {
  variables?: unknown;
  script?: unknown;
  before_script?: unknown;
  extends?: unknown;
}

/**
 * The script lines of a GitLab pipeline's jobs (`before_script`, `script`), from all its files:
 * each with the `variables:` of the pipeline and of its job put in, and what its `extends:`
 * templates give it (their variables merged, their script lines where the job has none). A file
 * that does not parse says nothing.
 */
function gitlabJobScripts(root: string, files: readonly CiFile[], out: Declared): DefinitionFile[] {
  const values = (variables: unknown): Record<string, string> =>
    Object.fromEntries(
      Object.entries(variables && typeof variables === 'object' ? variables : {}).flatMap(([k, v]) => {
        // `KEY: value`, or `KEY: { value: ..., description: ... }`.
        const value = v && typeof v === 'object' ? (v as { value?: unknown }).value : v;
        return typeof value === 'string' || typeof value === 'number' ? [[k, String(value)]] : [];
      }),
    );
  // Every job of the pipeline by name, with where it is written; the first file's (.gitlab-ci.yml) first.
  const jobs = new Map<string, { f: CiFile; workflow: Workflow; spec: GitlabJob }>();
  let global: Record<string, string> = {};
  for (const f of files) {
    const doc = yamlLibrary().parseDocument(f.text, { merge: true, uniqueKeys: false });
    const data = doc.errors.length > 0 ? null : (doc.toJS() as Record<string, unknown> | null);
    if (!data || typeof data !== 'object') continue;
    global = { ...values(data.variables), ...global };
    for (const [name, spec] of Object.entries(data)) {
      if (!GITLAB_KEYWORDS.has(name) && spec && typeof spec === 'object' && !Array.isArray(spec) && !jobs.has(name)) jobs.set(name, { f, workflow: { doc, data: null }, spec: spec as GitlabJob });
    }
  }
  // A job as its templates make it: variables merged, each script key from the nearest that has it.
  type Resolved = { variables: Record<string, string>; scripts: Partial<Record<'before_script' | 'script', { name: string; f: CiFile; workflow: Workflow; value: unknown }>> };
  const resolve = (name: string, seen: Set<string>): Resolved => {
    const job = jobs.get(name);
    if (!job || seen.has(name) || seen.size > 16) return { variables: {}, scripts: {} };
    seen.add(name);
    const parents = typeof job.spec.extends === 'string' ? [job.spec.extends] : Array.isArray(job.spec.extends) ? job.spec.extends.filter((e): e is string => typeof e === 'string') : [];
    const merged: Resolved = { variables: {}, scripts: {} };
    for (const parent of parents) {
      const from = resolve(parent, seen);
      merged.variables = { ...merged.variables, ...from.variables };
      merged.scripts = { ...merged.scripts, ...from.scripts };
    }
    merged.variables = { ...merged.variables, ...values(job.spec.variables) };
    for (const key of ['before_script', 'script'] as const) if (job.spec[key] !== undefined) merged.scripts[key] = { name, f: job.f, workflow: job.workflow, value: job.spec[key] };
    return merged;
  };
  const named: DefinitionFile[] = [];
  for (const name of jobs.keys()) {
    const { variables, scripts } = resolve(name, new Set());
    const env = { ...global, ...variables };
    // The lines run in one shell, in order: after a `cd`, the job's build lines run elsewhere.
    let moved = false;
    for (const key of ['before_script', 'script'] as const) {
      const written = scripts[key];
      if (!written) continue;
      const lines = typeof written.value === 'string' ? [written.value] : Array.isArray(written.value) ? written.value : [];
      for (const [i, line] of lines.entries()) {
        if (typeof line !== 'string' || moved) continue;
        const at = typeof written.value === 'string' ? [written.name, key] : [written.name, key, i];
        named.push(...buildCommands(root, written.f.path, withEnv(line, env), out, { ...AT_ROOT, firstLine: workflowLine(written.f, written.workflow, at) ?? 1 }));
        moved = /^\s*cd\s/m.test(line);
      }
    }
  }
  return named;
}

/**
 * The run steps of the composite action at `uses` (a folder of this repository, `./...` from the
 * workspace): each with its folder, its line in action.yml, and the calling step's `env:` values
 * and its own; `${{ inputs.NAME }}` is the step's `with:` value, else the input's default. An
 * action that is not composite, or one it calls in turn, says nothing.
 */
async function compositeRunSteps(ctx: Context, root: string, checkout: string, uses: string, given: unknown, env: Record<string, string>): Promise<{ file: CiFile; script: string; dir: unknown; env: Record<string, string>; firstLine: number }[]> {
  const dir = repositoryPath(root, { ...AT_ROOT, checkout }, uses.replace(/@.*$/, ''));
  if (dir === null) return [];
  for (const name of ['action.yml', 'action.yaml']) {
    const text = await ctx.probe.readText(path.join(dir, name));
    if (text === null) continue;
    const doc = yamlLibrary().parseDocument(text, { merge: true, uniqueKeys: false });
    const data = doc.errors.length > 0 ? null : (doc.toJS() as { inputs?: Record<string, { default?: unknown } | null>; runs?: { using?: unknown; steps?: unknown } } | null);
    if (data?.runs?.using !== 'composite' || !Array.isArray(data.runs.steps)) return [];
    const file: CiFile = { path: path.join(dir, name), kind: 'github', text };
    const withValues = (given && typeof given === 'object' ? given : {}) as Record<string, unknown>;
    const input = (key: string): string | undefined => {
      const value = withValues[key] ?? data.inputs?.[key]?.default;
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
    };
    return (data.runs.steps as (WorkflowStep | null)[]).flatMap((step, i) =>
      typeof step?.run === 'string'
        ? [{
            file,
            script: step.run.replace(INPUT_VALUE, (expr, key: string) => input(key) ?? expr),
            dir: step['working-directory'] ?? '.',
            env: { ...env, ...plainValues(step.env) },
            firstLine: workflowLine(file, { doc, data: null }, ['runs', 'steps', i, 'run']) ?? 1,
          }]
        : [],
    );
  }
  return [];
}

/**
 * The Bake files of docker/bake-action steps: its `files` input (lines or commas), else the
 * default Bake files, in its `workdir` (the root by default), where Bake runs.
 */
function bakeActionFiles(root: string, workflow: Workflow): DefinitionFile[] {
  const out: DefinitionFile[] = [];
  for (const job of Object.values(workflow.data?.jobs ?? {})) {
    for (const step of (Array.isArray(job?.steps) ? job.steps : []) as (WorkflowStep | null)[]) {
      if (typeof step?.uses !== 'string' || !/^docker\/bake-action(\/[\w-]+)?@/i.test(step.uses)) continue;
      const { files, workdir = '.' } = (step.with ?? {}) as { files?: unknown; workdir?: unknown };
      if (typeof workdir !== 'string' || workdir.includes('${{') || path.posix.isAbsolute(workdir)) continue;
      const cwd = repositoryPath(root, { ...AT_ROOT, dir: path.posix.normalize(workdir) }, '.');
      if (cwd === null) continue;
      const names = typeof files === 'string' ? files.split(/[\n,]/).map((n) => n.trim()).filter(Boolean) : BAKE_FILES;
      for (const name of names) if (!name.includes('${{') && !/^[a-z]+:\/\//i.test(name)) out.push({ kind: 'bake', file: path.resolve(cwd, name), cwd });
    }
  }
  return out;
}

/** Where a job checks this repository out in its workspace (`actions/checkout` with `path:`; not the checkout of another repository): '.' for the workspace itself. */
function checkoutFolder(steps: readonly (WorkflowStep | null)[]): string {
  const checkouts = steps.filter((s) => typeof s?.uses === 'string' && /^actions\/checkout@/i.test(s.uses)).map((s) => (s!.with ?? {}) as { path?: unknown; repository?: unknown });
  const checkout = checkouts.find((w) => w.repository === undefined) ?? checkouts.find((w) => typeof w.repository === 'string' && w.repository.includes('${{'));
  const folder = checkout?.path;
  return typeof folder === 'string' && !folder.includes('${{') ? path.posix.normalize(folder).replace(/^\.\/|\/$/g, '') || '.' : '.';
}

// docker/build-push-action, and forks of it that take the same inputs (useblacksmith/build-push-action).
const BUILD_PUSH_ACTION = /^[\w.-]+\/build-push-action@/i;
// `${{ matrix.KEY }}`, or a field of an object value (`${{ matrix.image.file }}`).
const MATRIX_VALUE = /\$\{\{\s*matrix\.([\w-]+(?:\.[\w-]+)*)\s*\}\}/g;
const ENV_VALUE = /\$\{\{\s*env\.([\w-]+)\s*\}\}/g;

const INPUT_VALUE = /\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g;

interface WorkflowStep {
  uses?: unknown;
  with?: unknown;
  env?: unknown;
  run?: unknown;
  'working-directory'?: unknown;
}

/**
 * build-push-action steps of a GitHub workflow. With no `context`, or `{{defaultContext}}`, it
 * builds the repository at the commit (`{{defaultContext}}:sub`, a folder of it) and reads `file`
 * in that context; with a path `context`, `file` is a path from the workspace (default
 * `CONTEXT/Dockerfile`), where the job's checkout may sit in a folder (`actions/checkout` with
 * `path:`). `${{ env.KEY }}` is the step's, job's or workflow's plain value, and `${{ matrix.KEY }}`
 * each value the job's matrix gives KEY; any other expression says nothing.
 */
function buildPushActions(root: string, f: CiFile, workflow: Workflow, out: Declared): void {
  const rel = path.relative(root, f.path);
  for (const [jobName, spec] of Object.entries(workflow.data?.jobs ?? {})) {
    const steps = (Array.isArray(spec?.steps) ? spec.steps : []) as (WorkflowStep | null)[];
    const place = checkoutFolder(steps);
    for (const [i, step] of steps.entries()) {
      if (typeof step?.uses !== 'string' || !BUILD_PUSH_ACTION.test(step.uses)) continue;
      const line = workflowLine(f, workflow, ['jobs', jobName, 'steps', i, 'uses']);
      const given = (step.with ?? {}) as { context?: unknown; file?: unknown };
      const env = { ...plainValues(workflow.data?.env), ...plainValues(spec?.env), ...plainValues(step.env) };
      const inputs = [given.context, given.file].map((v) => (typeof v === 'string' ? v.replace(ENV_VALUE, (expr, key: string) => env[key] ?? expr) : v));
      for (const values of matrixRows(spec?.strategy?.matrix, inputs)) {
        // A git context is the repository itself, wherever the checkout sits.
        const gitContext = values[0] === undefined || values[0].includes('{{');
        const [context, file] = values.map((v) => (v === undefined || place === '.' || gitContext ? v : fromCheckout(v, place)));
        if (context === null || file === null) continue;
        const built = buildPushTarget(root, context, file);
        if (built) declare(out, built.file, { dir: built.dir, why: `${rel}${line ? ` line ${line}` : ''} builds it with ${step.uses.replace(/@.*/, '')}, context ${values[0] ?? '{{defaultContext}}'}` });
      }
    }
  }
}

/** The text values of a workflow's `env:` map, but those set by an expression other than the matrix's. */
function plainValues(env: unknown): Record<string, string> {
  if (!env || typeof env !== 'object') return {};
  return Object.fromEntries(Object.entries(env as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string' && !e[1].replace(MATRIX_VALUE, '').includes('${{')));
}

/** A workspace path as a path of the repository checked out at `place`; null when outside it. */
function fromCheckout(value: string, place: string): string | null {
  const normal = path.posix.normalize(value).replace(/\/$/, '');
  if (normal === place) return '.';
  return normal.startsWith(`${place}/`) ? normal.slice(place.length + 1) : null;
}

/** The Dockerfile and context folder of one build-push-action step's inputs; null when they are not paths of this checkout. */
function buildPushTarget(root: string, context: string | undefined, file: string | undefined): { file: string; dir: string } | null {
  if ([context, file].some((v) => v !== undefined && (v.includes('${{') || /^[a-z]+:\/\//i.test(v)))) return null;
  const git = context === undefined ? '' : /^\{\{\s*defaultContext\s*\}\}(?::(.*))?$/.exec(context)?.[1] ?? null;
  if (git !== null) {
    const dir = path.resolve(root, git || '.');
    return { dir, file: path.resolve(dir, file ?? 'Dockerfile') };
  }
  if (context!.includes('{{') || isRemoteSource(context!)) return null;
  const dir = path.resolve(root, context!);
  return { dir, file: file ? path.resolve(root, file) : path.join(dir, 'Dockerfile') };
}

/**
 * The values `inputs` take in each run of a job's matrix: each `${{ matrix.KEY }}` in an input is
 * that run's KEY, from each `include` entry that gives it, and each item of a `KEY: [...]` list when
 * it is the one key asked. An input that is not text is undefined (the action's default); one with any other
 * expression, or a matrix that cannot give its keys (`fromJSON(...)`), yields nothing.
 */
function matrixRows(matrix: unknown, inputs: readonly unknown[]): (string | undefined)[][] {
  const texts = inputs.map((v) => (typeof v === 'string' ? v.trim() : undefined));
  if (!texts.some((v) => v?.includes('${{'))) return [texts];
  if (texts.some((v) => v?.replace(MATRIX_VALUE, '').includes('${{'))) return [];
  const asked = [...new Set(texts.flatMap((v) => [...(v ?? '').matchAll(MATRIX_VALUE)].map((m) => m[1]!)))];
  return matrixValues(matrix, asked).map((row) => texts.map((v) => v?.replace(MATRIX_VALUE, (_, k: string) => row[k]!)));
}

/**
 * The rows of a job's matrix that give every key asked a text: its `include` entries, and a list's
 * values when one key is asked. `asScript`: as a script sees them, where a key a row lacks is empty
 * and a number is its text.
 */
function matrixValues(matrix: unknown, asked: readonly string[], asScript = false): Record<string, string>[] {
  const m = (matrix ?? {}) as Record<string, unknown>;
  const rows: Record<string, unknown>[] = Array.isArray(m.include) ? m.include.filter((e): e is Record<string, unknown> => !!e && typeof e === 'object') : [];
  // One key asked (or fields of one key's objects): each item of its list is a row.
  const keys = [...new Set(asked.map((k) => k.split('.')[0]!))];
  if (keys.length === 1 && Array.isArray(m[keys[0]!])) for (const v of m[keys[0]!] as unknown[]) rows.push({ [keys[0]!]: v });
  const at = (row: Record<string, unknown>, key: string) => key.split('.').reduce<unknown>((v, field) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[field] : undefined), row);
  const text = (v: unknown) => (typeof v === 'string' ? v : asScript && (typeof v === 'number' || typeof v === 'boolean') ? String(v) : asScript && (v === undefined || v === null) ? '' : null);
  return rows.flatMap((row) => {
    const values = asked.map((k) => [k, text(at(row, k))] as const);
    return values.every(([, v]) => v !== null) ? [Object.fromEntries(values) as Record<string, string>] : [];
  });
}

/** A `run:` script once for each row of the job's matrix it names (`${{ matrix.KEY }}`), the values put in; as it is when it names none. */
function matrixScripts(matrix: unknown, script: string): string[] {
  const asked = [...new Set([...script.matchAll(MATRIX_VALUE)].map((m) => m[1]!))];
  if (asked.length === 0) return [script];
  return [...new Set(matrixValues(matrix, asked, true).slice(0, 64).map((row) => script.replace(MATRIX_VALUE, (_, k: string) => row[k]!)))];
}

/**
 * How the repository builds one Dockerfile (see buildContexts, with the compose service that builds
 * it and a CI line's build arguments), and its root (null outside a repository, where only a compose
 * file beside it that builds it from its own folder is known). No `context` when nothing says more
 * than its own folder. `declaredOnly`: only what the repository's build definitions say (the
 * compose service that builds it, say), without the guess from its COPY lines.
 */
export async function howBuilt(ctx: Context, file: string, { declaredOnly = false } = {}): Promise<{ root: string | null; context?: BuildContext }> {
  const dir = path.dirname(file);
  const root = await findRepoRoot(ctx.probe, dir);
  if (!root) {
    const here = (await buildContexts(ctx, dir, [file], null, [], { services: true, declaredOnly })).get(file);
    return { root, ...(here?.service && here.dir === dir ? { context: { dir, why: here.why, service: here.service } } : {}) };
  }
  const [tracked, ci] = await Promise.all([trackedFiles(ctx.probe, root), ciFiles(ctx.probe, root)]);
  const context = (await buildContexts(ctx, root, [file], tracked, ci, { services: true, declaredOnly })).get(file);
  return { root, ...(context ? { context } : {}) };
}

/**
 * The build contexts of `dockerfiles` (absolute paths in the repository at `root`) that are not
 * their own folder. `tracked`: the repository's files when known, for the COPY lines' test.
 */
export async function buildContexts(
  ctx: Context,
  root: string,
  dockerfiles: readonly string[],
  tracked: TrackedFiles | null,
  ci: readonly CiFile[] = [],
  // Also a Dockerfile built from its own folder by a compose service (`--verify` runs it as that
  // service) or by a CI line that gives it build arguments (`--verify` builds it with them).
  // `declaredOnly`: what the repository's build definitions say, without the guess from COPY lines.
  options: { services?: boolean; declaredOnly?: boolean } = {},
): Promise<Map<string, BuildContext>> {
  const declared: Declared = new Map();
  // Bake targets whose Dockerfile is an expression, with the contexts they give by name.
  const unread: UnreadBakeTarget[] = [];
  // Bake and compose files the project's commands name (`-f`), besides those at their usual places.
  const named: DefinitionFile[] = [];
  // The project's own build lines come first: its CI files, its Makefile and README at the root.
  // A GitLab pipeline whose script lines may need its variables (or a job's template) is read job
  // by job, all its files together.
  const pipeline = ci.filter((f) => f.kind === 'gitlab' || f.gitlabInclude);
  const byJob = pipeline.some((f) => /^\s*(variables|extends)\s*:/m.test(f.text)) && pipeline.some((f) => /\$\{?[A-Za-z_]/.test(f.text));
  if (byJob) named.push(...gitlabJobScripts(root, pipeline, declared));
  for (const f of ci) {
    const workflow = f.kind === 'github' ? parseWorkflow(f.text) : null;
    // A workflow whose run lines are not all at the root is read step by step (one that does not parse, not at all).
    if (f.kind === 'github' && readStepByStep(f.text)) {
      if (workflow) named.push(...(await workflowRunSteps(ctx, root, f, workflow, declared)));
    } else if (!(byJob && pipeline.includes(f))) named.push(...buildCommands(root, f.path, f.text, declared));
    if (workflow && BUILD_PUSH_ACTION_NAMED.test(f.text)) buildPushActions(root, f, workflow, declared);
    if (workflow) named.push(...bakeActionFiles(root, workflow));
  }
  for (const name of ROOT_BUILD_FILES) {
    const text = await ctx.probe.readText(path.join(root, name));
    if (text === null) continue;
    if (name === 'README.md') named.push(...buildCommands(root, path.join(root, name), text, declared));
    else for (const mk of await makefileTexts(ctx, root, name, text)) named.push(...buildCommands(root, mk.file, mk.text, declared));
  }
  // The Bake files at the root, read from there, then those named elsewhere (20 at most).
  const bakes = [...BAKE_FILES.map((name) => ({ kind: 'bake' as const, file: path.join(root, name), cwd: root })), ...named.filter((n) => n.kind === 'bake')];
  const readBake = new Set<string>();
  for (const { file, cwd } of bakes) {
    if (readBake.has(`${cwd}\0${file}`) || readBake.size >= BAKE_FILES.length + 20 || !inside(root, file)) continue;
    readBake.add(`${cwd}\0${file}`);
    const text = await ctx.probe.readText(file);
    if (text !== null) bakeBuilds(cwd, path.relative(root, file), text, declared, unread);
  }
  const readCompose = new Set<string>();
  const composeNamed = [...new Map(named.filter((n) => n.kind === 'compose').map((n) => [`${n.cwd}\0${n.file}`, n])).values()];
  for (const { file, cwd } of composeNamed.slice(0, 20)) {
    if (!inside(root, file)) continue;
    readCompose.add(file);
    await composeBuilds(ctx, root, file, declared, cwd);
  }
  const read = new Set<string>();
  const readDevcontainers = new Set<string>();
  const devcontainer = async (file: string) => {
    if (readDevcontainers.has(file)) return;
    readDevcontainers.add(file);
    await devcontainerBuild(ctx, file, declared);
  };
  for (const file of dockerfiles) {
    // The files that describe builds sit beside the Dockerfile or in a folder above it, up to the root.
    for (let dir = path.dirname(file); inside(root, dir); dir = path.dirname(dir)) {
      if (!read.has(dir)) {
        read.add(dir);
        const names = await ctx.probe.list(dir);
        for (const name of names.filter((n) => COMPOSE_NAME.test(n)).sort(composeFirst)) if (!readCompose.has(path.join(dir, name))) await composeBuilds(ctx, root, path.join(dir, name), declared);
        // Only the names the folder holds: reading each name in each folder up to the root waits on the disk for nothing.
        for (const name of DEVCONTAINER_NAMES) if (names.includes(name)) await devcontainer(path.join(dir, name));
      }
      if (dir === root || path.dirname(dir) === dir) break;
    }
  }
  // Where the dev container spec looks (.devcontainer/devcontainer.json, .devcontainer/NAME/devcontainer.json):
  // its Dockerfile may be elsewhere (`"dockerfile": "../docker/Dockerfile"`).
  const devcontainerDir = path.join(root, '.devcontainer');
  await devcontainer(path.join(devcontainerDir, 'devcontainer.json'));
  for (const name of (await ctx.probe.list(devcontainerDir)).sort().slice(0, 20)) await devcontainer(path.join(devcontainerDir, name, 'devcontainer.json'));
  const out = new Map<string, BuildContext>();
  for (const file of dockerfiles) {
    const all = declared.get(file) ?? [];
    const known = all.filter((k) => inside(root, k.dir));
    if (known.length > 0) {
      // Definitions that disagree (a leftover workflow, a second CI): the folder holding more of
      // what the COPY lines name, and the others named.
      const chosen = known.length > 1 ? await mostCopied(ctx, root, file, tracked, known) : known[0]!;
      if (chosen.dir !== path.dirname(file) || chosen.conflicts || chosen.named || (options.services && (chosen.service || chosen.buildArgs))) out.set(file, chosen);
      continue;
    }
    if (options.declaredOnly) continue;
    // Built only from a folder outside the repository (a Bake or compose context of `..`): the
    // job's checkout lacks it, so it builds from the best folder it has, and says so.
    const outside = all[0];
    const above = await copiedFrom(ctx, root, file, tracked);
    if (above || outside) out.set(file, { ...(above ?? { dir: path.dirname(file), why: 'its own folder' }), ...(outside ? { outside } : {}) });
  }
  // A Dockerfile in the folder of a Bake target that names its Dockerfile with an expression, and
  // built from there: that target's named contexts may be what its FROM lines name.
  for (const u of unread) {
    for (const file of dockerfiles) {
      const chosen = out.get(file);
      if (path.dirname(file) !== u.dir || (chosen && (chosen.dir !== u.dir || chosen.named))) continue;
      out.set(file, { ...(chosen ?? { dir: u.dir, why: u.why }), named: u.named });
    }
  }
  return out;
}

/** A Bake target built from `dir` whose Dockerfile is an expression (`os == "alpine" ? ... : ...`). */
interface UnreadBakeTarget {
  dir: string;
  why: string;
  named: NonNullable<BuildContext['named']>;
}

// `export` and `override` before a definition still define it; `+=` appends; `!=` (a shell's output) is not known here.
const MAKE_DEFINITION = /^\s*(?:(?:export|override)\s+)*([A-Za-z_][\w.-]*)\s*(:{1,3}|\?|\+|!)?=\s*(.*?)\s*$/;
const MAKE_REFERENCE = /\$[({]([A-Za-z_][\w.-]*)[)}]/g;
const MAKE_CONDITIONAL = /^\s*(ifeq|ifneq|ifdef|ifndef)\b/;
const MAKE_CONDITIONAL_END = /^\s*endif\b/;
// Texts of a Makefile at most, one for each value a variable set in a conditional may take.
const MAKE_VARIANTS = 4;

/**
 * The root Makefile and the files it includes (`include`, `-include`; 20 at most), with their simple
 * variables put in (`OCI_BUILD := docker build`; the last definition wins, `?=` only when none came
 * before): a recipe line `$(OCI_BUILD) -f cmd/loki/Dockerfile .` is a build line. A variable set in
 * the branches of `ifeq ... else ... endif` may take each value: the text is given once per value.
 */
async function makefileTexts(ctx: Context, root: string, name: string, text: string): Promise<{ file: string; text: string }[]> {
  const files = [{ file: path.join(root, name), text }];
  for (let i = 0; i < files.length && files.length <= 20; i++) {
    for (const m of files[i]!.text.matchAll(/^-?s?include\s+(.+)$/gm)) {
      for (const word of m[1]!.split(/\s+/)) {
        const file = path.resolve(root, word);
        if (!word || word.includes('$') || !inside(root, file) || files.some((f) => f.file === file)) continue;
        const included = await ctx.probe.readText(file);
        if (included !== null) files.push({ file, text: included });
      }
    }
  }
  const values = new Map<string, string[]>();
  for (const f of files) {
    let depth = 0;
    for (const line of f.text.split('\n')) {
      if (MAKE_CONDITIONAL.test(line)) depth++;
      else if (MAKE_CONDITIONAL_END.test(line)) depth = Math.max(0, depth - 1);
      // A recipe line (a tab first) runs in the shell: it sets no variable of make's.
      const m = line.startsWith('\t') ? null : MAKE_DEFINITION.exec(line);
      if (!m) continue;
      const [, key, kind, value] = m as unknown as [string, string, string | undefined, string];
      const known = values.get(key);
      if ((kind === '?' && known) || kind === '!') continue;
      if (kind === '+') {
        values.set(key, known ? known.map((v) => (v ? `${v} ${value}` : value)) : [value]);
        continue;
      }
      if (depth > 0 && known) {
        if (!known.includes(value) && known.length < MAKE_VARIANTS) known.push(value);
      } else values.set(key, [value]);
    }
  }
  const variants = Math.max(1, ...[...values.values()].map((v) => v.length));
  const out: { file: string; text: string }[] = [];
  for (let k = 0; k < variants; k++) {
    const expand = (line: string) => {
      for (let round = 0; round < 4 && line.includes('$') && line.length < 4096; round++) {
        const next = line.replace(MAKE_REFERENCE, (ref, key: string) => {
          const v = values.get(key);
          return v ? v[Math.min(k, v.length - 1)]! : ref;
        });
        if (next === line) break;
        line = next;
      }
      return line;
    };
    for (const f of files) {
      const text = f.text.split('\n').map((l) => (l.includes('$') ? expand(l) : l)).join('\n');
      if (!out.some((o) => o.file === f.file && o.text === text)) out.push({ file: f.file, text });
    }
  }
  return out;
}

/** A Bake target's attributes that place its build: a string, or null for an expression. */
interface BakeTarget {
  context?: string | null;
  dockerfile?: string | null;
  inherits?: string[];
  /** Named build contexts: the name a FROM or COPY --from may use, and what it stands for. */
  contexts?: Record<string, string>;
  /**
   * `matrix = { tgt = ["api", "web"] }`: the target is built once per combination; null for one not
   * read. Each key's values, as the names they give a template: `tgt`, or `item.dir` for a list of
   * objects (`item = [{ dir = "api" }]`).
   */
  matrix?: Record<string, Record<string, string>[]> | null;
  /** The text of values that hold a template (`"${tgt}"`), put together per matrix combination. */
  templates?: { context?: string; dockerfile?: string; name?: string };
}

/** At most this many builds of one matrix target are read. */
const MAX_MATRIX_BUILDS = 64;

/** Each combination of a Bake matrix's values, in order. */
function matrixCombinations(matrix: Record<string, Record<string, string>[]>): Record<string, string>[] {
  let out: Record<string, string>[] = [{}];
  for (const values of Object.values(matrix)) out = out.flatMap((combo) => values.map((v) => ({ ...combo, ...v }))).slice(0, MAX_MATRIX_BUILDS);
  return out;
}

/** A template with the matrix's values put in; null when anything else is left (`${VERSION}`, a function). */
function fillTemplate(template: string, values: Record<string, string>): string | null {
  const filled = template.replace(/\$\{\s*([A-Za-z_][\w.-]*)\s*\}/g, (ref, key: string) => values[key] ?? ref);
  return /[$%]\{/.test(filled) ? null : filled;
}

/**
 * The targets of a Bake file (`docker buildx bake`): `context` from the root (default `.`) and
 * `dockerfile` inside it (default `Dockerfile`; `cwd://PATH` from the root), through `inherits`.
 * A value with a variable or a function, or a remote context, says nothing.
 */
function bakeBuilds(root: string, name: string, text: string, out: Declared, unread: UnreadBakeTarget[]): void {
  let file: BakeFile;
  try {
    file = name.endsWith('.json') ? jsonBakeTargets(text) : hclBakeTargets(text);
  } catch {
    return;
  }
  const { targets, variables } = file;
  const resolved = (target: string, seen: Set<string>): BakeTarget => {
    const own = targets.get(target);
    if (!own || seen.has(target) || seen.size > 32) return {};
    seen.add(target);
    const merged: BakeTarget = {};
    for (const parent of own.inherits ?? []) {
      const from = resolved(parent, seen);
      Object.assign(merged, { ...from, contexts: { ...merged.contexts, ...from.contexts } });
    }
    if (own.context !== undefined) merged.context = own.context;
    if (own.dockerfile !== undefined) merged.dockerfile = own.dockerfile;
    merged.contexts = { ...merged.contexts, ...own.contexts };
    return merged;
  };
  const builds = [...targets].flatMap(([target, own]) => {
    const merged = resolved(target, new Set());
    // The templates filled in with the variables' defaults and, for a matrix target, each
    // combination's values; a template naming anything else (a matrix not read) says nothing.
    return (own.matrix ? matrixCombinations(own.matrix) : [{}]).map((values) => {
      const fill = (key: 'context' | 'dockerfile' | 'name') => (own.templates?.[key] === undefined ? undefined : fillTemplate(own.templates[key], { ...variables, ...values }));
      const [context, dockerfile, named] = [fill('context'), fill('dockerfile'), fill('name')];
      return {
        ...merged,
        ...(context !== undefined ? { context } : {}),
        ...(dockerfile !== undefined ? { dockerfile } : {}),
        target: !own.matrix ? target : (named ?? `${target} (${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(', ')})`),
      };
    });
  });
  for (const { target, context = '.', dockerfile = 'Dockerfile', contexts = {} } of builds) {
    if (context === null) continue;
    // `cwd://` names a path from where bake runs (the root), not from the context.
    const local = context.replace(/^cwd:\/\//, '');
    if (/^[a-z]+:\/\//i.test(local) || isRemoteSource(local) || /^(target|docker-image):/.test(local)) continue;
    const dir = path.resolve(root, local);
    if (dockerfile === null) {
      if (Object.keys(contexts).length > 0) unread.push({ dir, why: `${name} target ${target} builds a Dockerfile it names with an expression, with context ${context}`, named: { by: `Bake target ${target}`, builder: 'docker buildx bake', contexts } });
      continue;
    }
    const built = dockerfile.startsWith('cwd://') ? path.resolve(root, dockerfile.slice('cwd://'.length)) : path.resolve(dir, dockerfile);
    declare(out, built, { dir, why: `${name} target ${target} builds it with context ${context}`, ...(Object.keys(contexts).length > 0 ? { named: { by: `Bake target ${target}`, builder: 'docker buildx bake', contexts } } : {}) });
  }
}

function jsonBakeTargets(text: string): BakeFile {
  const data = JSON.parse(text) as { target?: Record<string, Record<string, unknown>>; variable?: Record<string, { default?: unknown } | null> } | null;
  const out = new Map<string, BakeTarget>();
  const variables = Object.fromEntries(Object.entries(data?.variable ?? {}).flatMap(([k, v]) => (typeof v?.default === 'string' && !v.default.includes('${') ? [[k, v.default]] : [])));
  for (const [name, t] of Object.entries(data?.target ?? {})) {
    if (!t || typeof t !== 'object') continue;
    const value = (v: unknown) => (v === undefined ? undefined : typeof v === 'string' && !v.includes('${') ? v : null);
    const contexts = t.contexts && typeof t.contexts === 'object' ? Object.fromEntries(Object.entries(t.contexts as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
    const templates = Object.fromEntries((['context', 'dockerfile'] as const).flatMap((k) => (typeof t[k] === 'string' && t[k].includes('${') ? [[k, t[k]]] : [])));
    out.set(name, { context: value(t.context), dockerfile: value(t.dockerfile), inherits: Array.isArray(t.inherits) ? t.inherits.filter((x): x is string => typeof x === 'string') : [], contexts, templates });
  }
  return { targets: out, variables };
}

/** HCL's tokens, as far as Bake's target blocks need them; comments dropped. */
type HclToken = { kind: 'word' | 'punct' | 'newline'; text: string } | { kind: 'string'; text: string; expression: boolean; raw?: string };

const WORD = /[\w.-]+/y;

function hclTokens(text: string): HclToken[] {
  const tokens: HclToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      tokens.push({ kind: 'newline', text: c });
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#' || text.startsWith('//', i)) i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (text.startsWith('/*', i)) i = text.indexOf('*/', i + 2) < 0 ? text.length : text.indexOf('*/', i + 2) + 2;
    else if (c === '"') {
      // A quoted string; a template in it (`${...}`, which may hold quotes) makes it an expression.
      let j = i + 1;
      let value = '';
      let expression = false;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') {
        if (text[j] === '\\') {
          value += text[j + 1] ?? '';
          j += 2;
        } else if (text.startsWith('${', j) || text.startsWith('%{', j)) {
          expression = true;
          let depth = 0;
          for (; j < text.length; j++) {
            if (text[j] === '{') depth++;
            else if (text[j] === '}' && --depth === 0) break;
          }
          j++;
        } else value += text[j++];
      }
      tokens.push({ kind: 'string', text: value, expression, ...(expression ? { raw: text.slice(i + 1, j) } : {}) });
      i = j + 1;
    } else if (text.startsWith('<<', i) && /^<<-?[A-Za-z_]/.test(text.slice(i, i + 4))) {
      // A heredoc: its text up to the line holding only its word.
      const word = /^<<-?(\w+)/.exec(text.slice(i))![1]!;
      const end = new RegExp(`^\\s*${word}\\s*$`, 'm');
      const rest = text.slice(i);
      const nl = rest.indexOf('\n');
      const m = nl < 0 ? null : end.exec(rest.slice(nl + 1));
      const body = m ? rest.slice(nl + 1, nl + 1 + m.index) : rest;
      tokens.push({ kind: 'string', text: body, expression: true });
      i = m ? i + nl + 1 + m.index + m[0].length : text.length;
    } else if (((WORD.lastIndex = i), WORD.test(text))) {
      tokens.push({ kind: 'word', text: text.slice(i, WORD.lastIndex) });
      i = WORD.lastIndex;
    } else {
      tokens.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return tokens;
}

/** A Bake file's targets, and the defaults of its variables (`variable "TAG" { default = "latest" }`) that are plain text. */
interface BakeFile {
  targets: Map<string, BakeTarget>;
  variables: Record<string, string>;
}

function hclBakeTargets(text: string): BakeFile {
  const tokens = hclTokens(text);
  const out = new Map<string, BakeTarget>();
  const variables: Record<string, string> = {};
  let depth = 0;
  let target: BakeTarget | null = null;
  let variable: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && '{[('.includes(t.text)) {
      depth++;
      continue;
    }
    if (t.kind === 'punct' && '}])'.includes(t.text)) {
      depth--;
      if (depth === 0) target = variable = null;
      continue;
    }
    // variable "NAME" { default = "value" } at the top.
    if (depth === 0 && t.kind === 'word' && t.text === 'variable' && tokens[i + 1]?.kind === 'string' && tokens[i + 2]?.text === '{') {
      variable = tokens[i + 1]!.text;
      i += 2;
      depth++;
      continue;
    }
    if (depth === 1 && variable !== null && t.text === 'default' && tokens[i + 1]?.text === '=') {
      const value = tokens[i + 2];
      if (value?.kind === 'string' && !value.expression && (tokens[i + 3] === undefined || tokens[i + 3]!.kind === 'newline' || tokens[i + 3]!.text === '}')) variables[variable] = value.text;
      continue;
    }
    // target "name" { at the top.
    if (depth === 0 && t.kind === 'word' && t.text === 'target' && tokens[i + 1]?.kind === 'string' && tokens[i + 2]?.text === '{') {
      target = {};
      out.set(tokens[i + 1]!.text, target);
      i += 2;
      depth++;
      continue;
    }
    // An attribute of the target: NAME = VALUE.
    if (depth === 1 && target && t.kind === 'word' && tokens[i + 1]?.text === '=' && ['context', 'dockerfile', 'inherits', 'contexts', 'matrix', 'name'].includes(t.text)) {
      const value: HclToken[] = [];
      let level = 0;
      let j = i + 2;
      for (; j < tokens.length; j++) {
        const v = tokens[j]!;
        if (v.kind === 'newline' && level === 0) break;
        if (v.kind === 'punct' && '{[('.includes(v.text)) level++;
        if (v.kind === 'punct' && '}])'.includes(v.text)) {
          if (level === 0) break;
          level--;
        }
        // A matrix or contexts object keeps its line ends: they end its fields as commas do.
        if (v.kind !== 'newline' || t.text === 'matrix' || t.text === 'contexts') value.push(v);
      }
      i = j - 1;
      const first = value.length === 1 && value[0]!.kind === 'string' ? value[0]! : null;
      const one = first && !first.expression ? first.text : null;
      // A template string (`"svc-${tgt}"`), or a matrix key alone (`name = tgt`).
      const word = value.length === 1 && value[0]!.kind === 'word' ? value[0]!.text : undefined;
      const template = first?.kind === 'string' && first.raw !== undefined && !first.raw.includes('"') ? first.raw : word !== undefined && /^[A-Za-z_][\w.-]*$/.test(word) ? `\${${word}}` : undefined;
      if (t.text === 'inherits') target.inherits = value.filter((v) => v.kind === 'string' && !(v as { expression: boolean }).expression).map((v) => v.text);
      else if (t.text === 'contexts') {
        const object = isPunct(value[0], '{') ? hclObject(value, 0) : null;
        target.contexts = Object.fromEntries(Object.entries(object?.fields ?? {}).map(([name, v]) => [name, v ?? '(an expression)']));
      }
      else if (t.text === 'matrix') target.matrix = hclMatrix(value);
      else {
        const key = t.text as 'context' | 'dockerfile' | 'name';
        if (key !== 'name') target[key] = one;
        if (template !== undefined) target.templates = { ...target.templates, [key]: template };
      }
    }
  }
  return { targets: out, variables };
}

const isPunct = (t: HclToken | undefined, text: string) => t?.kind === 'punct' && t.text === text;
/** Line ends and commas between the items of a list or an object. */
function skipSeparators(tokens: readonly HclToken[], k: number): number {
  while (tokens[k]?.kind === 'newline' || isPunct(tokens[k], ',')) k++;
  return k;
}

/**
 * A Bake matrix (`{ tgt = ["api", "web"], item = [{ dir = "x" }] }`) of lists of plain strings or
 * of objects; null for any other (a list from a function). An object's field set by an expression
 * is left out: a template naming it says nothing.
 */
function hclMatrix(tokens: readonly HclToken[]): Record<string, Record<string, string>[]> | null {
  const out: Record<string, Record<string, string>[]> = {};
  let k = skipSeparators(tokens, 0);
  if (!isPunct(tokens[k], '{')) return null;
  for (k = skipSeparators(tokens, k + 1); !isPunct(tokens[k], '}'); k = skipSeparators(tokens, k)) {
    const [key, eq] = [tokens[k], tokens[k + 1]];
    if (!key || (key.kind !== 'word' && key.kind !== 'string') || !(isPunct(eq, '=') || isPunct(eq, ':'))) return null;
    k = skipSeparators(tokens, k + 2);
    if (!isPunct(tokens[k], '[')) return null;
    const values: Record<string, string>[] = [];
    for (k = skipSeparators(tokens, k + 1); !isPunct(tokens[k], ']'); k = skipSeparators(tokens, k)) {
      const v = tokens[k];
      if (v?.kind === 'string' && !v.expression) {
        values.push({ [key.text]: v.text });
        k++;
      } else if (isPunct(v, '{')) {
        const object = hclObject(tokens, k);
        if (!object) return null;
        values.push(Object.fromEntries(Object.entries(object.fields).flatMap(([field, value]) => (value === null ? [] : [[`${key.text}.${field}`, value]]))));
        k = object.end + 1;
      } else return null;
    }
    if (values.length === 0) return null;
    out[key.text] = values;
    k++;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * The string fields of the HCL object whose `{` is at `start` (null for one set by an expression:
 * a template, a function), and where its `}` is; null when it does not end.
 */
function hclObject(tokens: readonly HclToken[], start: number): { fields: Record<string, string | null>; end: number } | null {
  const fields: Record<string, string | null> = {};
  for (let k = skipSeparators(tokens, start + 1); k < tokens.length; k = skipSeparators(tokens, k)) {
    if (isPunct(tokens[k], '}')) return { fields, end: k };
    const [key, eq] = [tokens[k]!, tokens[k + 1]];
    if ((key.kind !== 'word' && key.kind !== 'string') || !(isPunct(eq, '=') || isPunct(eq, ':'))) return null;
    // The value: up to a comma or line end outside brackets, or the object's end.
    const from = k + 2;
    let depth = 0;
    for (k = from; k < tokens.length; k++) {
      const t = tokens[k]!;
      if (t.kind === 'punct' && '{[('.includes(t.text)) depth++;
      else if (t.kind === 'punct' && '}])'.includes(t.text)) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (t.kind === 'newline' || isPunct(t, ','))) break;
    }
    const value = tokens.slice(from, k).filter((t) => t.kind !== 'newline');
    const only = value[0];
    fields[key.text] = value.length === 1 && only?.kind === 'string' && !only.expression ? only.text : null;
  }
  return null;
}

/** The services of a compose file that build a Dockerfile, by that Dockerfile's path. */
async function composeBuilds(ctx: Context, root: string, file: string, out: Declared, project = path.dirname(file)): Promise<void> {
  const text = await ctx.probe.readText(file);
  // One that builds nothing is not parsed: yaml is a tenth of a Dockerfile check's start-up to load.
  if (text === null || !/\bbuild\s*:/.test(text)) return;
  let data: unknown;
  try {
    data = yamlLibrary().parse(text, { merge: true, uniqueKeys: false });
  } catch {
    return;
  }
  const services = (data as { services?: unknown } | null)?.services;
  if (!services || typeof services !== 'object') return;
  // `${VAR:-default}` as compose reads it in CI: from the .env of the project directory, else the default.
  let vars: Promise<Map<string, string>> | undefined;
  const value = async (text: string): Promise<string | null> => {
    if (!text.includes('$')) return text;
    vars ??= ctx.probe.readText(path.join(project, '.env')).then((env) => (env === null ? new Map<string, string>() : parseDotEnv(env)));
    const filled = interpolate(text, await vars);
    return filled.unresolved.length > 0 ? null : filled.value;
  };
  for (const [name, service] of Object.entries(services as Record<string, unknown>)) {
    const build = (service as { build?: unknown } | null)?.build;
    const spec = typeof build === 'string' ? { context: build } : build && typeof build === 'object' ? (build as { context?: unknown; dockerfile?: unknown; additional_contexts?: unknown }) : null;
    if (!spec) continue;
    const written = typeof spec.context === 'string' ? spec.context : '.';
    const [context, dockerfile] = [await value(written), await value(typeof spec.dockerfile === 'string' ? spec.dockerfile : 'Dockerfile')];
    // A variable with no value here, or a remote context (a git URL): not a folder of this checkout.
    if (context === null || dockerfile === null || isRemoteSource(context) || /^[a-z]+:\/\//i.test(context)) continue;
    const dir = path.resolve(project, context);
    const built = path.resolve(dir, dockerfile);
    const contexts = 'additional_contexts' in spec ? additionalContexts(spec.additional_contexts) : {};
    const rel = path.relative(root, file);
    const where = project === path.dirname(file) ? '' : ` from project directory ${path.relative(root, project) || '.'}`;
    declare(out, built, { dir, why: `${rel} builds service ${name} with context ${written}${where}`, service: { file: path.resolve(file), name }, ...(Object.keys(contexts).length > 0 ? { named: { by: `${rel} service ${name}`, builder: 'docker compose build', contexts } } : {}) });
  }
}

/** A compose build's `additional_contexts`: a map, or a list of `name=value`. */
function additionalContexts(value: unknown): Record<string, string> {
  const entries = Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string' && v.includes('=')).map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] as const)
    : value && typeof value === 'object'
      ? Object.entries(value as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string')
      : [];
  return Object.fromEntries(entries.filter(([name]) => name.trim() !== '').map(([name, v]) => [name.trim(), v.trim()]));
}

/** A dev container's Dockerfile and its build context (`build.context`, or the older top-level `context`). */
async function devcontainerBuild(ctx: Context, file: string, out: Declared): Promise<void> {
  const text = await ctx.probe.readText(file);
  if (text === null) return;
  const data = parseJsonc(text, [], { allowTrailingComma: true }) as { build?: { dockerfile?: unknown; context?: unknown }; dockerFile?: unknown; context?: unknown } | undefined;
  if (!data || typeof data !== 'object') return;
  const dockerfile = data.build?.dockerfile ?? data.dockerFile;
  if (typeof dockerfile !== 'string') return;
  const context = data.build?.context ?? data.context ?? '.';
  if (typeof context !== 'string' || context.includes('$')) return;
  // Both are relative to the folder of devcontainer.json.
  const dir = path.resolve(path.dirname(file), context);
  const built = path.resolve(path.dirname(file), dockerfile);
  declare(out, built, { dir, why: `${path.basename(file)} builds it with context ${context}` });
}

/** The paths in the build context that a Dockerfile's COPY and ADD lines name, and whether one copies it all (`.`). */
async function copySources(ctx: Context, file: string): Promise<{ sources: string[]; copiesAll: boolean }> {
  const model = await ctx.runDockerfile(file).catch(() => null);
  const sources: string[] = [];
  let copiesAll = false;
  for (const inst of model?.instructions ?? []) {
    if ((inst.keyword !== 'COPY' && inst.keyword !== 'ADD') || inst.stage < 0) continue;
    const { flags, sources: from } = copyOperands(inst.ast);
    if (flags.some((f) => /^--from=/i.test(f))) continue;
    for (const source of from) {
      if (source.startsWith('<<') || source.includes('$') || isRemoteSource(source) || /[*?[]/.test(source)) continue;
      const rel = path.posix.normalize(source.replace(/^\/+/, '')).replace(/\/+$/, '');
      if (rel === '.' || rel === '') copiesAll = true;
      else if (!rel.startsWith('..')) sources.push(rel);
    }
  }
  return { sources, copiesAll };
}

/** Which of `sources` a folder of the repository holds (from git's index when known). */
function sourcesFoundIn(ctx: Context, root: string, file: string, tracked: TrackedFiles | null, sources: readonly string[]): (dir: string) => Promise<string[]> {
  const own = path.dirname(file);
  const exists = async (dir: string, rel: string): Promise<boolean> => {
    // The Dockerfile's own folder named from the one above it (`COPY gitlab-sshd` beside
    // cmd/gitlab-sshd/Dockerfile) is not what it copies: that is a build output of the same name.
    const named = path.join(dir, rel);
    if (own === named && dir === path.dirname(own)) return false;
    if (tracked) return tracked.has(path.relative(root, named).split(path.sep).join('/'));
    return (await ctx.probe.stat(named)) !== null;
  };
  return async (dir) => {
    const here: string[] = [];
    for (const rel of sources) if (await exists(dir, rel)) here.push(rel);
    return here;
  };
}

/**
 * Of the folders the repository's build definitions build `file` from, the one that holds more
 * of what its COPY lines name (the first read, on a tie), with the others named.
 */
async function mostCopied(ctx: Context, root: string, file: string, tracked: TrackedFiles | null, known: readonly BuildContext[]): Promise<BuildContext> {
  const found = sourcesFoundIn(ctx, root, file, tracked, (await copySources(ctx, file)).sources);
  let best = known[0]!;
  let most = -1;
  for (const k of known) {
    const count = (await found(k.dir)).length;
    if (count > most) [best, most] = [k, count];
  }
  return { ...best, conflicts: known.filter((k) => k !== best) };
}

/**
 * The folder above the Dockerfile that holds more of the files its COPY and ADD lines name than its
 * own folder does (the nearest, when two hold as many); null when none does, or it copies nothing
 * that tells. More, not all: a build output the checkout lacks (`COPY ./compiled`) is in none.
 */
async function copiedFrom(ctx: Context, root: string, file: string, tracked: TrackedFiles | null): Promise<BuildContext | null> {
  const { sources, copiesAll } = await copySources(ctx, file);
  const own = path.dirname(file);
  if (sources.length === 0) {
    // `COPY . .` from a folder that holds nothing but Dockerfiles would copy nothing of the app;
    // the root, when it holds the project's build file (go.mod, package.json ...), is where it builds.
    const names = copiesAll && own !== root ? await ctx.probe.list(own) : [];
    if (names.length === 0 || !names.every((n) => /dockerfile|\.dockerignore$/i.test(n))) return null;
    const manifest = (await ctx.probe.list(root)).sort().find((n) => PROJECT_FILE.test(n));
    return manifest ? { dir: root, why: `its folder holds only Dockerfiles, COPY . copies the whole build context, and ${manifest} is at the root`, guess: true } : null;
  }
  const found = sourcesFoundIn(ctx, root, file, tracked, sources);
  const beside = await found(own);
  if (beside.length === sources.length) return null;
  let best = { dir: own, here: beside };
  for (let dir = path.dirname(own); dir !== own && inside(root, dir); dir = path.dirname(dir)) {
    const here = await found(dir);
    if (here.length > best.here.length) best = { dir, here };
    if (dir === root) break;
  }
  if (best.dir === own) return null;
  const named = best.here.slice(0, 3).join(', ') + (best.here.length > 3 ? ', ...' : '');
  return { dir: best.dir, why: `its COPY lines name ${named}, which ${best.here.length === 1 ? 'is' : 'are'} there${beside.length === 0 ? ' and not beside it' : ''}` };
}
