/**
 * Step 3: the Docker API is root on this machine. Find every way to reach it: TCP endpoints
 * (daemon.json `hosts`, `-H` flags on the command line or in the unit, docker.socket), what
 * listens on 2375/2376, the client side (DOCKER_HOST, docker contexts), the socket's mode and
 * group, who is in that group, and containers that mount the socket.
 *
 * Over 400 lines: each way to reach the API (TCP, socket mode and group, client contexts, mounted
 * sockets) is a check of its own.
 */
import path from 'node:path';
import { defineStep, RESTART_STOPS_CONTAINERS, type CodeInfo, statusOf, type Context, type Finding, type Proposal, type FileChange, type CommandAction } from '../src/core/step.js';
import type { DaemonView } from '../src/host/daemon-view.js';
import type { Listener, TcpEndpoint } from '../src/host/endpoints.js';

/** TLS files proposed beside daemon.json (/etc/docker/tls for /etc/docker/daemon.json). */
function tlsFiles(configPath: string) {
  const dir = path.join(path.dirname(configPath), 'tls');
  return { dir, tlscacert: path.join(dir, 'ca.pem'), tlscert: path.join(dir, 'server-cert.pem'), tlskey: path.join(dir, 'server-key.pem') };
}
const SOCKET_PATHS = ['/var/run/docker.sock', '/run/docker.sock'];

interface Facts {
  view: DaemonView;
  endpoints: TcpEndpoint[];
  listeners: Listener[];
  tlsVerify: boolean;
  tlsOn: boolean;
  /** Verification by moby's default (tlsverify unset, a CA given): true but not written down. */
  tlsImplicitVerify: boolean;
  tlsVerifyOff: boolean;
  tlsByFlag: boolean;
  socket: string | null;
}

async function gather(ctx: Context): Promise<Facts> {
  const { effectiveDaemonSetting } = await import('../src/host/daemon-view.js');
  const { tcpEndpoints, parseProcNetTcp, daemonTlsMode, socketPathOf } = await import('../src/host/endpoints.js');
  const view = await ctx.daemon();
  const endpoints = tcpEndpoints(view);
  const listeners = [
    ...parseProcNetTcp((await ctx.probe.readText('/proc/net/tcp')) ?? '', 4),
    ...parseProcNetTcp((await ctx.probe.readText('/proc/net/tcp6')) ?? '', 6),
  ];
  const mode = daemonTlsMode(view);
  const tlsByFlag = ['tls', 'tlsverify', 'tlscacert', 'tlscert', 'tlskey'].some((k) => {
    const s = effectiveDaemonSetting(view, k);
    return s.cmdline.length > 0 || s.unit.length > 0;
  });
  return { view, endpoints, listeners, tlsVerify: mode.verify, tlsOn: mode.on, tlsImplicitVerify: mode.implicitVerify, tlsVerifyOff: mode.verifyOff, tlsByFlag, socket: socketPathOf(ctx.host.endpoint) };
}

function endpointFinding(e: TcpEndpoint, f: Facts): Finding | null {
  const exposure = e.wildcard ? 'on every network interface' : e.loopback ? 'on loopback only' : `on ${e.host}`;
  const loc = { ...(e.file ? { file: e.file } : {}), ...(e.line ? { line: e.line, column: e.column } : {}), evidence: e.where };
  if (f.tlsImplicitVerify) {
    return {
      code: 'DH-TCP-TLS-VERIFY', message: `dockerd listens on TCP ${e.raw} (${exposure}) with TLS and a CA but no "tlsverify": dockerd then requires client certificates signed by that CA (an unset tlsverify follows tls), so only their holders get in. Set "tlsverify": true to make it explicit, so a later edit cannot turn it off unnoticed (set by ${e.where})`,
      severity: 'info', ...loc,
    };
  }
  if (f.tlsVerify) {
    return { code: 'DH-TCP-TLS-VERIFY', message: `dockerd listens on TCP ${e.raw} (${exposure}) with TLS client verification: only holders of a client certificate signed by its CA get in (set by ${e.where})`, severity: 'info', ...loc };
  }
  const who = e.loopback ? 'any user or process on this machine (including containers on the host network)' : 'anyone who can reach this machine over the network';
  if (f.tlsOn) {
    return {
      code: 'DH-TCP-NO-CLIENT-AUTH', message: `dockerd listens on TCP ${e.raw} (${exposure}) with TLS but without verifying clients (${f.tlsVerifyOff ? '"tlsverify" is false' : '"tlsverify" is not set and no CA is given'}): the traffic is encrypted, but ${who} controls Docker, which is root here; TLS alone is not authentication (set by ${e.where})`,
      severity: 'critical',
      ...loc,
    };
  }
  // Critical on loopback too: every local account and host-network container then controls root's daemon.
  return {
    code: 'DH-TCP-PLAIN', fixedBy: 'remove-tcp', message: `dockerd listens on plain TCP ${e.raw} (${exposure}) without TLS: ${who} controls Docker, which is root here (set by ${e.where}). Plain TCP is deprecated since Engine 26 and refused by the releases that remove it.`,
    severity: 'critical',
    ...loc,
  };
}

