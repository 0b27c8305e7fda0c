/**
 * Reading what RUN, CMD and ENTRYPOINT do: packages installed, build commands, sudo, the argv of
 * the container's command. Shell text is split into commands at `&&`, `||`, `;` and `|`, which is
 * all a Dockerfile check needs; nothing here runs a shell.
 */
import { splitWords } from '../core/words.js';
import type { ModifiableInstruction } from 'dockerfile-ast';
import type { DockerInstruction } from './model.js';

/** The argv of an exec-form (`["a","b"]`) or shell-form instruction. */
export function commandArgv(inst: DockerInstruction): string[] {
  const text = inst.args.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed as string[];
    } catch {
      /* not JSON: the builder runs it with the shell */
    }
  }
  return splitWords(text);
}


const LEADING_WORDS = new Set(['env', 'exec', 'then', 'else', 'elif', 'do', 'if', 'while', 'until', '!', '{', 'time']);
// What ends a simple command on a line: &&, ||, ; and |.
const SEPARATOR = /&&|\|\||;|\|/;

/**
 * Where a command's name is among its words: past leading VAR=value assignments, `env`/`exec` and
 * the shell's own words (`then apt-get ...`, `if grep ...`, `! test ...`), and with `wrappers` also
 * sudo and options (`sudo -E bash`).
 */
function commandStart(words: readonly string[], wrappers = false): number {
  let i = 0;
  while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || LEADING_WORDS.has(words[i]!) || (wrappers && (words[i] === 'sudo' || words[i]!.startsWith('-'))))) {
    // sudo's options that take the next word (`sudo -u app bash`): that word is no command.
    i += wrappers && SUDO_VALUE_OPTIONS.has(words[i]!) ? 2 : 1;
  }
  return i;
}

const SUDO_VALUE_OPTIONS = new Set(['-u', '--user', '-g', '--group', '-h', '--host', '-p', '--prompt', '-C', '--close-from', '-D', '--chdir', '-r', '--role', '-t', '--type', '-U', '--other-user', '-T', '--command-timeout', '-R', '--chroot']);

/** The simple commands of a shell line: split at &&, ||, ;, | and unescaped newlines, each as words. */
export function shellCommands(text: string): string[][] {
  // One pass, no list between the stages: a RUN of 150,000 commands made three.
  const out: string[][] = [];
  // A newline ends a command unless escaped: a heredoc's body keeps its continuation lines
  // (`apt-get install -y \<newline> curl`), which splitWords joins.
  for (const part of text.split(/&&|\|\||;|\||(?<!\\)\n/)) {
    // A continuation that ends the part (`cat <<EOF > f \` before `&& ...`) joins it to nothing.
    let command = part.trim();
    if (command.endsWith('\\') && /\\\r?\n\s*$/.test(part)) command = command.slice(0, -1);
    let words = splitWords(command);
    // A word that starts with # starts a comment (a script's own comment lines and shebang).
    const comment = words.findIndex((w) => w.startsWith('#'));
    if (comment >= 0) words = words.slice(0, comment);
    const i = commandStart(words);
    if (i < words.length) out.push(i === 0 ? words : words.slice(i));
  }
  return out;
}

const SHELLS = /^(?:ba|da|a|z|k|mk)?sh$/;

/** A here-document's body in an instruction's text: [start, end) covers its lines and the line of its word. */
export interface HeredocBody {
  start: number;
  end: number;
  /** Where the line of its word starts (the body's text ends there). */
  wordLine: number;
  /** Run as shell commands: the RUN's own script (`RUN <<EOF`, no other shebang) or fed to a shell (`bash <<EOF`). */
  shell: boolean;
}

/**
 * The here-documents of a RUN's text (`<<EOF`, `<<-EOF`, `<<"EOF"`), in order. A body that is not
 * shell is data for the program before it (`cat <<EOF > /etc/app.conf`, `python3 <<EOF`): its
 * lines are not commands of the RUN, and a fix never edits them.
 */
