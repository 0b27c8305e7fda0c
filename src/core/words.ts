/**
 * Split a command line into words as a shell or systemd does for plain arguments: quotes group,
 * backslash escapes, nothing is expanded. Used to read ExecStart lines and RUN instructions, and
 * to run --restart-command without a shell.
 */
export function splitWords(text: string, options: { onUnclosedQuote?: () => never; operators?: boolean } = {}): string[] {
  const out: string[] = [];
  let current = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    // Characters that stand for themselves are taken a run at a time: a RUN of many lines built a
    // character at a time made a string per character.
    const plain = plainRun(quote === "'" ? IN_SINGLE_QUOTES : quote === '"' ? IN_DOUBLE_QUOTES : options.operators ? UNQUOTED_WITH_OPERATORS : UNQUOTED, text, i);
    if (plain !== null) {
      current += plain;
      has = true;
      i += plain.length - 1;
      continue;
    }
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === '\\' && /^\r?\n/.test(text.slice(i + 1, i + 3))) {
      // A line continuation joins lines; it is not part of a word.
      i += text[i + 1] === '\r' ? 2 : 1;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has) out.push(current);
      current = '';
      has = false;
    } else if (options.operators && (ch === ';' || ((ch === '|' || ch === '&') && !/[<>]$/.test(current)))) {
      // `operators`: a shell's `;`, `&&`, `||`, `|` and `&` end a word and are words of their own
      // (`docker build .;` builds `.`); `2>&1` stays one word.
      if (has) out.push(current);
      const op = text[i + 1] === ch && ch !== ';' ? ch + text[++i] : ch;
      out.push(op);
      current = '';
      has = false;
    } else {
      current += ch;
      has = true;
    }
  }
  if (quote) options.onUnclosedQuote?.();
  if (has) out.push(current);
  return out;
}

// Runs of characters splitWords takes as they are: outside quotes (where blanks, quotes, backslashes
// and, with operators, `;`, `|` and `&` do something else), and inside each kind of quote.
const UNQUOTED = /[^\s"'\\]+/y;
const UNQUOTED_WITH_OPERATORS = /[^\s"'\\;|&]+/y;
const IN_SINGLE_QUOTES = /[^']+/y;
const IN_DOUBLE_QUOTES = /[^"\\]+/y;

function plainRun(run: RegExp, text: string, at: number): string | null {
  run.lastIndex = at;
  return run.exec(text)?.[0] ?? null;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known word nearest to `word` (case-insensitive), or null when none is near enough to be meant. */
export function closestWord(word: string, known: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(w.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(w, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** The colon-separated parts of `text`, a `${...}` kept whole: `${DATA:-/srv/data}:/data:ro` is three parts (a compose volume). */
export function colonParts(text: string): string[] {
  return text.match(/(?:\$\{[^}]*\}|[^:])+/g) ?? [text];
}
