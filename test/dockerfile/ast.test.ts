/**
 * The argument scan that replaces dockerfile-ast's own (src/dockerfile/ast.ts) finds the same
 * arguments, values and ranges: compared with dockerfile-ast's getRawArguments on every Dockerfile
 * the tests hold, on escapes and continuations written to trip it, and on a RUN of 150,000 lines.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Instruction } from 'dockerfile-ast';
import { originalRawArguments, parseAst, scanArguments } from '../../src/dockerfile/ast.js';

/** What an argument list shows to its readers: values, ranges, and that each is an Argument. */
function shown(args: ReturnType<Instruction['getArguments']>) {
  return args.map((a) => ({ value: a.getValue(), range: a.getRange(), text: String(a), before: a.isBefore({ line: 3, character: 4 }), after: a.isAfter({ line: 3, character: 4 }) }));
}

function expectSameArguments(text: string, label: string): number {
  let count = 0;
  for (const inst of parseAst(text).getInstructions()) {
    expect(shown(scanArguments(inst)), `${label}: ${inst.getKeyword()} at line ${inst.getRange().start.line + 1}`).toEqual(shown(originalRawArguments(inst)));
    count++;
  }
  return count;
}

function dockerfilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...dockerfilesUnder(full));
    else if (/dockerfile/i.test(name)) out.push(full);
  }
  return out;
}

const TRICKY: Record<string, string> = {
  'escape then spaces before the newline': 'FROM a\nRUN echo a \\  \n  b\\ c \\\n# comment \\\n   d \\$HOME \\\\ e\\\r\n f\r\n',
  'escape, tab, blank line': 'FROM a\nRUN x \\ \t\n\n y\nCOPY --from=b  /a /b\n',
  'escape as the last character': 'FROM a\nRUN echo \\',
  'backtick escape directive': '# escape=`\nFROM a\nRUN dir `\n  c:\\\\ `$x ` y`\n z\nRUN a ` b\n',
  'heredoc, ENV and LABEL continuations': 'FROM a\nRUN <<EOF\necho hi \\\nthere\nEOF\nENV A=1 B="x y" \\\n C=3\nLABEL a=b \\\n\n\n  c=d\nRUN  \\\n  \\\n  x\nHEALTHCHECK CMD \\   \n  true\nRUN a\\ b\\\\\\ c\nRUN a \\',
  'CR and CRLF line endings': 'FROM a\r\nRUN a \\\r\n  #c\r\n  b \\ \r\n c\rRUN x\\\r\r\n',
  'comment lines inside a continuation': 'FROM a\nRUN a \\\n  # one\n  # two \\\n  b\\\n#three\nc\n',
  'exec form and flags': 'FROM a\nRUN --mount=type=cache,target=/c ["sh", "-c", "echo \\"hi\\""]\nCMD ["a" , "b"]\nONBUILD RUN x \\\n y\n',
};

describe('the argument scan', () => {
  it('equals dockerfile-ast on every Dockerfile in the tests', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const files = dockerfilesUnder(root).filter((f) => statSync(f).size < 1_000_000);
    expect(files.length).toBeGreaterThan(20);
    let instructions = 0;
    for (const file of files) instructions += expectSameArguments(readFileSync(file, 'utf8'), path.relative(root, file));
    expect(instructions).toBeGreaterThan(200);
  });

  for (const [name, text] of Object.entries(TRICKY)) {
    it(`equals dockerfile-ast: ${name}`, () => {
      expect(expectSameArguments(text, name)).toBeGreaterThan(1);
    });
  }

  it('gives the arguments after the flags, the same on every call, and shares the list it keeps', () => {
    const [, copy, run, user] = parseAst('FROM a\nCOPY --from=b --chown=1:1 /a /b\nRUN --mount=type=cache,target=/c make \\\n  all\nUSER 1000\n').getInstructions();
    for (let call = 0; call < 3; call++) {
      expect(copy!.getArguments().map((a) => a.getValue())).toEqual(['/a', '/b']);
      expect((copy as unknown as { getFlags(): { getName(): string }[] }).getFlags().map((f) => f.getName())).toEqual(['from', 'chown']);
      expect(run!.getArguments().map((a) => a.getValue())).toEqual(['make', 'all']);
      expect(run!.getArgumentsRange()).toEqual({ start: { line: 2, character: 33 }, end: { line: 3, character: 5 } });
      expect(user!.getArguments().map((a) => a.getValue())).toEqual(['1000']);
    }
    // Instructions without flags hand out the kept list, which no reader can change.
    expect(user!.getArguments()).toBe(user!.getArguments());
    expect(() => user!.getArguments().pop()).toThrow(TypeError);
  });

  it('equals dockerfile-ast on a RUN of 150,000 continuation lines', () => {
    let text = 'FROM debian:12\nRUN apt-get update \\\n';
    for (let i = 0; i < 150_000; i++) text += `    && echo line-${i} \\\n`;
    text += '    && true\n';
    const run = parseAst(text).getInstructions()[1]!;
    const mine = scanArguments(run);
    const theirs = originalRawArguments(run);
    expect(mine).toHaveLength(450_004);
    // Every 997th argument and the ends: comparing all 450,000 ranges as objects is slow, not stronger.
    const sample = (args: typeof mine) => shown(args.filter((_, i) => i % 997 === 0 || i > args.length - 4));
    expect(sample(mine)).toEqual(sample(theirs));
    expect(mine.map((a) => a.getValue())).toEqual(theirs.map((a) => a.getValue()));
  });
});
