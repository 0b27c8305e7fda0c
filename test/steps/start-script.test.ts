import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStartScript, scriptRootUse } from '../../steps/lib/start-script.js';
import { systemProbe } from '../../src/core/probe.js';
import { contextFor, dockerfileTarget } from '../helpers/world.js';
import { LIMITS } from '../../src/core/limits.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-start-script-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A build context on disk: the Dockerfile and `files` beside it; the script as the step reads it. */
async function read(dockerfile: string, files: Record<string, string>, name: string, link?: [string, string]) {
  const dir = path.join(tmp, `c${n++}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  if (link) symlinkSync(link[1], path.join(dir, link[0]));
  const ctx = contextFor(dockerfileTarget(path.join(dir, 'Dockerfile')), { probe: systemProbe({}) });
  const model = await ctx.dockerfile();
  return readStartScript(ctx, model, model.finalStage, name);
}

describe('the start script, read from the build context', () => {
  it('finds the file a COPY put there: by name, into a folder, a folder copied whole, on PATH', async () => {
    const script = '#!/bin/sh\nchown -R app /data\nexec su-exec app "$@"\n';
    for (const [dockerfile, files, name] of [
      ['FROM alpine\nCOPY entrypoint.sh /entrypoint.sh\n', { 'entrypoint.sh': script }, '/entrypoint.sh'],
      ['FROM alpine\nCOPY a.sh entrypoint.sh /usr/local/bin/\n', { 'entrypoint.sh': script, 'a.sh': '' }, 'entrypoint.sh'],
      ['FROM alpine\nWORKDIR /app\nCOPY . .\n', { 'bin/start.sh': script }, './bin/start.sh'],
      ['FROM alpine\nCOPY docker /usr/local/bin\n', { 'docker/run.sh': script }, 'run.sh'],
      // `.` and the WORKDIR itself are folders (WORKDIR made it), with or without a slash.
      ['FROM alpine\nWORKDIR /app\nCOPY app.sh .\n', { 'app.sh': script }, './app.sh'],
      ['FROM alpine\nWORKDIR /srv/app\nCOPY start.sh /srv/app\n', { 'start.sh': script }, '/srv/app/start.sh'],
      ['FROM alpine AS base\nWORKDIR /app\nFROM base\nCOPY run.sh ./\n', { 'run.sh': script }, './run.sh'],
    ] as const) {
      const got = await read(dockerfile, files, name);
      expect(got, dockerfile).toMatchObject({ switches: [{ line: 3, command: 'su-exec' }], rootOnly: [{ line: 2, command: 'chown' }] });
    }
  });

  it('reads nothing from another stage, through a link, or over the limit', async () => {
    expect(await read('FROM alpine AS b\nRUN true\nFROM alpine\nCOPY --from=b /e.sh /e.sh\n', { 'e.sh': 'exec gosu app x\n' }, '/e.sh')).toBeNull();
    expect(await read('FROM alpine\nCOPY e.sh /e.sh\n', { 'real.sh': 'exec gosu app x\n' }, '/e.sh', ['e.sh', 'real.sh'])).toBeNull();
    expect(await read('FROM alpine\nCOPY e.sh /e.sh\n', { 'e.sh': `exec gosu app x\n${'#'.repeat(LIMITS.contextFile)}\n` }, '/e.sh')).toBeNull();
    expect(await read('FROM alpine\nCOPY ../e.sh /e.sh\n', {}, '/e.sh')).toBeNull();
  });

  it('tells commands from words: a comment, an echo or a longer name is not a user switch', () => {
    expect(scriptRootUse('# gosu app\necho "run gosu later"\numount /x\nexec /usr/sbin/gosu app "$@"\n[ "$(id -u)" = 0 ] && chown app /d\nsu - steam -c "./srv"\nsetfacl -R -m u:www-data:rwX var\necho supervisord\nexec "$@"\n')).toEqual({
      switches: [
        { line: 4, text: 'exec /usr/sbin/gosu app "$@"', command: 'gosu' },
        { line: 6, text: 'su - steam -c "./srv"', command: 'su' },
      ],
      rootOnly: [
        { line: 5, text: '[ "$(id -u)" = 0 ] && chown app /d', command: 'chown' },
        { line: 7, text: 'setfacl -R -m u:www-data:rwX var', command: 'setfacl' },
      ],
      rootPrograms: [],
    });
  });

  it('names a root-only program the script hands the container to', () => {
    const use = scriptRootUse('#!/bin/sh\nset -e\nchown -R www-data /var/lib/nginx\nexec /usr/bin/supervisord -c /etc/supervisord.conf\n');
    expect(use.rootPrograms.map((p) => [p.line, p.command])).toEqual([[4, 'supervisord']]);
    expect(use.rootPrograms[0]!.program.why).toMatch(/root/);
  });
});
