/**
 * daemon.json edited without disturbing what the person wrote (jsonc-parser): keys, order,
 * indentation, line endings and a byte-order mark stay as they were, and the result is checked.
 */
import { applyEdits, findNodeAtLocation, modify, parseTree, type Node as JsonNode, type ParseError } from 'jsonc-parser';

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
