/**
 * What dependency-scanning and content-trust share: the repository a target lives in, its CI
 * files, the scanners and signing tools installed here, and the base images and ADD instructions
 * of a Dockerfile with their exact source ranges.
 */
import os from 'node:os';
import path from 'node:path';
import type { Dockerfile, Instruction as AstInstruction } from 'dockerfile-ast';
import { parseAst } from '../../src/dockerfile/ast.js';
import type { Context, Target } from '../../src/core/step.js';
import type { Probe } from '../../src/core/probe.js';
import { offsetAt } from '../../src/dockerfile/edit.js';
import { cachedUntilWrite } from '../../src/core/writes.js';
import { canonicalName, parseImageRef, type ImageRef } from '../../src/dockerfile/images.js';
import { yamlLibrary } from '../../src/core/yaml-lazy.js';

const repoRootOf = cachedUntilWrite<Probe, Promise<string | null>>();

/**
 * The nearest directory at or above `start` holding `.git`, or null. Asked once per directory in
 * a run: a thousand Dockerfiles of one repository walk up to its root once.
 */
export function findRepoRoot(probe: Probe, start: string, depth = 0): Promise<string | null> {
  const dir = path.resolve(start);
  return repoRootOf(probe, dir, async () => {
    if (await probe.stat(path.join(dir, '.git'))) return dir;
    const up = path.dirname(dir);
    if (up === dir || depth >= 63) return null;
    return findRepoRoot(probe, up, depth + 1);
  });
}

const repositoryGroupsOf = cachedUntilWrite<readonly Target[], Promise<Map<string, { files: string[]; members: Set<string> }>>>();

/**
 * The run's Dockerfiles that share `ctx.target`'s repository (its folder when no git repository is
 * above it), in run order: a repository-wide fix is proposed with the first and covers them all.
 * Grouped once per run, so a thousand Dockerfiles do not each walk the other nine hundred.
 */
export async function repositoryDockerfiles(ctx: Context, root: string): Promise<string[]> {
  const groups = await repositoryGroupsOf(ctx.runTargets, 'groups', async () => {
    const byRoot = new Map<string, { files: string[]; members: Set<string> }>();
    for (const target of ctx.runTargets) {
      if (target.kind !== 'dockerfile') continue;
      const dir = path.dirname(target.path);
      const key = (await findRepoRoot(ctx.probe, dir)) ?? dir;
      const group = byRoot.get(key);
      if (group) {
        group.files.push(target.path);
        group.members.add(target.path);
      } else {
        byRoot.set(key, { files: [target.path], members: new Set([target.path]) });
      }
    }
    return byRoot;
  });
  const own = ctx.target.kind === 'dockerfile' ? ctx.target.path : null;
  const group = groups.get(root);
  // The target itself always belongs (a context made for one file, or a run outside a batch);
  // asked once per target, so membership is a set, not a walk of a thousand paths.
  if (own === null) return group?.files ?? [];
  return group?.members.has(own) ? group.files : [own];
}

const claimsOf = cachedUntilWrite<readonly Target[], Map<string, string>>();

/**
 * Whether this target makes the run's one `kind` proposal for the repository at `root`: the first
 * Dockerfile whose step gets as far as proposing does, and the same one again when asked again.
 * Outside a batch run every target may (the first one applied leaves the others nothing to do).
 */
export function firstToPropose(ctx: Context, root: string, kind: string): boolean {
  const claims = claimsOf(ctx.runTargets, 'claims', () => new Map<string, string>());
  const key = `${kind}\0${root}`;
  const own = ctx.target.kind === 'host' ? 'host' : ctx.target.path;
  if (!claims.has(key)) claims.set(key, own);
  return claims.get(key) === own;
}

/** The target that made the run's `kind` proposal for the repository at `root` so far, if any. */
export function proposerOf(ctx: Context, root: string, kind: string): string | undefined {
  return claimsOf(ctx.runTargets, 'claims', () => new Map<string, string>()).get(`${kind}\0${root}`);
}

export interface CiFile {
  path: string;
  kind: 'github' | 'gitlab' | 'other';
  text: string;
  /** A file .gitlab-ci.yml includes: part of the same pipeline (its jobs may extend each other's). */
  gitlabInclude?: true;
}

const OTHER_CI_FILES = ['.circleci/config.yml', 'Jenkinsfile', 'azure-pipelines.yml', 'bitbucket-pipelines.yml', '.drone.yml', '.woodpecker.yml', '.travis.yml'];

const ciFilesOf = cachedUntilWrite<Probe, Promise<CiFile[]>>();

/** CI definitions of a repository: GitHub workflows, .gitlab-ci.yml and a few others (read once per run). */
export function ciFiles(probe: Probe, root: string): Promise<CiFile[]> {
  return ciFilesOf(probe, root, () => readCiFiles(probe, root));
}

