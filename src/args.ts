/** Command-line parsing, by hand: small, no dependency, and errors that say what to do. */
import { UserError } from './core/errors.js';
import { splitWords } from './core/words.js';

export const COMMANDS = ['wizard', 'learn', 'check', 'fix', 'undo', 'steps', 'report', 'plugin', 'docker-cli-plugin-metadata', 'help'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Args {
  command: Command;
  positional: string[];
  host: boolean;
  files: string[];
  composeFiles: string[];
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
  dryRun: boolean;
  verify: boolean;
  force: boolean;
  list: boolean;
  help: boolean;
  version: boolean;
  sandbox?: string;
}

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
};

const BOOL_FLAGS: Record<string, keyof Args> = {
  '--host': 'host',
  '--json': 'json',
  '--sarif': 'sarif',
  '--no-color': 'noColor',
  '--yes': 'yes',
  '-y': 'yes',
  '--dry-run': 'dryRun',
  '--verify': 'verify',
  '--force': 'force',
  '--list': 'list',
  '--help': 'help',
  '-h': 'help',
  '--version': 'version',
  '-V': 'version',
};

export function parseArgs(argv: string[]): Args {
  const args: Args = {
    command: 'wizard',
    positional: [],
    host: false,
    files: [],
    composeFiles: [],
    only: [],
    json: false,
    sarif: false,
    noColor: false,
    yes: false,
    dryRun: false,
    verify: false,
    force: false,
    list: false,
    help: false,
    version: false,
  };
  let commandSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    if (name in VALUE_FLAGS) {
      const key = VALUE_FLAGS[name]!;
      let value: string | undefined;
      if (eq > 0) value = token.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined || (value.startsWith('-') && value.length > 1 && eq < 0)) {
        throw new UserError(`${name} needs a value`, `For example: ${name} ${example(name)}`);
      }
      if (key === 'files' || key === 'composeFiles') (args[key] as string[]).push(value);
      else if (key === 'only') args.only.push(...value.split(',').map((s) => s.trim()).filter(Boolean));
      else (args as unknown as Record<string, unknown>)[key] = value;
      continue;
    }
    if (name in BOOL_FLAGS) {
      if (eq > 0) throw new UserError(`${name} takes no value`);
      (args as unknown as Record<string, unknown>)[BOOL_FLAGS[name]!] = true;
      continue;
    }
    if (token.startsWith('-') && token !== '-') {
      throw new UserError(`unknown option ${name}`, 'Run `docker-harden --help` for the options.');
    }
    if (!commandSeen) {
      if (!(COMMANDS as readonly string[]).includes(token) || token === 'wizard') {
        throw new UserError(`unknown command "${token}"`, `Commands: learn, check, fix, undo, steps, report, plugin. Run \`docker-harden --help\`.`);
      }
      args.command = token as Command;
      commandSeen = true;
      continue;
    }
    args.positional.push(token);
  }
  if (args.sarif) args.format = 'sarif';
  if (args.json && !args.format) args.format = 'json';
  return args;
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
