/**
 * Text from files, the daemon or the environment made safe for a terminal: every control
 * character (C0, DEL, C1) and every bidirectional override is shown visibly, as `\x1b` or
 * `\u202e`, so an OSC title, clipboard (52) or link (8) sequence, a cursor move or a reordering
 * mark in a Dockerfile comment, a service name or a container name can never act on the
 * terminal. Line breaks and tabs are kept where the text is multi-line (diffs, notes).
 */

// C0 except \t and \n, DEL, C1, bidi embeddings/overrides/isolates, line/paragraph separators,
// and the invisible zero-width space and byte-order mark (shown, so a diff says what is there).
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b\ufeff]/g;
const UNSAFE_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b\ufeff]/g;

function visible(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with control characters shown visibly; newlines and tabs kept. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** `text` for one line: newlines and tabs are shown visibly too. */
export function safeLine(text: string): string {
  return text.replace(UNSAFE_ONE_LINE, visible);
}

/**
 * One line for the wizard's screen or an error: escape sequences and control characters removed,
 * tabs as spaces (the layout measures widths, so nothing invisible may stay). Split lines first.
 */
export function sanitise(text: string): string {
  return (
    text
      .replace(/\u001b\[[0-9;?<>=!]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?|\u001b[@-_]?/g, '')
      .replace(/\t/g, '    ')
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '')
  );
}
