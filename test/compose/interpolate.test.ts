/**
 * Compose's interpolation as compose-spec writes it, and the .env file beside a compose file: a
 * value set through a variable is judged as compose reads it (privileged through .env is
 * privileged), and one nothing sets stays "the environment decides".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { interpolate, parseDotEnv } from '../../src/compose/interpolate.js';
import { loadCompose } from '../../src/compose/model.js';

const vars = new Map([
  ['TAG', '1.27'],
  ['EMPTY', ''],
  ['UID', '1000'],
]);

describe('interpolate', () => {
  it.each([
    ['nginx:${TAG}', 'nginx:1.27', []],
    ['nginx:$TAG', 'nginx:1.27', []],
    ['$UID:$UID', '1000:1000', []],
    ['${MISSING:-8080}:80', '8080:80', []],
    ['${EMPTY:-x}', 'x', []],
    ['${EMPTY-x}', '', []],
    ['${MISSING-x}', 'x', []],
    ['${UID:+set}', 'set', []],
    ['${EMPTY:+set}', '', []],
    ['${EMPTY+set}', 'set', []],
    ['${MISSING:-${UID}}', '1000', []],
    ['${MISSING:-${ALSO_MISSING}}', '', ['ALSO_MISSING']],
    ['${MISSING}', '', ['MISSING']],
    ['$MISSING/x', '/x', ['MISSING']],
    ['${MISSING:?set MISSING}', '', ['MISSING']],
    ['$$HOME and $$1', '$HOME and $1', []],
    ['cost: 5$', 'cost: 5$', []],
    ['${unclosed', '', ['${unclosed']],
  ])('%s -> %s', (text, value, unresolved) => {
    expect(interpolate(text, vars)).toEqual({ value, unresolved });
  });
});

describe('.env', () => {
  it('reads KEY=VALUE and KEY: VALUE lines as compose does', () => {
    const env = parseDotEnv(
      [
        '# a comment',
        'PRIV=true',
        'export TAG=1.27',
        "SINGLE='${TAG} as written'",
        'DOUBLE="tag ${TAG}\\n # kept"',
        'UNQUOTED=a b # comment',
        'EMPTY=',
        'not a line',
        ' SPACED = v ',
        'COMPOSE_FILE: compose.yaml:compose.prod.yaml',
        'ANCHOR=http://example.com/#top',
        'QUOTED_HASH="a#b"',
      ].join('\n'),
    );
    expect(Object.fromEntries(env)).toEqual({
      PRIV: 'true',
      TAG: '1.27',
      SINGLE: '${TAG} as written',
      DOUBLE: 'tag 1.27\n # kept',
      UNQUOTED: 'a b',
      EMPTY: '',
      SPACED: 'v',
      // The YAML-like form, the first separator the key ends at.
      COMPOSE_FILE: 'compose.yaml:compose.prod.yaml',
      // Unquoted, a value ends at its first #, whatever comes before it.
      ANCHOR: 'http://example.com/',
      QUOTED_HASH: 'a#b',
    });
  });
});

describe('a compose file with variables, and its .env', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-interp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const compose =
    'services:\n  app:\n    image: ghcr.io/example/app:${APP_TAG:-1.2.3}\n    user: "${UID:-1000}:${GID:-1000}"\n    privileged: ${PRIV:-false}\n    network_mode: ${NET}\n    read_only: ${RO:-true}\n  other:\n    user: ${PUID}\n    read_only: ${READ_ONLY}\n';

  it('judges values as compose reads them with the .env beside the file', async () => {
    writeFileSync(path.join(dir, 'compose.yaml'), compose);
    writeFileSync(path.join(dir, '.env'), 'PRIV=true\nNET=host\nAPP_TAG=2.0\n');
    const model = await loadCompose(path.join(dir, 'compose.yaml'));
    const app = model.service('app')!;
    expect(app).toMatchObject({ image: 'ghcr.io/example/app:2.0', user: '1000:1000', privileged: true, network_mode: 'host', read_only: true, readOnlyFromEnvironment: false });
    // What nothing sets stays as written: the environment decides.
    const other = model.service('other')!;
    expect(other).toMatchObject({ user: '${PUID}', read_only: undefined, readOnlyFromEnvironment: true });
    // The data itself is as written: edits work on the file, not on the values.
    expect(app.value.privileged).toBe('${PRIV:-false}');
  });

  it('without a .env, the defaults written in the file', async () => {
    rmSync(path.join(dir, '.env'));
    const app = (await loadCompose(path.join(dir, 'compose.yaml'))).service('app')!;
    expect(app).toMatchObject({ image: 'ghcr.io/example/app:1.2.3', privileged: false, network_mode: '${NET}', read_only: true });
  });

  it('a .env that cannot be read (a folder) leaves the variables unknown, and the file is still read', async () => {
    const sub = path.join(dir, 'sub');
    mkdirSync(path.join(sub, '.env'), { recursive: true });
    writeFileSync(path.join(sub, 'compose.yaml'), compose);
    const app = (await loadCompose(path.join(sub, 'compose.yaml'))).service('app')!;
    expect(app.privileged).toBe(false);
  });
});
