/**
 * daemon.json: validated as strictly as dockerd reads it (plain JSON, known keys, right types),
 * edited without disturbing what the person wrote (jsonc-parser), and combined with dockerd's
 * flags and live `docker info` into the effective value of a setting.
 */
import { applyEdits, findNodeAtLocation, modify, parseTree, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { UserError, lineColumnAt } from '../core/errors.js';
import { assertJsonDepth } from '../core/limits.js';
import type { DaemonConfigFile, DaemonFlag, DaemonProcess, DockerInfo, HostFacts, ServiceUnits } from './facts.js';
import { flagBoolean, flagConfigKey, showFlag } from './flags.js';

export type JsonKind =
  | 'string'
  | 'boolean'
  | 'integer'
  | 'string-array'
  | 'string-map'
  | 'bool-map'
  | 'object'
  | 'size'
  | 'ulimits'
  | 'runtimes'
  | 'address-pools'
  | 'string-or-string-array';

export interface DaemonKeySpec {
  kind: JsonKind;
  /** Engine release that first knows the key (older ones refuse to start with it). */
  since?: string;
  /** Engine release that no longer knows the key. */
  until?: string;
  /** A SIGHUP reload applies it; otherwise dockerd must be restarted. */
  reload?: boolean;
}

/**
 * dockerd's daemon.json keys and their JSON types, from Docker's daemon.json reference (Linux).
 * A key missing here makes dockerd refuse to start, so an unknown key is an error.
 */
export const DAEMON_KEYS: Readonly<Record<string, DaemonKeySpec>> = {
  'allow-direct-routing': { kind: 'boolean', since: '28.0' },
  'allow-nondistributable-artifacts': { kind: 'string-array', until: '28.0' },
  'api-cors-header': { kind: 'string', until: '27.0' },
  'authorization-plugins': { kind: 'string-array', reload: true },
  bip: { kind: 'string' },
  bip6: { kind: 'string', since: '28.0' },
  bridge: { kind: 'string' },
  builder: { kind: 'object', reload: true },
  'cdi-spec-dirs': { kind: 'string-array', since: '25.0' },
  'cgroup-parent': { kind: 'string' },
  'cluster-advertise': { kind: 'string', until: '23.0' },
  'cluster-store': { kind: 'string', until: '23.0' },
  'cluster-store-opts': { kind: 'string-map', until: '23.0' },
  containerd: { kind: 'string' },
  'containerd-namespace': { kind: 'string' },
  'containerd-plugins-namespace': { kind: 'string' },
  'cpu-rt-period': { kind: 'integer' },
  'cpu-rt-runtime': { kind: 'integer' },
  'data-root': { kind: 'string' },
  debug: { kind: 'boolean', reload: true },
  'default-address-pools': { kind: 'address-pools' },
  'default-cgroupns-mode': { kind: 'string' },
  'default-gateway': { kind: 'string' },
  'default-gateway-v6': { kind: 'string' },
  'default-ipc-mode': { kind: 'string' },
  'default-network-opts': { kind: 'object', since: '24.0' },
  'default-runtime': { kind: 'string', reload: true },
  'default-shm-size': { kind: 'size' },
  'default-ulimits': { kind: 'ulimits' },
  dns: { kind: 'string-array' },
  'dns-opts': { kind: 'string-array' },
  'dns-search': { kind: 'string-array' },
  'exec-opts': { kind: 'string-array' },
  'exec-root': { kind: 'string' },
  experimental: { kind: 'boolean' },
  features: { kind: 'bool-map', reload: true },
  'firewall-backend': { kind: 'string', since: '28.0' },
  'fixed-cidr': { kind: 'string' },
  'fixed-cidr-v6': { kind: 'string' },
  graph: { kind: 'string', until: '23.0' },
  group: { kind: 'string' },
  'host-gateway-ip': { kind: 'string' },
  hosts: { kind: 'string-array' },
  icc: { kind: 'boolean' },
  init: { kind: 'boolean' },
  'init-path': { kind: 'string' },
  'insecure-registries': { kind: 'string-array', reload: true },
  ip: { kind: 'string' },
  'ip-forward': { kind: 'boolean' },
  'ip-forward-no-drop': { kind: 'boolean', since: '27.0' },
  'ip-masq': { kind: 'boolean' },
  ip6tables: { kind: 'boolean' },
  iptables: { kind: 'boolean' },
  ipv6: { kind: 'boolean' },
  labels: { kind: 'string-array', reload: true },
  'live-restore': { kind: 'boolean', reload: true },
  'log-driver': { kind: 'string' },
  'log-format': { kind: 'string', since: '25.0' },
  'log-level': { kind: 'string' },
  'log-opts': { kind: 'string-map' },
  'max-concurrent-downloads': { kind: 'integer', reload: true },
  'max-concurrent-uploads': { kind: 'integer', reload: true },
  'max-download-attempts': { kind: 'integer', reload: true },
  'metrics-addr': { kind: 'string' },
  mtu: { kind: 'integer' },
  'network-control-plane-mtu': { kind: 'integer' },
  'no-new-privileges': { kind: 'boolean' },
  'node-generic-resources': { kind: 'string-array' },
  'oom-score-adjust': { kind: 'integer' },
  pidfile: { kind: 'string' },
  proxies: { kind: 'string-map', since: '23.0' },
  'raw-logs': { kind: 'boolean' },
  'registry-mirrors': { kind: 'string-array', reload: true },
  rootless: { kind: 'boolean' },
  runtimes: { kind: 'runtimes', reload: true },
  'seccomp-profile': { kind: 'string' },
  'selinux-enabled': { kind: 'boolean' },
  'shutdown-timeout': { kind: 'integer', reload: true },
  'storage-driver': { kind: 'string' },
  'storage-opts': { kind: 'string-array' },
  'swarm-default-advertise-addr': { kind: 'string' },
  tls: { kind: 'boolean' },
  tlscacert: { kind: 'string' },
  tlscert: { kind: 'string' },
  tlskey: { kind: 'string' },
  tlsverify: { kind: 'boolean' },
  'userland-proxy': { kind: 'boolean' },
  'userland-proxy-path': { kind: 'string' },
  'userns-remap': { kind: 'string' },
};

/** What dockerd uses when a key is set nowhere. */
export const DAEMON_DEFAULTS: Readonly<Record<string, unknown>> = {
  icc: true,
  iptables: true,
  ip6tables: false,
  'ip-forward': true,
  'ip-masq': true,
  ipv6: false,
  'userland-proxy': true,
  'live-restore': false,
  'no-new-privileges': false,
  experimental: false,
  debug: false,
  'log-level': 'info',
  'log-driver': 'json-file',
  tls: false,
  tlsverify: false,
  'selinux-enabled': false,
};

/**
 * How `docker info` shows a daemon.json key, for the keys it shows: the value it has when the key
 * is set to `configured` (undefined: the default), and the value info reports. Used after a
 * reload or restart to confirm a change is live.
 */
const LIVE_IN_INFO: Record<string, (configured: unknown, info: DockerInfo) => { expected: unknown; live: unknown }> = {
  'live-restore': (v, i) => ({ expected: v ?? false, live: i.LiveRestoreEnabled }),
  debug: (v, i) => ({ expected: v ?? false, live: i.Debug }),
  experimental: (v, i) => ({ expected: v ?? false, live: i.ExperimentalBuild }),
  'log-driver': (v, i) => ({ expected: v ?? 'json-file', live: i.LoggingDriver }),
  'default-runtime': (v, i) => ({ expected: v ?? 'runc', live: i.DefaultRuntime }),
  'userns-remap': (v, i) => ({ expected: typeof v === 'string' && v !== '', live: (i.SecurityOptions ?? []).some((o) => o.split(',').includes('name=userns')) }),
  labels: (v, i) => ({ expected: [...((v as string[] | undefined) ?? [])].sort(), live: Array.isArray(i.Labels) ? [...(i.Labels as string[])].sort() : i.Labels }),
};

/**
 * The keys whose value differs between two daemon.json values and that docker info shows with
 * another value than the new file says: "live-restore is false in docker info, the file says true".
 */
export function notLiveKeys(before: Record<string, unknown>, after: Record<string, unknown>, info: DockerInfo): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    const show = LIVE_IN_INFO[key];
    if (!show) continue;
    const { expected, live } = show(after[key], info);
    if (JSON.stringify(expected) !== JSON.stringify(live)) out.push(`${key} is ${JSON.stringify(live)} in docker info, the file says ${JSON.stringify(expected)}`);
  }
  return out;
}

