import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moveEdits, rebaseChange } from '../../src/core/rebase.js';
import { applyProposal, runStep, undoApplied } from '../../src/core/runner.js';
import { ProfileStore } from '../../src/core/profile.js';
import type { FileChange, Proposal, Step } from '../../src/core/step.js';
import { contextFor, dockerfileTarget, composeTarget } from '../helpers/world.js';
import { UserError } from '../../src/core/errors.js';
import nonRootUser from '../../steps/04-non-root-user.js';
import healthcheck from '../../steps/14-healthcheck.js';
import confinement from '../../steps/11-seccomp-apparmor-capabilities.js';
import { editDaemonConfig } from '../../src/host/daemon-edit.js';
import { serviceChange } from '../../src/compose/edit.js';
import { applyEdits } from '../../src/dockerfile/edit.js';
import { loadCompose } from '../../src/compose/model.js';

const BASE = 'FROM debian:bookworm-slim\nRUN apt-get install -y curl\nEXPOSE 8080\nCMD ["/app/server"]\n';
// Line 4 gets a line above it.
const insertBeforeCmd = { start: BASE.indexOf('CMD'), end: BASE.indexOf('CMD'), text: 'USER app\n' };
// Line 3 is replaced.
const replaceExpose = { start: BASE.indexOf('EXPOSE'), end: BASE.indexOf('CMD'), text: 'EXPOSE 9090\n' };

describe('moveEdits: text edits follow the lines around them', () => {
  const cases: { name: string; before?: string; current: string; edits: { start: number; end: number; text: string }[]; result: string | null }[] = [
    { name: 'unchanged file', current: BASE, edits: [insertBeforeCmd], result: BASE.replace('CMD', 'USER app\nCMD') },
    {
      name: 'a line added above: the insertion moves down with its line',
      current: BASE.replace('EXPOSE', 'ENV A=1\nEXPOSE'),
      edits: [insertBeforeCmd],
      result: BASE.replace('EXPOSE', 'ENV A=1\nEXPOSE').replace('CMD', 'USER app\nCMD'),
    },
    {
      name: 'a line changed below a replacement: the replacement still fits',
      current: BASE.replace('/app/server', '/app/server2'),
      edits: [replaceExpose],
      result: BASE.replace('/app/server', '/app/server2').replace('EXPOSE 8080', 'EXPOSE 9090'),
    },
    { name: 'the replaced line itself changed: refused', current: BASE.replace('8080', '8081'), edits: [replaceExpose], result: null },
    { name: 'the line an insertion goes before changed: refused', current: BASE.replace('/app/server', '/srv'), edits: [insertBeforeCmd], result: null },
    { name: 'an insertion at the end: still the end when lines changed above', before: 'FROM x\nRUN y\n', current: 'FROM z\nRUN y\n', edits: [{ start: 13, end: 13, text: 'USER u\n' }], result: 'FROM z\nRUN y\nUSER u\n' },
    { name: 'an insertion at the end, and lines were added at the end since: refused', before: 'FROM x\n', current: 'FROM x\nRUN y\n', edits: [{ start: 7, end: 7, text: 'USER u\n' }], result: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const moved = moveEdits(c.before ?? BASE, c.current, c.edits);
      if (c.result === null) expect(moved).toBeNull();
      else expect(moved && applyEdits(c.current, moved)).toBe(c.result);
    });
  }
});

describe('rebaseChange: a change that says what it does is made again on the new content', () => {
  it('daemon.json keys: set on the file another fix created since the check', async () => {
    const json = [{ path: ['userns-remap'], value: 'default' }];
    const change: FileChange = { path: '/etc/docker/daemon.json', before: null, after: editDaemonConfig(null, json), json, mode: 0o644 };
    const now = '{\n    "live-restore": true\n}\n';
    const rebased = await rebaseChange(change, now);
    expect(rebased?.before).toBe(now);
    expect(rebased?.after).toBe('{\n    "live-restore": true,\n    "userns-remap": "default"\n}\n');
  });

  it('daemon.json that is no longer JSON: refused', async () => {
    const json = [{ path: ['icc'], value: false }];
    const change: FileChange = { path: '/etc/docker/daemon.json', before: '{}\n', after: editDaemonConfig('{}\n', json), json };
    expect(await rebaseChange(change, '{"icc": \n')).toBeNull();
  });

  it('a compose service edit: made again after another service changed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-rebase-compose-'));
    const file = path.join(dir, 'compose.yaml');
    const text = 'services:\n  web:\n    image: nginx:1.27\n  db:\n    image: postgres:16\n';
    writeFileSync(file, text);
    const change = serviceChange(await loadCompose(file), 'web', [{ op: 'set', key: 'read_only', value: true }]);
    const now = text.replace('  db:\n    image: postgres:16\n', '  db:\n    image: postgres:16\n    cap_drop:\n      - ALL\n');
    const rebased = await rebaseChange(change, now);
    expect(rebased?.after).toBe(now.replace('image: nginx:1.27\n', 'image: nginx:1.27\n    read_only: true\n'));
    // The service is gone: nothing to edit.
    expect(await rebaseChange(change, 'services:\n  db:\n    image: postgres:16\n')).toBeNull();
  });

  it('a change that only knows its result: refused once the file changed', async () => {
    const change: FileChange = { path: '/x/Dockerfile', before: 'FROM a\n', after: 'FROM b\n' };
    expect(await rebaseChange(change, 'FROM a\nRUN x\n')).toBeNull();
    expect(await rebaseChange(change, 'FROM a\n')).toBe(change);
  });
});

