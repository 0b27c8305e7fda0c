/**
 * `export ansible` without a daemon: a profile made by the engine's own apply (backups and hashes
 * as `fix` records them) becomes exactly the decided keys; the playbook passes ansible-playbook's
 * syntax check; bad input exits 2 with the file named and writes nothing; and the shipped module,
 * run by ansible-core, refuses a daemon.json dockerd would not read without touching it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { applyFileChange } from '../../src/core/change.js';
import { ProfileStore, emptyProfile, newAppliedId, type Profile } from '../../src/core/profile.js';
import { editDaemonConfig } from '../../src/host/daemon-edit.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hasAnsible = existsSync('/usr/bin/ansible-playbook');
if (!hasAnsible && process.env.DOCKER_HARDEN_REQUIRE_DOCKERD === '1') throw new Error('DOCKER_HARDEN_REQUIRE_DOCKERD=1 but ansible-core is not installed');
if (!hasAnsible) console.warn('[docker-harden tests] ansible-core checks of the exported playbook skipped: ansible-playbook is not installed');

/** Apply daemon.json edits through the engine and record them as `fix` does. */
async function decide(stateDir: string, daemonJson: string, steps: { proposal: string; edits: { key: string; value: unknown }[]; daemon: 'reload' | 'restart' }[]): Promise<Profile> {
  const store = new ProfileStore(stateDir);
  const profile = emptyProfile();
  for (const s of steps) {
    const before = existsSync(daemonJson) ? readFileSync(daemonJson, 'utf8') : null;
    const after = editDaemonConfig(before, s.edits.map((e) => ({ path: [e.key], value: e.value })));
    const written = await applyFileChange({ path: daemonJson, before, after }, store.backupDir);
    profile.applied.push({ id: newAppliedId(), step: 'scan-host-config', target: 'host', proposal: s.proposal, at: new Date().toISOString(), daemon: s.daemon, files: [written], commands: [] });
  }
  profile.targets.host = { 'scan-host-config': { status: 'done', at: new Date().toISOString() }, 'user-namespaces': { status: 'skipped', at: new Date().toISOString(), reason: 'volumes\u001b[31m owned by uid 1000' } };
  await store.save(profile);
  return profile;
}