/** The first Docker Engine release that reads a daemon.json starting with a byte-order mark. */
export const BOM_ACCEPTED_SINCE = '23.0.0';

/** Keys dockerd applies on a SIGHUP reload; everything else needs a restart. */
export function reloadable(key: string): boolean {
  return DAEMON_KEYS[key]?.reload === true;
}

/** A daemon.json key unknown to this Engine release (dockerd would refuse to start). */
export function keyUnsupportedBy(key: string, engineVersion: string | undefined): string | null {
  const spec = DAEMON_KEYS[key];
  if (!spec || !engineVersion) return null;
  if (spec.since && compareVersions(engineVersion, spec.since) < 0) return `"${key}" needs Docker Engine ${spec.since} or newer (this one is ${engineVersion})`;
  if (spec.until && compareVersions(engineVersion, spec.until) >= 0) return `"${key}" was removed in Docker Engine ${spec.until} (this one is ${engineVersion})`;
  return null;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+~-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.+~-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}


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

/** The file's indentation: a tab or the width of the first indented line. */
export function detectIndent(text: string): { insertSpaces: boolean; tabSize: number } {
  const match = /\r?\n([ \t]+)\S/.exec(text);
  if (!match) return { insertSpaces: true, tabSize: 2 };
  const indent = match[1]!;
  if (indent.startsWith('\t')) return { insertSpaces: false, tabSize: 1 };
  return { insertSpaces: true, tabSize: indent.length };
}

