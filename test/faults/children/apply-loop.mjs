// Applies a large change back and forth through the real engine (dist/), forever, until killed.
// argv: <target> <stateDir> <textA file> <textB file>. Prints "ready" after the first apply.
import { readFileSync } from 'node:fs';
import { ProfileStore } from '../../../dist/src/core/profile.js';
import { applyProposal } from '../../../dist/src/core/runner.js';

const [target, stateDir, aFile, bFile] = process.argv.slice(2);
const a = readFileSync(aFile, 'utf8');
const b = readFileSync(bFile, 'utf8');
const store = new ProfileStore(stateDir);
await store.lock();
const step = { meta: { id: 'non-root-user' } };
const t = { kind: 'dockerfile', path: target, label: target };
let first = true;
for (;;) {
  const current = readFileSync(target, 'utf8');
  const after = current === a ? b : a;
  const profile = await store.load();
  await applyProposal(step, t, { kind: 'change', id: 'swap', title: 'swap', changes: [{ path: target, before: current, after }], commands: [], warnings: [] }, { store, profile });
  if (first) {
    process.stdout.write('ready\n');
    first = false;
  }
}
