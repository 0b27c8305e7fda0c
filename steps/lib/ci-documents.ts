/**
 * The CI documents docker-harden proposes: the scan workflows (one Dockerfile, or a matrix of a
 * repository's Dockerfiles) and GitLab jobs of step 5, the cosign signature check and the
 * Dependabot configuration of step 10. Written as text, each value through yamlScalar; the yaml
 * library (a tenth of a `check`'s start-up to load) is used only to read CI files and to append
 * GitLab jobs to a file docker-harden did not write.
 */
import path from 'node:path';
import { yamlLibrary } from '../../src/core/yaml-lazy.js';
import { cachedUntilWrite } from '../../src/core/writes.js';
import { splitWords } from '../../src/core/words.js';
import type { Probe } from '../../src/core/probe.js';
import { shellQuote, type CiFile } from './supply-chain.js';

/** A workflow docker-harden wrote, named by `name` and still under its header: it covers only what it names. */
function isOwnWorkflow(f: CiFile, name: RegExp): boolean {
  return f.kind === 'github' && name.test(path.basename(f.path)) && f.text.startsWith('# Added by docker-harden');
}

// A string YAML reads back as itself when written plain (printable ASCII, no indicator first, no
// ": " or " #", no trailing colon or space) unless it reads as a number, a boolean or null; YAML 1.1
// readers take yes, no, on and off for booleans too.
const PLAIN = /^(?![-?:,[\]{}#&*!|>'"%@`\s])(?!.*(?:: | #|[: ]$))[\x20-\x7e]+$/;
// Anything a reader might take for a number is quoted: a digit first, or nothing but the letters
// and signs numbers are written with (`E1`, `0x_`, `.`).
const NOT_A_STRING = /^(?:[-+]?\.?\d.*|[-+\d._:eoxb]*|[-+]?\.(?:inf|nan)|~|null|true|false|y|yes|n|no|on|off|=|<<)$/i;

/**
 * A string as a YAML scalar: plain when YAML reads it back as the same string, otherwise
 * double-quoted with JSON's escapes (YAML's double-quoted style has them all) and the characters
 * YAML may not hold raw escaped too.
 */
export function yamlScalar(value: string): string {
  if (PLAIN.test(value) && !NOT_A_STRING.test(value)) return value;
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A multi-line run script as a literal block when each line can stand in one, else as one scalar. */
function yamlScript(script: string, indent: string): string {
  const lines = script.replace(/\n$/, '').split('\n');
  const literal = script.endsWith('\n') && lines.every((l) => /^[\x20-\x7e]*$/.test(l) && !/ $/.test(l)) && !/^ /.test(lines[0]!);
  return literal ? `|\n${lines.map((l) => (l ? indent + l : '')).join('\n')}` : yamlScalar(script);
}

/**
 * The trivy-action release and Trivy image the proposed CI jobs use, pinned by commit and digest:
 * in March 2026 an attacker rewrote that action's tags and published Trivy 0.69.4 to 0.69.6
 * (CVE-2026-33634), so a tag may name other code tomorrow. Dependabot keeps the pins current.
 */
export const TRIVY_ACTION = 'aquasecurity/trivy-action@ed142fd0673e97e23eac54620cfb913e5ce36c25';
export const TRIVY_ACTION_VERSION = 'v0.36.0';
export const TRIVY_VERSION = '0.70.0';
export const TRIVY_IMAGE = `aquasec/trivy:${TRIVY_VERSION}@sha256:be1190afcb28352bfddc4ddeb71470835d16462af68d310f9f4bca710961a41e`;
/** setup-trivy's v0.2.6, the oldest of its releases left after the attack, by commit. */
export const SETUP_TRIVY = 'aquasecurity/setup-trivy@3fb12ec12f41e471780db15c232d5dd185dcb514';
export const SETUP_TRIVY_VERSION = 'v0.2.6';

/** A scanner reference in a CI file that cannot scan, with the text that replaces it. */
export interface UnusableScan {
  /** 1-based line, and the line as written. */
  line: number;
  text: string;
  /** The reference as written, and its offsets in the file. */
  ref: string;
  /** The edits of the file that replace it (a commit pin gets its version in a comment). */
  edits: { start: number; end: number; text: string }[];
  why: 'tag-gone' | 'attacker-release';
  /** For a tag that is gone: the action that named it. */
  action?: 'trivy-action' | 'setup-trivy';
}

// After the attack, trivy-action's tags 0.0.1 to 0.34.x were deleted and made again as v0.0.1 ...
// v0.34.x (0.35.0 was made after it and kept its name), and setup-trivy's releases before v0.2.6
// were removed: a job naming one fails before it starts. Each is pinned to a commit that stays.
const GONE_TAGS = [
  { action: 'trivy-action', pattern: /(?<=aquasecurity\/trivy-action@)0\.(?:[0-9]|[12][0-9]|3[0-4])\.\d+\b(?![.\w-])/g, pin: TRIVY_ACTION, version: TRIVY_ACTION_VERSION },
  { action: 'setup-trivy', pattern: /(?<=aquasecurity\/setup-trivy@)v?0\.(?:1\.\d+|2\.[0-5])\b(?![.\w-])/g, pin: SETUP_TRIVY, version: SETUP_TRIVY_VERSION },
] as const;
// Trivy 0.69.4, 0.69.5 and 0.69.6 were published by the attacker: an image or an installed version.
const ATTACKER_TRIVY = /(?<=\b(?:aquasec|aquasecurity)\/trivy:)v?0\.69\.[4-6]\b(?![.\w-])|(?<=^\s*-?\s*(?:trivy-)?version:\s*["']?)v?0\.69\.[4-6]\b(?![.\w-])/gm;

/**
 * The trivy-action and setup-trivy tags that no longer exist and the Trivy releases made by the
 * attacker named in a CI file, outside comments. A job with one scans nothing, or runs the
 * attacker's code.
 */
export function unusableScans(text: string): UnusableScan[] {
  if (!/trivy/i.test(text)) return [];
  const found: UnusableScan[] = [];
  const add = (m: RegExpMatchArray, why: UnusableScan['why'], gone?: (typeof GONE_TAGS)[number]) => {
    const start = m.index!;
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const lineEnd = text.indexOf('\n', start) < 0 ? text.length : text.indexOf('\n', start);
    const lineText = text.slice(lineStart, lineEnd);
    // In a comment: `# uses: aquasecurity/trivy-action@0.28.0` runs nothing.
    if (/^\s*#/.test(lineText) || lineText.slice(0, start - lineStart).includes(' #')) return;
    const line = text.slice(0, start).split('\n').length;
    const end = start + m[0].length;
    const edits = [{ start, end, text: gone ? gone.pin.split('@')[1]! : (m[0].startsWith('v') ? 'v' : '') + TRIVY_VERSION }];
    // The version a commit pin stands for goes in a comment after it, where the line ends with it.
    if (gone && /^["']?[ \t\r]*$/.test(text.slice(end, lineEnd))) {
      const at = lineEnd - (text.slice(end, lineEnd).length - text.slice(end, lineEnd).trimEnd().length);
      edits.push({ start: at, end: at, text: ` # ${gone.version}` });
    }
    found.push({ line, text: lineText.trim(), ref: m[0], edits, why, ...(gone ? { action: gone.action } : {}) });
  };
  for (const gone of GONE_TAGS) for (const m of text.matchAll(gone.pattern)) add(m, 'tag-gone', gone);
  for (const m of text.matchAll(ATTACKER_TRIVY)) add(m, 'attacker-release');
  return found.sort((a, b) => a.edits[0]!.start - b.edits[0]!.start);
}
export const WORKFLOW_NAME = 'docker-harden-scan';

/** Build contexts other than a Dockerfile's own folder, by the Dockerfile's path (steps/lib/build-context.ts). */
export type ContextDirs = ReadonlyMap<string, { dir: string }>;

/** Paths in the repository, as CI sees them (POSIX, relative to the checkout). */
export function ciPaths(root: string, dockerfile: string, contexts?: ContextDirs): { file: string; context: string } {
  const file = path.relative(root, dockerfile).split(path.sep).join('/');
  const other = contexts?.get(dockerfile);
  const context = other ? path.relative(root, other.dir).split(path.sep).join('/') : path.posix.dirname(file);
  return { file, context: context === '' ? '.' : context };
}

/** A workflow file name: one per Dockerfile, so two Dockerfiles of a repository do not collide. */
export function workflowFile(root: string, dockerfile: string): string {
  const { file } = ciPaths(root, dockerfile);
  const slug = file === 'Dockerfile' ? '' : '-' + file.replace(/\/?Dockerfile$/i, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
  return path.join(root, '.github', 'workflows', `${WORKFLOW_NAME}${slug === '-' ? '' : slug}.yml`);
}

/** The scan workflow for one Dockerfile of the repository at `root`. */
export function githubWorkflow(root: string, dockerfile: string, contexts?: ContextDirs): string {
  const { file, context } = ciPaths(root, dockerfile, contexts);
  return scanWorkflow(`Container image scan (${file})`, [context], 'the image', {
    run: `docker build --file ${shellQuote(file)} --tag ${SCAN_IMAGE} ${shellQuote(context)}`,
  });
}

const SCAN_IMAGE = `${WORKFLOW_NAME}:\${{ github.sha }}`;

/**
 * A scan workflow around its build: the same triggers, permissions and Trivy step for one
 * Dockerfile and for a matrix of them (`matrix`).
 */
function scanWorkflow(name: string, contexts: readonly string[], what: string, build: { run: string; env?: Record<string, string> }, matrix?: readonly { file: string; context: string }[]): string {
  const y = yamlScalar;
  return [
    `# Added by docker-harden: builds ${what} and fails on critical or high vulnerabilities.`,
    '# Runs on every push and pull request, and weekly, since new vulnerabilities are found in old images.',
    `name: ${y(name)}`,
    'on:',
    '  push:',
    '    paths:',
    ...[...contexts.map((c) => (c === '.' ? '**' : `${c}/**`)), '.github/workflows/**'].map((p) => `      - ${y(p)}`),
    '  pull_request:',
    '  schedule:',
    '    - cron: 17 5 * * 1',
    '  workflow_dispatch:',
    'permissions:',
    '  contents: read',
    'jobs:',
    '  scan:',
    '    runs-on: ubuntu-latest',
    ...(matrix ? ['    strategy:', '      fail-fast: false', '      matrix:', '        include:', ...matrix.flatMap((e) => [`          - dockerfile: ${y(e.file)}`, `            context: ${y(e.context)}`])] : []),
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - name: Build the image',
    ...(build.env ? ['        env:', ...Object.entries(build.env).map(([k, v]) => `          ${k}: ${y(v)}`)] : []),
    `        run: ${y(build.run)}`,
    '      - name: Scan with Trivy; fail on critical or high vulnerabilities that have a fix',
    `        uses: ${TRIVY_ACTION} # ${TRIVY_ACTION_VERSION}`,
    '        with:',
    `          image-ref: ${y(SCAN_IMAGE)}`,
    '          format: table',
    '          exit-code: "1"',
    '          ignore-unfixed: true',
    '          vuln-type: os,library',
    '          severity: CRITICAL,HIGH',
    '',
  ].join('\n');
}

/**
 * A matrix job runs at most 256 variations per workflow run (GitHub Actions' limit), so a
 * repository with more Dockerfiles gets one workflow per 256.
 */
export const MATRIX_LIMIT = 256;

/**
 * The scan workflows for several Dockerfiles of one repository: a matrix job, one file per 256,
 * named docker-harden-scan.yml, then -2, -3 ..., skipping the names in `taken` (paths).
 */
export function matrixWorkflows(root: string, dockerfiles: readonly string[], taken: ReadonlySet<string> = new Set(), contexts?: ContextDirs): { path: string; text: string }[] {
  const entries = dockerfiles.map((d) => ciPaths(root, d, contexts));
  const parts = Math.ceil(entries.length / MATRIX_LIMIT);
  const names: string[] = [];
  for (let n = 1; names.length < parts; n++) {
    const name = path.join(root, '.github', 'workflows', `${WORKFLOW_NAME}${n === 1 ? '' : `-${n}`}.yml`);
    if (!taken.has(name)) names.push(name);
  }
  return Array.from({ length: parts }, (_, i) => ({
    path: names[i]!,
    text: matrixWorkflow(entries.slice(i * MATRIX_LIMIT, (i + 1) * MATRIX_LIMIT), parts > 1 ? `part ${i + 1} of ${parts}` : `${entries.length} Dockerfiles`),
  }));
}

/** The workflow that builds and scans each of `entries` in a matrix job. */
function matrixWorkflow(entries: readonly { file: string; context: string }[], label: string): string {
  const contexts = [...new Set(entries.map((e) => e.context))];
  return scanWorkflow(
    `Container image scan (${label})`,
    contexts,
    'the image of each Dockerfile',
    // Paths reach the shell through the environment, never spliced into the script.
    { env: { DOCKERFILE: '${{ matrix.dockerfile }}', CONTEXT: '${{ matrix.context }}' }, run: `docker build --file "$DOCKERFILE" --tag ${SCAN_IMAGE} "$CONTEXT"` },
    entries,
  );
}

/**
 * docker-harden's own scan workflow (its name, its first line) and the Dockerfiles it builds, as
 * paths in the repository; null for any other CI file, or one that no longer reads as ours. Read
 * once per file in a run: each Dockerfile of a repository asks.
 */
const builtOf = cachedUntilWrite<Probe, string[] | null>();
export function builtByOwnWorkflow(probe: Probe, f: CiFile): string[] | null {
  if (!isOwnWorkflow(f, /^docker-harden-scan[A-Za-z0-9-]*\.yml$/)) return null;
  return builtOf(probe, f.path, () => {
    let scan: { strategy?: { matrix?: { include?: unknown } }; steps?: unknown } | undefined;
    try {
      scan = (yamlLibrary().parse(f.text) as { jobs?: { scan?: typeof scan } } | null)?.jobs?.scan;
    } catch {
      return null;
    }
    const include = scan?.strategy?.matrix?.include;
    if (Array.isArray(include)) return include.map((e) => (e as { dockerfile?: unknown } | null)?.dockerfile).filter((d): d is string => typeof d === 'string');
    const build = Array.isArray(scan?.steps) ? (scan.steps as { run?: unknown }[]).find((x) => typeof x?.run === 'string' && x.run.startsWith('docker build ')) : undefined;
    const words = build ? splitWords(build.run as string) : [];
    const at = words.indexOf('--file');
    return at >= 0 && words[at + 1] ? [words[at + 1]!] : null;
  });
}

/**
 * Two jobs appended to .gitlab-ci.yml: build and save the images, then scan the saved images with
 * Trivy (one image keeps the names `docker-harden-scan` and `docker-harden-scan.tar`).
 */
export function gitlabJobs(root: string, dockerfiles: readonly string[], existing: string, contexts?: ContextDirs): string {
  const images = dockerfiles.map((d, i) => ({ ...ciPaths(root, d, contexts), name: dockerfiles.length === 1 ? 'docker-harden-scan' : `docker-harden-scan-${i + 1}` }));
  const stage = gitlabStage(existing);
  const jobs = {
    'docker-harden-build': {
      ...(stage ? { stage } : {}),
      image: 'docker:27',
      services: ['docker:27-dind'],
      variables: { DOCKER_TLS_CERTDIR: '/certs' },
      script: images.flatMap(({ file, context, name }) => [
        `docker build --file ${shellQuote(file)} --tag ${name}:$CI_COMMIT_SHORT_SHA ${shellQuote(context)}`,
        `docker save --output ${name}.tar ${name}:$CI_COMMIT_SHORT_SHA`,
      ]),
      artifacts: { paths: images.map((i) => `${i.name}.tar`), expire_in: '1 day' },
    },
    'docker-harden-scan': {
      ...(stage ? { stage } : {}),
      needs: ['docker-harden-build'],
      image: { name: TRIVY_IMAGE, entrypoint: [''] },
      script: images.map((i) => `trivy image --input ${i.name}.tar --exit-code 1 --ignore-unfixed --severity CRITICAL,HIGH --scanners vuln`),
    },
  };
  const sep = existing.length === 0 || existing.endsWith('\n\n') ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  return existing + sep + '# Added by docker-harden: build the image and fail on critical or high vulnerabilities.\n' + yamlLibrary().stringify(jobs, { lineWidth: 0 });
}

/** The stage for the new jobs: `test` unless the file lists stages without it. */
function gitlabStage(text: string): string | null {
  try {
    const data = (yamlLibrary().parse(text) ?? {}) as Record<string, unknown>;
    const stages = Array.isArray(data.stages) ? data.stages.map(String) : null;
    if (!stages || stages.includes('test')) return null;
    return stages.filter((x) => !x.startsWith('.')).at(-1) ?? null;
  } catch {
    return null;
  }
}

export const VERIFY_WORKFLOW = 'docker-harden-verify.yml';
export const COSIGN_INSTALLER = 'sigstore/cosign-installer@v3';

/** A workflow that verifies the base images' signatures with cosign, for the person to complete. */
export function verifyWorkflow(images: readonly string[]): string {
  const run = [
    'test -n "$COSIGN_CERTIFICATE_IDENTITY_REGEXP" || { echo "set COSIGN_CERTIFICATE_IDENTITY_REGEXP to the signer your image publisher documents"; exit 1; }',
    ...images.map(cosignLine),
  ].join('\n') + '\n';
  return [
    '# Added by docker-harden: verify that the base images are signed by the publisher you expect.',
    '# Fill in the signer identity (and issuer) that the image publisher documents for keyless signatures;',
    '# for images signed with a key, use `cosign verify --key <key>` instead. Images that are not signed cannot pass.',
    'name: Verify base image signatures',
    'on:',
    '  push:',
    '  pull_request:',
    'permissions:',
    '  contents: read',
    'env:',
    '  COSIGN_CERTIFICATE_IDENTITY_REGEXP: ""',
    '  COSIGN_CERTIFICATE_OIDC_ISSUER: https://token.actions.githubusercontent.com',
    'jobs:',
    '  verify:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    `      - uses: ${COSIGN_INSTALLER}`,
    '      - name: Verify the signatures of the base images',
    `        run: ${yamlScript(run, '          ')}`,
    '',
  ].join('\n');
}

/** docker-harden's own signature-check workflow among a repository's CI files, if it is there. */
export function ownVerifyWorkflow(ci: readonly CiFile[]): CiFile | undefined {
  return ci.find((f) => isOwnWorkflow(f, /^docker-harden-verify\.yml$/));
}

const COSIGN_LINE = /^( *)cosign verify .*$/gm;

/** The images docker-harden's workflow verifies: the last word of each of its `cosign verify` lines. */
export function verifiedImages(text: string): string[] {
  return [...text.matchAll(COSIGN_LINE)].map((m) => splitWords(m[0]).at(-1)!);
}

function cosignLine(image: string): string {
  return `cosign verify --certificate-identity-regexp "$COSIGN_CERTIFICATE_IDENTITY_REGEXP" --certificate-oidc-issuer "$COSIGN_CERTIFICATE_OIDC_ISSUER" '${image.replace(/'/g, `'\\''`)}'`;
}

/**
 * docker-harden's signature-check workflow with `images` verified too: lines added after its last
 * `cosign verify` (the signer a person filled in stays). Null when no such line is left.
 */
export function withVerifiedImages(text: string, images: readonly string[]): string | null {
  const last = [...text.matchAll(COSIGN_LINE)].at(-1);
  if (!last) return null;
  const at = last.index + last[0].length;
  return text.slice(0, at) + images.map((i) => `\n${last[1]}${cosignLine(i)}`).join('') + text.slice(at);
}

/**
 * The Dependabot configuration that keeps the base images of the Dockerfiles in `directories` fresh:
 * `directory` for one folder, `directories` for several.
 */
export function dependabotConfig(directories: readonly string[]): string {
  const where = directories.length === 1 ? [`    directory: ${yamlScalar(directories[0]!)}`] : ['    directories:', ...directories.map((d) => `      - ${yamlScalar(d)}`)];
  return ['# Added by docker-harden: propose base image updates every week.', 'version: 2', 'updates:', '  - package-ecosystem: docker', ...where, '    schedule:', '      interval: weekly', ''].join('\n');
}
