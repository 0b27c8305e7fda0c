/** Command-line parsing, by hand: small, no dependency, and errors that say what to do. */
import { statSync } from 'node:fs';
import { UserError } from './core/errors.js';
import { splitWords } from './core/words.js';
import { didYouMean } from './core/suggest.js';

export const COMMANDS = ['wizard', 'learn', 'check', 'fix', 'undo', 'steps', 'report', 'export', 'explain', 'plugin', 'docker-cli-plugin-metadata', 'help'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Args {
  command: Command;
  positional: string[];
  host: boolean;
  files: string[];
  composeFiles: string[];
  /** Folders named as targets: the Dockerfiles and compose files in and below each. */
  folders: string[];
  only: string[];
  profile?: string;
  json: boolean;
  sarif: boolean;
  format?: string;
  stateDir?: string;
  daemonConfig?: string;
  restartCommand?: string;
  dockerHost?: string;
  noColor: boolean;
  yes: boolean;
  /** fix --yes: apply `review` proposals too, not only `safe` ones. */
  includeReview: boolean;
  dryRun: boolean;
  verify: boolean;
  /** fix --verify: the seconds a container without a HEALTHCHECK must stay up to count as up. */
  verifyWait?: number;
  force: boolean;
  list: boolean;
  /** undo: every change of the newest run still in place, not only the newest change. */
  run: boolean;
  help: boolean;
  version: boolean;
  sandbox?: string;
  /** The least severity that makes `check` exit 1; unset: any fail or warn does. */
  failOn?: FailOn;
  out?: string;
  merge: boolean;
}

export const FAIL_ON = ['critical', 'high', 'medium', 'low'] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** The longest --verify-wait: ten minutes a container (twice per change) is as long as a proof should take. */
const VERIFY_WAIT_MAX = 600;

/** Commands that take targets, so a bare file name is a target. */
const TARGET_COMMANDS: readonly Command[] = ['check', 'fix', 'report'];

const VALUE_FLAGS: Record<string, keyof Args> = {
  '--file': 'files',
  '-f': 'files',
  '--compose': 'composeFiles',
  '--only': 'only',
  '--profile': 'profile',
  '--format': 'format',
  '--state-dir': 'stateDir',
  '--daemon-config': 'daemonConfig',
  '--restart-command': 'restartCommand',
  '--docker-host': 'dockerHost',
  '--sandbox': 'sandbox',
  '--verify-wait': 'verifyWait',
  '--fail-on': 'failOn',
  '--out': 'out',
};

const BOOL_FLAGS: Record<string, keyof Args> = {
  '--host': 'host',
  '--json': 'json',
  '--sarif': 'sarif',
  '--no-color': 'noColor',
  '--yes': 'yes',
  '--include-review': 'includeReview',
  '-y': 'yes',
  '--dry-run': 'dryRun',
  '--verify': 'verify',
  '--force': 'force',
  '--list': 'list',
  '--run': 'run',
  '--merge': 'merge',
  '--help': 'help',
  '-h': 'help',
  '--version': 'version',
  '-V': 'version',
};

// The options each command reads; any other is refused rather than ignored (`fix --yes --json`
// printed text, `steps --fail-on high` did nothing). The targets and where state and the daemon are
// go with every command that makes a session.
const SESSION_OPTIONS = ['--host', '--file', '--compose', '--only', '--profile', '--state-dir', '--daemon-config', '--restart-command', '--docker-host', '--sandbox'];
const FORMAT_OPTIONS = ['--json', '--sarif', '--format'];
const OPTIONS_OF: Record<Command, readonly string[]> = {
  wizard: [...SESSION_OPTIONS, '--verify', '--verify-wait'],
  learn: ['--sandbox', '--only'],
  check: [...SESSION_OPTIONS, ...FORMAT_OPTIONS, '--fail-on'],
  fix: [...SESSION_OPTIONS, ...FORMAT_OPTIONS, '--fail-on', '--yes', '--include-review', '--dry-run', '--verify', '--verify-wait'],
  // The daemon options say how to restart it when the undone change was a daemon.json one.
  undo: ['--state-dir', '--sandbox', '--daemon-config', '--restart-command', '--docker-host', '--yes', '--list', '--force', '--run'],
  report: [...SESSION_OPTIONS, ...FORMAT_OPTIONS, '--merge'],
  export: ['--state-dir', '--daemon-config', '--out'],
  steps: ['--json', '--format'],
  explain: ['--json', '--format'],
  plugin: ['--force'],
  'docker-cli-plugin-metadata': [],
  help: [],
};
/** Options every command takes. */
const COMMON_OPTIONS = ['--help', '--version', '--no-color'];
/** An option as OPTIONS_OF names it: a short one by the long one that sets the same field. */
function longName(name: string): string {
  if (name.startsWith('--')) return name;
  const table = name in VALUE_FLAGS ? VALUE_FLAGS : BOOL_FLAGS;
  return Object.keys(table).find((other) => other.startsWith('--') && table[other] === table[name]) ?? name;
}

export function parseArgs(argv: string[]): Args {
  const args: Args = {
    command: 'wizard',
    positional: [],
    host: false,
    files: [],
    composeFiles: [],
    folders: [],
    only: [],
    json: false,
    sarif: false,
    noColor: false,
    yes: false,
    includeReview: false,
    dryRun: false,
    verify: false,
    force: false,
    list: false,
    run: false,
    help: false,
    version: false,
    merge: false,
  };
  let commandSeen = false;
  let optionsEnded = false;
  const given: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    // After `--` every word is a file name, even one that starts with a dash.
    if (token === '--' && !optionsEnded) {
      optionsEnded = true;
      continue;
    }
    if (optionsEnded && commandSeen) {
      args.positional.push(token);
      continue;
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    if (name in VALUE_FLAGS || name in BOOL_FLAGS) given.push(longName(name));
    if (name in VALUE_FLAGS) {
      const key = VALUE_FLAGS[name]!;
      let value: string | undefined;
      if (eq > 0) value = token.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined || (value.startsWith('-') && value.length > 1 && eq < 0)) {
        throw new UserError(`${name} needs a value`, `For example: ${name} ${example(name)}`);
      }
      if (key === 'files' || key === 'composeFiles') (args[key] as string[]).push(value);
      else if (key === 'only') {
        const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
        // `--only ''` (an unset variable in a script) would mean every step.
        if (ids.length === 0) throw new UserError('--only needs at least one step id; nothing was done', `For example: --only ${example('--only')} (\`docker-harden steps\` lists them)`);
        args.only.push(...ids);
      }
      else (args as unknown as Record<string, unknown>)[key] = value;
      continue;
    }
    if (name in BOOL_FLAGS) {
      if (eq > 0) throw new UserError(`${name} takes no value`);
      (args as unknown as Record<string, unknown>)[BOOL_FLAGS[name]!] = true;
      continue;
    }
    if (token.startsWith('-') && token !== '-') {
      throw new UserError(`unknown option ${name}`, `${didYouMean(name, [...Object.keys(VALUE_FLAGS), ...Object.keys(BOOL_FLAGS)].filter((f) => f.startsWith('--')))}Run \`docker-harden --help\` for the options.`);
    }
    if (!commandSeen) {
      if (!(COMMANDS as readonly string[]).includes(token) || token === 'wizard') {
        const hint = `${didYouMean(token, USER_COMMANDS)}Commands: ${USER_COMMANDS.join(', ')}. Run \`docker-harden --help\`.`;
        // A file named where a command goes: `docker-harden Dockerfile` means check it.
        if (targetKind(token)) throw new UserError(`unknown command "${token}"`, `To check that file: docker-harden check ${token}`);
        throw new UserError(`unknown command "${token}"`, hint);
      }
      args.command = token as Command;
      commandSeen = true;
      continue;
    }
    args.positional.push(token);
  }
  const taken = [...OPTIONS_OF[args.command], ...COMMON_OPTIONS];
  const stray = given.find((option) => !taken.includes(option));
  if (stray && !args.help && args.command !== 'help') {
    const name = args.command === 'wizard' ? 'the wizard' : args.command;
    throw new UserError(
      `${name} does not take ${stray}; nothing was done`,
      `${name === 'the wizard' ? 'It takes' : `docker-harden ${args.command} takes`} ${OPTIONS_OF[args.command].join(', ') || 'no options'}. Run \`docker-harden ${args.command === 'wizard' ? '' : `${args.command} `}--help\`.`,
    );
  }
  if (args.failOn !== undefined && !(FAIL_ON as readonly string[]).includes(args.failOn)) {
    throw new UserError(`--fail-on takes ${FAIL_ON.join(', ')}, not "${args.failOn}"`, `${didYouMean(args.failOn, FAIL_ON)}For example: --fail-on high`);
  }
  if (args.verify && args.sandbox !== undefined) {
    throw new UserError('--verify runs containers on a real Docker daemon, and the learn sandbox has none; nothing was done', 'Leave --verify out in the sandbox, or verify your own files: docker-harden fix --file Dockerfile --yes --verify');
  }
  if (args.verifyWait !== undefined) {
    const given = String(args.verifyWait);
    const seconds = /^\d+$/.test(given) ? Number(given) : NaN;
    if (!(seconds >= 1 && seconds <= VERIFY_WAIT_MAX)) throw new UserError(`--verify-wait takes whole seconds from 1 to ${VERIFY_WAIT_MAX}, not "${given}"`, 'For example: --verify-wait 30 (an app that writes its files a while after it starts).');
    if (!args.verify) throw new UserError('--verify-wait goes with --verify', 'Add --verify, or leave --verify-wait out; nothing was done.');
    args.verifyWait = seconds;
  }
  // `report --merge` takes result files, not targets.
  if (TARGET_COMMANDS.includes(args.command) && !(args.command === 'report' && args.merge)) {
    for (const file of args.positional) {
      const kind = targetKind(file);
      if (/(^|\/)\.{0,2}$/.test(file) || statSync(file, { throwIfNoEntry: false })?.isDirectory()) args.folders.push(file);
      else if (kind === 'dockerfile') args.files.push(file);
      else if (kind === 'compose') args.composeFiles.push(file);
      else if (kind === 'daemon-config') {
        throw new UserError(`${file} is a daemon configuration, checked with the host it belongs to`, `Run: sudo docker-harden ${args.command} --host --daemon-config ${file}`);
      } else {
        if (file.endsWith('.dockerignore')) {
          throw new UserError(`"${file}" is a .dockerignore file, the list of what a build leaves out of its context, not a Dockerfile`, 'Name the Dockerfile it belongs to instead.');
        }
        throw new UserError(
          `cannot tell what kind of file "${file}" is`,
          `Name it with --file ${file} (a Dockerfile) or --compose ${file} (a compose file). By name: Dockerfile, Dockerfile.*, *.Dockerfile, Containerfile are Dockerfiles; compose.yaml, compose.*.yaml, docker-compose*.yml are compose files.`,
        );
      }
    }
    args.positional = [];
  }
  // Options that ask for two different things: said, not one silently chosen.
  const formats = [args.json && 'json', args.sarif && 'sarif', args.format && `format ${args.format}`].filter((f): f is string => Boolean(f));
  if (new Set(formats.map((f) => f.replace(/^format /, ''))).size > 1) {
    throw new UserError(`--${formats.join(' and --')} ask for two output formats; nothing was done`, 'Pass one of them.');
  }
  if (args.command === 'fix' && args.yes && args.dryRun) {
    throw new UserError('fix --yes applies and --dry-run only shows: they ask for two different things; nothing was done', 'Pass --dry-run to see the diffs, or --yes to apply them.');
  }
  if (args.command === 'undo' && args.run && (args.positional.length > 0 || args.list)) {
    throw new UserError(
      `undo --run takes back every change of the newest run, so it takes no ${args.list ? '--list' : 'change id'}; nothing was undone`,
      args.list ? 'Run `docker-harden undo --list` to see the changes and their runs, then `docker-harden undo --run --yes`.' : `Run \`docker-harden undo ${args.positional[0]} --yes\` for that change alone, or \`docker-harden undo --run --yes\` for the newest run.`,
    );
  }
  if (args.command === 'undo' && args.positional.length > 1) {
    throw new UserError(`undo takes one change id, not ${args.positional.length} (${args.positional.join(', ')}); nothing was undone`, 'Run `docker-harden undo ID` for each, newest first (`docker-harden undo --list` shows them).');
  }
  if (args.sarif) args.format = 'sarif';
  if (args.json && !args.format) args.format = 'json';
  if (args.command === 'fix' && !args.dryRun && !args.help && args.format && args.format !== 'text') {
    // Its lines say what is written as it happens; a JSON or SARIF document is of a check's results.
    throw new UserError(
      `fix prints what it applies as text, so --${args.format === 'json' || args.format === 'sarif' ? args.format : `format ${args.format}`} is for check and fix --dry-run; nothing was changed`,
      `Apply with \`docker-harden fix --yes\`, then \`docker-harden check --${args.format === 'sarif' ? 'sarif' : 'json'}\` gives the results that remain.`,
    );
  }
  return args;
}

