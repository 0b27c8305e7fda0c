/**
 * The few Engine API reads docker-harden makes, over a local unix socket with node:http, shaped
 * like the dockerode calls they stand in for. dockerode (with ssh2, gRPC and protobuf behind it)
 * costs more to load than a host check costs to run; it is still used for tcp:// and ssh://.
 *
 * The daemon's answers are not trusted: each request has a deadline for the whole exchange (a
 * daemon that trickles a byte a second is not idle, so an idle timeout alone never fires), and a
 * body is read only up to LIMITS.engineApiAnswer bytes, never buffered beyond it.
 */
import http from 'node:http';
import type Docker from 'dockerode';
import { LIMITS } from '../core/limits.js';

export interface ApiError extends Error {
  statusCode?: number;
  json?: { message?: string };
  code?: string;
}

function get<T>(socketPath: string, apiPath: string, timeoutMs: number, maxBytes = LIMITS.engineApiAnswer): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      reject(err);
    };
    // An empty servername (a TLS name, meaningless on a unix socket, read by node's agent though not
    // in its types): the agent would otherwise test the Host header as an IPv6 address, whose
    // regular expression takes longer to compile (12 ms) than the first request takes to answer.
    const options: http.RequestOptions & { servername: string } = { socketPath, path: apiPath, headers: { Host: 'docker' }, timeout: timeoutMs, servername: '' };
    const req = http.get(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        fail(Object.assign(new Error(`GET ${apiPath}: the answer is ${declared} bytes, over the limit of ${maxBytes}`), { code: 'EANSWERTOOLARGE' }));
        return;
      }
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          fail(Object.assign(new Error(`GET ${apiPath}: the answer is over the limit of ${maxBytes} bytes`), { code: 'EANSWERTOOLARGE' }));
          return;
        }
        chunks.push(c);
      });
      res.on('error', fail);
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        let json: unknown;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        if (status >= 400) {
          const raw = (json as { message?: unknown } | undefined)?.message;
          const message = typeof raw === 'string' ? raw : body.trim().slice(0, 500);
          reject(Object.assign(new Error(`(HTTP code ${status}) ${message}`), { statusCode: status, json: { message } }) as ApiError);
          return;
        }
        resolve((json ?? body) as T);
      });
    });
    // The whole request, not only a silence, is bounded.
    const deadline = setTimeout(
      () => fail(Object.assign(new Error(`GET ${apiPath}: timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    req.on('timeout', () => fail(Object.assign(new Error(`GET ${apiPath}: timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', fail);
  });
}

/** A stand-in for the part of a dockerode client that HostFacts uses. */
export function socketApi(socketPath: string, timeoutMs: number): Docker {
  const api = {
    ping: () => get<string>(socketPath, '/_ping', timeoutMs),
    info: () => get(socketPath, '/info', timeoutMs),
    version: () => get(socketPath, '/version', timeoutMs),
    listContainers: (opts: { all?: boolean } = {}) => get(socketPath, `/containers/json${opts.all ? '?all=1' : ''}`, timeoutMs),
    getContainer: (id: string) => ({ inspect: () => get(socketPath, `/containers/${encodeURIComponent(id)}/json`, timeoutMs) }),
    listImages: () => get(socketPath, '/images/json', timeoutMs),
    listVolumes: () => get(socketPath, '/volumes', timeoutMs),
  };
  return api as unknown as Docker;
}
