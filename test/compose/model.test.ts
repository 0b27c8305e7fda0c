import { describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { composeFromText, loadCompose, parseCompose } from '../../src/compose/model.js';
import { editService, editServices, type ServiceEdit } from '../../src/compose/edit.js';
import { UserError } from '../../src/core/errors.js';

const SAMPLE = `# Stack for the shop.  Keep this comment.
name: shop

x-defaults: &defaults
  restart: unless-stopped   # restart policy for all

services:
  web:   # the public front
    <<: *defaults
    image: nginx:1.27   # pinned later
    privileged: true
    ports:
      - "80:80"   # http
      - target: 443
        published: "8443"
        host_ip: 127.0.0.1
    security_opt: [seccomp:unconfined, "label=disable"]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - data:/data:ro
      - type: bind
        source: ./conf
        target: /etc/nginx/conf.d
        read_only: true

    # a comment that belongs before db
  db:
    image: postgres:16
    user: "999"
    network_mode: host
    pid: host
    build:
      context: ./db
      dockerfile: Dockerfile.db
  empty:
volumes:
  data: {}   # named volume
`;

/** Lines of `after` that are not in `before` and the reverse: a multiset difference. */
function lineDiff(before: string, after: string): { removed: string[]; added: string[] } {
  const count = (lines: string[]) => lines.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const b = count(before.split('\n'));
  const a = count(after.split('\n'));
  const removed: string[] = [];
  const added: string[] = [];
  for (const [l, n] of b) for (let i = 0; i < n - (a.get(l) ?? 0); i++) removed.push(l);
  for (const [l, n] of a) for (let i = 0; i < n - (b.get(l) ?? 0); i++) added.push(l);
  return { removed, added };
}

describe('parseCompose', () => {
  const model = parseCompose(SAMPLE, 'compose.yaml');

  it('lists the services with the line of each key', () => {
    expect(model.services.map((s) => s.name)).toEqual(['web', 'db', 'empty']);
    const web = model.service('web')!;
    expect(web.line).toBe(8);
    expect(web.keys.privileged).toEqual({ line: 11, column: 5 });
    expect(model.lineOf('web', 'security_opt')).toBe(17);
    expect(model.lineOf('db', 'network_mode')).toBe(30);
    expect(model.lineOf('db', 'cap_drop')).toBe(27);
    expect(model.servicesLine).toBe(7);
  });

  it.each([
    ['yes', true],
    ['On', true],
    ['Y', true],
    ['"true"', true],
    ['"${PRIV:-yes}"', true],
    ['no', false],
    ['OFF', false],
    ['maybe', undefined],
  ])('privileged and read_only: %s as compose reads it (compose-go takes y, yes, on and their opposites for booleans)', (written, value) => {
    const service = parseCompose(`services:\n  vpn:\n    privileged: ${written}\n    read_only: ${written}\n    volumes:\n      - { type: bind, source: ., target: /x, read_only: ${written} }\n`, 'c.yaml').service('vpn')!;
    expect([service.privileged, service.read_only]).toEqual([value, value]);
    // A long-syntax volume's own settings are read as written (no variables put in).
    if (!written.includes('$')) expect(service.volumes[0]!.readOnly).toBe(value === true);
  });

  it('reads the keys the steps judge', () => {
    const web = model.service('web')!;
    expect(web.privileged).toBe(true);
    expect(web.image).toBe('nginx:1.27');
    expect(web.security_opt).toEqual(['seccomp:unconfined', 'label=disable']);
    expect(web.cap_drop).toEqual([]);
    const db = model.service('db')!;
    expect(db).toMatchObject({ network_mode: 'host', pid: 'host', user: '999', build: { context: './db', dockerfile: 'Dockerfile.db' } });
    expect(model.service('empty')!.volumes).toEqual([]);
  });

  it.each([
    ['a mapping', '      args:\n        BASE: alpine\n        TOKEN:\n', [['BASE', 'alpine'], ['TOKEN', null]]],
    ['a list', '      args: ["BASE=alpine", "TOKEN", "EMPTY="]\n', [['BASE', 'alpine'], ['TOKEN', null], ['EMPTY', '']]],
  ] as const)('reads the stage and build arguments of build: (%s)', async (_name, args, expected) => {
    const parsed = await composeFromText(`services:\n  app:\n    build:\n      context: .\n      target: app\n${args}`, '/tmp/compose.yaml');
    expect(parsed.service('app')!.build).toEqual({ context: '.', target: 'app', args: expected });
  });

  it('reads keys merged from an anchor, reported at the << line', () => {
    const web = model.service('web')!;
    expect(web.value.restart).toBe('unless-stopped');
    expect(web.keys.restart?.line).toBe(9);
  });

  it('reads short and long volume syntax with their lines', () => {
    const v = model.service('web')!.volumes;
    expect(v.map((x) => [x.type, x.source, x.target, x.readOnly, x.line])).toEqual([
      ['bind', '/var/run/docker.sock', '/var/run/docker.sock', false, 19],
      ['volume', 'data', '/data', true, 20],
      ['bind', './conf', '/etc/nginx/conf.d', true, 21],
    ]);
  });

  it('reads short and long port syntax', () => {
    const p = model.service('web')!.ports;
    expect(p.map((x) => [x.containerPort, x.published, x.hostIp, x.line])).toEqual([
      [80, '80', undefined, 13],
      [443, '8443', '127.0.0.1', 14],
    ]);
    const more = parseCompose('services:\n  a:\n    ports: ["127.0.0.1:8080:8080/udp", "3000-3005", "[::1]:53:53"]\n', 'c.yaml').service('a')!.ports;
    expect(more.map((x) => [x.containerPort, x.published, x.hostIp, x.protocol])).toEqual([
      [8080, '8080', '127.0.0.1', 'udp'],
      [3000, undefined, undefined, undefined],
      [53, '53', '::1', undefined],
    ]);
  });

  it('accepts a file without services', () => {
    expect(parseCompose('name: x\n', 'c.yaml').services).toEqual([]);
    expect(parseCompose('', 'c.yaml').services).toEqual([]);
  });
});

describe('malformed compose files', () => {
  const cases: { name: string; text: string; message: RegExp; line: number }[] = [
    // yaml reports an unclosed quote where the file ends.
    { name: 'unclosed quote', text: 'services:\n  web:\n    image: "nginx\n    ports: [80\n', message: /not valid YAML/, line: 5 },
    { name: 'tab indentation', text: 'services:\n\tweb:\n\t\timage: a\n', message: /not valid YAML/, line: 2 },
    { name: 'bad indentation', text: 'services:\n  web:\n    image: a\n   user: b\n', message: /not valid YAML/, line: 4 },
    { name: 'duplicate key', text: 'services:\n  web:\n    image: a\n    image: b\n', message: /not valid YAML/, line: 4 },
    { name: 'top level is a list', text: '- services\n- web\n', message: /top level of a compose file must be a mapping/, line: 1 },
    { name: 'services is a list', text: 'services:\n  - web\n  - db\n', message: /`services` must be a mapping/, line: 2 },
    { name: 'a service is a string', text: 'services:\n  web: nginx\n', message: /service `web` must be a mapping/, line: 2 },
    // A typo would leave every service unread, and the file would pass.
    { name: 'a top-level key compose refuses (service: for services:)', text: 'service:\n  web:\n    image: nginx\n    privileged: true\n', message: /^`service` is not a top-level key of a compose file \(`services`\?\); docker compose refuses it$/, line: 1 },
    { name: 'an unknown top-level key beside services', text: 'x-ok: 1\nservices:\n  web:\n    image: nginx\nvolume:\n  data: {}\n', message: /`volume` is not a top-level key of a compose file \(`volumes`\?\)/, line: 5 },
    { name: 'the version 1 format (services at the top level)', text: 'x-defaults: &d\n  image: base\nversion: "1"\nweb:\n  image: gitlab/gitlab-ee:latest\n', message: /`web` is a service at the top level \(the version 1 format/, line: 4 },
  ];
  it.each(cases)('$name -> UserError with file and line', ({ text, message, line }) => {
    let caught: unknown;
    try {
      parseCompose(text, '/srv/app/compose.yaml');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UserError);
    const err = caught as UserError;
    expect(err.message).toMatch(message);
    expect(err.file).toBe('/srv/app/compose.yaml');
    expect(err.line).toBe(line);
    expect(err.column).toBeGreaterThan(0);
    expect(err.format()).toContain(`/srv/app/compose.yaml:${line}:`);
  });

  it("block mappings thousands deep (they overflow the parser's recursion) are said in words, at a line, not as a stack error", () => {
    const text = 'services:\n  a:\n' + Array.from({ length: 3000 }, (_, i) => `${'  '.repeat(i + 2)}k${i}:\n`).join('');
    // The line is where the stack ran out, which depends on its size.
    expect(() => parseCompose(text, '/srv/app/compose.yaml')).toThrow(expect.objectContaining({ name: 'UserError', file: '/srv/app/compose.yaml', line: expect.any(Number), message: expect.stringMatching(/^nests its settings thousands of levels deep, more than any compose file needs/) }));
  });

  it('a compose file saved as UTF-16 is said to be so, not called binary', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'compose-utf16-'));
    const file = path.join(dir, 'compose.yaml');
    await fs.writeFile(file, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('services:\n', 'utf16le').swap16()]));
    await expect(loadCompose(file)).rejects.toMatchObject({ name: 'UserError', file, message: 'is UTF-16 text; docker-harden reads a compose file as UTF-8', hint: expect.stringContaining('iconv -f UTF-16 -t UTF-8') });
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a "billion laughs" file (aliases of aliases) is refused once, naming the file, before any service is read', () => {
    const layers = Array.from({ length: 8 }, (_, i) => `x-${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]\n`).join('');
    const text = `x-0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1]\n${layers}services:\n  web:\n    image: nginx\n    labels: *l8\n`;
    expect(() => parseCompose(text, '/srv/app/compose.yaml')).toThrow(expect.objectContaining({ name: 'UserError', file: '/srv/app/compose.yaml', message: expect.stringMatching(/expands its aliases \(\*name\) more than 100,000 times, as a "billion laughs" file does/) }));
    // Aliases within bounds are read as before.
    expect(parseCompose('x-env: &env {A: "1"}\nservices:\n  web:\n    image: nginx\n    environment: *env\n', 'c.yaml').service('web')!.value.environment).toEqual({ A: '1' });
  });

  it('a key repeated anywhere in 1,000 services is refused at the line yaml gives, a key merely alike is not', () => {
    const services = (extra: (i: number) => string) => {
      let text = 'services:\n';
      for (let i = 0; i < 1000; i++) text += `  s${i}:\n    image: busybox\n    labels: {a: "1", b: "2"${extra(i)}}\n    environment:\n      X: "1"\n`;
      return text;
    };
    const refused = (text: string) => {
      try {
        parseCompose(text, 'c.yaml');
      } catch (err) {
        return err as UserError;
      }
      return null;
    };
    // Values as yaml's check sees them: 1 and "1" differ, true and "true" differ, so these pass.
    expect(parseCompose(services((i) => (i === 700 ? ', 1: x, "1": y, true: t, "true": u' : '')), 'c.yaml').services).toHaveLength(1000);
    const cases: [string, string, number][] = [
      ['a flow mapping', services((i) => (i === 700 ? ', a: "3"' : '')), 700 * 5 + 4],
      ['a service name', services(() => '') + '  s3:\n    image: other\n', 1000 * 5 + 2],
      ['numbers of two spellings', services((i) => (i === 999 ? ', 1: x, 0x1: y' : '')), 999 * 5 + 4],
    ];
    for (const [name, text, line] of cases) {
      const err = refused(text);
      expect(err, name).toBeInstanceOf(UserError);
      expect(err!.message, name).toMatch(/not valid YAML: Map keys must be unique/);
      expect(err!.line, name).toBe(line);
      expect(err!.column, name).toBe(refused(text.split('\n').slice(0, line).join('\n'))?.column);
    }
  });

  it('editService refuses a malformed file and the file on disk stays as it was', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'compose-bad-'));
    const file = path.join(dir, 'compose.yaml');
    const text = 'services:\n  web:\n    image: "nginx\n';
    await fs.writeFile(file, text);
    await expect(loadCompose(file)).rejects.toBeInstanceOf(UserError);
    expect(() => editService(text, 'web', [{ op: 'set', key: 'read_only', value: true }], file)).toThrow(UserError);
    expect(await fs.readFile(file, 'utf8')).toBe(text);
    await fs.rm(dir, { recursive: true });
  });

  it('a file without services is refused as docker compose refuses it, unless include: brings them', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'compose-empty-'));
    const file = path.join(dir, 'compose.yaml');
    const refusals: [string, string, number | undefined][] = [
      ['', 'is empty, and docker compose refuses it ("empty compose file")', undefined],
      ['# later\n', 'is empty, and docker compose refuses it ("empty compose file")', undefined],
      ['{}\n', 'is empty, and docker compose refuses it ("empty compose file")', undefined],
      ['name: shop\nservices:\n', 'has no services, so docker compose has nothing to start ("no service selected")', 2],
      ['x-common: {}\nvolumes:\n  data: {}\n', 'has no services, so docker compose has nothing to start ("no service selected")', undefined],
    ];
    for (const [text, message, line] of refusals) {
      await fs.writeFile(file, text);
      await expect(loadCompose(file), JSON.stringify(text)).rejects.toMatchObject({ name: 'UserError', file, message, line });
    }
    await fs.writeFile(path.join(dir, 'db.yaml'), 'services:\n  db:\n    image: postgres:16\n');
    await fs.writeFile(file, 'include:\n  - db.yaml\n');
    expect((await loadCompose(file)).services).toEqual([]);
    await fs.rm(dir, { recursive: true });
  });

  it('a missing file is a UserError naming it', async () => {
    await expect(loadCompose('/nonexistent/compose.yaml')).rejects.toMatchObject({ name: 'UserError', file: '/nonexistent/compose.yaml' });
  });

  it('an unknown service is a UserError', () => {
    expect(() => editService(SAMPLE, 'cache', [{ op: 'delete', key: 'x' }])).toThrow(/service `cache` not found/);
  });
});

