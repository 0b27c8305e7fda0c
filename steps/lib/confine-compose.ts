/** Step 11 in a compose file: cap_drop, no-new-privileges and a read-only root file system per service. */
import path from 'node:path';
import { adviceProposal, statusOf, type CheckResult, type Context, type Finding, type Proposal } from '../../src/core/step.js';
import type { ComposeModel, ComposeService } from '../../src/compose/model.js';
import type { ServiceEdit } from '../../src/compose/edit.js';
import { serviceImage, type ServiceImage } from '../../src/compose/images.js';
import { isRootUser } from '../../src/dockerfile/model.js';
import { describeImage, parseImageRef, rootProgramIn, type RootStart } from '../../src/dockerfile/images.js';
import { shellCommands } from '../../src/dockerfile/commands.js';
import { DANGEROUS_CAPS, isNoNewPrivileges, keyAt, normalizeCap, volumeSources } from './workload.js';
import { scriptRootUse } from './start-script.js';
import { UserError } from '../../src/core/errors.js';

/** What no-new-privileges breaks, said by the daemon default and by each service's setting. */
export const NNP_BREAKS =
  'Programs that gain privileges through the setuid bit or file capabilities (sudo, su, ping in some images) no longer do so inside containers. Entrypoints that start as root and drop to a user (gosu, su-exec) keep working under it: they need the SETUID and SETGID capabilities, not the setuid bit.';

/** What an entrypoint that starts as root and drops privileges itself (gosu, s6-overlay) takes, after cap_drop ALL. */
const START_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID', 'KILL'];

/** Docker's default capability set: what a container keeps unless cap_drop takes it away. */
const DEFAULT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];

/** cap_drop: [ALL] that holds: `cap_add: [ALL]` gives every capability back, whatever cap_drop says. */
function dropsAll(s: ComposeService): boolean {
  return s.cap_drop.map(normalizeCap).includes('ALL') && !addsAll(s);
}

function addsAll(s: ComposeService): boolean {
  return s.cap_add.map(normalizeCap).includes('ALL');
}

function hasNoNewPrivileges(s: ComposeService): boolean {
  return s.security_opt.some(isNoNewPrivileges);
}

function exposedBelow1024(s: ComposeService): number[] {
  const ports = s.ports.map((p) => p.containerPort).filter((p): p is number => p !== null);
  const expose = (Array.isArray(s.value.expose) ? s.value.expose : []).map((e) => Number(/^(\d+)/.exec(String(e))?.[1] ?? NaN));
  return [...new Set([...ports, ...expose].filter((p) => Number.isInteger(p) && p > 0 && p < 1024))].sort((a, b) => a - b);
}

