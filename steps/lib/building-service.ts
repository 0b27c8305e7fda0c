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
import { howBuilt } from './build-context.js';

export interface BuildingService {
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
export async function buildingService(ctx: Context, model: DockerfileModel, key: string): Promise<BuildingService | null> {
  const building = (await howBuilt(ctx, model.path)).context?.service;
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
