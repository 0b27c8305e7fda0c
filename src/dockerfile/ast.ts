/**
 * dockerfile-ast's parser, with one change: an instruction's arguments are computed once, by a
 * faster equivalent of its own scan. dockerfile-ast scans an instruction's whole text again on
 * every getArguments() call (flags, ranges and content each ask), several times while parsing and
 * more while the steps read it, and one scan of a RUN of 150,000 continuation lines took a second
 * or more (a string per character, a checked Range per argument). An instruction's text never
 * changes after parsing, so the first answer is kept (per instance), frozen, and handed out as is:
 * ModifiableInstruction.getArguments(), which shifted its flags off a fresh array each call, takes a
 * slice past them instead (a copy of a RUN's 450,000 arguments per call was garbage for seconds).
 * `scanArguments` follows dockerfile-ast's getRawArguments step by step (same arguments, values
 * and ranges; test/dockerfile/ast.test.ts compares the two on every Dockerfile in the tests).
 */
import { createRequire } from 'node:module';
import type { Argument, Dockerfile, Instruction, ModifiableInstruction } from 'dockerfile-ast';

type Args = ReturnType<Instruction['getArguments']>;
interface Position {
  line: number;
  character: number;
}
/** The parts of the instruction and its document that the scan reads (private in the typings). */
interface InstructionInternals {
  document: { getText(): string; offsetAt(p: Position): number; positionAt(offset: number): Position };
  escapeChar: string;
  getInstructionRange(): { start: Position; end: Position };
  getRange(): { start: Position; end: Position };
}

type Library = typeof import('dockerfile-ast');
let library: Library | undefined;
// The arguments kept on the instruction itself: a WeakMap of a hundred thousand entries is work for
// every garbage collection.
const COMPUTED = Symbol('docker-harden arguments');
/** dockerfile-ast's own scan, kept for the test that compares it with scanArguments. */
let originalScan: ((this: Instruction) => Args) | undefined;

/**
 * dockerfile-ast, loaded and changed on first use: a host check, which parses no Dockerfile, does
 * not spend a tenth of its time loading it. A CommonJS package: `require` loads it synchronously.
 */
function dockerfileAst(): Library {
  if (library) return library;
  const lib = createRequire(import.meta.url)('dockerfile-ast') as Library;
  // getRawArguments is private in the typings; it is what every getArguments() call runs.
  const proto = lib.Instruction.prototype as unknown as { getRawArguments: ((this: Instruction) => Args) & { memoized?: boolean; original?: (this: Instruction) => Args } };
  originalScan = proto.getRawArguments.memoized ? proto.getRawArguments.original! : proto.getRawArguments;
  if (!proto.getRawArguments.memoized) {
    const memoized = function (this: Instruction & { [COMPUTED]?: Args }): Args {
      return (this[COMPUTED] ??= Object.freeze(scanArguments(this)) as Args);
    };
    proto.getRawArguments = Object.assign(memoized, { memoized: true, original: originalScan });
    // As dockerfile-ast's own: the arguments after the flags (getFlags asks getArguments while it
    // fills its list, and sees none then, as before).
    (lib.ModifiableInstruction.prototype as unknown as { getArguments(this: ModifiableInstruction): Args }).getArguments = function (this: ModifiableInstruction): Args {
      const args = lib.Instruction.prototype.getArguments.call(this);
      const flags = this.getFlags().length;
      return flags === 0 ? args : args.slice(flags);
    };
  }
  Object.setPrototypeOf(ScannedArgument.prototype, lib.Argument.prototype);
  library = lib;
  return lib;
}

/** dockerfile-ast's own argument scan of an instruction, for comparing with scanArguments. */
export function originalRawArguments(instruction: Instruction): Args {
  dockerfileAst();
  return originalScan!.call(instruction);
}

/**
 * An Argument whose range is worked out when first asked: a RUN of 150,000 lines has 450,000
 * arguments, and four objects each (argument, range, two positions) kept the garbage collector
 * busy for seconds; most ranges are never read. Behaves as dockerfile-ast's Argument (its
 * prototype, set when the library is loaded), which reads its range only through `this.range`.
 */
class ScannedArgument {
  private known: { start: Position; end: Position } | null = null;
  constructor(
    readonly value: string,
    private readonly doc: InstructionInternals['document'],
    private readonly from: number,
    private readonly to: number,
  ) {}
  get range(): { start: Position; end: Position } {
    this.known ??= { start: this.doc.positionAt(this.from), end: this.doc.positionAt(this.to) };
    return this.known;
  }
}