export interface DaemonConfigEdit {
  path: (string | number)[];
  /** undefined removes the key. */
  value: unknown;
}

/**
 * Edit daemon.json text keeping keys, order, indentation and line endings as they were. `null`
 * text creates a file. A key whose object becomes empty is left as an empty object.
 */
export function editDaemonConfig(text: string | null, edits: DaemonConfigEdit[]): string {
  // A byte-order mark is kept as it was, outside what jsonc-parser sees.
  if (text?.startsWith('\uFEFF')) return '\uFEFF' + editDaemonConfig(text.slice(1), edits);
  const created = text === null || text.trim() === '';
  let out = created ? '{}' : text;
  const eol = !created && out.includes('\r\n') ? '\r\n' : '\n';
  const indent = created ? { insertSpaces: true, tabSize: 2 } : detectIndent(out);
  for (const edit of edits) {
    let { path, value } = edit;
    const last = path[path.length - 1];
    if (typeof last === 'number' && value === undefined) {
      // jsonc-parser mangles the removal of a list's last element: write the shorter list instead.
      const root = parseTree(out, [], { allowTrailingComma: true });
      const list = root ? findNodeAtLocation(root, path.slice(0, -1)) : undefined;
      if (list?.type === 'array') {
        const items = (JSON.parse(out.slice(list.offset, list.offset + list.length)) as unknown[]).filter((_, i) => i !== last);
        path = path.slice(0, -1);
        value = items;
      }
    }
    if (value === undefined && typeof path[path.length - 1] === 'string') out = removeProperty(out, path);
    else out = setProperty(out, path, value, indent.insertSpaces ? ' '.repeat(indent.tabSize) : '\t', eol) ?? applyEdits(out, modify(out, path, value, { formattingOptions: { ...indent, eol } }));
  }
  // `{}` emptied by removals stays compact; a new file ends with a newline like one written by hand.
  if (created) out = out.replace(/\r?\n?$/, '') + '\n';
  else if (/\r?\n$/.test(text!) && !/\n$/.test(out)) out += eol;
  assertEdited(text, edits, out);
  return out;
}

