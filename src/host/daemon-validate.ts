/**
 * daemon.json checked as strictly as dockerd reads it (plain JSON, known keys, right types, no
 * duplicates), errors named by line and column; and the settings dockerd refuses at start: a key
 * also given as a flag, mutually exclusive keys.
 */
import { findNodeAtLocation, parseTree, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { UserError, lineColumnAt } from '../core/errors.js';
import { assertJsonDepth } from '../core/limits.js';
import type { DaemonFlag } from './facts.js';
import { flagConfigKey, showFlag } from './flags.js';
import { BOM_ACCEPTED_SINCE, DAEMON_KEYS, compareVersions, type JsonKind } from './daemon-schema.js';

const FIX_HINT = 'Fix the file by hand (dockerd reads plain JSON), then run docker-harden again; it does not rewrite a file dockerd would reject.';

function fail(text: string, file: string, offset: number, message: string, hint = FIX_HINT): never {
  const { line, column } = lineColumnAt(text, offset);
  throw new UserError(message, hint, file, line, column);
}

function previousToken(text: string, offset: number): { ch: string; offset: number } | null {
  for (let i = offset - 1; i >= 0; i--) if (!/\s/.test(text[i]!)) return { ch: text[i]!, offset: i };
  return null;
}

function describeParseError(text: string, file: string, error: ParseError): never {
  switch (error.error) {
    case 10: // InvalidCommentToken
      return fail(text, file, error.offset, 'comments are not allowed in daemon.json (dockerd reads plain JSON and refuses to start)');
    case 3: // PropertyNameExpected
    case 4: {
      // ValueExpected
      const prev = previousToken(text, error.offset);
      if (prev?.ch === ',' && /^[\s]*[}\]]/.test(text.slice(error.offset))) {
        return fail(text, file, prev.offset, 'trailing comma after the last entry (dockerd reads plain JSON and refuses to start)');
      }
      return fail(text, file, error.offset, error.error === 3 ? 'a property name in double quotes was expected' : 'a value was expected');
    }
    case 5:
      return fail(text, file, error.offset, 'a colon was expected after the property name');
    case 6:
      return fail(text, file, error.offset, 'a comma was expected between entries');
    case 7:
      return fail(text, file, error.offset, 'a closing brace } was expected');
    case 8:
      return fail(text, file, error.offset, 'a closing bracket ] was expected');
    case 9:
      return fail(text, file, error.offset, 'unexpected text after the closing brace');
    case 12:
      return fail(text, file, error.offset, 'a string is not closed');
    default:
      return fail(text, file, error.offset, 'invalid JSON here');
  }
}

function nameOf(prop: JsonNode): string {
  return String(prop.children![0]!.value);
}

function describeValue(node: JsonNode): string {
  switch (node.type) {
    case 'string':
      return `the string ${JSON.stringify(node.value)}`;
    case 'number':
      return `the number ${node.value}`;
    case 'boolean':
      return String(node.value);
    case 'null':
      return 'null';
    case 'array':
      return 'a list';
    default:
      return 'an object';
  }
}

const KIND_WORDS: Record<JsonKind, string> = {
  string: 'a string',
  boolean: 'true or false (without quotes)',
  integer: 'a whole number (without quotes)',
  'string-array': 'a list of strings, e.g. ["a", "b"]',
  'string-map': 'an object whose values are all strings, e.g. {"max-size": "10m"}',
  'bool-map': 'an object whose values are true or false',
  object: 'an object',
  size: 'a size such as "64M"',
  ulimits: 'an object of limits, e.g. {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}}',
  runtimes: 'an object of runtimes, e.g. {"runsc": {"path": "/usr/local/bin/runsc"}}',
  'address-pools': 'a list of pools, e.g. [{"base": "10.10.0.0/16", "size": 24}]',
  'string-or-string-array': 'a string or a list of strings',
};

function typeError(text: string, file: string, node: JsonNode, what: string, kind: JsonKind): never {
  fail(text, file, node.offset, `${what} must be ${KIND_WORDS[kind]}, not ${describeValue(node)} (dockerd refuses to start)`);
}

