/**
 * A host check asks the daemon's questions together: warmUp() sends them before any step asks,
 * and each step's question is then answered from that one request. The daemon is a fake on a
 * unix socket (node:http, in this process) that records what it is asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHostFacts } from '../../src/host/client.js';
import { systemProbe } from '../../src/core/probe.js';

let dir: string;
let socket: string;
let server: http.Server;
const asked: string[] = [];

function json(res: http.ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-warm-'));
  socket = path.join(dir, 'docker.sock');
  server = http.createServer((req, res) => {
    asked.push(req.url ?? '');
    if (req.url === '/_ping') return res.end('OK');
    if (req.url === '/info') return json(res, { ServerVersion: '20.10.24', SecurityOptions: [], Containers: 2, DockerRootDir: '/var/lib/docker' });
    if (req.url === '/version') return json(res, { Version: '20.10.24', ApiVersion: '1.41' });
    if (req.url === '/containers/json') return json(res, [{ Id: 'a'.repeat(64) }, { Id: 'b'.repeat(64) }]);
    const inspected = /^\/containers\/([ab]{64})\/json$/.exec(req.url ?? '');
    if (inspected) return json(res, { Id: inspected[1], Name: `/c-${inspected[1]!.slice(0, 1)}`, Config: { Image: 'busybox' }, HostConfig: {}, State: { Running: true } });
    res.writeHead(404).end('{"message":"no such thing"}');
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('host facts warm-up', () => {
  it('sends the daemon questions at once, and the steps get the answers without asking again', async () => {
    const facts = createHostFacts({ dockerHost: `unix://${socket}`, env: {}, probe: systemProbe({}) });
    facts.warmUp?.();
    const expected = ['/_ping', '/info', '/version', '/containers/json', `/containers/${'a'.repeat(64)}/json`, `/containers/${'b'.repeat(64)}/json`];
    for (let waited = 0; waited < 5000 && !expected.every((p) => asked.includes(p)); waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect([...asked].sort()).toEqual([...expected].sort());
    // Nothing else asked the daemon: these answers are the warm-up's.
    const info = await facts.info();
    const containers = await facts.containers();
    expect(info.ServerVersion).toBe('20.10.24');
    expect(containers.map((c) => c.Name)).toEqual(['/c-a', '/c-b']);
    await facts.ping();
    expect(asked).toHaveLength(expected.length);
  });
});
