// The command line as a few files: Node loads one module for each of the 290 that tsc writes to
// dist/src and dist/steps, a third of a `check`'s start-up. `npm run build` writes dist/ with tsc,
// then bundles it here; the parts used only sometimes (the wizard, learn, export, dockerode) stay
// separate files loaded when first used. Dependencies stay in node_modules.
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: { cli: 'dist/src/cli.js' },
  platform: 'node',
  resolve: { mainFields: ['module', 'main'] },
  // jsonc-parser is bundled from its ES module build: its "main" is a UMD file that loads five
  // more through node's CommonJS loader, 16 ms of a `check --host` before any work.
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && id !== 'jsonc-parser',
  // Without the doc comments (a third of the text): node reads and compiles every byte it loads.
  output: { dir: 'dist/bundle', format: 'esm', chunkFileNames: '[name].js', cleanDir: true, comments: { legal: true, annotation: true, jsdoc: false } },
});
