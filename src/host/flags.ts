/**
 * dockerd command lines: parse argv (from /proc/<pid>/cmdline or a unit's ExecStart) into flags
 * with canonical long names, and map flag names to their daemon.json keys.
 */
import { splitWords } from '../core/words.js';
import type { DaemonFlag } from './facts.js';

/** Short flags of dockerd and their long names. */
export const SHORT_FLAGS: Record<string, string> = {
  H: 'host',
  D: 'debug',
  l: 'log-level',
  G: 'group',
  p: 'pidfile',
  g: 'data-root',
  b: 'bridge',
  v: 'version',
  h: 'help',
};

/** Long aliases dockerd still accepts for another flag. */
export const LONG_ALIASES: Record<string, string> = {
  graph: 'data-root',
};

/** dockerd's boolean flags: they never take the next argument as their value. */
export const BOOLEAN_FLAGS = new Set([
  'debug',
  'tls',
  'tlsverify',
  'icc',
  'iptables',
  'ip6tables',
  'ip-forward',
  'ip-masq',
  'ipv6',
  'userland-proxy',
  'live-restore',
  'no-new-privileges',
  'experimental',
  'selinux-enabled',
  'raw-logs',
  'init',
  'validate',
  'version',
  'help',
  'rootless',
  'disable-legacy-registry',
  'ip-forward-no-drop',
  'allow-direct-routing',
]);

/** Flags whose daemon.json key differs from the flag name (dockerd's "named options"). */
export const FLAG_TO_KEY: Record<string, string> = {
  host: 'hosts',
  label: 'labels',
  'dns-opt': 'dns-opts',
  'exec-opt': 'exec-opts',
  'log-opt': 'log-opts',
  'storage-opt': 'storage-opts',
  'insecure-registry': 'insecure-registries',
  'registry-mirror': 'registry-mirrors',
  'authorization-plugin': 'authorization-plugins',
  'add-runtime': 'runtimes',
  'default-ulimit': 'default-ulimits',
  'cluster-store-opt': 'cluster-store-opts',
  'node-generic-resource': 'node-generic-resources',
  'default-address-pool': 'default-address-pools',
  'cdi-spec-dir': 'cdi-spec-dirs',
  'default-network-opt': 'default-network-opts',
};

const KEY_TO_FLAG: Record<string, string> = Object.fromEntries(Object.entries(FLAG_TO_KEY).map(([f, k]) => [k, f]));

/** Flags that have no daemon.json counterpart. */
export const NO_KEY_FLAGS = new Set(['config-file', 'validate', 'version', 'help']);

/** The daemon.json key a flag sets (`host` -> `hosts`), or null when it has none. */
export function flagConfigKey(flag: string): string | null {
  if (NO_KEY_FLAGS.has(flag)) return null;
  return FLAG_TO_KEY[flag] ?? flag;
}

/** The flag that sets a daemon.json key (`hosts` -> `host`). */
export function configKeyFlag(key: string): string {
  return KEY_TO_FLAG[key] ?? key;
}

function canonical(name: string): string {
  return LONG_ALIASES[name] ?? name;
}

/** A flag and the argument indexes it spans (`-H x` spans two). */
export interface FlagSpan {
  flag: DaemonFlag;
  start: number;
  end: number;
}

/**
 * Parse dockerd's arguments (without the binary) into flags. Accepts `--flag=value`,
 * `--flag value`, `-H value`, `-Hvalue`, booleans (`--icc`, `--icc=false`) and bundled short
 * booleans (`-D`). Stops at `--`; anything that is not a flag is ignored (dockerd takes no operands).
 */
export function parseDaemonArgs(args: readonly string[]): DaemonFlag[] {
  return parseDaemonArgSpans(args).map((s) => s.flag);
}

export function parseDaemonArgSpans(args: readonly string[]): FlagSpan[] {
  const spans: FlagSpan[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    const start = i;
    const push = (name: string, value: string | null) => spans.push({ flag: { name, value }, start, end: i + 1 });
    if (token === '--') break;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = canonical(eq > 0 ? token.slice(2, eq) : token.slice(2));
      if (!name) continue;
      if (eq > 0) push(name, token.slice(eq + 1));
      else if (BOOLEAN_FLAGS.has(name)) push(name, null);
      else if (i + 1 < args.length) {
        i++;
        push(name, args[i]!);
      } else push(name, null);
      continue;
    }
    if (token.startsWith('-') && token.length > 1) {
      // Short flags: booleans may be bundled (-D); a value flag takes the rest of the token
      // (-Hunix://...), `=value`, or the next argument.
      let j = 1;
      while (j < token.length) {
        const letter = token[j]!;
        const name = SHORT_FLAGS[letter] ?? letter;
        if (BOOLEAN_FLAGS.has(name)) {
          if (token[j + 1] === '=') {
            push(name, token.slice(j + 2));
            break;
          }
          push(name, null);
          j++;
          continue;
        }
        let rest = token.slice(j + 1);
        if (rest.startsWith('=')) rest = rest.slice(1);
        if (rest) push(name, rest);
        else if (i + 1 < args.length) {
          i++;
          push(name, args[i]!);
        } else push(name, null);
        break;
      }
    }
  }
  return spans;
}

/** argv without the flags `drop` selects (argv[0], the binary, is kept). */
export function withoutFlags(argv: readonly string[], drop: (flag: DaemonFlag) => boolean): string[] {
  const spans = parseDaemonArgSpans(argv.slice(1)).filter((s) => drop(s.flag));
  const removed = new Set<number>();
  for (const s of spans) for (let i = s.start; i < s.end; i++) removed.add(i + 1);
  return argv.filter((_, i) => !removed.has(i));
}

/** A boolean flag's value: `--icc` is true, `--icc=false` false. */
export function flagBoolean(flag: DaemonFlag): boolean {
  if (flag.value === null) return true;
  return !/^(false|0|f)$/i.test(flag.value.trim());
}

/** How a flag reads on a command line, for messages: `--icc=false`, `-H tcp://...` as `--host=...`. */
export function showFlag(flag: DaemonFlag): string {
  return flag.value === null ? `--${flag.name}` : `--${flag.name}=${flag.value}`;
}

/** Split a systemd ExecStart value into argv: quotes group, backslash escapes, prefixes removed. */
export { splitWords };

export function splitExecStart(value: string): string[] {
  let text = value.trim();
  // Prefixes: - (ignore failure), @ (argv0), + ! !! : (privileges, no env expansion).
  while (/^[-@+!:]/.test(text)) text = text.slice(1);
  return splitWords(text);
}

/** Quote one argument for an ExecStart line (systemd's rules: double quotes, backslash escapes). */
export function quoteExecArg(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./$-]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["\\])/g, '\\$1')}"`;
}
