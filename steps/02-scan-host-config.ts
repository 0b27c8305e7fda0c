/**
 * Step 2: the CIS Docker Benchmark's daemon checks (section 2), the ownership and modes of
 * Docker's files (section 3) and audit rules (section 1.1), judged from the effective
 * configuration: daemon.json, dockerd's flags (command line and unit) and live `docker info`.
 * The daemon checks are rows in lib/cis-daemon.ts, the file checks in lib/cis-files.ts; this file
 * scans once in `check` and turns the verdicts into proposals in `propose`.
 */
import { defineStep, RESTART_STOPS_CONTAINERS, type CodeInfo, statusOf, type Context, type Finding, type Proposal } from '../src/core/step.js';
import { reloadable } from '../src/host/daemon-schema.js';
import { daemonFlagConflicts, describeConflict, locateDaemonKey, type FlagFileConflict } from '../src/host/daemon-validate.js';
import { editDaemonConfig } from '../src/host/daemon-edit.js';
import { describeSource, effectiveDaemonSetting, findingLocation, viewFlags, type EffectiveSetting } from '../src/host/daemon-view.js';
import { DAEMON_CODES, judge, orderByImpact, type Judge, type Verdict } from './lib/cis-daemon.js';
import { AUDIT_CODE, AUDIT_RULES_FILE, FILE_CODES, auditState, permissionIssues, type PermIssue } from './lib/cis-files.js';

export { orderByImpact, AUDIT_RULES_FILE };

/** What `check` read and judged; `propose` builds its changes from it without reading again. */
interface Scan {
  verdicts: Verdict[];
  /** daemon.json keys also given as dockerd flags. */
  conflicts: FlagFileConflict[];
  /** docker-bench-security's path, when installed. */
  bench: string | null;
  perms: PermIssue[];
  permChecked: number;
  audit: Awaited<ReturnType<typeof auditState>>;
  judge: Judge;
}

async function scan(ctx: Context): Promise<Scan> {
  const { tcpEndpoints } = await import('../src/host/endpoints.js');
  // An invalid daemon.json throws a UserError with its line and column: the step reports an error.
  const view = await ctx.daemon();
  const cache = new Map<string, EffectiveSetting>();
  const judgeCtx: Judge = {
    view,
    info: view.info,
    s: (key) => {
      let hit = cache.get(key);
      if (!hit) cache.set(key, (hit = effectiveDaemonSetting(view, key)));
      return hit;
    },
    tcp: tcpEndpoints(view),
    seccompProfile: null,
  };
  const profile = judgeCtx.s('seccomp-profile').value;
  if (typeof profile === 'string' && profile.startsWith('/')) judgeCtx.seccompProfile = await ctx.probe.readText(profile);
  const verdicts = judge(judgeCtx);
  const { issues, checked } = await permissionIssues(ctx, judgeCtx);
  const audit = await auditState(ctx, judgeCtx);
  const conflicts = daemonFlagConflicts(viewFlags(view), view.config.value);
  return { verdicts, conflicts, bench: await benchPath(ctx), perms: issues, permChecked: checked, audit, judge: judgeCtx };
}

function notesFor(s: Scan): string[] {
  const counted = s.verdicts.filter((v) => v.status !== 'not-applicable');
  const passing = counted.filter((v) => v.status === 'pass').length;
  const fixable = counted.filter((v) => v.status !== 'pass' && v.fix).length;
  const notes = [
    `CIS daemon checks: ${passing} of ${counted.length} pass now; ${passing + fixable} of ${counted.length} would pass with every proposed change applied.`,
    ...s.verdicts.map((v) => `CIS ${v.cis} ${v.key}: ${v.status}${v.manual ? ` (${v.manual})` : ''}`),
    `File ownership and modes (CIS 3): ${s.permChecked - s.perms.length} of ${s.permChecked} files as expected.`,
  ];
  const view = s.judge.view;
  if (view.config.modifiedMs && view.process?.startedMs && view.config.modifiedMs > view.process.startedMs + 1000) {
    notes.push(`${view.config.path} was changed after dockerd started (${new Date(view.process.startedMs).toISOString()}): settings that need a restart are not live yet.`);
  }
  if (s.bench) notes.push(`docker-bench-security is installed (${s.bench}): run it to compare; note it misses TLS set in daemon.json, -H tcp:// flags, cgroup-parent in the file and log-level given as a flag, which are checked here.`);
  return notes;
}

async function benchPath(ctx: Context): Promise<string | null> {
  return (await ctx.probe.which('docker-bench-security')) ?? (await ctx.probe.which('docker-bench-security.sh'));
}

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  'DH-FLAG-FILE-CONFLICT': {
    title: 'A daemon.json key is also given as a dockerd flag',
    severity: 'critical',
    help: 'dockerd refuses to start (or reload) when a setting is given both ways. Remove one of them: the key from daemon.json or the flag where dockerd is started.',
  },
  'DH-MIRROR-HTTP': {
    title: 'A registry mirror is plain http://',
    severity: 'high',
    help: 'Images pulled through the mirror travel without TLS and can be swapped in transit. Use an https:// mirror.',
  },
  ...DAEMON_CODES,
  ...FILE_CODES,
  'CIS-1.1': AUDIT_CODE,
};

