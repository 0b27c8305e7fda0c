/**
 * The compose file model (compose.yaml / docker-compose.yml): reading and validating.
 *
 * `loadCompose(path)` / `parseCompose(text, path)` give each service with the keys the steps
 * judge (privileged, network_mode, pid, ipc, cap_add, cap_drop, security_opt, read_only, tmpfs,
 * volumes, ports, user, image, build) and the line of every key. A file that is not valid YAML,
 * whose top level is not a mapping, or whose `services` is not a mapping is a UserError naming
 * file, line and column; so is a file loadCompose finds empty or without services. Format-
 * preserving edits are in ./edit.ts.
 */
import {
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { Stats } from 'node:fs';
import { UserError } from '../core/errors.js';
import path from 'node:path';
import { LIMITS, assertJsonDepth, decodeUtf8, readLimited, utf16Refusal } from '../core/limits.js';
import { dotEnvBeside, interpolate, interpolatedWhereKnown } from './interpolate.js';
import { closestWord, colonParts } from '../core/words.js';

export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

export interface KeyPosition {
  line: number;
  column: number;
}

export interface ComposeVolume {
  /** bind (host path), volume (named), tmpfs, npipe, image, or anonymous (target only). */
  type: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  /** Short syntax as written, or the long-syntax mapping as data. */
  raw: unknown;
  line: number;
}

export interface VolumesFrom {
  /** The service named, or with `container:NAME` the container. */
  service?: string;
  container?: string;
  readOnly: boolean;
  line: number;
}

/** A volumes_from item as compose-spec writes it: `service`, `service:ro`, `container:name`, `container:name:rw`. */
function volumesFromOf(item: string, line: number): VolumesFrom {
  const mode = /:(ro|rw)$/.exec(item);
  const name = mode ? item.slice(0, mode.index) : item;
  const readOnly = mode?.[1] === 'ro';
  return name.startsWith('container:') ? { container: name.slice('container:'.length), readOnly, line } : { service: name, readOnly, line };
}

export interface ComposePort {
  /** The port inside the container (the first of a range); null when it cannot be read. */
  containerPort: number | null;
  published?: string;
  hostIp?: string;
  protocol?: string;
  raw: unknown;
  line: number;
}

/** A service's `build:` as a proof builds it: the stage compose builds (`target`) and its build arguments (a null value comes from the environment). */
export interface ComposeBuild {
  context: string;
  dockerfile?: string;
  target?: string;
  args?: [string, string | null][];
}

/**
 * A secret or config a service is given, at `target` in its container: the file compose mounts
 * there (as written, relative to the compose file), or why a proof cannot give it (external, from
 * the environment, inline content, not defined in this file).
 */
export interface GivenFile {
  kind: 'secret' | 'config';
  name: string;
  target: string;
  line: number;
  file?: string;
  why?: string;
}

export interface ComposeService {
  name: string;
  /** Line of the service's own key under `services`. */
  line: number;
  /** The service's value as data (merge keys `<<` resolved). */
  value: Record<string, unknown>;
  /** Position of each key written in the service (keys brought in by `<<` point at the `<<`, by `extends` at the `extends`). */
  keys: Record<string, KeyPosition>;
  /** Keys the service takes from the one it extends and does not write itself, with that service ("service base of common.yml"). */
  inherited: Record<string, string>;
  /** Keys it takes from a compose file docker compose reads before this one (this file is its override) and does not write itself, where they are written. */
  earlier: Record<string, { file: string; line: number }>;
  /** Keys this file writes with compose's `!reset` (remove what earlier files set) or `!override` (replace it rather than join lists). */
  tags: Record<string, 'reset' | 'override'>;
  privileged?: boolean;
  network_mode?: string;
  pid?: string;
  ipc?: string;
  /** cap_add, cap_drop and security_opt items as compose reads them (variables resolved where .env or a default sets them). */
  cap_add: string[];
  cap_drop: string[];
  security_opt: string[];
  /** The same cap_add and security_opt items as written in the file, which an edit that removes one matches. */
  written: { cap_add: string[]; security_opt: string[] };
  read_only?: boolean;
  /** read_only is a variable (`${READ_ONLY}`) that neither .env nor a default sets: the environment decides it. */
  readOnlyFromEnvironment: boolean;
  tmpfs: string[];
  volumes: ComposeVolume[];
  /** volumes_from: the services (or, with `container:`, the containers) whose volumes this one takes, and whether read-only (`:ro`). */
  volumesFrom: VolumesFrom[];
  ports: ComposePort[];
  user?: string;
  image?: string;
  build?: ComposeBuild;
  /** environment: as a mapping of names to values as written (a list's `KEY=value` items too; `KEY` alone is ''). */
  environment: Record<string, string>;
  /** Its secrets and configs, with the files the top level of its compose file defines them by. */
  givenFiles: GivenFile[];
}

export interface ComposeModel {
  path: string;
  text: string;
  services: ComposeService[];
  /** Line of the top-level `services` key, or null when the file has none. */
  servicesLine: number | null;
  service(name: string): ComposeService | undefined;
  /** Line of `key` in service `name` (or of the service itself when the key is absent). */
  lineOf(name: string, key?: string): number | null;
}

/** A service's environment: as compose takes it, a mapping or a list of KEY=value items. */
function environmentOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = String(item ?? '');
      const at = text.indexOf('=');
      out[at < 0 ? text : text.slice(0, at)] = at < 0 ? '' : text.slice(at + 1);
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out[k] = v === null || v === undefined ? '' : String(v);
  }
  return out;
}