interface ContextInfo {
  name: string;
  host: string;
  file: string;
  skipVerify: boolean;
  hasTls: boolean;
}

async function clientContexts(ctx: Context): Promise<ContextInfo[]> {
  const home = ctx.env.HOME;
  const configDir = ctx.env.DOCKER_CONFIG || (home ? path.join(home, '.docker') : null);
  if (!configDir) return [];
  const metaDir = path.join(configDir, 'contexts', 'meta');
  const out: ContextInfo[] = [];
  for (const id of await ctx.probe.list(metaDir)) {
    const file = path.join(metaDir, id, 'meta.json');
    const text = await ctx.probe.readText(file);
    if (!text) continue;
    try {
      const meta = JSON.parse(text) as { Name?: string; Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };
      const host = meta.Endpoints?.docker?.Host;
      if (!host) continue;
      const tlsFiles = await ctx.probe.list(path.join(configDir, 'contexts', 'tls', id, 'docker'));
      out.push({ name: meta.Name ?? id, host, file, skipVerify: meta.Endpoints?.docker?.SkipTLSVerify === true, hasTls: tlsFiles.length > 0 });
    } catch {
      /* a context the docker CLI cannot read either */
    }
  }
  return out;
}

async function groupName(ctx: Context, gid: number): Promise<string | null> {
  const text = (await ctx.probe.readText('/etc/group')) ?? '';
  return text.split('\n').map((l) => l.split(':')).find((f) => f[2] === String(gid))?.[0] ?? null;
}

/** Members of a group: listed in /etc/group, or with it as their primary group in /etc/passwd. */
async function groupUsers(ctx: Context, name: string, gid: number): Promise<string[]> {
  const users = new Set(await ctx.probe.groupMembers(name));
  const passwd = (await ctx.probe.readText('/etc/passwd')) ?? '';
  for (const f of passwd.split('\n').map((l) => l.split(':'))) if (f[3] === String(gid) && f[0]) users.add(f[0]);
  users.delete('root');
  return [...users].sort();
}

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "DH-TCP-TLS-VERIFY": {
    title: "dockerd listens on TCP with client verification",
    severity: 'info',
    help: "Only holders of a client certificate signed by its CA get in. Keep the CA key safe.",
  },
  "DH-TCP-NO-CLIENT-AUTH": {
    title: "dockerd listens on TCP with TLS but without client verification",
    severity: 'critical',
    help: "TLS alone is not authentication: anyone who reaches the port controls Docker, which is root. Turn on tlsverify with client certificates, or use ssh://.",
  },
  "DH-TCP-PLAIN": {
    title: "dockerd listens on plain TCP",
    severity: 'critical',
    help: "Anyone who reaches the port controls Docker, which is root. Remove the tcp:// host, or use tlsverify, or ssh://.",
  },
  "DH-PORT-KNOWN": {
    title: "A Docker port is open",
    severity: 'info',
    help: "Something listens on the port of a Docker TCP endpoint listed above.",
  },
  "DH-PORT-UNEXPLAINED": {
    title: "Something listens on a Docker port that no endpoint explains",
    severity: 'high',
    help: "Another daemon or a proxy may expose the Docker API on 2375/2376. Find the process (ss -ltnp) and close it or protect it.",
  },
  "DH-CLIENT-PLAIN-TCP": {
    title: "DOCKER_HOST is plain TCP",
    severity: 'medium',
    help: "This client talks to Docker without TLS verification. Use an ssh:// host or a context with TLS.",
  },
  "DH-CONTEXT-INSECURE": {
    title: "A docker context has no TLS verification",
    severity: 'medium',
    help: "The connection to that daemon is neither private nor authenticated. Give the context TLS with verification, or ssh://.",
  },
  "DH-SOCKET-WORLD": {
    title: "Every user can use the Docker socket",
    severity: 'critical',
    help: "A socket mode open to others makes every local user root. chmod 660 the socket (the proposal does).",
  },
  "DH-SOCKET-OWNER": {
    title: "The Docker socket is not owned by root:docker",
    severity: 'medium',
    help: "Members of the owning group control Docker. chown root:docker the socket.",
  },
  "DH-SOCKET-GROUP": {
    title: "Users in the docker group are root-equivalent",
    severity: 'info',
    help: "Keep the group to administrators, or give other users rootless Docker.",
  },
  "DH-SOCKET-MOUNTED": {
    title: "A container has the Docker socket mounted",
    severity: 'high',
    help: "It controls Docker and so the host. Give it a socket proxy that allows only the API calls it needs.",
  },
};

