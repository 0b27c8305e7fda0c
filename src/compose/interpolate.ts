/**
 * Compose's variable interpolation (compose-spec, "Interpolation"): `$VAR`, `${VAR}`,
 * `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`, `${VAR:?error}`, `$$`, and
 * the `.env` file beside the compose file that gives the variables their values.
 *
 * docker-harden reads the `.env` file and the defaults written in the file, not the environment
 * it runs in: that is rarely the one the stack is started with (a CI runner, root's shell).
 */
import path from 'node:path';
import { LIMITS, decodeUtf8, readLimited } from '../core/limits.js';

export interface Interpolated {
  value: string;
  /** Variables with no value and no default (compose would put in an empty string), or a `:?` error. */
  unresolved: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * `text` as compose reads it when every variable in it has a value or a default; else as written
 * (with its `$`), which readers take as "the environment decides".
 */
export function interpolatedWhereKnown(text: string, vars: ReadonlyMap<string, string>): string {
  if (!text.includes('$')) return text;
  const r = interpolate(text, vars);
  return r.unresolved.length === 0 ? r.value : text;
}

/** `text` with its variables replaced from `vars`. */
export function interpolate(text: string, vars: ReadonlyMap<string, string>): Interpolated {
  const unresolved: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next === '{') {
      const close = matchingBrace(text, dollar + 1);
      if (close < 0) {
        // Compose refuses an unclosed `${`: not a value to judge.
        unresolved.push(text.slice(dollar));
        break;
      }
      const r = expression(text.slice(dollar + 2, close), vars);
      out += r.value;
      unresolved.push(...r.unresolved);
      i = close + 1;
      continue;
    }
    const name = NAME.exec(text.slice(dollar + 1))?.[0];
    if (!name) {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const value = vars.get(name);
    if (value === undefined) unresolved.push(name);
    out += value ?? '';
    i = dollar + 1 + name.length;
  }
  return { value: out, unresolved };
}

/** The `}` that closes the `{` at `open`, nested `${...}` skipped; -1 when there is none. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function expression(body: string, vars: ReadonlyMap<string, string>): Interpolated {
  const name = NAME.exec(body)?.[0];
  if (!name) return { value: '', unresolved: [`\${${body}}`] };
  const rest = body.slice(name.length);
  const value = vars.get(name);
  const op = /^(:?[-+?])/.exec(rest)?.[1];
  if (!op) return rest === '' ? (value === undefined ? { value: '', unresolved: [name] } : { value, unresolved: [] }) : { value: '', unresolved: [`\${${body}}`] };
  const word = rest.slice(op.length);
  const empty = op.startsWith(':') ? value === undefined || value === '' : value === undefined;
  switch (op.replace(':', '')) {
    case '-':
      return empty ? interpolate(word, vars) : { value: value!, unresolved: [] };
    case '+':
      return empty ? { value: '', unresolved: [] } : interpolate(word, vars);
    default:
      // `?`: compose stops with the message when the variable is missing.
      return empty ? { value: '', unresolved: [name] } : { value: value!, unresolved: [] };
  }
}

/**
 * The variables of a `.env` file as compose-go's dotenv reads them: `KEY=VALUE` or `KEY: VALUE`
 * lines, `export` allowed, `#` comments; a value in single quotes is taken as written, one in
 * double quotes or unquoted has its variables replaced from the lines above, and an unquoted one
 * ends at its first `#`.
 */
export function parseDotEnv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, key, rest] = m as unknown as [string, string, string];
    let value: string;
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      value = end < 0 ? rest.slice(1) : rest.slice(1, end);
    } else if (rest.startsWith('"')) {
      const end = closingQuote(rest);
      value = interpolate(rest.slice(1, end < 0 ? undefined : end).replace(/\\([nt"\\])/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c), vars).value;
    } else {
      value = interpolate(rest.replace(/#.*$/, '').trim(), vars).value;
    }
    vars.set(key, value);
  }
  return vars;
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** The variables of the `.env` file beside a compose file (compose's default project directory); none when it cannot be read. */
export function dotEnvBeside(file: string): Promise<Map<string, string>> {
  return readEnvFile(path.join(path.dirname(file), '.env'));
}

/** The variables of an env file in compose's `.env` syntax; none when it cannot be read. */
export async function readEnvFile(file: string): Promise<Map<string, string>> {
  try {
    const bytes = await readLimited(file, 'env file', LIMITS.envFile, { followLinks: true });
    const text = bytes && !bytes.includes(0) ? decodeUtf8(bytes) : null;
    return text === null ? new Map() : parseDotEnv(text);
  } catch {
    // A .env docker-harden may not read (a folder, a device, too large): its variables stay unknown.
    return new Map();
  }
}
