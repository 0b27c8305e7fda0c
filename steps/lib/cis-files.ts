/**
 * The CIS Docker Benchmark's file checks: ownership and modes of Docker's files (section 3) and
 * the audit rules that watch them (section 1.1).
 */
import path from 'node:path';
import type { CodeInfo, CommandAction, Context, Finding } from '../../src/core/step.js';
import type { Judge } from './cis-daemon.js';

/** Section 3's codes: one pair (ownership, mode) per file, in the benchmark's order. */
const FILE_CODE_ROWS: [ownerId: string, modeId: string, label: string, owner: string][] = [
  ['3.1', '3.2', 'docker.service', 'root:root'],
  ['3.3', '3.4', 'docker.socket', 'root:root'],
  ['3.5', '3.6', '/etc/docker', 'root:root'],
  ['3.9', '3.10', 'the TLS CA certificate', 'root:root'],
  ['3.11', '3.12', 'the TLS server certificate', 'root:root'],
  ['3.13', '3.14', 'the TLS server key', 'root:root'],
  ['3.15', '3.16', 'the Docker socket', 'root:docker'],
  ['3.17', '3.18', 'daemon.json', 'root:root'],
  ['3.19', '3.20', '/etc/default/docker', 'root:root'],
  ['3.21', '3.22', '/etc/sysconfig/docker', 'root:root'],
  ['3.23', '3.24', 'the containerd socket', 'root:root'],
];

export const FILE_CODES: Record<string, CodeInfo> = Object.fromEntries(
  FILE_CODE_ROWS.flatMap(([ownerId, modeId, label, owner]) => [
    [`CIS-${ownerId}`, { title: `${label}: ownership is not ${owner}`, severity: 'medium', help: `Whoever owns ${label} can change it. chown ${owner} it (the proposal does).` }],
    [`CIS-${modeId}`, { title: `${label}: permissions are too open`, severity: 'medium', help: `A mode wider than the benchmark allows lets other users read or change ${label}. chmod it (the proposal does).` }],
  ]),
);

export const AUDIT_CODE: CodeInfo = {
  title: "No audit rules watch Docker's files",
  severity: 'info',
  help: "Add auditd rules for dockerd, containerd, runc and Docker's configuration and data so changes leave a trace (the proposal writes /etc/audit/rules.d/docker.rules).",
};

export interface FileRule {
  path: string;
  what: string;
  /** CIS ids: ownership, then mode. */
  cis: `${string}/${string}`;
  maxMode: number;
  owner: 'root:root' | 'root:docker';
  exactMode?: number;
}

export interface PermIssue {
  rule: FileRule;
  finding: Finding;
  commands: CommandAction[];
}

async function fileRules(ctx: Context, j: Judge): Promise<FileRule[]> {
  const { UNIT_DIRS } = await import('../../src/host/units.js');
  const rules: FileRule[] = [];
  for (const unit of ['docker.service', 'docker.socket']) {
    for (const dir of UNIT_DIRS) {
      const file = path.join(dir, unit);
      if (await ctx.probe.stat(file)) {
        rules.push({ path: file, what: unit, cis: unit === 'docker.service' ? '3.1/3.2' : '3.3/3.4', maxMode: 0o644, owner: 'root:root' });
        break;
      }
    }
  }
  rules.push({ path: '/etc/docker', what: 'the /etc/docker folder', cis: '3.5/3.6', maxMode: 0o755, owner: 'root:root' });
  rules.push({ path: j.view.config.path, what: 'daemon.json', cis: '3.17/3.18', maxMode: 0o644, owner: 'root:root' });
  const { socketPathOf } = await import('../../src/host/endpoints.js');
  const socket = socketPathOf(ctx.host.endpoint);
  if (socket) rules.push({ path: socket, what: 'the Docker socket', cis: '3.15/3.16', maxMode: 0o660, owner: 'root:docker' });
  for (const [key, what, cis, maxMode] of [
    ['tlscacert', 'the TLS CA certificate', '3.9/3.10', 0o444],
    ['tlscert', 'the TLS server certificate', '3.11/3.12', 0o444],
    ['tlskey', 'the TLS server key', '3.13/3.14', 0o400],
  ] as const) {
    const s = j.s(key);
    if (typeof s.value === 'string' && s.value) rules.push({ path: s.value, what, cis, maxMode, owner: 'root:root', ...(key === 'tlskey' ? { exactMode: 0o400 } : {}) });
  }
  rules.push({ path: '/etc/default/docker', what: '/etc/default/docker', cis: '3.19/3.20', maxMode: 0o644, owner: 'root:root' });
  rules.push({ path: '/etc/sysconfig/docker', what: '/etc/sysconfig/docker', cis: '3.21/3.22', maxMode: 0o644, owner: 'root:root' });
  rules.push({ path: '/run/containerd/containerd.sock', what: 'the containerd socket', cis: '3.23/3.24', maxMode: 0o660, owner: 'root:root' });
  return rules;
}