/**
 * How far aliases may expand when a compose file is read as data. yaml's default (100) refuses
 * real files such as Sentry's self-hosted compose (142 aliases of a few anchors); this bound still
 * stops a "billion laughs" file, whose expansion grows exponentially.
 */
export const MAX_ALIAS_COUNT = 100_000;
export const TO_JS = { maxAliasCount: MAX_ALIAS_COUNT };

/** Read and parse a compose file; `seen` gets the stat of the file that was read. */
export async function loadCompose(file: string, seen?: (info: Stats) => void, earlier?: EarlierServices): Promise<ComposeModel> {
  let text: string;
  try {
    const bytes = await readLimited(file, 'compose file', LIMITS.compose, { followLinks: true, seen });
    if (bytes === null) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
    // YAML is Unicode text: a NUL byte means a binary file, and bytes that are not UTF-8 would not
    // survive an edit.
    const utf16 = utf16Refusal(bytes, file, 'compose file');
    if (utf16) throw utf16;
    if (bytes.includes(0)) throw new UserError('is a binary file, not a compose file', 'Pass the path of a compose.yaml or docker-compose.yml.', file);
    const decoded = decodeUtf8(bytes);
    if (decoded === null) throw new UserError('is not UTF-8 text, so it is not a compose file docker compose reads', 'Save it as UTF-8, then run docker-harden again.', file);
    text = decoded;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? 'compose file not found' : `cannot read the compose file (${code ?? String(err)})`,
      'Pass the path of an existing compose.yaml or docker-compose.yml with --compose.',
      file,
    );
  }
  const model = await composeFromText(text, file, earlier);
  refuseWithoutServices(model);
  return model;
}

/**
 * The services of the compose files docker compose reads before a file (it is their override, or
 * named later in COMPOSE_FILE), merged in their order, by name: each key with the file and line
 * that wrote it last.
 */
export type EarlierServices = ReadonlyMap<string, { value: Record<string, unknown>; at: Record<string, { file: string; line: number }> }>;

/** The model of compose text read from `file`, as loadCompose makes it: `.env` beside it and the files its services extend read. */
export async function composeFromText(text: string, file: string, earlier?: EarlierServices): Promise<ComposeModel> {
  const vars = await dotEnvBeside(file);
  return parseCompose(text, file, vars, await extendedFiles(text, file, vars), earlier);
}

/**
 * docker compose refuses a file with nothing in it ("empty compose file"), and one without
 * services has nothing to start ("no service selected"), unless `include:` brings them in.
 */
function refuseWithoutServices(model: ComposeModel): void {
  if (model.services.length > 0) return;
  const top = parseShared(model.text, model.path).doc.contents;
  if (!isMap(top) || top.items.length === 0) {
    throw new UserError('is empty, and docker compose refuses it ("empty compose file")', 'Pass the compose file that defines your services; nothing was changed.', model.path);
  }
  if (top.items.some((p) => keyText(p) === 'include')) return;
  throw new UserError(
    'has no services, so docker compose has nothing to start ("no service selected")',
    'Add your services under `services:`, or pass the compose file that defines them; nothing was changed.',
    model.path,
    model.servicesLine ?? undefined,
  );
}

