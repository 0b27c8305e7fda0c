/**
 * The layers, as imports (static and `await import()`): the engine imports neither steps, nor the
 * commands, nor the UI; the wizard's components import nothing that does I/O; steps reach the
 * machine only through the context, importing pure knowledge (parsers, schemas, edits) and never
 * the modules that talk to dockerd, write files or run commands.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => path.relative(repoRoot, path.join(e.parentPath, e.name)));
}

/** The repository files a source imports, relative to the repository, without extension. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(repoRoot, file), 'utf8');
  const found = new Set<string>();
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)'(\.{1,2}\/[^']+)'/gm)) {
    found.add(path.join(path.dirname(file), m[1]!).replace(/\.js$/, ''));
  }
  return [...found];
}

function offending(dir: string, allowed: (imported: string, file: string) => boolean): string[] {
  return sources(dir).flatMap((file) => importsOf(file).filter((i) => !allowed(i, file)).map((i) => `${file} imports ${i}`));
}

describe('layers', () => {
  it('finds imports in every style the code uses (the test itself can fail)', () => {
    expect(importsOf('src/core/runner.ts')).toEqual(expect.arrayContaining(['src/core/step', 'src/core/rebase', 'src/host/restart-impact']));
    expect(importsOf('steps/03-protect-docker-socket.ts')).toEqual(expect.arrayContaining(['src/host/endpoints', 'src/host/dropin']));
  });

  it('the engine (src/core) imports neither steps, nor commands, nor the UI', () => {
    expect(offending('src/core', (i) => !/^(steps|src\/app|src\/ui)(\/|$)/.test(i))).toEqual([]);
  });

  it("the wizard's components import only React, Ink and the pure modules beside them", () => {
    const pure = new Set(['src/ui/layout', 'src/ui/reducer', 'src/ui/components', 'src/ui/screens', 'src/ui/offer', 'src/core/sanitize', 'src/core/step']);
    const components = ['src/ui/components.tsx', 'src/ui/screens.tsx', 'src/ui/offer.tsx'];
    const bad = components.flatMap((file) => importsOf(file).filter((i) => !pure.has(i)).map((i) => `${file} imports ${i}`));
    expect(bad).toEqual([]);
  });

  it('steps import pure knowledge only: nothing that talks to dockerd, writes or runs commands', () => {
    // What talks to the machine: the Engine client and identity checks, the service manager, the
    // recorded-host loader, the engine's writers and runners, the commands and the UI.
    const machine = /^src\/(host\/(client|service|daemon-identity|recorded|restart-impact)|core\/(runner|change|walk|lockfile|profile|verify|learn|signals)|app|ui|report|export)(\/|$)/;
    expect(offending('steps', (i) => !machine.test(i))).toEqual([]);
  });
});
