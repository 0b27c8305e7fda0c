#!/usr/bin/env node
import { main, version } from '../dist/src/cli.js';
import { installSignalHandlers, quietOnClosedPipe } from '../dist/src/core/signals.js';

// When run as a Docker CLI plugin, docker passes the plugin name first: `docker-harden harden check`.
const argv = process.argv.slice(2);
if (process.env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND !== undefined && argv[0] === 'harden') argv.shift();

// A closed pipe ends output, not the run; a signal waits for a change in progress to be finished.
quietOnClosedPipe(process.stdout);
if (argv[0] === 'fix' || argv[0] === 'undo') installSignalHandlers((line) => process.stderr.write(`docker-harden: ${line}\n`));

const code = await main(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  stdinIsTTY: Boolean(process.stdin.isTTY),
  env: process.env,
  version: version(),
});
process.exitCode = code;