export default defineStep<Scan>({
  meta: {
    id: 'scan-host-config',
    order: 2,
    title: 'Scan the host configuration (CIS Docker Benchmark)',
    targets: ['host'],
    needsDaemon: true,
    summary: 'The CIS Benchmark\'s daemon settings, file permissions and audit rules, judged from daemon.json, dockerd\'s flags and the live daemon.',
    explain: [
      'The CIS Docker Benchmark lists daemon settings that reduce what a compromised container, a mistaken image or an exposed API can do: no traffic between unrelated containers, no registries without TLS, TLS on any TCP endpoint, bounded logs, no privilege gain through setuid binaries, seccomp on, containers that survive a daemon restart, and Docker\'s files owned by root with tight modes.',
      'Each setting can come from daemon.json, from a flag on dockerd\'s command line or in its systemd unit, or from dockerd\'s default. This step reads all of them and what the running daemon reports, so a value set in the file but not yet live (dockerd not restarted) is reported as such, and each finding names where the setting lives.',
      'Each fix is its own choice, with what it may break: "icc": false cuts direct traffic between containers on the default bridge; live-restore cannot be used with swarm; "userland-proxy": false relies on iptables; log rotation applies only to containers created afterwards. A setting given as a flag in the unit is changed in a systemd drop-in, never duplicated into daemon.json (dockerd would refuse to start). Applying restarts (or reloads) dockerd, waits for it to answer, and puts the old file back if it does not.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'CIS Docker Benchmark', url: 'https://www.cisecurity.org/benchmark/docker' },
      { title: 'docker-bench-security', url: 'https://github.com/docker/docker-bench-security' },
      { title: 'dockerd reference: daemon configuration file', url: 'https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file' },
      { title: 'Configure logging drivers', url: 'https://docs.docker.com/engine/logging/configure/' },
      { title: 'Live restore', url: 'https://docs.docker.com/engine/daemon/live-restore/' },
    ],
  },

  async check(ctx) {
    const s = await scan(ctx);
    const findings: Finding[] = [];
    for (const v of s.verdicts) {
      if (!v.finding) continue;
      let message = v.finding.message;
      if (v.manual && !v.fix) message += ` To fix: ${v.manual}.`;
      // A flag on a command line that no service file sets: say so where the finding is.
      const setting = v.fix ? s.judge.s(v.fix.key) : null;
      if (setting && setting.cmdline.length > 0 && setting.unit.length === 0) {
        message += ` It is given on dockerd's command line (pid ${s.judge.view.process?.pid}), which no service file docker-harden knows sets: change it where dockerd is started.`;
      }
      findings.push({ code: `CIS-${v.cis}`, ...v.finding, message, ...(v.fix ? { fixedBy: v.fix.id } : {}) });
    }
    // A key that is also a flag: dockerd starts today only because it has not re-read the file;
    // the next restart or reload fails.
    const config = s.judge.view.config;
    const { showFlag } = await import('../src/host/flags.js');
    for (const c of s.conflicts) {
      const flags = [...new Set(c.flags.map((f) => showFlag(f.flag)))].join(', ');
      const at = config.text ? locateDaemonKey(config.text, [c.key]) : null;
      findings.push({
        code: 'DH-FLAG-FILE-CONFLICT',
        message: `${describeConflict(c, config.path)}: the next restart or reload of dockerd fails. Fix: remove one of them, the "${c.key}" key from daemon.json or the ${flags} flag where dockerd is started. docker-harden changes nothing for "${c.key}" until then`,
        severity: 'critical',
        file: config.path,
        ...(at ? { line: at.line, column: at.column } : {}),
      });
    }
    // Mirrors are pulled from before Docker Hub: over http:// an image can be swapped in transit.
    const mirrors = s.judge.s('registry-mirrors');
    for (const m of Array.isArray(mirrors.value) ? (mirrors.value as unknown[]) : []) {
      if (typeof m !== 'string' || !/^http:\/\//i.test(m)) continue;
      findings.push({
        code: 'DH-MIRROR-HTTP',
        message: `registry mirror ${m} is plain http:// (${describeSource(mirrors)}): images pulled through it travel without TLS and can be swapped in transit; use an https:// mirror`,
        severity: 'high',
        ...findingLocation(mirrors),
      });
    }
    for (const p of s.perms) findings.push(p.finding);
    if (s.audit.missing.length > 0) {
      findings.push({
        code: 'CIS-1.1', message: `no audit rules watch ${s.audit.missing.join(', ')}: changes to Docker's binaries, configuration and data leave no trace in the audit log (CIS 1.1)${s.audit.auditd ? '' : '; auditd is not installed (apt-get install auditd)'}`,
        severity: 'info',
      });
    }
    return { status: statusOf(findings), findings, notes: notesFor(s), state: s };
  },

  async propose(ctx, result) {
    const s = result.state;
    if (!s) return [];
    const { serviceUnitChange } = await import('../src/host/dropin.js');
    const { flagConfigKey } = await import('../src/host/flags.js');
    const proposals: Proposal[] = [];
    const config = s.judge.view.config;
    const conflicted = new Set(s.conflicts.map((c) => c.key));
    for (const v of s.verdicts) {
      if (!v.fix) continue;
      const fix = v.fix;
      // Set both ways: the person decides which to keep; the finding says how.
      if (conflicted.has(fix.key)) continue;
      const setting = s.judge.s(fix.key);
      const byFlag = setting.cmdline.length > 0 || setting.unit.length > 0;
      const reload = fix.edits.every((e) => reloadable(String(e.path[0])));
      if (byFlag) {
        // The setting lives in the unit: change it there, never duplicate it into daemon.json.
        if (setting.unit.length === 0 || !s.judge.view.units) continue;
        const unit = await serviceUnitChange(
          s.judge.view.units,
          { remove: (f) => flagConfigKey(f.name) === fix.key, add: fix.flagArgs, reason: fix.title },
          (file) => ctx.probe.readText(file),
        );
        if (!unit) continue;
        proposals.push({
          id: fix.id,
          kind: 'change',
          risk: 'review',
          title: `${fix.title}, in the systemd unit`,
          description: `${fix.description} The setting is a flag in ${setting.unit[0]!.file}, so it is changed there (a drop-in) rather than in daemon.json.`,
          changes: [unit.change],
          commands: unit.commands,
          daemon: 'restart',
          warnings: fix.warnings.filter((w) => !w.startsWith('A reload')).concat(reload ? [RESTART_STOPS_CONTAINERS] : []),
        });
        continue;
      }
      if (fix.edits.length === 0) continue;
      const after = editDaemonConfig(config.text, fix.edits);
      if (after === config.text) continue;
      proposals.push({
        id: fix.id,
        kind: 'change',
        risk: reload && fix.safe ? 'safe' : 'review',
        title: fix.title,
        description: fix.description,
        changes: [{ path: config.path, before: config.text, after, json: fix.edits, ...(config.text === null ? { mode: 0o644 } : {}) }],
        commands: [],
        daemon: reload ? 'reload' : 'restart',
        warnings: fix.warnings,
      });
    }
    if (s.perms.length > 0) {
      proposals.push({
        id: 'permissions',
        kind: 'command',
        risk: s.perms.some((p) => /socket/.test(p.rule.what)) ? 'review' : 'safe',
        title: `Fix ownership and modes of ${s.perms.length} Docker file${s.perms.length === 1 ? '' : 's'}`,
        description: 'Only root can then change how Docker runs; the socket stays usable by the docker group.',
        changes: [],
        commands: s.perms.flatMap((p) => p.commands),
        warnings: ['The Docker socket is created again by dockerd at each start with its own mode and group; set -G and the socket unit if those differ.'],
      });
    }
    if (s.audit.missing.length > 0 && s.audit.rulesDir) {
      const existing = s.audit.existing;
      const lines = s.audit.missing.map((t) => `-w ${t} -k docker`);
      const after = existing === null ? `# Written by docker-harden: watch Docker's binaries, configuration and data (CIS 1.1).\n${lines.join('\n')}\n` : `${existing.replace(/\n?$/, '\n')}${lines.join('\n')}\n`;
      const augenrules = await ctx.probe.which('augenrules');
      proposals.push({
        id: 'audit-rules',
        kind: 'change',
        risk: 'safe',
        title: `Audit changes to Docker's files (${AUDIT_RULES_FILE})`,
        description: 'auditd records every write to these files and folders with the key "docker" (ausearch -k docker).',
        changes: [{ path: AUDIT_RULES_FILE, before: existing, after, mode: 0o640 }],
        commands: augenrules ? [{ title: 'Load the audit rules', argv: [augenrules, '--load'], run: true }] : [],
        warnings: [`Watching ${String(s.judge.info?.DockerRootDir ?? '/var/lib/docker')} logs every image and container write: on a busy host this grows the audit log quickly.`],
      });
    }
    const bench = s.bench;
    if (bench) {
      proposals.push({
        id: 'docker-bench',
        kind: 'command',
        risk: 'safe',
        title: 'Compare with docker-bench-security',
        description: 'docker-bench-security prints its own CIS summary; read it beside this one.',
        changes: [],
        commands: [{ title: 'Run docker-bench-security', argv: [bench, '-c', 'docker_daemon_configuration'], run: false }],
        warnings: [],
      });
    }
    return orderByImpact(proposals);
  },
});
