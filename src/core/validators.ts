/**
 * The JSON Schema validators of profiles/*.schema.json, made ahead of time by ajv
 * (profiles/validators/make.js): loading ajv and compiling a schema cost each `fix` 110 ms.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { packageRoot } from './paths.js';

const loaded = new Map<string, Promise<ValidateFunction>>();

export function schemaValidator(name: 'profile' | 'repo-config'): Promise<ValidateFunction> {
  let validator = loaded.get(name);
  if (!validator) {
    const file = path.join(packageRoot(), 'profiles', 'validators', `${name}.js`);
    validator = import(pathToFileURL(file).href).then((m: { default: ValidateFunction }) => m.default);
    loaded.set(name, validator);
  }
  return validator;
}

/** The first error of the last validation, as a person reads it. */
export function firstError(validator: ValidateFunction): string | null {
  const err = validator.errors?.[0];
  return err ? `${err.instancePath || '(top level)'} ${err.message}` : null;
}
