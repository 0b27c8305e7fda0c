/**
 * Encoding details: a Dockerfile that starts with a UTF-8 byte-order mark is fixed (the mark is
 * kept, the rest edited as without it), and a compose service written as a flow mapping is edited
 * without writing its other entries again (their spacing, quotes and order stay byte for byte).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCompose } from '../src/compose/model.js';
import { editService } from '../src/compose/edit.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-encodings-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BOM = '\uFEFF';

describe('a Dockerfile with a byte-order mark', () => {
  for (const [step, line1, added] of [
    ['non-root-user:set-user', 'FROM debian:bookworm', 'USER 10001:10001'],
    ['slim-base-image:smaller-base', 'FROM debian:bookworm-slim', null],
  ] as const) {
    it(`fix --yes --only ${step}: applied, the mark kept, the edit where it belongs`, async () => {
      const file = path.join(dir, `Dockerfile.${step.replace(':', '-')}`);
      writeFileSync(file, `${BOM}FROM debian:bookworm\nRUN echo hi\n`);
      const r = await runCli(['fix', '--file', file, '--only', step, '--yes', '--state-dir', path.join(dir, `state-${step.replace(':', '-')}`)]);
      expect(r.stdout + r.stderr).not.toContain('changed since it was checked');
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const after = readFileSync(file, 'utf8');
      expect(after.startsWith(`${BOM}${line1}\nRUN echo hi\n`)).toBe(true);
      if (added) expect(after.trimEnd().endsWith(added)).toBe(true);
      // The diff shows the mark rather than hiding it.
      expect(r.stdout).toContain('\\ufeffFROM debian:bookworm');
    });
  }
});

describe('a compose service written as a flow mapping', () => {
  const text = '# app\nservices:\n  web: {image: "nginx:1.27",   privileged: true, ports: [ "8080:80" ]}   # the site\n  db: { image: postgres:16 , environment: {POSTGRES_PASSWORD: x} }\n';

  it('deleting one entry leaves the others as written', () => {
    const after = editService(text, 'web', [{ op: 'delete', key: 'privileged' }]);
    expect(after).toBe('# app\nservices:\n  web: {image: "nginx:1.27",   ports: [ "8080:80" ]}   # the site\n  db: { image: postgres:16 , environment: {POSTGRES_PASSWORD: x} }\n');
  });

  it('adding entries appends them in flow style after the last one', () => {
    const after = editService(text, 'db', [
      { op: 'add', key: 'cap_drop', items: ['ALL'] },
      { op: 'set', key: 'read_only', value: true },
    ]);
    expect(after).toBe('# app\nservices:\n  web: {image: "nginx:1.27",   privileged: true, ports: [ "8080:80" ]}   # the site\n  db: { image: postgres:16 , environment: {POSTGRES_PASSWORD: x}, cap_drop: [ALL], read_only: true }\n');
    expect(parseCompose(after, 'c.yaml').service('db')).toMatchObject({ read_only: true, cap_drop: ['ALL'] });
  });

  it('setting an existing entry rewrites that entry only; removing the last list item removes the key', () => {
    const set = editService(text, 'web', [{ op: 'set', key: 'privileged', value: false }]);
    expect(set).toContain('web: {image: "nginx:1.27",   privileged: false, ports: [ "8080:80" ]}   # the site');
    const caps = 'services:\n  api: {image: x,  cap_add: [SYS_ADMIN], user: "1000"}\n';
    expect(editService(caps, 'api', [{ op: 'remove', key: 'cap_add', where: (v) => v === 'SYS_ADMIN' }])).toBe('services:\n  api: {image: x,  user: "1000"}\n');
  });
});