function checkKind(text: string, file: string, key: string, node: JsonNode, kind: JsonKind): void {
  // Go's decoder leaves a field unset for null, so dockerd accepts it.
  if (node.type === 'null') return;
  const what = `"${key}"`;
  const isInt = (n: JsonNode) => n.type === 'number' && Number.isInteger(n.value);
  switch (kind) {
    case 'string':
      if (node.type !== 'string') typeError(text, file, node, what, kind);
      return;
    case 'boolean':
      if (node.type !== 'boolean') typeError(text, file, node, what, kind);
      return;
    case 'integer':
      if (!isInt(node)) typeError(text, file, node, what, kind);
      return;
    case 'size':
      if (node.type !== 'string' && !isInt(node)) typeError(text, file, node, what, kind);
      return;
    case 'string-array':
      if (node.type !== 'array') typeError(text, file, node, what, kind);
      for (const item of node.children ?? []) if (item.type !== 'string') typeError(text, file, item, `each entry of ${what}`, 'string');
      return;
    case 'string-or-string-array':
      if (node.type === 'string') return;
      checkKind(text, file, key, node, 'string-array');
      return;
    case 'object':
      if (node.type !== 'object') typeError(text, file, node, what, kind);
      return;
    case 'string-map':
    case 'bool-map':
      if (node.type !== 'object') typeError(text, file, node, what, kind);
      for (const prop of node.children ?? []) {
        const value = prop.children![1];
        if (!value) continue;
        const want = kind === 'string-map' ? 'string' : 'boolean';
        if (value.type !== want) typeError(text, file, value, `"${key}" > "${nameOf(prop)}"`, want);
      }
      return;
    case 'ulimits':
      if (node.type !== 'object') typeError(text, file, node, what, kind);
      for (const prop of node.children ?? []) {
        const limit = prop.children![1]!;
        const where = `"${key}" > "${nameOf(prop)}"`;
        if (limit.type !== 'object') typeError(text, file, limit, where, kind);
        for (const field of limit.children ?? []) {
          const name = nameOf(field).toLowerCase();
          const v = field.children![1]!;
          if (name === 'name' && v.type !== 'string') typeError(text, file, v, `${where} > "Name"`, 'string');
          if ((name === 'hard' || name === 'soft') && !isInt(v)) typeError(text, file, v, `${where} > "${nameOf(field)}"`, 'integer');
        }
      }
      return;
    case 'runtimes':
      if (node.type !== 'object') typeError(text, file, node, what, kind);
      for (const prop of node.children ?? []) {
        const rt = prop.children![1]!;
        const where = `"${key}" > "${nameOf(prop)}"`;
        if (rt.type !== 'object') typeError(text, file, rt, where, kind);
        for (const field of rt.children ?? []) {
          const name = nameOf(field);
          const v = field.children![1]!;
          if ((name === 'path' || name === 'runtimeType') && v.type !== 'string') typeError(text, file, v, `${where} > "${name}"`, 'string');
          if (name === 'runtimeArgs') checkKind(text, file, `${key}" > "${nameOf(prop)}" > "runtimeArgs`, v, 'string-array');
        }
      }
      return;
    case 'address-pools':
      if (node.type !== 'array') typeError(text, file, node, what, kind);
      for (const pool of node.children ?? []) {
        if (pool.type !== 'object') typeError(text, file, pool, `each entry of ${what}`, 'object');
        for (const field of pool.children ?? []) {
          const name = nameOf(field);
          const v = field.children![1]!;
          if (name === 'base' && v.type !== 'string') typeError(text, file, v, `${what} > "base"`, 'string');
          if (name === 'size' && !isInt(v)) typeError(text, file, v, `${what} > "size"`, 'integer');
        }
      }
      return;
  }
}

