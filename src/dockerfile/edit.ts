/**
 * Edits by exact source range. Positions are the parser's: zero-based line and character, where a
 * line ends at \r\n, \n or \r. Every byte outside an edit stays as it was: line endings, the
 * escape directive, comments and line continuations.
 */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  /** Offsets into the text: [start, end) is replaced by `text`. */
  start: number;
  end: number;
  text: string;
}

/** The line ending the file uses (its first one); `\n` for a file of one line. */
export function detectEol(text: string): '\n' | '\r\n' | '\r' {
  const m = /\r\n|\n|\r/.exec(text);
  return (m?.[0] as '\n' | '\r\n' | '\r' | undefined) ?? '\n';
}

// The last few texts' line tables: steps and diffs ask again and again about the same file, and
// building the table walks the whole text (a 6,000-stage file asked it once per FROM).
const recentStarts = new Map<string, readonly number[]>();
const RECENT = 8;

/** Offsets where each line starts (shared: do not change the array). */
export function lineStarts(text: string): readonly number[] {
  const known = recentStarts.get(text);
  if (known) return known;
  const starts = computeLineStarts(text);
  if (recentStarts.size >= RECENT) recentStarts.delete(recentStarts.keys().next().value!);
  recentStarts.set(text, starts);
  return starts;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (ch === 10) {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Offset of a parser position; characters past the end of a line clamp to its end. */
export function offsetAt(text: string, position: Position, starts: readonly number[] = lineStarts(text)): number {
  if (position.line >= starts.length) return text.length;
  const lineStart = starts[position.line]!;
  const nextStart = position.line + 1 < starts.length ? starts[position.line + 1]! : text.length;
  let lineEnd = nextStart;
  if (lineEnd > lineStart && text[lineEnd - 1] === '\n') lineEnd--;
  if (lineEnd > lineStart && text[lineEnd - 1] === '\r') lineEnd--;
  return Math.min(lineStart + position.character, lineEnd);
}

/** Apply edits that do not overlap; each range refers to the original text. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = Infinity;
  for (const edit of sorted) {
    if (edit.end > limit) throw new Error('overlapping edits');
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
    limit = edit.start;
  }
  return out;
}

/** An edit replacing a parser range. */
export function rangeEdit(text: string, range: Range, newText: string, starts: readonly number[] = lineStarts(text)): TextEdit {
  return { start: offsetAt(text, range.start, starts), end: offsetAt(text, range.end, starts), text: newText };
}

/** Replace the text of a parser range; everything else stays byte for byte. */
export function replaceRange(text: string, range: Range, newText: string): string {
  return applyEdits(text, [rangeEdit(text, range, newText)]);
}

/**
 * An edit inserting whole lines after zero-based line `line` (after its line ending), using the
 * file's own line ending. After the last line of a file without a final newline, one is added first.
 */
export function insertLinesEdit(text: string, line: number, lines: string[], starts: readonly number[] = lineStarts(text)): TextEdit {
  const eol = detectEol(text);
  const at = line + 1 < starts.length ? starts[line + 1]! : text.length;
  const needsBreak = at === text.length && text.length > 0 && !/[\r\n]$/.test(text);
  const body = lines.map((l) => l + eol).join('');
  return { start: at, end: at, text: needsBreak ? eol + body.slice(0, body.length - eol.length) : body };
}

/** Insert whole lines after zero-based line `line`, with the file's line ending. */
export function insertAfterLine(text: string, line: number, lines: string[]): string {
  return applyEdits(text, [insertLinesEdit(text, line, lines)]);
}

/** An edit inserting whole lines before zero-based line `line`. */
export function insertLinesBeforeEdit(text: string, line: number, lines: string[], starts: readonly number[] = lineStarts(text)): TextEdit {
  const eol = detectEol(text);
  const at = line < starts.length ? starts[line]! : text.length;
  return { start: at, end: at, text: lines.map((l) => l + eol).join('') };
}

/** An edit deleting zero-based lines `first`..`last` whole, with their line endings. */
export function deleteLinesEdit(text: string, first: number, last: number, starts: readonly number[] = lineStarts(text)): TextEdit {
  const start = starts[first] ?? text.length;
  const end = last + 1 < starts.length ? starts[last + 1]! : text.length;
  return { start, end, text: '' };
}
