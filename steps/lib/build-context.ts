/**
 * Where CI builds a Dockerfile from. Its own folder, unless the repository says otherwise: a
 * compose file's `build:` (context and dockerfile), a dev container's devcontainer.json
 * (`build.context`), or COPY lines whose files are in a folder above it and not beside it (a
 * `docker/Dockerfile` built with `docker build -f docker/Dockerfile .`). A CI job that builds from
 * the wrong folder fails at its first COPY.
 */
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { Context } from '../../src/core/step.js';
import type { TrackedFiles } from '../../src/core/git-index.js';
import { yamlLibrary } from '../../src/core/yaml-lazy.js';
import { splitWords } from '../../src/core/words.js';
import { copyOperands, isRemoteSource, type CiFile } from './supply-chain.js';

/** A build context other than the Dockerfile's folder, and what says so. */
export interface BuildContext {
  dir: string;
  why: string;
  /** Inferred from the Dockerfile alone, with nothing in the repository to confirm it. */
  guess?: boolean;
}

// compose.yaml and docker-compose.yml, and their variants (docker-compose.dev.yml, compose.ci.yaml).
const COMPOSE_NAME = /^(docker-)?compose(\.[\w-]+)?\.ya?ml$/;
/** The plain names first: what `docker compose` reads without -f. */
const composeFirst = (a: string, b: string) => Number(/^(docker-)?compose\.ya?ml$/.test(b)) - Number(/^(docker-)?compose\.ya?ml$/.test(a)) || a.localeCompare(b);
const DEVCONTAINER_NAMES = ['devcontainer.json', '.devcontainer.json'];
// The files a project's build starts from.
const PROJECT_FILE = /^(go\.mod|package\.json|pom\.xml|build\.gradle(\.kts)?|Cargo\.toml|pyproject\.toml|requirements\.txt|Gemfile|composer\.json|mix\.exs|.*\.sln|Makefile)$/;
const ROOT_BUILD_FILES = ['Makefile', 'makefile', 'GNUmakefile', 'README.md'];

// Options of docker build that take a value as the next word; the others stand alone.
const VALUED = new Set(['-f', '--file', '-t', '--tag', '--build-arg', '--target', '--platform', '--label', '--cache-from', '--cache-to', '-o', '--output', '--secret', '--ssh', '--network', '--progress', '--iidfile', '--metadata-file', '--build-context', '--add-host', '--builder', '--ulimit', '--shm-size', '-m', '--memory', '--cgroup-parent', '--isolation', '--annotation', '--attest', '--provenance', '--sbom', '--allow']);

/**
 * `docker build -f DOCKERFILE CONTEXT` lines of a CI file, Makefile or README, run from the
 * repository root (a line that changes folder first, or names either with a variable, says nothing).
 */
