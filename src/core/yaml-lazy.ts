/**
 * The yaml library, loaded on first use: steps that only sometimes write YAML (a proposed CI
 * workflow) would otherwise load it for every check, a tenth of `check --host`'s time. yaml is a
 * CommonJS package, so `require` loads it synchronously and shares the instance `import` gets.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function yamlLibrary(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}