export default defineStep<Facts>({
  meta: {
    id: 'protect-docker-socket',
    order: 3,
    title: 'Protect the Docker socket',
    targets: ['host'],
    needsDaemon: true,
    summary: 'No Docker API on plain TCP, a socket only root and the docker group can use, and no container holding it.',
    explain: [
      'Whoever can talk to the Docker API can start a container that mounts / and is root on this machine. The API is reached through the unix socket (/var/run/docker.sock), through any TCP endpoint dockerd listens on, and from any container that has the socket mounted.',
      'This step finds every TCP endpoint (daemon.json "hosts", -H flags on the command line or in the systemd unit, docker.socket\'s ListenStream) and whether it binds beyond loopback and verifies client certificates; anything listening on 2375 or 2376; DOCKER_HOST and docker contexts that use plain TCP; the socket\'s mode and group; who is in that group (each of them is root-equivalent); and containers that mount the socket.',
      'The fix removes TCP endpoints where they are set: from daemon.json, or with a systemd drop-in when the flag comes from the unit (never "hosts" in daemon.json while the unit passes -H, or dockerd refuses to start). For remote use, an ssh context reaches the socket through SSH with no open port. If TCP must stay, TLS with client verification is the only safe form. After the restart the step checks that nothing listens on the port and the unix socket answers.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Protect the Docker daemon socket', url: 'https://docs.docker.com/engine/security/protect-access/' },
      { title: 'Docker contexts', url: 'https://docs.docker.com/engine/manage-resources/contexts/' },
      { title: 'Docker daemon attack surface', url: 'https://docs.docker.com/engine/security/#docker-daemon-attack-surface' },
      { title: 'OWASP Docker Security Cheat Sheet, rule 1', url: 'https://cheatsheetseries.owasp.org/cheatsheets/Docker_Security_Cheat_Sheet.html' },
    ],
  },

  async check(ctx) {
    const f = await gather(ctx);
    const findings: Finding[] = [];
    const notes: string[] = [];

    for (const e of f.endpoints) {
      const finding = endpointFinding(e, f);
      if (finding) findings.push(finding);
      if (e.source === 'cmdline') {
        notes.push(`-H ${e.raw} is given on dockerd's command line (pid ${f.view.process?.pid}), not in a file docker-harden knows (daemon.json, the systemd unit): remove it where dockerd is started.`);
      }
    }

    // Listeners on the Docker ports and on the ports of the endpoints found.
    const ports = new Set([2375, 2376, ...f.endpoints.map((e) => e.port)]);
    const seen = new Set<string>();
    for (const l of f.listeners) {
      if (!ports.has(l.port)) continue;
      const key = `${l.address}:${l.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const known = f.endpoints.some((e) => e.port === l.port);
      if (known && f.tlsVerify) continue;
      findings.push({
        code: known ? 'DH-PORT-KNOWN' : 'DH-PORT-UNEXPLAINED', message: known
          ? `something listens on ${l.family === 6 ? `[${l.address}]` : l.address}:${l.port}${l.loopback ? ' (loopback)' : l.wildcard ? ' (every interface)' : ''}, the port of a Docker TCP endpoint above`
          : `something listens on ${l.family === 6 ? `[${l.address}]` : l.address}:${l.port}${l.wildcard ? ' (every interface)' : ''}, ${l.port === 2375 ? "Docker's plain-TCP port" : "Docker's TLS port"}, and no Docker endpoint of this daemon explains it: another daemon or a proxy may expose the API`,
        severity: known ? 'info' : l.port === 2375 && !l.loopback ? 'high' : 'medium',
        evidence: `/proc/net/tcp${l.family === 6 ? '6' : ''}`,
      });
    }

    // The client side.
    const dockerHost = ctx.env.DOCKER_HOST;
    if (dockerHost && /^tcp:\/\//.test(dockerHost) && !ctx.env.DOCKER_TLS_VERIFY) {
      findings.push({
        code: 'DH-CLIENT-PLAIN-TCP', message: `DOCKER_HOST is ${dockerHost} without DOCKER_TLS_VERIFY: this client talks to Docker over plain TCP${ctx.env.DOCKER_TLS ? ' (TLS without checking the server)' : ''}; use an ssh:// host or a context instead`,
        severity: 'medium',
        evidence: `DOCKER_HOST=${dockerHost}`,
      });
    }
    for (const c of await clientContexts(ctx)) {
      if (!c.host.startsWith('tcp://')) continue;
      if (c.hasTls && !c.skipVerify) continue;
      findings.push({
        code: 'DH-CONTEXT-INSECURE', message: `docker context "${c.name}" points at ${c.host} ${c.hasTls ? 'with TLS verification skipped' : 'without TLS'}: the connection to that daemon is neither private nor authenticated`,
        severity: 'medium',
        file: c.file,
      });
    }

    // The socket itself.
    if (f.socket) {
      const st = await ctx.probe.stat(f.socket);
      if (st) {
        const group = (await groupName(ctx, st.gid)) ?? String(st.gid);
        if (st.mode & 0o007) {
          findings.push({
            code: 'DH-SOCKET-WORLD', fixedBy: 'socket-mode', message: `the Docker socket ${f.socket} is mode ${st.mode.toString(8).padStart(4, '0')}: every user on this machine can use it, and so become root`,
            severity: 'critical',
            file: f.socket,
            evidence: `mode ${st.mode.toString(8)}, owner ${st.uid}:${st.gid}`,
          });
        } else if (st.uid !== 0 || (st.gid !== 0 && group !== 'docker')) {
          findings.push({
            code: 'DH-SOCKET-OWNER', fixedBy: 'socket-mode', message: `the Docker socket ${f.socket} is owned by ${st.uid}:${group}, not root:docker: members of "${group}" (or that user) control Docker`,
            severity: 'medium',
            file: f.socket,
            evidence: `mode ${st.mode.toString(8)}, owner ${st.uid}:${st.gid}`,
          });
        }
        if (st.gid !== 0) {
          const users = await groupUsers(ctx, group, st.gid);
          if (users.length > 0) {
            findings.push({
              code: 'DH-SOCKET-GROUP', message: `${users.length} user${users.length === 1 ? '' : 's'} in the "${group}" group can use the Docker socket, which makes them root-equivalent: ${users.join(', ')}. Keep the group to administrators, or give others rootless Docker.`,
              severity: 'info',
              evidence: `/etc/group ${group}`,
            });
          }
        }
      }
    }

    // Containers holding the socket.
    const sockets = new Set([...SOCKET_PATHS, ...(f.socket ? [f.socket] : [])]);
    for (const c of await ctx.host.containers().catch(() => [])) {
      const mount = (c.Mounts ?? []).find((m) => sockets.has(m.Source ?? ''));
      if (!mount) continue;
      findings.push({
        code: 'DH-SOCKET-MOUNTED', message: `container ${c.Name.replace(/^\//, '')} (${c.Config?.Image ?? '?'}) mounts the Docker socket ${mount.Source}${mount.RW ? '' : ' read-only, which does not limit the API'}: it controls Docker and so the host. Give it a socket proxy that allows only the API calls it needs (e.g. tecnativa/docker-socket-proxy with read-only endpoints).`,
        severity: 'high',
        evidence: `${mount.Source}:${mount.Destination}`,
      });
    }

    if (f.endpoints.length === 0) notes.push('dockerd listens on no TCP endpoint.');
    return { status: statusOf(findings), findings, notes, state: f };
  },

  async propose(ctx, result) {
    // What check gathered: no state means the daemon did not answer.
    const f = result.state;
    if (!f) return [];
    const hc = { ...(await import('../src/host/daemon-view.js')), ...(await import('../src/host/daemon-edit.js')) };
    const { serviceUnitChange, socketUnitChange } = await import('../src/host/dropin.js');
    const { parseDaemonTcpHost, parseListenStream } = await import('../src/host/endpoints.js');
    const proposals: Proposal[] = [];
    const exposed = f.endpoints.filter(() => !f.tlsVerify);
    const config = f.view.config;

    if (exposed.length > 0) {
      const changes: FileChange[] = [];
      const commands: CommandAction[] = [];
      const fileHosts = exposed.filter((e) => e.source === 'file');
      if (fileHosts.length > 0 && Array.isArray(config.value.hosts)) {
        const kept = (config.value.hosts as string[]).filter((h) => !parseDaemonTcpHost(h));
        // With no host left dockerd listens on its default socket, as without the key.
        const json = [{ path: ['hosts'], value: kept.length > 0 ? kept : undefined }];
        changes.push({ path: config.path, before: config.text, after: hc.editDaemonConfig(config.text, json), json });
      }
      const units = f.view.units;
      if (exposed.some((e) => e.source === 'unit') && units) {
        const unit = await serviceUnitChange(
          units,
          { remove: (flag) => flag.name === 'host' && flag.value !== null && parseDaemonTcpHost(flag.value) !== null, reason: 'no Docker API on TCP' },
          (file) => ctx.probe.readText(file),
        );
        if (unit) {
          changes.push(unit.change);
          commands.push(...unit.commands);
        }
      }
      if (exposed.some((e) => e.source === 'socket') && units) {
        const sock = await socketUnitChange(units, (l) => parseListenStream(l) === null, 'no Docker API on TCP', (file) => ctx.probe.readText(file));
        if (sock) {
          changes.push(sock.change);
          for (const c of sock.commands) if (!commands.some((d) => d.argv.join(' ') === c.argv.join(' '))) commands.push(c);
        }
      }
      const manual = exposed.filter((e) => e.source === 'cmdline');
      if (changes.length > 0) {
        proposals.push({
          id: 'remove-tcp',
          kind: 'change',
          risk: 'review',
          title: `Stop serving the Docker API on TCP (${exposed.filter((e) => e.source !== 'cmdline').map((e) => e.raw).join(', ')})`,
          description:
            'dockerd then listens on its unix socket only. Remote use goes through SSH (a docker context with ssh://), which needs no open port and uses your SSH keys.' +
            (manual.length ? ` ${manual.map((e) => e.raw).join(', ')} is given on dockerd's command line, which docker-harden cannot edit: remove it where dockerd is started.` : ''),
          changes,
          commands,
          daemon: 'restart',
          warnings: [
            'Tools that connect to this daemon over TCP (CI runners, remote docker CLIs, monitoring) lose access until they use SSH or the socket.',
            RESTART_STOPS_CONTAINERS,
          ],
          group: 'tcp',
        });
      }

      // Keep TCP, with TLS client verification.
      if (!f.tlsByFlag) {
        const files = tlsFiles(config.path);
        const wanted = { tlscacert: files.tlscacert, tlscert: files.tlscert, tlskey: files.tlskey };
        const paths = Object.fromEntries(
          Object.entries(wanted).map(([key, file]) => [key, (hc.effectiveDaemonSetting(f.view, key).value as string | undefined) ?? file]),
        ) as typeof wanted;
        const missing: string[] = [];
        for (const file of Object.values(paths)) if (!(await ctx.probe.stat(file))) missing.push(file);
        const tlsPort = exposed.some((e) => e.port === 2375) ? ' Move the endpoint to port 2376, the TLS port, so clients know what to expect.' : '';
        if (missing.length === 0) {
          const json = [{ path: ['tlsverify'], value: true }, ...Object.entries(paths).map(([key, file]) => ({ path: [key], value: file }))];
          const after = hc.editDaemonConfig(config.text, json);
          proposals.push({
            id: 'tls',
            kind: 'change',
            risk: 'review',
            title: 'Keep the TCP endpoint, with TLS client verification',
            description: `dockerd then accepts only clients with a certificate signed by the CA in ${paths.tlscacert}; give clients DOCKER_TLS_VERIFY=1 and their certificate.${tlsPort}`,
            changes: [{ path: config.path, before: config.text, after, json, ...(config.text === null ? { mode: 0o644 } : {}) }],
            commands: [],
            daemon: 'restart',
            warnings: [
              'Clients without a certificate signed by that CA are refused.',
              'dockerd does not start if these files are not a matching certificate and key; docker-harden then puts the old daemon.json back.',
              RESTART_STOPS_CONTAINERS,
            ],
            group: 'tcp',
          });
        } else {
          // Without the certificates dockerd would not start: show how to make them, write nothing.
          const d = files.dir;
          const host = ctx.env.HOSTNAME || 'THIS-HOST';
          proposals.push({
            id: 'tls',
            kind: 'command',
            risk: 'review',
            title: 'To keep the TCP endpoint, create TLS certificates first',
            description: `${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist. Create a CA and a server certificate (add the host's names and addresses as subjectAltName), then run docker-harden again to switch on TLS client verification.${tlsPort}`,
            changes: [],
            commands: [
              { title: 'A folder for the keys', argv: ['install', '-d', '-m', '0700', d], run: false },
              { title: 'The CA key', argv: ['openssl', 'genrsa', '-out', path.join(d, 'ca-key.pem'), '4096'], run: false },
              { title: 'The CA certificate', argv: ['openssl', 'req', '-new', '-x509', '-days', '365', '-sha256', '-key', path.join(d, 'ca-key.pem'), '-out', files.tlscacert, '-subj', '/CN=docker-ca'], run: false },
              { title: 'The server key', argv: ['openssl', 'genrsa', '-out', files.tlskey, '4096'], run: false },
              { title: 'The server request', argv: ['openssl', 'req', '-new', '-sha256', '-subj', `/CN=${host}`, '-key', files.tlskey, '-out', path.join(d, 'server.csr')], run: false },
              { title: 'The server certificate', argv: ['openssl', 'x509', '-req', '-days', '365', '-sha256', '-in', path.join(d, 'server.csr'), '-CA', files.tlscacert, '-CAkey', path.join(d, 'ca-key.pem'), '-CAcreateserial', '-out', files.tlscert], run: false },
              { title: 'Keys readable by root only', argv: ['chmod', '0400', path.join(d, 'ca-key.pem'), files.tlskey], run: false },
            ],
            warnings: [],
          });
        }
      }

      proposals.push({
        id: 'ssh-context',
        kind: 'command',
        risk: 'safe',
        title: 'Reach this daemon remotely over SSH instead',
        description: 'On each machine that used the TCP endpoint, create a context that goes through SSH (the remote user must be allowed to use the socket).',
        changes: [],
        commands: [
          { title: 'Create an ssh context (on the client)', argv: ['docker', 'context', 'create', 'remote', '--docker', `host=ssh://USER@${ctx.env.HOSTNAME || 'THIS-HOST'}`], run: false },
          { title: 'Use it', argv: ['docker', 'context', 'use', 'remote'], run: false },
        ],
        warnings: [],
      });
    }

    // Socket mode and group.
    if (f.socket) {
      const st = await ctx.probe.stat(f.socket);
      const dockerGid = await ctx.probe.groupId('docker');
      if (st && !st.isSymlink && ((st.mode & 0o007) !== 0 || st.uid !== 0 || (st.gid !== 0 && st.gid !== dockerGid))) {
        proposals.push({
          id: 'socket-mode',
          kind: 'command',
          risk: 'review',
          title: `Give the Docker socket to root:${dockerGid !== null ? 'docker' : 'root'}, mode 0660`,
          description: 'Only root and the members of the docker group can then use the API. dockerd sets this itself at each start (its -G flag names the group).',
          changes: [],
          commands: [
            { title: 'Set the owner', argv: ['chown', `root:${dockerGid !== null ? 'docker' : 'root'}`, '--', f.socket], run: true },
            { title: 'Set the mode', argv: ['chmod', '0660', '--', f.socket], run: true },
          ],
          warnings: ['Users outside that group lose access to Docker; add the ones who need it (and are trusted with root) to the group.'],
        });
      }
    }
    return proposals;
  },
});
