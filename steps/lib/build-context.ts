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
import { copyOperands, isRemoteSource } from './supply-chain.js';

/** A build context other than the Dockerfile's folder, and what says so. */
export interface BuildContext {
  dir: string;
  why: string;
}

const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const DEVCONTAINER_NAMES = ['devcontainer.json', '.devcontainer.json'];

/**
 * The build contexts of `dockerfiles` (absolute paths in the repository at `root`) that are not
 * their own folder. `tracked`: the repository's files when known, for the COPY lines' test.
 */
export async function buildContexts(ctx: Context, root: string, dockerfiles: readonly string[], tracked: TrackedFiles | null): Promise<Map<string, BuildContext>> {
  const declared = new Map<string, BuildContext>();
  const read = new Set<string>();
  const inRepo = (dir: string) => dir === root || dir.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
  for (const file of dockerfiles) {
    // The files that describe builds sit beside the Dockerfile or in a folder above it, up to the root.
    for (let dir = path.dirname(file); inRepo(dir); dir = path.dirname(dir)) {
      if (!read.has(dir)) {
        read.add(dir);
        for (const name of COMPOSE_NAMES) await composeBuilds(ctx, path.join(dir, name), declared);
        for (const name of DEVCONTAINER_NAMES) await devcontainerBuild(ctx, path.join(dir, name), declared);
      }
      if (dir === root || path.dirname(dir) === dir) break;
    }
  }
  const out = new Map<string, BuildContext>();
  for (const file of dockerfiles) {
    const known = declared.get(file);
    if (known) {
      if (inRepo(known.dir) && known.dir !== path.dirname(file)) out.set(file, known);
      continue;
    }
    const above = await copiedFrom(ctx, root, file, tracked);
    if (above) out.set(file, above);
  }
  return out;
}

/** The services of a compose file that build a Dockerfile, by that Dockerfile's path. */
async function composeBuilds(ctx: Context, file: string, out: Map<string, BuildContext>): Promise<void> {
  const text = await ctx.probe.readText(file);
  if (text === null) return;
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
 * The folder above the Dockerfile that its COPY and ADD lines copy from, when none of their files
 * is beside it and all are there; null when the Dockerfile copies nothing that tells.
 */
async function copiedFrom(ctx: Context, root: string, file: string, tracked: TrackedFiles | null): Promise<BuildContext | null> {
  const model = await ctx.runDockerfile(file).catch(() => null);
  const sources: string[] = [];
  for (const inst of model?.instructions ?? []) {
    if ((inst.keyword !== 'COPY' && inst.keyword !== 'ADD') || inst.stage < 0) continue;
    const { flags, sources: from } = copyOperands(inst.ast);
    if (flags.some((f) => /^--from=/i.test(f))) continue;
    for (const source of from) {
      if (source.startsWith('<<') || source.includes('$') || isRemoteSource(source) || /[*?[]/.test(source)) continue;
      const rel = path.posix.normalize(source.replace(/^\/+/, '')).replace(/\/+$/, '');
      if (rel !== '.' && rel !== '' && !rel.startsWith('..')) sources.push(rel);
    }
  }
  if (sources.length === 0) return null;
  const exists = async (dir: string, rel: string): Promise<boolean> => {
    if (tracked) {
      const inRepo = path.relative(root, path.join(dir, rel)).split(path.sep).join('/');
      return tracked.has(inRepo);
    }
    return (await ctx.probe.stat(path.join(dir, rel))) !== null;
  };
  const own = path.dirname(file);
  for (const rel of sources) if (await exists(own, rel)) return null;
  for (let dir = path.dirname(own); dir.length >= root.length && dir !== own; dir = path.dirname(dir)) {
    let all = true;
    for (const rel of sources) if (!(all = await exists(dir, rel))) break;
    if (all) return { dir, why: `its COPY lines name ${sources.slice(0, 3).join(', ')}${sources.length > 3 ? ' ...' : ''}, which are there and not beside it` };
    if (dir === root || path.dirname(dir) === dir) break;
  }
  return null;
}
