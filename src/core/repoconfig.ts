/**
 * Decisions kept in the repository: `.docker-harden.yaml` at the repository root (ignores by code and
 * path, each with a reason; step choices such as a skip with its reason) and inline
 * `# docker-harden ignore=CODE[,CODE] reason` comments on the line before a finding. A finding they
 * cover is suppressed: reported as such, not counted for the exit code, and its fix never applied.
 */
import { lstat, readFile } from 'node:fs/promises';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { cachedUntilWrite } from './writes.js';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { schemaValidator } from './validators.js';
import { UserError, lineColumnAt } from './errors.js';
import { didYouMean } from './suggest.js';
import { statusOf, type FileChange, type Finding, type Step, type Target } from './step.js';
import { SHARED_CODES } from './codes.js';
import type { StepRun } from './runner.js';

export const REPO_CONFIG_NAME = '.docker-harden.yaml';
/** Larger than any hand-written decisions file; a bigger one is refused rather than read. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** Files read for inline comments are the targets themselves, already bounded when parsed. */
const MAX_INLINE_BYTES = 4 * 1024 * 1024;
const linesUntilWrite = cachedUntilWrite<object, string[] | null>();
/** The host among what a run checked, beside the files (whose paths are absolute). */
const HOST = 'host';

export interface IgnoreEntry {
  code: string;
  path?: string;
  reason: string;
  /** Line of the entry in the file, for messages. */
  line: number;
}

export interface StepChoice {
  skip?: string;
  platform?: string;
  line: number;
}

export interface RepoConfig {
  /** The file, absolute; null when the repository has none. */
  file: string | null;
  root: string;
  ignore: IgnoreEntry[];
  steps: Record<string, StepChoice>;
}

/** Why a finding is not counted. SARIF's kinds: `external` for the file, `inSource` for a comment. */
export interface Suppression {
  kind: 'external' | 'inSource';
  reason: string;
  /** Where the decision is written: `file:line`. */
  source: string;
}

export type SuppressedFinding = Finding & { suppression: Suppression };

/**
 * An ignore that covered no finding although every step reporting its code ran where the ignore
 * applies: stale after a fix, or written for the wrong line, code or path.
 */
export interface UnusedIgnore {
  code: string;
  /** `inSource` for a comment, `external` for an entry of the decisions file, as in a suppression. */
  kind: Suppression['kind'];
  /** Where the ignore is written: `file:line`. */
  source: string;
  /** The checked files it applies to: the comment's own file, or those an entry's path covers; `host` for the host. */
  files: string[];
}

/** A run after the repository's decisions: what is suppressed, and the skip reason when the step is skipped. */
export interface DecidedRun extends StepRun {
  suppressed?: SuppressedFinding[];
  skipped?: Suppression;
}

/** The codes and step ids a decisions file may name. */
export interface Known {
  codes: readonly string[];
  steps: readonly string[];
  /** The platform values each step that offers the choice takes, by step id. */
  platforms?: ReadonlyMap<string, readonly string[]>;
  /** The steps that report each code, by code: an ignore is reported unused only where all of them ran. */
  owners?: ReadonlyMap<string, readonly string[]>;
}

export function knownFrom(registry: readonly Step[], shared: Record<string, unknown>): Known {
  return {
    codes: [...new Set([...registry.flatMap((s) => Object.keys(s.meta.codes)), ...Object.keys(shared)])],
    steps: registry.map((s) => s.meta.id),
    platforms: new Map(registry.filter((s) => s.meta.choices).map((s) => [s.meta.id, s.meta.choices!.platform])),
    owners: registry.reduce((owners, s) => {
      for (const code of Object.keys(s.meta.codes)) owners.set(code, [...(owners.get(code) ?? []), s.meta.id]);
      return owners;
    }, new Map<string, string[]>()),
  };
}

const FIX_HINT = `Fix it, or see "In a repository" in the README for the format (ignore: [{code, path, reason}], steps: {STEP: {skip: REASON}}).`;

