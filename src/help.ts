/** Help text for every command, with examples. */
export const MAIN_HELP = `docker-harden: make a Docker host and a Dockerfile safer, one explained step at a time.

Usage:
  docker-harden                        the wizard: checks, explains, shows a diff, applies on a yes
  docker-harden learn                  the thirteen steps on a sandbox copy of example files
  docker-harden check [targets]        report; exit 0 all pass, 1 findings, 2 error
  docker-harden fix [targets] --yes    apply the proposed fixes (--dry-run prints the diffs only)
  docker-harden undo [--list] [ID]     restore what was applied, newest first
  docker-harden report [--format F]    decisions and a fresh check as text, md, json or sarif
  docker-harden steps                  the steps in order, with id and scope
  docker-harden plugin install         make \`docker harden\` work (Docker CLI plugin)

Targets:
  --host                  the Docker daemon this machine talks to (DOCKER_HOST, the current context)
  --file PATH             a Dockerfile (repeatable)
  --compose PATH          a compose file (repeatable)

Options:
  --only ID[,ID...]       only these steps (or STEP:PROPOSAL for one fix)
  --profile NAME          server, dockerfile or learn
  --json, --sarif         machine-readable output
  --state-dir DIR         where progress and backups are kept
  --daemon-config PATH    daemon.json to read and edit
  --restart-command CMD   how to restart dockerd (default: systemd, OpenRC or SysV)
  --docker-host URL       the daemon to talk to (overrides DOCKER_HOST)
  --no-color              plain output (also NO_COLOR, or when not a terminal)
  -y, --yes               apply without asking (fix, undo)
  -h, --help              help for a command: docker-harden check --help
  -V, --version           the version

Examples:
  docker-harden check --file Dockerfile
  docker-harden fix --file Dockerfile --only non-root-user --yes
  sudo docker-harden check --host --json
  sudo docker-harden fix --host --only scan-host-config --dry-run
`;

export const COMMAND_HELP: Record<string, string> = {
  check: `Usage: docker-harden check [--host] [--file PATH]... [--compose PATH]... [--only IDS] [--json]

Checks each target against the steps and reports what it found, with file and line.
Exit status: 0 when everything passes, 1 when there are findings, 2 when a check could not run.

Examples:
  docker-harden check --file Dockerfile
  docker-harden check --file Dockerfile --compose compose.yaml --json
  sudo docker-harden check --host --only scan-host-config,protect-docker-socket
`,
  fix: `Usage: docker-harden fix [targets] [--only IDS] (--yes | --dry-run)

Applies the proposed fixes: a backup is kept, the file is replaced atomically, dockerd is
restarted when the change needs it and rolled back if it does not come back, and the step is
checked again. Without a terminal, --yes is required (or --dry-run to print the diffs).

Examples:
  docker-harden fix --file Dockerfile --dry-run
  docker-harden fix --file Dockerfile --only non-root-user --yes
  sudo docker-harden fix --host --only scan-host-config:live-restore --yes
  sudo docker-harden fix --host --yes --restart-command "systemctl restart docker"
`,
  undo: `Usage: docker-harden undo [--list] [ID] [--yes] [--force]

Restores the backup of an applied change, newest first. Refuses when the file was edited since
the change was applied, unless --force. For daemon.json, dockerd is restarted and health-checked.

Examples:
  docker-harden undo --list
  docker-harden undo --yes
  docker-harden undo lx3k2a-9f8e7d --yes
`,
  steps: `Usage: docker-harden steps [--json]

Lists the thirteen steps in the order of the recommendations, with id and scope.
`,
  learn: `Usage: docker-harden learn [--sandbox DIR]

Copies example files with real problems (a daemon.json, a Dockerfile, a compose file) into a
fresh sandbox directory and walks all thirteen steps on them. Needs no Docker daemon and touches
nothing outside the sandbox.
`,
  report: `Usage: docker-harden report [targets] [--format text|md|json|sarif]

The decisions kept in the profile, with a fresh check of the targets.

Examples:
  docker-harden report --file Dockerfile --format md
  docker-harden report --file Dockerfile --format sarif > docker-harden.sarif
`,
  plugin: `Usage: docker-harden plugin install

Links docker-harden into ~/.docker/cli-plugins/ so that \`docker harden ...\` works.
`,
};
