#!/usr/bin/env node
import { main, version } from '../dist/src/cli.js';

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