/** The capabilities to add back after cap_drop ALL, with the reason for each group. */
function neededCaps(s: ComposeService, known: ServiceImage | null, startsAsRoot: RootStart | undefined, replaced: boolean): { caps: string[]; reasons: string[] } {
  const caps = new Set<string>();
  const reasons: string[] = [];
  const low = exposedBelow1024(s);
  if (low.length) {
    caps.add('NET_BIND_SERVICE');
    reasons.push(`NET_BIND_SERVICE: the service publishes container port ${low.join(', ')}, below 1024, which it binds unless its own settings move it`);
  } else if (s.network_mode === 'host' && known) {
    // On the host's network no port is published, and the host's own limit (1024) applies: the
    // image's known ports say what it binds.
    const own = known.ports.map((p) => Number(/(\d+)(\/\w+)?$/.exec(p)?.[1])).filter((p) => p > 0 && p < 1024);
    if (own.length) {
      caps.add('NET_BIND_SERVICE');
      reasons.push(`NET_BIND_SERVICE: the service uses the host's network, where ${s.image} listens on port ${[...new Set(own)].join(', ')}, below the host's 1024`);
    }
  }
  const runsAsImageDefault = s.user === undefined;
  // The image's entrypoint needs them only where it runs as the image starts it.
  if (known?.confine && runsAsImageDefault && !replaced && known.confine.caps.length > 0) {
    for (const c of known.confine.caps) caps.add(c);
    reasons.push(`${known.confine.caps.join(', ')}: ${known.confine.capsWhy} (${known.source})`);
  }
  if (known?.fileCaps) {
    for (const c of known.fileCaps.caps) caps.add(c);
    reasons.push(`${known.fileCaps.caps.join(', ')}: ${known.fileCaps.why} (${known.source})`);
  }
  // VPN and firewall containers run iptables; the legacy one reads its tables through a raw socket.
  if (s.cap_add.map(normalizeCap).includes('NET_ADMIN')) {
    caps.add('NET_RAW');
    reasons.push('NET_RAW: the service adds NET_ADMIN, and iptables (iptables-legacy, as VPN and firewall images run it) opens a raw socket, which needs NET_RAW');
  }
  if (startsAsRoot) {
    for (const c of START_CAPS) caps.add(c);
    reasons.push(`${START_CAPS.join(', ')}: ${s.image} starts as root and drops privileges itself (${startsAsRoot.why}; ${startsAsRoot.source}), which takes changing owners, reading and changing files it does not own, switching user and group, and signalling what it started`);
  }
  const own = serviceStart(s);
  // chown as the start itself, or inside the script a shell runs (`sh -c "... && chown -R 1001 /data"`).
  const dashC = own.findIndex((w) => /^-[a-z]*c[a-z]*$/.test(w));
  const script = SHELLS.test(own[0] ?? '') && dashC > 0 ? own.slice(dashC + 1).join(' ') : '';
  const chown = path.posix.basename(own[0] ?? '') === 'chown' ? own.slice(0, 3).join(' ') : script ? scriptRootUse(script).rootOnly.find((l) => l.command === 'chown' || l.command === 'chgrp')?.command : undefined;
  if (chown) {
    for (const c of ['CHOWN', 'DAC_OVERRIDE', 'FOWNER']) caps.add(c);
    reasons.push(`CHOWN, DAC_OVERRIDE, FOWNER: the service's own start ${script ? `runs ${chown} in its shell script` : `is chown (${chown})`}, which changes owners of files it does not own`);
  }
  const cron = cronStart(own, script);
  if (cron) {
    for (const c of ['SETGID', 'SETUID']) caps.add(c);
    reasons.push(`SETGID, SETUID: the service starts ${cron}, which runs each job as its crontab's user (setgroups, setgid, setuid), root's own jobs too; without them every job fails when it is due, long after the service started`);
  }
  return { caps: [...caps], reasons };
}

/** cron (crond, anacron) where the service's start, or a command of its `sh -c` script, runs it: the program's name, or null. */
function cronStart(own: string[], script: string): string | null {
  for (const command of [own, ...shellCommands(script)]) {
    const hit = rootProgramIn(command, { firstWordOnly: true });
    if (hit?.program.kind === 'scheduler') return hit.name;
  }
  return null;
}

/** A `user:` that is root, or whose value the environment decides: not one that needs no capabilities. */
function rootOrUnknownUser(s: ComposeService): boolean {
  return s.user !== undefined && (s.user.includes('$') || isRootUser(s.user));
}

const SHELLS = /^(\/(usr\/)?bin\/)?(sh|bash|ash|dash|zsh)$/;

/** The words of a service's `entrypoint` or `command` (a list, or a string split on spaces). */
function startValue(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.trim().split(/\s+/) : [];
}

/** What the service starts with: its `entrypoint`, then its `command`, as words. */
function serviceStart(s: ComposeService): string[] {
  return [...startValue(s.value.entrypoint), ...startValue(s.value.command)];
}

