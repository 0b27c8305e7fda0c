/**
 * argv -> command. The batch commands never load Ink or React: the wizard is imported only when a
 * terminal is there to show it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type Args } from './args.js';
import { UserError, formatError } from './core/errors.js';
import { packageRoot } from './core/paths.js';
import { MAIN_HELP, COMMAND_HELP } from './help.js';
import type { Io } from './batch.js';

export function version(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    io.stderr.write(`docker-harden: ${formatError(err)}\n`);
    return 2;
  }
  if (args.version) {
    io.stdout.write(`docker-harden ${io.version}\n`);
    return 0;
  }
  if (args.help || args.command === 'help') {
    const topic = args.command === 'help' ? args.positional[0] : args.command;
    io.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
    return 0;
  }
  try {
    switch (args.command) {
      case 'check':
        return await (await import('./batch.js')).checkCommand(args, io);
      case 'fix':
        return await (await import('./batch.js')).fixCommand(args, io);
      case 'undo':
        return await (await import('./batch.js')).undoCommand(args, io);
      case 'steps':
        return (await import('./batch.js')).stepsCommand(args, io);
      case 'report':
        return await (await import('./report/command.js')).reportCommand(args, io);
      case 'plugin':
        return await (await import('./plugin.js')).pluginCommand(args, io);
      case 'docker-cli-plugin-metadata':
        io.stdout.write(JSON.stringify((await import('./plugin.js')).pluginMetadata(io.version)) + '\n');
        return 0;
      case 'wizard':
      case 'learn':
        if (!(io.stdinIsTTY && io.stdout.isTTY)) {
          // Without a terminal, `learn --sandbox DIR` makes the sandbox and says how to walk it with the batch commands.
          if (args.command === 'learn' && args.sandbox) return await (await import('./sandbox.js')).learnSandboxCommand(args, io);
          throw new UserError(
            `the ${args.command === 'learn' ? 'learn walkthrough' : 'wizard'} needs a terminal, and stdin or stdout is not one`,
            args.command === 'learn'
              ? 'Run it in a terminal, or make a sandbox with `docker-harden learn --sandbox DIR` and use `docker-harden check --sandbox DIR`.'
              : 'For scripts and CI use `docker-harden check --file Dockerfile` (or --host), and `fix ... --yes` to apply.',
          );
        }
        return await (await import('./ui/start.js')).startInteractive(args, io);
      default:
        throw new UserError(`the ${args.command} command is not available in this build`);
    }
  } catch (err) {
    io.stderr.write(`docker-harden: ${formatError(err)}\n`);
    return 2;
  }
}
