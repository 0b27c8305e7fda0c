#!/usr/bin/env node
import { installSignalHandlers, main, quietOnClosedPipe, version } from '../dist/bundle/cli.js';

// A reader that stops early (`docker-harden check | head`): end quietly, as a tool killed by
// SIGPIPE does, but only once a change in progress is finished and recorded.
for (const stream of [process.stdout, process.stderr]) quietOnClosedPipe(stream);
// Ctrl-C, SIGTERM or a hang-up (the wizard reads Ctrl-C as a key, in raw mode): a change in
// progress is finished, checked and recorded first; the lock is released; exit 130/143/129.
installSignalHandlers((line) => process.stderr.write(`docker-harden: ${line}\n`));

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
