/**
 * The wizard's "Skip for the repository": the skip goes into the repository's .docker-harden.yaml
 * (comments kept) through the engine's write path (backup, recorded for undo), and `check` then
 * honours it; "Skip here only" leaves the repository alone.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempWorld, walkFor, renderWizard, KEY, type Rendered } from './support.js';
import { addUserStep, slimStep } from './test-steps.js';
import { RepoDecisions } from '../../src/core/repoconfig.js';
import { Walk } from '../../src/core/walk.js';
import { contextFor, dockerfileTarget } from '../helpers/world.js';

let ui: Rendered | undefined;
afterEach(() => ui?.unmount());

async function skipWith(choose: string[], existing?: string) {
  const world = tempWorld();
  mkdirSync(path.join(world.dir, '.git'));
  const config = path.join(world.dir, '.docker-harden.yaml');
  if (existing !== undefined) writeFileSync(config, existing);
  const walk = await walkFor(world, [addUserStep, slimStep]);
  ui = await renderWizard(walk);
  await ui.waitFor('❯ Apply');
  await ui.press('s');
  await ui.waitFor('(•) Skip here only');
  await ui.press(...choose, 'v', '2', ' ', 'n', 'e', 'e', 'd', 's', ' ', 'r', 'o', 'o', 't');
  const chosen = ui.frame();
  await ui.press(KEY.enter);
  await ui.waitFor('6. Use a slim base image');
  return { world, walk, config, chosen, ui };
}

describe('wizard: skip for the repository', () => {
  it('Tab chooses the repository: the skip is added to the file, comments kept, backed up and recorded for undo', async () => {
    const existing = '# shared with CI\nignore:\n  - code: DH-BASE-LATEST # pinned by renovate\n    reason: renovate\n';
    const { world, walk, config, chosen } = await skipWith([KEY.tab], existing);
    expect(chosen).toContain('(•) Skip for the repository');
    expect(ui!.frame()).toContain('skipped for the repository, in .docker-harden.yaml (v2 needs root)');
    await vi.waitFor(() => expect(readFileSync(config, 'utf8')).toContain('skip: v2 needs root'));
    const text = readFileSync(config, 'utf8');
    expect(text.startsWith(existing.replace(/\n$/, ''))).toBe(true);
    expect(text).toContain('# pinned by renovate');
    await vi.waitFor(async () => {
      const profile = await world.store.load();
      const record = profile.applied.find((r) => r.proposal === 'skip-in-repository')!;
      expect(record.files[0]!.path).toBe(config);
      expect(readFileSync(record.files[0]!.backup!, 'utf8')).toBe(existing);
      expect(profile.targets[Object.keys(profile.targets)[0]!]!['non-root-user']).toMatchObject({ status: 'skipped', reason: 'v2 needs root' });
    });
    // And the file as check reads it: the step is skipped there.
    const decisions = new RepoDecisions({ codes: ['DH-BASE-LATEST'], steps: walk.items.map((i) => i.step.meta.id) });
    const loaded = await decisions.configFor(world.dir);
    expect(loaded.steps['non-root-user']?.skip).toBe('v2 needs root');
    expect(loaded.ignore.map((e) => e.code)).toEqual(['DH-BASE-LATEST']);
  });

  it('a repository without the file gets a new one', async () => {
    const { config } = await skipWith([KEY.tab]);
    await vi.waitFor(() => expect(readFileSync(config, 'utf8')).toMatch(/^steps:\n {2}non-root-user:\n {4}skip: v2 needs root$/m));
  });

  it('a skip for the repository reaches its other Dockerfiles at once: listed as skipped, not walked', async () => {
    const world = tempWorld();
    mkdirSync(path.join(world.dir, '.git'));
    const other = path.join(world.dir, 'api', 'Dockerfile');
    const elsewhere = path.join(world.dir, 'vendor', 'Dockerfile');
    mkdirSync(path.dirname(other));
    mkdirSync(path.join(path.dirname(elsewhere), '.git'), { recursive: true });
    writeFileSync(other, world.read());
    writeFileSync(elsewhere, world.read());
    const targets = [world.dockerfile, other, elsewhere].map((f) => dockerfileTarget(f));
    const decisions = await RepoDecisions.forTargets([addUserStep], targets);
    const walk = new Walk({ items: targets.map((target) => ({ step: addUserStep, target, ctx: contextFor(target) })), store: world.store, profile: await world.store.load(), decisions });
    ui = await renderWizard(walk);
    await ui.waitFor('❯ Apply');
    await ui.press('s');
    await ui.waitFor('(•) Skip here only');
    await ui.press(KEY.tab, 'v', '2');
    await ui.press(KEY.enter);
    // The second Dockerfile is in the same repository: gone past; the third is in a repository of its own.
    const next = await ui.waitFor('skipped for the repository here too (api/Dockerfile)');
    expect(next).toMatch(/4\. Run as a non-root user ✘ fail +\[non-root-user\] vendor\/Dockerfile/);
    await ui.press('v');
    const list = await ui.waitFor(/All steps/);
    const rows = list.split('\n').filter((l) => /4\. non-root-user/.test(l));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/– +4\. non-root-user/);
    expect(rows[1]).toMatch(/– +4\. non-root-user/);
    expect(rows[2]).toMatch(/✘ +4\. non-root-user/);
  });

  it('"Skip here only" (the default) keeps the skip in the profile and leaves the repository alone', async () => {
    const { world, config } = await skipWith([]);
    await vi.waitFor(async () => expect((await world.store.load()).targets[Object.keys((await world.store.load()).targets)[0]!]!['non-root-user']).toMatchObject({ status: 'skipped' }));
    expect(existsSync(config)).toBe(false);
  });
});