/** Read and validate one decisions file. Anything wrong is a UserError naming the file and line. */
export async function loadRepoConfig(file: string, root: string, known: Known): Promise<RepoConfig> {
  const info = await lstat(file);
  if (!info.isFile()) throw new UserError('is not a regular file', `Make ${REPO_CONFIG_NAME} a plain file (not a link or folder), or remove it.`, file);
  if (info.size > MAX_CONFIG_BYTES) throw new UserError(`is larger than ${MAX_CONFIG_BYTES} bytes`, 'A decisions file is a short list; remove what is not a decision.', file);
  const text = await readFile(file, 'utf8');
  const { parseDocument, isMap, isPair, isScalar } = await import('yaml');
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const { line, column } = lineColumnAt(text, e.pos[0]);
    throw new UserError(`not valid YAML: ${e.message.split('\n')[0]}`, FIX_HINT, file, line, column);
  }
  const data = doc.toJS() ?? {};
  const lineOf = (p: (string | number)[]): number => {
    // The deepest node on the path that exists: the error is in it.
    for (let n = p.length; n >= 0; n--) {
      const node = (n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true)) as { range?: number[] } | null | undefined;
      if (node && typeof node === 'object' && node.range) return lineColumnAt(text, node.range[0]!).line;
    }
    return 1;
  };
  const keyLine = (p: (string | number)[], key: string): number => {
    const parent = p.length === 0 ? doc.contents : doc.getIn(p, true);
    if (isMap(parent)) {
      for (const pair of parent.items) {
        if (isPair(pair) && isScalar(pair.key) && pair.key.value === key && pair.key.range) return lineColumnAt(text, pair.key.range[0]).line;
      }
    }
    return lineOf(p);
  };
  const validate = await schemaValidator('repo-config');
  if (!validate(data)) {
    const err = validate.errors![0]! as ErrorObject;
    const at = err.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    const where = at.length === 0 ? 'the top level' : at[0] === 'ignore' && typeof at[1] === 'number' ? [`ignore entry ${at[1] + 1}`, ...at.slice(2)].join('.') : at.join('.');
    if (err.keyword === 'additionalProperties') {
      const key = String((err.params as { additionalProperty: string }).additionalProperty);
      const allowed = at.length === 0 ? ['ignore', 'steps'] : at[0] === 'ignore' ? ['code', 'path', 'reason'] : ['skip', 'platform'];
      throw new UserError(`unknown key "${key}" in ${where}`, `${didYouMean(key, allowed)}Allowed here: ${allowed.join(', ')}.`, file, keyLine(at, key));
    }
    if (err.keyword === 'required') {
      const missing = String((err.params as { missingProperty: string }).missingProperty);
      const hint = missing === 'reason' ? 'Every ignore needs a reason: say why the finding does not apply here (reason: ...).' : `Add ${missing}: to the entry.`;
      throw new UserError(`${where} has no "${missing}"`, hint, file, lineOf(at));
    }
    const hint = at[at.length - 1] === 'reason' || at[at.length - 1] === 'skip' ? 'Give the reason as text: why it does not apply here.' : FIX_HINT;
    throw new UserError(`${where} ${plainSchemaMessage(err)}`, hint, file, lineOf(at));
  }
  const raw = data as { ignore?: { code: string; path?: string; reason: string }[]; steps?: Record<string, { skip?: string; platform?: string }> };
  const ignore: IgnoreEntry[] = (raw.ignore ?? []).map((e, i) => {
    if (!known.codes.includes(e.code)) {
      throw new UserError(`unknown finding code "${e.code}"`, `${didYouMean(e.code, known.codes)}Run \`docker-harden explain\` with a code from check's output.`, file, lineOf(['ignore', i, 'code']));
    }
    return { code: e.code, ...(e.path ? { path: e.path } : {}), reason: e.reason.trim(), line: lineOf(['ignore', i]) };
  });
  const steps: Record<string, StepChoice> = {};
  for (const [id, choice] of Object.entries(raw.steps ?? {})) {
    if (!known.steps.includes(id)) {
      throw new UserError(`unknown step "${id}"`, `${didYouMean(id, known.steps)}Run \`docker-harden steps\` to list the step ids.`, file, keyLine(['steps'], id));
    }
    if (choice.platform !== undefined) {
      // A choice kept for everyone must be one the step offers, under the step that offers it.
      const values = known.platforms?.get(id);
      const offering = [...(known.platforms?.keys() ?? [])];
      if (!values) {
        throw new UserError(`step "${id}" offers no platform choice, so "platform" does nothing here`, `Keep it under ${offering.join(', ') || 'the step that offers it'}, or remove it.`, file, keyLine(['steps', id], 'platform'));
      }
      if (!values.includes(choice.platform)) {
        throw new UserError(`"${choice.platform}" is not a platform choice of ${id}`, `${didYouMean(choice.platform, values)}Choose one of: ${values.join(', ')}.`, file, keyLine(['steps', id], 'platform'));
      }
    }
    steps[id] = { ...(choice.skip ? { skip: choice.skip.trim() } : {}), ...(choice.platform ? { platform: choice.platform } : {}), line: keyLine(['steps'], id) };
  }
  return { file, root, ignore, steps };
}

