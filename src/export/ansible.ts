/**
 * Profile -> Ansible: the daemon.json settings decided on one host (set or removed), the steps
 * skipped with their reasons, and the files of a playbook that rolls those settings out to many
 * servers with the same safety as on one host. Pure: the caller reads the profile and the texts
 * daemon.json held before and after each change (backups and the current file, by hash).
 */
import { Document, type Scalar } from 'yaml';
import type { AppliedRecord, Profile } from '../core/profile.js';
import { UserError } from '../core/errors.js';
import { reloadable } from '../host/daemon-schema.js';
import { BOOLEAN_FLAGS, FLAG_TO_KEY, LONG_ALIASES, NO_KEY_FLAGS, SHORT_FLAGS, configKeyFlag } from '../host/flags.js';
import { DAEMON_JSON_MODULE, LIVE_MODULE } from './modules.js';

export interface DecidedSetting {
  key: string;
  /** The value to set; absent when the key is to be removed. With `merge`, the entries to set in it. */
  value?: unknown;
  remove: boolean;
  /**
   * An object key (`log-opts`, `default-ulimits`) is merged entry by entry, as it was decided: each
   * server keeps its own other entries (a `tag` of its own), and `remove` lists the entries to drop.
   */
  merge?: { remove: string[] };
  step: string;
  proposal: string;
  title?: string;
}

export interface HostDecisions {
  /** The daemon.json file(s) the decisions were applied to on the deciding host. */
  decidedOn: string[];
  settings: DecidedSetting[];
  skipped: { step: string; reason: string }[];
  /** Host changes that are not daemon.json keys (a drop-in, a command): listed, not rolled out. */
  notCarried: { step: string; proposal: string; what: string }[];
}

/** The text of a file by the sha256 it had; null means the file did not exist. */
export type TextsByHash = ReadonlyMap<string, string>;