/** A setuid helper the service starts with (`entrypoint: ["sudo", "/init"]`): it needs SETUID and SETGID, whatever the user. */
function setuidStart(s: ComposeService): string | null {
  return serviceStart(s).map((w) => w.replace(/^.*\//, '')).find((w) => ['sudo', 'su', 'doas', 'fixuid', 'gosu', 'su-exec'].includes(w)) ?? null;
}

/** The service replaces how the image starts: an `entrypoint`, or a `command` that is a shell or a script. */
function ownStartReplaced(s: ComposeService): string | null {
  if (s.value.entrypoint !== undefined && s.value.entrypoint !== null) return 'entrypoint';
  const first = startValue(s.value.command)[0] ?? '';
  return SHELLS.test(first) || /\.(sh|bash)$/.test(first) ? 'command' : null;
}

/** PUID and PGID (USER_UID and USER_GID in Gitea's images) in a service's environment, the sign of an image that starts as root to switch to them; '' when none. */
function setsPuid(s: ComposeService): string {
  const env = s.value.environment;
  const names = Array.isArray(env) ? env.map((e) => String(e).split('=')[0]!) : env && typeof env === 'object' ? Object.keys(env) : [];
  return names.filter((n) => /^(PUID|PGID|USER_UID|USER_GID)$/.test(n)).join(' and ');
}

/**
 * Whether the image's own root start runs for this service: not when its entrypoint or a shell
 * replaces it, not when it is the image's CMD and the service gives a command, and not when the
 * entrypoint drops privileges only for its servers (`redis-server`) and the command is another program.
 */
function imageStartRuns(s: ComposeService, start: RootStart, replaced: string | null): boolean {
  if (replaced) return false;
  const command = startValue(s.value.command);
  if (start.viaCmd && command.length > 0) return false;
  const first = path.posix.basename(command[0] ?? '');
  return !(start.dropsTo && first !== '' && !first.startsWith('-') && !start.dropsTo.servers.includes(first));
}

/** What the compose check read, for propose: the parsed file, and per service what later files supply. */
export interface ComposeState {
  target: 'compose';
  model: ComposeModel;
  supplied: Map<string, Supplied>;
}

/** The confinement a compose file read after this one gives a service (compose runs it with that): nothing to add here. */
interface Supplied {
  dropAll: boolean;
  noNewPrivileges: boolean;
  readOnly: boolean;
}

const NOTHING_SUPPLIED: Supplied = { dropAll: false, noNewPrivileges: false, readOnly: false };

function suppliedBy(later: ComposeModel[], service: string, lastWritten: LastWritten): Supplied {
  const drop = lastWritten(later, service, 'cap_drop');
  const opts = lastWritten(later, service, 'security_opt');
  const readOnly = lastWritten(later, service, 'read_only');
  const items = (w: ReturnType<LastWritten>) => (w && w.tag !== 'reset' && Array.isArray(w.value) ? w.value.map(String) : []);
  return {
    dropAll: items(drop).map(normalizeCap).includes('ALL'),
    noNewPrivileges: items(opts).some(isNoNewPrivileges) && !items(opts).some(turnsOffNoNewPrivileges),
    readOnly: readOnly !== undefined && readOnly.tag !== 'reset' && /^(true|yes|on|y)$/i.test(String(readOnly.value)),
  };
}

type LaterFiles = typeof import('../../src/compose/later-files.js');
type LastWritten = LaterFiles['lastWritten'];

function turnsOffNoNewPrivileges(opt: string): boolean {
  return /^no-new-privileges\s*[:=]\s*false$/.test(opt.trim());
}

export async function checkCompose(ctx: Context): Promise<CheckResult<ComposeState>> {
  const model = await ctx.compose();
  const findings: Finding[] = [];
  const laterFiles = await import('../../src/compose/later-files.js');
  const later = await laterFiles.laterModelsToReport(ctx, model.path);
  const supplied = new Map(model.services.map((s) => [s.name, later.length > 0 ? suppliedBy(later, s.name, laterFiles.lastWritten) : NOTHING_SUPPLIED]));
  for (const s of model.services) {
    const sup = supplied.get(s.name)!;
    const at = (key?: string) => keyAt(model, s, key);
    if (s.privileged) {
      findings.push({ code: 'DH-CAPS-PRIVILEGED', message: `service ${s.name} runs privileged: capability and profile settings do not apply to it (see step 1)`, severity: 'high', ...at('privileged') });
      continue;
    }
    if (addsAll(s)) {
      findings.push({
        code: 'DH-CAPS-DEFAULT', message: `service ${s.name} adds every capability (cap_add: [ALL]), which no cap_drop takes back: remove ALL from cap_add and add only what it needs (step 1 proposes it)`,
        severity: 'medium',
        ...at('cap_add'),
        evidence: `cap_add: [${s.written.cap_add.join(', ')}]`,
      });
    } else if (!dropsAll(s) && !sup.dropAll) {
      findings.push({
        code: 'DH-CAPS-DEFAULT', message: `service ${s.name} keeps Docker's default capabilities (${DEFAULT_CAPS.length}, such as CHOWN, DAC_OVERRIDE, SETUID and NET_RAW): no cap_drop: [ALL]`,
        severity: 'medium',
        ...at(s.keys.cap_drop ? 'cap_drop' : undefined),
        ...(s.cap_drop.length ? { evidence: `cap_drop: [${s.cap_drop.join(', ')}]` } : {}),
      });
    }
    const dangerous = s.cap_add.map(normalizeCap).filter((c) => DANGEROUS_CAPS.has(c));
    if (dangerous.length) {
      findings.push({
        // NET_ADMIN reaches only the service's own network namespace, unless that is the host's.
        code: 'CIS-5.4', message: dangerous.every((c) => c === 'NET_ADMIN') && s.network_mode !== 'host'
          ? `service ${s.name} adds NET_ADMIN, which lets root in it change the interfaces, routes and firewall rules of its own network namespace (the host's with network_mode: host); keep it only where the service needs that (a VPN, a firewall)`
          : `service ${s.name} adds ${dangerous.join(', ')}, which widen${dangerous.length === 1 ? 's' : ''} what root in it can do to the host`,
        severity: 'medium',
        ...at('cap_add'),
        evidence: `cap_add: [${s.written.cap_add.join(', ')}]`,
      });
    }
    if (!hasNoNewPrivileges(s) && !sup.noNewPrivileges) {
      findings.push({
        code: 'CIS-5.26', message: `service ${s.name} does not set no-new-privileges: a setuid program in it can raise its privileges`,
        severity: 'low',
        ...at(s.keys.security_opt ? 'security_opt' : undefined),
      });
    }
    if (s.read_only !== true && !s.readOnlyFromEnvironment && !sup.readOnly) {
      findings.push({
        code: 'CIS-5.13', message: `service ${s.name} has a writable root file system: an intruder can change its programs and leave files behind`,
        severity: 'low',
        ...at(s.keys.read_only ? 'read_only' : undefined),
        ...(s.read_only === false ? { evidence: 'read_only: false' } : {}),
      });
    }
  }
  const fixThere = (file: string) => laterFiles.fixThere(ctx.target as { path: string; label: string }, file);
  findings.push(...undoneLater(model, later, laterFiles.lastWritten, fixThere), ...onlyLater(model, later, fixThere));
  const notes = [`${model.services.length} service${model.services.length === 1 ? '' : 's'} checked`];
  return { status: model.services.length === 0 ? 'not-applicable' : statusOf(findings), findings, notes, state: { target: 'compose', model, supplied } };
}

/**
 * Services that only a compose file read after this one defines run too: what they lack is said at
 * their line there. Their fix belongs in that file, which a check of it alone proposes.
 */
function onlyLater(model: ComposeModel, later: ComposeModel[], fixThere: (file: string) => string): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set(model.services.map((s) => s.name));
  for (const file of [...later].reverse()) {
    const name = path.relative(path.dirname(model.path), file.path);
    const where = `(only ${name}, which docker compose reads after this file, defines it; ${fixThere(file.path)})`;
    for (const s of file.services) {
      if (seen.has(s.name) || s.privileged) continue;
      seen.add(s.name);
      const at = { file: file.path, line: s.line };
      if (!dropsAll(s) && !addsAll(s)) findings.push({ code: 'DH-CAPS-DEFAULT', message: `service ${s.name} keeps Docker's default capabilities: no cap_drop: [ALL] ${where}`, severity: 'medium', ...at });
      if (!hasNoNewPrivileges(s)) findings.push({ code: 'CIS-5.26', message: `service ${s.name} does not set no-new-privileges ${where}`, severity: 'low', ...at });
      if (s.read_only !== true && !s.readOnlyFromEnvironment) findings.push({ code: 'CIS-5.13', message: `service ${s.name} has a writable root file system ${where}`, severity: 'low', ...at });
    }
  }
  return findings;
}

/**
 * What this file sets and a compose file read after it takes back (`read_only: false`,
 * `no-new-privileges:false`, a `cap_drop: !override` without ALL): compose runs the later value, so
 * the check says so, at the later file's line (unless this run checks that file too).
 */
function undoneLater(model: ComposeModel, later: ComposeModel[], lastWritten: LastWritten, fixThere: (file: string) => string): Finding[] {
  const findings: Finding[] = [];
  for (const s of later.length > 0 ? model.services : []) {
    if (s.privileged) continue;
    const readOnly = lastWritten(later, s.name, 'read_only');
    const name = (file: string) => path.relative(path.dirname(model.path), file);
    if (s.read_only === true && readOnly && (readOnly.tag === 'reset' || readOnly.value === false || readOnly.value === 'false')) {
      findings.push({
        code: 'CIS-5.13', message: `service ${s.name} has a writable root file system after all: ${name(readOnly.file)}, which docker compose reads after this file, sets \`${readOnly.written}\`, and its value is the one compose runs; ${fixThere(readOnly.file)}`,
        severity: 'low', file: readOnly.file, line: readOnly.line, evidence: readOnly.written,
      });
    }
    // A list replaced (`!override`) or removed (`!reset`) there: this file's cap_drop: [ALL] is gone.
    const drop = lastWritten(later, s.name, 'cap_drop');
    const dropItems = Array.isArray(drop?.value) ? drop.value.map((c) => normalizeCap(String(c))) : [];
    if (dropsAll(s) && drop?.tag !== undefined && !dropItems.includes('ALL')) {
      findings.push({
        code: 'DH-CAPS-DEFAULT', message: `service ${s.name} keeps Docker's default capabilities after all: ${name(drop.file)}, which docker compose reads after this file, replaces its cap_drop (\`${drop.written}\`); ${fixThere(drop.file)}`,
        severity: 'medium', file: drop.file, line: drop.line, evidence: drop.written,
      });
    }
    const opts = lastWritten(later, s.name, 'security_opt');
    const items = Array.isArray(opts?.value) ? opts.value.map(String) : [];
    // Docker takes the last no-new-privileges it is given; !override or !reset drops this file's.
    const off = items.find((o) => /^no-new-privileges\s*[:=]\s*false$/.test(o.trim()));
    if (hasNoNewPrivileges(s) && opts && (off || (opts.tag !== undefined && !items.some(isNoNewPrivileges)))) {
      const shown = off ? `security_opt: ${off}` : opts.written;
      findings.push({
        code: 'CIS-5.26', message: `service ${s.name} does not get no-new-privileges after all: ${name(opts.file)}, which docker compose reads after this file, takes it back (\`${shown}\`); ${fixThere(opts.file)}`,
        severity: 'low', file: opts.file, line: opts.line, evidence: shown,
      });
    }
  }
  return findings;
}

export async function proposeCompose({ model, supplied }: ComposeState): Promise<Proposal[]> {
  // Loaded here, not at the top: a host or Dockerfile check never needs yaml.
  const { serviceChange } = await import('../../src/compose/edit.js');
  const proposals: Proposal[] = [];
  const change = (s: ComposeService, edits: ServiceEdit[]) => [serviceChange(model, s.name, edits)];
  const recreate = (s: ComposeService) => ` Recreate the service afterwards (docker compose up -d ${s.name}).`;
  for (const s of model.services) {
    if (s.privileged) continue;
    // A service whose fix cannot be written by itself (others take its settings by anchor): advice
    // for it alone; the other services' fixes stand.
    const before = proposals.length;
    try {
      proposeService(s);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      proposals.length = before;
      proposals.push(adviceProposal(`${s.name}-confine`, `Service ${s.name}: confine it where its settings are shared (advice; not written)`, `${err.message}. ${err.hint ?? ''}`.trim()));
    }
  }
  return proposals;

  function proposeService(s: ComposeService): void {
    // What the image needs once confined, when known; an image known for its ports alone gets no guess.
    // A service that builds its image (build: beside image:) runs what its Dockerfile makes, not the image the table knows.
    const image = s.build ? null : serviceImage(s.image);
    // The table's needs hold for the image started its own way, as its default user or one that is not root.
    const replaced = ownStartReplaced(s);
    const rootUser = rootOrUnknownUser(s);
    const confine = replaced || rootUser ? undefined : image?.confine;
    // Its own volumes and those it takes from other services (volumes_from).
    const mounted = [s, ...volumeSources(model, s).map((v) => v.from)].flatMap((m) => m.volumes);
    const ownConfig: { target?: string }[] = confine?.configAt ? mounted.filter((v) => v.target && confine.configAt!.some((c) => v.target === c || v.target!.startsWith(`${c}/`))) : [];
    // A variable that moves the configuration elsewhere (nginx's template folder) is own configuration too.
    for (const name of confine?.configEnv ?? []) if (s.environment[name] !== undefined) ownConfig.push({ target: `${name}=${s.environment[name]}` });
    const startWarning = image?.confine && replaced
      ? [`service ${s.name} replaces how ${s.image} starts (its ${replaced}), so what the image needs is not what docker-harden knows of it: check that it starts${image.confine.caps.length ? `; started its own way it needs ${image.confine.caps.join(', ')} (${image.confine.capsWhy}), which what it runs instead may need too` : ''}`]
      : [];
    // An image the Dockerfile table knows to start as root and drop privileges itself (s6-overlay,
    // an entrypoint with gosu), where the compose table has no needs for it: say so by name.
    const known = !confine && !s.user && s.image && !s.image.includes('$') ? describeImage(parseImageRef(s.image)) : undefined;
    // A root start that is the image's CMD does not run when the service gives its own command.
    const startsAsRoot = known?.startsAsRoot && imageStartRuns(s, known.startsAsRoot, replaced) ? known.startsAsRoot : undefined;
    // Root by default (no user: and an image not known to run as another): it may write into a
    // bind-mounted folder of another user, which takes DAC_OVERRIDE.
    const rootByDefault = !confine && !startsAsRoot && s.user === undefined && !known?.runsAs;
    const puid = setsPuid(s);
    const prepareWarning = startsAsRoot
      ? [`${s.image} prepares itself as root at start (${startsAsRoot.why}), which writes under /run, /etc or its data folder: give those paths a tmpfs or a volume, or leave read_only off unless the image's docs say it runs read-only (${startsAsRoot.source})`]
      : [];
    const rootWarning = rootUser
      ? [`service ${s.name} runs as ${s.user}${s.user?.includes('$') ? ', which the environment sets (neither .env nor a default does): if that is root,' : ':'} root without DAC_OVERRIDE cannot write files it does not own (a bind-mounted folder of another user, a volume the image gave its own user), and without CHOWN cannot change owners; add those back in cap_add if it needs them`]
      : [];
    // Confinement known to break the image as it starts itself: explained, never written.
    const breaks = replaced ? undefined : image?.breaks;
    const knownBreak = (id: string, title: string, why: string, source = image!.source): Proposal =>
      adviceProposal(`${s.name}-${id}`, `Service ${s.name}: ${title} (advice; not written)`, `${s.image}: ${why} (${source}).`);
    const sup = supplied.get(s.name) ?? NOTHING_SUPPLIED;
    if (!dropsAll(s) && !sup.dropAll && breaks?.capDrop) proposals.push(knownBreak('cap-drop', 'cap_drop: [ALL] breaks this image', breaks.capDrop));
    else if (!dropsAll(s) && !sup.dropAll && !addsAll(s)) {
      const { caps, reasons } = neededCaps(s, image, startsAsRoot, replaced !== null);
      const have = new Set(s.cap_add.map(normalizeCap));
      const fresh = caps.filter((c) => !have.has(c));
      const edits: ServiceEdit[] = [{ op: 'add', key: 'cap_drop', items: ['ALL'] }];
      if (fresh.length) edits.push({ op: 'add', key: 'cap_add', items: fresh });
      const kept = s.cap_add.length ? ` Its cap_add (${s.cap_add.join(', ')}) stays.` : '';
      // A known image gets what its entrypoint needs; any other may need more than we can tell,
      // even run as a user: a program given file capabilities (setcap) does not start without them.
      const helper = setuidStart(s);
      const capsKnown = !rootUser && !helper && Boolean(confine);
      proposals.push({
        id: `${s.name}-cap-drop`,
        kind: 'change',
        risk: capsKnown ? 'safe' : 'review',
        title: `Service ${s.name}: cap_drop: [ALL]${fresh.length ? `, cap_add: [${fresh.join(', ')}]` : ''}`,
        description: `Drops every capability the service does not ask for by name.${kept}${reasons.length ? ` Added back: ${reasons.join('; ')}.` : ''}${recreate(s)}`,
        changes: change(s, edits),
        commands: [],
        warnings: [
          ...startWarning,
          ...rootWarning,
          ...(rootByDefault
            ? [`service ${s.name} may run as root (it names no user, and docker-harden does not know which user ${s.image ?? 'its image'} runs as): root without DAC_OVERRIDE cannot write files it does not own, such as a bind-mounted folder of another user; add DAC_OVERRIDE back in cap_add if it writes to one`]
            : []),
          ...(!confine && !startsAsRoot && puid
            ? [`service ${s.name} sets ${puid}: images that read it start as root and switch to that user themselves (s6-overlay, gosu, su-exec, chown of their data), which takes CHOWN, SETUID and SETGID (often DAC_OVERRIDE and FOWNER too); add them to cap_add if it stops with "operation not permitted"`]
            : []),
          ...(helper ? [`service ${s.name} starts with ${helper}, which switches user: with every capability dropped it fails ("unable to change to root gid: Operation not permitted") unless SETUID and SETGID are in cap_add, with what the program it starts needs as root`] : []),
          'If the service then fails with "operation not permitted": a process that starts as root and switches user or changes file ownership needs CHOWN, SETUID, SETGID (sometimes DAC_OVERRIDE, FOWNER) in cap_add; one that listens below port 1024 needs NET_BIND_SERVICE; a program given file capabilities (`setcap`, as the caddy image does) does not start at all unless each of them is in cap_add (`getcap` on its binary lists them).',
        ],
      });
    }
    if (!hasNoNewPrivileges(s) && !sup.noNewPrivileges) {
      proposals.push({
        id: `${s.name}-no-new-privileges`,
        // Breaks only setuid programs (sudo, su, ping); the known images' entrypoints use none.
        kind: 'change',
        risk: confine ? 'safe' : 'review',
        title: `Service ${s.name}: security_opt: ["no-new-privileges:true"]`,
        description: `No process in the service can gain privileges through setuid or file capabilities.${recreate(s)}`,
        changes: change(s, [{ op: 'add', key: 'security_opt', items: ['no-new-privileges:true'] }]),
        commands: [],
        warnings: [...startWarning, NNP_BREAKS],
      });
    }
    const readOnlyBreaks = breaks?.readOnly ?? startsAsRoot?.readOnly;
    if (s.read_only !== true && !s.readOnlyFromEnvironment && !sup.readOnly && readOnlyBreaks) proposals.push(knownBreak('read-only', 'read_only: true breaks this image', readOnlyBreaks, breaks?.readOnly ? image!.source : startsAsRoot!.source));
    else if (s.read_only !== true && !s.readOnlyFromEnvironment && !sup.readOnly) {
      // A volume taken from another service covers its path too: a tmpfs there would hide it.
      const covered = (p: string) => s.tmpfs.some((t) => t.split(':')[0] === p) || mounted.some((v) => v.target === p);
      const tmpfs = (confine ? confine.tmpfs : ['/tmp']).filter((p) => !covered(p));
      const edits: ServiceEdit[] = [{ op: 'set', key: 'read_only', value: true }];
      if (tmpfs.length) edits.push({ op: 'add', key: 'tmpfs', items: tmpfs });
      // Data the image keeps in its own layer: read-only, the service cannot write it at all.
      const dataWarning = confine?.data && !covered(confine.data.at)
        ? [`service ${s.name} mounts nothing at ${confine.data.at}: ${confine.data.why}. On a read-only root file system it cannot write there and stops; give it a volume first (\`${s.name}-data:${confine.data.at}\`, which also keeps the data when the container is recreated)`]
        : [];
      const configWarning = ownConfig.length
        ? [`service ${s.name} mounts its own configuration (${ownConfig.map((v) => v.target).join(', ')}): the paths listed are those of the image's own, and a configuration that logs, keeps a pid file or renders templates elsewhere (${confine!.configWrites}) fails to start on a read-only file system: check those paths lie under the tmpfs list or a volume`]
        : [];
      proposals.push({
        id: `${s.name}-read-only`,
        // Known images get the writable paths they need; for others the paths are a guess.
        kind: 'change',
        risk: confine && ownConfig.length === 0 && dataWarning.length === 0 ? 'safe' : 'review',
        title: `Service ${s.name}: read_only: true${tmpfs.length ? ` with tmpfs: [${tmpfs.join(', ')}]` : ''}`,
        description: `The container's own file system becomes read-only; volumes and tmpfs mounts stay writable.${confine ? ` ${s.image} writes outside its volumes only to ${confine.tmpfs.join(', ')}${confine.data ? `, and keeps its data in ${confine.data.at}` : ''} (${image!.source}).` : ''}${recreate(s)}`,
        changes: change(s, edits),
        commands: [],
        warnings: [
          ...startWarning,
          ...dataWarning,
          ...configWarning,
          ...prepareWarning,
          'Writes outside volumes and tmpfs mounts fail ("read-only file system"): log files, pid files under /run or /var/run, caches, and configuration or keystores an entrypoint renders at each start into the image\'s own folders. Give each such path a tmpfs entry or a volume; `docker diff <container>` on a running container lists every path it wrote.',
        ],
      });
    }
  }
}

