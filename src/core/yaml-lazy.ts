/**
 * The yaml library, loaded on first use: a Dockerfile's check reads CI files with it only when
 * docker-harden's own scan workflow or a GitLab file is there, and loading it for every check
 * would cost a tenth of the start-up. yaml is a CommonJS package, so `require` loads it
 * synchronously and shares the instance `import` gets.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function yamlLibrary(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}