/** The commands a person types, for messages and suggestions. */
const USER_COMMANDS = ['learn', 'check', 'fix', 'undo', 'steps', 'report', 'export', 'explain', 'plugin', 'help'];

/**
 * What a file named on the command line is, by its name as pre-commit and CI pass it: Dockerfile,
 * Dockerfile.prod, api.Dockerfile, Containerfile; compose.yaml, compose.override.yml,
 * docker-compose.yml, docker-compose.prod.yaml; daemon.json. Undefined when the name says nothing.
 */
export function targetKind(file: string): 'dockerfile' | 'compose' | 'daemon-config' | undefined {
  const base = file.replace(/\/+$/, '').split('/').pop() ?? '';
  // A Dockerfile's own ignore file (Dockerfile.dockerignore, which BuildKit reads) is not a Dockerfile.
  if (base.endsWith('.dockerignore')) return undefined;
  // Case as docker and compose look for them; the same patterns as .pre-commit-hooks.yaml and action.yml.
  if (/^(Dockerfile|Containerfile)(\..+)?$/.test(base) || /\.([Dd]ockerfile|[Cc]ontainerfile)$/.test(base)) return 'dockerfile';
  if (/^(docker-)?compose([.-][^/]*)?\.ya?ml$/.test(base)) return 'compose';
  if (base === 'daemon.json') return 'daemon-config';
  return undefined;
}

