import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyEdits, deleteLinesEdit, detectEol, insertAfterLine, insertLinesEdit, lineStarts, offsetAt, replaceRange } from '../../src/dockerfile/edit.js';
import { parseDockerfile } from '../../src/dockerfile/model.js';

describe('range edits keep every byte outside the edit', () => {
  it('replaces a USER argument in a CRLF file with an escape directive and continuations', () => {
    const text = '# escape=`\r\n# syntax=docker/dockerfile:1\r\nFROM debian:bookworm\r\nRUN apt-get update && `\r\n    apt-get install -y curl  # keep\r\nUSER root\r\nCMD ["sh"]';
    const m = parseDockerfile(text, 'Dockerfile');
    const user = m.instructions.find((i) => i.keyword === 'USER')!;
    const out = replaceRange(text, user.range, 'USER 10001:10001');
    expect(out).toBe(text.replace('USER root', 'USER 10001:10001'));
  });

  it('replaces an image tag by its parser range', () => {
    const text = 'FROM docker.io/library/node:20 AS build\nRUN true\n';
    const m = parseDockerfile(text, 'Dockerfile');
    const range = (m.finalStage.from.ast as import('dockerfile-ast').From).getImageTagRange()!;
    expect(replaceRange(text, range, '20-slim')).toBe('FROM docker.io/library/node:20-slim AS build\nRUN true\n');
  });

  it('inserts lines with the file\'s own line ending', () => {
    expect(insertAfterLine('FROM a\r\nCMD x\r\n', 0, ['USER 1'])).toBe('FROM a\r\nUSER 1\r\nCMD x\r\n');
    expect(insertAfterLine('FROM a\nCMD x\n', 1, ['USER 1'])).toBe('FROM a\nCMD x\nUSER 1\n');
  });

  it('inserts after a last line that has no line ending', () => {
    expect(insertAfterLine('FROM a\r\nCMD x', 1, ['USER 1'])).toBe('FROM a\r\nCMD x\r\nUSER 1');
  });

  it('deletes whole lines', () => {
    const text = 'FROM a\r\nEXPOSE 1\r\nCMD x\r\n';
    expect(applyEdits(text, [deleteLinesEdit(text, 1, 1)])).toBe('FROM a\r\nCMD x\r\n');
  });

  it('refuses overlapping edits', () => {
    expect(() => applyEdits('abcdef', [{ start: 0, end: 3, text: '' }, { start: 2, end: 4, text: '' }])).toThrow(/overlapping/);
  });

  it('detects line endings and offsets for \\n, \\r\\n and \\r', () => {
    expect(detectEol('a\r\nb')).toBe('\r\n');
    expect(detectEol('a\rb')).toBe('\r');
    expect(detectEol('a')).toBe('\n');
    const text = 'ab\r\ncd\ref\ngh';
    expect(lineStarts(text)).toEqual([0, 4, 7, 10]);
    expect(offsetAt(text, { line: 1, character: 1 })).toBe(5);
    expect(offsetAt(text, { line: 0, character: 99 })).toBe(2);
  });

  it('an insertion changes nothing but the inserted bytes (any text, any line)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '#', '\\', '`') }), { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.nat(10), (lines, eol, at) => {
        const text = lines.join(eol) + eol;
        const line = at % lines.length;
        const edit = insertLinesEdit(text, line, ['USER 1']);
        const out = applyEdits(text, [edit]);
        expect(out.slice(0, edit.start)).toBe(text.slice(0, edit.start));
        expect(out.slice(edit.start + `USER 1${eol}`.length)).toBe(text.slice(edit.start));
        expect(out.slice(edit.start, edit.start + 6 + eol.length)).toBe(`USER 1${eol}`);
      }),
    );
  });
});