function parseObject(text: string | null): Record<string, unknown> | null {
  if (text === null || text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    return isPlainObject(value) ? value : null;
  } catch {
    return null;
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
  return v;
}

/**
 * The host decisions of a profile. Each applied daemon.json change is replayed from the text before
 * (its backup) to the text after (the next change's backup or the current file, matched by hash),
 * so the keys it set or removed are exactly what was written and verified on the deciding host.
 */
/** A profile key of a host target: `host`, or `host@<daemon ID>` since decisions are kept per daemon. */
export function isHostKey(key: string): boolean {
  return key === 'host' || key.startsWith('host@');
}

export function hostDecisions(profile: Profile, texts: TextsByHash, profileFile: string): HostDecisions {
  const host = Object.assign({}, ...Object.entries(profile.targets).filter(([k]) => isHostKey(k)).map(([, v]) => v)) as NonNullable<Profile['targets'][string]>;
  const records = profile.applied.filter((r) => isHostKey(r.target) && !r.undone);
  if (Object.keys(host).length === 0 && records.length === 0) {
    throw new UserError(
      'the profile has no host decisions to export',
      'Decide on one server first: run `docker-harden` (the wizard) or `docker-harden fix --host` there, then export with the same --state-dir.',
      profileFile,
    );
  }
  const byKey = new Map<string, DecidedSetting>();
  const decidedOn = new Set<string>();
  const notCarried: HostDecisions['notCarried'] = [];
  for (const record of records) {
    if (record.files.length === 0) {
      notCarried.push({ step: record.step, proposal: record.proposal, what: describeCommands(record) });
      continue;
    }
    for (const file of record.files) {
      const before = file.beforeHash === null ? null : texts.get(file.beforeHash);
      const after = texts.get(file.afterHash);
      if (before === undefined || after === undefined) {
        throw new UserError(
          `the change "${record.step}:${record.proposal}" to ${file.path} cannot be replayed: ${after === undefined ? `${file.path} here does not hold what docker-harden wrote (it was changed since, or this state folder comes from another machine)` : 'its backup is missing'}`,
          after === undefined
            ? `Export on the deciding host; or, with its state folder copied here, pass a copy of its daemon.json as --daemon-config FILE; or run \`docker-harden fix --host\` there again so the profile holds the settings as they are.`
            : 'Run `docker-harden fix --host` (or the wizard) again on the deciding host so the profile holds the settings as they are, then export.',
          profileFile,
        );
      }
      const was = parseObject(before);
      const now = parseObject(after);
      if (!was || !now) {
        notCarried.push({ step: record.step, proposal: record.proposal, what: `changed ${file.path}` });
        continue;
      }
      decidedOn.add(file.path);
      for (const key of new Set([...Object.keys(was), ...Object.keys(now)])) {
        const by = { step: record.step, proposal: record.proposal, ...(record.title ? { title: record.title } : {}) };
        let setting: DecidedSetting | null = null;
        if (key in now && isPlainObject(now[key]) && (!(key in was) || isPlainObject(was[key]))) {
          const earlier = byKey.get(key);
          setting = mergedSetting(key, isPlainObject(was[key]) ? was[key] : {}, now[key], earlier?.merge ? earlier : undefined, by);
        } else if (key in now && (!(key in was) || !same(was[key], now[key]))) {
          setting = { key, value: now[key], remove: false, ...by };
        } else if (!(key in now) && key in was) {
          setting = { key, remove: true, ...by };
        }
        if (!setting) continue;
        // The latest change of a key counts, listed in the order it was made.
        byKey.delete(key);
        byKey.set(key, setting);
      }
    }
  }
  const skipped = Object.entries(host)
    .filter(([, d]) => d?.status === 'skipped')
    .map(([step, d]) => ({ step, reason: d!.reason ?? '' }));
  const settings = [...byKey.values()];
  if (settings.length === 0) {
    throw new UserError(
      'none of the host decisions in the profile sets or removes a daemon.json key, so there is nothing to roll out',
      `Host decisions found: ${Object.keys(host).join(', ') || 'none'}. Apply a daemon setting on one server first (\`docker-harden fix --host\`), then export.`,
      profileFile,
    );
  }
  return { decidedOn: [...decidedOn], settings, skipped, notCarried };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * An object key decided entry by entry: what a change set or dropped in it (from `before` to
 * `after`), on top of what earlier changes of the same key set or dropped; null when nothing changed.
 */
function mergedSetting(key: string, before: Record<string, unknown>, after: Record<string, unknown>, earlier: DecidedSetting | undefined, by: Pick<DecidedSetting, 'step' | 'proposal' | 'title'>): DecidedSetting | null {
  const entries: Record<string, unknown> = { ...((earlier?.value as Record<string, unknown> | undefined) ?? {}) };
  const dropped = new Set(earlier?.merge?.remove ?? []);
  for (const [k, v] of Object.entries(after)) {
    if (k in before && same(before[k], v)) continue;
    entries[k] = v;
    dropped.delete(k);
  }
  for (const k of Object.keys(before)) {
    if (k in after) continue;
    delete entries[k];
    dropped.add(k);
  }
  if (Object.keys(entries).length === 0 && dropped.size === 0) return null;
  return { key, value: entries, remove: false, merge: { remove: [...dropped] }, ...by };
}

/**
 * A value from a daemon.json as Ansible must see it: every string tagged `!unsafe`, so `{{ }}` in it
 * (Docker's own log tag templates, or text put there to run on the control node) is never a template.
 */
function unsafeStrings(doc: Document, value: unknown): unknown {
  if (typeof value === 'string') {
    const node = doc.createNode(value) as Scalar;
    node.tag = '!unsafe';
    return node;
  }
  if (Array.isArray(value)) return value.map((v) => unsafeStrings(doc, v));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unsafeStrings(doc, v)]));
  return value;
}

function describeCommands(record: AppliedRecord): string {
  return record.commands.length ? `ran ${record.commands.map((c) => c.join(' ')).join('; ')}` : 'recorded a choice';
}

/**
 * How a decided key shows in `docker info`, mirroring the live readers of src/host/daemon-view.ts.
 * Keys not listed cannot be seen there; the health check then proves dockerd answers (and, after a
 * restart, that it is a new process).
 */
const LIVE_FIELDS: Record<string, { field: string; fromConfig(v: unknown): unknown } | { option: string; since?: string }> = {
  'live-restore': { field: 'LiveRestoreEnabled', fromConfig: Boolean },
  debug: { field: 'Debug', fromConfig: Boolean },
  experimental: { field: 'ExperimentalBuild', fromConfig: Boolean },
  'log-driver': { field: 'LoggingDriver', fromConfig: (v) => v ?? 'json-file' },
  'default-runtime': { field: 'DefaultRuntime', fromConfig: (v) => v ?? 'runc' },
  // Engines before 23.0 do not list no-new-privileges in SecurityOptions: absence proves nothing there.
  'no-new-privileges': { option: 'no-new-privileges', since: '23.0' },
  'userns-remap': { option: 'userns' },
};

export type LiveExpectation = { kind: 'field'; field: string; value: unknown } | { kind: 'option'; option: string; value: boolean; since?: string };

