/**
 * Where dockerd listens: every tcp:// endpoint set in daemon.json `hosts`, by `-H` flags (command
 * line or unit), or by docker.socket's ListenStream; and what listens on TCP ports per /proc/net.
 */
import path from 'node:path';
import type { DaemonView } from './daemon-view.js';
import { locateDaemonKey } from './daemon-validate.js';
import { effectiveDaemonSetting, unitGoverns } from './daemon-view.js';

export interface TcpAddress {
  host: string;
  port: number;
  /** Only this machine can connect (127.0.0.0/8, ::1, localhost). */
  loopback: boolean;
  /** Every address of the machine (0.0.0.0, ::). */
  wildcard: boolean;
}

export interface TcpEndpoint extends TcpAddress {
  /** As written: `tcp://0.0.0.0:2375`, `2375`. */
  raw: string;
  source: 'file' | 'cmdline' | 'unit' | 'socket';
  /** For a person: `/etc/docker/daemon.json:4:5`, `-H tcp://... on the dockerd command line (pid 4)`. */
  where: string;
  file?: string;
  line?: number;
  column?: number;
}

function classify(host: string, port: number): TcpAddress {
  const h = host.replace(/^\[|\]$/g, '');
  const loopback = h === 'localhost' || /^127\./.test(h) || h === '::1';
  const wildcard = h === '' || h === '0.0.0.0' || h === '::';
  return { host: h || '0.0.0.0', port, loopback, wildcard };
}

/**
 * A dockerd -H value as dockerd reads it, when it is TCP: `tcp://HOST:PORT`, `HOST:PORT` (no
 * scheme means tcp), `tcp://:2375` (empty host is localhost). Null for unix://, fd://, ssh://.
 */
export function parseDaemonTcpHost(value: string, tlsDefault = false): TcpAddress | null {
  let rest: string;
  if (value.startsWith('tcp://')) rest = value.slice('tcp://'.length);
  else if (value.includes('://') || value.startsWith('/')) return null;
  else rest = value;
  rest = rest.replace(/\/.*$/, '');
  const defaultPort = tlsDefault ? 2376 : 2375;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(rest);
  if (!m) return null;
  const host = m[1] === '' ? 'localhost' : m[1]!;
  const port = m[2] ? Number(m[2]) : defaultPort;
  return classify(host, port);
}

/** A systemd ListenStream value, when it is TCP: `2375`, `0.0.0.0:2375`, `[::]:2375`. */
export function parseListenStream(value: string): TcpAddress | null {
  if (value.startsWith('/') || value.startsWith('@')) return null;
  if (/^\d+$/.test(value)) return classify('', Number(value));
  const m = /^(\[[^\]]*\]|[^:]+):(\d+)$/.exec(value);
  if (!m) return null;
  return classify(m[1]!, Number(m[2]));
}

export interface DaemonTlsMode {
  /** TLS is on: `tls` true, or `tlsverify` set at all (moby turns TLS on for either value). */
  on: boolean;
  /** Client certificates are required. */
  verify: boolean;
  /** Verification comes from moby's default (tlsverify unset, TLS on, a CA given), not from a setting. */
  implicitVerify: boolean;
  /** `tlsverify` was set to false explicitly. */
  verifyOff: boolean;
}

/**
 * TLS as dockerd applies it: setting tlsverify (true or false) turns TLS on, and an unset tlsverify
 * follows tls, so `--tls --tlscacert ca.pem` alone requires client certificates.
 */
export function daemonTlsMode(view: DaemonView): DaemonTlsMode {
  const verify = effectiveDaemonSetting(view, 'tlsverify');
  const tls = effectiveDaemonSetting(view, 'tls');
  const ca = effectiveDaemonSetting(view, 'tlscacert');
  const hasCa = typeof ca.value === 'string' && ca.value !== '';
  const on = tls.value === true || !verify.isDefault;
  if (!verify.isDefault) return { on, verify: verify.value === true, implicitVerify: false, verifyOff: verify.value !== true };
  const implicitVerify = on && hasCa;
  return { on, verify: implicitVerify, implicitVerify, verifyOff: false };
}

