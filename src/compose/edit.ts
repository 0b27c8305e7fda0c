/**
 * Format-preserving edits of a compose file.
 *
 * `editService(text, serviceName, edits)` returns the new full text. The yaml Document locates
 * the nodes; the text is then spliced at their source ranges, so every comment and every line
 * outside the edited spans stays byte for byte (re-rendering the whole document would re-indent,
 * re-quote and re-fold lines the person wrote). The result is parsed again and compared with the
 * intended value before it is returned; a mismatch is an error, never a silent bad edit.
 *
 *   editService(text, 'web', [
 *     { op: 'set', key: 'read_only', value: true },
 *     { op: 'add', key: 'cap_drop', items: ['ALL'] },          // creates the list when absent
 *     { op: 'remove', key: 'security_opt', where: (v) => v === 'seccomp:unconfined' },
 *     { op: 'delete', key: 'privileged' },
 *   ])
 *
 * Over 400 lines: each YAML shape an edit meets (block and flow maps and sequences, a key added
 * or removed) needs its own splice, and they share the layout and verification code here.
 */
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, parseDocument, stringify, visit, type Document, type Node as YamlNode, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { UserError } from '../core/errors.js';
import type { FileChange } from '../core/step.js';
import { TO_JS, alreadyParsed, hasAnchors, isPlainData, keyText, nodeStart, parseShared, parseStrict, rememberParsed, type ComposeModel, type ParsedCompose } from './model.js';

export type ServiceEdit =
  /** Set a key to a value (replacing only the value's text when the key exists). */
  | { op: 'set'; key: string; value: unknown; style?: 'flow' | 'block' }
  /** Remove a key and its value (its lines). */
  | { op: 'delete'; key: string }
  /** Append items to a list, creating the key when absent; items already present are skipped. */
  | { op: 'add'; key: string; items: unknown[]; style?: 'flow' | 'block' }
  /** Remove the list items for which `where` is true; an emptied list loses its key. */
  | { op: 'remove'; key: string; where: (item: unknown) => boolean }
  /** Replace the list items for which `where` is true by `to` of each, where they are. */
  | { op: 'replace'; key: string; where: (item: unknown) => boolean; to: (item: unknown) => unknown };

/**
 * Apply `edits` to service `serviceName` of compose `text` and return the new text. A list or
 * mapping written under a new key is a block by default; `style: 'flow'` writes `[ALL]`. Throws a
 * UserError for a malformed file or an unknown service (nothing is written by this function).
 */
export function editService(text: string, serviceName: string, edits: ServiceEdit[], file = 'compose.yaml'): string {
  const parsed = parseShared(text, file);
  const planned = planService(text, parsed, serviceName, edits, file);
  if (planned) {
    const after = applySplices(text, planned.splices);
    verifyService(text, after, parsed, planned, serviceName, edits, file);
    return after;
  }
  let current = text;
  for (const edit of edits) current = applySplices(current, spliceOne(current, parseShared(current, file), serviceName, edit, file));
  verifyEdit(text, current, [{ service: serviceName, edits }], file);
  return current;
}

/**
 * A proposal's change of one service, as a FileChange whose `after` is built when first read.
 * The edits are planned here (a key that is not a list is refused now, as editService would);
 * building the text and checking it waits, since `fix --yes` applies a step's changes together
 * and never reads each one's text: a 1,000-service file has 3,000 of them.
 */
export function serviceChange(model: ComposeModel, service: string, edits: ServiceEdit[]): FileChange {
  // What a service takes from the one it extends cannot be taken away in it: compose joins lists and
  // the base's key stays when the service does not write it.
  const known = model.service(service);
  for (const edit of edits) {
    const earlier = known?.earlier[edit.key];
    if (earlier && (edit.op === 'delete' || edit.op === 'remove' || edit.op === 'replace')) {
      const name = path.relative(path.dirname(model.path), earlier.file);
      throw new UserError(
        `\`${edit.key}\` of service \`${service}\` is set in ${name} (line ${earlier.line}), which docker compose reads before this file, and this file cannot take it away without \`!reset\``,
        `Change it in ${name}, where it is written, then run docker-harden again.`,
        earlier.file,
        earlier.line,
      );
    }
    const from = known?.inherited[edit.key];
    if (from && (edit.op === 'delete' || edit.op === 'remove' || edit.op === 'replace')) {
      throw new UserError(
        `\`${edit.key}\` of service \`${service}\` comes from ${from}, which it extends, and changing it there would change every service that extends it`,
        `Write \`${edit.key}\` in service \`${service}\` itself with the value you want, or change it in ${from}, then run docker-harden again.`,
        model.path,
        known!.keys.extends?.line ?? known!.line,
      );
    }
  }
  const parsed = parseShared(model.text, model.path);
  // A service whose settings others take by its anchor (`app: &app`, then `<<: *app`): a change
  // written in it would change them too.
  const servicePair = findService(parsed, service, model.path);
  const takers = hasAnchors(parsed) ? servicesTaking(parsed, servicePair) : [];
  if (takers.length > 0) {
    const anchor = (servicePair.value as YamlNode).anchor!;
    throw new UserError(
      `the settings of service \`${service}\` are anchored (&${anchor}) and ${takers.map((t) => `\`${t}\``).join(', ')} take${takers.length === 1 ? 's' : ''} them (<<: *${anchor}), so a change written in \`${service}\` would change ${takers.length === 1 ? 'that service' : 'those services'} too`,
      `Make the change in each of these services as you want it there, or move the shared settings to an x- field that each merges, then run docker-harden again.`,
      model.path,
      known?.line,
    );
  }
  const planned = planService(model.text, parsed, service, edits, model.path);
  let after: string | undefined = planned ? undefined : editService(model.text, service, edits, model.path);
  return {
    path: model.path,
    before: model.text,
    compose: { service, edits },
    // The diff check shows is made from the splices, so it never builds the whole new text.
    ...(planned ? { edits: planned.splices.map(({ start, end, text }) => ({ start, end, text })) } : {}),
    get after(): string {
      if (after === undefined) {
        const text = applySplices(model.text, planned!.splices);
        verifyService(model.text, text, parsed, planned!, service, edits, model.path);
        after = text;
      }
      return after;
    },
  };
}