describe('export ansible', () => {
  const state = path.join(tmp, 'state');
  const daemonJson = path.join(tmp, 'etc', 'daemon.json');
  const out = path.join(tmp, 'out');

  beforeAll(async () => {
    await ensureBuilt();
    mkdirSync(path.dirname(daemonJson));
    writeFileSync(daemonJson, '{\n  "bridge": "none",\n  "debug": true,\n  "insecure-registries": ["10.0.0.5:5000"]\n}\n');
    await decide(state, daemonJson, [
      { proposal: 'live-restore', edits: [{ key: 'live-restore', value: true }], daemon: 'reload' },
      { proposal: 'icc', edits: [{ key: 'icc', value: false }], daemon: 'restart' },
      { proposal: 'insecure-registries', edits: [{ key: 'insecure-registries', value: undefined }], daemon: 'reload' },
    ]);
  }, 120_000);

  it('writes the playbook with exactly the decided keys, set and removed, and the skipped step', async () => {
    const r = await runCli(['export', 'ansible', '--state-dir', state, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('3 settings: live-restore, icc, -insecure-registries');
    expect(readdirSync(out).sort()).toEqual(['README.md', 'inventory.example.yml', 'library', 'playbook.yml']);
    const text = readFileSync(path.join(out, 'playbook.yml'), 'utf8');
    // Values from daemon.json are !unsafe for Ansible: read here as the strings they are.
    const [play] = parse(text, { customTags: [{ tag: '!unsafe', resolve: (v: string) => v }] }) as { vars: Record<string, unknown>; serial: string }[];
    expect(play!.vars.docker_harden_set).toEqual({ 'live-restore': true, icc: false });
    expect(play!.vars.docker_harden_remove).toEqual(['insecure-registries']);
    // Only keys dockerd reloads on SIGHUP; icc needs a restart. debug and bridge were not decided.
    expect(play!.vars.docker_harden_reloadable).toEqual(['live-restore', 'insecure-registries']);
    expect(play!.vars.docker_harden_live).toEqual({ 'live-restore': { kind: 'field', field: 'LiveRestoreEnabled', value: true } });
    expect((play!.vars.docker_harden_flag_knowledge as { keys: Record<string, string> }).keys['insecure-registry']).toBe('insecure-registries');
    // The reason is shown, its escape sequence is not.
    expect(text).toContain('#   user-namespaces: volumes [31m owned by uid 1000');
    expect(text).not.toContain('\u001b');
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toContain('| `insecure-registries` | removed | reload (SIGHUP) |');
  });

  it.skipIf(!hasAnsible)('the playbook and inventory pass ansible-playbook --syntax-check', async () => {
    const r = await execa('ansible-playbook', ['--syntax-check', '-i', path.join(out, 'inventory.example.yml'), path.join(out, 'playbook.yml')], { reject: false, env: { ANSIBLE_NOCOLOR: '1' } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
  }, 60_000);

  it.skipIf(!hasAnsible)('the module refuses invalid JSON, duplicate keys and a symbolic link, changing nothing', async () => {
    const run = (file: string) =>
      execa('ansible', ['localhost', '-c', 'local', '-M', path.join(out, 'library'), '-m', 'docker_harden_daemon_json', '-a', JSON.stringify({ path: file, set: { icc: false } }), '-e', 'ansible_python_interpreter=/usr/bin/python3'], {
        reject: false,
        env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False' },
      });
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{\n  "bridge": "none",\n}\n');
    let r = await run(bad);
    expect(r.exitCode).not.toBe(0);
    expect(String(r.stdout)).toMatch(/bad\.json is not valid JSON \(line 3, column 1\)/);
    expect(readFileSync(bad, 'utf8')).toBe('{\n  "bridge": "none",\n}\n');
    const dup = path.join(tmp, 'dup.json');
    writeFileSync(dup, '{"icc": true, "icc": false}\n');
    r = await run(dup);
    expect(String(r.stdout)).toContain('the key \\"icc\\" appears twice');
    expect(readFileSync(dup, 'utf8')).toBe('{"icc": true, "icc": false}\n');
    const link = path.join(tmp, 'link.json');
    symlinkSync(daemonJson, link);
    const before = readFileSync(daemonJson, 'utf8');
    r = await run(link);
    expect(String(r.stdout)).toContain('is a symbolic link');
    expect(readFileSync(daemonJson, 'utf8')).toBe(before);
    expect(readdirSync(tmp).filter((f) => f.includes('docker-harden-'))).toEqual([]);
  }, 240_000);

  it('an object key is rolled out entry by entry, and no value from daemon.json is ever a template: not even under --check', async () => {
    const objState = path.join(tmp, 'state-object');
    const objJson = path.join(tmp, 'etc-object', 'daemon.json');
    const mark = path.join(tmp, 'templated');
    mkdirSync(path.dirname(objJson));
    writeFileSync(objJson, '{\n  "log-driver": "json-file",\n  "log-opts": {"tag": "{{.Name}}", "labels": "team", "max-file": "3"}\n}\n');
    // Docker's own log tag template stays; max-size is added, labels dropped, and one value is text meant to run on the control node.
    const injected = `x{{ lookup('pipe', 'touch ${mark}') }}`;
    await decide(objState, objJson, [{ proposal: 'log-opts', edits: [{ key: 'log-opts', value: { tag: '{{.Name}}', 'max-file': '3', 'max-size': '10m', env: injected } }], daemon: 'restart' }]);
    const objOut = path.join(tmp, 'out-object');
    const r = await runCli(['export', 'ansible', '--state-dir', objState, '--out', objOut]);
    expect(r.exitCode, r.stderr).toBe(0);
    const text = readFileSync(path.join(objOut, 'playbook.yml'), 'utf8');
    const [play] = parse(text, { customTags: [{ tag: '!unsafe', resolve: (v: string) => `unsafe:${v}` }] }) as { vars: Record<string, unknown> }[];
    expect(play!.vars.docker_harden_set).toEqual({});
    expect(play!.vars.docker_harden_merge).toEqual({ 'log-opts': { set: { 'max-size': 'unsafe:10m', env: `unsafe:${injected}` }, remove: ['unsafe:labels'] } });
    if (!hasAnsible) return;
    // A server with log-opts of its own; no dockerd answers, so the run stops at its first task, after templating.
    const host = path.join(tmp, 'etc-object', 'server.json');
    writeFileSync(host, '{"log-opts": {"tag": "web2-{{.Name}}"}}\n');
    const inventory = path.join(tmp, 'object-inventory.yml');
    writeFileSync(inventory, `docker_hosts:\n  hosts:\n    web2:\n      ansible_connection: local\n      ansible_python_interpreter: /usr/bin/python3\n      docker_harden_daemon_json: ${host}\n      docker_harden_dockerd_pidfile: ${path.join(tmp, 'absent.pid')}\n`);
    const run = await execa('ansible-playbook', ['-i', inventory, path.join(objOut, 'playbook.yml'), '--check', '--diff'], { reject: false, all: true, env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: path.join(tmp, 'ansible-local') } });
    expect(String(run.all)).toContain('cannot read the running dockerd through its pid file');
    expect(existsSync(mark), String(run.all)).toBe(false);
    expect(readFileSync(host, 'utf8')).toBe('{"log-opts": {"tag": "web2-{{.Name}}"}}\n');
  }, 240_000);

  it('bad input: exit 2 with a clear message, nothing written', async () => {
    const none = await runCli(['export', 'ansible', '--state-dir', path.join(tmp, 'nothing'), '--out', path.join(tmp, 'o1')]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/profile\.json: there is no progress profile here to export/);
    expect(existsSync(path.join(tmp, 'o1'))).toBe(false);

    const emptyState = path.join(tmp, 'empty-state');
    await new ProfileStore(emptyState).save({ ...emptyProfile(), targets: { 'dockerfile:/x/Dockerfile': { 'non-root-user': { status: 'done', at: 'now' } } } });
    const noHost = await runCli(['export', 'ansible', '--state-dir', emptyState, '--out', path.join(tmp, 'o2')]);
    expect(noHost.exitCode).toBe(2);
    expect(noHost.stderr).toContain('the profile has no host decisions to export');
    expect(existsSync(path.join(tmp, 'o2'))).toBe(false);

    const full = path.join(tmp, 'full');
    mkdirSync(full);
    writeFileSync(path.join(full, 'playbook.yml'), 'mine\n');
    const notEmpty = await runCli(['export', 'ansible', '--state-dir', state, '--out', full]);
    expect(notEmpty.exitCode).toBe(2);
    expect(notEmpty.stderr).toContain(`${full}: is not empty`);
    expect(readFileSync(path.join(full, 'playbook.yml'), 'utf8')).toBe('mine\n');

    const link = path.join(tmp, 'out-link');
    symlinkSync(path.join(tmp, 'elsewhere'), link);
    const linked = await runCli(['export', 'ansible', '--state-dir', state, '--out', link]);
    expect(linked.exitCode).toBe(2);
    expect(linked.stderr).toContain('is a symbolic link');
    expect(existsSync(path.join(tmp, 'elsewhere'))).toBe(false);

    const what = await runCli(['export', 'terraform', '--state-dir', state]);
    expect(what.exitCode).toBe(2);
    expect(what.stderr).toContain('Usage: docker-harden export ansible');
  }, 120_000);

  it('a daemon.json edited after the decision cannot be replayed: exit 2, nothing written', async () => {
    const otherState = path.join(tmp, 'state-edited');
    const file = path.join(tmp, 'etc', 'edited.json');
    writeFileSync(file, '{}\n');
    await decide(otherState, file, [{ proposal: 'icc', edits: [{ key: 'icc', value: false }], daemon: 'restart' }]);
    writeFileSync(file, '{"icc": true}\n');
    const r = await runCli(['export', 'ansible', '--state-dir', otherState, '--out', path.join(tmp, 'o3')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('here does not hold what docker-harden wrote (it was changed since, or this state folder comes from another machine)');
    expect(existsSync(path.join(tmp, 'o3'))).toBe(false);
  }, 60_000);

  it('a state folder copied to another machine: exported with a copy of the deciding host daemon.json; without it, said how', async () => {
    // The copy lives elsewhere; the deciding host's daemon.json is not here any more.
    const copied = path.join(tmp, 'state-from-web1');
    cpSync(state, copied, { recursive: true });
    const web1 = path.join(tmp, 'web1-daemon.json');
    writeFileSync(web1, readFileSync(daemonJson));
    const moved = `${daemonJson}.moved`;
    renameSync(daemonJson, moved);
    try {
      const without = await runCli(['export', 'ansible', '--state-dir', copied, '--out', path.join(tmp, 'o4')]);
      expect(without.exitCode).toBe(2);
      expect(without.stderr).toContain('pass a copy of its daemon.json as --daemon-config FILE');
      const r = await runCli(['export', 'ansible', '--state-dir', copied, '--daemon-config', web1, '--out', path.join(tmp, 'o5')]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('3 settings: live-restore, icc, -insecure-registries');
      // The backups are read from the copied folder, by name: the original is gone.
      rmSync(path.join(state, 'backups'), { recursive: true, force: true });
      const again = await runCli(['export', 'ansible', '--state-dir', copied, '--daemon-config', web1, '--out', path.join(tmp, 'o6')]);
      expect(again.exitCode, again.stderr).toBe(0);
    } finally {
      renameSync(moved, daemonJson);
    }
  }, 60_000);
});