function example(flag: string): string {
  switch (flag) {
    case '--file':
    case '-f':
      return './Dockerfile';
    case '--compose':
      return './compose.yaml';
    case '--only':
      return 'non-root-user,slim-base-image';
    case '--profile':
      return 'server';
    case '--verify-wait':
      return '30';
    case '--format':
      return 'json';
    case '--state-dir':
      return '~/.local/state/docker-harden';
    case '--daemon-config':
      return '/etc/docker/daemon.json';
    case '--restart-command':
      return '"systemctl restart docker"';
    case '--docker-host':
      return 'unix:///var/run/docker.sock';
    case '--sandbox':
      return './docker-harden-learn';
    case '--fail-on':
      return 'high';
    case '--out':
      return './docker-harden-ansible';
    default:
      return 'VALUE';
  }
}

/** Split a --restart-command into argv without a shell: quotes group, nothing is expanded. */
export function splitCommand(text: string): string[] {
  return splitWords(text, {
    onUnclosedQuote: () => {
      throw new UserError('--restart-command has an unclosed quote');
    },
  });
}

/** Docker's global flags, as the docker client passes them to a plugin before its name. */
export interface DockerGlobals {
  context?: string;
  host?: string;
  config?: string;
  debug: boolean;
  logLevel?: string;
  tls: boolean;
  tlsverify: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

const DOCKER_VALUE_FLAGS: Record<string, keyof DockerGlobals> = {
  '--context': 'context',
  '-c': 'context',
  '--host': 'host',
  '-H': 'host',
  '--config': 'config',
  '--log-level': 'logLevel',
  '-l': 'logLevel',
  '--tlscacert': 'tlscacert',
  '--tlscert': 'tlscert',
  '--tlskey': 'tlskey',
};
const DOCKER_BOOL_FLAGS: Record<string, keyof DockerGlobals> = { '--debug': 'debug', '-D': 'debug', '--tls': 'tls', '--tlsverify': 'tlsverify' };
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'];

/**
 * Run as a Docker CLI plugin, the client passes its own global flags, then the plugin name, then
 * the plugin's arguments: `docker --context prod harden check` runs `docker-harden --context prod
 * harden check`. Splits that argv; an argv without the plugin name after those flags is left as
 * it is (the metadata call, or docker-harden run by hand).
 */
export function splitDockerGlobals(argv: string[], pluginName = 'harden'): { globals: DockerGlobals; rest: string[] } | null {
  const globals: DockerGlobals = { debug: false, tls: false, tlsverify: false };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === pluginName) {
      if (globals.context && globals.host) {
        throw new UserError('docker was given both --context and --host', 'Name the daemon one way: --context NAME or --host URL.');
      }
      if (globals.logLevel !== undefined && !LOG_LEVELS.includes(globals.logLevel)) {
        throw new UserError(`--log-level takes ${LOG_LEVELS.join(', ')}, not "${globals.logLevel}"`, `${didYouMean(globals.logLevel, LOG_LEVELS)}For example: docker --log-level warn harden check`);
      }
      return { globals, rest: argv.slice(i + 1) };
    }
    const eq = token.indexOf('=');
    const name = token.startsWith('-') && eq > 0 ? token.slice(0, eq) : token;
    if (name in DOCKER_VALUE_FLAGS) {
      const value = eq > 0 ? token.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UserError(`docker's ${name} needs a value`);
      (globals as unknown as Record<string, unknown>)[DOCKER_VALUE_FLAGS[name]!] = value;
      continue;
    }
    if (name in DOCKER_BOOL_FLAGS) {
      const value = eq > 0 ? token.slice(eq + 1) : 'true';
      if (value !== 'true' && value !== 'false') throw new UserError(`docker's ${name} takes true or false, not "${value}"`);
      (globals as unknown as Record<string, unknown>)[DOCKER_BOOL_FLAGS[name]!] = value === 'true';
      continue;
    }
    return null;
  }
  return null;
}
