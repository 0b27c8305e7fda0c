/**
 * ctx.dockerfile() and ctx.compose(): a file is read and parsed once per version. Callers that ask
 * at the same time share one load; a write in the run makes the next ask read the file again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { composeTarget, contextFor, dockerfileTarget, memoryProbe, unreachableHost } from '../helpers/world.js';
import { noteWrite, oneRun } from '../../src/core/writes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-context-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Replace a file the way a fix does: a new file renamed over the old one. */
function replace(file: string, text: string): void {
  writeFileSync(`${file}.new`, text);
  renameSync(`${file}.new`, file);
}

describe('file models in a batch run', () => {
  it('compose: callers asking at once share one load; after a write the new text is read', async () => {
    const file = path.join(dir, 'compose.yaml');
    writeFileSync(file, 'services:\n  web:\n    image: nginx:1.27\n');
    await oneRun(async () => {
      const ctx = contextFor(composeTarget(file), { host: unreachableHost(), probe: memoryProbe() });
      const [a, b, c] = await Promise.all([ctx.compose(), ctx.compose(), ctx.compose()]);
      expect(b).toBe(a);
      expect(c).toBe(a);
      expect(await ctx.compose()).toBe(a);
      replace(file, 'services:\n  api:\n    image: redis:7\n');
      // Not written by this run: the model stays as it was read until the run writes.
      expect(await ctx.compose()).toBe(a);
      noteWrite();
      const after = await ctx.compose();
      expect(after).not.toBe(a);
      expect(after.services.map((s) => s.name)).toEqual(['api']);
      expect(await ctx.compose()).toBe(after);
    });
  });

  it('a Dockerfile that is not there is not found until a write brings it', async () => {
    const file = path.join(dir, 'later', 'Dockerfile');
    await oneRun(async () => {
      const ctx = contextFor(dockerfileTarget(file), { host: unreachableHost(), probe: memoryProbe() });
      await expect(ctx.dockerfile()).rejects.toThrow(/not found/);
      await expect(ctx.dockerfile()).rejects.toThrow(/not found/);
      rmSync(path.dirname(file), { recursive: true, force: true });
      writeFileSync(path.join(dir, 'later'), 'a file where a folder was\n');
      await expect(ctx.dockerfile()).rejects.toThrow(/not found/);
      rmSync(path.join(dir, 'later'));
      mkdirSync(path.dirname(file));
      writeFileSync(file, 'FROM busybox\nUSER 1000\n');
      noteWrite();
      const model = await ctx.dockerfile();
      expect(model.finalStage.instructions.map((i) => i.keyword)).toEqual(['USER']);
      expect(await ctx.runDockerfile(file)).toBe(model);
    });
  });
});