/** A schema error in words a person writing the file uses, not the schema's. */
function plainSchemaMessage(err: ErrorObject): string {
  const TYPE_WORDS: Record<string, string> = { array: 'a list (- item lines)', object: 'a mapping (key: value lines)', string: 'text', boolean: 'true or false' };
  switch (err.keyword) {
    case 'minLength':
    case 'pattern':
      return 'is empty';
    case 'type': {
      const want = String((err.params as { type: string }).type).split(',').map((t) => TYPE_WORDS[t] ?? t);
      return `must be ${want.join(' or ')}`;
    }
    case 'enum':
      return `must be one of: ${((err.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(', ')}`;
    default:
      return err.message ?? 'is not valid';
  }
}

/** `*` within a folder, `**` across folders, `?` one character; a pattern without `/` matches a file name at any depth. */
export function globMatches(pattern: string, relPath: string): boolean {
  const pat = pattern.replace(/^\.\//, '');
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === '*' && pat[i + 1] === '*') {
      i++;
      if (pat[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const rx = new RegExp(`^${re}$`);
  return pat.includes('/') ? rx.test(relPath) : rx.test(relPath) || rx.test(relPath.split('/').pop()!);
}

const INLINE = /#\s*docker-harden\s+ignore=(\S+)(?:[ \t]+(.*))?$/;

/**
 * The repository decisions of one run: the root and file of each target's repository (looked up
 * once per folder), and the inline comments of each file (read once).
 */
export class RepoDecisions {
  private roots = new Map<string, string>();
  private configs = new Map<string, Promise<RepoConfig>>();
  private lines = new Map<string, string[] | null>();
  // What the findings of this run matched, and where each step ran: for unusedIgnores.
  private usedComments = new Set<string>();
  private usedEntries = new Set<IgnoreEntry>();
  private ran = new Map<string, { file: string; config: RepoConfig; text?: string }>();

  constructor(private readonly known: Known) {}

  /** The decisions for a run's targets, each repository's file read (a malformed one refused) before anything runs. */
  static async forTargets(registry: readonly Step[], targets: readonly Target[]): Promise<RepoDecisions> {
    const decisions = new RepoDecisions(knownFrom(registry, SHARED_CODES));
    for (const target of targets) await decisions.configFor(target.kind === 'host' ? process.cwd() : path.dirname(target.path));
    return decisions;
  }

  /** Read the repository's file again when next asked (the wizard wrote a skip into it). */
  reload(dir: string): void {
    this.configs.delete(this.rootFor(dir));
  }

  /** The first folder up from `dir` that holds `.git`, else the filesystem root. */
  rootFor(dir: string): string {
    // Asked for each step of each target: a folder already looked up (an absolute path, as the
    // keys are) is not resolved again.
    const known = this.roots.get(dir);
    if (known) return known;
    const start = path.resolve(dir);
    const seen: string[] = [];
    let cur = start;
    for (;;) {
      const cached = this.roots.get(cur);
      if (cached) {
        for (const d of seen) this.roots.set(d, cached);
        return cached;
      }
      seen.push(cur);
      const parent = path.dirname(cur);
      if (existsSync(path.join(cur, '.git')) || parent === cur) {
        for (const d of seen) this.roots.set(d, cur);
        return cur;
      }
      cur = parent;
    }
  }

  /** The decisions for a target folder; throws a UserError for a malformed file. */
  configFor(dir: string): Promise<RepoConfig> {
    const root = this.rootFor(dir);
    let pending = this.configs.get(root);
    if (!pending) {
      const file = path.join(root, REPO_CONFIG_NAME);
      pending = hasEntry(file) ? loadRepoConfig(file, root, this.known) : Promise.resolve({ file: null, root, ignore: [], steps: {} });
      this.configs.set(root, pending);
    }
    return pending;
  }

  /**
   * The file's lines, read again whenever it changed (a fix rewrites the files it checks). Inside a
   * batch run the look-up is asked once per file until the run writes something; read
   * synchronously, since an awaited lstat per finding waits its turn in libuv's thread pool.
   */
  private fileLines(file: string, parsed?: string): string[] | null {
    // Most files hold no ignore comment at all: no lines to look through.
    const linesOf = (text: string) => (text.includes('docker-harden') ? text.split(/\r?\n/) : []);
    return linesUntilWrite(this, file, () => {
      // The target itself, as parsed in this run: not read a second time.
      if (parsed !== undefined) return linesOf(parsed);
      const info = lstatSync(file, { throwIfNoEntry: false });
      if (!info || !info.isFile() || info.size > MAX_INLINE_BYTES) return null;
      const key = `${file}\0${info.mtimeMs}\0${info.size}\0${info.ino}`;
      let lines = this.lines.get(key);
      if (lines === undefined) {
        try {
          lines = linesOf(readFileSync(file, 'utf8'));
        } catch {
          lines = null;
        }
        this.lines.set(key, lines);
      }
      return lines;
    });
  }

  /** The ignore comment above `line` of `file` for `code`; `parsed` is the file's text when the run has it. */
  async inline(file: string, line: number, code: string, parsed?: string): Promise<Suppression | undefined> {
    const lines = this.fileLines(file, parsed);
    if (!lines) return undefined;
    // The comment lines directly above the finding's line: a stack of comments may hold several.
    for (let i = Math.min(line - 2, lines.length - 1); i >= 0; i--) {
      const text = lines[i]!.trim();
      if (!text.startsWith('#')) break;
      const m = INLINE.exec(text);
      if (!m) continue;
      const codes = m[1]!.split(',').filter(Boolean);
      for (const c of codes) {
        if (!this.known.codes.includes(c)) {
          throw new UserError(`unknown finding code "${c}" in an ignore comment`, `${didYouMean(c, this.known.codes)}Use a code from check's output.`, file, i + 1);
        }
      }
      const reason = (m[2] ?? '').trim();
      if (codes.includes(code)) {
        if (!reason) throw new UserError(`the ignore comment for ${code} gives no reason`, `Write why after the codes: # docker-harden ignore=${m[1]} the reason.`, file, i + 1);
        this.usedComments.add(`${file}:${i + 1}\0${code}`);
        return { kind: 'inSource', reason, source: `${file}:${i + 1}` };
      }
    }
    return undefined;
  }

  /**
   * Apply the decisions to a run: a step skipped in the repository (or in the profile, `profileSkip`)
   * has every finding suppressed; otherwise each finding an ignore covers is. Suppressed findings
   * leave the result (so they do not count), and so do the proposals that only fix them.
   */
  async decide(run: StepRun, profileSkip?: string): Promise<DecidedRun> {
    if (run.result.status === 'error') return run;
    const dir = run.target.kind === 'host' ? process.cwd() : path.dirname(run.target.path);
    const config = await this.configFor(dir);
    const choice = config.steps[run.step.meta.id];
    const skipped: Suppression | undefined = choice?.skip
      ? { kind: 'external', reason: choice.skip, source: `${config.file}:${choice.line}` }
      : profileSkip
        ? { kind: 'external', reason: profileSkip, source: 'the profile' }
        : undefined;
    // A choice kept in the file (step 13's platform) settles the step's choice findings as the wizard's would.
    const chosen: Suppression | undefined =
      !skipped && choice?.platform && run.proposals.some((p) => p.kind === 'choice' && p.choice.key === 'platform')
        ? { kind: 'external', reason: `platform chosen for the repository: ${choice.platform}`, source: `${config.file}:${choice.line}` }
        : undefined;
    if (!skipped && run.result.status !== 'not-applicable') {
      // A Dockerfile's text as parsed in this run: its ignore comments are looked for there, not read again.
      const text = run.target.kind === 'dockerfile' ? await run.ctx.dockerfile().then((m) => m.text, () => undefined) : undefined;
      const file = run.target.kind === 'host' ? HOST : run.target.path;
      this.ran.set(`${run.step.meta.id}\0${file}`, { file, config, text });
    }
    const kept: Finding[] = [];
    const suppressed: SuppressedFinding[] = [];
    for (const f of run.result.findings) {
      // Looked up under a choice too: the ignores that match a finding the choice settles are in use.
      const own = skipped ? undefined : await this.suppressionOf(run, f, config);
      const suppression = skipped ?? chosen ?? own;
      if (suppression) suppressed.push({ ...f, suppression });
      else kept.push(f);
    }
    if (suppressed.length === 0 && !skipped) return run;
    const gone = new Set(suppressed.map((f) => f.fixedBy).filter((id): id is string => Boolean(id)));
    for (const f of kept) if (f.fixedBy) gone.delete(f.fixedBy);
    const proposals = skipped || kept.length === 0 ? [] : run.proposals.filter((p) => !gone.has(p.id));
    return {
      ...run,
      result: { ...run.result, findings: kept, status: kept.length === 0 ? 'pass' : statusOf(kept) },
      proposals,
      suppressed,
      ...(skipped ? { skipped } : {}),
    };
  }

  /** The comment above the finding, else the first entry of the file that covers it; every entry that covers it is in use. */
  private async suppressionOf(run: StepRun, f: Finding, config: RepoConfig): Promise<Suppression | undefined> {
    const own = run.target.kind === 'host' ? undefined : run.target.path;
    const file = f.file && f.file !== own ? path.resolve(own === undefined ? process.cwd() : path.dirname(own), f.file) : own;
    let entry: IgnoreEntry | undefined;
    for (const e of config.ignore) {
      if (e.code !== f.code || !entryCovers(e, config, file)) continue;
      this.usedEntries.add(e);
      entry ??= e;
    }
    if (file && f.line && f.line > 1) {
      const parsed = run.target.kind === 'dockerfile' && file === own ? await run.ctx.dockerfile().then((m) => m.text, () => undefined) : undefined;
      const inline = await this.inline(file, f.line, f.code, parsed);
      if (inline) return inline;
    }
    return entry ? { kind: 'external', reason: entry.reason, source: `${config.file}:${entry.line}` } : undefined;
  }

  /**
   * The ignores that matched no finding of this run although every step reporting their code ran
   * where they apply (on the comment's file; on the checked files an entry's path covers). Nothing
   * is said about a code whose steps were left out (--only), skipped, in error or not applicable.
   */
  unusedIgnores(): UnusedIgnore[] {
    const ranOn = (code: string, file: string): boolean => {
      const owners = this.known.owners?.get(code) ?? [];
      return owners.length > 0 && owners.every((step) => this.ran.has(`${step}\0${file}`));
    };
    const checked = [...new Map([...this.ran.values()].map((r) => [r.file, r.config])).entries()];
    const texts = new Map([...this.ran.values()].map((r) => [r.file, r.text]));
    const unused: UnusedIgnore[] = [];
    for (const [file] of checked) {
      // The host has no comments; an entry without a path covers it.
      if (file === HOST) continue;
      for (const [i, line] of (this.fileLines(file, texts.get(file)) ?? []).entries()) {
        const text = line.trim();
        const m = text.startsWith('#') ? INLINE.exec(text) : null;
        if (!m) continue;
        for (const code of new Set(m[1]!.split(',').filter(Boolean))) {
          if (ranOn(code, file) && !this.usedComments.has(`${file}:${i + 1}\0${code}`)) unused.push({ code, kind: 'inSource', source: `${file}:${i + 1}`, files: [file] });
        }
      }
    }
    for (const config of new Set(checked.map(([, config]) => config))) {
      for (const e of config.ignore) {
        if (this.usedEntries.has(e)) continue;
        const files = checked.filter(([file, c]) => c === config && entryCovers(e, config, file === HOST ? undefined : file) && ranOn(e.code, file)).map(([file]) => file);
        if (files.length > 0) unused.push({ code: e.code, kind: 'external', source: `${config.file}:${e.line}`, files });
      }
    }
    return unused;
  }
}

/** Whether an entry of the decisions file applies to `file`: any file without a path, else one its path covers. */
function entryCovers(e: IgnoreEntry, config: RepoConfig, file: string | undefined): boolean {
  if (!e.path) return true;
  const rel = file ? path.relative(config.root, file).split(path.sep).join('/') : undefined;
  return Boolean(rel) && !rel!.startsWith('..') && globMatches(e.path, rel!);
}

/** Anything at the path, a dangling link too (refused when loaded, never followed). */
function hasEntry(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The change that keeps `steps.<id>.skip: reason` in the repository's decisions file: the file's
 * own text edited with the yaml library (comments, order and the rest kept), or a new file.
 * Data only: the engine writes it.
 */
export async function repoSkipChange(dir: string, stepId: string, reason: string): Promise<FileChange> {
  const root = new RepoDecisions({ codes: [], steps: [] }).rootFor(dir);
  const file = path.join(root, REPO_CONFIG_NAME);
  const { parseDocument, isMap } = await import('yaml');
  let before: string | null = null;
  if (hasEntry(file)) {
    const info = await lstat(file);
    if (!info.isFile()) throw new UserError('is not a regular file', `Make ${REPO_CONFIG_NAME} a plain file, or remove it.`, file);
    if (info.size > MAX_CONFIG_BYTES) throw new UserError(`is larger than ${MAX_CONFIG_BYTES} bytes`, 'A decisions file is a short list; remove what is not a decision.', file);
    before = await readFile(file, 'utf8');
  }
  const doc = parseDocument(before ?? '# Decisions docker-harden honours in this repository (see "In a repository" in its README).\n', { prettyErrors: false });
  if (doc.errors.length > 0) {
    const { line } = lineColumnAt(before ?? '', doc.errors[0]!.pos[0]);
    throw new UserError(`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, 'Fix the file first; the skip was kept in the profile only.', file, line);
  }
  if (doc.contents !== null && !isMap(doc.contents)) throw new UserError('is not a mapping of ignore: and steps:', 'Fix the file first; the skip was kept in the profile only.', file);
  doc.setIn(['steps', stepId, 'skip'], reason);
  return { path: file, before, after: doc.toString(), mode: 0o644 };
}