/** The other services that take this service's settings through its anchor (a merge key or an alias). */
function servicesTaking(parsed: ParsedCompose, servicePair: Pair): string[] {
  const anchor = (servicePair.value as YamlNode | null)?.anchor;
  if (!anchor) return [];
  const takers: string[] = [];
  for (const p of parsed.services?.items ?? []) {
    if (p === servicePair || !p.value) continue;
    let found = false;
    visit(p.value as YamlNode, {
      Alias(_k, node) {
        if (node.source !== anchor) return undefined;
        found = true;
        return visit.BREAK;
      },
    });
    if (found) takers.push(keyText(p));
  }
  return takers;
}

/** Edits of several services, given as one list per service. */
export interface ServiceEdits {
  service: string;
  edits: ServiceEdit[];
}

/**
 * Apply the edits of many services to one parse of `text`, checked once: how `fix --yes` writes a
 * step's fixes of a 1,000-service file in one go. Null when the edits cannot be made against one
 * parse (two touch the same spot); then they are applied one at a time.
 */
export function editServices(text: string, list: ServiceEdits[], file = 'compose.yaml'): { after: string; splices: { start: number; end: number; text: string }[] } | null {
  const parsed = parseShared(text, file);
  const splices: Splice[] = [];
  const seen = new Set<string>();
  for (const { service, edits } of list) {
    if (seen.has(service)) return null;
    seen.add(service);
    const planned = planService(text, parsed, service, edits, file);
    if (!planned) return null;
    splices.push(...planned.splices);
  }
  const after = applySplices(text, splices);
  verifyEdit(text, after, list, file);
  return { after, splices: splices.map(({ start, end, text: t }) => ({ start, end, text: t })) };
}

/** Replace [start, end) of the text the edit was computed on with `text`. */
interface Splice {
  start: number;
  end: number;
  text: string;
  /** A new key inserted at the end of a service: several may go at the same spot, in order. */
  newKey?: boolean;
}

