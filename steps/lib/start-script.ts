/**
 * The script a container starts with, read from the build context where a COPY or ADD put it in
 * the image: what in it switches user or needs root tells whether a USER line can work.
 */
import path from 'node:path/posix';
import type { Context } from '../../src/core/step.js';
import type { DockerfileModel, Stage } from '../../src/dockerfile/model.js';
import { LIMITS } from '../../src/core/limits.js';
import { copyOperands } from './supply-chain.js';
import { rootProgramIn, type RootProgram } from '../../src/dockerfile/images.js';
import { splitWords } from '../../src/core/words.js';

export interface ScriptLine {
  line: number;
  text: string;
  /** The command that switches user (gosu) or needs root (chown). */
  command: string;
}

export interface StartScript {
  /** The script as the build context holds it, relative to the Dockerfile's folder. */
  file: string;
  /** Programs it starts that must run as root (supervisord, cron, nginx), with why. */
  rootPrograms: (ScriptLine & { program: RootProgram })[];
  /** Where it switches to another user itself: started as that user, it cannot. */
  switches: ScriptLine[];
  /** Commands only root may run on files it does not own (chown, usermod, setcap, ...). */
  rootOnly: ScriptLine[];
}

// A word that starts a command: at the line's start or after ; & | ( or `exec`/`then`/`do`.
const COMMAND_START = String.raw`(?:^|[;&|(]\s*|\b(?:exec|then|do|else)\s+)`;
const SWITCHES = new RegExp(`${COMMAND_START}(?:\\S*/)?(gosu|su-exec|runuser|s6-setuidgid|setuidgid|chpst\\s+-u|setpriv\\s[^#]*--reuid|chroot\\s+--userspec|su\\s+(?:-[lmp]\\s+|-\\s+)?[\\w\${}"-]+\\s+-c|su\\s+-c|sudo\\s+(?:-[A-Za-z]+\\s+)*-u)\\b`);
const ROOT_ONLY = new RegExp(`${COMMAND_START}(?:\\S*/)?(chown|chgrp|setfacl|usermod|groupmod|useradd|groupadd|adduser|addgroup|setcap|sysctl|iptables|ip6tables|update-ca-certificates|mount)\\b`);

const DEFAULT_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** What a shell script does as root, line by line (comments and here-document bodies are read as lines too). */
export function scriptRootUse(text: string): Pick<StartScript, 'switches' | 'rootOnly' | 'rootPrograms'> {
  const switches: ScriptLine[] = [];
  const rootOnly: ScriptLine[] = [];
  const rootPrograms: StartScript['rootPrograms'] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const sw = SWITCHES.exec(line);
    if (sw) switches.push({ line: i + 1, text: line.slice(0, 120), command: sw[1]!.split(/\s+/)[0]! });
    const ro = ROOT_ONLY.exec(line);
    if (ro) rootOnly.push({ line: i + 1, text: line.slice(0, 120), command: ro[1]! });
    // The program the script hands the container to (`exec supervisord -c ...`).
    const handed = /^exec\s+(.*)$/.exec(line);
    const hit = handed && !sw ? rootProgramIn(splitWords(handed[1]!), { firstWordOnly: true }) : null;
    if (hit) rootPrograms.push({ line: i + 1, text: line.slice(0, 120), command: hit.name, program: hit.program });
  }
  return { switches, rootOnly, rootPrograms };
}

/** A COPY or ADD of the final chain from the build context: its sources and where it puts them. */
interface ContextCopy {
  sources: readonly string[];
  /** The destination in the image, absolute. */
  dest: string;
  /** The sources go into `dest` as a folder (`COPY a.sh b.sh /usr/local/bin/`). */
  intoFolder: boolean;
}

/**
 * The COPY and ADD lines of the final chain that take files from the build context, last first.
 * Files from another stage or image, URLs and paths with variables are not among them.
 */
function contextCopies(model: DockerfileModel, final: Stage): ContextCopy[] {
  const instructions = model.chain(final).flatMap((stage) => stage.instructions.map((inst) => ({ inst, stage })));
  const out: ContextCopy[] = [];
  for (const { inst, stage } of instructions.reverse()) {
    if (inst.keyword !== 'COPY' && inst.keyword !== 'ADD') continue;
    const { flags, sources, destination } = copyOperands(inst.ast);
    if (flags.some((f) => /^--from=/i.test(f)) || sources.some((s) => s.includes('$') || /^[a-z]+:\/\//i.test(s) || s.startsWith('<<'))) continue;
    const workdir = model.workdir(stage, inst);
    const dest = path.resolve(workdir, destination);
    // The WORKDIR exists (WORKDIR made it), so `COPY app.sh .` puts app.sh in it, slash or not.
    out.push({ sources, dest, intoFolder: destination.endsWith('/') || sources.length > 1 || dest === workdir });
  }
  return out;
}

/**
 * The build-context files those copies may have put at `inImage` (absolute), taking the
 * Dockerfile's folder as the context, most likely first: `COPY entrypoint.sh /`, `COPY a.sh b.sh
 * /usr/local/bin/`, then a folder copied whole (`COPY . /app`). Paths outside the context are not
 * among them.
 */
function contextSources(copies: readonly ContextCopy[], inImage: string): string[] {
  const out: string[] = [];
  for (const { sources, dest, intoFolder } of copies) {
    const named = sources.filter((source) => (intoFolder ? path.join(dest, path.basename(source)) === inImage : dest === inImage));
    // A source that is a folder copies its contents (`COPY docker /usr/local/bin`); which one is a folder, the read tells.
    const inFolder = inImage.startsWith(`${dest}/`) ? sources.map((source) => path.join(source, inImage.slice(dest.length + 1))) : [];
    for (const from of [...named, ...inFolder]) {
      const rel = path.normalize(from.replace(/^\/+/, ''));
      if (!rel.startsWith('..')) out.push(rel);
    }
  }
  return out;
}

/** The start script `name` (as the container runs it) read from the build context, or null when it is not there. */
export async function readStartScript(ctx: Context, model: DockerfileModel, final: Stage, name: string, options: { shellScriptOnly?: boolean } = {}): Promise<StartScript | null> {
  // A bare name is found on PATH (the images' default one); a relative path from the WORKDIR.
  const inImage = name.includes('/') ? [path.resolve(model.workdir(final), name)] : DEFAULT_PATH.map((dir) => path.join(dir, name));
  // Read once for all the places PATH may put the program.
  const copies = contextCopies(model, final);
  for (const rel of inImage.flatMap((p) => contextSources(copies, p))) {
    const text = await readContextFile(ctx, path.join(path.dirname(model.path), rel));
    // A program not named as a script is read only when its first line says a shell runs it.
    if (text !== null && options.shellScriptOnly && !/^#!\s*\S*\/(?:env\s+)?(?:ba|da|a|z)?sh\b/.test(text)) return null;
    if (text !== null) return { file: rel, ...scriptRootUse(text) };
  }
  return null;
}

/**
 * A text file of the build context or beside the Dockerfile (a start script, action.yml): bounded,
 * a regular file never read through a link, since the context may hold anything; null otherwise.
 */
export async function readContextFile(ctx: Context, file: string): Promise<string | null> {
  const bytes = ctx.probe.readBytes ? await ctx.probe.readBytes(file, LIMITS.contextFile) : null;
  const text = bytes ? bytes.toString('utf8') : ctx.probe.readBytes ? null : await ctx.probe.readText(file);
  return text === null || text.length > LIMITS.contextFile || text.includes('\0') ? null : text;
}
