/**
 * The exported playbook run by Debian's ansible-core against real private dockerds: decisions made
 * on one host with `fix --host`, exported, then rolled out to three more (connection local, per-host
 * variables): one plain, one that gets a decided key as a dockerd flag (it fails alone, before
 * writing), one where dockerd refuses the new settings at restart (rolled back, daemon up), one
 * where only a reloadable key changes (SIGHUP, same process). A
 * second run changes nothing; `--check --diff` writes nothing; a failure limit stops a rollout; and
 * one run goes over SSH to a private sshd on a loopback port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/host-tools.js';

function missingTool(): string | null {
  for (const [tool, paths] of [
    ['ansible-playbook (apt-get install ansible-core)', ['/usr/bin/ansible-playbook']],
    ['sshd (apt-get install openssh-server)', ['/usr/sbin/sshd']],
    ['ssh and ssh-keygen (apt-get install openssh-client)', ['/usr/bin/ssh-keygen']],
    ['python3', ['/usr/bin/python3']],
  ] as const) {
    if (!paths.some((p) => existsSync(p))) return `${tool} is not installed`;
  }
  return null;
}
const missing = missingTool();
if (missing && process.env.DOCKER_HARDEN_REQUIRE_DOCKERD === '1') throw new Error(`DOCKER_HARDEN_REQUIRE_DOCKERD=1 but ${missing}`);
if (missing) console.warn(`[docker-harden tests] Ansible rollout tests skipped: ${missing}`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-ansible-'));
const state = path.join(tmp, 'state');
const out = path.join(tmp, 'out');
const DECIDED = ['live-restore', 'no-new-privileges', 'log-opts'];

interface Recap {
  ok: number;
  changed: number;
  failed: number;
  rescued: number;
}

async function playbook(inventory: string, extra: string[] = []): Promise<{ exitCode: number; output: string; recap: Record<string, Recap> }> {
  const r = await execa('ansible-playbook', ['-i', inventory, path.join(out, 'playbook.yml'), ...extra], {
    reject: false,
    all: true,
    timeout: 240_000,
    stdin: 'ignore',
    env: {
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_LOCAL_TEMP: path.join(tmp, 'ansible-local'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(tmp, 'ansible-cp'),
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
      // No lingering connection master: the test's sshd stops when the run is over.
      ANSIBLE_SSH_ARGS: '-o ControlMaster=no -o GSSAPIAuthentication=no',
      // One connection per task instead of four.
      ANSIBLE_PIPELINING: 'True',
    },
  });
  const output = String(r.all);
  const recap: Record<string, Recap> = {};
  for (const m of output.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)\s+skipped=\d+\s+rescued=(\d+)/gm)) {
    recap[m[1]!] = { ok: Number(m[2]), changed: Number(m[3]), failed: Number(m[4]), rescued: Number(m[5]) };
  }
  return { exitCode: r.exitCode ?? -1, output, recap };
}

function hostVars(d: TestDaemon, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ansible_connection: 'local',
    ansible_python_interpreter: '/usr/bin/python3',
    docker_harden_daemon_json: d.configPath,
    docker_harden_docker_host: d.host,
    docker_harden_dockerd_pidfile: d.pidFile,
    docker_harden_restart_command: [d.restartScript],
    ...extra,
  };
}

function writeInventory(name: string, hosts: Record<string, Record<string, unknown>>): string {
  const file = path.join(tmp, name);
  writeFileSync(file, stringify({ docker_hosts: { hosts } }));
  return file;
}

async function info(d: TestDaemon, format: string): Promise<string> {
  return (await d.docker(['info', '--format', format])).stdout.trim();
}

const backupsOf = (d: TestDaemon) => readdirSync(path.dirname(d.configPath)).filter((f) => f.startsWith('daemon.json.docker-harden-'));

describe.skipIf(!hasDockerd || missing !== null)('export ansible: the playbook on real dockerds', () => {
  let decide: TestDaemon;
  let plain: TestDaemon;
  let flagged: TestDaemon;
  let refuses: TestDaemon;
  let reloads: TestDaemon;
  let inventory: string;
  const original = {
    // Its own log tag (a Docker template) stays: log-opts is rolled out entry by entry.
    plain: '{\n    "bridge": "none",\n    "log-level": "warn",\n    "log-opts": {"tag": "{{.Name}}"}\n}\n',
    flagged: '{\n  "bridge": "none"\n}\n',
    // dockerd refuses the decided log-opts with the journald driver ("unknown log opt 'max-file' for journald log driver").
    refuses: '{"bridge": "none", "log-driver": "journald"}\n',
    // Already has the keys that need a restart: only live-restore changes, and SIGHUP applies it.
    reloads: '{"bridge": "none", "no-new-privileges": true, "log-opts": {"max-size": "10m", "max-file": "3"}}\n',
  };

  beforeAll(async () => {
    await ensureBuilt();
    [decide, plain, flagged, refuses, reloads] = await Promise.all([
      startDockerd({ config: { bridge: 'none' } }),
      startDockerd({ config: original.plain }),
      startDockerd({ config: original.flagged, extraFlags: ['--no-new-privileges'] }),
      startDockerd({ config: original.refuses }),
      startDockerd({ config: original.reloads }),
    ]);
    // Decide on one host, as a person would with `fix --host`, and skip one step with a reason.
    const only = DECIDED.map((k) => `scan-host-config:${k}`).join(',');
    const fix = await runCli(
      ['fix', '--host', '--only', only, '--yes', '--docker-host', decide.host, '--daemon-config', decide.configPath, '--restart-command', decide.restartScript, '--state-dir', state],
      { timeoutMs: 300_000 },
    );
    if (!fix.stdout.includes(`wrote ${decide.configPath}`)) throw new Error(`fix did not apply:\n${fix.stdout}\n${fix.stderr}`);
    const profileFile = path.join(state, 'profile.json');
    const profile = JSON.parse(readFileSync(profileFile, 'utf8'));
    profile.targets.host ??= {};
    profile.targets.host['user-namespaces'] = { status: 'skipped', at: new Date().toISOString(), reason: 'the CI runners mount volumes owned by uid 1000' };
    writeFileSync(profileFile, JSON.stringify(profile, null, 2));

    const exported = await runCli(['export', 'ansible', '--state-dir', state, '--out', out]);
    if (exported.exitCode !== 0) throw new Error(`export failed:\n${exported.stderr}`);
    inventory = writeInventory('inventory.yml', {
      plain: hostVars(plain),
      flagged: hostVars(flagged),
      refuses: hostVars(refuses, { docker_harden_health_timeout: 10 }),
      reloads: hostVars(reloads),
    });
  }, 400_000);

  afterAll(async () => {
    await Promise.all([decide, plain, flagged, refuses, reloads].map((d) => d?.stop()));
    rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  it('exports exactly the settings decided and the skipped step with its reason', () => {
    const text = readFileSync(path.join(out, 'playbook.yml'), 'utf8');
    const decided = JSON.parse(readFileSync(decide.configPath, 'utf8'));
    // An object key is listed by the entries it sets; the others are values.
    for (const key of DECIDED) expect(text).toContain(typeof decided[key] === 'object' ? `#   ${key}: set ${JSON.stringify(decided[key])} (its other entries stay)` : `#   ${key} = ${JSON.stringify(decided[key])}`);
    expect(text).toContain('user-namespaces: the CI runners mount volumes owned by uid 1000');
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toContain('| `no-new-privileges` | `true` | restart |');
    expect(statSync(path.join(out, 'library', 'docker_harden_daemon_json.py')).isFile()).toBe(true);
  });

  it('--check --diff shows each host its change and writes nothing', async () => {
    const pids = [plain.pid(), flagged.pid(), refuses.pid()];
    const r = await playbook(inventory, ['--check', '--diff', '-e', 'docker_harden_serial=4', '-e', 'docker_harden_max_fail_percentage=100']);
    expect(r.output).toMatch(/\+\s+"no-new-privileges": true/);
    expect(r.output).toContain('"log-level": "warn"');
    expect(r.recap.plain).toMatchObject({ failed: 0 });
    expect(r.recap.flagged).toMatchObject({ failed: 1 });
    expect(readFileSync(plain.configPath, 'utf8')).toBe(original.plain);
    expect(readFileSync(refuses.configPath, 'utf8')).toBe(original.refuses);
    expect([plain.pid(), flagged.pid(), refuses.pid()]).toEqual(pids);
    expect([...backupsOf(plain), ...backupsOf(refuses)]).toEqual([]);
  }, 300_000);

  it('a failure limit stops the rollout at the first failing host', async () => {
    const first = writeInventory('limit.yml', { flagged: hostVars(flagged), plain: hostVars(plain) });
    const r = await playbook(first, ['-e', 'docker_harden_serial=1', '-e', 'docker_harden_max_fail_percentage=0']);
    expect(r.exitCode).not.toBe(0);
    expect(r.recap.flagged).toMatchObject({ failed: 1 });
    expect(r.recap.plain).toBeUndefined();
    expect(readFileSync(plain.configPath, 'utf8')).toBe(original.plain);
  }, 300_000);

  it('rolls out: applied and live on one host, the flag conflict fails alone, the refused restart is rolled back', async () => {
    const flaggedPid = flagged.pid();
    const plainPid = plain.pid();
    const reloadsPid = reloads.pid();
    const r = await playbook(inventory, ['-e', 'docker_harden_serial=4', '-e', 'docker_harden_max_fail_percentage=100']);
    expect(r.exitCode).not.toBe(0);

    // Applied: decided keys set, the person's keys kept, restarted and live.
    expect(r.recap.plain).toMatchObject({ failed: 0, rescued: 0 });
    expect(r.recap.plain!.changed).toBeGreaterThan(0);
    const now = JSON.parse(readFileSync(plain.configPath, 'utf8'));
    expect(now).toEqual({ bridge: 'none', 'log-level': 'warn', 'live-restore': true, 'no-new-privileges': true, 'log-opts': { tag: '{{.Name}}', 'max-size': '10m', 'max-file': '3' } });
    expect(readFileSync(plain.configPath, 'utf8').startsWith('{\n    "bridge"')).toBe(true);
    expect(await info(plain, '{{.LiveRestoreEnabled}}')).toBe('true');
    expect(plain.pid()).not.toBe(plainPid);
    const [backup] = backupsOf(plain);
    expect(readFileSync(path.join(path.dirname(plain.configPath), backup!), 'utf8')).toBe(original.plain);
    expect(statSync(path.join(path.dirname(plain.configPath), backup!)).mode & 0o777).toBe(0o600);

    // A decided key given to dockerd as a flag: that host alone fails, before writing, dockerd untouched.
    expect(r.recap.flagged).toMatchObject({ failed: 1, changed: 0 });
    expect(r.output).toMatch(/already gets \\?"no-new-privileges\\?" by --no-new-privileges on its command line/);
    expect(readFileSync(flagged.configPath, 'utf8')).toBe(original.flagged);
    expect(backupsOf(flagged)).toEqual([]);
    expect(flagged.pid()).toBe(flaggedPid);
    expect(await info(flagged, '{{.ServerVersion}}')).not.toBe('');

    // dockerd refused the new settings at restart: backup restored byte for byte, restarted, answers.
    expect(r.recap.refuses).toMatchObject({ failed: 1, rescued: 1 });
    expect(r.output).toContain('docker-harden rolled this host back');
    expect(readFileSync(refuses.configPath, 'utf8')).toBe(original.refuses);
    expect(refuses.log()).toMatch(/unknown log opt '(max-size|max-file)' for journald log driver/i);
    expect(await info(refuses, '{{.LiveRestoreEnabled}}')).toBe('false');

    // Only a reloadable key changed: SIGHUP, the same process, the setting live.
    expect(r.recap.reloads).toMatchObject({ failed: 0, rescued: 0 });
    expect(r.output).toMatch(/TASK \[Reload dockerd \(SIGHUP\)[^\n]*\n(?:[^\n]*\n)*?changed: \[reloads\]/);
    expect(JSON.parse(readFileSync(reloads.configPath, 'utf8'))).toEqual({ bridge: 'none', 'no-new-privileges': true, 'log-opts': { 'max-size': '10m', 'max-file': '3' }, 'live-restore': true });
    expect(reloads.pid()).toBe(reloadsPid);
    expect(await info(reloads, '{{.LiveRestoreEnabled}}')).toBe('true');
  }, 300_000);

  it('a second run changes nothing', async () => {
    const before = readFileSync(plain.configPath, 'utf8');
    const pid = plain.pid();
    const r = await playbook(inventory, ['--limit', 'plain:reloads']);
    expect(r.exitCode).toBe(0);
    expect(r.recap.plain).toMatchObject({ changed: 0, failed: 0 });
    expect(r.recap.reloads).toMatchObject({ changed: 0, failed: 0 });
    expect(readFileSync(plain.configPath, 'utf8')).toBe(before);
    expect(plain.pid()).toBe(pid);
    expect(backupsOf(plain)).toHaveLength(1);
  }, 300_000);

  describe('over SSH', () => {
    let remote: TestDaemon;
    let sshd: ResultPromise | undefined;
    const sshDir = path.join(tmp, 'ssh');
    let port = 0;

    beforeAll(async () => {
      remote = await startDockerd({ config: { bridge: 'none' } });
      mkdirSync(sshDir, { mode: 0o700 });
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
      const key = (name: string) => execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path.join(sshDir, name)], { stdin: 'ignore' });
      await key('host_key');
      await key('client_key');
      writeFileSync(path.join(sshDir, 'authorized_keys'), readFileSync(path.join(sshDir, 'client_key.pub')));
      chmodSync(path.join(sshDir, 'authorized_keys'), 0o600);
      port = await freePort();
      writeFileSync(path.join(sshDir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(path.join(sshDir, 'host_key.pub'), 'utf8')}`);
      writeFileSync(
        path.join(sshDir, 'sshd_config'),
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${path.join(sshDir, 'host_key')}`,
          `PidFile ${path.join(sshDir, 'sshd.pid')}`,
          `AuthorizedKeysFile ${path.join(sshDir, 'authorized_keys')}`,
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'StrictModes no',
          'Subsystem sftp /usr/lib/openssh/sftp-server',
          '',
        ].join('\n'),
      );
      sshd = execa('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(sshDir, 'sshd_config')], {
        reject: false,
        stdin: 'ignore',
        stdout: 'ignore',
        stderr: { file: path.join(sshDir, 'sshd.log') },
      });
      // Bounded by the hook's timeout: sshd listens within moments or the hook fails.
      for (;;) {
        const up = await new Promise<boolean>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
          s.on('error', () => resolve(false));
        });
        if (up) break;
        if (sshd.exitCode !== null && sshd.exitCode !== undefined) throw new Error(`sshd exited: ${readFileSync(path.join(sshDir, 'sshd.log'), 'utf8')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }, 300_000);

    afterAll(async () => {
      if (sshd?.pid) process.kill(sshd.pid, 'SIGTERM');
      await sshd;
      await remote?.stop();
    }, 60_000);

    it('the same playbook applies the settings on a host reached over SSH', async () => {
      const inv = writeInventory('ssh.yml', {
        remote: {
          ...hostVars(remote),
          ansible_connection: 'ssh',
          ansible_host: '127.0.0.1',
          ansible_port: port,
          ansible_user: 'root',
          ansible_ssh_private_key_file: path.join(sshDir, 'client_key'),
          ansible_ssh_common_args: `-o UserKnownHostsFile=${path.join(sshDir, 'known_hosts')} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
        },
      });
      const r = await playbook(inv);
      expect(r.exitCode, r.output).toBe(0);
      expect(r.recap.remote).toMatchObject({ failed: 0 });
      expect(r.output).toMatch(/ESTABLISH SSH CONNECTION|remote\]/);
      expect(JSON.parse(readFileSync(remote.configPath, 'utf8'))).toEqual({ bridge: 'none', 'live-restore': true, 'no-new-privileges': true, 'log-opts': { 'max-size': '10m', 'max-file': '3' } });
      expect(await info(remote, '{{.LiveRestoreEnabled}}')).toBe('true');
    }, 300_000);
  });
});
