/**
 * The compose service that builds a Dockerfile's image and runs it, as docker compose runs it (with
 * the override and the other files it reads with its file). What such a service sets replaces what
 * the image sets (its own healthcheck test, its user): a Dockerfile step reads it and says where it
 * is written.
 */
import path from 'node:path';
import type { Context } from '../../src/core/step.js';
import type { ComposeService } from '../../src/compose/model.js';
import type { DockerfileModel } from '../../src/dockerfile/model.js';
import { trackedFiles } from '../../src/core/git-index.js';
import { cachedUntilWrite } from '../../src/core/writes.js';
import { buildContexts, howBuilt, type BuildingService as Building } from './build-context.js';
import { ciFiles, findRepoRoot, inside } from './supply-chain.js';

export interface RunningService {
  /** The service as compose runs it. */
  service: ComposeService;
  /** "service web of compose.yaml", the file named from the Dockerfile's folder. */
  named: string;
  /** Where the key asked for is written ("compose.override.yaml line 3"), or null when no file sets it. */
  written: string | null;
}

/**
 * The compose service that builds the final stage of `model`, with where its `key` is written;
 * null when no service builds it, or the one that does builds an earlier stage (`target:`), which
 * runs another image.
 */
export async function buildingService(ctx: Context, model: DockerfileModel, key: string): Promise<RunningService | null> {
  const building = await serviceBuilding(ctx, path.resolve(model.path));
  if (!building) return null;
  const { laterComposeModels, serviceAsRun } = await import('../../src/compose/later-files.js');
  const asRun = await serviceAsRun(ctx, building.file, building.name);
  const target = asRun?.service.build?.target;
  if (!asRun || (target !== undefined && target.toLowerCase() !== model.stages.at(-1)?.name)) return null;
  const { service } = asRun;
  // The last file compose reads that writes the key (an override), else this one or one before it.
  const later = [...(await laterComposeModels(ctx, building.file))].reverse().find((m) => m.service(building.name)?.keys[key]);
  const at = later ? { file: later.path, line: later.service(building.name)!.keys[key]!.line } : (service.earlier[key] ?? (service.keys[key] ? { file: building.file, line: service.keys[key].line } : null));
  const shown = (file: string) => path.relative(path.dirname(model.path), file);
  return { service, named: `service ${building.name} of ${shown(building.file)}`, written: at ? `${shown(at.file)} line ${at.line}` : null };
}

/** The compose service that builds `file` (see buildContexts), from what the repository's build definitions say. */
async function serviceBuilding(ctx: Context, file: string): Promise<Building | undefined> {
  const root = await findRepoRoot(ctx.probe, path.dirname(file));
  const run = root ? await declaredInRun(ctx, root) : null;
  // A file this run does not check as a target (or outside a repository): asked alone.
  if (!run?.files.has(file)) return (await howBuilt(ctx, file, { declaredOnly: true })).context?.service;
  return run.contexts.get(file)?.service;
}

const declaredOf = cachedUntilWrite<object, Promise<{ files: Set<string>; contexts: Map<string, { service?: Building }> }>>();

/**
 * What the build definitions of the repository at `root` say of every Dockerfile of this run in
 * it, read once per run: asked one Dockerfile at a time, its CI files, Makefile and README were
 * read again for each of a thousand.
 */
function declaredInRun(ctx: Context, root: string) {
  return declaredOf(ctx.probe, `declared:${root}`, async () => {
    const files = new Set(ctx.runTargets.flatMap((t) => (t.kind === 'dockerfile' ? [path.resolve(t.path)] : [])).filter((f) => inside(root, f)));
    const [tracked, ci] = await Promise.all([trackedFiles(ctx.probe, root), ciFiles(ctx.probe, root)]);
    return { files, contexts: await buildContexts(ctx, root, [...files], tracked, ci, { services: true, declaredOnly: true }) };
  });
}
