// Takes the state directory's lock through the real engine (dist/) and, while holding it, appends
// "start <id>" and "end <id>" lines to a log around a pause: overlapping holders would interleave.
// argv: <stateDir> <log> <id> <holdMs> <waitMs>
import { appendFileSync } from 'node:fs';
import { ProfileStore } from '../../../dist/src/core/profile.js';

const [stateDir, log, id, holdMs, waitMs] = process.argv.slice(2);
const store = new ProfileStore(stateDir);
try {
  await store.lock(Number(waitMs));
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(3);
}
appendFileSync(log, `start ${id}\n`);
process.stdout.write('locked\n');
await new Promise((r) => setTimeout(r, Number(holdMs)));
appendFileSync(log, `end ${id}\n`);
await store.unlock();
