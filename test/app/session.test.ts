import { steps } from '../../steps/index.js';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSession, loadProfileDefinition, selectSteps } from '../../src/app/session.js';
import type { Step } from '../../src/core/step.js';
import { memoryProbe, unreachableHost } from '../helpers/world.js';

describe('session pairs: which step runs on which target', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-session-'));
  const dockerfile = path.join(dir, 'Dockerfile');
  const compose = path.join(dir, 'compose.yaml');
  writeFileSync(dockerfile, 'FROM scratch\n');
  writeFileSync(compose, 'services: {}\n');
  const session = createSession({ registry: steps, files: [dockerfile], composeFiles: [compose], stateDir: path.join(dir, 'state'), hostFacts: unreachableHost(), probe: memoryProbe(), env: {} });
  const pairs = session.pairs().map((p) => `${p.step.meta.id}@${p.target.kind}`);

  it('runs in seed order, each step on the targets it knows', () => {
    const orders = session.pairs().map((p) => p.step.meta.order);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    expect(pairs).toContain('non-root-user@dockerfile');
    expect(pairs).not.toContain('non-root-user@compose');
  });

  it('a once-per-run step (the closing platforms step) runs on one target only', () => {
    expect(pairs.filter((p) => p.startsWith('security-platforms@'))).toEqual(['security-platforms@dockerfile']);
  });
});

describe('profiles take their steps from the registry', () => {
  const ids = (chosen: Step[]) => chosen.map((s) => s.meta.id);

  it('keep the step lists they had, by target kind and exclusions', () => {
    expect(ids(selectSteps(steps, undefined, loadProfileDefinition('dockerfile')))).toEqual(['use-docker-defaults', 'non-root-user', 'dependency-scanning', 'slim-base-image', 'multi-stage-build', 'content-trust', 'seccomp-apparmor-capabilities', 'healthcheck']);
    expect(ids(selectSteps(steps, undefined, loadProfileDefinition('server')))).toEqual(['use-docker-defaults', 'scan-host-config', 'protect-docker-socket', 'dependency-scanning', 'user-namespaces', 'runtime-monitoring', 'content-trust', 'seccomp-apparmor-capabilities', 'rootless-docker', 'security-platforms']);
    expect(ids(selectSteps(steps, undefined, loadProfileDefinition('learn')))).toEqual(steps.map((s) => s.meta.id));
  });

  it('a step added to the registry joins the profiles of its target kind without editing them', () => {
    const extra = { ...steps[5]!, meta: { ...steps[5]!.meta, id: 'added-later', targets: ['host' as const] } } as Step;
    const registry = [...steps, extra];
    expect(ids(selectSteps(registry, undefined, loadProfileDefinition('server')))).toContain('added-later');
    expect(ids(selectSteps(registry, undefined, loadProfileDefinition('dockerfile')))).not.toContain('added-later');
  });
});
