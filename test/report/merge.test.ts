/**
 * `report --merge`: result documents written by the real `check --json` (a learn sandbox's
 * recorded host), merged into one table host x step with totals in text, Markdown and JSON; bad
 * files exit 2 naming the file (and line); strings from files never reach the terminal raw.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { mergeResults, parseHostResults } from '../../src/report/merge.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-merge-'));
const web1 = path.join(tmp, 'web1.json');
const web2 = path.join(tmp, 'web2.json');
let hostSteps: { step: string; status: string }[] = [];

beforeAll(async () => {
  await ensureBuilt();
  const sandbox = path.join(tmp, 'sandbox');
  expect((await runCli(['learn', '--sandbox', sandbox])).exitCode).toBe(0);
  const check = await runCli(['check', '--sandbox', sandbox, '--json']);
  writeFileSync(web1, check.stdout);
  const doc = JSON.parse(check.stdout);
  hostSteps = JSON.parse(JSON.stringify(doc.results.filter((r: { target: string }) => r.target === 'host')));
  // A second host where two steps came out differently.
  for (const r of doc.results) {
    if (r.target !== 'host') continue;
    if (r.step === 'use-docker-defaults') r.status = 'pass';
    if (r.step === 'scan-host-config') r.status = 'error';
  }
  writeFileSync(web2, JSON.stringify(doc));
}, 120_000);

describe('report --merge', () => {
  it('JSON: one cell per host and host step, totals per host, per step and overall', async () => {
    const r = await runCli(['report', '--merge', web1, web2, '--format', 'json']);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.hosts.map((h: { host: string }) => h.host)).toEqual(['web1', 'web2']);
    expect(report.steps.map((s: { step: string }) => s.step)).toEqual(hostSteps.map((s) => s.step));
    for (const s of hostSteps) expect(report.cells.web1[s.step]).toBe(s.status);
    expect(report.cells.web2['use-docker-defaults']).toBe('pass');
    expect(report.cells.web2['scan-host-config']).toBe('error');
    const fails1 = hostSteps.filter((s) => s.status === 'fail').length;
    expect(report.hosts[0].totals.fail).toBe(fails1);
    expect(report.hosts[1].totals.fail).toBe(fails1 - 2);
    expect(report.hosts[1].totals.error).toBe(1);
    const defaults = report.steps.find((s: { step: string }) => s.step === 'use-docker-defaults');
    expect(defaults.totals).toEqual({ fail: 1, pass: 1 });
    expect(report.totals.fail).toBe(fails1 * 2 - 2);
  });

  it('text and Markdown show the same table', async () => {
    const text = await runCli(['report', '--merge', web1, web2]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('docker-harden: 2 hosts x');
    const fails1 = hostSteps.filter((s) => s.status === 'fail').length;
    expect(text.stdout).toMatch(new RegExp(`^web2 .*✔.*\\?.*${fails1 - 2} fail, \\d+ warn, 1 error, 1 pass$`, 'm'));
    expect(text.stdout).toMatch(/^\s+1 use-docker-defaults\s+1 \/ 0 \/ 0/m);
    const md = await runCli(['report', '--merge', web1, web2, '--format', 'md']);
    expect(md.stdout).toContain('| host | 1. use-docker-defaults | 2. scan-host-config |');
    expect(md.stdout).toMatch(/^\| web2 \| ✔ pass \| \? error \|/m);
  });

  it('bad files: exit 2 naming the file and line, nothing printed to stdout', async () => {
    const broken = path.join(tmp, 'broken.json');
    writeFileSync(broken, '{\n  "tool": "docker-harden",\n  "results": [,]\n}\n');
    let r = await runCli(['report', '--merge', web1, broken]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`${broken.replace(/[.]/g, '\\.')}:3:\\d+: is not valid JSON`));

    const other = path.join(tmp, 'other.json');
    writeFileSync(other, '{"results": []}');
    r = await runCli(['report', '--merge', other]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('is not a docker-harden result document');

    r = await runCli(['report', '--merge', path.join(tmp, 'missing.json')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('missing.json: cannot be read (ENOENT)');

    r = await runCli(['report', '--merge']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('report --merge needs the result files');

    r = await runCli(['report', '--merge', web1, web1]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('names the host "web1" again');

    r = await runCli(['report', '--merge', web1, '--sarif']);
    expect(r.exitCode).toBe(2);
  });

  it('a host name or title with escape sequences is shown without them', async () => {
    const doc = JSON.parse(readFileSync(web1, 'utf8'));
    doc.host = 'evil\u001b]0;owned\u0007host';
    doc.results[0].title = 'x\u001b[2Jy';
    const merged = mergeResults([await parseHostResults(JSON.stringify(doc), 'x.json')]);
    expect(merged.hosts[0]!.host).toBe('evil ]0;owned host');
    expect(JSON.stringify(merged)).not.toMatch(/\\u001b|\\u0007/);
  });
});