function closestKey(key: string): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const known of Object.keys(DAEMON_KEYS)) {
    const d = editDistance(key.toLowerCase(), known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function checkDuplicates(text: string, file: string, node: JsonNode, where: string): void {
  if (node.type === 'object') {
    const seen = new Map<string, JsonNode>();
    for (const prop of node.children ?? []) {
      const name = nameOf(prop);
      const first = seen.get(name);
      if (first) {
        const firstAt = lineColumnAt(text, first.offset);
        fail(
          text,
          file,
          prop.offset,
          `duplicate key "${name}"${where ? ` in ${where}` : ''} (first at line ${firstAt.line}); only one of them would count`,
          'Keep one of the two entries, then run docker-harden again.',
        );
      }
      seen.set(name, prop);
      if (prop.children?.[1]) checkDuplicates(text, file, prop.children[1], where ? `${where} > "${name}"` : `"${name}"`);
    }
  } else if (node.type === 'array') {
    for (const item of node.children ?? []) checkDuplicates(text, file, item, where);
  }
}

/**
 * Parse daemon.json text as dockerd would accept it, or throw a UserError naming the line and
 * column: comments, trailing commas, duplicate keys, unknown keys, wrong value types, an empty
 * file, a top level that is not an object.
 */
export function parseDaemonConfig(text: string, file: string, engineVersion?: string): Record<string, unknown> {
  // A UTF-8 byte-order mark: Engine 23.0 and later skip it (moby/moby#44770); 20.10 and older
  // stop at it ("invalid character 'ï' looking for beginning of value"), at start and on reload.
  if (text.startsWith('\uFEFF') && engineVersion && compareVersions(engineVersion, BOM_ACCEPTED_SINCE) < 0) {
    throw new UserError(
      `starts with a UTF-8 byte-order mark, which Docker Engine ${engineVersion} refuses (it accepts one from ${BOM_ACCEPTED_SINCE}): dockerd would not start or reload with this file`,
      "Remove the first three bytes (for example: sed -i '1s/^\\xEF\\xBB\\xBF//' FILE), then run docker-harden again.",
      file,
      1,
      1,
    );
  }
  const body = text.startsWith('\uFEFF') ? ' ' + text.slice(1) : text;
  if (body.trim() === '') {
    throw new UserError(
      'is empty; dockerd expects a JSON object and does not start on an empty daemon.json',
      'Write {} into it (or remove the file) and run docker-harden again.',
      file,
      1,
      1,
    );
  }
  // The tree parser below recurses: a file nested deeper than any real daemon.json is refused first.
  assertJsonDepth(body, file, 'daemon.json');
  const errors: ParseError[] = [];
  const root = parseTree(body, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0) describeParseError(body, file, errors[0]!);
  if (!root || root.type !== 'object') {
    fail(body, file, root?.offset ?? 0, `the top level must be a JSON object like {"icc": false}, not ${root ? describeValue(root) : 'nothing'}`);
  }
  checkDuplicates(body, file, root, '');
  for (const prop of root.children ?? []) {
    const key = nameOf(prop);
    const spec = DAEMON_KEYS[key];
    if (!spec) {
      const near = closestKey(key);
      fail(
        body,
        file,
        prop.offset,
        `unknown key "${key}": dockerd refuses to start ("the following directives don't match any configuration option")`,
        near ? `Did you mean "${near}"? Fix the key by hand and run docker-harden again.` : 'Remove it or correct its name (see Docker\'s daemon.json reference), then run docker-harden again.',
      );
    }
    checkKind(body, file, key, prop.children![1]!, spec.kind);
  }
  return JSON.parse(body.trim()) as Record<string, unknown>;
}

/** Where a key (or nested path) sits in daemon.json text: 1-based line and column of its name. */
export function locateDaemonKey(text: string, path: (string | number)[]): { line: number; column: number } | null {
  const root = parseTree(text, [], { allowTrailingComma: true });
  if (!root) return null;
  const node = findNodeAtLocation(root, path);
  if (!node) return null;
  const at = node.parent?.type === 'property' ? node.parent.offset : node.offset;
  return lineColumnAt(text, at);
}

// ---------------------------------------------------------------------------------------------
// Flags against the file

export interface FlagSource {
  flag: DaemonFlag;
  /** `cmdline` (the running process) or `unit` (the service definition, used at the next start). */
  source: 'cmdline' | 'unit';
  /** The process (`dockerd (pid 42)`) or the unit file path. */
  where: string;
}

export interface FlagFileConflict {
  key: string;
  flags: FlagSource[];
  fileValue: unknown;
}

/**
 * Keys set both as a flag and in daemon.json: dockerd refuses to start with "the following
 * directives are specified both as a flag and in the configuration file". `runtimes` is merged
 * by dockerd, not a conflict.
 */
export function daemonFlagConflicts(flags: FlagSource[], config: Record<string, unknown>): FlagFileConflict[] {
  const byKey = new Map<string, FlagSource[]>();
  for (const f of flags) {
    const key = flagConfigKey(f.flag.name);
    if (!key || key === 'runtimes' || !(key in config)) continue;
    const list = byKey.get(key) ?? [];
    list.push(f);
    byKey.set(key, list);
  }
  return [...byKey].map(([key, list]) => ({ key, flags: list, fileValue: config[key] }));
}

export function describeConflict(c: FlagFileConflict, configPath: string): string {
  const flags = [...new Set(c.flags.map((f) => `${showFlag(f.flag)} (${f.where})`))].join(', ');
  return `"${c.key}" is set in ${configPath} and as a flag: ${flags}; dockerd refuses to start when a setting is given both ways`;
}

/**
 * Settings dockerd refuses at start that can be seen in the merged configuration, beyond types:
 * mutually exclusive keys.
 */
export function startProblems(config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (config.icc === false && config.iptables === false) {
    problems.push('"icc": false needs iptables, and "iptables" is false: dockerd refuses to start ("ICC=false uses iptables to function")');
  }
  if (config.bridge && config.bip && config.bridge !== 'none') {
    problems.push('"bridge" and "bip" cannot both be set: dockerd refuses to start');
  }
  if (config['userland-proxy'] === false && config.iptables === false) {
    problems.push('"userland-proxy": false relies on iptables, and "iptables" is false: published ports would not be reachable');
  }
  return problems;
}