interface EditCase {
  name: string;
  service: string;
  edits: ServiceEdit[];
  removed: string[];
  added: string[];
  /** Part of the new text, to pin where the lines went. */
  contains?: string;
}

const editCases: EditCase[] = [
  {
    name: 'delete a scalar key',
    service: 'web',
    edits: [{ op: 'delete', key: 'privileged' }],
    removed: ['    privileged: true'],
    added: [],
  },
  {
    name: 'delete a block list key with its items and comments',
    service: 'web',
    edits: [{ op: 'delete', key: 'ports' }],
    removed: ['    ports:', '      - "80:80"   # http', '      - target: 443', '        published: "8443"', '        host_ip: 127.0.0.1'],
    added: [],
  },
  {
    name: 'set an existing scalar replaces only the value, keeping the trailing comment',
    service: 'web',
    edits: [{ op: 'set', key: 'image', value: 'nginx:1.27@sha256:' + 'a'.repeat(64) }],
    removed: ['    image: nginx:1.27   # pinned later'],
    added: [`    image: nginx:1.27@sha256:${'a'.repeat(64)}   # pinned later`],
  },
  {
    name: 'set a new key goes after the last key of the service, before the next comment',
    service: 'web',
    edits: [{ op: 'set', key: 'read_only', value: true }],
    removed: [],
    added: ['    read_only: true'],
    contains: '        read_only: true\n    read_only: true\n\n    # a comment that belongs before db\n',
  },
  {
    name: 'add to a flow list keeps the written items as they were',
    service: 'web',
    edits: [{ op: 'add', key: 'security_opt', items: ['no-new-privileges:true'] }],
    removed: ['    security_opt: [seccomp:unconfined, "label=disable"]'],
    added: ['    security_opt: [seccomp:unconfined, "label=disable", no-new-privileges:true]'],
  },
  {
    name: 'remove from a flow list',
    service: 'web',
    edits: [{ op: 'remove', key: 'security_opt', where: (v) => v === 'seccomp:unconfined' }],
    removed: ['    security_opt: [seccomp:unconfined, "label=disable"]'],
    added: ['    security_opt: ["label=disable"]'],
  },
  {
    name: 'remove a block list item (the docker socket)',
    service: 'web',
    edits: [{ op: 'remove', key: 'volumes', where: (v) => typeof v === 'string' && v.startsWith('/var/run/docker.sock:') }],
    removed: ['      - /var/run/docker.sock:/var/run/docker.sock'],
    added: [],
  },
  {
    name: 'add to a block list at its dash column',
    service: 'web',
    edits: [{ op: 'add', key: 'volumes', items: ['logs:/var/log/nginx'] }],
    removed: [],
    added: ['      - logs:/var/log/nginx'],
    contains: '        read_only: true\n      - logs:/var/log/nginx\n',
  },
  {
    name: 'add an item already present changes nothing',
    service: 'web',
    edits: [{ op: 'add', key: 'security_opt', items: ['label=disable'] }],
    removed: [],
    added: [],
  },
  {
    name: 'add a new list in block style with the file indentation',
    service: 'db',
    edits: [{ op: 'add', key: 'cap_drop', items: ['ALL'] }],
    removed: [],
    added: ['    cap_drop:', '      - ALL'],
    contains: '      dockerfile: Dockerfile.db\n    cap_drop:\n      - ALL\n  empty:\n',
  },
  {
    name: 'add a new list in flow style',
    service: 'db',
    edits: [{ op: 'add', key: 'cap_drop', items: ['ALL'], style: 'flow' }],
    removed: [],
    added: ['    cap_drop: [ALL]'],
  },
  {
    name: 'settings for a service that had none',
    service: 'empty',
    edits: [
      { op: 'set', key: 'read_only', value: true },
      { op: 'add', key: 'tmpfs', items: ['/tmp'] },
    ],
    removed: [],
    added: ['    read_only: true', '    tmpfs:', '      - /tmp'],
    contains: '  empty:\n    read_only: true\n    tmpfs:\n      - /tmp\nvolumes:\n',
  },
  {
    name: 'removing the last item of a list removes the key',
    service: 'db',
    edits: [
      { op: 'add', key: 'cap_add', items: ['SYS_ADMIN'] },
      { op: 'remove', key: 'cap_add', where: (v) => v === 'SYS_ADMIN' },
    ],
    removed: [],
    added: [],
  },
  {
    name: 'several edits at once: step 11 hardening plus step 1 removals',
    service: 'web',
    edits: [
      { op: 'delete', key: 'privileged' },
      { op: 'remove', key: 'security_opt', where: (v) => v === 'seccomp:unconfined' },
      { op: 'add', key: 'security_opt', items: ['no-new-privileges:true'] },
      { op: 'add', key: 'cap_drop', items: ['ALL'] },
      { op: 'add', key: 'cap_add', items: ['NET_BIND_SERVICE'] },
      { op: 'set', key: 'read_only', value: true },
    ],
    removed: ['    privileged: true', '    security_opt: [seccomp:unconfined, "label=disable"]'],
    added: ['    security_opt: ["label=disable", no-new-privileges:true]', '    cap_drop:', '      - ALL', '    cap_add:', '      - NET_BIND_SERVICE', '    read_only: true'],
  },
  {
    name: 'a delete of an absent key changes nothing',
    service: 'db',
    edits: [{ op: 'delete', key: 'privileged' }],
    removed: [],
    added: [],
  },
];