/** Every TCP endpoint dockerd is told to listen on, and where each is set. */
export function tcpEndpoints(view: DaemonView): TcpEndpoint[] {
  const out: TcpEndpoint[] = [];
  const hosts = effectiveDaemonSetting(view, 'hosts');
  const tls = daemonTlsMode(view).on;
  if (hosts.file && Array.isArray(hosts.file.value)) {
    (hosts.file.value as unknown[]).forEach((raw, index) => {
      const addr = typeof raw === 'string' ? parseDaemonTcpHost(raw, tls) : null;
      if (!addr) return;
      const at = view.config.text ? locateDaemonKey(view.config.text, ['hosts', index]) : null;
      out.push({
        ...addr,
        raw: raw as string,
        source: 'file',
        where: at ? `${view.config.path}:${at.line}:${at.column}` : view.config.path,
        file: view.config.path,
        ...(at ? { line: at.line, column: at.column } : {}),
      });
    });
  }
  for (const s of [...hosts.cmdline, ...hosts.unit]) {
    const raw = s.flag?.value ?? '';
    const addr = parseDaemonTcpHost(raw, tls);
    if (!addr) continue;
    // The same flag on the command line and in the unit is one endpoint, set in the unit.
    if (s.kind === 'cmdline' && hosts.unit.some((u) => u.flag?.value === raw)) continue;
    out.push({ ...addr, raw, source: s.kind as 'cmdline' | 'unit', where: `-H ${raw} on the ${s.where.replace(/^--host=\S+ on the /, '')}`, ...(s.file ? { file: s.file } : {}) });
  }
  const units = view.units;
  const socketActivated = [...hosts.cmdline, ...hosts.unit].some((s) => s.flag?.value?.startsWith('fd://'));
  if (units && units.socketUnitFile && (socketActivated || (!view.process && unitGoverns(view)))) {
    for (const raw of units.socketListen) {
      const addr = parseListenStream(raw);
      if (addr) out.push({ ...addr, raw, source: 'socket', where: `ListenStream=${raw} in ${units.socketUnitFile}`, file: units.socketUnitFile });
    }
  }
  return out;
}

export interface Listener {
  address: string;
  port: number;
  loopback: boolean;
  wildcard: boolean;
  family: 4 | 6;
}

function hexIPv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

function hexIPv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 4; i++) {
    const chunk = hex.slice(i * 8, i * 8 + 8);
    // Each 32-bit word is in host (little-endian) byte order.
    const bytes = chunk.match(/../g)!.reverse().join('');
    words.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const full = words.map((w) => parseInt(w, 16).toString(16)).join(':');
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(full);
  if (mapped) {
    const a = parseInt(mapped[1]!, 16);
    const b = parseInt(mapped[2]!, 16);
    return `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  return full;
}

/** Listening sockets from /proc/net/tcp or tcp6 text. */
export function parseProcNetTcp(text: string, family: 4 | 6): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || fields[3] !== '0A') continue;
    const [addrHex, portHex] = fields[1]!.split(':');
    if (!addrHex || !portHex) continue;
    const address = family === 4 ? hexIPv4(addrHex) : hexIPv6(addrHex);
    const bare = address.replace(/^::ffff:/, '');
    out.push({
      address,
      port: parseInt(portHex, 16),
      loopback: /^127\./.test(bare) || address === '::1',
      wildcard: address === '0.0.0.0' || address === '::',
      family,
    });
  }
  return out;
}

/** The socket path of a unix:// endpoint, or null. */
export function socketPathOf(endpoint: string): string | null {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.startsWith('/')) return endpoint;
  return null;
}

/** /var/run is a link to /run on current systems: compare socket paths as the kernel sees them. */
export function normalizeSocketPath(p: string): string {
  return path.normalize(p).replace(/^\/var\/run\//, '/run/');
}