const modeText = (m: number) => m.toString(8).padStart(4, '0');

export async function permissionIssues(ctx: Context, j: Judge): Promise<{ issues: PermIssue[]; checked: number }> {
  const issues: PermIssue[] = [];
  const dockerGid = await ctx.probe.groupId('docker');
  let checked = 0;
  for (const rule of await fileRules(ctx, j)) {
    const st = await ctx.probe.stat(rule.path);
    if (!st) continue;
    checked++;
    if (st.isSymlink) continue;
    const problems: string[] = [];
    const commands: CommandAction[] = [];
    const allowedGids = rule.owner === 'root:docker' ? [0, ...(dockerGid !== null ? [dockerGid] : [])] : [0];
    if (st.uid !== 0 || !allowedGids.includes(st.gid)) {
      problems.push(`owned by ${st.uid}:${st.gid}, not ${rule.owner}`);
      const owner = rule.owner === 'root:docker' && dockerGid === null ? 'root:root' : rule.owner;
      commands.push({ title: `Give ${rule.what} to ${owner}`, argv: ['chown', owner, '--', rule.path], run: true });
    }
    const extra = st.mode & ~rule.maxMode & 0o7777;
    if (extra !== 0 || (rule.exactMode !== undefined && st.mode !== rule.exactMode)) {
      const target = rule.exactMode ?? st.mode & rule.maxMode;
      problems.push(`mode ${modeText(st.mode)}, at most ${modeText(rule.maxMode)} expected`);
      commands.push({ title: `Set ${rule.what} to mode ${modeText(target)}`, argv: ['chmod', modeText(target), '--', rule.path], run: true });
    }
    if (problems.length === 0) continue;
    const worldWritable = (st.mode & 0o002) !== 0;
    const [ownerId, modeId] = rule.cis.split('/');
    issues.push({
      rule,
      commands,
      finding: {
        code: `CIS-${extra !== 0 || rule.exactMode !== undefined && st.mode !== rule.exactMode ? modeId : ownerId}`,
        message: `${rule.what} ${rule.path} is ${problems.join(' and ')} (CIS ${rule.cis})${worldWritable ? ': anyone on this machine can change it' : ''}`,
        severity: worldWritable || rule.exactMode !== undefined ? 'high' : 'medium',
        file: rule.path,
        evidence: `mode ${modeText(st.mode)}, uid ${st.uid}, gid ${st.gid}`,
      },
    });
  }
  return { issues, checked };
}

export const AUDIT_RULES_FILE = '/etc/audit/rules.d/docker.rules';

async function auditTargets(ctx: Context, j: Judge): Promise<string[]> {
  const targets = new Set<string>();
  const dockerd = j.view.process?.argv[0] ?? (await ctx.probe.which('dockerd'));
  if (dockerd) targets.add(dockerd);
  for (const tool of ['containerd', 'containerd-shim-runc-v2', 'runc']) {
    const found = await ctx.probe.which(tool);
    if (found) targets.add(found);
  }
  targets.add(String(j.info?.DockerRootDir ?? '/var/lib/docker'));
  targets.add('/etc/docker');
  targets.add('/run/containerd');
  const { UNIT_DIRS } = await import('../../src/host/units.js');
  for (const unit of ['docker.service', 'docker.socket']) {
    for (const dir of UNIT_DIRS) {
      if (await ctx.probe.stat(path.join(dir, unit))) {
        targets.add(path.join(dir, unit));
        break;
      }
    }
  }
  for (const file of ['/etc/default/docker', '/etc/docker/daemon.json', '/etc/containerd/config.toml']) if (await ctx.probe.stat(file)) targets.add(file);
  return [...targets].filter((t) => !t.startsWith('/tmp/'));
}

export async function auditState(ctx: Context, j: Judge): Promise<{ missing: string[]; auditd: boolean; rulesDir: boolean; existing: string | null }> {
  const targets = await auditTargets(ctx, j);
  const texts: string[] = [];
  for (const name of await ctx.probe.list('/etc/audit/rules.d')) {
    const t = await ctx.probe.readText(path.join('/etc/audit/rules.d', name));
    if (t) texts.push(t);
  }
  const main = await ctx.probe.readText('/etc/audit/audit.rules');
  if (main) texts.push(main);
  const rules = texts.join('\n');
  const watched = (p: string) => new RegExp(`-w\\s+${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm').test(rules) || new RegExp(`path=${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm').test(rules);
  return {
    missing: targets.filter((t) => !watched(t)),
    auditd: (await ctx.probe.which('auditctl')) !== null || (await ctx.probe.which('auditd')) !== null,
    rulesDir: (await ctx.probe.stat('/etc/audit/rules.d'))?.isDirectory === true,
    existing: await ctx.probe.readText(AUDIT_RULES_FILE),
  };
}