const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const HASH = 35;
const DOLLAR = 36;

/** The instruction's arguments as dockerfile-ast's getRawArguments finds them. */
export function scanArguments(instruction: Instruction): Args {
  const inst = instruction as unknown as InstructionInternals;
  const doc = inst.document;
  const text = doc.getText();
  const escapeCode = inst.escapeChar.charCodeAt(0);
  const args: Args = [];
  // The arguments start after the keyword and end where the instruction does (clamped like getText).
  const offset = doc.offsetAt(inst.getInstructionRange().end);
  const end = Math.max(offset, doc.offsetAt(inst.getRange().end));
  const length = end - offset;
  const code = (i: number): number => (i < length ? text.charCodeAt(offset + i) : NaN);
  // An argument's value is the text from `found` with escape characters removed: kept as the
  // pieces' bounds, and sliced only when it ends.
  let pieces = '';
  let pieceStart = -1;
  const flushPiece = (i: number) => {
    if (pieceStart !== -1) pieces += text.slice(offset + pieceStart, offset + i);
    pieceStart = -1;
  };
  const push = (from: number, to: number) => {
    args.push(new ScannedArgument(pieces, doc, offset + from, offset + to) as unknown as Argument);
  };
  let start = false;
  let comment = false;
  let found = -1;
  let escapedWhitespaceDetected = false;
  let escaping = false;
  let escapeMarker = -1;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(offset + i);
    if (c === SPACE || c === TAB || c === CR || c === LF) {
      flushPiece(i);
      if (escaping) {
        escapedWhitespaceDetected = true;
        if (c === CR || c === LF) {
          escapedWhitespaceDetected = false;
          if (comment) {
            comment = false;
            start = true;
          }
        }
        continue;
      } else if (found !== -1) {
        push(found, escapeMarker === -1 ? i : escapeMarker);
        escapeMarker = -1;
        pieces = '';
        found = -1;
      }
    } else if (c === escapeCode) {
      flushPiece(i);
      const next = code(i + 1);
      if (next === SPACE || next === TAB) {
        whitespaceCheck: for (let j = i + 2; j < length; j++) {
          switch (text.charCodeAt(offset + j)) {
            case SPACE:
            case TAB:
              continue;
            case CR:
              j++;
            // falls through
            case LF:
              comment = false;
              escaping = true;
              start = true;
              if (found !== -1) escapeMarker = i;
              i = j;
              break whitespaceCheck;
            default:
              escapeMarker = i;
              if (found === -1) i = j - 1;
              break whitespaceCheck;
          }
        }
      } else if (next === CR) {
        comment = false;
        escaping = true;
        start = true;
        if (found !== -1 && escapeMarker === -1) escapeMarker = i;
        i += 2;
      } else if (next === LF) {
        comment = false;
        escaping = true;
        start = true;
        if (found !== -1 && escapeMarker === -1) escapeMarker = i;
        i++;
      } else {
        if (escapedWhitespaceDetected && escapeMarker !== -1) {
          push(found, escapeMarker);
          pieces = '';
          found = -1;
        }
        escapeMarker = -1;
        escapedWhitespaceDetected = false;
        escaping = false;
        if (Number.isNaN(next)) break; // the escape character ends the text
        // `\$` keeps its escape character (the variable is not expanded); any other escape drops it.
        if (next === DOLLAR) pieces += text.slice(offset + i, offset + i + 2);
        else pieces += text.slice(offset + i + 1, offset + i + 2);
        if (found === -1) found = i;
        i++;
      }
    } else if (!comment) {
      if (start && c === HASH) {
        flushPiece(i);
        comment = true;
      } else {
        if (escapedWhitespaceDetected && escapeMarker !== -1) {
          flushPiece(i);
          push(found, escapeMarker);
          pieces = '';
          found = -1;
        }
        escapedWhitespaceDetected = false;
        escaping = false;
        escapeMarker = -1;
        if (pieceStart === -1) pieceStart = i;
        if (found === -1) found = i;
      }
      start = false;
    } else {
      flushPiece(i);
    }
  }
  flushPiece(length);
  if (found !== -1) push(found, escapeMarker === -1 ? length : escapeMarker);
  return args;
}

/** Parse Dockerfile text into dockerfile-ast's tree. */
export function parseAst(text: string): Dockerfile {
  return dockerfileAst().DockerfileParser.parse(text);
}
