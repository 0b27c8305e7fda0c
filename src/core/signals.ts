/**
 * Signals during a change. Ctrl-C, `kill` or a dropped ssh session (SIGINT, SIGTERM, SIGHUP) must
 * never leave dockerd down or a change half-made: while a change is being applied or undone (a
 * critical section) the signal is only noted; the change runs to its end (health check, roll back
 * if needed, record), then the run releases its locks and exits 128+signal (130, 143, 129). Outside
 * a critical section the locks are released and the run exits at once.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type HandledSignal = (typeof SIGNALS)[number];

let depth = 0;
let pending: HandledSignal | null = null;
let installed = false;
let notice: ((line: string) => void) | undefined;
const cleanups = new Set<() => Promise<void>>();

/** The exit code for a signal: 128 + its number. */
export function exitCodeForSignal(signal: HandledSignal): number {
  return 128 + (constants.signals[signal] ?? 15);
}

/** Catch the signals for this run; `say` tells the person a change is being finished first. */
export function installSignalHandlers(say?: (line: string) => void): void {
  notice = say;
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (pending) return;
      pending = signal;
      if (depth > 0) notice?.(`${signal} received: finishing the change in progress (health check, roll back if needed, record), then stopping`);
      else void exitNow();
    });
  }
}

/** Run `fn` to its end even when a signal arrives meanwhile; exit after it if one did. */
export async function critical<T>(fn: () => Promise<T>): Promise<T> {
  depth++;
  try {
    return await fn();
  } finally {
    depth--;
    // After the caller has had its turn to print the outcome (its continuation runs first).
    if (depth === 0 && pending) setImmediate(() => void exitNow());
  }
}

/** Register what must run before an exit by signal (release a lock); returns the unregister call. */
export function onSignalExit(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

async function exitNow(): Promise<never> {
  for (const cleanup of [...cleanups]) await cleanup().catch(() => undefined);
  process.exit(exitCodeForSignal(pending ?? 'SIGTERM'));
}

/**
 * A reader that closed the pipe (`fix --yes | head -c 1`) ends output, not the run: EPIPE on this
 * stream is swallowed, and whatever is being changed is still finished and recorded.
 */
export function quietOnClosedPipe(stream: NodeJS.WritableStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    throw err;
  });
}
