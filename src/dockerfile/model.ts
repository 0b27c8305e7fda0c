/**
 * The Dockerfile model: instructions with exact source ranges, stages, the final stage, the user
 * in effect (through `FROM <earlier stage>` chains), ARG and ENV values, and what is known about
 * each base image. Built on dockerfile-ast; edits go through edit.ts so bytes outside them stay.
 *
 * Over 400 lines: stage, user, ARG and ENV resolution depend on one another and on the same line
 * table.
 */
import path from 'node:path';
import type { Stats } from 'node:fs';
import { type Dockerfile, type Instruction as AstInstruction, type From, type Arg, type Env } from 'dockerfile-ast';
import { UserError } from '../core/errors.js';
import { LIMITS, decodeUtf8, readLimitedSync, utf16Refusal } from '../core/limits.js';
import { parseAst } from './ast.js';
import { detectEol, lineStarts, type Range } from './edit.js';
import { describeImage, parseImageRef, type ImageKnowledge, type ImageRef } from './images.js';

export type { Range } from './edit.js';

/** Every instruction Docker's builder knows. */
export const KEYWORDS = ['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

export interface DockerInstruction {
  /** Upper case: RUN, COPY... */
  keyword: string;
  /** The arguments as the builder reads them: continuations joined, comment lines inside dropped. */
  args: string;
  /** The exact source text of the instruction, continuations included. */
  source: string;
  /** 1-based first and last line. */
  line: number;
  endLine: number;
  range: Range;
  argsRange: Range | null;
  /** Index of the stage it belongs to; -1 for ARGs before the first FROM. */
  stage: number;
  ast: AstInstruction;
}

export interface Stage {
  index: number;
  /** The `AS` name, lower case as the builder treats it; null when unnamed. */
  name: string | null;
  from: DockerInstruction;
  /** The image reference as written (may hold `${VAR}`). */
  imageText: string;
  imageRange: Range | null;
  /** The image with global ARG defaults substituted; null when FROM names an earlier stage. */
  image: ImageRef | null;
  /** Variables in the FROM line that have no default, so the build arguments decide the image. */
  imageUnresolved: string[];
  /**
   * Those of them no ARG before the first FROM declares (BuildKit's platform arguments aside):
   * Docker reads them as empty in FROM, and --build-arg cannot set them.
   */
  imageUndeclared: string[];
  /** The earlier stage this one is built on (`FROM build`). */
  parent: Stage | null;
  /** The instructions after FROM, in order. */
  instructions: DockerInstruction[];
}

export interface Resolved {
  value: string;
  /** Variables referenced without any value known. */
  unresolved: string[];
}

export interface EffectiveUser {
  /** `user[:group]` as resolved. */
  spec: string;
  user: string;
  group: string | null;
  root: boolean;
  /** The USER instruction that set it; null when it comes from the base image (or nothing). */
  instruction: DockerInstruction | null;
  /** The stage the USER line is in (an earlier stage when inherited). */
  stage: Stage;
  /** How it was found: a USER line, the base image's own default, or nothing at all (root). */
  source: 'user' | 'image' | 'none';
  /** Variables in the USER line that have no value. */
  unresolved: string[];
}

export interface DockerfileModel {
  path: string;
  text: string;
  /** The file's line ending, used for every line inserted. */
  eol: '\n' | '\r\n' | '\r';
  /** The escape character (`\` or the `# escape=` directive's). */
  escape: string;
  ast: Dockerfile;
  instructions: DockerInstruction[];
  /** ARGs before the first FROM. */
  globalArgs: DockerInstruction[];
  stages: Stage[];
  finalStage: Stage;
  /** The text of a 1-based line, without its ending. */
  lineText(line: number): string;
  lineCount: number;
  /** The stages from the external image up to `stage` (`FROM <earlier stage>` followed). */
  chain(stage?: Stage): readonly Stage[];
  /** The instructions of that chain, in order. */
  chainInstructions(stage?: Stage): readonly DockerInstruction[];
  /** The external image at the root of `stage`'s chain; null for a chain that ends in an unknown stage. */
  baseImage(stage?: Stage): ImageRef | null;
  /** What is known of that image. */
  baseInfo(stage?: Stage): ImageKnowledge;
  /** Substitute ARG defaults and ENV values in effect before instruction `at` (or at the end of the stage). */
  resolve(text: string, stage: Stage | null, at?: DockerInstruction): Resolved;
  /** The user in effect before `at` (or at the end of `stage`). */
  userAt(stage: Stage, at?: DockerInstruction): EffectiveUser;
  /** The user the final image runs as. */
  effectiveUser(stage?: Stage): EffectiveUser;
  /**
   * The folder instruction `at` runs in (for a WORKDIR, the one it sets), or the WORKDIR in effect
   * at the end of `stage`: inherited through the chain from the base image's own WORKDIR where the
   * image table knows it, variables resolved, `/` by default.
   */
  workdir(stage?: Stage, at?: DockerInstruction): string;
  stageByName(name: string): Stage | undefined;
}

/**
 * Read and parse a Dockerfile; anything that is not one is a UserError naming the file. `seen`
 * gets the stat of the file that was read (its identity and version).
 */
export async function loadDockerfile(file: string, seen?: (info: Stats) => void): Promise<DockerfileModel> {
  return loadDockerfileSync(file, seen);
}

/**
 * loadDockerfile without the thread pool: the batch path reads a thousand files one after the
 * other, and awaited reads there only wait in libuv's queue. One open and one fstat per file.
 */
export function loadDockerfileSync(file: string, seen?: (info: Stats) => void): DockerfileModel {
  let bytes: Buffer | null;
  try {
    bytes = readLimitedSync(file, 'Dockerfile', LIMITS.dockerfile, {
      followLinks: true,
      seen: (info) => {
        if (info.isDirectory()) throw new UserError('is a directory, not a Dockerfile', 'Pass the file itself, for example --file ./Dockerfile.', file);
        if (!info.isFile()) throw new UserError('is not a regular file', 'Pass the path of a Dockerfile.', file);
        seen?.(info);
      },
    });
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot be read: ${(err as Error).message}`, undefined, file);
  }
  if (bytes === null) throw new UserError('not found', 'Check the path, or run docker-harden in the folder that holds the Dockerfile.', file);
  return parseDockerfile(decodeText(bytes, file), file);
}

function decodeText(bytes: Buffer, file: string): string {
  const utf16 = utf16Refusal(bytes, file, 'Dockerfile');
  if (utf16) throw utf16;
  if (bytes.includes(0)) throw new UserError('is a binary file, not a Dockerfile', 'Pass the path of a Dockerfile (a text file starting with FROM).', file);
  const text = decodeUtf8(bytes);
  if (text === null) throw new UserError('is not UTF-8 text, so it is not a Dockerfile', 'Pass the path of a Dockerfile, or save it as UTF-8.', file);
  return text;
}

/** Parse Dockerfile text; `file` names it in errors. */
export function parseDockerfile(text: string, file: string): DockerfileModel {
  if (text.replace(/^\uFEFF/, '').trim() === '') throw new UserError('is empty', 'A Dockerfile needs at least a FROM line, for example: FROM debian:bookworm-slim', file);
  const ast = parseAst(text);
  const starts = lineStarts(text);
  const lineText = (line: number): string => {
    const start = starts[line - 1];
    if (start === undefined) return '';
    const end = line < starts.length ? starts[line]! : text.length;
    return text.slice(start, end).replace(/\r?\n$|\r$/, '');
  };
  const escape = ast.getEscapeCharacter();
  const astInstructions = ast.getInstructions();
  if (astInstructions.length === 0) {
    throw new UserError('holds only comments, no instructions', 'A Dockerfile needs at least a FROM line, for example: FROM debian:bookworm-slim', file);
  }
  const unknown = astInstructions.filter((i) => !KEYWORDS.includes(i.getKeyword()));
  if (unknown.length === astInstructions.length || !astInstructions.some((i) => i.getKeyword() === 'FROM')) {
    const first = astInstructions[0]!;
    const line = first.getRange().start.line + 1;
    throw new UserError(
      `is not a Dockerfile: it has no FROM instruction${unknown.length > 0 ? ` (line ${line} reads "${clip(lineText(line))}")` : ''}`,
      'Pass the path of a Dockerfile (its first instruction is FROM, or ARG before FROM).',
      file,
      unknown.length > 0 ? line : undefined,
    );
  }
  const firstReal = astInstructions[0]!;
  if (firstReal.getKeyword() !== 'FROM' && firstReal.getKeyword() !== 'ARG') {
    const line = firstReal.getRange().start.line + 1;
    throw new UserError(
      `is not a valid Dockerfile: the first instruction must be FROM (or ARG before FROM), found "${clip(lineText(line))}"`,
      'Fix that line, or pass the path of another Dockerfile.',
      file,
      line,
    );
  }
  if (unknown.length > 0) {
    const bad = unknown[0]!;
    const line = bad.getRange().start.line + 1;
    throw new UserError(
      `unknown instruction "${bad.getInstruction()}"; Docker would refuse to build this file`,
      `Fix line ${line} (instructions are ${KEYWORDS.filter((k) => k !== 'MAINTAINER').join(', ')}).`,
      file,
      line,
    );
  }
  checkDirectivesAndArguments(text, astInstructions, file);

  const instructions: DockerInstruction[] = [];
  const stages: Stage[] = [];
  const globalArgs: DockerInstruction[] = [];
  for (const node of astInstructions) {
    const range = node.getRange();
    const keyword = node.getKeyword();
    const stageIndex = keyword === 'FROM' ? stages.length : stages.length - 1;
    const inst: DockerInstruction = {
      keyword,
      args: logicalArgs(text, node, starts, escape),
      source: sliceRange(text, range, starts),
      line: range.start.line + 1,
      endLine: range.end.line + 1,
      range,
      argsRange: node.getArgumentsRange(),
      stage: stageIndex,
      ast: node,
    };
    instructions.push(inst);
    if (keyword === 'FROM') {
      const from = node as From;
      const imageText = from.getImage() ?? '';
      if (!imageText) {
        throw new UserError('FROM names no image', 'Write the base image after FROM, for example: FROM debian:bookworm-slim', file, inst.line);
      }
      stages.push({
        index: stageIndex,
        name: from.getBuildStage()?.toLowerCase() ?? null,
        from: inst,
        imageText,
        imageRange: from.getImageRange(),
        image: null,
        imageUnresolved: [],
        imageUndeclared: [],
        parent: null,
        instructions: [],
      });
    } else if (stageIndex < 0) {
      globalArgs.push(inst);
    } else {
      stages[stageIndex]!.instructions.push(inst);
    }
  }

  let workdirs: Workdirs | undefined;
  // Asked by many steps of the same file: worked out once per stage (the model never changes).
  const chains = new Map<Stage, readonly Stage[]>();
  const chainInstructions = new Map<Stage, readonly DockerInstruction[]>();
  const variables = new Map<Stage | null, Map<DockerInstruction | undefined, Variables>>();
  const model: DockerfileModel = {
    path: file,
    text,
    eol: detectEol(text),
    escape,
    ast,
    instructions,
    globalArgs,
    stages,
    finalStage: stages[stages.length - 1]!,
    lineText,
    lineCount: starts.length,
    chain(stage = model.finalStage) {
      let chain = chains.get(stage);
      if (!chain) {
        const seen = new Set<Stage>();
        for (let s: Stage | null = stage; s && !seen.has(s); s = s.parent) seen.add(s);
        chain = Object.freeze([...seen].reverse());
        chains.set(stage, chain);
      }
      return chain;
    },
    chainInstructions(stage = model.finalStage) {
      let list = chainInstructions.get(stage);
      if (!list) {
        list = Object.freeze(model.chain(stage).flatMap((s) => s.instructions));
        chainInstructions.set(stage, list);
      }
      return list;
    },
    baseImage(stage = model.finalStage) {
      return model.chain(stage)[0]!.image;
    },
    baseInfo(stage = model.finalStage) {
      const image = model.baseImage(stage);
      return image ? describeImage(image) : { known: false, family: 'unknown', autoUser: true };
    },
    resolve(value, stage, at) {
      // Most values name no variable: the variables in effect are not worked out for them.
      if (!value.includes('$')) return { value, unresolved: [] };
      let byAt = variables.get(stage);
      if (!byAt) variables.set(stage, (byAt = new Map()));
      let vars = byAt.get(at);
      if (!vars) byAt.set(at, (vars = variablesAt(model, stage, at)));
      return substitute(value, vars, escape);
    },
    userAt(stage, at) {
      return userAt(model, stage, at);
    },
    effectiveUser(stage = model.finalStage) {
      return userAt(model, stage);
    },
    workdir(stage = model.finalStage, at) {
      const dirs = (workdirs ??= workdirsOf(model));
      return (at ? dirs.at.get(at) : undefined) ?? dirs.end.get(stage) ?? '/';
    },
    stageByName(name) {
      const lower = name.toLowerCase();
      return stages.find((s) => s.name === lower);
    },
  };

  // Resolve each FROM: an earlier stage by name, else an image with global ARGs. (Unlike
  // COPY --from, FROM does not take a stage index: `FROM 0` is an image named 0.)
  const globals = globalVariables(model);
  const named = new Map<string, Stage>();
  for (const stage of stages) {
    const { value: resolved, unresolved } = substitute(stage.imageText, globals, escape);
    stage.imageUnresolved = unresolved;
    stage.imageUndeclared = [...new Set(unresolved.filter((name) => !globals.has(name) && !PLATFORM_ARGS.has(name)))];
    const parent = named.get(resolved.toLowerCase());
    if (parent) stage.parent = parent;
    else stage.image = parseImageRef(resolved);
    // The first stage of a name is the one a later FROM finds.
    if (stage.name !== null && !named.has(stage.name)) named.set(stage.name, stage);
  }
  return model;
}

/** The build arguments BuildKit sets for the platform built for and on, declared or not. */
export const PLATFORM_ARGS: ReadonlySet<string> = new Set(['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT']);

/** Instructions Docker's parser refuses without an argument ("USER requires exactly one argument"). */
const NEEDS_ARGUMENT = new Set(['ADD', 'ARG', 'COPY', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/** What Docker's parser rejects before any build: a bad `# escape=` directive, an empty USER and the like. */
function checkDirectivesAndArguments(text: string, nodes: AstInstruction[], file: string): void {
  // Parser directives are comment lines at the very top, before any other line.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const directive = /^\s*#\s*([a-zA-Z]+)\s*=\s*(.*?)\s*$/.exec(lines[i]!);
    if (!directive) break;
    if (directive[1]!.toLowerCase() === 'escape' && directive[2] !== '\\' && directive[2] !== '`') {
      throw new UserError(`invalid escape directive "${directive[2]}": Docker accepts only \\ or \``, 'Fix the `# escape=` line (or remove it to use \\).', file, i + 1);
    }
  }
  for (const node of nodes) {
    const keyword = node.getKeyword();
    if (NEEDS_ARGUMENT.has(keyword) && node.getArguments().length === 0) {
      const line = node.getRange().start.line + 1;
      throw new UserError(`${keyword} has no argument; Docker would refuse to build this file`, `Complete line ${line}${keyword === 'USER' ? ', for example: USER 10001:10001' : ''}, or remove it.`, file, line);
    }
  }
}

function clip(text: string): string {
  const t = text.trim();
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

function sliceRange(text: string, range: Range, starts: readonly number[]): string {
  const offset = (p: { line: number; character: number }) => Math.min((starts[p.line] ?? text.length) + p.character, text.length);
  return text.slice(offset(range.start), offset(range.end));
}

/**
 * The arguments as the builder joins them: escape + newline removed, comment lines inside a
 * continuation dropped, heredoc bodies kept.
 */
function logicalArgs(text: string, node: AstInstruction, starts: readonly number[], escape: string): string {
  const argsRange = node.getArgumentsRange();
  if (!argsRange) return '';
  const raw = sliceRange(text, argsRange, starts);
  const lines = raw.split(/\r\n|\n|\r/);
  if (lines.length === 1) return raw;
  const doubled = escape + escape;
  const goesOn = (line: string) => {
    const trimmed = line.trimEnd();
    return trimmed.endsWith(escape) && !trimmed.endsWith(doubled);
  };
  // A here-document's marker on the instruction's line (its continuation lines too) keeps the text as written.
  if (raw.includes('<<')) {
    for (let i = 0; i < lines.length; i++) {
      if (/<<-?\s*["']?\w+/.test(lines[i]!)) return lines.join('\n') + '\n';
      if (!goesOn(lines[i]!)) break;
    }
  }
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > 0 && /^\s*#/.test(line)) continue;
    // trimEnd removes what \s+$ matches, and hands back the line itself when nothing trails.
    const trimmed = line.trimEnd();
    out += trimmed.endsWith(escape) && !trimmed.endsWith(doubled) ? trimmed.slice(0, -escape.length) : line;
  }
  return out;
}

interface Workdirs {
  at: Map<DockerInstruction, string>;
  end: Map<Stage, string>;
}

/** The folder each instruction runs in and each stage ends in, one walk for the whole file. */
function workdirsOf(model: DockerfileModel): Workdirs {
  const dirs: Workdirs = { at: new Map(), end: new Map() };
  // A stage is built only on an earlier one, whose end is known by then.
  for (const stage of model.stages) {
    // The first stage of a chain starts in its image's own WORKDIR, where the table knows it.
    let dir = (stage.parent ? dirs.end.get(stage.parent) : stage.image ? describeImage(stage.image).workdir : undefined) ?? '/';
    for (const inst of stage.instructions) {
      if (inst.keyword === 'WORKDIR') {
        dir = imagePath(dir, model.resolve(inst.args.trim(), stage, inst).value);
      }
      dirs.at.set(inst, dir);
    }
    dirs.end.set(stage, dir);
  }
  return dirs;
}

/**
 * A path in the image, `value` read from folder `dir`: POSIX, or a Windows path with its drive
 * (`C:\app` kept as `C:/app`); never one of the machine docker-harden runs on.
 */
export function imagePath(dir: string, value: string): string {
  const drive = (p: string) => /^[A-Za-z]:/.test(p);
  if (drive(value)) return path.posix.normalize(value.replace(/\\/g, '/')).replace(/(.)\/$/, '$1');
  if (drive(dir)) return path.posix.join(dir, value.replace(/\\/g, '/')).replace(/(.)\/$/, '$1');
  return path.posix.resolve('/', dir, value);
}

/** Values of variables: `undefined` = never declared, `null` = declared without a value. */
type Variables = Map<string, string | null>;

function argPairs(inst: DockerInstruction): { name: string; value: string | null }[] {
  const props = (inst.ast as Arg | Env).getProperties?.() ?? [];
  return props.map((p) => ({ name: p.getName(), value: p.getValue() }));
}

function globalVariables(model: DockerfileModel): Variables {
  const vars: Variables = new Map();
  for (const inst of model.globalArgs) {
    for (const { name, value } of argPairs(inst)) vars.set(name, value === null ? null : substitute(value, vars, model.escape).value);
  }
  return vars;
}

/** ENV and ARG values in effect in `stage` before `at`. ENV wins over ARG of the same name. */
function variablesAt(model: DockerfileModel, stage: Stage | null, at?: DockerInstruction): Variables {
  const globals = globalVariables(model);
  if (!stage) return globals;
  const chain = model.chain(stage);
  // The base image's own ENV (APP_UID in .NET images, NB_USER in Jupyter's) is in effect from FROM on.
  const base = chain[0]!.image;
  const env = new Map<string, string>(Object.entries(base ? (describeImage(base).env ?? {}) : {}));
  const args: Variables = new Map();
  for (const s of chain) {
    args.clear(); // ARGs do not cross FROM; ENV does.
    for (const inst of s.instructions) {
      if (at && inst === at) break;
      if (inst.keyword !== 'ARG' && inst.keyword !== 'ENV') continue;
      const scope: Variables = new Map([...args, ...env]);
      for (const { name, value } of argPairs(inst)) {
        if (inst.keyword === 'ENV') {
          env.set(name, value === null ? '' : substitute(value, scope, model.escape).value);
        } else if (value !== null) {
          args.set(name, substitute(value, scope, model.escape).value);
        } else {
          args.set(name, globals.has(name) ? globals.get(name)! : null);
        }
      }
    }
  }
  return new Map([...args, ...env]);
}

/** Expand `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`. */
export function substitute(text: string, vars: Variables, escape = '\\'): Resolved {
  if (!text.includes('$')) return { value: text, unresolved: [] };
  const unresolved: string[] = [];
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === escape && text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (ch !== '$') {
      out += ch;
      continue;
    }
    if (text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const body = text.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?$/s.exec(body);
      if (!m) {
        out += text.slice(i, close + 1);
      } else {
        const [, name, op, word] = m;
        const has = vars.has(name!) && vars.get(name!) !== null;
        const value = has ? vars.get(name!)! : '';
        const set = op?.startsWith(':') ? value !== '' : has;
        if (op === ':-' || op === '-') out += set ? value : substitute(word ?? '', vars, escape).value;
        else if (op === ':+' || op === '+') out += set ? substitute(word ?? '', vars, escape).value : '';
        else {
          if (!has) unresolved.push(name!);
          out += value;
        }
      }
      i = close;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      out += ch;
      continue;
    }
    const name = m[0];
    const value = vars.get(name);
    if (value === undefined || value === null) unresolved.push(name);
    out += value ?? '';
    i += name.length;
  }
  return { value: out, unresolved };
}

/** True for root: `root`, `0`, `root:<any group>`, `0:<any group>`. */
export function isRootUser(user: string): boolean {
  const name = user.trim().split(':')[0]!.trim();
  // ContainerAdministrator is the Windows images' administrator (their root).
  return name === 'root' || /^0+$/.test(name) || name === '' || name.toLowerCase() === 'containeradministrator';
}

function userAt(model: DockerfileModel, start: Stage, at?: DockerInstruction): EffectiveUser {
  // Up the `FROM <earlier stage>` chain, a loop: a file of 6,000 chained stages is no deeper a stack.
  let stage = start;
  const seen = new Set<Stage>();
  for (;;) {
    seen.add(stage);
    let candidates = stage.instructions;
    if (at && stage === start) {
      const idx = candidates.indexOf(at);
      if (idx >= 0) candidates = candidates.slice(0, idx);
    }
    for (let i = candidates.length - 1; i >= 0; i--) {
      const inst = candidates[i]!;
      if (inst.keyword !== 'USER') continue;
      const { value, unresolved } = model.resolve(inst.args.trim(), stage, inst);
      const spec = value.trim();
      const [user, group] = spec.split(':');
      return { spec, user: user ?? '', group: group ?? null, root: unresolved.length === 0 && isRootUser(spec), instruction: inst, stage, source: 'user', unresolved };
    }
    if (!stage.parent || seen.has(stage.parent)) break;
    stage = stage.parent;
  }
  const info = stage.image ? describeImage(stage.image) : undefined;
  if (info?.runsAs) {
    const spec = info.runsAs.name;
    return { spec, user: spec, group: null, root: false, instruction: null, stage, source: 'image', unresolved: [] };
  }
  return { spec: 'root', user: 'root', group: null, root: true, instruction: null, stage, source: 'none', unresolved: [] };
}