/**
 * Remove an object property, touching only its own text: jsonc-parser's formatter reflows the
 * neighbours (a one-line array becomes several lines), and without it the removal of a first
 * property eats the indentation of the next.
 */
function removeProperty(text: string, path: (string | number)[]): string {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const property = root ? findNodeAtLocation(root, path)?.parent : undefined;
  const object = property?.parent;
  if (!property || property.type !== 'property' || !object) return text;
  const siblings = object.children ?? [];
  const index = siblings.indexOf(property);
  const previous = siblings[index - 1];
  const next = siblings[index + 1];
  let start: number;
  let end: number;
  if (previous) {
    start = previous.offset + previous.length;
    end = property.offset + property.length;
  } else if (next) {
    start = property.offset;
    end = next.offset;
  } else {
    start = object.offset + 1;
    end = object.offset + object.length - 1;
  }
  return text.slice(0, start) + text.slice(end);
}

/**
 * Set an object property, touching only its own text: jsonc-parser's formatter reflows the lines
 * around an insertion (a one-line object or list beside it becomes several lines, a one-line file
 * becomes an indented one). null when the path goes through a list: jsonc-parser does it then.
 */
function setProperty(text: string, path: (string | number)[], value: unknown, unit: string, eol: string): string | null {
  if (path.some((k) => typeof k !== 'string')) return null;
  const root = parseTree(text, [], { allowTrailingComma: true });
  if (!root) return null;
  let depth = path.length;
  let node: JsonNode | undefined;
  for (; depth >= 0; depth--) {
    node = findNodeAtLocation(root, path.slice(0, depth));
    if (node) break;
  }
  if (!node) return null;
  const render = (v: unknown, lineIndent: string, compact: boolean) =>
    compact ? JSON.stringify(v) : JSON.stringify(v, null, unit).split('\n').join(eol + lineIndent);
  if (depth === path.length) {
    // The key exists: replace its value where it stands.
    const parent = node.parent?.parent;
    const compact = !parent || !text.slice(parent.offset, parent.offset + parent.length).includes('\n');
    return text.slice(0, node.offset) + render(value, lineIndentAt(text, node.offset), compact) + text.slice(node.offset + node.length);
  }
  if (node.type !== 'object') return null;
  let inner = value;
  for (const key of path.slice(depth + 1).reverse()) inner = { [key as string]: inner };
  const name = JSON.stringify(path[depth]);
  const props = node.children ?? [];
  const last = props[props.length - 1];
  if (last && !text.slice(node.offset, node.offset + node.length).includes('\n')) {
    // A one-line object stays on one line, spaced as it is.
    const spacing = /^"(?:[^"\\]|\\.)*"(\s*:\s*)/.exec(text.slice(props[0]!.offset))?.[1] ?? ':';
    const separator = props.length > 1 ? text.slice(props[0]!.offset + props[0]!.length, props[1]!.offset) : spacing.endsWith(' ') ? ', ' : ',';
    const at = last.offset + last.length;
    return text.slice(0, at) + separator + name + spacing + render(inner, '', true) + text.slice(at);
  }
  if (last) {
    const propIndent = lineIndentAt(text, last.offset);
    const at = last.offset + last.length;
    return text.slice(0, at) + ',' + eol + propIndent + name + ': ' + render(inner, propIndent, false) + text.slice(at);
  }
  const rootProps = root.children ?? [];
  if (rootProps.length > 0 && !text.slice(root.offset, root.offset + root.length).includes('\n')) {
    // An empty object in a one-line file is filled on that line.
    const spacing = /^"(?:[^"\\]|\\.)*"(\s*:\s*)/.exec(text.slice(rootProps[0]!.offset))?.[1] ?? ':';
    return text.slice(0, node.offset + 1) + name + spacing + render(inner, '', true) + text.slice(node.offset + node.length - 1);
  }
  const baseIndent = lineIndentAt(text, node.offset);
  const propIndent = baseIndent + unit;
  return text.slice(0, node.offset + 1) + eol + propIndent + name + ': ' + render(inner, propIndent, false) + eol + baseIndent + text.slice(node.offset + node.length - 1);
}