export function heredocBodies(text: string): HeredocBody[] {
  const out: HeredocBody[] = [];
  let lineStart = 0;
  let first = true;
  while (lineStart < text.length) {
    // The builder joins a line that ends in the escape character with the next before it reads the
    // here-documents of the whole: their bodies start after it (`cat <<EOF > f \` then `&& chmod ...`).
    let lineEnd = lineStart;
    do {
      const newline = text.indexOf('\n', lineEnd);
      lineEnd = newline < 0 ? text.length : newline + 1;
    } while (lineEnd < text.length && CONTINUED.test(text.slice(Math.max(lineStart, lineEnd - 256), lineEnd)));
    const line = text.slice(lineStart, lineEnd);
    let bodyStart = lineEnd;
    for (const m of line.matchAll(/(?<!<)<<(?!<)(-?)\s*(["']?)([A-Za-z_][\w.-]*)\2/g)) {
      // The body runs up to the line that holds only its word (tabs before it allowed with <<-).
      let end = bodyStart;
      let wordLine = -1;
      while (end < text.length) {
        const next = text.indexOf('\n', end);
        const stop = next < 0 ? text.length : next + 1;
        const candidate = text.slice(end, stop).replace(/\r?\n$/, '');
        if ((m[1] ? candidate.replace(/^\t+/, '') : candidate) === m[3]) wordLine = end;
        end = stop;
        if (wordLine >= 0) break;
      }
      // Never closed: the builder refuses it, and its lines are read as they stand.
      if (wordLine < 0) break;
      const before = line.slice(0, m.index);
      const after = line.slice(m.index! + m[0].length);
      const shell = runsAsShell(before, after, first, text.slice(bodyStart, wordLine)) || writesScriptRunLater(`${before} ${after}`, `${after}\n${text.slice(end)}`);
      out.push({ start: bodyStart, end, wordLine, shell });
      bodyStart = end;
    }
    lineStart = bodyStart;
    first = false;
  }
  return out;
}

/** Whether the body of a here-document whose line reads `before` and `after` around it is run as shell commands. */
function runsAsShell(before: string, after: string, firstLine: boolean, body: string): boolean {
  // The command it is fed to: the words since the last separator, less assignments and wrappers;
  // or, with none before it, those after it (`RUN <<EOF bash`, as the Dockerfile reference writes).
  const segment = before.split(SEPARATOR).pop()!;
  let words = splitWords(firstLine && !SEPARATOR.test(before) ? segment.replace(/^\s*(?:ONBUILD\s+)?RUN\b/i, '').replace(/^(\s*--[a-z-]+(=\S+)?)+/, '') : segment);
  if (words.length === 0) words = splitWords(after.split(SEPARATOR)[0]!).filter((w) => !w.startsWith('<<'));
  const i = commandStart(words, true);
  const command = words[i];
  // `RUN <<EOF`: the body is the RUN's script, run by the shell unless its shebang names another program.
  if (command === undefined) {
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(body);
    if (!shebang) return true;
    const program = shebang[1]!.split('/').pop()!;
    return SHELLS.test(program === 'env' ? (shebang[2] ?? '').split('/').pop()! : program);
  }
  const program = command.split('/').pop()!;
  const rest = words.slice(i + 1);
  // `sh -c '...' <<EOF` runs the quoted text, and the body is its stdin.
  if (SHELLS.test(program)) return !rest.includes('-c');
  return program === 'busybox' && rest[0] !== undefined && SHELLS.test(rest[0]) && !rest.includes('-c');
}

/**
 * Whether a here-document written to a file (`cat > /tmp/setup.sh <<EOF`, `tee setup.sh <<EOF`) is
 * a script the same RUN then runs (`&& sh /tmp/setup.sh`, `&& ./setup.sh`): its lines are commands.
 */
function writesScriptRunLater(line: string, rest: string): boolean {
  const words = splitWords(line.split(SEPARATOR).find((part) => /(^|\s)(>>?|tee)(\s|$)|>>?\S/.test(part)) ?? '');
  const at = words.findIndex((w) => w === '>' || w === '>>' || w === 'tee');
  const file = at >= 0 ? words.slice(at + 1).find((w) => !w.startsWith('-') && !w.startsWith('<<')) : words.find((w) => /^>>?\S/.test(w))?.replace(/^>>?/, '');
  if (!file || file.includes('$')) return false;
  const name = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // At a command's start (not where it is written or chmod-ed), alone or given to a shell.
  return new RegExp(`(^|[;&|])\\s*((ba|da|a|z)?sh\\s+(-\\S+\\s+)*|\\.\\s+|source\\s+)?(\\./)?${name}(\\s|$)`, 'm').test(rest);
}

const CONTINUED = /(?<!\\)\\[ \t]*\r?\n$/;

/** `text` as commands: the bodies of its data here-documents taken out, and every line that closes one. */
function withoutDataHeredocs(text: string): string {
  if (!text.includes('<<')) return text;
  let out = '';
  let at = 0;
  for (const body of heredocBodies(text)) {
    out += text.slice(at, body.shell ? body.wordLine : body.start);
    at = body.end;
  }
  return out + text.slice(at);
}

// Split once per instruction: six steps ask for the commands of every RUN, and one RUN of
// 150,000 continuation lines holds as many commands. Each command's words are frozen rather than
// copied per call (copies of 150,000 arrays per step kept the garbage collector busy for seconds),
// and so is the list, handed out as is.
const commandsOf = new WeakMap<DockerInstruction, readonly (readonly string[])[]>();

/** Commands of a RUN (exec form counts as one command). */
export function runCommands(inst: DockerInstruction): readonly (readonly string[])[] {
  let commands = commandsOf.get(inst);
  if (!commands) {
    commands = Object.freeze(splitRun(inst).map((words) => Object.freeze(words)));
    commandsOf.set(inst, commands);
  }
  return commands;
}

function splitRun(inst: DockerInstruction): string[][] {
  let text = inst.args.trim();
  if (inst.keyword === 'ONBUILD') {
    // `ONBUILD RUN ...`: the trigger runs in images built FROM this one.
    if (!/^RUN\s/i.test(text)) return [];
    text = text.replace(/^RUN\s+/i, '');
  }
  if (text.startsWith('[')) {
    const argv = commandArgv({ ...inst, args: text });
    if (argv.length >= 3 && /(^|\/)(ba|da|a)?sh$/.test(argv[0]!) && argv[1] === '-c') return shellCommands(argv[2]!);
    return [argv];
  }
  // RUN --mount=... and other flags come before the command; `<<EOF` alone starts the RUN's script.
  const commands = shellCommands(withoutDataHeredocs(text.replace(/^(--[a-z-]+(=\S+)?\s+)+/, '')));
  if (!text.includes('<<')) return commands;
  // A here-document's marker before the command (`<<EOF bash`) is a redirection, not its name.
  return commands.flatMap((words) => {
    const at = words.findIndex((w) => !w.startsWith('<<') || w.startsWith('<<<'));
    return at < 0 ? [] : [at === 0 ? words : words.slice(at)];
  });
}

const INSTALLERS: { match: (w: readonly string[]) => boolean; skip: number }[] = [
  { match: (w) => (w[0] === 'apt-get' || w[0] === 'apt') && w.includes('install'), skip: 0 },
  { match: (w) => w[0] === 'apk' && w[1] === 'add', skip: 0 },
  { match: (w) => ['yum', 'dnf', 'microdnf', 'tdnf'].includes(w[0]!) && w.includes('install'), skip: 0 },
];

/** The packages one apt, apk or yum/dnf install command names, and apk's virtual group; null for any other command. */
function installCommand(words: readonly string[]): { packages: string[]; group: string | null } | null {
  if (!INSTALLERS.some((i) => i.match(words))) return null;
  const verbAt = words.findIndex((w, idx) => idx > 0 && (w === 'install' || w === 'add'));
  const packages: string[] = [];
  let group: string | null = null;
  for (let i = verbAt + 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--virtual' || w === '-t') group = words[++i] ?? null;
    else if (w === '--repository' || w === '-X') i++;
    else if (!w.startsWith('-')) packages.push(w.replace(/[=<>].*$/, ''));
  }
  return { packages, group };
}

/** Packages a RUN installs with apt, apk or yum/dnf. */
export function installedPackages(inst: DockerInstruction): string[] {
  return runCommands(inst).flatMap((words) => installCommand(words)?.packages ?? []);
}

/**
 * The packages still installed after these RUNs, in order: what apk, apt or yum/dnf installed, less
 * what they removed by name or by apk's virtual group (`apk add --virtual .build-deps curl ... &&
 * apk del .build-deps`).
 */
export function packagesLeft(instructions: readonly DockerInstruction[]): Set<string> {
  const left = new Map<string, string | null>();
  for (const inst of instructions) {
    if (inst.keyword !== 'RUN') continue;
    for (const words of runCommands(inst)) {
      const installed = installCommand(words);
      if (installed) {
        for (const pkg of installed.packages) left.set(pkg, installed.group);
        continue;
      }
      const removing = (words[0] === 'apk' && words[1] === 'del') || (['apt-get', 'apt', 'yum', 'dnf', 'microdnf'].includes(words[0]!) && words.some((w) => w === 'purge' || w === 'remove'));
      if (!removing) continue;
      const names = words.slice(2).filter((w) => !w.startsWith('-') && w !== 'purge' && w !== 'remove');
      for (const [pkg, group] of [...left]) if (names.includes(pkg) || (group !== null && names.includes(group))) left.delete(pkg);
    }
  }
  return new Set(left.keys());
}

/** True when the RUN removes what it installed in the same layer (apk del, apt-get purge...). */
export function removesPackages(inst: DockerInstruction): boolean {
  return runCommands(inst).some(
    (w) => (w[0] === 'apk' && w[1] === 'del') || ((w[0] === 'apt-get' || w[0] === 'apt') && (w.includes('purge') || w.includes('remove') || w.includes('autoremove'))) || (['yum', 'dnf'].includes(w[0]!) && w.includes('remove')),
  );
}

/** Packages that build software and have no business in a runtime image. */
export function isBuildPackage(name: string): boolean {
  return (
    /^(build-essential|build-base|gcc|g\+\+|gcc-c\+\+|cpp|make|cmake|ninja-build|clang|llvm|autoconf|automake|libtool|pkg-config|pkgconf|git|golang|golang-go|go|maven|gradle|cargo|rustc|rust|default-jdk|default-jdk-headless|musl-dev|linux-headers|nodejs-dev)$/.test(name) ||
    /-dev$|-devel$/.test(name) ||
    /^openjdk-?\d+-jdk(-headless)?$|^java-[\d.]+-openjdk-devel$/.test(name)
  );
}

export interface BuildCommand {
  kind: 'go' | 'cargo' | 'maven' | 'gradle' | 'javac' | 'npm-build' | 'dotnet';
  words: readonly string[];
}

/** The build commands in a RUN: go build, cargo build, mvn package, gradle build, npm run build... */
export function buildCommands(inst: DockerInstruction): BuildCommand[] {
  const out: BuildCommand[] = [];
  for (const w of runCommands(inst)) {
    const cmd = w[0]!.replace(/^\.\//, '');
    if (cmd === 'go' && (w[1] === 'build' || w[1] === 'install')) out.push({ kind: 'go', words: w });
    else if (cmd === 'cargo' && (w[1] === 'build' || w[1] === 'install')) out.push({ kind: 'cargo', words: w });
    else if ((cmd === 'mvn' || cmd === 'mvnw') && w.some((x) => ['package', 'install', 'verify'].includes(x))) out.push({ kind: 'maven', words: w });
    else if ((cmd === 'gradle' || cmd === 'gradlew') && w.some((x) => /^(build|assemble|bootJar|jar|shadowJar|installDist)$/.test(x))) out.push({ kind: 'gradle', words: w });
    else if (cmd === 'javac') out.push({ kind: 'javac', words: w });
    else if (cmd === 'dotnet' && (w[1] === 'publish' || w[1] === 'build')) out.push({ kind: 'dotnet', words: w });
    else if ((cmd === 'npm' || cmd === 'yarn' || cmd === 'pnpm') && isScriptRun(w, 'build')) out.push({ kind: 'npm-build', words: w });
  }
  return out;
}

function isScriptRun(w: readonly string[], script: string): boolean {
  if (w[0] === 'npm') return (w[1] === 'run' || w[1] === 'run-script') && w[2] === script;
  return w[1] === script || (w[1] === 'run' && w[2] === script);
}

/** `npm ci` / `npm install` (or yarn/pnpm install) and whether it keeps dev dependencies. */
export function dependencyInstall(inst: DockerInstruction): { manager: 'npm' | 'yarn' | 'pnpm'; withDev: boolean; words: readonly string[] } | null {
  for (const w of runCommands(inst)) {
    const manager = w[0];
    if (manager !== 'npm' && manager !== 'yarn' && manager !== 'pnpm') continue;
    const verb = w[1];
    const installs = manager === 'npm' ? verb === 'ci' || verb === 'install' || verb === 'i' : verb === 'install' || verb === undefined;
    if (!installs) continue;
    // `npm install express` adds one package; only a bare install is the project's dependencies.
    if (manager === 'npm' && verb !== 'ci' && w.slice(2).some((x) => !x.startsWith('-'))) continue;
    const withDev = !w.some((x) => /^--(omit=dev|only=prod(uction)?|production(=true)?|prod)$/.test(x));
    return { manager, withDev, words: w };
  }
  return null;
}

/** `pip install` commands of a RUN. */
export function pipInstalls(inst: DockerInstruction): (readonly string[])[] {
  return runCommands(inst).filter((w) => (/^pip3?$/.test(w[0]!) && w[1] === 'install') || (/^python3?$/.test(w[0]!) && w[1] === '-m' && w[2] === 'pip' && w[3] === 'install'));
}

/** True when the RUN only creates users and groups (kept in a final stage that has a shell). */
export function onlyCreatesUser(inst: DockerInstruction): boolean {
  const cmds = runCommands(inst);
  return cmds.length > 0 && cmds.every((w) => ['groupadd', 'useradd', 'addgroup', 'adduser'].includes(w[0]!));
}

/** The uid a RUN gives a user it creates (`useradd --uid N`, `adduser -u N`), with the user's name. */
export function createdUsers(inst: DockerInstruction): { name: string; uid: number | null; uidVariable?: string }[] {
  const out: { name: string; uid: number | null; uidVariable?: string }[] = [];
  for (const w of runCommands(inst)) {
    if (w[0] !== 'useradd' && w[0] !== 'adduser') continue;
    let uid: number | null = null;
    let uidVariable: string | undefined;
    let name: string | null = null;
    for (let i = 1; i < w.length; i++) {
      const x = w[i]!;
      if (x === '-u' || x === '--uid') {
        const value = w[++i] ?? '';
        uid = Number(value);
        // `-u ${UID}`: the variable names the uid, as a later `chown ${UID}` does.
        uidVariable = /^\$\{?(\w+)\}?$/.exec(value)?.[1];
        continue;
      }
      const eq = /^--uid=(\d+)$/.exec(x);
      if (eq) {
        uid = Number(eq[1]);
        continue;
      }
      if (x.startsWith('-')) {
        // Options with a value: skip it.
        if (/^(-[gGdshckKpe]|--(gid|groups|home|home-dir|shell|comment|ingroup|gecos|password|key|expiredate))$/.test(x)) i++;
        continue;
      }
      name = x;
    }
    if (name) out.push({ name, uid: Number.isFinite(uid) ? uid : null, ...(uidVariable ? { uidVariable } : {}) });
  }
  return out;
}

/**
 * The owners a RUN (`chown [-R] OWNER[:GROUP] ...`) or a COPY/ADD (`--chown=OWNER[:GROUP]`) gives
 * files to, as written: the build fails unless a named owner exists in the image at that point.
 */
export function handedOwners(inst: DockerInstruction): string[] {
  if (inst.keyword === 'COPY' || inst.keyword === 'ADD') return flagValues(inst, 'chown').slice(0, 1);
  if (inst.keyword !== 'RUN') return [];
  const out: string[] = [];
  for (const w of runCommands(inst)) {
    if (w[0] !== 'chown' || w.some((x) => x.startsWith('--reference'))) continue;
    const owner = w.slice(1).find((x) => !x.startsWith('-'));
    if (owner) out.push(owner);
  }
  return out;
}

/** Where a RUN calls sudo: the command words. */
export function sudoCommands(inst: DockerInstruction): (readonly string[])[] {
  return runCommands(inst).filter((w) => w[0] === 'sudo');
}

/** The names of an instruction's flags (`RUN --mount=... --network=none`: mount, network), as written. */
export function flagNames(inst: DockerInstruction): string[] {
  const ast = inst.ast as Partial<ModifiableInstruction>;
  return (ast.getFlags?.() ?? []).map((f) => f.getName());
}

/** The values of an instruction's flags of one name (`--chown=app`, `--from=build`, `--mount=type=bind,from=src`), as written. */
export function flagValues(inst: DockerInstruction, name: string): string[] {
  const ast = inst.ast as Partial<ModifiableInstruction>;
  return (ast.getFlags?.() ?? []).filter((f) => f.getName() === name).flatMap((f) => f.getValue() || []);
}
