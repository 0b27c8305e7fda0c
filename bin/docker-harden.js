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

// Run as a Docker CLI plugin, docker passes its global flags and the plugin name first
// (`docker-harden --context prod harden check`); main() reads them.
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdinIsTTY: Boolean(process.stdin.isTTY),
  env: process.env,
  version: version(),
});
process.exitCode = code;
