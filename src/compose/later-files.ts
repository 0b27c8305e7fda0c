/**
 * What a compose file that `docker compose` reads after another says about a service's key. Compose
 * merges the files in order (compose-spec merge.md): a later file's value replaces an earlier one's,
 * except that sequences are joined, unless the later file tags its value `!override` (replace) or
 * `!reset` (remove). A fix written to the earlier file for a key the later one decides changes
 * nothing compose starts: such a fix is said, never written.
 */
import path from 'node:path';
import type { ServiceEdit } from './edit.js';
import { composeFromText, composeModel, loadCompose, mergeOver, type ComposeModel, type ComposeService, type EarlierServices } from './model.js';
import { LIMITS, readLimited } from '../core/limits.js';
import { safeLine } from '../core/sanitize.js';
import type { Context } from '../core/step.js';
import { filesComposeReads } from '../core/runner.js';
import { cachedUntilWrite } from '../core/writes.js';

export interface LaterSetting {
  file: string;
  line: number;
  /** The key's line as written there (`read_only: false`), or the item that stays. */
  written: string;
  /** How the later file undoes the edit, in words that follow "sets ... for service S, and". */
  why: string;
}

const cached = cachedUntilWrite<object, Promise<ComposeModel[]>>();

/**
 * The models of the compose files `docker compose`, run beside `target`, reads after it (its
 * override, the later COMPOSE_FILE names), once per run. One that cannot be read is left out:
 * compose itself stops on it.
 */
export function laterComposeModels(ctx: Context, target: string): Promise<ComposeModel[]> {
  return cached(ctx.probe, `later-compose:${path.resolve(target)}`, async () => {
    const files = (await filesComposeReads(ctx, path.resolve(target))).files;
    const at = files.indexOf(path.resolve(target));
    return at < 0 ? [] : modelsOf(files.slice(at + 1));
  });
}

/**
 * The services of the files `docker compose`, run beside `target`, reads before it (the base file
 * of an override, the earlier COMPOSE_FILE names), merged in order: `target` is checked as compose
 * runs it, on top of them. Empty when it is the first file compose reads, or none of them can be
 * read (compose itself then stops).
 */
export async function earlierServices(ctx: Pick<Context, 'env' | 'probe'>, target: string): Promise<EarlierServices> {
  const files = (await filesComposeReads(ctx, path.resolve(target))).files;
  const at = files.indexOf(path.resolve(target));
  const merged = new Map<string, { value: Record<string, unknown>; at: Record<string, { file: string; line: number }> }>();
  for (const model of at > 0 ? await modelsOf(files.slice(0, at)) : []) {
    for (const s of model.services) {
      const before = merged.get(s.name);
      const written = Object.fromEntries(Object.keys(s.keys).filter((k) => !(k in s.inherited) && !(k in s.earlier)).map((k) => [k, { file: model.path, line: s.keys[k]!.line }]));
      merged.set(s.name, before ? { value: mergeOver(before.value, s.value, s.tags), at: { ...before.at, ...written } } : { value: s.value, at: written });
    }
  }
  return merged;
}

/** A model's services as the files after it see them: what they are merged on top of. */
function asEarlier(model: ComposeModel): EarlierServices {
  return new Map(model.services.map((s) => [s.name, { value: s.value, at: Object.fromEntries(Object.entries(s.keys).map(([k, at]) => [k, s.earlier[k] ?? { file: model.path, line: at.line }])) }]));
}

/**
 * The services of compose text read from `file` as `docker compose`, run beside it, runs them: on
 * top of the files it reads before it, under those it reads after it, each service merged across
 * them as compose merges (later files' values win, lists joined unless `!override` or `!reset`).
 * A proof of a change runs these, not the file's services alone.
 */
export async function composeAsRun(ctx: Pick<Context, 'env' | 'probe'>, text: string, file: string): Promise<ComposeModel> {
  const files = (await filesComposeReads(ctx, path.resolve(file))).files;
  const at = files.indexOf(path.resolve(file));
  let model = await composeFromText(text, file, await earlierServices(ctx, file));
  for (const later of at < 0 ? [] : files.slice(at + 1)) {
    const laterText = await composeText(later);
    if (laterText === null) continue;
    const over = await composeFromText(laterText, later, asEarlier(model));
    const services = [...model.services.map((s) => over.service(s.name) ?? s), ...over.services.filter((s) => !model.service(s.name))];
    model = composeModel(model.path, model.text, services, model.servicesLine);
  }
  return model;
}

/**
 * Service `name` of compose file `file` as `docker compose`, run beside the file, runs it (see
 * composeAsRun), with the model it is in; null when the file cannot be read or parsed, or has no
 * such service.
 */