describe('applying proposals of two steps computed from one check', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-rebase-apply-'));

  async function proposalsOf(step: Step, file: string, id: string): Promise<Proposal> {
    const run = await runStep(step, contextFor(dockerfileTarget(file)));
    const found = run.proposals.find((p) => p.id === id);
    if (!found) throw new Error(`${step.meta.id} proposed ${run.proposals.map((p) => p.id).join(', ')}, not ${id}`);
    return found;
  }

  it('the second applies on top of the first, and undo takes them back newest first', async () => {
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, BASE);
    const user = await proposalsOf(nonRootUser, file, 'set-user');
    const probe = await proposalsOf(healthcheck, file, 'add-healthcheck');
    const store = new ProfileStore(path.join(dir, 'state'));
    const profile = await store.load();
    const logs: string[] = [];
    const apply = (step: Step, proposal: Proposal) =>
      applyProposal(step, dockerfileTarget(file), proposal, { store, profile, log: (l) => logs.push(l), recheck: () => runStep(step, contextFor(dockerfileTarget(file))) });

    expect((await apply(nonRootUser, user)).status).toMatch(/^applied/);
    const afterUser = readFileSync(file, 'utf8');
    expect(afterUser).not.toBe(BASE);
    expect(probe.changes[0]!.before).toBe(BASE);
    expect((await apply(healthcheck, probe)).status).toBe('applied');
    expect(logs.some((l) => l.includes('changed since it was checked: the change is made on it as it is now'))).toBe(true);

    const final = readFileSync(file, 'utf8');
    // Both changes are there: the user's lines and the probe right above CMD.
    for (const line of afterUser.split('\n')) expect(final.split('\n')).toContain(line);
    expect(final).toMatch(/HEALTHCHECK [^\n]*curl[^\n]*\nCMD \["\/app\/server"\]\n$/);
    expect((await runStep(healthcheck, contextFor(dockerfileTarget(file)))).result.status).toBe('pass');

    // Undo the probe, then the user: the file is back to what was checked.
    for (const record of [...profile.applied].reverse()) await undoApplied(record, { store, profile });
    expect(readFileSync(file, 'utf8')).toBe(BASE);
  });

  it('an edit whose own line changed since the check is refused: nothing written, no backup left', async () => {
    const file = path.join(dir, 'Dockerfile.ssh');
    const text = 'FROM debian:bookworm-slim\nRUN apt-get install -y openssh-server\nEXPOSE 22\nCMD ["/usr/sbin/sshd", "-D"]\n';
    writeFileSync(file, text);
    const run = await runStep(confinement, contextFor(dockerfileTarget(file)));
    const noSsh = run.proposals.find((p) => p.id === 'no-ssh-port')!;
    expect(noSsh.changes[0]!.edits).toBeDefined();
    // The person changes the very line the fix removes.
    const edited = text.replace('EXPOSE 22\n', 'EXPOSE 22 2222\n');
    writeFileSync(file, edited);
    const store = new ProfileStore(path.join(dir, 'state-ssh'));
    const profile = await store.load();
    const attempt = applyProposal(confinement, dockerfileTarget(file), noSsh, { store, profile });
    await expect(attempt).rejects.toBeInstanceOf(UserError);
    await expect(attempt).rejects.toThrow(/changed since it was checked where this change edits it; nothing written/);
    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(profile.applied).toHaveLength(0);
    expect(existsSync(store.backupDir) ? readdirSync(store.backupDir) : []).toEqual([]);
  });
});

describe('a compose target: fixes of one step computed together, applied one by one', () => {
  it('each service edit applies although the one before changed the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-rebase-services-'));
    const file = path.join(dir, 'compose.yaml');
    writeFileSync(file, 'services:\n  web:\n    image: nginx:1.27\n  worker:\n    image: busybox:1.36\n    command: ["sleep", "1d"]\n');
    const ctx = contextFor(composeTarget(file));
    const run = await runStep(confinement, ctx);
    const store = new ProfileStore(path.join(dir, 'state'));
    const profile = await store.load();
    const wanted = run.proposals.filter((p) => p.changes.length > 0 && p.risk !== 'advice');
    expect(wanted.length).toBeGreaterThan(1);
    for (const p of wanted) {
      const outcome = await applyProposal(confinement, ctx.target, p, { store, profile });
      expect(outcome.status, p.id).toMatch(/^applied/);
    }
    // Every proposal's edit is in the file: checking again proposes none of them.
    const again = await runStep(confinement, contextFor(composeTarget(file)));
    const left = new Set(again.proposals.map((p) => p.id));
    for (const p of wanted) expect(left.has(p.id), p.id).toBe(false);
  });
});
