import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { keyUnsupportedBy } from '../../src/host/daemon-schema.js';
import { daemonFlagConflicts, parseDaemonConfig, startProblems } from '../../src/host/daemon-validate.js';
import { editDaemonConfig } from '../../src/host/daemon-edit.js';
import { effectiveDaemonSetting, type DaemonView } from '../../src/host/daemon-view.js';
import { parseDaemonArgs, withoutFlags } from '../../src/host/flags.js';
import { dockerOpts, unitDirective } from '../../src/host/units.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';

function parseError(text: string): UserError {
  try {
    parseDaemonConfig(text, '/etc/docker/daemon.json');
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected the file to be rejected');
}

// Malformed files: what dockerd refuses, with where and why.
const MALFORMED: { name: string; text: string; message: RegExp; line: number; column: number }[] = [
  { name: 'a line comment', text: '{\n  // keep icc off\n  "icc": false\n}\n', message: /comments are not allowed/, line: 2, column: 3 },
  { name: 'a block comment', text: '{\n  "icc": false /* no */\n}\n', message: /comments are not allowed/, line: 2, column: 16 },
  { name: 'a trailing comma', text: '{\n  "icc": false,\n  "debug": true,\n}\n', message: /trailing comma/, line: 3, column: 16 },
  { name: 'a trailing comma in a list', text: '{\n  "dns": ["1.1.1.1",]\n}\n', message: /trailing comma/, line: 2, column: 20 },
  { name: 'a duplicate key', text: '{\n  "icc": false,\n  "debug": true,\n  "icc": true\n}\n', message: /duplicate key "icc".*first at line 2/, line: 4, column: 3 },
  { name: 'a duplicate nested key', text: '{\n  "log-opts": {"max-size": "1m", "max-size": "2m"}\n}\n', message: /duplicate key "max-size" in "log-opts"/, line: 2, column: 34 },
  { name: 'a boolean as a string', text: '{\n  "icc": "false"\n}\n', message: /"icc" must be true or false.*not the string "false"/, line: 2, column: 10 },
  { name: 'a number in log-opts', text: '{\n  "log-opts": {\n    "max-file": 3\n  }\n}\n', message: /"log-opts" > "max-file" must be a string, not the number 3/, line: 3, column: 17 },
  { name: 'a string where a list goes', text: '{"hosts": "unix:///var/run/docker.sock"}', message: /"hosts" must be a list of strings/, line: 1, column: 11 },
  { name: 'a fraction where a whole number goes', text: '{"shutdown-timeout": 1.5}', message: /"shutdown-timeout" must be a whole number/, line: 1, column: 22 },
  { name: 'an unknown key, with a suggestion', text: '{\n  "live-restor": true\n}\n', message: /unknown key "live-restor"/, line: 2, column: 3 },
  { name: 'an empty file', text: '', message: /is empty/, line: 1, column: 1 },
  { name: 'only whitespace', text: '\n\n', message: /is empty/, line: 1, column: 1 },
  { name: 'a list at the top level', text: '["icc"]\n', message: /top level must be a JSON object/, line: 1, column: 1 },
  { name: 'a string at the top level', text: '"icc"', message: /top level must be a JSON object/, line: 1, column: 1 },
  { name: 'text after the object', text: '{"icc": false} {}', message: /unexpected text after the closing brace/, line: 1, column: 16 },
  { name: 'a missing comma', text: '{\n  "icc": false\n  "debug": true\n}', message: /comma was expected/, line: 3, column: 3 },
];

describe('parseDaemonConfig: what dockerd rejects, with line and column', () => {
  it.each(MALFORMED)('$name', ({ text, message, line, column }) => {
    const err = parseError(text);
    expect(err.message).toMatch(message);
    expect(err.file).toBe('/etc/docker/daemon.json');
    expect({ line: err.line, column: err.column }).toEqual({ line, column });
    expect(err.hint).toBeTruthy();
  });

  it('suggests the key that was meant', () => {
    expect(parseError('{"live-restor": true}').hint).toContain('"live-restore"');
  });

  it('accepts what dockerd accepts: every type of the keys the steps touch, null, and a byte-order mark', () => {
    const value = parseDaemonConfig(
      '\uFEFF' +
        JSON.stringify({
          icc: false,
          'log-level': 'info',
          'log-opts': { 'max-size': '10m', 'max-file': '3' },
          'default-ulimits': { nofile: { Name: 'nofile', Hard: 64000, Soft: 64000 } },
          runtimes: { runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--debug'] } },
          'default-address-pools': [{ base: '10.10.0.0/16', size: 24 }],
          features: { buildkit: true },
          'storage-opts': ['dm.basesize=20G'],
          'default-shm-size': '64M',
          'seccomp-profile': null,
          hosts: ['unix:///var/run/docker.sock'],
        }),
      'x.json',
    );
    expect(value.icc).toBe(false);
    expect(value['log-opts']).toEqual({ 'max-size': '10m', 'max-file': '3' });
  });

  it('knows which Engine releases know a key', () => {
    expect(keyUnsupportedBy('log-format', '20.10.24+dfsg1')).toMatch(/needs Docker Engine 25.0/);
    expect(keyUnsupportedBy('log-format', '27.3.1')).toBeNull();
    expect(keyUnsupportedBy('graph', '24.0.0')).toMatch(/removed in Docker Engine 23.0/);
    expect(keyUnsupportedBy('icc', '20.10.24')).toBeNull();
  });
});

describe('editDaemonConfig: format-preserving edits', () => {
  it('keeps key order, two-space indent and a final newline; appends new keys', () => {
    const before = '{\n  "debug": false,\n  "bridge": "none"\n}\n';
    expect(editDaemonConfig(before, [{ path: ['icc'], value: false }])).toBe('{\n  "debug": false,\n  "bridge": "none",\n  "icc": false\n}\n');
  });

  it('keeps CRLF line endings', () => {
    const before = '{\r\n  "debug": false\r\n}\r\n';
    const after = editDaemonConfig(before, [{ path: ['live-restore'], value: true }]);
    expect(after).toBe('{\r\n  "debug": false,\r\n  "live-restore": true\r\n}\r\n');
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('keeps tab indentation', () => {
    const before = '{\n\t"debug": false\n}\n';
    expect(editDaemonConfig(before, [{ path: ['log-opts', 'max-size'], value: '10m' }])).toBe('{\n\t"debug": false,\n\t"log-opts": {\n\t\t"max-size": "10m"\n\t}\n}\n');
  });

  it('keeps a four-space indent and edits a value in place', () => {
    const before = '{\n    "icc": true,\n    "debug": false\n}';
    expect(editDaemonConfig(before, [{ path: ['icc'], value: false }])).toBe('{\n    "icc": false,\n    "debug": false\n}');
  });

  it('removes a key (value undefined) and leaves the others untouched', () => {
    const before = '{\n  "cgroup-parent": "x.slice",\n  "icc": false\n}\n';
    expect(editDaemonConfig(before, [{ path: ['cgroup-parent'], value: undefined }])).toBe('{\n  "icc": false\n}\n');
  });

  it('removing a key touches only its own text: a one-line array beside it stays on one line', () => {
    const cases: [string, string][] = [
      ['{\n  "hosts": ["unix:///run/d.sock", "tcp://0.0.0.0:2375"],\n  "experimental": true,\n  "icc": true\n}\n', '{\n  "hosts": ["unix:///run/d.sock", "tcp://0.0.0.0:2375"],\n  "icc": true\n}\n'],
      ['{\n  "experimental": true,\n  "hosts": ["a", "b"]\n}\n', '{\n  "hosts": ["a", "b"]\n}\n'],
      ['{"a": 1, "experimental": true, "b": [1, 2]}', '{"a": 1, "b": [1, 2]}'],
      ['{\r\n\t"experimental": true\r\n}\r\n', '{}\r\n'],
    ];
    for (const [before, after] of cases) expect(editDaemonConfig(before, [{ path: ['experimental'], value: undefined }])).toBe(after);
  });

  it('keeps a byte-order mark', () => {
    const after = editDaemonConfig('\uFEFF{\n  "icc": true\n}\n', [{ path: ['icc'], value: false }]);
    expect(after).toBe('\uFEFF{\n  "icc": false\n}\n');
  });

  it('creates a file from nothing', () => {
    expect(editDaemonConfig(null, [{ path: ['no-new-privileges'], value: true }])).toBe('{\n  "no-new-privileges": true\n}\n');
  });

  it('edits inside a nested object without touching its other keys', () => {
    const before = '{\n  "log-opts": {"max-file": "5", "labels": "app"}\n}\n';
    const after = editDaemonConfig(before, [{ path: ['log-opts', 'max-size'], value: '10m' }]);
    expect(JSON.parse(after)['log-opts']).toEqual({ 'max-file': '5', labels: 'app', 'max-size': '10m' });
    // jsonc-parser lays out the object it inserts into; its keys keep their order.
    expect(Object.keys(JSON.parse(after)['log-opts'])).toEqual(['max-file', 'labels', 'max-size']);
  });

  it('the result always parses as dockerd would', () => {
    const before = '{\r\n\t"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]\r\n}\r\n';
    const after = editDaemonConfig(before, [
      { path: ['hosts'], value: ['unix:///var/run/docker.sock'] },
      { path: ['icc'], value: false },
    ]);
    expect(parseDaemonConfig(after, 'x')).toEqual({ hosts: ['unix:///var/run/docker.sock'], icc: false });
  });
});

describe('flags and units', () => {
  it('parses dockerd flags into canonical long names', () => {
    const flags = parseDaemonArgs(['-H', 'fd://', '-Htcp://0.0.0.0:2375', '--containerd=/run/containerd/containerd.sock', '-D', '--icc=false', '--live-restore', '-l', 'debug', '-G', 'docker', '-p', '/run/d.pid', '-g', '/srv/docker', '--log-opt', 'max-size=1m', '--graph=/x']);
    expect(flags).toEqual([
      { name: 'host', value: 'fd://' },
      { name: 'host', value: 'tcp://0.0.0.0:2375' },
      { name: 'containerd', value: '/run/containerd/containerd.sock' },
      { name: 'debug', value: null },
      { name: 'icc', value: 'false' },
      { name: 'live-restore', value: null },
      { name: 'log-level', value: 'debug' },
      { name: 'group', value: 'docker' },
      { name: 'pidfile', value: '/run/d.pid' },
      { name: 'data-root', value: '/srv/docker' },
      { name: 'log-opt', value: 'max-size=1m' },
      { name: 'data-root', value: '/x' },
    ]);
  });

  it('takes flags out of an argv, value and all', () => {
    expect(withoutFlags(['/usr/bin/dockerd', '-H', 'fd://', '-H', 'tcp://0.0.0.0:2375', '--icc=true'], (f) => f.name === 'host' && f.value!.startsWith('tcp'))).toEqual([
      '/usr/bin/dockerd',
      '-H',
      'fd://',
      '--icc=true',
    ]);
  });

  it('reads ExecStart after drop-ins: an empty assignment resets', () => {
    const files = [
      { path: '/lib/systemd/system/docker.service', text: '[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/dockerd -H fd:// \\\n  --containerd=/run/containerd/containerd.sock\n' },
      { path: '/etc/systemd/system/docker.service.d/override.conf', text: '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375\n' },
    ];
    expect(unitDirective(files.slice(0, 1), 'Service', 'ExecStart')).toEqual(['/usr/bin/dockerd -H fd://    --containerd=/run/containerd/containerd.sock']);
    expect(unitDirective(files, 'Service', 'ExecStart')).toEqual(['/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375']);
  });

  it('reads DOCKER_OPTS from a defaults file', () => {
    expect(dockerOpts('# comment\nDOCKER_OPTS="--dns 8.8.8.8 -H tcp://127.0.0.1:2375"\n')).toEqual(['--dns', '8.8.8.8', '-H', 'tcp://127.0.0.1:2375']);
  });

  it('finds keys set both as a flag and in daemon.json (dockerd refuses to start)', () => {
    const flags = parseDaemonArgs(['-H', 'fd://', '--log-level=debug', '--add-runtime', 'x=/bin/x', '--insecure-registry', 'r:5000']).map((flag) => ({
      flag,
      source: 'unit' as const,
      where: '/lib/systemd/system/docker.service',
    }));
    const conflicts = daemonFlagConflicts(flags, { hosts: ['unix:///var/run/docker.sock'], 'log-level': 'info', runtimes: {}, icc: false, 'insecure-registries': [] });
    expect(conflicts.map((c) => c.key).sort()).toEqual(['hosts', 'insecure-registries', 'log-level']);
  });

  it('knows pairs of keys dockerd refuses', () => {
    expect(startProblems({ icc: false, iptables: false })[0]).toMatch(/icc.*iptables/);
    expect(startProblems({ icc: false })).toEqual([]);
  });
});

describe('effectiveDaemonSetting', () => {
  const view = (over: Partial<DaemonView>): DaemonView => ({
    config: { path: '/etc/docker/daemon.json', source: 'default', text: null, value: {} },
    process: null,
    units: null,
    info: null,
    ...over,
  });

  it('a flag on the command line wins over the file; both are shown and the conflict is named', () => {
    const text = '{\n  "log-level": "info"\n}\n';
    const s = effectiveDaemonSetting(
      view({
        config: { path: '/etc/docker/daemon.json', source: 'default', text, value: { 'log-level': 'info' } },
        process: { pid: 42, argv: ['dockerd', '-l', 'debug'], flags: parseDaemonArgs(['-l', 'debug']) },
      }),
      'log-level',
    );
    expect(s.value).toBe('debug');
    expect(s.source?.kind).toBe('cmdline');
    expect(s.file?.where).toBe('/etc/docker/daemon.json:2:3');
    expect(s.conflict).toBe(true);
  });

  it('a value in the file that the live daemon does not show is pending', () => {
    const s = effectiveDaemonSetting(
      view({ config: { path: 'd.json', source: 'option', text: '{"live-restore": true}', value: { 'live-restore': true } }, info: { LiveRestoreEnabled: false } }),
      'live-restore',
    );
    expect(s.value).toBe(true);
    expect(s.live).toBe(false);
    expect(s.pending).toBe(true);
  });

  it('nothing set: dockerd default', () => {
    const s = effectiveDaemonSetting(view({ info: { SecurityOptions: ['name=seccomp,profile=default'] } }), 'icc');
    expect(s).toMatchObject({ value: true, isDefault: true, source: null, pending: false });
  });
});

describe('malformed daemon.json through the CLI: exit 2, line and column, nothing written', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-cfg-'));
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases = MALFORMED.filter((c) => ['a line comment', 'a trailing comma', 'a duplicate key', 'a boolean as a string', 'an unknown key, with a suggestion', 'an empty file', 'a list at the top level'].includes(c.name));
  it.each(cases)('$name', async ({ name, text, line, column }) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, text);
    const stateDir = path.join(dir, `state-${name.replace(/\W+/g, '-')}`);
    // No daemon answers here: the file is still judged before anything else, and never rewritten.
    const check = await runCli(['check', '--host', '--only', 'scan-host-config', '--daemon-config', file, '--json', '--state-dir', stateDir, '--docker-host', `unix://${dir}/none.sock`]);
    expect(check.exitCode).toBe(2);
    const doc = JSON.parse(check.stdout);
    const result = doc.results.find((r: { step: string }) => r.step === 'scan-host-config');
    expect(result.status).toBe('error');
    expect(result.findings[0]).toMatchObject({ file, line, column });
    const fix = await runCli(['fix', '--host', '--only', 'scan-host-config', '--yes', '--include-review', '--daemon-config', file, '--state-dir', stateDir, '--restart-command', '/bin/false', '--docker-host', `unix://${dir}/none.sock`]);
    expect(fix.exitCode).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(existsSync(path.join(stateDir, 'backups')) ? readdirSync(path.join(stateDir, 'backups')) : []).toEqual([]);
    expect(fix.stdout).toContain(`${file}:${line}: `);
  });
});