/** The spaces or tabs that start the line holding `offset`. */
function lineIndentAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** The edited text must hold exactly the intended value: never hand out a broken daemon.json. */
function assertEdited(text: string | null, edits: DaemonConfigEdit[], out: string): void {
  const errors: ParseError[] = [];
  const root = parseTree(out, errors, { allowTrailingComma: false, disallowComments: false });
  let expected: unknown;
  try {
    expected = text && text.trim() ? JSON.parse(text.replace(/^\uFEFF/, '')) : {};
  } catch {
    // A file with comments cannot be compared; the parse check below still applies.
    expected = undefined;
  }
  if (expected !== undefined) {
    for (const { path, value } of edits) expected = setAt(expected, path, value);
  }
  const actual = root ? (JSON.parse(JSON.stringify(getValue(out))) as unknown) : undefined;
  if (errors.length > 0 || (expected !== undefined && JSON.stringify(sortKeys(actual)) !== JSON.stringify(sortKeys(expected)))) {
    throw new Error('editing daemon.json would not give the intended result; nothing was changed (please report this with the file)');
  }
}

function getValue(text: string): unknown {
  const root = parseTree(text, [], { allowTrailingComma: true });
  return root ? JSON.parse(text.slice(root.offset, root.offset + root.length)) : undefined;
}