function applySplices(text: string, splices: Splice[]): string {
  const ordered = splices.map((s, i) => ({ s, i })).sort((a, b) => a.s.start - b.s.start || a.i - b.i);
  const parts: string[] = [];
  let at = 0;
  for (const { s } of ordered) {
    parts.push(text.slice(at, s.start), s.text);
    at = s.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

interface PlannedService {
  splices: Splice[];
  /** The service's lines in the text before: every splice falls inside them. */
  regionStart: number;
  regionEnd: number;
}

/** All edits of one service as splices of the same text, or null when they overlap or touch. */
function planService(text: string, parsed: ParsedCompose, serviceName: string, edits: ServiceEdit[], file: string): PlannedService | null {
  const keys = new Set(edits.map((e) => e.key));
  if (keys.size !== edits.length) return null;
  const splices = edits.flatMap((edit) => spliceOne(text, parsed, serviceName, edit, file));
  const ordered = [...splices].sort((a, b) => a.start - b.start);
  for (let i = 1; i < ordered.length; i++) {
    const a = ordered[i - 1]!;
    const b = ordered[i]!;
    const bothNewKeys = a.newKey && b.newKey && a.start === a.end && b.start === b.end && a.start === b.start;
    if (a.end >= b.start && !bothNewKeys) return null;
  }
  const servicePair = findService(parsed, serviceName, file);
  let regionStart = lineStartOf(text, nodeStart(servicePair.key) ?? 0);
  let regionEnd = lineEndAfter(text, pairEnd(servicePair));
  for (const sp of splices) {
    regionStart = Math.min(regionStart, sp.start);
    regionEnd = Math.max(regionEnd, sp.end);
  }
  return { splices, regionStart, regionEnd };
}

const servicesByName = new WeakMap<ParsedCompose, Map<string, Pair>>();

function findService(parsed: ParsedCompose, serviceName: string, file: string): Pair {
  // Each service's edits look their service up: an index, not a walk of 1,000 services each time.
  let index = servicesByName.get(parsed);
  if (!index) {
    index = new Map();
    for (const p of parsed.services?.items ?? []) {
      const name = keyText(p);
      if (!index.has(name)) index.set(name, p as Pair);
    }
    servicesByName.set(parsed, index);
  }
  const servicePair = index.get(serviceName);
  if (!servicePair) {
    throw new UserError(`service \`${serviceName}\` not found`, 'Name one of the services under `services:`.', file);
  }
  return servicePair;
}

interface Layout {
  eol: string;
  /** Spaces per indentation level. */
  unit: number;
  /** Whether block sequences are indented under their key (`key:\n  - x`) or not (`key:\n- x`). */
  indentSeq: boolean;
}

// One layout per parse: every edit of every service asks, and finding it reads the whole text.
const layouts = new WeakMap<ParsedCompose, Layout>();

function layoutOf(text: string, parsed: ParsedCompose): Layout {
  let layout = layouts.get(parsed);
  if (!layout) layouts.set(parsed, (layout = readLayout(text, parsed)));
  return layout;
}

function readLayout(text: string, parsed: ParsedCompose): Layout {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let unit = 2;
  const first = parsed.services?.items[0];
  const firstService = first?.value as YamlNode | null;
  if (first && isMap(firstService) && !firstService.flow && firstService.items[0]) {
    const outer = columnOf(text, nodeStart(first.key) ?? 0);
    const inner = columnOf(text, nodeStart(firstService.items[0].key) ?? 0);
    if (inner > outer) unit = inner - outer;
  }
  let indentSeq = true;
  const seqMatch = /^( *)[^\s#-][^\n]*:[ \t]*\r?\n( *)- /m.exec(text);
  if (seqMatch) indentSeq = seqMatch[2]!.length > seqMatch[1]!.length;
  return { eol, unit, indentSeq };
}

function columnOf(text: string, offset: number): number {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return offset - lineStart;
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset just past the end of the line holding `offset - 1` (after its newline, or at EOF). */
function lineEndAfter(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

/** End of a pair's text (its value, or the key when the value is empty). */
function pairEnd(pair: Pair): number {
  const v = pair.value as YamlNode | null;
  const k = pair.key as YamlNode;
  const vEnd = v?.range?.[1];
  const kEnd = k.range?.[1] ?? 0;
  return vEnd !== undefined && vEnd > kEnd ? vEnd : kEnd;
}

function spliceOne(text: string, parsed: ParsedCompose, serviceName: string, edit: ServiceEdit, file: string): Splice[] {
  const servicePair = findService(parsed, serviceName, file);
  const layout = layoutOf(text, parsed);
  const serviceNode = servicePair.value as YamlNode | null;
  // An empty service (`api: {}`, as taking out its last key leaves it) gets its keys in block style.
  const emptyFlow = serviceNode !== null && isMap(serviceNode) && serviceNode.flow && serviceNode.items.length === 0;
  if (serviceNode !== null && isMap(serviceNode) && serviceNode.flow && !emptyFlow) {
    return [rerenderFlowService(text, parsed, servicePair, edit)];
  }
  if (isAlias(serviceNode) || emptyFlow) {
    // A service written as an alias of another's settings (`cache: *redis`): the edit writes them
    // out in this service, changed, so the anchored service stays as it is.
    const data = serviceNode.toJS(parsed.doc, TO_JS) as Record<string, unknown>;
    applyToData(data, edit);
    return [replaceValue(text, servicePair, data, layout, 'block')];
  }
  const serviceMap = isMap(serviceNode) ? serviceNode : null;
  const keyIndent = serviceMap?.items[0]
    ? columnOf(text, nodeStart(serviceMap.items[0].key) ?? 0)
    : columnOf(text, nodeStart(servicePair.key) ?? 0) + layout.unit;
  const pair = serviceMap?.items.find((p) => keyText(p) === edit.key);
  // A key the service takes from a merge (`<<: *common`): a key written in the service replaces the
  // merged one whole, so a list written there carries the merged items too.
  const merged = pair ? undefined : mergedValue(serviceMap, parsed, edit.key);
  const fromMerge = () =>
    new UserError(
      `\`${edit.key}\` of service \`${serviceName}\` comes from a merge key (\`<<\`), and removing it there would change every service that merges the same values`,
      `Write \`${edit.key}\` in the service itself, or change it where the anchor is defined, then run docker-harden again.`,
      file,
      lineAt(parsed, nodeStart(servicePair.key)),
    );

  // The service's last key taken out leaves `{}`: an empty `name:` would be null, which is not a service.
  const removeKey = (p: Pair): Splice => (serviceMap?.items.length === 1 && serviceMap.items[0] === p ? replaceValue(text, servicePair, {}, layout, 'flow') : deletePair(text, p));
  switch (edit.op) {
    case 'delete':
      if (merged !== undefined) throw fromMerge();
      return pair ? [removeKey(pair)] : [];
    case 'set': {
      if (pair) return [replaceValue(text, pair, edit.value, layout, edit.style)];
      return [insertPair(text, servicePair, serviceMap, edit.key, edit.value, keyIndent, layout, edit.style)];
    }
    case 'add': {
      if (merged !== undefined && merged !== null) {
        const base = Array.isArray(merged) ? merged : typeof merged === 'string' ? [merged] : null;
        if (!base) throw new UserError(`\`${edit.key}\` of service \`${serviceName}\` (from a merge key) is not a list`, 'Write it as a list to let docker-harden add to it.', file, lineAt(parsed, nodeStart(servicePair.key)));
        const fresh = edit.items.filter((item) => !base.some((b) => JSON.stringify(b) === JSON.stringify(item)));
        if (fresh.length === 0) return [];
        return [insertPair(text, servicePair, serviceMap, edit.key, [...base, ...fresh], keyIndent, layout, edit.style)];
      }
      const existing = pair?.value as YamlNode | null | undefined;
      if (!pair || existing === null || existing === undefined || (isScalar(existing) && existing.value === null)) {
        if (pair) return [replaceValue(text, pair, edit.items, layout, edit.style)];
        return [insertPair(text, servicePair, serviceMap, edit.key, edit.items, keyIndent, layout, edit.style)];
      }
      if (isScalar(existing) && typeof existing.value === 'string' && ONE_OR_LIST.has(edit.key)) {
        // One item written alone (`tmpfs: /run`), which compose reads as a list of one: the list, with the new items.
        const fresh = edit.items.filter((item) => JSON.stringify(item) !== JSON.stringify(existing.value));
        return fresh.length === 0 ? [] : [replaceValue(text, pair, [existing.value, ...fresh], layout, edit.style)];
      }
      if (!isSeq(existing)) throw new UserError(`\`${edit.key}\` of service \`${serviceName}\` is not a list`, 'Write it as a list to let docker-harden add to it.', file, lineAt(parsed, nodeStart(existing)));
      const have = existing.items.map((i) => JSON.stringify(toData(i, parsed.doc)));
      const fresh = edit.items.filter((item) => !have.includes(JSON.stringify(item)));
      if (fresh.length === 0) return [];
      return [existing.flow ? rerenderFlowSeq(text, existing, existing.items, fresh) : appendBlockItems(text, existing, fresh, layout)];
    }
    case 'remove': {
      if (Array.isArray(merged)) {
        const kept = merged.filter((item) => !edit.where(item));
        if (kept.length === merged.length) return [];
        if (kept.length === 0) throw fromMerge();
        return [insertPair(text, servicePair, serviceMap, edit.key, kept, keyIndent, layout, 'block')];
      }
      const existing = pair?.value as YamlNode | null | undefined;
      if (!pair || !isSeq(existing)) return [];
      const keep = existing.items.filter((i) => !edit.where(toData(i, parsed.doc)));
      if (keep.length === existing.items.length) return [];
      if (keep.length === 0) return [removeKey(pair)];
      if (existing.flow) return [rerenderFlowSeq(text, existing, keep, [])];
      return removeBlockItems(text, existing, keep);
    }
    case 'replace': {
      if (Array.isArray(merged)) {
        const list = merged.map((item) => (edit.where(item) ? edit.to(item) : item));
        if (JSON.stringify(list) === JSON.stringify(merged)) return [];
        return [insertPair(text, servicePair, serviceMap, edit.key, list, keyIndent, layout, 'block')];
      }
      const existing = pair?.value as YamlNode | null | undefined;
      if (!pair || !isSeq(existing)) return [];
      const hits = existing.items.filter((i) => edit.where(toData(i, parsed.doc)));
      if (hits.length === 0) return [];
      const replaced = (i: unknown) => (hits.includes(i) ? edit.to(toData(i, parsed.doc)) : i);
      if (existing.flow) return [rerenderFlowSeq(text, existing, existing.items.map(replaced), [])];
      return hits.map((hit) => replaceBlockItem(text, hit as YamlNode, replaced(hit), layout));
    }
  }
}

/**
 * One item of a block list rewritten where it stands: a scalar in place (a comment after it stays),
 * a mapping as whole lines at the item's indentation.
 */
function replaceBlockItem(text: string, node: YamlNode, value: unknown, layout: Layout): Splice {
  const [start, end] = node.range ?? [0, 0];
  if (isScalar(node) && (typeof value !== 'object' || value === null)) {
    return { start, end, text: stringify(value, WRITE).replace(/\n$/, '') };
  }
  const lineStart = lineStartOf(text, start);
  const dashCol = text.slice(lineStart, start).lastIndexOf('-');
  const pad = ' '.repeat(Math.max(0, dashCol));
  const body = stringify([value], { ...WRITE, indent: layout.unit }).replace(/\n$/, '');
  return { start: lineStart, end: lineEndAfter(text, end), text: body.split('\n').map((l) => (l.length ? pad + l : l)).join(layout.eol) + layout.eol };
}

/**
 * How values are written: quoted wherever a YAML 1.1 reader (docker-compose 1, PyYAML, many
 * linters) would read another type, as `- 22:22` is the number 1342 there and `yes` a boolean.
 */
const WRITE = { lineWidth: 0, version: '1.1' } as const;

/** Keys compose reads as a list of one when a single text is written (`tmpfs: /run`). */
const ONE_OR_LIST = new Set(['tmpfs', 'dns', 'dns_search', 'env_file']);

/** The value a merge key (`<<`) gives `key` in a service that does not write it; undefined when none does. */
function mergedValue(serviceMap: YAMLMap | null, parsed: ParsedCompose, key: string): unknown {
  if (!serviceMap?.items.some((p) => keyText(p) === '<<')) return undefined;
  return (serviceMap.toJS(parsed.doc, TO_JS) as Record<string, unknown>)[key];
}

function lineAt(parsed: ParsedCompose, offset: number | undefined): number {
  return parsed.lines.linePos(offset ?? 0).line;
}

function toData(node: unknown, doc: Document.Parsed): unknown {
  return isScalar(node) || isMap(node) || isSeq(node) ? (node as YamlNode).toJS(doc, TO_JS) : node;
}

function deletePair(text: string, pair: Pair): Splice {
  const start = lineStartOf(text, nodeStart(pair.key) ?? 0);
  const end = lineEndAfter(text, pairEnd(pair));
  return { start, end, text: '' };
}

const renderedPairs = new Map<string, string>();

/**
 * Render `key: value` (or `key:` + block) lines at `indent`, each ending in eol. A fix of 1,000
 * services adds the same few pairs to each: each is rendered by yaml once.
 */
function renderPair(key: string, value: unknown, indent: number, layout: Layout, style?: 'flow' | 'block'): string {
  const memoKey = `${indent}\0${layout.unit}\0${layout.indentSeq}\0${layout.eol}\0${style}\0${key}\0${JSON.stringify(value)}`;
  let rendered = renderedPairs.get(memoKey);
  if (rendered === undefined) {
    if (renderedPairs.size >= 10_000) renderedPairs.clear();
    rendered = renderPairNow(key, value, indent, layout, style);
    renderedPairs.set(memoKey, rendered);
  }
  return rendered;
}

function renderPairNow(key: string, value: unknown, indent: number, layout: Layout, style?: 'flow' | 'block'): string {
  const pad = ' '.repeat(indent);
  const renderedKey = renderKey(key);
  if (style === 'flow' && Array.isArray(value)) return `${pad}${renderedKey}: [${value.map(flowItem).join(', ')}]${layout.eol}`;
  if (value !== null && typeof value === 'object' && !(Array.isArray(value) && value.length === 0) && !(isPlainData(value) && Object.keys(value).length === 0)) {
    return `${pad}${renderedKey}:${layout.eol}${renderBlock(value, indent + (Array.isArray(value) && !layout.indentSeq ? 0 : layout.unit), layout)}`;
  }
  return `${pad}${renderedKey}: ${renderScalar(value)}${layout.eol}`;
}


function renderKey(key: string): string {
  return stringify(key, WRITE).trimEnd();
}

function renderScalar(value: unknown): string {
  return stringify(value, WRITE).trimEnd();
}

/** A block collection rendered by yaml, re-indented to `indent` with the file's layout. */
function renderBlock(value: unknown, indent: number, layout: Layout): string {
  const body = stringify(value, { ...WRITE, indent: layout.unit, indentSeq: layout.indentSeq });
  const pad = ' '.repeat(indent);
  return body
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l.length ? pad + l : l))
    .join(layout.eol) + layout.eol;
}

function replaceValue(text: string, pair: Pair, value: unknown, layout: Layout, style?: 'flow' | 'block'): Splice {
  const old = pair.value as YamlNode | null;
  const keepFlow = style === 'flow' || (style === undefined && old !== null && (isSeq(old) || isMap(old)) && old.flow === true);
  const isBlockValue = !keepFlow && typeof value === 'object' && value !== null && !(Array.isArray(value) && value.length === 0) && !(isPlainData(value) && Object.keys(value).length === 0);
  const oldIsBlock = old !== null && (isMap(old) || isSeq(old)) && !old.flow;
  if (!isBlockValue && !oldIsBlock && old?.range) {
    const inline = Array.isArray(value) ? `[${value.map(flowItem).join(', ')}]` : renderInline(value);
    return { start: old.range[0], end: old.range[1], text: inline };
  }
  // A block value on either side: rewrite the pair's lines.
  const keyCol = columnOf(text, nodeStart(pair.key) ?? 0);
  const start = lineStartOf(text, nodeStart(pair.key) ?? 0);
  const end = lineEndAfter(text, pairEnd(pair));
  let rendered = renderPair(keyText(pair), value, keyCol, layout, style);
  // A comment after a scalar or empty value on the key's line (`tmpfs: /run  # pid file`) stays, on the key's line.
  const comment = old !== null && isScalar(old) && old.comment && !old.comment.includes('\n') ? old.comment : undefined;
  if (comment !== undefined) {
    const firstEnd = rendered.search(/\r?\n/);
    rendered = `${rendered.slice(0, firstEnd)}  #${comment}${rendered.slice(firstEnd)}`;
  }
  return { start, end, text: text.slice(start, end).endsWith('\n') ? rendered : rendered.replace(/\r?\n$/, '') };
}

function renderInline(value: unknown): string {
  if (Array.isArray(value) || isPlainData(value)) return JSON.stringify(value);
  return renderScalar(value);
}

function insertPair(text: string, servicePair: Pair, serviceMap: YAMLMap | null, key: string, value: unknown, keyIndent: number, layout: Layout, style?: 'flow' | 'block'): Splice {
  const rendered = renderPair(key, value, keyIndent, layout, style);
  let at: number;
  if (serviceMap && serviceMap.items.length > 0) {
    at = pastOwnComments(text, lineEndAfter(text, pairEnd(serviceMap.items[serviceMap.items.length - 1]!)), keyIndent);
  } else {
    // `web:` with no settings (or `web: ~`): drop an explicit null, keep a trailing comment, and
    // put the new key on the next line.
    const keyNode = servicePair.key as YamlNode;
    const lineStart = lineStartOf(text, keyNode.range![0]);
    const lineEnd = lineEndAfter(text, keyNode.range![1]);
    const nullValue = servicePair.value as YamlNode | null;
    let line = text.slice(lineStart, lineEnd);
    if (nullValue?.range && nullValue.range[1] > nullValue.range[0] && nullValue.range[0] >= keyNode.range![1]) {
      line = text.slice(lineStart, nullValue.range[0]).replace(/[ \t]+$/, '') + text.slice(nullValue.range[1], lineEnd);
    }
    if (!line.endsWith('\n')) line += layout.eol;
    return { start: lineStart, end: lineEnd, text: line + rendered };
  }
  if (at === text.length && text.length > 0 && !text.endsWith('\n')) return { start: at, end: at, text: layout.eol + rendered.replace(/\r?\n$/, '') };
  return { start: at, end: at, text: rendered, newKey: true };
}

/**
 * Past the comment lines right after a service's last value that belong to it: written deeper than
 * the service's keys, or a list item commented out (`#      - '--logLevel=DEBUG'`), so a key added
 * after the value does not take them in. A comment at the keys' column or less, or a blank line,
 * stays below the new key, with what follows.
 */
function pastOwnComments(text: string, at: number, keyIndent: number): number {
  let pos = at;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl + 1;
    const m = /^([ \t]*)#[ \t]*(-?)/.exec(text.slice(pos, end));
    if (!m || (m[1]!.length <= keyIndent && m[2] !== '-')) break;
    pos = end;
  }
  return pos;
}

/** Insert new `- item` lines after the last item of a block sequence, at its dash column. */
function appendBlockItems(text: string, seq: YAMLSeq, items: unknown[], layout: Layout): Splice {
  const last = seq.items[seq.items.length - 1] as YamlNode;
  const firstStart = nodeStart(seq.items[0]) ?? 0;
  const lineStart = lineStartOf(text, firstStart);
  const dashCol = text.slice(lineStart, firstStart).lastIndexOf('-');
  const pad = ' '.repeat(Math.max(0, dashCol));
  const rendered = items
    .map((item) => {
      const body = stringify([item], { ...WRITE, indent: layout.unit }).replace(/\n$/, '');
      return body
        .split('\n')
        .map((l) => (l.length ? pad + l : l))
        .join(layout.eol) + layout.eol;
    })
    .join('');
  const at = lineEndAfter(text, last.range?.[1] ?? firstStart);
  if (at === text.length && !text.endsWith('\n')) return { start: at, end: at, text: layout.eol + rendered.replace(/\r?\n$/, '') };
  return { start: at, end: at, text: rendered };
}

function removeBlockItems(text: string, seq: YAMLSeq, keep: unknown[]): Splice[] {
  const out: Splice[] = [];
  for (const item of seq.items) {
    if (keep.includes(item)) continue;
    const node = item as YamlNode;
    out.push({ start: lineStartOf(text, node.range?.[0] ?? 0), end: lineEndAfter(text, node.range?.[1] ?? 0), text: '' });
  }
  return out;
}

/** A flow list `[a, b]` written again from its items' own source text plus the new items. */
function rerenderFlowSeq(text: string, seq: YAMLSeq, keep: unknown[], fresh: unknown[]): Splice {
  const parts = keep.map((item) => {
    const r = (item as YamlNode).range;
    return r ? text.slice(r[0], r[1]) : renderInline(item);
  });
  for (const item of fresh) parts.push(flowItem(item));
  const range = seq.range!;
  return { start: range[0], end: range[1], text: `[${parts.join(', ')}]` };
}

function flowItem(item: unknown): string {
  if (typeof item === 'string') {
    const plain = renderScalar(item);
    const back = parseDocument(`[${plain}]`).toJS() as unknown[];
    if (Array.isArray(back) && back.length === 1 && back[0] === item) return plain;
    return JSON.stringify(item);
  }
  return renderInline(item);
}

/**
 * A service written as a flow mapping `{image: x, ports: [...]}`: only the entry that changes is
 * written again, in flow style; every other entry keeps its text, spacing and quotes.
 */
function rerenderFlowServiceText(text: string, parsed: ParsedCompose, servicePair: Pair, edit: ServiceEdit): string {
  const node = servicePair.value as YAMLMap;
  const items = node.items as Pair[];
  const pair = items.find((p) => keyText(p) === edit.key);
  const start = (p: Pair) => nodeStart(p.key) ?? 0;
  const flowValue = (value: unknown) => (Array.isArray(value) ? `[${value.map(flowItem).join(', ')}]` : isPlainData(value) ? renderInline(value) : renderScalar(value));
  const entry = (value: unknown) => `${renderKey(edit.key)}: ${flowValue(value)}`;
  const replacePair = (p: Pair, value: unknown) => text.slice(0, start(p)) + entry(value) + text.slice(pairEnd(p));
  const insert = (value: unknown) => {
    const last = items[items.length - 1];
    if (last) return text.slice(0, pairEnd(last)) + `, ${entry(value)}` + text.slice(pairEnd(last));
    const open = node.range![0] + 1;
    return text.slice(0, open) + entry(value) + text.slice(open);
  };
  const removePair = (p: Pair) => {
    const i = items.indexOf(p);
    if (i < items.length - 1) return text.slice(0, start(p)) + text.slice(start(items[i + 1]!));
    if (i > 0) return text.slice(0, pairEnd(items[i - 1]!)) + text.slice(pairEnd(p));
    return text.slice(0, start(p)) + text.slice(pairEnd(p));
  };
  switch (edit.op) {
    case 'set':
      return pair ? replacePair(pair, edit.value) : insert(edit.value);
    case 'delete':
      return pair ? removePair(pair) : text;
    case 'add': {
      const existing = pair?.value as YamlNode | null | undefined;
      if (pair && isSeq(existing)) {
        const have = existing.items.map((i) => JSON.stringify(toData(i, parsed.doc)));
        const fresh = edit.items.filter((item) => !have.includes(JSON.stringify(item)));
        return fresh.length === 0 ? text : applySplice(text, rerenderFlowSeq(text, existing, existing.items, fresh));
      }
      const data = node.toJS(parsed.doc, TO_JS) as Record<string, unknown>;
      applyToData(data, edit);
      return pair ? replacePair(pair, data[edit.key]) : insert(data[edit.key]);
    }
    case 'remove': {
      const existing = pair?.value as YamlNode | null | undefined;
      if (!pair || !isSeq(existing)) return text;
      const keep = existing.items.filter((i) => !edit.where(toData(i, parsed.doc)));
      if (keep.length === existing.items.length) return text;
      return keep.length === 0 ? removePair(pair) : applySplice(text, rerenderFlowSeq(text, existing, keep, []));
    }
    case 'replace': {
      const existing = pair?.value as YamlNode | null | undefined;
      if (!pair || !isSeq(existing) || !existing.items.some((i) => edit.where(toData(i, parsed.doc)))) return text;
      return applySplice(text, rerenderFlowSeq(text, existing, existing.items.map((i) => (edit.where(toData(i, parsed.doc)) ? edit.to(toData(i, parsed.doc)) : i)), []));
    }
  }
}

function applySplice(text: string, splice: Splice): string {
  return text.slice(0, splice.start) + splice.text + text.slice(splice.end);
}

/** The flow-style edit as one splice: the span where the edited text differs from the original. */
function rerenderFlowService(text: string, parsed: ParsedCompose, servicePair: Pair, edit: ServiceEdit): Splice {
  const after = rerenderFlowServiceText(text, parsed, servicePair, edit);
  let start = 0;
  while (start < text.length && start < after.length && text[start] === after[start]) start++;
  let endOld = text.length;
  let endNew = after.length;
  while (endOld > start && endNew > start && text[endOld - 1] === after[endNew - 1]) {
    endOld--;
    endNew--;
  }
  return { start, end: endOld, text: after.slice(start, endNew) };
}

function applyToData(data: Record<string, unknown>, edit: ServiceEdit): void {
  switch (edit.op) {
    case 'set':
      data[edit.key] = edit.value;
      return;
    case 'delete':
      delete data[edit.key];
      return;
    case 'add': {
      // A `tmpfs: /run` (merged, or written alone) is one item, written again in the list the edit
      // makes; when every item is there already, nothing is written.
      const current = data[edit.key];
      const list = Array.isArray(current) ? [...(current as unknown[])] : typeof current === 'string' ? [current] : [];
      const fresh = edit.items.filter((item) => !list.some((x) => JSON.stringify(x) === JSON.stringify(item)));
      if (fresh.length > 0 || current === undefined || current === null) data[edit.key] = [...list, ...fresh];
      return;
    }
    case 'remove': {
      if (!Array.isArray(data[edit.key])) return;
      const list = (data[edit.key] as unknown[]).filter((x) => !edit.where(x));
      if (list.length === 0) delete data[edit.key];
      else data[edit.key] = list;
      return;
    }
    case 'replace':
      if (Array.isArray(data[edit.key])) data[edit.key] = (data[edit.key] as unknown[]).map((x) => (edit.where(x) ? edit.to(x) : x));
      return;
  }
}

/** The edited text must parse, and mean exactly the original with the edits applied. */
function verifyEdit(before: string, after: string, list: ServiceEdits[], file: string): void {
  // The data as Compose reads it, merge keys (`<<`) applied: a key written in a service replaces
  // the merged one, so an edit that dropped merged items shows here. The strict parse already made
  // merges them, so a 1,000-service file is not parsed once more.
  const plain = (t: string, strict: ParsedCompose | null) => ((strict ? strict.doc : parseDocument(t, { merge: true, uniqueKeys: false })).toJS(TO_JS) as Record<string, unknown>);
  const expected = plain(before, alreadyParsed(before, file));
  const services = expected.services as Record<string, Record<string, unknown> | null>;
  for (const { service: name, edits } of list) {
    // Its own copy: a service that is an alias (`cache: *redis`) shares the anchored one's object.
    const service = (services[name] = structuredClone(services[name] ?? {})) as Record<string, unknown>;
    for (const edit of edits) applyToData(service, edit);
  }
  const what = list.length === 1 ? `service ${list[0]!.service}` : `${list.length} services`;
  let actual: unknown;
  try {
    const parsedAfter = parseStrict(after, file);
    actual = plain(after, parsedAfter);
    // The check that follows a write reads this text back: it finds it parsed.
    rememberParsed(after, file, parsedAfter);
  } catch (err) {
    throw new Error(`internal error: the edit of ${what} produced invalid YAML (${(err as Error).message}); nothing was written`);
  }
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`internal error: the edit of ${what} did not produce the intended compose file; nothing was written`);
  }
}

