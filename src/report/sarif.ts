/**
 * SARIF 2.1.0 for code scanning (GitHub and others): one run, one rule per finding code (the
 * codes the run's steps declare, plus the shared codes it reported), one result per finding. File findings carry the file (relative to the working directory, under %SRCROOT%) and
 * the line; host findings name the host as a logical location. A check that could not run is a
 * tool execution notification, not a result.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StepRun } from '../core/runner.js';
import { scopeOf, type CodeInfo, type Finding, type Severity, type Step } from '../core/step.js';
import { SHARED_CODES } from '../core/codes.js';
import { repositoryRoot } from '../core/paths.js';
import { sha256 } from '../core/hash.js';
import type { DecidedRun, Suppression, UnusedIgnore } from '../core/repoconfig.js';
import { unusedIgnoreText } from './text.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const TOOL_URI = 'https://www.npmjs.com/package/docker-harden';
const FALLBACK_HELP = 'https://docs.docker.com/engine/security/';

export type SarifLevel = 'error' | 'warning' | 'note';

export function levelOf(severity: Severity): SarifLevel {
  if (severity === 'critical' || severity === 'high') return 'error';
  if (severity === 'medium' || severity === 'low') return 'warning';
  return 'note';
}

/** GitHub's `security-severity` (0.0-10.0), which it shows as critical/high/medium/low. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

export interface SarifOptions {
  version: string;
  /** The working directory: relative file names are read from it. */
  cwd: string;
  /**
   * The directory file URIs are relative to (%SRCROOT%): by default the repository holding `cwd`
   * (its first folder up with a `.git`), as code scanning reads paths from the repository root
   * whatever folder a CI step ran in; `cwd` outside a repository.
   */
  root?: string;
  /** The steps of the run, in order: one rule each. */
  steps: readonly Step[];
  commandLine?: string;
  /** Ignores that matched no finding: configuration notifications at the ignore's line. */
  unusedIgnores?: readonly UnusedIgnore[];
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}

interface SarifRun {
  tool: { driver: Record<string, unknown> };
  invocations: Record<string, unknown>[];
  originalUriBaseIds: Record<string, { uri: string }>;
  columnKind: 'utf16CodeUnits';
  results: Record<string, unknown>[];
}

function isUri(text: string): boolean {
  try {
    return Boolean(new URL(text).protocol);
  } catch {
    return false;
  }
}

function ruleFor(code: string, info: CodeInfo, step: Step | null): Record<string, unknown> {
  const references = (step?.meta.references ?? []).filter((r) => isUri(r.url));
  const about = step ? `Step ${step.meta.order}, ${step.meta.title}: ${step.meta.summary.trim()}` : 'Reported by docker-harden itself.';
  const helpText = [info.help, about, ...references.map((r) => `${r.title}: ${r.url}`)].join('\n\n');
  const helpMarkdown = [
    info.help,
    about,
    ...(references.length ? [references.map((r) => `- [${r.title.replace(/[[\]]/g, '')}](${r.url})`).join('\n')] : []),
  ].join('\n\n');
  return {
    id: code,
    name: code.replace(/[^A-Za-z0-9]+/g, ''),
    shortDescription: { text: info.title },
    fullDescription: { text: info.help },
    helpUri: references[0]?.url ?? FALLBACK_HELP,
    help: { text: helpText, markdown: helpMarkdown },
    defaultConfiguration: { level: levelOf(info.severity) },
    properties: {
      tags: ['security', 'docker', ...(step ? [step.meta.id, scopeOf(step.meta)] : [])],
      precision: 'high',
      'security-severity': SECURITY_SEVERITY[info.severity],
    },
  };
}

/** The rules of a run: each code the steps declare, in step order, then the shared codes reported. */
function rulesFor(steps: readonly Step[], runs: StepRun[]): { code: string; info: CodeInfo; step: Step | null }[] {
  const out = new Map<string, { code: string; info: CodeInfo; step: Step | null }>();
  for (const step of steps) for (const [code, info] of Object.entries(step.meta.codes)) if (!out.has(code)) out.set(code, { code, info, step });
  for (const run of runs) {
    for (const f of run.result.findings) {
      const shared = SHARED_CODES[f.code];
      if (shared && !out.has(f.code)) out.set(f.code, { code: f.code, info: shared, step: null });
    }
  }
  return [...out.values()];
}

/** A file's URI for SARIF: relative under %SRCROOT% (`root`) when inside it, else an absolute file URI. */
export function artifactLocation(file: string, cwd: string, root = cwd): { uri: string; uriBaseId?: string } {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(root, abs);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
    return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
  }
  return { uri: pathToFileURL(abs).href };
}

/**
 * Message text with the absolute paths under `root` written relative to it, as the locations are:
 * the report reads the same on any machine that checked the repository. The root itself is `.`.
 * A root of `/` is left alone: every absolute path is under it.
 */
export function relativeText(text: string, root: string): string {
  if (path.dirname(root) === root) return text;
  const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const sep = escape(path.sep);
  // Not in the middle of a longer path (/srv/repo inside /old/srv/repo), nor the start of another
  // name (/srv/repo2, /srv/repo.old); a full stop ending a sentence is not part of the path.
  const under = new RegExp(`(?<![\\w.~${sep}-])${escape(root)}(?:${sep}(?=\\S)|(?![\\w~-]|[.${sep}]\\S))`, 'g');
  // The root itself before a full stop is `./`: `..` would read as its parent.
  return text.replace(under, (match, at: number) => (match.endsWith(path.sep) ? '' : text[at + match.length] === '.' ? `.${path.sep}` : '.'));
}