/** Other compose files at most that `extends: { file: ... }` chains read. */
const MAX_EXTENDED_FILES = 10;

/**
 * The services (as data) of the other files this compose file's services extend
 * (`extends: { service: base, file: common.yml }`), and those they extend in turn, by path. A file
 * that cannot be read is left out: its services' settings stay unknown.
 */
async function extendedFiles(text: string, file: string, vars: ReadonlyMap<string, string>): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!/\bextends\s*:/.test(text)) return out;
  const queue: { from: string; services: unknown }[] = [{ from: file, services: servicesData(parseShared(text, file)) }];
  while (queue.length > 0 && out.size < MAX_EXTENDED_FILES) {
    const { from, services } = queue.shift()!;
    for (const other of extendsFilesOf(services, from, vars)) {
      if (other === file || out.has(other) || out.size >= MAX_EXTENDED_FILES) continue;
      try {
        const bytes = await readLimited(other, 'compose file', LIMITS.compose, { followLinks: true });
        const decoded = bytes && !bytes.includes(0) ? decodeUtf8(bytes) : null;
        if (decoded === null) continue;
        const found = servicesData(parseStrict(decoded, other));
        out.set(other, found);
        queue.push({ from: other, services: found });
      } catch {
        // Unreadable, or not YAML: its services' settings stay unknown (compose itself refuses it).
      }
    }
  }
  return out;
}

/** The files named by `extends.file` in a compose file's services, as absolute paths. */
function extendsFilesOf(services: unknown, from: string, vars: ReadonlyMap<string, string>): string[] {
  if (!services || typeof services !== 'object') return [];
  return Object.values(services as Record<string, unknown>).flatMap((service) => {
    const ext = (service as { extends?: unknown } | null)?.extends;
    const named = ext && typeof ext === 'object' ? (ext as { file?: unknown }).file : undefined;
    if (typeof named !== 'string') return [];
    const filled = interpolate(named, vars);
    return filled.unresolved.length > 0 ? [] : [path.resolve(path.dirname(from), filled.value)];
  });
}

// Lists compose merges item by item when a service extends another; other keys the service sets replace the base's.
const MERGED_LISTS = new Set(['cap_add', 'cap_drop', 'security_opt', 'tmpfs', 'volumes', 'ports', 'devices', 'dns', 'dns_search', 'expose', 'external_links', 'env_file', 'extra_hosts']);

/** A service's settings on top of those of the service it extends: mappings merged, lists joined, the rest replaced. */
function mergeExtended(base: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  delete out.extends;
  for (const [key, value] of Object.entries(own)) {
    const under = base[key];
    if (MERGED_LISTS.has(key) && under !== undefined && under !== null) {
      const items = [...(Array.isArray(under) ? under : [under]), ...(Array.isArray(value) ? value : value === null ? [] : [value])];
      out[key] = items.filter((item, i) => items.findIndex((x) => JSON.stringify(x) === JSON.stringify(item)) === i);
    } else if (isPlainData(under) && isPlainData(value)) out[key] = { ...under, ...value };
    else out[key] = value;
  }
  return out;
}

/**
 * A service of a later compose file on top of the same service of the files before it, as compose
 * merges files (compose-spec merge.md): as extends merges, except that a key tagged `!reset` is
 * removed and one tagged `!override` replaces what the earlier files set.
 */
export function mergeOver(earlier: Record<string, unknown>, later: Record<string, unknown>, tags: Record<string, 'reset' | 'override'>): Record<string, unknown> {
  const untagged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(later)) if (!tags[key]) untagged[key] = value;
  const out = mergeExtended(earlier, untagged);
  for (const [key, tag] of Object.entries(tags)) {
    if (tag === 'reset') delete out[key];
    else out[key] = later[key];
  }
  return out;
}

