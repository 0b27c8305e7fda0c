/**
 * The few Engine API reads docker-harden makes, over a local unix socket with node:http, shaped
 * like the dockerode calls they stand in for. dockerode (with ssh2, gRPC and protobuf behind it)
 * costs more to load than a host check costs to run; it is still used for tcp:// and ssh://.
 */
import http from 'node:http';
import type Docker from 'dockerode';

export interface ApiError extends Error {
  statusCode?: number;
  json?: { message?: string };
  code?: string;
}

function get<T>(socketPath: string, apiPath: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = http.get({ socketPath, path: apiPath, headers: { Host: 'docker' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        let json: unknown;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        if (status >= 400) {
          const message = (json as { message?: string } | undefined)?.message ?? body.trim();
          reject(Object.assign(new Error(`(HTTP code ${status}) ${message}`), { statusCode: status, json: { message } }) as ApiError);
          return;
        }
        resolve((json ?? body) as T);
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
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
