/** Help text for every command, with examples. Shown by `--help`, `-h` and `docker-harden help COMMAND`. */
export const MAIN_HELP = `docker-harden: make a Docker host and a Dockerfile safer, one explained step at a time.

Usage:
  docker-harden                        the wizard: checks, explains, shows a diff, applies on a yes
  docker-harden learn                  every step on a sandbox copy of example files
  docker-harden check [targets] [FILE...]  report findings; exit 0 all pass, 1 findings, 2 error
  docker-harden fix [targets] --yes    apply the proposed fixes (--dry-run prints the diffs only)
  docker-harden undo [--list] [ID]     restore what was applied, newest first
  docker-harden report [--format F]    decisions and a fresh check as text, md, json or sarif
  docker-harden report --merge F.json...  one table host x step from many hosts' check --host --json
  docker-harden export ansible         a playbook that rolls this host's daemon decisions to many servers
  docker-harden steps                  the steps in order, with id and scope
  docker-harden explain CODE           what a finding code (CIS-2.2, DH-USER-ROOT) means and how to fix it
  docker-harden plugin install         make \`docker harden ...\` work (Docker CLI plugin)
  docker-harden help COMMAND           help for one command, with examples

Targets:
  --host                  the Docker daemon this machine talks to (DOCKER_HOST, or the local socket)
  --file PATH, -f PATH    a Dockerfile (repeatable)
  --compose PATH          a compose file (repeatable)
  --sandbox DIR           a learn sandbox instead: its example files and recorded host
  FILE...                 check, fix and report also take files by name: Dockerfile, Dockerfile.*,
                          *.Dockerfile, Containerfile; compose.yaml, docker-compose*.yml
  FOLDER...               and folders: every such file in and below it (\`check .\`)
  (none)                  check and fix take the Dockerfiles and compose files of this folder
                          (in a git repository with none here: those below it)

Options:
  --only ID[,ID...]       only these steps (STEP:PROPOSAL for one fix; ids from \`docker-harden steps\`)
  --profile NAME          server, dockerfile or learn: which steps a run walks
  --json, --sarif         machine-readable output (--format json|sarif)
  --fail-on LEVEL         check exits 1 only for a finding at or above critical, high, medium
                          or low (default: any step that fails or warns)
  --state-dir DIR         where progress and backups are kept
  --daemon-config PATH    daemon.json to read and edit (default: the one dockerd uses)
  --restart-command CMD   how to restart dockerd (default: systemd, OpenRC or SysV)
  --docker-host URL       the daemon to talk to (overrides DOCKER_HOST)
  --no-color              plain output (also NO_COLOR, or when not a terminal)
  --out DIR               export: the new or empty folder to write the playbook into
  -y, --yes               apply without asking (fix, undo); fix applies safe fixes only
  --include-review        fix --yes: apply the fixes marked review too
  --dry-run               show what fix would change, change nothing
  --verify                fix and the wizard: run what a Dockerfile or compose change touches
                          before and after it with the Docker daemon; a change that breaks it is
                          not kept (docker-harden help fix says how)
  --verify-wait SECONDS   --verify: how long a container without a HEALTHCHECK must stay up
                          to count as up (default 3; 1 to 600)
  --list                  undo: list the applied changes, newest first
  --run                   undo: every change of the newest run (one fix, one wizard session)
  --force                 undo a file edited since, or replace a plugin link that is not ours
  -h, --help              help: docker-harden check --help
  -V, --version           the version

Docker CLI plugin: run as \`docker [flags] harden ...\`, docker's global flags are honoured:
  --context NAME, -c NAME, --host URL, -H URL pick the daemon; --config DIR the client configuration;
  --tls, --tlsverify, --tlscacert DIR/ca.pem, --tlscert DIR/cert.pem, --tlskey DIR/key.pem the TLS
  files; --debug, -D, --log-level LEVEL, -l LEVEL (debug prints which daemon was picked).

Environment:
  DOCKER_HOST             the daemon for --host (unix://, tcp://, ssh://)
  DOCKER_HARDEN_STATE_DIR the state directory when --state-dir is not given; otherwise
                          /var/lib/docker-harden as root, else $XDG_STATE_HOME/docker-harden
                          (~/.local/state/docker-harden)
  DOCKER_HARDEN_API_TIMEOUT  seconds one Engine API request may take in all (default 30)
  NO_COLOR                no colours; without a terminal nothing is asked, a flag is named instead

Examples:
  docker-harden learn                  start here on a machine with nothing to harden
  docker-harden check --file Dockerfile
  docker-harden check Dockerfile compose.yaml --fail-on high
  docker-harden fix --file Dockerfile --only non-root-user --yes
  sudo docker-harden check --host --json
  sudo docker-harden fix --host --only scan-host-config:live-restore --dry-run
  docker-harden report --file Dockerfile --format sarif > docker-harden.sarif
`;