export function liveExpectations(settings: DecidedSetting[]): Record<string, LiveExpectation> {
  const out: Record<string, LiveExpectation> = {};
  for (const s of settings) {
    const live = LIVE_FIELDS[s.key];
    if (!live) continue;
    if ('option' in live) out[s.key] = { kind: 'option', option: live.option, value: s.remove ? false : Boolean(s.value), ...(live.since ? { since: live.since } : {}) };
    else out[s.key] = { kind: 'field', field: live.field, value: live.fromConfig(s.remove ? undefined : s.value) };
  }
  return out;
}

/** What the module needs to read dockerd's flags as docker-harden does (src/host/flags.ts). */
export function flagKnowledge(): { short: Record<string, string>; aliases: Record<string, string>; boolean: string[]; keys: Record<string, string>; no_key: string[] } {
  return {
    short: { ...SHORT_FLAGS },
    aliases: { ...LONG_ALIASES },
    boolean: [...BOOLEAN_FLAGS].sort(),
    keys: { ...FLAG_TO_KEY },
    no_key: [...NO_KEY_FLAGS].sort(),
  };
}

/** A decided setting in one line: `key = value`, `remove key`, or the entries set in and removed from an object key. */
function settingText(s: DecidedSetting): string {
  if (s.remove) return `remove ${s.key}`;
  if (!s.merge) return `${s.key} = ${oneLine(JSON.stringify(s.value))}`;
  return `${s.key}: set ${oneLine(JSON.stringify(s.value))}${s.merge.remove.length ? `, remove ${oneLine(s.merge.remove.join(', '))}` : ''} (its other entries stay)`;
}

