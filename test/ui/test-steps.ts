/**
 * Small steps that drive the wizard in UI tests in ways the real steps may not (several
 * proposals, commands only to run by hand, an always-passing step). They keep the Step contract:
 * check reads, propose returns data.
 */
import { readFileSync } from 'node:fs';
import { defineStep, type Step, type Target } from '../../src/core/step.js';

function text(target: Target): string {
  if (target.kind === 'host') throw new Error('needs a Dockerfile');
  return readFileSync(target.path, 'utf8');
}

function pathOf(target: Target): string {
  if (target.kind === 'host') throw new Error('needs a Dockerfile');
  return target.path;
}

/** Fails without a USER line; proposes appending `USER 10001`. */
export const addUserStep: Step = defineStep({
  meta: {
    id: 'non-root-user',
    order: 4,
    title: 'Run as a non-root user',
    targets: ['dockerfile'],
    summary: 'The container should not run as root.',
    explain: 'A process running as root in a container is root on the host if it escapes.\n\nSecond paragraph: add a USER with a fixed uid; files it writes must be owned by it.',
    references: [{ title: 'Dockerfile USER', url: 'https://docs.docker.com/reference/dockerfile/#user' }],
    codes: { 'DH-USER-ROOT': { title: 'The image runs as root', severity: 'high', help: 'Add a USER line.' } },
  },
  async check(ctx) {
    const lines = text(ctx.target).split('\n');
    if (lines.some((l) => /^USER\s+/i.test(l))) return { status: 'pass', findings: [] };
    return {
      status: 'fail',
      findings: [{ code: 'DH-USER-ROOT', message: 'the final stage runs as root (no USER)', severity: 'high', file: 'Dockerfile', line: 1, evidence: lines[0] }],
    };
  },
  async propose(ctx) {
    const before = text(ctx.target);
    return [{ kind: 'change', id: 'add-user', risk: 'review', title: 'Add USER 10001 at the end', changes: [{ path: pathOf(ctx.target), before, after: `${before}USER 10001\n` }], commands: [], warnings: ['files the app writes must belong to uid 10001'] }];
  },
});

/** Fails unless the base image is a -slim one; offers two alternative rewrites of FROM. */
export const slimStep: Step = defineStep({
  meta: {
    id: 'slim-base-image',
    order: 6,
    title: 'Use a slim base image',
    targets: ['dockerfile'],
    summary: 'Fewer packages, fewer vulnerabilities.',
    explain: 'A slim image carries less software that can be attacked.',
    references: [],
    codes: { 'DH-BASE-LARGE': { title: 'A smaller base image does the same job', severity: 'medium', help: 'Use a slim variant.' } },
  },
  async check(ctx) {
    const t = text(ctx.target);
    if (/^FROM \S+-slim/m.test(t)) return { status: 'pass', findings: [] };
    return { status: 'fail', findings: [{ code: 'DH-BASE-LARGE', message: 'the base image is not a slim variant', severity: 'medium', file: 'Dockerfile', line: 1, evidence: t.split('\n')[0] }] };
  },
  async propose(ctx) {
    const before = text(ctx.target);
    const swap = (tag: string) => before.replace(/^FROM (\S+?)(:\S+)?$/m, (_m, image: string) => `FROM ${image}:${tag}`);
    return [
      { kind: 'change', id: 'bookworm-slim', risk: 'review', title: 'Use debian:12-slim', changes: [{ path: pathOf(ctx.target), before, after: swap('12-slim') }], commands: [], warnings: [], group: 'base' },
      { kind: 'change', id: 'bookworm-slim-pinned', risk: 'review', title: 'Use debian:bookworm-slim', changes: [{ path: pathOf(ctx.target), before, after: swap('bookworm-slim') }], commands: [], warnings: [], group: 'base' },
    ];
  },
});

/** Always fails with a fix that is only commands for the person to run. */
export const manualStep: Step = defineStep({
  meta: {
    id: 'dependency-scanning',
    order: 5,
    title: 'Scan dependencies',
    targets: ['dockerfile'],
    summary: 'Scan images for known vulnerabilities.',
    explain: 'Scanners compare installed packages against advisories.',
    references: [],
    codes: { 'DH-SCAN-NONE': { title: 'Nothing scans the images', severity: 'low', help: 'Install a scanner.' } },
  },
  async check() {
    return { status: 'warn', findings: [{ code: 'DH-SCAN-NONE', message: 'no scanner found', severity: 'low' }] };
  },
  async propose() {
    return [{ kind: 'command', id: 'install-trivy', risk: 'review', title: 'Install a scanner', changes: [], commands: [{ title: 'install trivy', argv: ['apt-get', 'install', 'trivy'], run: false }], warnings: [] }];
  },
});

/** Always passes. */
export const passingStep: Step = defineStep({
  meta: {
    id: 'multi-stage-build',
    order: 7,
    title: 'Build in stages',
    targets: ['dockerfile'],
    summary: 'Keep build tools out of the final image.',
    explain: 'A multi-stage build leaves compilers behind.',
    references: [],
    codes: {},
  },
  async check() {
    return { status: 'pass', findings: [], notes: ['one stage, nothing built'] };
  },
});

/**
 * A screen longer than any terminal, like a host step on a misconfigured daemon: many findings
 * with the critical one last in check order, and a fix whose diff is 40 lines long.
 */
export const longStep: Step = defineStep({
  meta: {
    id: 'scan-host-config',
    order: 2,
    title: 'Check the daemon configuration',
    targets: ['dockerfile'],
    summary: 'The CIS daemon settings.',
    explain: 'Every setting matters.\n\nSecond paragraph of the explanation, only in Explain more.',
    references: [],
  },
  async check() {
    const findings = Array.from({ length: 8 }, (_, i) => ({ message: `setting number ${i + 1} is not set the recommended way`, severity: 'low' as const }));
    findings.push({ message: 'tcp://0.0.0.0:2375 accepts connections from anyone and has no TLS', severity: 'critical' as never });
    return { status: 'fail', findings };
  },
  async propose(ctx) {
    const before = text(ctx.target);
    const added = Array.from({ length: 39 }, (_, i) => `LABEL setting${i + 1}=on`).join('\n');
    return [{ kind: 'change', id: 'settings', title: 'Set the recommended values', changes: [{ path: pathOf(ctx.target), before, after: `${before}${added}\nLABEL last=the-end-of-the-diff\n` }], commands: [], warnings: [] }];
  },
});
