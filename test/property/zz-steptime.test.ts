import { it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import path from 'node:path'; import os from 'node:os';
import { steps } from '/work/main/steps/index.js';
import { contextFor, dockerfileTarget, memoryProbe } from '/work/main/test/helpers/world.js';
it('time', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'x'));
  const file = path.join(dir, 'Dockerfile');
  writeFileSync(file, 'FROM node:20 AS build\nRUN npm ci\nRUN npm run build\nFROM node:20\nCOPY --from=build /out /app\nRUN sudo make install\nCMD ["node","a"]\n');
  for (const step of steps.filter((s) => s.meta.targets.includes('dockerfile'))) {
    const t = performance.now();
    for (let i = 0; i < 50; i++) {
      const ctx = contextFor(dockerfileTarget(file), { probe: memoryProbe() });
      const r = await step.check(ctx);
      if (step.propose && r.status !== 'pass') await step.propose(ctx, r);
    }
    console.log(step.meta.id, ((performance.now() - t) / 50).toFixed(2), 'ms');
  }
});