/** Make a string from a profile safe for one line of a YAML comment or Markdown. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

export interface ExportMeta {
  version: string;
  profileFile: string;
  generatedAt: string;
}

export interface ExportedFile {
  path: string;
  content: string;
  mode: number;
}

const MODULE_ARGS = {
  path: "{{ docker_harden_daemon_json | default('/etc/docker/daemon.json') }}",
  pidfile: "{{ docker_harden_dockerd_pidfile | default('/var/run/docker.pid') }}",
  set: '{{ docker_harden_set }}',
  merge: '{{ docker_harden_merge }}',
  remove: '{{ docker_harden_remove }}',
  knowledge: '{{ docker_harden_flag_knowledge }}',
  reloadable: '{{ docker_harden_reloadable }}',
};
const DOCKER_HOST = "{{ docker_harden_docker_host | default('unix:///var/run/docker.sock') }}";
const PIDFILE = MODULE_ARGS.pidfile;
const TIMEOUT = '{{ docker_harden_health_timeout | default(60) | int }}';

function restartTasks(when: string): Record<string, unknown>[] {
  return [
    {
      name: 'Restart dockerd with docker_harden_restart_command',
      'ansible.builtin.command': {
        argv: '{{ docker_harden_restart_command if docker_harden_restart_command is not string else omit }}',
        cmd: '{{ docker_harden_restart_command if docker_harden_restart_command is string else omit }}',
      },
      when: [when, 'docker_harden_restart_command is defined'],
    },
    {
      name: 'Restart the docker service',
      'ansible.builtin.service': { name: "{{ docker_harden_service | default('docker') }}", state: 'restarted' },
      when: [when, 'docker_harden_restart_command is not defined'],
    },
  ];
}

export function renderPlaybook(decisions: HostDecisions, meta: ExportMeta): string {
  const set: Record<string, unknown> = {};
  const merge: Record<string, { set: unknown; remove: string[] }> = {};
  const remove: string[] = [];
  for (const s of decisions.settings) {
    if (s.remove) remove.push(s.key);
    else if (s.merge) merge[s.key] = { set: s.value, remove: s.merge.remove };
    else set[s.key] = s.value;
  }
  const doc = new Document();
  const keys = decisions.settings.map((s) => s.key);
  const play = {
    name: 'docker-harden: roll out the daemon settings decided on one host',
    hosts: "{{ docker_harden_hosts | default('docker_hosts') }}",
    gather_facts: false,
    serial: "{{ docker_harden_serial | default('25%') }}",
    max_fail_percentage: '{{ docker_harden_max_fail_percentage | default(25) | int }}',
    vars: {
      docker_harden_set: unsafeStrings(doc, set),
      docker_harden_merge: unsafeStrings(doc, merge),
      docker_harden_remove: remove,
      docker_harden_reloadable: keys.filter(reloadable),
      docker_harden_live: unsafeStrings(doc, liveExpectations(decisions.settings)),
      docker_harden_flag_knowledge: flagKnowledge(),
    },
    tasks: [
      {
        name: "Read daemon.json and dockerd's command line; stop this host if a decided key is also a dockerd flag",
        docker_harden_daemon_json: MODULE_ARGS,
        check_mode: true,
        diff: false,
        changed_when: false,
        register: 'docker_harden_plan',
      },
      {
        name: 'Apply the decided settings',
        when: "docker_harden_plan.action != 'none'",
        block: [
          {
            name: 'Write daemon.json (the previous file is kept as a backup beside it)',
            docker_harden_daemon_json: MODULE_ARGS,
            register: 'docker_harden_write',
          },
          {
            name: 'Reload dockerd (SIGHUP): every changed key is reloadable',
            'ansible.builtin.command': { argv: ['kill', '-HUP', '{{ docker_harden_write.pid }}'] },
            when: ['not ansible_check_mode', "docker_harden_write.action == 'reload'"],
          },
          ...restartTasks("not ansible_check_mode and docker_harden_write.action == 'restart'"),
          {
            name: 'Check dockerd answers and the decided settings are live',
            docker_harden_live: {
              docker_host: DOCKER_HOST,
              pidfile: PIDFILE,
              expect: '{{ docker_harden_live }}',
              previous_pid: "{{ docker_harden_write.pid if docker_harden_write.action == 'restart' else omit }}",
              timeout: TIMEOUT,
            },
            when: 'not ansible_check_mode',
          },
        ],
        rescue: [
          {
            name: 'Put the previous daemon.json back',
            docker_harden_daemon_json: {
              path: MODULE_ARGS.path,
              restore_from: '{{ docker_harden_write.backup | default(omit) }}',
              restore_absent: '{{ docker_harden_write.created | default(false) }}',
            },
            when: 'docker_harden_write is defined and docker_harden_write.changed | default(false)',
          },
          ...restartTasks('docker_harden_write is defined and docker_harden_write.changed | default(false)'),
          {
            name: 'Check dockerd answers again with the previous settings',
            docker_harden_live: { docker_host: DOCKER_HOST, pidfile: PIDFILE, expect: {}, timeout: TIMEOUT },
          },
          {
            name: 'Report the rollback',
            'ansible.builtin.fail': {
              msg: "docker-harden rolled this host back: {{ ansible_failed_result.msg | default('the change failed') }}. The previous daemon.json is in place and dockerd answers.",
            },
          },
        ],
      },
    ],
  };
  const lines = [
    `# Written by docker-harden ${meta.version} export ansible, ${meta.generatedAt}, from ${oneLine(meta.profileFile)}.`,
    '# Needs ansible-core on the control node and Python 3 on the servers (the modules are in library/).',
    '# Run: ansible-playbook -i inventory.yml playbook.yml --check --diff   then without --check.',
    '#',
    '# Decided settings:',
    ...decisions.settings.map((s) => `#   ${settingText(s)}  (${s.step}:${s.proposal}${reloadable(s.key) ? ', reload' : ', restart'})`),
    ...(decisions.skipped.length ? ['# Skipped on the deciding host (not rolled out):', ...decisions.skipped.map((s) => `#   ${s.step}: ${oneLine(s.reason)}`)] : []),
    ...(decisions.notCarried.length
      ? ['# Applied on the deciding host but not daemon.json settings (not rolled out):', ...decisions.notCarried.map((n) => `#   ${n.step}:${n.proposal}: ${oneLine(n.what)}`)]
      : []),
    '',
  ];
  doc.contents = doc.createNode([play], { aliasDuplicateObjects: false });
  return lines.join('\n') + doc.toString({ lineWidth: 0 });
}

export function renderInventory(): string {
  return `# Example inventory: copy to inventory.yml and list your servers.
docker_hosts:
  hosts:
    web1.example.com:
    web2.example.com:
      # Per-host settings, all optional (the defaults are shown):
      docker_harden_daemon_json: /etc/docker/daemon.json
      docker_harden_docker_host: unix:///var/run/docker.sock
      docker_harden_dockerd_pidfile: /var/run/docker.pid
      # Without a restart command the "docker" service is restarted (docker_harden_service).
      docker_harden_restart_command: [systemctl, restart, docker]
      docker_harden_health_timeout: 60
  vars:
    ansible_user: root
    ansible_python_interpreter: /usr/bin/python3
`;
}

export function renderReadme(decisions: HostDecisions, meta: ExportMeta): string {
  const rows = decisions.settings.map(
    (s) => `| \`${oneLine(s.key)}\` | ${s.remove ? 'removed' : `${s.merge ? 'entries set: ' : ''}\`${oneLine(JSON.stringify(s.value)).replace(/\|/g, '\\|')}\`${s.merge?.remove.length ? `, entries removed: ${s.merge.remove.map((k) => `\`${oneLine(k)}\``).join(', ')}` : ''}`} | ${reloadable(s.key) ? 'reload (SIGHUP)' : 'restart'} | ${oneLine(`${s.step}:${s.proposal}`)} |`,
  );
  const flagsNote = decisions.settings.map((s) => `--${configKeyFlag(s.key)}`).join(', ');
  return `# docker-harden rollout

Written by docker-harden ${meta.version} (\`export ansible\`) on ${meta.generatedAt} from ${oneLine(meta.profileFile)},
with the settings decided in ${decisions.decidedOn.map(oneLine).join(', ')} on that host.
It carries the daemon settings decided on one host to many servers. The control node needs
ansible-core only; the servers need Python 3 (no Node, no docker-harden).

## What it changes

| key | value | dockerd | decided by |
|---|---|---|---|
${rows.join('\n')}

${decisions.skipped.length ? `Skipped on the deciding host, with the reasons given there (not rolled out):\n\n${decisions.skipped.map((s) => `- ${s.step}: ${oneLine(s.reason)}`).join('\n')}\n\n` : ''}${
    decisions.notCarried.length
      ? `Applied on the deciding host but not daemon.json settings (do these by hand where they apply):\n\n${decisions.notCarried.map((n) => `- ${n.step}:${n.proposal}: ${oneLine(n.what)}`).join('\n')}\n\n`
      : ''
  }## Run it

    cp inventory.example.yml inventory.yml      # list your servers
    ansible-playbook -i inventory.yml playbook.yml --check --diff   # per-host diff, nothing written
    ansible-playbook -i inventory.yml playbook.yml

Per host, the playbook:

1. reads daemon.json (\`docker_harden_daemon_json\`, default /etc/docker/daemon.json) and the
   running dockerd's command line (through \`docker_harden_dockerd_pidfile\`, default
   /var/run/docker.pid), and stops that host, before writing anything, when the file is not valid
   JSON, when dockerd reads another file (--config-file), or when a decided key is also given to
   dockerd as a flag (${flagsNote}): dockerd would refuse to start with both;
2. sets and removes exactly the keys above (an object key such as log-opts entry by entry), keeping every other key and entry; \`--check --diff\` shows the
   change without writing;
3. keeps the previous file as \`daemon.json.docker-harden-<time>.bak\` (mode 0600) beside it and
   writes the new one atomically, keeping its mode, owner and extended attributes;
4. reloads dockerd (SIGHUP) when every changed key is reloadable, else restarts it
   (\`docker_harden_restart_command\`, a list or a string, or the \`docker_harden_service\` service,
   default \`docker\`);
5. waits (\`docker_harden_health_timeout\`, default 60 s) until dockerd answers on
   \`docker_harden_docker_host\` (default unix:///var/run/docker.sock), runs as a new process after a
   restart, and shows the decided settings in \`docker info\` where docker info shows them;
6. on any failure puts the backup back, restarts dockerd again, checks it answers and marks the
   host failed, so you see it in the recap.

Servers go in batches (\`-e docker_harden_serial=25%\`, the default) and the run stops when more
than \`docker_harden_max_fail_percentage\` (default 25) of a batch fails. A second run reports
nothing changed. \`docker_harden_hosts\` (default \`docker_hosts\`) picks the inventory group.

## Afterwards

Collect \`docker-harden check --host --json\` from the servers where docker-harden is installed,
one file per host named after it, and merge them: \`docker-harden report --merge results/*.json\`.
`;
}

/** Every file of the export, relative to the output folder. */
export function exportAnsible(decisions: HostDecisions, meta: ExportMeta): ExportedFile[] {
  return [
    { path: 'playbook.yml', content: renderPlaybook(decisions, meta), mode: 0o644 },
    { path: 'README.md', content: renderReadme(decisions, meta), mode: 0o644 },
    { path: 'inventory.example.yml', content: renderInventory(), mode: 0o644 },
    { path: 'library/docker_harden_daemon_json.py', content: DAEMON_JSON_MODULE, mode: 0o755 },
    { path: 'library/docker_harden_live.py', content: LIVE_MODULE, mode: 0o755 },
  ];
}