function setAt(target: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (typeof head === 'number') {
    const list = Array.isArray(target) ? [...target] : [];
    if (rest.length === 0 && value === undefined) list.splice(head, 1);
    else list[head] = setAt(list[head], rest, value);
    return list;
  }
  const obj = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  if (rest.length === 0 && value === undefined) delete obj[head!];
  else obj[head!] = setAt(obj[head!], rest, value);
  return obj;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
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

// ---------------------------------------------------------------------------------------------
// The effective value of a setting

/** Everything needed to judge a daemon setting, gathered once. */
export interface DaemonView {
  config: DaemonConfigFile;
  process: DaemonProcess | null;
  units: ServiceUnits | null;
  info: DockerInfo | null;
  /** Engine version when the daemon answers. */
  version?: string;
}

/**
 * Gather the file, flags, units and live info. An invalid daemon.json throws (the UserError with
 * line and column); a daemon that does not answer leaves `info` null.
 */
export async function loadDaemonView(host: HostFacts): Promise<DaemonView> {
  const config = await host.daemonConfig();
  const [process, units, info, version] = await Promise.all([
    host.daemonProcess().catch(() => null),
    host.serviceUnits().catch(() => null),
    host.info().catch(() => null),
    host.version().catch(() => null),
  ]);
  return { config, process, units, info, version: (info?.ServerVersion as string | undefined) ?? (version?.Version as string | undefined) };
}

/**
 * Whether the service definition starts the daemon we talk to: its flags all appear on the
 * running command line (or the process cannot be seen). A unit on disk for another dockerd (a
 * test daemon, a second instance) says nothing about this one.
 */
export function unitGoverns(view: Pick<DaemonView, 'process' | 'units'>): boolean {
  const units = view.units;
  if (!units || (units.execStartFlags.length === 0 && !units.execStart)) return false;
  if (!view.process) return true;
  const running = new Set(view.process.flags.map(showFlag));
  return units.execStartFlags.every((f) => running.has(showFlag(f)));
}

/** Flags in force: the running process's, and the unit's (what the next start uses) when the unit starts it. */
export function viewFlags(view: Pick<DaemonView, 'process' | 'units'>): FlagSource[] {
  const out: FlagSource[] = [];
  if (view.process) {
    for (const flag of view.process.flags) out.push({ flag, source: 'cmdline', where: `dockerd command line (pid ${view.process.pid})` });
  }
  if (view.units && unitGoverns(view)) {
    const where = view.units.unitFiles[view.units.unitFiles.length - 1] ?? 'docker.service';
    for (const flag of view.units.execStartFlags) out.push({ flag, source: 'unit', where: unitFileOfExecStart(view.units) ?? where });
  }
  return out;
}

/** The unit file (or drop-in) whose ExecStart is in force: the last one that sets it. */
export function unitFileOfExecStart(units: ServiceUnits): string | null {
  return units.execStartFile ?? units.unitFiles[units.unitFiles.length - 1] ?? null;
}

export interface SettingSource {
  kind: 'file' | 'cmdline' | 'unit';
  value: unknown;
  /** For a person: `/etc/docker/daemon.json:3:3`, or `--icc=false on the dockerd command line (pid 42)`. */
  where: string;
  file?: string;
  line?: number;
  column?: number;
  flag?: DaemonFlag;
}

export interface EffectiveSetting {
  key: string;
  file?: SettingSource;
  cmdline: SettingSource[];
  unit: SettingSource[];
  /** The configured value: the running process's flags, else the unit's, else the file, else dockerd's default. */
  value: unknown;
  /** Where `value` comes from; null when it is dockerd's default. */
  source: SettingSource | null;
  /** True when nothing sets it and `value` is dockerd's default (undefined when there is none). */
  isDefault: boolean;
  /** The value the live daemon reports (docker info), when the key shows there. */
  live?: unknown;
  /** The configured value differs from the live one: set but not live (dockerd not restarted). */
  pending: boolean;
  /** Set both as a flag and in the file (dockerd refuses to start). */
  conflict: boolean;
}

function flagValueFor(key: string, flags: DaemonFlag[]): unknown {
  const kind = DAEMON_KEYS[key]?.kind;
  if (kind === 'boolean') return flagBoolean(flags[flags.length - 1]!);
  if (kind === 'integer') return Number(flags[flags.length - 1]!.value);
  if (kind === 'string-array') return flags.map((f) => f.value ?? '');
  if (kind === 'string-map') {
    const out: Record<string, string> = {};
    for (const f of flags) {
      const [k, ...rest] = (f.value ?? '').split('=');
      if (k) out[k] = rest.join('=');
    }
    return out;
  }
  return flags[flags.length - 1]!.value;
}

interface LiveReader {
  read(info: DockerInfo): unknown;
  same(configured: unknown, live: unknown): boolean;
}

const securityOption = (info: DockerInfo, name: string) => (info.SecurityOptions ?? []).find((o) => o.split(',').includes(`name=${name}`));

const LIVE: Record<string, LiveReader> = {
  'live-restore': { read: (i) => i.LiveRestoreEnabled, same: (c, l) => Boolean(c) === Boolean(l) },
  debug: { read: (i) => i.Debug, same: (c, l) => Boolean(c) === Boolean(l) },
  experimental: { read: (i) => i.ExperimentalBuild, same: (c, l) => Boolean(c) === Boolean(l) },
  'log-driver': { read: (i) => i.LoggingDriver, same: (c, l) => (c ?? 'json-file') === l },
  'storage-driver': { read: (i) => i.Driver, same: (c, l) => c === undefined || c === l },
  // Engines before 23.0 do not list no-new-privileges in SecurityOptions: absence proves nothing there.
  'no-new-privileges': {
    read: (i) => (securityOption(i, 'no-new-privileges') ? true : compareVersions(String(i.ServerVersion ?? '0'), '23.0') >= 0 ? false : undefined),
    same: (c, l) => Boolean(c) === l,
  },
  'userns-remap': { read: (i) => Boolean(securityOption(i, 'userns')), same: (c, l) => Boolean(c) === l },
  'seccomp-profile': {
    read: (i) => /profile=([^,]+)/.exec(securityOption(i, 'seccomp') ?? '')?.[1],
    same: (c, l) => (c === 'unconfined') === (l === 'unconfined'),
  },
  'default-runtime': { read: (i) => i.DefaultRuntime, same: (c, l) => (c ?? 'runc') === l },
  'data-root': { read: (i) => i.DockerRootDir, same: (c, l) => c === undefined || c === l },
  'registry-mirrors': {
    read: (i) => (i.RegistryConfig as { Mirrors?: string[] } | undefined)?.Mirrors ?? [],
    same: (c, l) => sameList(((c as string[]) ?? []).map((m) => m.replace(/\/?$/, '/')), (l as string[]).map((m) => m.replace(/\/?$/, '/'))),
  },
  labels: { read: (i) => i.Labels ?? [], same: (c, l) => sameList((c as string[]) ?? [], l as string[]) },
};

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}

