/** `docker-harden learn --sandbox DIR` without a terminal: make (or resume) the sandbox and say how to walk it. */
import type { Args } from '../args.js';
import type { Io } from './batch.js';
import { prepareLearnSandbox } from '../core/learn.js';
import { quoteArg } from '../report/text.js';

export async function learnSandboxCommand(args: Args, io: Io): Promise<number> {
  const sandbox = await prepareLearnSandbox({ dir: args.sandbox, env: io.env });
  const dir = quoteArg(sandbox.dir);
  const out = (line = '') => io.stdout.write(line + '\n');
  out(`${sandbox.created ? 'Learn sandbox ready' : 'Learn sandbox found'} in ${sandbox.dir}:`);
  out('  daemon.json, Dockerfile and compose.yaml with real problems, and host.json with host/: a recorded');
  out('  Ubuntu server running Docker, for the host steps. Nothing outside the sandbox is read or written,');
  out('  no command runs and no Docker daemon is needed.');
  out();
  out('Walk it:');
  out(`  docker-harden learn --sandbox ${dir}                                   in a terminal, step by step`);
  out(`  docker-harden check --sandbox ${dir}                                   every step, as a report  `);
  out(`  docker-harden fix --sandbox ${dir} --only non-root-user --dry-run      the diff of one fix`);
  out(`  docker-harden fix --sandbox ${dir} --only non-root-user --yes          apply it (backed up, undoable)`);
  out(`  docker-harden undo --sandbox ${dir} --list                             what was applied, newest first`);
  out(`  docker-harden report --sandbox ${dir} --format md                      decisions and a fresh check`);
  return 0;
}
