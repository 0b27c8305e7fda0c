/**
 * `propose` builds on what `check` read (its typed state): after a check, proposing asks the host,
 * the daemon view, the parsed target and the machine's files nothing more. Each case must offer
 * a proposal, so a step that proposes nothing cannot pass by doing nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stepById } from '../../steps/index.js';
import type { Context, Target } from '../../src/core/step.js';
import type { HostFacts } from '../../src/host/facts.js';
import type { Probe } from '../../src/core/probe.js';
import { composeTarget, contextFor, dockerfileTarget, hostTarget, memoryProbe, type MemoryWorld } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO, type RecordedHost } from '../helpers/recorded-host.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-check-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every call on an object's methods, counted. */
function counted<T extends object>(target: T, calls: string[], prefix: string): T {
  return new Proxy(target, {
    get(t, name, receiver) {
      const value = Reflect.get(t, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(`${prefix}.${String(name)}`);
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

function countingContext(target: Target, host: HostFacts, probe: Probe): { ctx: Context; calls: string[] } {
  const calls: string[] = [];
  const inner = contextFor(target, { host: counted(host, calls, 'host'), probe: counted(probe, calls, 'probe'), env: { USER: 'alice' } });
  const ctx: Context = {
    ...inner,
    daemon: () => (calls.push('ctx.daemon'), inner.daemon()),
    dockerfile: () => (calls.push('ctx.dockerfile'), inner.dockerfile()),
    compose: () => (calls.push('ctx.compose'), inner.compose()),
  };
  return { ctx, calls };
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

interface Case {
  step: string;
  name: string;
  target: () => Target;
  host?: RecordedHost;
  world?: MemoryWorld;
}

const ROOT_NODE = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN sudo npm ci\nEXPOSE 3000\nCMD ["node", "server.js"]\n';
const cases: Case[] = [
  { step: 'use-docker-defaults', name: 'a privileged compose service', target: () => composeTarget(file('c1.yaml', 'services:\n  web:\n    image: nginx:1.27\n    privileged: true\n')) },
  { step: 'use-docker-defaults', name: 'seccomp off in daemon.json', target: () => hostTarget, host: { info: { ...ENGINE_29_INFO, SecurityOptions: ['name=seccomp,profile=unconfined'] }, config: { text: '{"seccomp-profile": "unconfined"}' } } },
  { step: 'non-root-user', name: 'root with sudo', target: () => dockerfileTarget(file('d4.Dockerfile', ROOT_NODE)) },
  { step: 'slim-base-image', name: 'a full base image', target: () => dockerfileTarget(file('d6.Dockerfile', 'FROM python:3.12\nCOPY app.py /\nCMD ["python", "/app.py"]\n')) },
  { step: 'multi-stage-build', name: 'a Go toolchain shipped', target: () => dockerfileTarget(file('d7.Dockerfile', 'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD ["/app"]\n')) },
  { step: 'user-namespaces', name: 'no remap', target: () => hostTarget, host: { info: ENGINE_29_INFO, config: { text: '{}' } } },
  { step: 'seccomp-apparmor-capabilities', name: 'a bare compose service', target: () => composeTarget(file('c11.yaml', 'services:\n  app:\n    image: example/app:3\n')) },
  { step: 'seccomp-apparmor-capabilities', name: 'EXPOSE 22', target: () => dockerfileTarget(file('d11.Dockerfile', 'FROM alpine:3.20\nUSER app\nEXPOSE 22\n')) },
  { step: 'seccomp-apparmor-capabilities', name: 'no-new-privileges not the default', target: () => hostTarget, host: { info: ENGINE_29_INFO, config: { text: '{}' } } },
  { step: 'healthcheck', name: 'a server without HEALTHCHECK', target: () => dockerfileTarget(file('d14.Dockerfile', 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\nEXPOSE 8080\nCMD ["/app/server"]\n')) },
];

describe('propose asks nothing that check already read', () => {
  it.each(cases)('$step: $name', async (c) => {
    const step = stepById(c.step)!;
    const { ctx, calls } = countingContext(c.target(), recordedHost(c.host ?? { info: ENGINE_29_INFO, config: { text: '{}' } }), memoryProbe(c.world));
    const result = await step.check(ctx);
    expect(result.status, result.findings.map((f) => f.message).join('\n')).not.toBe('error');
    calls.length = 0;
    const proposals = await step.propose!(ctx, result);
    expect(proposals.length, 'the case offers a proposal').toBeGreaterThan(0);
    expect(calls, 'propose read again').toEqual([]);
  });
});