export function isPlainData(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** A parsed compose document with what reading and editing both use. */
export interface ParsedCompose {
  doc: Document.Parsed;
  lines: LineCounter;
  services: YAMLMap | null;
  servicesPair: Pair | null;
  /** Set on first use by hasAnchors(). */
  anchors?: boolean;
  /** The whole document as data (aliases and merge keys resolved), set on first use by servicesData(). */
  data?: unknown;
}

/** The `services` of a parsed compose file as data, read from the document once (aliases bounded by MAX_ALIAS_COUNT). */
export function servicesData(parsed: ParsedCompose): Record<string, unknown> {
  parsed.data ??= parsed.doc.toJS(TO_JS);
  const services = (parsed.data as { services?: unknown } | null)?.services;
  return services && typeof services === 'object' ? (services as Record<string, unknown>) : {};
}

// The last text parsed: every proposal of a compose step edits the same file, and each parse of
// a 1,000-service file costs as much as the whole step should.
let lastParsed: { text: string; file: string; parsed: ParsedCompose } | undefined;

export function parseShared(text: string, file: string): ParsedCompose {
  const known = alreadyParsed(text, file);
  if (known) return known;
  const parsed = parseStrict(text, file);
  lastParsed = { text, file, parsed };
  return parsed;
}

/** The parse of `text` when it is the last one made, else null (nothing is parsed). */
export function alreadyParsed(text: string, file: string): ParsedCompose | null {
  return lastParsed && lastParsed.text === text && lastParsed.file === file ? lastParsed.parsed : null;
}

/** Keep a parse made elsewhere (an edit's verified result) for the check that reads the text next. */
export function rememberParsed(text: string, file: string, parsed: ParsedCompose): void {
  lastParsed = { text, file, parsed };
}

/** Whether a document has anchors or aliases: then an edit of one service may show in another. */
export function hasAnchors(parsed: ParsedCompose): boolean {
  if (parsed.anchors === undefined) {
    let found = false;
    visit(parsed.doc, {
      Alias() {
        found = true;
        return visit.BREAK;
      },
      Node(_key, node) {
        if (node.anchor) {
          found = true;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    parsed.anchors = found;
  }
  return parsed.anchors;
}

/**
 * True when some mapping has two scalar keys of the same value: every key yaml's uniqueKeys check
 * (same node, or scalars of equal value) refuses, and perhaps a few it does not (NaN), found with
 * one set per mapping.
 */
function mayRepeatKeys(doc: Document): boolean {
  // A walk of the collections alone (yaml's visit also builds a path for every node): nesting is
  // bounded by assertJsonDepth before the parse, and a stack keeps it off the call stack anyway.
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) return true;
        seen.add(key);
        if (!isScalar(pair.key)) stack.push(pair.key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return false;
}

/** The top-level keys of the compose specification; `x-` extensions besides. */
const TOP_LEVEL_KEYS = ['services', 'networks', 'volumes', 'secrets', 'configs', 'include', 'name', 'version', 'models'];

/**
 * A top-level key compose refuses ("additional properties 'service' not allowed"): a typo such as
 * `service:` would otherwise leave every service unread, and the file would pass.
 */
function refuseUnknownTopKeys(top: YAMLMap, lines: LineCounter, file: string): void {
  const unknown = top.items.find((p) => !TOP_LEVEL_KEYS.includes(keyText(p)) && !keyText(p).startsWith('x-'));
  if (!unknown) return;
  const key = keyText(unknown);
  const near = closestWord(key, TOP_LEVEL_KEYS);
  const pos = lines.linePos((unknown.key as YamlNode).range?.[0] ?? 0);
  throw new UserError(
    `\`${key}\` is not a top-level key of a compose file${near ? ` (\`${near}\`?)` : ''}; docker compose refuses it`,
    `Fix the key: compose reads ${TOP_LEVEL_KEYS.join(', ')} and x- extensions at the top level; nothing was changed.`,
    file,
    pos.line,
    pos.col,
  );
}

/** Parse and validate the shape; UserError with line and column when the file is malformed. */
export function parseStrict(text: string, file: string): ParsedCompose {
  // The YAML parser recurses into nested collections: refuse nesting no compose file needs first.
  assertJsonDepth(text, file, 'compose file');
  let lines = new LineCounter();
  let doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0 || mayRepeatKeys(doc)) {
    // yaml's own check compares each key with every earlier one (a million comparisons for 1,000
    // services): run only when a key may repeat or the text is bad, so errors come as yaml gives them.
    lines = new LineCounter();
    doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false, uniqueKeys: true });
  }
  const error = doc.errors[0];
  if (error) {
    const pos = lines.linePos(error.pos[0]);
    // Block collections nested thousands deep overflow the parser's recursion, which is no YAML error of the file's.
    if (/call stack/i.test(error.message)) {
      throw new UserError('nests its settings thousands of levels deep, more than any compose file needs; docker-harden does not read it', 'Check that this is a compose file; nothing was changed.', file, pos.line, pos.col);
    }
    throw new UserError(
      `not valid YAML: ${error.message.split('\n')[0]}`,
      'Fix the YAML at that line (docker compose config shows the same error); nothing was changed.',
      file,
      pos.line,
      pos.col,
    );
  }
  // Aliases read as data may expand exponentially (a "billion laughs" file): refused here, once,
  // naming the file, rather than wherever the data is first read.
  let data: unknown;
  if (text.includes('*')) {
    try {
      data = doc.toJS(TO_JS);
    } catch (err) {
      if (!/alias/i.test((err as Error).message)) throw err;
      throw new UserError(`expands its aliases (*name) more than ${MAX_ALIAS_COUNT.toLocaleString('en')} times, as a "billion laughs" file does; docker-harden does not read it`, 'Check where the anchors (&name) and aliases come from; nothing was changed.', file);
    }
  }
  const top = doc.contents;
  if (top === null || (isScalar(top) && top.value === null)) {
    return { doc, lines, services: null, servicesPair: null, data };
  }
  if (!isMap(top)) {
    const pos = lines.linePos(top.range?.[0] ?? 0);
    throw new UserError(
      'the top level of a compose file must be a mapping (services:, volumes:, ...)',
      'Check that this is a compose file; nothing was changed.',
      file,
      pos.line,
      pos.col,
    );
  }
  const servicesPair = top.items.find((p) => keyText(p) === 'services') ?? null;
  if (!servicesPair) {
    // The version 1 format: services at the top level, which Docker Compose v2 refuses.
    const v1 = top.items.find((p) => !keyText(p).startsWith('x-') && isMap(p.value) && (p.value as YAMLMap).items.some((i) => ['image', 'build'].includes(keyText(i))));
    if (v1) {
      const pos = lines.linePos((v1.key as YamlNode).range?.[0] ?? 0);
      throw new UserError(
        `\`${keyText(v1)}\` is a service at the top level (the version 1 format, with no \`services:\` key), which Docker Compose v2 does not read`,
        'Indent the services under a `services:` key; nothing was changed.',
        file,
        pos.line,
        pos.col,
      );
    }
    refuseUnknownTopKeys(top, lines, file);
    return { doc, lines, services: null, servicesPair: null, data };
  }
  refuseUnknownTopKeys(top, lines, file);
  const value = servicesPair.value as YamlNode | null;
  if (value === null || (isScalar(value) && value.value === null)) return { doc, lines, services: null, servicesPair };
  if (!isMap(value)) {
    const pos = lines.linePos(value.range?.[0] ?? (servicesPair.key as YamlNode).range?.[0] ?? 0);
    throw new UserError(
      '`services` must be a mapping of service names to their settings',
      'Write each service as `name:` under `services:`, indented; nothing was changed.',
      file,
      pos.line,
      pos.col,
    );
  }
  for (const pair of value.items) {
    const v = pair.value as YamlNode | null;
    // A service may be an alias of another's settings (`cache: *redis`).
    if (v !== null && !isMap(isAlias(v) ? v.resolve(doc) : v) && !(isScalar(v) && v.value === null)) {
      const pos = lines.linePos(v.range?.[0] ?? 0);
      throw new UserError(
        `service \`${keyText(pair)}\` must be a mapping of settings`,
        'Indent the service settings under its name; nothing was changed.',
        file,
        pos.line,
        pos.col,
      );
    }
  }
  return { doc, lines, services: value, servicesPair, data };
}

export function keyText(pair: Pair): string {
  const key = pair.key as YamlNode | string | null;
  // With merge keys on, `<<` is a Scalar holding a symbol.
  if (isScalar(key)) return typeof key.value === 'symbol' ? '<<' : String(key.value);
  return String(key);
}

export function nodeStart(node: unknown): number | undefined {
  return (node as YamlNode | null)?.range?.[0];
}

/** `vars`: the values of the variables the file uses (its `.env`); the defaults written in the file apply too. */
export function parseCompose(
  text: string,
  file: string,
  vars: ReadonlyMap<string, string> = new Map(),
  extended: ReadonlyMap<string, Record<string, unknown>> = new Map(),
  earlier: EarlierServices = new Map(),
): ComposeModel {
  const parsed = parseShared(text, file);
  // The settings a service takes from the one it extends (`extends: base`, or `{ service, file }`),
  // with what says so; null when it extends none, or one that cannot be read.
  const baseOf = (service: Record<string, unknown>, from: string, depth: number): { value: Record<string, unknown>; from: string } | null => {
    const ext = service.extends;
    const spec = typeof ext === 'string' ? { service: ext, file: undefined } : isPlainData(ext) ? (ext as { service?: unknown; file?: unknown }) : null;
    if (!spec || typeof spec.service !== 'string' || depth > 10) return null;
    const target = typeof spec.file === 'string' ? path.resolve(path.dirname(from), resolvedText(spec.file)) : from;
    const pool = target === file ? servicesData(parsed) : extended.get(target);
    const base = pool?.[spec.service];
    if (!isPlainData(base)) return null;
    const deeper = baseOf(base, target, depth + 1);
    return { value: deeper ? mergeExtended(deeper.value, base) : base, from: `service ${spec.service}${target === file ? '' : ` of ${path.relative(path.dirname(file), target)}`}` };
  };
  // A value written with variables is judged as compose reads it (see interpolatedWhereKnown).
  const resolved = (v: unknown): unknown => (typeof v === 'string' ? interpolatedWhereKnown(v, vars) : v);
  const resolvedText = (v: string): string => interpolatedWhereKnown(v, vars);
  const pos = (offset: number | undefined): KeyPosition => {
    const p = parsed.lines.linePos(offset ?? 0);
    return { line: p.line, column: p.col };
  };
  const services: ComposeService[] = [];
  // The top-level secrets and configs, read when a service names one.
  const definitions: Partial<Record<'secret' | 'config', Record<string, unknown>>> = {};
  for (const pair of parsed.services?.items ?? []) {
    const name = keyText(pair);
    const written = pair.value as YamlNode | null;
    // An alias (`cache: *redis`) has the settings of the anchored mapping, all at its own line.
    const alias = isAlias(written);
    const serviceNode = alias ? (written.resolve(parsed.doc) ?? null) : written;
    const line = pos(nodeStart(pair.key)).line;
    const keys: Record<string, KeyPosition> = {};
    const tags: Record<string, 'reset' | 'override'> = {};
    const valueLines = new Map<string, YamlNode | null>();
    let mergeAt: KeyPosition | undefined = alias ? { line, column: pos(nodeStart(pair.key)).column } : undefined;
    if (isMap(serviceNode) && !alias) {
      for (const item of serviceNode.items) {
        const k = keyText(item);
        if (k === '<<') {
          mergeAt ??= pos(nodeStart(item.key));
          continue;
        }
        keys[k] = pos(nodeStart(item.key));
        valueLines.set(k, item.value as YamlNode | null);
        const tag = (item.value as YamlNode | null)?.tag;
        if (tag === '!reset' || tag === '!override') tags[k] = tag === '!reset' ? 'reset' : 'override';
      }
    }
    const own = (isMap(serviceNode) ? serviceNode.toJS(parsed.doc, TO_JS) : {}) as Record<string, unknown>;
    // Keys merged from an anchor (`<<: *defaults`) are reported at the `<<` line.
    if (mergeAt) for (const k of Object.keys(own)) keys[k] ??= mergeAt;
    // Keys it takes from the service it extends are reported at its `extends` line.
    const base = 'extends' in own ? baseOf(own, file, 0) : null;
    const extendedValue = base ? mergeExtended(base.value, own) : own;
    // Over the same service of the files compose reads before this one, when it is their override.
    const before = earlier.get(name);
    const value = before ? mergeOver(before.value, extendedValue, tags) : extendedValue;
    const inherited: Record<string, string> = {};
    const fromEarlier: ComposeService['earlier'] = {};
    for (const k of Object.keys(value)) {
      if (k in own) continue;
      if (base && k in base.value) inherited[k] = base.from;
      else if (before?.at[k]) fromEarlier[k] = before.at[k];
      keys[k] ??= (base && k in base.value ? keys.extends : undefined) ?? { line, column: 1 };
    }
    const lineOfItem = (key: string, index: number): number => {
      const seq = valueLines.get(key);
      const item = isSeq(seq) ? (seq.items[index] as YamlNode | undefined) : undefined;
      return pos(nodeStart(item) ?? nodeStart(seq)).line || keys[key]?.line || line;
    };
    const readOnly = resolved(value.read_only);
    services.push({
      name,
      line,
      value,
      keys,
      inherited,
      earlier: fromEarlier,
      tags,
      privileged: asBool(resolved(value.privileged)),
      network_mode: asString(resolved(value.network_mode)),
      pid: asString(resolved(value.pid)),
      ipc: asString(resolved(value.ipc)),
      cap_add: asStringList(value.cap_add).map(resolvedText),
      cap_drop: asStringList(value.cap_drop).map(resolvedText),
      security_opt: asStringList(value.security_opt).map(resolvedText),
      written: { cap_add: asStringList(value.cap_add), security_opt: asStringList(value.security_opt) },
      read_only: asBool(readOnly),
      readOnlyFromEnvironment: typeof readOnly === 'string' && readOnly.includes('$'),
      tmpfs: asStringList(value.tmpfs),
      volumes: asList(value.volumes).map((v, i) => volumeOf(v, lineOfItem('volumes', i))),
      volumesFrom: asStringList(value.volumes_from).map((v, i) => volumesFromOf(resolvedText(v), lineOfItem('volumes_from', i))),
      ports: asList(value.ports).map((p, i) => portOf(p, lineOfItem('ports', i))),
      user: value.user === undefined || value.user === null ? undefined : String(resolved(value.user)),
      image: asString(resolved(value.image)),
      build: buildOf(value.build),
      environment: environmentOf(value.environment),
      givenFiles: (['secret', 'config'] as const).flatMap((kind) =>
        asList(value[`${kind}s`]).map((item, i) => givenFileOf(kind, item, lineOfItem(`${kind}s`, i), () => (definitions[kind] ??= topLevelData(parsed, `${kind}s`)))),
      ),
    });
  }
  return composeModel(file, text, services, parsed.servicesPair ? pos(nodeStart(parsed.servicesPair.key)).line : null);
}

/** A model of `services`, looked up by name (the first of a name, as compose reports a duplicate). */
export function composeModel(file: string, text: string, services: ComposeService[], servicesLine: number | null): ComposeModel {
  // By name, for the look-ups every edit of every service makes.
  const byName = new Map<string, ComposeService>();
  for (const s of services) if (!byName.has(s.name)) byName.set(s.name, s);
  return {
    path: file,
    text,
    services,
    servicesLine,
    service: (name) => byName.get(name),
    lineOf(name, key) {
      const s = byName.get(name);
      if (!s) return null;
      return key ? (s.keys[key]?.line ?? s.line) : s.line;
    },
  };
}

/** A boolean setting as compose reads it: YAML's true and false, or a text compose takes for one (`yes`, `on`, `N`, as compose-go's toBoolean). */
function asBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const text = typeof v === 'string' ? v.toLowerCase() : null;
  if (text === 'y' || text === 'yes' || text === 'true' || text === 'on') return true;
  if (text === 'n' || text === 'no' || text === 'false' || text === 'off') return false;
  return undefined;
}

function asString(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

function asList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  return v === undefined || v === null ? [] : [v];
}

function asStringList(v: unknown): string[] {
  return asList(v).map((x) => String(x));
}

/** A top-level mapping (`secrets:`, `configs:`) as data, or {} when there is none. */
function topLevelData(parsed: ParsedCompose, key: string): Record<string, unknown> {
  const node = parsed.doc.get(key, true) as YamlNode | undefined;
  if (!isMap(node)) return {};
  const data = node.toJS(parsed.doc, TO_JS) as unknown;
  return isPlainData(data) ? (data as Record<string, unknown>) : {};
}

/**
 * A service's secret or config item (`name`, or `{ source, target }`) with its definition: a
 * secret is at /run/secrets/NAME unless its target says where, a config at /NAME.
 */
function givenFileOf(kind: 'secret' | 'config', item: unknown, line: number, definitions: () => Record<string, unknown>): GivenFile {
  const long = isPlainData(item) ? (item as { source?: unknown; target?: unknown }) : null;
  const name = String(long ? (long.source ?? '') : (item ?? ''));
  const written = long && typeof long.target === 'string' && long.target ? long.target : name;
  const target = written.startsWith('/') ? written : kind === 'secret' ? `/run/secrets/${written}` : `/${written}`;
  const def = definitions()[name];
  const at = { kind, name, target, line };
  if (!isPlainData(def)) return { ...at, why: `not defined at the top level of this file` };
  const d = def as { file?: unknown; external?: unknown; environment?: unknown; content?: unknown };
  if (typeof d.file === 'string') return { ...at, file: d.file };
  if (d.external) return { ...at, why: 'external' };
  if (d.environment !== undefined) return { ...at, why: 'taken from the environment' };
  if (d.content !== undefined) return { ...at, why: 'inline content' };
  return { ...at, why: 'not a file' };
}

function buildOf(v: unknown): ComposeService['build'] {
  if (typeof v === 'string') return { context: v };
  if (v && typeof v === 'object') {
    const b = v as Record<string, unknown>;
    const args = buildArgsOf(b.args);
    return {
      context: asString(b.context) ?? '.',
      ...(b.dockerfile !== undefined ? { dockerfile: String(b.dockerfile) } : {}),
      ...(typeof b.target === 'string' && b.target ? { target: b.target } : {}),
      ...(args.length > 0 ? { args } : {}),
    };
  }
  return undefined;
}

/** `args:` as a mapping (`BASE: alpine`, `TOKEN:` from the environment) or a list (`BASE=alpine`, `TOKEN`). */
function buildArgsOf(v: unknown): [string, string | null][] {
  if (Array.isArray(v)) {
    return v.map((item) => {
      const text = String(item);
      const eq = text.indexOf('=');
      return eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)];
    });
  }
  if (v && typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, x === undefined || x === null ? null : String(x)]);
  return [];
}