describe('editService keeps every comment and untouched line byte for byte', () => {
  it.each(editCases)('$name', ({ service, edits, removed, added, contains }) => {
    const after = editService(SAMPLE, service, edits);
    const diff = lineDiff(SAMPLE, after);
    expect(diff.removed.sort()).toEqual([...removed].sort());
    expect(diff.added.sort()).toEqual([...added].sort());
    if (contains) expect(after).toContain(contains);
    // Every comment of the original survives unless its own line was removed.
    for (const line of SAMPLE.split('\n').filter((l) => l.includes('#') && !removed.includes(l))) expect(after).toContain(line);
    // The untouched prefix and suffix of the file are the same bytes.
    expect(after.startsWith(SAMPLE.slice(0, SAMPLE.indexOf('  web:')))).toBe(true);
    expect(after.endsWith('volumes:\n  data: {}   # named volume\n')).toBe(true);
    // The result means what was asked.
    const model = parseCompose(after, 'compose.yaml');
    expect(model.services.map((s) => s.name)).toEqual(['web', 'db', 'empty']);
    expect(parseDocument(after).errors).toEqual([]);
  });

  it('taking out the last key of a service leaves it `{}`, not null; keys added to it again are written in block style', () => {
    const text = 'services:\n  api:\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n  db:\n    privileged: true\n';
    const removed = editService(text, 'api', [{ op: 'remove', key: 'volumes', where: (v) => String(v).startsWith('/var/run/docker.sock') }]);
    expect(removed).toBe('services:\n  api: {}\n  db:\n    privileged: true\n');
    const deleted = editServices(removed, [{ service: 'db', edits: [{ op: 'delete', key: 'privileged' }] }])!.after;
    expect(deleted).toBe('services:\n  api: {}\n  db: {}\n');
    const added = editService(deleted, 'api', [{ op: 'add', key: 'cap_drop', items: ['ALL'] }, { op: 'set', key: 'read_only', value: true }]);
    expect(added).toBe('services:\n  api:\n    cap_drop:\n      - ALL\n    read_only: true\n  db: {}\n');
  });

  it('the meaning of the edit is right', () => {
    const after = editService(SAMPLE, 'web', editCases.at(-2)!.edits);
    const web = parseCompose(after, 'compose.yaml').service('web')!;
    expect(web.privileged).toBeUndefined();
    expect(web.security_opt).toEqual(['label=disable', 'no-new-privileges:true']);
    expect(web.cap_drop).toEqual(['ALL']);
    expect(web.cap_add).toEqual(['NET_BIND_SERVICE']);
    expect(web.read_only).toBe(true);
  });

  it('keeps CRLF line endings and uses them for new lines', () => {
    const crlf = 'services:\r\n  web:\r\n    image: a   # c\r\n';
    const after = editService(crlf, 'web', [{ op: 'add', key: 'cap_drop', items: ['ALL'] }]);
    expect(after).toBe('services:\r\n  web:\r\n    image: a   # c\r\n    cap_drop:\r\n      - ALL\r\n');
  });

  it('follows a file indented by 4 with unindented sequences', () => {
    const text = 'services:\n    web:\n        image: a\n        ports:\n        - "80:80"\n';
    const after = editService(text, 'web', [{ op: 'add', key: 'cap_drop', items: ['ALL'] }]);
    expect(after).toBe(text + '        cap_drop:\n        - ALL\n');
  });

  it('a file without a final newline', () => {
    const text = 'services:\n  web:\n    image: a';
    expect(editService(text, 'web', [{ op: 'set', key: 'read_only', value: true }])).toBe('services:\n  web:\n    image: a\n    read_only: true');
  });

  it('a service written as a flow mapping is written again as one', () => {
    const text = '# c\nservices:\n  web: {image: a, privileged: true}  # inline\n';
    const after = editService(text, 'web', [{ op: 'delete', key: 'privileged' }]);
    expect(after.startsWith('# c\nservices:\n  web: {')).toBe(true);
    expect(after.endsWith('}  # inline\n')).toBe(true);
    expect(parseCompose(after, 'c.yaml').service('web')!.privileged).toBeUndefined();
  });

  it('an explicit null service gets settings and keeps its comment', () => {
    const text = 'services:\n  web: ~   # to do\n  db:\n    image: b\n';
    expect(editService(text, 'web', [{ op: 'set', key: 'read_only', value: true }])).toBe('services:\n  web:   # to do\n    read_only: true\n  db:\n    image: b\n');
  });

  it('a key added after a service\'s last list stays below the items commented out in that list; a comment for what follows stays below the new key', () => {
    const text = "services:\n  traefik:\n    image: traefik:v1.5\n    command:\n      - '--configFile=/etc/traefik/traefik.toml'\n#      - '--logLevel=DEBUG'\n      # - '--api'\n  # the admin UI\n  portainer:\n    image: portainer/portainer\n";
    const after = editService(text, 'traefik', [{ op: 'set', key: 'read_only', value: true }]);
    expect(after).toBe("services:\n  traefik:\n    image: traefik:v1.5\n    command:\n      - '--configFile=/etc/traefik/traefik.toml'\n#      - '--logLevel=DEBUG'\n      # - '--api'\n    read_only: true\n  # the admin UI\n  portainer:\n    image: portainer/portainer\n");
  });

  it('a list written as its one item (`tmpfs: /run`, as compose allows) is added to as a list of both; the keys around it stay', () => {
    const text = 'services:\n  redis:\n    image: redis:7\n    tmpfs: /run\n    read_only: true\n';
    const after = editService(text, 'redis', [{ op: 'add', key: 'tmpfs', items: ['/tmp'] }]);
    expect(after).toBe('services:\n  redis:\n    image: redis:7\n    tmpfs:\n      - /run\n      - /tmp\n    read_only: true\n');
    expect(editService(text, 'redis', [{ op: 'add', key: 'tmpfs', items: ['/run'] }])).toBe(text);
  });

  it("a comment after a one-item value or an empty one stays on the key's line when the value becomes a list", () => {
    const text = 'services:\n  redis:\n    image: redis:7\n    tmpfs: /run   # redis pid file goes here\n    cap_drop:     # TODO decide what to drop\n    read_only: true\n';
    const after = editService(text, 'redis', [
      { op: 'add', key: 'tmpfs', items: ['/tmp'] },
      { op: 'add', key: 'cap_drop', items: ['ALL'] },
    ]);
    expect(after).toBe('services:\n  redis:\n    image: redis:7\n    tmpfs:  # redis pid file goes here\n      - /run\n      - /tmp\n    cap_drop:  # TODO decide what to drop\n      - ALL\n    read_only: true\n');
  });

  it('a service that is an alias of another (`cache: *redis`) is read with its settings; an edit writes them out in it, and the anchored service stays', () => {
    const text = 'services:\n  redis: &redis\n    image: redis:7\n    privileged: true\n  cache: *redis   # the same\n  web:\n    image: nginx\n';
    const cache = parseCompose(text, 'c.yaml').service('cache')!;
    expect(cache).toMatchObject({ line: 5, privileged: true, image: 'redis:7' });
    expect(cache.keys.privileged?.line).toBe(5);
    const after = editService(text, 'cache', [
      { op: 'delete', key: 'privileged' },
      { op: 'add', key: 'cap_drop', items: ['ALL'] },
    ]);
    expect(after.startsWith('services:\n  redis: &redis\n    image: redis:7\n    privileged: true\n')).toBe(true);
    expect(after.endsWith('  web:\n    image: nginx\n')).toBe(true);
    const model = parseCompose(after, 'c.yaml');
    expect(model.service('cache')).toMatchObject({ privileged: undefined, image: 'redis:7', cap_drop: ['ALL'] });
    expect(model.service('redis')).toMatchObject({ privileged: true, cap_drop: [] });
  });

  it('a non-list key cannot be added to', () => {
    expect(() => editService(SAMPLE, 'web', [{ op: 'add', key: 'image', items: ['x'] }])).toThrow(/is not a list/);
  });
});

