/** ANSI colours, off with NO_COLOR, --no-color, or when the stream is not a terminal. */
export interface Palette {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain: Palette = { red: String, green: String, yellow: String, cyan: String, dim: String, bold: String };
const ansi: Palette = { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), dim: wrap(2, 22), bold: wrap(1, 22) };

export function colorEnabled(env: Readonly<Record<string, string | undefined>>, isTTY: boolean, noColorFlag = false): boolean {
  if (noColorFlag || env.NO_COLOR !== undefined) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return isTTY;
}

export function palette(enabled: boolean): Palette {
  return enabled ? ansi : plain;
}

/** Colour a unified diff: additions green, removals red, hunk headers cyan. */
export function colorDiff(diff: string, p: Palette): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return p.bold(line);
      if (line.startsWith('@@')) return p.cyan(line);
      if (line.startsWith('+')) return p.green(line);
      if (line.startsWith('-')) return p.red(line);
      return line;
    })
    .join('\n');
}
