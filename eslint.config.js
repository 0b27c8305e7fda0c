// Lint rules that run in seconds (no type-aware rules): `npm run lint`, and part of `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig, globalIgnores } from 'eslint/config';

// Node's globals for the plain .js files (bin, bench, this file); tsc checks the .ts ones.
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'performance', 'AbortController', 'TextDecoder', 'TextEncoder', 'structuredClone', 'queueMicrotask', 'fetch'].map((name) => [name, 'readonly']),
);

export default defineConfig([
  // Built output, installed packages, code made by a tool, and the files the tests read as input, not as code.
  globalIgnores(['dist/', 'node_modules/', 'coverage/', 'test/fixtures/', 'test/corpus/', 'profiles/validators/*.js', '!profiles/validators/make.js']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    linterOptions: { reportUnusedDisableDirectives: 'warn' },
    rules: {
      // `_name` marks an argument a signature needs but the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Data from daemons and YAML is `unknown` and narrowed; `any` is allowed where a library's types force it, visibly.
      '@typescript-eslint/no-explicit-any': 'warn',
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      // A terminal tool matches escape sequences and control characters on purpose (sanitisers, tests).
      'no-control-regex': 'off',
      // Layout tests match the gaps between columns as they are printed: two spaces read better than {2}.
      'no-regex-spaces': 'off',
      // An error thrown from a catch carries the cause's message in its own text: that is what the user reads.
      'preserve-caught-error': 'off',
    },
  },
]);