describe('editService on keys a service takes from a merge key (<<)', () => {
  const MERGED = 'x-common: &common\n  cap_add:\n    - NET_ADMIN\n  tmpfs: /run\n  privileged: true\nservices:\n  vpn:\n    <<: *common\n    image: example/vpn\n  other:\n    <<: *common\n    image: b\n';
  const merged = (text: string, service: string) => parseCompose(text, 'compose.yaml').service(service)!;

  it('adding to a merged list writes the merged items too, so none is lost; the anchor and other services stay', () => {
    const after = editService(MERGED, 'vpn', [
      { op: 'add', key: 'cap_add', items: ['NET_BIND_SERVICE'] },
      { op: 'add', key: 'tmpfs', items: ['/tmp'] },
    ]);
    expect(merged(after, 'vpn').cap_add).toEqual(['NET_ADMIN', 'NET_BIND_SERVICE']);
    expect(merged(after, 'vpn').tmpfs).toEqual(['/run', '/tmp']);
    expect(merged(after, 'other')).toMatchObject({ cap_add: ['NET_ADMIN'], tmpfs: ['/run'] });
    expect(after.startsWith(MERGED.slice(0, MERGED.indexOf('services:')))).toBe(true);
  });

  it('an item the merge already gives is not written again', () => {
    expect(editService(MERGED, 'vpn', [{ op: 'add', key: 'cap_add', items: ['NET_ADMIN'] }])).toBe(MERGED);
  });

  it('removing a merged item writes the rest in the service; removing all of it, or deleting a merged key, is refused', () => {
    const twoCaps = MERGED.replace('    - NET_ADMIN\n', '    - NET_ADMIN\n    - SYS_ADMIN\n');
    const after = editService(twoCaps, 'vpn', [{ op: 'remove', key: 'cap_add', where: (c) => c === 'SYS_ADMIN' }]);
    expect(merged(after, 'vpn').cap_add).toEqual(['NET_ADMIN']);
    expect(merged(after, 'other').cap_add).toEqual(['NET_ADMIN', 'SYS_ADMIN']);
    expect(() => editService(MERGED, 'vpn', [{ op: 'remove', key: 'cap_add', where: () => true }])).toThrow(/comes from a merge key/);
    expect(() => editService(MERGED, 'vpn', [{ op: 'delete', key: 'privileged' }])).toThrow(/comes from a merge key/);
  });
});
