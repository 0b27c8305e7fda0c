#!/usr/bin/env node
import { main, version } from '../dist/src/cli.js';

// A reader that stops early (`docker-harden check | head`): end quietly, as a tool killed by SIGPIPE does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}
// Ctrl-C while a batch command works (the wizard reads it as a key, in raw mode): end the line, exit 130.
process.on('SIGINT', () => {
  if (process.stdout.writable) process.stdout.write('\n');
  process.exit(130);
});

// When run as a Docker CLI plugin, docker passes the plugin name first: `docker-harden harden check`.
const argv = process.argv.slice(2);
if (process.env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND !== undefined && argv[0] === 'harden') argv.shift();

const code = await main(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  stdinIsTTY: Boolean(process.stdin.isTTY),
  env: process.env,
  version: version(),
});
process.exitCode = code;