export async function serviceAsRun(ctx: Pick<Context, 'env' | 'probe'>, file: string, name: string): Promise<{ model: ComposeModel; service: ComposeService } | null> {
  // Once per run for each file: steps 4 and 14 ask of each Dockerfile its services build.
  const model = await asRunOf(ctx.probe, `as-run:${path.resolve(file)}`, async () => {
    const text = await composeText(file);
    return text === null ? null : composeAsRun(ctx, text, file).catch(() => null);
  });
  const service = model?.service(name);
  return model && service ? { model, service } : null;
}

const asRunOf = cachedUntilWrite<object, Promise<ComposeModel | null>>();

/** A compose file's text, read as loadCompose reads one (within LIMITS.compose, through a link); null when it cannot be. */
function composeText(file: string): Promise<string | null> {
  return readLimited(file, 'compose file', LIMITS.compose, { followLinks: true }).then(
    (bytes) => bytes?.toString('utf8') ?? null,
    () => null,
  );
}

/** The later files whose settings a check of `target` reports: those this run does not check as targets of their own. */
export async function laterModelsToReport(ctx: Context, target: string): Promise<ComposeModel[]> {
  const checked = new Set(ctx.runTargets.filter((t) => t.kind === 'compose').map((t) => path.resolve(t.path)));
  return (await laterComposeModels(ctx, target)).filter((m) => !checked.has(path.resolve(m.path)));
}

async function modelsOf(files: string[]): Promise<ComposeModel[]> {
  const models: ComposeModel[] = [];
  for (const file of files) {
    try {
      models.push(await loadCompose(file));
    } catch {
      // Unreadable or malformed: `docker compose` stops on it, and the generic warning still says to look.
    }
  }
  return models;
}

/** Where a later file writes `key` for `service`: its line as written, its value, and its `!reset` or `!override` tag. */
interface Written {
  file: string;
  line: number;
  written: string;
  value: unknown;
  tag?: 'reset' | 'override';
}

function writtenIn(model: ComposeModel, service: string, key: string): Written | undefined {
  const known = model.service(service);
  if (!known || !(key in known.value)) return undefined;
  const line = known.keys[key]?.line ?? known.line;
  const written = safeLine((model.text.split('\n')[line - 1] ?? '').trim());
  const tag = /:\s*!(reset|override)\b/.exec(written)?.[1] as Written['tag'];
  return { file: model.path, line, written, value: known.value[key], ...(tag ? { tag } : {}) };
}

/** What the last of the later files that write `key` for `service` says: the value compose runs (a sequence aside). */
export function lastWritten(models: ComposeModel[], service: string, key: string): Written | undefined {
  return models.map((m) => writtenIn(m, service, key)).filter((w) => w !== undefined).at(-1);
}

/** The first later file whose setting keeps `edit` of `service` from taking effect, if any. */
export function undoneByLater(models: ComposeModel[], service: string, edit: ServiceEdit): LaterSetting | undefined {
  for (const model of models) {
    const found = writtenIn(model, service, edit.key);
    if (!found) continue;
    const { tag, value: later } = found;
    const at = { file: found.file, line: found.line, written: found.written };
    const replaces = tag !== undefined || !Array.isArray(later);
    switch (edit.op) {
      case 'set':
        if (replaces || !Array.isArray(edit.value)) return { ...at, why: 'the later file\'s value is the one compose runs' };
        break;
      case 'add':
        if (replaces) return { ...at, why: tag ? `\`!${tag}\` makes it replace this file's list` : "the later file's value replaces this file's list" };
        break;
      case 'delete':
        // `!reset` removes the key too: the deletion holds.
        if (tag !== 'reset') return { ...at, why: 'compose runs the service with it whatever this file says' };
        break;
      case 'remove':
      case 'replace': {
        if (tag === 'reset') break;
        const stays = Array.isArray(later) ? later.find((item) => edit.where(item)) : undefined;
        if (stays !== undefined) return { ...at, written: safeLine(`${edit.key}: ${String(stays)}`), why: 'compose joins the two lists, so the item stays' };
        if (tag === 'override') return { ...at, why: `\`!override\` makes it replace this file's list` };
        break;
      }
    }
  }
  return undefined;
}

/**
 * How to fix what a later file sets: a fix of that file alone judges it on top of this one and
 * writes there. The file is named as the person named the target (deploy/compose.yaml: then
 * deploy/compose.override.yaml), so the command runs where they ran theirs.
 */
export function fixThere(target: { path: string; label: string }, laterFile: string): string {
  const typed = path.join(path.dirname(target.label), path.relative(path.dirname(target.path), laterFile));
  return `\`docker-harden fix --compose ${safeLine(typed)}\` fixes it there`;
}

/** The sentence an advice gives in place of a change that a later file undoes. */
export function undoneSentence(setting: LaterSetting, service: string, target: string): string {
  const name = safeLine(path.relative(path.dirname(target), setting.file));
  return `${name}, which docker compose reads after this file, sets \`${setting.written}\` for service ${safeLine(service)} (line ${setting.line}), and ${setting.why}: written here, this change would leave the service as it runs. Make the change in ${name} instead (or take the key out of it), then run docker-harden check again.`;
}
