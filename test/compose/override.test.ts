/**
 * `docker compose` reads compose.override.yaml with compose.yaml unasked: what it adds (a command,
 * mounts, configuration) is not in the file checked, so no fix of that file is safe there.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import step from '../../steps/11-seccomp-apparmor-capabilities.js';
import { runStep } from '../../src/core/runner.js';
import { systemProbe } from '../../src/core/probe.js';
import { composeTarget, contextFor } from '../helpers/world.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-override-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const COMPOSE = 'services:\n  db:\n    image: postgres:16\n    volumes:\n      - data:/var/lib/postgresql/data\nvolumes:\n  data: {}\n';

async function risks(name: string, beside: Record<string, string>): Promise<{ risks: Record<string, string>; warnings: string[] }> {
  const dir = path.join(tmp, `p${Object.keys(beside).join('-') || 'alone'}-${name}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, name), COMPOSE);
  for (const [file, text] of Object.entries(beside)) writeFileSync(path.join(dir, file), text);
  const run = await runStep(step, contextFor(composeTarget(path.join(dir, name)), { probe: systemProbe() }));
  return { risks: Object.fromEntries(run.proposals.map((p) => [p.id, p.risk])), warnings: run.proposals.flatMap((p) => p.warnings) };
}

describe('a compose override beside the file', () => {
  it('alone, the official postgres image gets its safe fixes', async () => {
    const { risks: r } = await risks('compose.yaml', {});
    expect(r).toEqual({ 'db-cap-drop': 'safe', 'db-no-new-privileges': 'safe', 'db-read-only': 'safe' });
  });

  it.each([
    ['compose.yaml', 'compose.override.yaml'],
    ['compose.yaml', 'compose.override.yml'],
    ['docker-compose.yml', 'docker-compose.override.yml'],
    // compose reads the first override it finds, whatever the base file's name.
    ['compose.yaml', 'docker-compose.override.yml'],
  ])('%s with %s: every fix is review, and says why', async (name, override) => {
    const { risks: r, warnings } = await risks(name, { [override]: 'services:\n  db:\n    command: ["sh", "-c", "cp /cfg/pg.conf /etc/postgresql/ && exec docker-entrypoint.sh postgres"]\n' });
    expect(r).toEqual({ 'db-cap-drop': 'review', 'db-no-new-privileges': 'review', 'db-read-only': 'review' });
    expect(warnings.filter((w) => w.includes(`docker compose reads ${override} beside this file with it`))).toHaveLength(3);
  });

  it('a file compose does not find by itself (named with -f) reads no override: its fixes stay safe', async () => {
    const { risks: r } = await risks('compose.prod.yaml', { 'compose.override.yaml': 'services: {}\n' });
    expect(r['db-read-only']).toBe('safe');
  });
});