function buildCommands(root: string, file: string, text: string, out: Map<string, BuildContext>): void {
  for (const [i, line] of text.split('\n').entries()) {
    const at = line.search(/\bdocker\s+(buildx\s+|image\s+)?build\s/);
    if (at < 0 || /\bcd\s/.test(line.slice(0, at))) continue;
    let words: string[];
    try {
      words = splitWords(line.slice(at).replace(/\s+\\\s*$/, ''), { onUnclosedQuote: () => { throw new Error('unclosed'); } });
    } catch {
      continue;
    }
    let dockerfile: string | null = null;
    let context: string | null = null;
    for (let k = words.indexOf('build') + 1; k < words.length; k++) {
      const w = words[k]!;
      if (['&&', '||', ';', '|', '>', '2>&1'].includes(w) || w.startsWith('#')) break;
      if (w === '-f' || w === '--file') dockerfile = words[++k] ?? null;
      else if (w.startsWith('--file=')) dockerfile = w.slice('--file='.length);
      else if (VALUED.has(w)) k++;
      else if (!w.startsWith('-')) context = w;
    }
    if (!dockerfile || !context || /[$`(){}]/.test(dockerfile + context) || /^[a-z]+:\/\//i.test(context) || context === '-') continue;
    const built = path.resolve(root, dockerfile);
    if (!out.has(built)) out.set(built, { dir: path.resolve(root, context), why: `${path.relative(root, file)} line ${i + 1} builds it with context ${context}` });
  }
}

/**
 * The build contexts of `dockerfiles` (absolute paths in the repository at `root`) that are not
 * their own folder. `tracked`: the repository's files when known, for the COPY lines' test.
 */
export async function buildContexts(ctx: Context, root: string, dockerfiles: readonly string[], tracked: TrackedFiles | null, ci: readonly CiFile[] = []): Promise<Map<string, BuildContext>> {
  const declared = new Map<string, BuildContext>();
  // The project's own build lines come first: its CI files, its Makefile and README at the root.
  for (const f of ci) buildCommands(root, f.path, f.text, declared);
  for (const name of ROOT_BUILD_FILES) {
    const text = await ctx.probe.readText(path.join(root, name));
    if (text !== null) buildCommands(root, path.join(root, name), text, declared);
  }
  const read = new Set<string>();
  for (const file of dockerfiles) {
    // The files that describe builds sit beside the Dockerfile or in a folder above it, up to the root.
    for (let dir = path.dirname(file); inside(root, dir); dir = path.dirname(dir)) {
      if (!read.has(dir)) {
        read.add(dir);
        for (const name of (await ctx.probe.list(dir)).filter((n) => COMPOSE_NAME.test(n)).sort(composeFirst)) await composeBuilds(ctx, path.join(dir, name), declared);
        for (const name of DEVCONTAINER_NAMES) await devcontainerBuild(ctx, path.join(dir, name), declared);
      }
      if (dir === root || path.dirname(dir) === dir) break;
    }
  }
  const out = new Map<string, BuildContext>();
  for (const file of dockerfiles) {
    const known = declared.get(file);
    if (known) {
      if (inside(root, known.dir) && known.dir !== path.dirname(file)) out.set(file, known);
      continue;
    }
    const above = await copiedFrom(ctx, root, file, tracked);
    if (above) out.set(file, above);
  }
  return out;
}

/** Whether `dir` is `root` or a folder under it. */
function inside(root: string, dir: string): boolean {
  return dir === root || dir.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** The services of a compose file that build a Dockerfile, by that Dockerfile's path. */
async function composeBuilds(ctx: Context, file: string, out: Map<string, BuildContext>): Promise<void> {
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
  for (const [name, service] of Object.entries(services as Record<string, unknown>)) {
    const build = (service as { build?: unknown } | null)?.build;
    const spec = typeof build === 'string' ? { context: build } : build && typeof build === 'object' ? (build as { context?: unknown; dockerfile?: unknown }) : null;
    if (!spec) continue;
    const context = typeof spec.context === 'string' ? spec.context : '.';
    const dockerfile = typeof spec.dockerfile === 'string' ? spec.dockerfile : 'Dockerfile';
    // A value from the environment, or a remote context (a git URL): not a folder of this checkout.
    if (context.includes('$') || dockerfile.includes('$') || isRemoteSource(context) || /^[a-z]+:\/\//i.test(context)) continue;
    const dir = path.resolve(path.dirname(file), context);
    const built = path.resolve(dir, dockerfile);
    if (!out.has(built)) out.set(built, { dir, why: `${path.basename(file)} builds service ${name} with context ${context}` });
  }
}

/** A dev container's Dockerfile and its build context (`build.context`, or the older top-level `context`). */
async function devcontainerBuild(ctx: Context, file: string, out: Map<string, BuildContext>): Promise<void> {
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
  if (!out.has(built)) out.set(built, { dir, why: `${path.basename(file)} builds it with context ${context}` });
}

/**
 * The folder above the Dockerfile that holds more of the files its COPY and ADD lines name than its
 * own folder does (the nearest, when two hold as many); null when none does, or it copies nothing
 * that tells. More, not all: a build output the checkout lacks (`COPY ./compiled`) is in none.
 */
async function copiedFrom(ctx: Context, root: string, file: string, tracked: TrackedFiles | null): Promise<BuildContext | null> {
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
  const own = path.dirname(file);
  if (sources.length === 0) {
    // `COPY . .` from a folder that holds nothing but Dockerfiles would copy nothing of the app;
    // the root, when it holds the project's build file (go.mod, package.json ...), is where it builds.
    const names = copiesAll && own !== root ? await ctx.probe.list(own) : [];
    if (names.length === 0 || !names.every((n) => /dockerfile|\.dockerignore$/i.test(n))) return null;
    const manifest = (await ctx.probe.list(root)).sort().find((n) => PROJECT_FILE.test(n));
    return manifest ? { dir: root, why: `its folder holds only Dockerfiles, COPY . copies the whole build context, and ${manifest} is at the root`, guess: true } : null;
  }
  const exists = async (dir: string, rel: string): Promise<boolean> => {
    if (tracked) {
      const inRepo = path.relative(root, path.join(dir, rel)).split(path.sep).join('/');
      return tracked.has(inRepo);
    }
    return (await ctx.probe.stat(path.join(dir, rel))) !== null;
  };
  const found = async (dir: string) => {
    const here: string[] = [];
    for (const rel of sources) if (await exists(dir, rel)) here.push(rel);
    return here;
  };
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