function locationsFor(run: StepRun, finding: Finding, cwd: string, root: string): Record<string, unknown>[] {
  const file = finding.file ?? (run.target.kind === 'host' ? undefined : run.target.path);
  if (file) {
    const region: Record<string, number> = {};
    if (finding.file === undefined || finding.file === file) {
      if (finding.line && finding.line >= 1) region.startLine = finding.line;
      if (finding.line && finding.column && finding.column >= 1) region.startColumn = finding.column;
    }
    // A finding about the whole file is shown at its first line: code scanning wants a region.
    return [{ physicalLocation: { artifactLocation: artifactLocation(file, cwd, root), region: region.startLine ? region : { startLine: 1 } } }];
  }
  return [{ logicalLocations: [{ name: run.target.label, fullyQualifiedName: `docker-host:${run.target.label}`, kind: 'resource' }] }];
}

function suppressionOf(s: Suppression, cwd: string, root: string): Record<string, unknown> {
  const at = /^(.*):(\d+)$/.exec(s.source);
  return {
    kind: s.kind,
    status: 'accepted',
    justification: s.reason,
    ...(at ? { location: { physicalLocation: { artifactLocation: artifactLocation(at[1]!, cwd, root), region: { startLine: Number(at[2]) } } } } : {}),
  };
}

/** An ignore that matched nothing, as text says it, at the ignore's own line. */
function unusedIgnoreNotification(u: UnusedIgnore, cwd: string, root: string, ruleIndex: Map<string, number>): Record<string, unknown> {
  const at = /^(.*):(\d+)$/.exec(u.source);
  return {
    level: 'note',
    message: { text: `unused ignore: ${unusedIgnoreText(u, (f) => relativeText(f, root))}` },
    ...(at ? { locations: [{ physicalLocation: { artifactLocation: artifactLocation(at[1]!, cwd, root), region: { startLine: Number(at[2]) } } }] } : {}),
    associatedRule: { id: u.code, ...(ruleIndex.has(u.code) ? { index: ruleIndex.get(u.code) } : {}) },
  };
}

function fingerprint(parts: (string | number | undefined)[]): string {
  return sha256(parts.map((p) => String(p ?? '')).join('\u0000')).slice(0, 32);
}

export function toSarif(runs: StepRun[], options: SarifOptions): SarifLog {
  const root = options.root ?? repositoryRoot(options.cwd) ?? options.cwd;
  const ruleList = rulesFor(options.steps, runs);
  const rules = ruleList.map((r) => ruleFor(r.code, r.info, r.step));
  const ruleIndex = new Map(ruleList.map((r, i) => [r.code, i]));
  const results: Record<string, unknown>[] = [];
  const notifications: Record<string, unknown>[] = [];
  const worst = new Map<string, Severity>();
  const rank: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

  for (const run of runs) {
    const id = run.step.meta.id;
    if (run.result.status === 'error') {
      for (const f of run.result.findings) {
        notifications.push({
          level: 'error',
          message: { text: relativeText(`${id} could not check ${run.target.label}: ${f.message}`, root) },
          associatedRule: { id: f.code, ...(ruleIndex.has(f.code) ? { index: ruleIndex.get(f.code) } : {}) },
        });
      }
      continue;
    }
    // Suppressed findings are results too, marked so code scanning shows them as dismissed.
    const suppressed = (run as DecidedRun).suppressed ?? [];
    const shown: (Finding & { suppression?: Suppression })[] = run.result.status === 'pass' || run.result.status === 'not-applicable' ? [...suppressed] : [...run.result.findings, ...suppressed];
    for (const f of shown) {
      const prev = worst.get(f.code);
      if (!f.suppression && (!prev || rank.indexOf(f.severity) > rank.indexOf(prev))) worst.set(f.code, f.severity);
      const locations = locationsFor(run, f, options.cwd, root);
      const physical = (locations[0] as { physicalLocation?: { artifactLocation: { uri: string } } }).physicalLocation;
      results.push({
        ruleId: f.code,
        ...(ruleIndex.has(f.code) ? { ruleIndex: ruleIndex.get(f.code) } : {}),
        level: levelOf(f.severity),
        message: { text: relativeText(f.evidence ? `${f.message}\nSeen: ${f.evidence}` : f.message, root) },
        locations,
        // From the message as written (paths from the root): the same finding in another checkout keeps its alert.
        partialFingerprints: { 'dockerHarden/v1': fingerprint([f.code, physical?.artifactLocation.uri ?? run.target.label, relativeText(f.message, root)]) },
        ...(f.suppression ? { suppressions: [suppressionOf(f.suppression, options.cwd, root)] } : {}),
        properties: { severity: f.severity, step: id, target: run.target.kind === 'host' ? 'host' : run.target.label },
      });
    }
  }
  // GitHub ranks a rule by the worst of its findings.
  for (const [code, severity] of worst) {
    const rule = rules[ruleIndex.get(code)!];
    if (rule) (rule.properties as Record<string, unknown>)['security-severity'] = SECURITY_SEVERITY[severity];
  }

  const dirUri = (dir: string) => pathToFileURL(dir.endsWith(path.sep) ? dir : dir + path.sep).href;
  const cwdUri = dirUri(options.cwd);
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'docker-harden',
            version: options.version,
            semanticVersion: options.version,
            informationUri: TOOL_URI,
            rules,
          },
        },
        invocations: [
          {
            executionSuccessful: notifications.length === 0,
            ...(options.commandLine ? { commandLine: options.commandLine } : {}),
            workingDirectory: { uri: cwdUri },
            ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
            ...(options.unusedIgnores?.length ? { toolConfigurationNotifications: options.unusedIgnores.map((u) => unusedIgnoreNotification(u, options.cwd, root, ruleIndex)) } : {}),
          },
        ],
        originalUriBaseIds: { '%SRCROOT%': { uri: dirUri(root) } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}