/**
 * verifyEdit for one service whose edits went into its own lines: the text outside them is the
 * same by construction, so those lines alone are parsed again and compared. A file with anchors
 * or aliases is checked whole, since there one service's text can mean another's value.
 */
function verifyService(before: string, after: string, parsed: ParsedCompose, planned: PlannedService, serviceName: string, edits: ServiceEdit[], file: string): void {
  if (hasAnchors(parsed)) return verifyEdit(before, after, [{ service: serviceName, edits }], file);
  const plain = (t: string) => parseDocument(t, { merge: false, uniqueKeys: true });
  const beforeDoc = plain(before.slice(planned.regionStart, planned.regionEnd));
  const expected = beforeDoc.toJS(TO_JS) as Record<string, Record<string, unknown> | null> | null;
  if (beforeDoc.errors.length > 0 || !expected || Object.keys(expected).length !== 1 || !(serviceName in expected)) {
    return verifyEdit(before, after, [{ service: serviceName, edits }], file);
  }
  const service = (expected[serviceName] ??= {}) as Record<string, unknown>;
  for (const edit of edits) applyToData(service, edit);
  const afterDoc = plain(after.slice(planned.regionStart, planned.regionEnd + after.length - before.length));
  if (afterDoc.errors.length > 0) {
    throw new Error(`internal error: the edit of service ${serviceName} produced invalid YAML (${afterDoc.errors[0]!.message.split('\n')[0]}); nothing was written`);
  }
  if (JSON.stringify(afterDoc.toJS(TO_JS)) !== JSON.stringify(expected)) {
    throw new Error(`internal error: the edit of service ${serviceName} did not produce the intended compose file; nothing was written`);
  }
}
