#!/usr/bin/env node
import { main, version } from '../dist/src/cli.js';

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
