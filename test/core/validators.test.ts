// The validators made ahead of time are the ones ajv makes from the schemas now, and they judge
// as ajv compiling the schema at run time does.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { VALIDATED_SCHEMAS, validatorSource } from '../../profiles/validators/make.js';
import { firstError, schemaValidator } from '../../src/core/validators.js';

const root = path.resolve(__dirname, '..', '..');

describe('schema validators made ahead of time', () => {
  it.each(VALIDATED_SCHEMAS)('profiles/validators/%s.js is what its schema makes now (run `npm run validators` after a schema changes)', (name) => {
    expect(readFileSync(path.join(root, 'profiles', 'validators', `${name}.js`), 'utf8')).toBe(validatorSource(name));
  });

  const samples: [name: 'profile' | 'repo-config', data: unknown][] = [
    ['profile', { schema: 2, tool: 'docker-harden', targets: {}, applied: [] }],
    ['profile', { schema: 2, tool: 'docker-harden', targets: { host: { 'daemon-config': { status: 'maybe', at: 'x' } } }, applied: [] }],
    ['profile', { schema: 3, tool: 'docker-harden', targets: {}, applied: [] }],
    ['profile', { schema: 2, tool: 'other', targets: {}, applied: [] }],
    ['profile', { schema: 2, tool: 'docker-harden', targets: {}, applied: [{ id: 1 }] }],
    ['repo-config', { version: 1 }],
    ['repo-config', { ignore: [{ code: 'DH-USER-ROOT', reason: 'base image runs as its own user' }] }],
    ['repo-config', { ignore: [{ code: 'DH-USER-ROOT', reason: '' }] }],
    ['repo-config', { ignore: [{ code: '-bad', reason: 'x' }] }],
    ['repo-config', { steps: { healthcheck: { skip: '  ' } } }],
  ];
  it.each(samples)('%s: %j is judged as ajv judges it at run time', async (name, data) => {
    const schema = JSON.parse(readFileSync(path.join(root, 'profiles', `${name}.schema.json`), 'utf8'));
    const compiled = new Ajv({ allErrors: false, strict: false }).compile(schema);
    const made = await schemaValidator(name);
    expect(made(data)).toBe(compiled(data));
    expect(firstError(made)).toBe(compiled.errors ? `${compiled.errors[0]!.instancePath || '(top level)'} ${compiled.errors[0]!.message}` : null);
  });
});