/** Short syntax `[SOURCE:]TARGET[:MODE]` or the long-syntax mapping. */
export function volumeOf(raw: unknown, line: number): ComposeVolume {
  if (raw && typeof raw === 'object') {
    const v = raw as Record<string, unknown>;
    return {
      type: asString(v.type) ?? 'volume',
      source: asString(v.source),
      target: asString(v.target),
      readOnly: asBool(v.read_only) === true,
      raw,
      line,
    };
  }
  const text = String(raw);
  const parts = colonParts(text);
  if (parts.length === 1) return { type: 'anonymous', target: text, readOnly: false, raw, line };
  const [source, target, mode = ''] = parts as [string, string, string?];
  const bind = /^[./~]/.test(source) || source.startsWith('$');
  return {
    type: bind ? 'bind' : 'volume',
    source,
    target,
    readOnly: mode.split(',').includes('ro'),
    raw,
    line,
  };
}

/** Short syntax `[[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]` or the long-syntax mapping. */
export function portOf(raw: unknown, line: number): ComposePort {
  if (raw && typeof raw === 'object') {
    const p = raw as Record<string, unknown>;
    return {
      containerPort: firstPort(p.target),
      published: asString(p.published),
      hostIp: asString(p.host_ip),
      protocol: asString(p.protocol),
      raw,
      line,
    };
  }
  let text = String(raw);
  let protocol: string | undefined;
  const slash = text.lastIndexOf('/');
  if (slash >= 0) {
    protocol = text.slice(slash + 1);
    text = text.slice(0, slash);
  }
  // An IPv6 host address is written in brackets: [::1]:8080:80.
  let hostIp: string | undefined;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(text);
  if (bracket) {
    hostIp = bracket[1];
    text = bracket[2]!;
  }
  const parts = text.split(':');
  const target = parts.pop()!;
  const published = parts.pop();
  if (!hostIp && parts.length > 0) hostIp = parts.join(':');
  return { containerPort: firstPort(target), ...(published !== undefined ? { published } : {}), ...(hostIp ? { hostIp } : {}), ...(protocol ? { protocol } : {}), raw, line };
}

function firstPort(v: unknown): number | null {
  const m = /^(\d+)/.exec(String(v ?? ''));
  return m ? Number(m[1]) : null;
}
