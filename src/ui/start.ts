// PLACEHOLDER: the Ink wizard starts here.
import type { Args } from '../args.js';
import type { Io } from '../batch.js';
export async function startInteractive(_args: Args, io: Io): Promise<number> {
  io.stderr.write('wizard not built yet\n');
  return 2;
}
