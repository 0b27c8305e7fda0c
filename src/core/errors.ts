import { safeText } from './sanitize.js';

/** An error the person can act on: it names the file (and line) and says what to do. Exit 2. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly file?: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'UserError';
  }

  /** The message as printed: `file:line:col: message` then the hint. */
  format(): string {
    const where = this.file ? `${this.file}${this.line ? `:${this.line}${this.column ? `:${this.column}` : ''}` : ''}: ` : '';
    return `${where}${this.message}${this.hint ? `\n  ${this.hint}` : ''}`;
  }
}

/** Ctrl-C at a question: the command ends with exit 130 once its finally blocks ran (the lock is released). */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}


/** An error as shown on a terminal: its paths and the daemon's words made safe (see sanitize.ts). */
export function formatError(err: unknown): string {
  if (err instanceof UserError) return safeText(err.format());
  if (err instanceof Error) return safeText(err.message);
  return safeText(String(err));
}

/** 1-based line and column of an offset in a text, for messages that point into a file. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
