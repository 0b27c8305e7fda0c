// The command line as a few files: Node loads one module for each of the 290 that tsc writes to
// dist/src and dist/steps, a third of a `check`'s start-up. `npm run build` writes dist/ with tsc,
// then bundles it here; the parts used only sometimes (the wizard, learn, export, dockerode) stay
// separate files loaded when first used. Dependencies stay in node_modules.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'rolldown';

/**
 * The modules `files` load by static imports, themselves included (tsc's output: relative
 * specifiers; an import clause holds names, braces, commas and `*`, so a comment is never read as one).
 */
function staticGraph(files) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    if (!existsSync(file)) throw new Error(`${path.relative('.', file)} is missing: run \`npm run build\`, which runs tsc before this bundler`);
    seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^[ \t]*(?:import|export)\s(?:[\w$*{},\s]*?\sfrom\s*)?['"]([^'"]+)['"]/gm)) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
    }
  };
  for (const file of files) visit(path.resolve(file));
  return seen;
}

// What every check, fix and undo loads (the step registry and the batch commands) is one file, not
// twenty: node resolves each module it loads, and twenty resolutions cost a `check --file` more
// than compiling the code. What `--version` and `--help` load stays apart, so they load only that.
const always = staticGraph(['dist/steps/index.js', 'dist/src/app/batch.js']);
for (const file of staticGraph(['dist/src/cli.js'])) always.delete(file);
// Imported when first asked for, so that a check with no daemon never loads it, but every check of
// a host on a local socket does.
always.add(path.resolve('dist/src/host/socket-api.js'));

export default defineConfig({
  input: { cli: 'dist/src/cli.js' },
  platform: 'node',
  resolve: { mainFields: ['module', 'main'] },
  // jsonc-parser is bundled from its ES module build: its "main" is a UMD file that loads five
  // more through node's CommonJS loader, 16 ms of a `check --host` before any work.
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && id !== 'jsonc-parser',
  output: {
    dir: 'dist/bundle',
    format: 'esm',
    chunkFileNames: '[name].js',
    cleanDir: true,
    codeSplitting: {
      // Only the modules named: what they import from the --version files stays in those.
      includeDependenciesRecursively: false,
      groups: [{ name: 'check', test: (id) => always.has(id) || id.includes('/node_modules/jsonc-parser/') }],
    },
    // Without the doc comments (a third of the text): node reads and compiles every byte it loads.
    comments: { legal: true, annotation: true, jsdoc: false },
  },
});