export const COMMAND_HELP: Record<string, string> = {
  explain: `Usage: docker-harden explain CODE [--json]

Prints what a finding code means: its title, severity, why it matters, how to fix it, and the
steps that report it with their references. Every finding shows its code: CIS Docker Benchmark
ids (CIS-2.2) where the benchmark has one, docker-harden's own otherwise (DH-USER-ROOT).
An unknown code exits 2 and names the nearest known one.

Examples:
  docker-harden explain DH-USER-ROOT
  docker-harden explain CIS-2.2
  docker-harden explain 2.14 --json
`,
  check: `Usage: docker-harden check [--host] [--file PATH]... [--compose PATH]... [FILE|FOLDER...] [--only IDS]
                           [--fail-on LEVEL] [--json | --sarif]
       docker-harden check --sandbox DIR

Checks each target against the steps and reports what it found, with file and line, and the fix
each step proposes. Nothing is changed. Without a terminal nothing is asked.

Files named without a flag (as pre-commit passes them) are told apart by name: Dockerfile,
Dockerfile.*, *.Dockerfile and Containerfile are Dockerfiles; compose.yaml, compose.*.yaml and
docker-compose*.yml are compose files. Any other name needs --file or --compose. A folder stands
for every such file in and below it; links are not followed, another filesystem is not entered, and
node_modules, vendor, virtualenvs, version control and test data folders (test, tests, testdata,
fixtures) are left out unless named. A compose.override.yaml found or named with its compose.yaml
is read with it, as docker compose reads it: what it sets is reported there, at its own lines;
named alone, it is judged on top of compose.yaml, as compose runs it, and its fixes are written in
it. With no target at all, check takes the Dockerfiles and compose files of the folder it runs in;
where it has none and is in a git repository, those below it. What was found is said on stderr, so
--json and --sarif stay clean.

Exit status: 0 when everything passes, 1 when there are findings, 2 when a check could not run
(bad input, a daemon.json dockerd would refuse, no daemon for --host). --fail-on critical, high,
medium or low sets the threshold: exit 1 only when a finding is at or above it. Without it any
step that fails or warns exits 1 (a finding of any severity but info).

Examples:
  docker-harden check
  docker-harden check --file Dockerfile
  docker-harden check . --fail-on high
  docker-harden check --file Dockerfile --compose compose.yaml --json
  docker-harden check Dockerfile docker-compose.yml --fail-on high
  docker-harden check --file Dockerfile --sarif > docker-harden.sarif
  sudo docker-harden check --host --only scan-host-config,protect-docker-socket
  docker-harden check --sandbox ./docker-harden-learn
`,
  fix: `Usage: docker-harden fix [targets] [--only IDS] (--yes [--include-review] | --dry-run) [--verify [--verify-wait SECONDS]]

Applies the proposed fixes. Before a file is written its backup is kept in the state directory;
the file is replaced atomically with its mode and owner kept; dockerd is restarted when the
change needs it, and rolled back byte for byte if it does not come back; then the step is checked
again. Commands a step only shows (rootless set-up, Falco installation) are printed for you to run.
In a terminal each fix is asked about; without one, --yes is required (or --dry-run to print each
fix as the wizard shows it: what it does and may break, its diff or commands, and what advice says
to do by hand; a choice is marked [choice]). Every applied change can be undone with
\`docker-harden undo\`. The last line says how many fixes were applied, how many were put back
(not proven by --verify, or a restart that failed) and how many checks still fail or warn.
Exit status: 0 all applied and the checks pass, 1 findings remain, 2 bad input or nothing could run.
Targets are found as check finds them: a folder stands for every Dockerfile and compose file in and
below it, and no target at all for those of the folder fix runs in.

Each fix has a risk: safe (no known way to break what it changes), review (may break something:
the warnings say what and how to check) or advice (known to break here: explained, never applied).
--yes applies safe fixes only; --include-review adds the review ones; naming one fix with
--only STEP:PROPOSAL applies it whatever its risk, except advice, and records a choice
(security-platforms:open-tools); a named fix the check does not propose here is said, with the
ones it does propose. --yes applies what the check shows before anything changes (what --dry-run
prints); a fix that appears only after an earlier fix of the same run is named, and the next run
applies it.

With --verify (needs a reachable Docker daemon: --docker-host, DOCKER_HOST or the default socket),
each Dockerfile change is proved by build and run: the image is built before and after the change,
both run with their own entrypoint and command (network none, a bounded wait, the HEALTHCHECK when
there is one), and the change is kept only if the new container still starts and stays up (or exits
the same way), is still healthy, runs as the uid its USER names, listens on the same ports, and logs
no denied write or action (Permission denied, Read-only file system, Operation not permitted) that
the original did not. Otherwise the file is restored and the report says why, with the container's
last log lines, and the next of its alternatives is tried (the USER fix that also gives the app its
folder, set-user-own-folder, after the plain one is put back). A change that cannot be proven is not
kept either, nor are its alternatives tried: the original does not build (a Dockerfile that only
BuildKit builds, with RUN --mount or a here-document, or whose FROM needs a build argument, among
them: the proof builds with the classic builder and no --build-arg), or it exits with an error here
without what it gets at run time. The image is built from where the repository builds it (a CI build
line, a compose file's build:, a Bake file, devcontainer.json, or the folder its COPY lines name, as
\`docker build -f docker/Dockerfile .\`), else from the Dockerfile's own folder. A Dockerfile a
compose service builds (a file compose reads alone) is built as compose builds it (the stage its
target: names, its build args:) and run as that service: with its command, environment and user,
after what it depends on, as a compose change is; the image alone when that cannot run here, when
the service or what it depends on turns Docker's defaults off (privileged, the Docker socket, the
host's namespaces), which a Dockerfile's proof does not run, when it builds an earlier stage the
change leaves as it was, or when the change is to a USER the service replaces with its own user:,
or a HEALTHCHECK it replaces with its own healthcheck: (or turns off). The proof sees
what happens in the first seconds (3, or --verify-wait SECONDS for an app that writes its files
later), and an app slow to start is given until the original listens on a port its image exposes (at
most 20 s more), the changed one until it listens on the same: a write the app makes only when asked
is not seen. A run the previous proof already saw (the service or image as the fix before left it)
is not run again, and a service's image built from its build: is built once for the run and removed
when the run ends.

A compose change is proved the same way for each service it makes run differently: the service's
image (its image: when the daemon has it, else built from its build:, with its target: and args:;
never pulled) runs as it was and as changed, with its command, entrypoint, environment, env_file,
user, read_only, tmpfs, capabilities, security_opt and healthcheck, and its secrets and configs
read from files, bound read-only where compose mounts them (/run/secrets/NAME). What it depends on (depends_on, links) starts first, as
the file has it, waited for as compose waits (healthy, or done), on a network of the proof's own
with no way out, where each is reached by its service name; a service that depends on nothing runs
with no network. A host folder or named volume stands in as an empty volume, so the runs never write
your data (a file or a folder mounted read-only is bound as it is); ports, networks, sockets (the
Docker socket among them) and devices are left out, so a change only to those (a socket mount
taken out, network_mode: host) would run the same twice: it is unproven, not kept. A service runs
with its own settings, privileged ones too, as docker compose up would run it: verify a compose
file you would run. A file compose reads with others (compose.override.yaml, COMPOSE_FILE) is proven as compose
runs it, each service merged with what those files set; a fix that a file read after it undoes (read_only: false set there) is advice naming that file,
never written. --yes then applies each service's fix on its own, so only the one that breaks is put
back. Host changes are applied without it.

Examples:
  docker-harden fix --dry-run
  docker-harden fix services/ --yes
  docker-harden fix --file Dockerfile --dry-run
  docker-harden fix --file Dockerfile --only non-root-user --yes
  docker-harden fix --file Dockerfile --only non-root-user --yes --verify
  docker-harden fix --compose compose.yaml --yes --include-review --verify
  sudo docker-harden fix --host --only scan-host-config:live-restore --yes
  sudo docker-harden fix --host --yes --restart-command "systemctl restart docker"
  sudo docker-harden fix --host --yes --include-review
  docker-harden fix --sandbox ./docker-harden-learn --only slim-base-image --yes
`,
  undo: `Usage: docker-harden undo [--list | ID | --run] [--yes] [--force] [--state-dir DIR | --sandbox DIR]

Restores the backup of an applied change, newest first: without an ID the newest change still in
place; with an ID that change, once the newer changes to the same file are undone. Refuses, and
changes nothing, when the file was edited since the change was applied (its hash differs); --force
restores the backup anyway. A file the change created is removed, with the folders docker-harden
made for it when they are empty. For daemon.json, dockerd is restarted and health-checked; if it
does not start with the old file, the newer one is put back. --list shows every change, newest
first, with the run that made it. --run takes back every change of the newest run (one fix command,
or one wizard session) still in place, newest first, asked once; it stops at the first it cannot
undo, saying which stay. Run it again for the run before.

Examples:
  docker-harden undo --list
  docker-harden undo --yes
  docker-harden undo --run --yes
  docker-harden undo lx3k2a-9f8e7d --yes
  docker-harden undo --yes --force
  docker-harden undo --sandbox ./docker-harden-learn --list
`,
  steps: `Usage: docker-harden steps [--json]

Lists the steps in the order of the recommendations, with id, scope (host, dockerfile or
both) and title. The ids are what --only takes.

Examples:
  docker-harden steps
  docker-harden steps --json
`,
  learn: `Usage: docker-harden learn [--sandbox DIR] [--only IDS]

Copies example files with real problems (a daemon.json, a Dockerfile, a compose file) and a
recorded Ubuntu server running Docker into a fresh sandbox directory, and walks every
step on them with the fuller explanations. Host steps read the recorded server and the sandbox
daemon.json, and say what would happen on a real server: a "restart" makes the recorded daemon
re-read the sandbox daemon.json (refusing what dockerd would refuse), commands are shown, never
run, and a fix to a host file is written to the sandbox's copy under host/. No Docker daemon is
needed and nothing outside the sandbox is read or written.

The sandbox is a new directory under the system temp directory (TMPDIR), named
docker-harden-learn-<random>, unless --sandbox names one: a new or empty DIR is filled, a sandbox
made before is resumed, and a directory holding other files is refused. Progress and backups are
kept in DIR/.docker-harden.

Without a terminal, \`learn --sandbox DIR\` makes the sandbox and prints the batch commands that
walk it: check, fix, undo and report all take --sandbox DIR.

Examples:
  docker-harden learn
  docker-harden learn --sandbox ./docker-harden-learn
  docker-harden check --sandbox ./docker-harden-learn
  docker-harden fix --sandbox ./docker-harden-learn --only non-root-user --yes
`,
  report: `Usage: docker-harden report [targets] [--format text|md|json|sarif] [--state-dir DIR | --sandbox DIR]
       docker-harden report --merge A.json B.json ... [--format text|md|json]

A fresh check of the targets with the decisions kept in the profile (done, skipped and why, left
for later) and the changes applied, each with the command that undoes it. Without targets, the
targets the profile knows are checked again.

Formats: text (the default), md (Markdown, for a ticket or a pull request), json (the check
document with decisions and applied changes), sarif (SARIF 2.1.0 for code scanning: file
findings carry the path relative to the working directory, so run it from the repository root).
--json and --sarif are short for --format json and --format sarif.

--merge reads the results of \`docker-harden check --host --json\` from many hosts (one file per
host, named after it: web1.json) and prints one table host x step with the totals per host, per
step and overall.

Exit status: 0 when the report was written, whatever it found; 2 when it could not be.

Examples:
  docker-harden report --merge results/*.json --format md > fleet.md
  docker-harden report --file Dockerfile
  docker-harden report --file Dockerfile --format md > hardening.md
  docker-harden report --file Dockerfile --format sarif > docker-harden.sarif
  sudo docker-harden report --host --json
`,
  export: `Usage: docker-harden export ansible [--state-dir DIR] [--daemon-config FILE] [--out DIR]

Turns the host decisions in the profile (daemon.json settings applied here, steps skipped with
their reasons) into an Ansible playbook in --out (default ./docker-harden-ansible, which must be
new or empty): playbook.yml, README.md, inventory.example.yml and library/ with two modules. The
control node needs ansible-core only; the servers need Python 3. Per host the playbook refuses a
decided key that dockerd also gets as a flag, writes with a backup, reloads or restarts dockerd,
checks the settings are live and rolls back on failure. Then, with your servers listed in
inventory.yml: ansible-playbook -i inventory.yml ./rollout/playbook.yml --check --diff, and again
without --check. See docs/many-servers.md.

On another machine than the deciding host, pass its state folder with --state-dir and a copy of its
daemon.json with --daemon-config: what the last change wrote is read from it (by the hash the
profile recorded), the earlier texts from the state folder's backups.

Exit status: 0 when the folder was written; 2 when there is nothing to export or it could not be.

Examples:
  sudo docker-harden export ansible --out ./rollout
  docker-harden export ansible --state-dir ./state-from-web1 --daemon-config ./web1-daemon.json --out ./rollout
`,
  plugin: `Usage: docker-harden plugin install [--force]
       docker-harden plugin uninstall

install links this docker-harden into the docker client's plugin directory
($DOCKER_CONFIG/cli-plugins, by default ~/.docker/cli-plugins) as docker-harden, so that
\`docker harden ...\` runs it: \`docker harden check --file Dockerfile\`. A file there that is not
a link docker-harden made is left alone unless --force. uninstall removes the link.

Examples:
  docker-harden plugin install
  docker harden --help
  DOCKER_CONFIG=/etc/docker-client docker-harden plugin install
`,
};
