import { describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import step, { PLATFORM_CHOICES } from '../../steps/13-security-platforms.js';
import { applyProposal, runStep } from '../../src/core/runner.js';
import { ProfileStore, emptyProfile } from '../../src/core/profile.js';
import { Walk } from '../../src/core/walk.js';
import type { Status, Target } from '../../src/core/step.js';
import { composeTarget, contextFor, dockerfileTarget, hostTarget, memoryProbe } from '../helpers/world.js';

interface Case {
  name: string;
  target: Target;
  which?: Record<string, string>;
  expect: { status: Status; findings: string[]; notes: string[] };
}

const cases: Case[] = [
  { name: 'a bare host', target: hostTarget, expect: { status: 'info', findings: ['a choice, not a check'], notes: ['no open security tools found on this machine'] } },
  {
    name: 'a host with open tools',
    target: hostTarget,
    which: { trivy: '/usr/bin/trivy', falco: '/usr/bin/falco', cosign: '/usr/local/bin/cosign' },
    expect: { status: 'info', findings: ['runtime blocking, admission control'], notes: ['open security tools on this machine: trivy, falco, cosign'] },
  },
  { name: 'a Dockerfile target', target: dockerfileTarget('/src/Dockerfile'), expect: { status: 'info', findings: ['open tools cover each piece'], notes: ['no open security tools'] } },
  { name: 'a compose target', target: composeTarget('/src/compose.yaml'), expect: { status: 'info', findings: ['a choice'], notes: [] } },
];

describe('security-platforms', () => {
  it.each(cases)('$name', async (c) => {
    const run = await runStep(step, contextFor(c.target, { probe: memoryProbe({ which: c.which }) }));
    expect(run.result.status).toBe(c.expect.status);
    for (const f of c.expect.findings) expect(run.result.findings.map((x) => x.message).join('\n')).toContain(f);
    for (const n of c.expect.notes) expect(run.result.notes?.join('\n')).toContain(n);
    // Every choice is offered, as alternatives that change nothing on the machine.
    expect(run.proposals.map((p) => p.id)).toEqual(PLATFORM_CHOICES.map((x) => x.value));
    for (const p of run.proposals) {
      expect(p).toMatchObject({ changes: [], commands: [], group: 'platform', choice: { key: 'platform', value: p.id } });
      expect(p.description!.length).toBeGreaterThan(40);
    }
  });

  it('the step comes last and names open tools for each thing a platform adds', () => {
    expect(step.meta.order).toBe(13);
    for (const tool of ['Trivy', 'Falco', 'cosign', 'Kyverno']) expect(step.meta.explain).toContain(tool);
  });

  it('applying a choice records it in the profile, writes nothing and leaves nothing to undo', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dh-platform-'));
    try {
      const store = new ProfileStore(dir);
      const profile = emptyProfile();
      const run = await runStep(step, contextFor(hostTarget, { probe: memoryProbe() }));
      const choice = run.proposals.find((p) => p.id === 'open-tools')!;
      const outcome = await applyProposal(step, hostTarget, choice, { store, profile });
      expect(outcome.status).toBe('applied');
      expect(outcome.message).toContain('Keep to open tools');
      expect(profile.platform).toBe('open-tools');
      expect(profile.applied).toEqual([]);
      expect((await store.load()).platform).toBe('open-tools');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('in the walk, recording a choice settles the step as done', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dh-platform-'));
    try {
      const store = new ProfileStore(dir);
      const profile = emptyProfile();
      const ctx = contextFor(hostTarget, { probe: memoryProbe() });
      const walk = new Walk({ items: [{ step, target: hostTarget, ctx }], store, profile });
      const run = await walk.check(0);
      const result = await walk.apply(0, run.proposals.find((p) => p.id === 'commercial-platform')!);
      expect(result.status).toBe('applied');
      expect(result.decision?.status).toBe('done');
      expect((await store.load()).platform).toBe('commercial-platform');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