async function readCiFiles(probe: Probe, root: string): Promise<CiFile[]> {
  const out: CiFile[] = [];
  const workflows = path.join(root, '.github', 'workflows');
  for (const name of await probe.list(workflows)) {
    if (!/\.ya?ml$/.test(name)) continue;
    const file = path.join(workflows, name);
    const text = await probe.readText(file);
    if (text !== null) out.push({ path: file, kind: 'github', text });
  }
  const gitlab = path.join(root, '.gitlab-ci.yml');
  const gitlabText = await probe.readText(gitlab);
  if (gitlabText !== null) {
    out.push({ path: gitlab, kind: 'gitlab', text: gitlabText });
    // The files it includes from the repository are part of the same pipeline.
    for (const f of await gitlabLocalIncludes(probe, root, gitlabText)) out.push({ path: f.path, kind: 'other', text: f.text, gitlabInclude: true });
  }
  for (const rel of OTHER_CI_FILES) {
    const file = path.join(root, rel);
    const text = await probe.readText(file);
    if (text !== null) out.push({ path: file, kind: 'other', text });
  }
  return out;
}

/** Whether `dir` is `root` or a folder under it. */
export function inside(root: string, dir: string): boolean {
  return dir === root || dir.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

const MAX_GITLAB_INCLUDES = 50;

/**
 * The repository's files a GitLab pipeline includes (`include: local`, or a path alone), and those
 * they include, up to 50 files. A path may hold `*` (one folder level) or `**` (any depth); one
 * with a variable, another project's file, a URL or a template is not read.
 */
async function gitlabLocalIncludes(probe: Probe, root: string, text: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  const seen = new Set([path.join(root, '.gitlab-ci.yml')]);
  const queue = [text];
  while (queue.length > 0 && out.length < MAX_GITLAB_INCLUDES) {
    const current = queue.shift()!;
    if (!/^include\s*:/m.test(current)) continue;
    let include: unknown;
    try {
      include = (yamlLibrary().parse(current, { uniqueKeys: false }) as { include?: unknown } | null)?.include;
    } catch {
      continue;
    }
    for (const item of Array.isArray(include) ? include : [include]) {
      const local = typeof item === 'string' ? item : (item as { local?: unknown } | null)?.local;
      if (typeof local !== 'string' || local.includes('$') || /^[a-z]+:\/\//i.test(local)) continue;
      for (const file of await matchingFiles(probe, root, local.replace(/^\/+/, ''))) {
        if (seen.has(file) || out.length >= MAX_GITLAB_INCLUDES) continue;
        seen.add(file);
        const included = await probe.readText(file);
        if (included === null) continue;
        out.push({ path: file, text: included });
        queue.push(included);
      }
    }
  }
  return out;
}

/** What a GitLab CI file includes from outside the repository (`project:`, `remote:`, `template:`, `component:`), as written, at most five. */
export function gitlabOutsideIncludes(text: string): string[] {
  if (!/^include\s*:/m.test(text)) return [];
  let include: unknown;
  try {
    include = (yamlLibrary().parse(text, { uniqueKeys: false }) as { include?: unknown } | null)?.include;
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const item of Array.isArray(include) ? include : [include]) {
    const named = typeof item === 'string' ? (/^[a-z]+:\/\//i.test(item) ? item : null) : item && typeof item === 'object' ? (['project', 'remote', 'template', 'component'] as const).map((k) => (item as Record<string, unknown>)[k]).find((v) => typeof v === 'string') : null;
    if (typeof named === 'string' && out.length < 5) out.push(named);
  }
  return out;
}

/** The files under `root` a GitLab include path names: itself, or those its `*` and `**` match (200 at most, of 5,000 looked at). */
async function matchingFiles(probe: Probe, root: string, pattern: string): Promise<string[]> {
  const resolved = path.resolve(root, pattern);
  if (!inside(root, resolved)) return [];
  if (!pattern.includes('*')) return [resolved];
  const segments = pattern.split('/');
  const fixed = segments.slice(0, segments.findIndex((x) => x.includes('*')));
  const re = new RegExp(`^${segments.slice(fixed.length).join('/').replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*')}$`);
  const found: string[] = [];
  let visited = 0;
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    for (const name of (await probe.list(dir)).sort()) {
      if (found.length >= 200 || ++visited > 5000) return;
      const file = path.join(dir, name);
      const sub = rel ? `${rel}/${name}` : name;
      const st = await probe.stat(file);
      if (st?.isDirectory && !st.isSymlink && depth < 8) await walk(file, sub, depth + 1);
      else if (st?.isFile && re.test(sub)) found.push(file);
    }
  };
  await walk(path.join(root, ...fixed), '', 0);
  return found;
}

/** A scanner named in CI: trivy (and its action), grype (anchore/scan-action), scout, snyk, osv-scanner, GitLab's container scanning. */
export const CI_SCAN_PATTERN = /\b(trivy|grype|anchore\/scan-action|docker[ /-]scout|scout-action|snyk|osv-scanner|container[_-]scanning|Container-Scanning\.gitlab-ci\.yml)\b/i;
/** A signature check in CI. */
export const CI_VERIFY_PATTERN = /\b(cosign\s+verify(-attestation)?|notation\s+verify)\b/i;

/**
 * The first line of `text` matching `pattern` outside comments (and passing `keep`), 1-based, with
 * the line itself.
 */
export function matchLine(text: string, pattern: RegExp, keep?: (line: string) => boolean): { line: number; text: string } | null {
  // A line that matches is in a text that matches: most CI files mention no scanner at all.
  if (!pattern.test(text)) return null;
  // A comment (`# scans with Trivy`) runs nothing.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (!/^\s*(#|\/\/)/.test(lines[i]!) && pattern.test(lines[i]!) && (!keep || keep(lines[i]!))) return { line: i + 1, text: lines[i]!.trim() };
  return null;
}

export type ScannerName = 'trivy' | 'grype' | 'docker-scout' | 'snyk' | 'osv-scanner';

export interface InstalledScanner {
  name: ScannerName;
  path: string;
}

const scannersByProbe = new WeakMap<Probe, Promise<InstalledScanner[]>>();

/**
 * Scanners on PATH; `docker scout` is a CLI plugin, found by asking it for its version. Asked once
 * per probe (check and propose both need it, and each question starts the docker CLI).
 */
export function installedScanners(probe: Probe): Promise<InstalledScanner[]> {
  let found = scannersByProbe.get(probe);
  if (!found) {
    found = findScanners(probe);
    scannersByProbe.set(probe, found);
  }
  return found;
}

async function findScanners(probe: Probe): Promise<InstalledScanner[]> {
  const out: InstalledScanner[] = [];
  for (const name of ['trivy', 'grype', 'snyk', 'osv-scanner'] as const) {
    const found = await probe.which(name);
    if (found) out.push({ name, path: found });
  }
  const docker = await probe.which('docker');
  // Only where the plugin's file is found is the docker CLI started to confirm it answers.
  if (docker && (await scoutPluginFile(probe))) {
    const scout = await probe.run([docker, 'scout', 'version'], { timeoutMs: 10_000 });
    if (scout.exitCode === 0) out.push({ name: 'docker-scout', path: docker });
  }
  return out;
}

/** Where the docker CLI looks for plugins (Linux), in its order. */
function cliPluginDirs(): string[] {
  const config = process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
  return [path.join(config, 'cli-plugins'), '/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins'];
}

async function scoutPluginFile(probe: Probe): Promise<string | null> {
  for (const dir of cliPluginDirs()) {
    const file = path.join(dir, 'docker-scout');
    const info = await probe.stat(file);
    if (info && !info.isDirectory) return file;
  }
  return null;
}

export interface BaseImage {
  /** The image argument as written (`node:20`, `${BASE}`). */
  written: string;
  ref: ImageRef;
  /** 1-based line of the FROM. */
  line: number;
  /** Offsets of the image argument (tag and digest included) in the text. */
  start: number;
  end: number;
  /** FROM of an earlier stage, `scratch`, or an image reference with a variable in it. */
  kind: 'image' | 'stage' | 'scratch' | 'variable';
  /** The stage this FROM starts, when named (`AS build`). */
  stage: string | null;
  final: boolean;
}

/** baseImages per parsed file: three steps ask for the same file's, one of them once per repository. */
const knownBaseImages = new WeakMap<Dockerfile, readonly BaseImage[]>();

/** The FROM instructions of a Dockerfile, each with what its image argument is (shared: do not change). */
export function baseImages(text: string, parsed?: Dockerfile): readonly BaseImage[] {
  if (parsed) {
    let known = knownBaseImages.get(parsed);
    if (!known) knownBaseImages.set(parsed, (known = Object.freeze(findBaseImages(text, parsed))));
    return known;
  }
  return findBaseImages(text, parseAst(text));
}

function findBaseImages(text: string, dockerfile: Dockerfile): BaseImage[] {
  const froms = dockerfile.getFROMs();
  const stages = new Set<string>();
  return froms.map((from, index) => {
    const range = from.getImageRange();
    const start = range ? offsetAt(text, range.start) : 0;
    const end = range ? offsetAt(text, range.end) : 0;
    const written = text.slice(start, end);
    const stage = from.getBuildStage();
    let kind: BaseImage['kind'] = 'image';
    if (/\$/.test(written)) kind = 'variable';
    else if (stages.has(written.toLowerCase())) kind = 'stage';
    else if (written.toLowerCase() === 'scratch') kind = 'scratch';
    if (stage) stages.add(stage.toLowerCase());
    return {
      written,
      ref: parseImageRef(written),
      line: from.getRange().start.line + 1,
      start,
      end,
      kind,
      stage,
      final: index === froms.length - 1,
    };
  });
}

export interface AddInstruction {
  line: number;
  /** Offsets of the `ADD` keyword. */
  keywordStart: number;
  keywordEnd: number;
  sources: readonly string[];
  destination: string;
  flags: readonly string[];
  text: string;
}

/** ADD instructions with their sources (quotes removed) and flags. */
export function addInstructions(text: string, parsed?: Dockerfile): AddInstruction[] {
  const dockerfile = parsed ?? parseAst(text);
  const out: AddInstruction[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() !== 'ADD') continue;
    const kwRange = instruction.getInstructionRange();
    out.push({
      line: kwRange.start.line + 1,
      keywordStart: offsetAt(text, kwRange.start),
      keywordEnd: offsetAt(text, kwRange.end),
      ...copyOperands(instruction),
      text: text.slice(offsetAt(text, instruction.getRange().start), offsetAt(text, instruction.getRange().end)),
    });
  }
  return out;
}

export interface CopyOperands {
  flags: readonly string[];
  sources: readonly string[];
  destination: string;
}

// Read once per instruction: the start script's look-up asks for each folder of PATH, and the CI
// proposal and build contexts ask again; a parsed instruction's text never changes.
const operandsOf = new WeakMap<AstInstruction, Readonly<CopyOperands>>();

/** The flags (`--from=build`), sources (quotes removed) and destination of a COPY or ADD. */
export function copyOperands(instruction: AstInstruction): Readonly<CopyOperands> {
  let operands = operandsOf.get(instruction);
  if (!operands) {
    operands = Object.freeze(readCopyOperands(instruction));
    operandsOf.set(instruction, operands);
  }
  return operands;
}

function readCopyOperands(instruction: AstInstruction): CopyOperands {
  const flags = ('getFlags' in instruction ? (instruction as unknown as { getFlags(): { toString(): string }[] }).getFlags() : []).map((f) => f.toString());
  const operands = instruction
    .getArguments()
    .map((a) => a.getValue())
    .filter((a) => !a.startsWith('--'));
  const json = /^\s*\[/.test(instruction.getRawArgumentsContent() ?? '');
  const values = json ? parseJsonArgs(instruction.getRawArgumentsContent() ?? '') : operands.map(unquote);
  return { flags: Object.freeze(flags), sources: Object.freeze(values.slice(0, -1)), destination: values[values.length - 1] ?? '' };
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

function parseJsonArgs(raw: string): string[] {
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

export function isRemoteSource(source: string): boolean {
  return /^(https?|git|ssh):\/\//i.test(source) || /^git@/.test(source);
}

/** Archives that ADD unpacks (the reason to use ADD over COPY for a local file). */
export function isLocalArchive(source: string): boolean {
  return /\.(tar|tar\.(gz|bz2|xz|zst)|tgz|tbz2?|txz)$/i.test(source);
}

/** `nginx`, `127.0.0.1:5000/app`: the name the daemon lists in RepoTags and RepoDigests. */
export function familiarName(ref: ImageRef): string {
  return canonicalName(ref);
}

/** The digest the daemon knows for `name:tag`, from the RepoDigests of the image so tagged. */
export async function knownDigest(ctx: Context, ref: ImageRef): Promise<{ digest: string; imageId: string } | { reason: string }> {
  const name = familiarName(ref);
  const tag = ref.tag ?? 'latest';
  let images;
  try {
    images = await ctx.host.images();
  } catch (err) {
    return { reason: `the Docker daemon could not be asked (${(err as Error).message.split('\n')[0]})` };
  }
  const wanted = `${name}:${tag}`;
  const image = images.find((i) => (i.RepoTags ?? []).some((t) => sameName(t, wanted)));
  if (!image) return { reason: `the daemon has no image tagged ${wanted}` };
  const digests = (image.RepoDigests ?? []).filter((d) => sameName(d.slice(0, d.indexOf('@')), name));
  const digest = digests[0]?.slice(digests[0].indexOf('@') + 1);
  if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    return { reason: `the daemon has ${wanted} but no registry digest for it (it was built or loaded here, not pulled or pushed)` };
  }
  return { digest, imageId: image.Id };
}

/** Compare image names the way the daemon lists them (docker.io/library/ prefixes dropped). */
function sameName(a: string, b: string): boolean {
  const norm = (s: string) => {
    const ref = parseImageRef(s);
    return `${canonicalName(ref)}${ref.tag ? `:${ref.tag}` : ''}`;
  };
  return norm(a) === norm(b);
}

/** Quote a path for a POSIX shell line (a CI `run:` or `script:`). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
