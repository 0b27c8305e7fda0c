import { steps } from '../../steps/index.js';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSession } from '../../src/app/session.js';
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
