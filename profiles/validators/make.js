#!/usr/bin/env node
/**
 * Writes profiles/validators/NAME.js from profiles/NAME.schema.json: ajv's standalone validation
 * code, so reading a profile or a repository's decisions does not load ajv and compile the schema
 * on every run (110 ms of each `fix`). `npm run validators` after a schema changes; a test fails
 * while a written validator differs from its schema's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VALIDATED_SCHEMAS = ['profile', 'repo-config'];

/** The module text of the validator for profiles/NAME.schema.json. */
export function validatorSource(name) {
  const schema = JSON.parse(readFileSync(path.join(root, 'profiles', `${name}.schema.json`), 'utf8'));
  const ajv = new Ajv({ allErrors: false, strict: false, code: { source: true, esm: true } });
  // The CommonJS module's export arrives as `default` or as the function itself, by loader.
  const standalone = standaloneCode.default ?? standaloneCode;
  const code = standalone(ajv, ajv.compile(schema));
  // ajv's ES module output still calls require() for its small runtime helpers (string length).
  const prelude = code.includes('require(') ? "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n" : '';
  return `// Made by profiles/validators/make.js from profiles/${name}.schema.json; do not edit.\n${prelude}${code.replace(/^"use strict";/, '')}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const name of VALIDATED_SCHEMAS) writeFileSync(path.join(root, 'profiles', 'validators', `${name}.js`), validatorSource(name));
}
