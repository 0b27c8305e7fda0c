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
/** An exit asked for outside a signal (a closed pipe: 141), made once no change is in progress. */
let pendingCode: number | null = null;
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

/**
 * Where a run is between changes: one that is stopping goes no further, and the exit ends it. While
 * the exit releases the locks and removes what the run made, the next change of a batch would
 * otherwise begin, and be cut off half made.
 */
export async function haltIfStopping(): Promise<void> {
  if (depth === 0 && (pending || pendingCode !== null)) await new Promise<never>(() => undefined);
}

/** Run `fn` to its end even when a signal arrives meanwhile; exit after it if one did. */
export async function critical<T>(fn: () => Promise<T>): Promise<T> {
  await haltIfStopping();
  depth++;
  try {
    return await fn();
  } finally {
    depth--;
    // After the caller has had its turn to print the outcome (its continuation runs first).
    if (depth === 0 && (pending || pendingCode !== null)) setImmediate(() => void exitNow());
  }
}

/** The signal the run is stopping for, if one came: work begun before it (a proof) no longer counts. */
export function stopSignal(): HandledSignal | null {
  return pending;
}

/** Register what must run before an exit by signal (release a lock); returns the unregister call. */
export function onSignalExit(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

async function exitNow(): Promise<never> {
  for (const cleanup of [...cleanups]) await cleanup().catch(() => undefined);
  // Ctrl-C lands mid-line: end it, so the shell prompt starts on its own line.
  if (pending === 'SIGINT' && process.stdout.writable) process.stdout.write('\n');
  process.exit(pending ? exitCodeForSignal(pending) : (pendingCode ?? 1));
}

/** Exit with `code` now, or once the change in progress is finished and recorded. */
function exitWhenSafe(code: number): void {
  if (pendingCode !== null || pending) return;
  pendingCode = code;
  if (depth === 0) void exitNow();
}

/**
 * A reader that closed the pipe (`check | head`, `fix --yes | head -c 1`) ends the run quietly
 * with 141, as a tool killed by SIGPIPE does, but a change in progress is first finished and
 * recorded: undo still finds it.
 */
export function quietOnClosedPipe(stream: NodeJS.WritableStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return exitWhenSafe(141);
    throw err;
  });
}
