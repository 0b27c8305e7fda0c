/**
 * argv -> command. The batch commands never load Ink or React: the wizard is imported only when a
 * terminal is there to show it.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, splitDockerGlobals, type Args, type DockerGlobals } from './args.js';
import { InterruptedError, UserError, formatError } from './core/errors.js';
import { didYouMean } from './core/suggest.js';
import { safeLine, sanitise } from './core/sanitize.js';
import { packageRoot } from './core/paths.js';
import { sha256 } from './core/hash.js';
import { MAIN_HELP, COMMAND_HELP } from './help.js';
import type { Io } from './app/batch.js';

// What bin/docker-harden.js needs, from the one file it loads.
export { installSignalHandlers, quietOnClosedPipe } from './core/signals.js';

export function version(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let args: Args;
  try {
    // Run by the docker client as `docker [global flags] harden ...`: its flags pick the daemon.
    const plugin = io.env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND !== undefined ? splitDockerGlobals(argv) : null;
    args = parseArgs(plugin ? plugin.rest : argv);
    if (plugin) ({ args, io } = applyDockerGlobals(plugin.globals, args, io));
  } catch (err) {
    io.stderr.write(`docker-harden: ${printable(formatError(err))}\n`);
    return 2;
  }
  if (args.version) {
    io.stdout.write(`docker-harden ${io.version}\n`);
    return 0;
  }
  if (args.help || args.command === 'help') {
    const topic = args.command === 'help' ? args.positional[0] : args.command;
    if (args.command === 'help' && topic && !COMMAND_HELP[topic]) {
      const topics = Object.keys(COMMAND_HELP);
      io.stderr.write(`docker-harden: ${printable(`no help for "${topic}"\n  ${didYouMean(topic, topics)}Help is there for: ${topics.join(', ')}.`)}\n`);
      return 2;
    }
    io.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
    return 0;
  }
  try {
    // The composition root: the commands get the step registry from here.
    const app = { ...io, registry: (await import('../steps/index.js')).steps };
    switch (args.command) {
      case 'check':
        return await (await import('./app/batch.js')).checkCommand(args, app);
      case 'fix':
        return await (await import('./app/batch.js')).fixCommand(args, app);
      case 'undo':
        return await (await import('./app/batch.js')).undoCommand(args, app);
      case 'steps':
        return (await import('./app/batch.js')).stepsCommand(args, app);
      case 'report':
        return await (await import('./app/report.js')).reportCommand(args, app);
      case 'export':
        return await (await import('./app/export.js')).exportCommand(args, app);
      case 'explain':
        return (await import('./app/explain.js')).explainCommand(args, io, app.registry);
      case 'plugin':
        return await (await import('./app/plugin.js')).pluginCommand(args, io);
      case 'docker-cli-plugin-metadata':
        io.stdout.write(JSON.stringify((await import('./app/plugin.js')).pluginMetadata(io.version)) + '\n');
        return 0;
      case 'wizard':
      case 'learn':
        if (!(io.stdinIsTTY && io.stdout.isTTY)) {
          // Without a terminal, `learn --sandbox DIR` makes the sandbox and says how to walk it with the batch commands.
          if (args.command === 'learn' && args.sandbox) return await (await import('./app/sandbox.js')).learnSandboxCommand(args, io);
          throw new UserError(
            `the ${args.command === 'learn' ? 'learn walkthrough' : 'wizard'} needs a terminal, and stdin or stdout is not one`,
            args.command === 'learn'
              ? 'Run it in a terminal, or make a sandbox with `docker-harden learn --sandbox DIR` and use `docker-harden check --sandbox DIR`.'
              : 'For scripts and CI use `docker-harden check` (the Dockerfiles and compose files here; or name them, or --host), and `fix --yes` to apply.',
          );
        }
        return await (await import('./app/wizard.js')).startInteractive(args, app);
      default:
        throw new UserError(`the ${args.command} command is not available in this build`);
    }
  } catch (err) {
    if (err instanceof InterruptedError) {
      // The line with the question is ended, so the shell's prompt starts on its own line.
      io.stdout.write('\n');
      return 130;
    }
    io.stderr.write(`docker-harden: ${printable(formatError(err))}\n`);
    return 2;
  }
}

/**
 * Docker's global flags as the docker client means them: --host and --context pick the daemon
 * (--docker-host after `harden` still wins), --config the client configuration, --tls* the TLS
 * material, --debug or --log-level debug print which daemon was picked.
 */
function applyDockerGlobals(globals: DockerGlobals, args: Args, io: Io): { args: Args; io: Io } {
  const env: Record<string, string | undefined> = { ...io.env };
  if (globals.config) env.DOCKER_CONFIG = globals.config;
  if (globals.context) {
    // As the docker client: --context wins over DOCKER_HOST.
    env.DOCKER_CONTEXT = globals.context;
    delete env.DOCKER_HOST;
    const configDir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
    const meta = path.join(configDir, 'contexts', 'meta', sha256(globals.context), 'meta.json');
    if (globals.context !== 'default' && !existsSync(meta)) {
      throw new UserError(`docker context "${globals.context}" does not exist`, `\`docker context ls\` lists the contexts in ${configDir}.`);
    }
  }
  if (globals.host && !args.dockerHost) args = { ...args, dockerHost: globals.host };
  if (globals.tls) env.DOCKER_TLS = '1';
  if (globals.tlsverify) env.DOCKER_TLS_VERIFY = '1';
  const certs = [globals.tlscacert, globals.tlscert, globals.tlskey];
  if (certs.some(Boolean)) {
    // The TLS files are read as ca.pem, cert.pem and key.pem of one directory (DOCKER_CERT_PATH).
    const names = ['ca.pem', 'cert.pem', 'key.pem'];
    const dirs = new Set(certs.filter(Boolean).map((c) => path.dirname(path.resolve(c!))));
    if (dirs.size > 1 || certs.some((c, i) => c && path.basename(c) !== names[i])) {
      throw new UserError('docker-harden reads TLS files as ca.pem, cert.pem and key.pem of one directory', 'Put them in one directory under those names and pass --tlscacert DIR/ca.pem (and the others), or set DOCKER_CERT_PATH=DIR.');
    }
    env.DOCKER_CERT_PATH = [...dirs][0];
    if (!globals.tls && !globals.tlsverify) env.DOCKER_TLS_VERIFY = '1';
  }
  if (globals.debug || globals.logLevel === 'debug') {
    const picked = args.dockerHost ? `--host ${args.dockerHost}` : env.DOCKER_CONTEXT ? `context ${env.DOCKER_CONTEXT}` : env.DOCKER_HOST ? `DOCKER_HOST ${env.DOCKER_HOST}` : 'the default context';
    io.stderr.write(`docker-harden: debug: daemon from ${safeLine(picked)}; docker config ${safeLine(env.DOCKER_CONFIG || '~/.docker')}\n`);
  }
  return { args, io: { ...io, env } };
}

/** An error for the terminal: names from argv, files and the environment lose control characters, line by line. */
function printable(text: string): string {
  return text.split('\n').map(sanitise).join('\n');
}