/** The effective value of a daemon.json key, and where it comes from (file, flags, live). */
export function effectiveDaemonSetting(view: DaemonView, key: string): EffectiveSetting {
  const path = view.config.path;
  let file: SettingSource | undefined;
  if (key in view.config.value) {
    const at = view.config.text ? locateDaemonKey(view.config.text, [key]) : null;
    file = {
      kind: 'file',
      value: view.config.value[key],
      where: at ? `${path}:${at.line}:${at.column}` : path,
      file: path,
      ...(at ? { line: at.line, column: at.column } : {}),
    };
  }
  const flags = viewFlags(view).filter((f) => flagConfigKey(f.flag.name) === key);
  const sources = (kind: 'cmdline' | 'unit'): SettingSource[] => {
    const own = flags.filter((f) => f.source === kind);
    if (own.length === 0) return [];
    const value = flagValueFor(key, own.map((f) => f.flag));
    return own.map((f) => ({ kind, value, where: `${showFlag(f.flag)} on the ${f.where}`, flag: f.flag, ...(kind === 'unit' ? { file: f.where } : {}) }));
  };
  const cmdline = sources('cmdline');
  const unit = sources('unit');
  // The running process is the truth for now; the unit only when the process cannot be seen.
  // Named where it lives: the unit, when the running command line got the same value from it.
  const sameAsUnit = cmdline[0] && unit[0] && JSON.stringify(cmdline[0].value) === JSON.stringify(unit[0].value);
  const flagSource = sameAsUnit ? unit[0] : (cmdline[0] ?? (view.process ? undefined : unit[0]));
  const source = flagSource ?? file ?? null;
  const value = source ? source.value : DAEMON_DEFAULTS[key];
  const reader = LIVE[key];
  const live = reader && view.info ? reader.read(view.info) : undefined;
  const pending = reader !== undefined && live !== undefined && !reader.same(value, live);
  return {
    key,
    ...(file ? { file } : {}),
    cmdline,
    unit,
    value,
    source,
    isDefault: source === null,
    ...(live !== undefined ? { live } : {}),
    pending,
    conflict: file !== undefined && (cmdline.length > 0 || unit.length > 0) && key !== 'runtimes',
  };
}

/** Where a setting is, for a finding: `set in /etc/docker/daemon.json:3:3`, `not set (default)`. */
export function describeSource(setting: EffectiveSetting): string {
  if (!setting.source) return setting.value === undefined ? 'not set' : `not set (dockerd's default is ${JSON.stringify(setting.value)})`;
  return `set by ${setting.source.where}`;
}

/** The location fields of a finding about this setting. */
export function findingLocation(setting: EffectiveSetting): { file?: string; line?: number; column?: number } {
  const s = setting.source;
  if (!s) return {};
  if (s.kind === 'file') return { file: s.file, line: s.line, column: s.column };
  if (s.kind === 'unit') return { file: s.file };
  return {};
}
