/**
 * Step 5: scan images and dependencies for known vulnerabilities, locally and in CI.
 *
 * Over 400 lines: scans on this machine, on a schedule and in CI, with the scanner commands each
 * one runs. The CI documents themselves are rendered in lib/ci-documents.ts.
 */
import path from 'node:path';
import { defineStep, type CodeInfo, statusOf, type CommandAction, type Context, type Finding, type Proposal, type ScanFormat, type Target } from '../src/core/step.js';
import { HostUnavailableError } from '../src/host/facts.js';
import { cachedUntilWrite } from '../src/core/writes.js';
import { trackedFiles, type TrackedFiles } from '../src/core/git-index.js';
import { buildContexts, type BuildContext } from './lib/build-context.js';
import { flagValues } from '../src/dockerfile/commands.js';
import { applyEdits } from '../src/dockerfile/edit.js';
import { PLATFORM_ARGS } from '../src/dockerfile/model.js';
import {
  CI_SCAN_PATTERN,
  baseImages,
  ciFiles,
  copyOperands,
  findRepoRoot,
  gitlabOutsideIncludes,
  installedScanners,
  isRemoteSource,
  matchLine,
  repositoryDockerfiles,
  shellQuote,
  type CiFile,
  type InstalledScanner,
} from './lib/supply-chain.js';
import { SETUP_TRIVY_VERSION, TRIVY_ACTION_VERSION, TRIVY_IMAGE, TRIVY_VERSION, builtByOwnWorkflow, ciPaths, githubWorkflow, gitlabJobs, matrixWorkflows, unusableScans, workflowFile, type UnusableScan } from './lib/ci-documents.js';

/** Where scheduled host scans are looked for. */
const SCHEDULE_DIRS = ['/etc/cron.d', '/etc/cron.daily', '/etc/cron.weekly', '/etc/systemd/system'];
const SCHEDULE_FILES = ['/etc/crontab', '/var/spool/cron/crontabs/root'];
const HOST_SCANNER_PATTERN = /\b(trivy|grype|docker scout|snyk|osv-scanner)\b/;
export const CRON_FILE = '/etc/cron.d/docker-harden-scan';
const MAX_IMAGES = 10;
/** Dockerfiles of a CI proposal whose untracked COPY sources are listed one by one. */
const MAX_LISTED_DOCKERFILES = 10;

interface Situation {
  scanners: InstalledScanner[];
  /** The directory the Dockerfile is in (file targets). */
  dir?: string;
  root?: string | null;
  ci?: CiFile[];
  ciScan?: { file: string; line: number; text: string } | null;
  /**
   * The run's Dockerfiles in this repository that no CI scan builds, in run order: one CI scan is
   * proposed for them all, with the first.
   */
  dockerfiles?: string[];
  /** docker-harden's own scan workflows, when they scan images but not this one. */
  ownMissing?: string[];
  /** CI files naming a trivy-action or setup-trivy tag that no longer exists, or a Trivy release made by an attacker. */
  unusable?: { file: CiFile; scans: UnusableScan[] }[];
  /** The first of the run's Dockerfiles in this repository: the CI file fixes are proposed with it. */
  firstInRepository?: boolean;
  /** npm on PATH, when a package-lock.json is beside the Dockerfile. */
  npm?: string | null;
  schedule?: { file: string; line: number; text: string } | null;
  images?: string[];
  hostProblem?: string;
}

const unscannedOf = cachedUntilWrite<readonly Target[], string[]>();

// A repository's CI files are read once per run and asked about by each of its Dockerfiles.
const unusableByFile = new WeakMap<CiFile, UnusableScan[]>();
function unusableOf(f: CiFile): UnusableScan[] {
  let scans = unusableByFile.get(f);
  if (!scans) unusableByFile.set(f, (scans = unusableScans(f.text)));
  return scans;
}

async function look(ctx: Context): Promise<Situation> {
  const scanners = await installedScanners(ctx.probe);
  if (ctx.target.kind === 'host') {
    let schedule: Situation['schedule'] = null;
    const files = [...SCHEDULE_FILES];
    for (const dir of SCHEDULE_DIRS) for (const name of await ctx.probe.list(dir)) files.push(path.join(dir, name));
    for (const file of files) {
      const text = await ctx.probe.readText(file);
      const hit = text && matchLine(text, HOST_SCANNER_PATTERN);
      if (hit && text && /docker|image/i.test(text)) {
        schedule = { file, ...hit };
        break;
      }
    }
    let images: string[] = [];
    let hostProblem: string | undefined;
    try {
      images = [...new Set((await ctx.host.containers()).map((c) => c.Config?.Image).filter((i): i is string => Boolean(i)))].slice(0, MAX_IMAGES);
    } catch (err) {
      if (!(err instanceof HostUnavailableError)) throw err;
      hostProblem = err.message;
    }
    return { scanners, schedule, images, hostProblem };
  }
  const file = ctx.target.kind === 'dockerfile' || ctx.target.kind === 'compose' ? ctx.target.path : '';
  const dir = path.dirname(file);
  const root = await findRepoRoot(ctx.probe, dir);
  const ci = await ciFiles(ctx.probe, root ?? dir);
  let ciScan: Situation['ciScan'] = null;
  // A scanner in a CI file of the repository's own counts for every image: what it scans is its
  // business. docker-harden's own workflows say which Dockerfiles they build, and count for those.
  const ownBuilt = new Set<string>();
  const ownMissing: string[] = [];
  const rel = ciPaths(root ?? dir, file).file;
  const unusable = ci.map((f) => ({ file: f, scans: unusableOf(f) })).filter((u) => u.scans.length > 0);
  for (const f of ci) {
    // Where a Trivy job cannot run (or runs the attacker's release), its lines scan nothing: another scanner still counts.
    const broken = unusable.some((u) => u.file === f);
    const hit = matchLine(f.text, CI_SCAN_PATTERN, broken ? (line) => CI_SCAN_PATTERN.test(line.replace(/trivy/gi, '')) : undefined);
    if (!hit) continue;
    const built = builtByOwnWorkflow(ctx.probe, f);
    if (built === null || built.includes(rel)) {
      ciScan = { file: f.path, ...hit };
      break;
    }
    for (const b of built) ownBuilt.add(b);
    ownMissing.push(f.path);
  }
  const npm = (await ctx.probe.stat(path.join(dir, 'package-lock.json'))) !== null ? await ctx.probe.which('npm') : null;
  const group = await repositoryDockerfiles(ctx, root ?? dir);
  const firstInRepository = group[0] === file;
  if (ciScan) return { scanners, dir, root, ci, ciScan, npm, unusable, firstInRepository };
  // The same for every Dockerfile of the repository in a run: worked out once.
  const dockerfiles = ownBuilt.size === 0 ? group : unscannedOf(ctx.runTargets, root ?? dir, () => group.filter((d) => !ownBuilt.has(ciPaths(root ?? dir, d).file)));
  return { scanners, dir, root, ci, ciScan, npm, dockerfiles, ownMissing, unusable, firstInRepository };
}

function scannerNote(s: Situation): string {
  return s.scanners.length > 0 ? `scanners installed here: ${s.scanners.map((x) => x.name).join(', ')}` : 'no scanner installed here (looked for trivy, grype, docker scout, snyk, osv-scanner)';
}

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "DH-SCAN-NONE": {
    title: "Nothing scans the running images",
    severity: 'medium',
    help: "Install an image scanner (Trivy, Grype) and run it on the images in use.",
  },
  "DH-SCAN-UNSCHEDULED": {
    title: "The running images are not scanned on a schedule",
    severity: 'low',
    help: "New vulnerabilities appear in old images. Run the scanner from a timer or cron job.",
  },
  "DH-SCAN-CI-TAG-GONE": {
    title: "The CI scan names a trivy-action or setup-trivy tag that no longer exists",
    severity: 'medium',
    help: `trivy-action's tags 0.0.1 to 0.34.x and setup-trivy's releases before ${SETUP_TRIVY_VERSION} were deleted after the March 2026 attack: the job fails before it scans. Pin the action by commit (trivy-action ${TRIVY_ACTION_VERSION}, setup-trivy ${SETUP_TRIVY_VERSION}).`,
  },
  "DH-SCAN-CI-ATTACKER-TRIVY": {
    title: "The CI runs a Trivy release made by an attacker",
    severity: 'critical',
    help: `Trivy 0.69.4 to 0.69.6 were published by an attacker and steal credentials (CVE-2026-33634). Use ${TRIVY_VERSION}, and rotate the secrets those jobs could read.`,
  },
  "DH-SCAN-CI-MISSING": {
    title: "Nothing scans this image in CI",
    severity: 'medium',
    help: "Add a scanner step (Trivy, Grype) to the CI that builds the image, failing on critical and high findings.",
  },
};

export default defineStep<Situation>({
  meta: {
    id: 'dependency-scanning',
    order: 5,
    title: 'Scan images and dependencies for known vulnerabilities',
    targets: ['host', 'dockerfile'],
    summary: 'A scanner (Trivy, Grype, Docker Scout, Snyk, OSV-Scanner) runs on every build and on the images you run.',
    explain:
      'Most vulnerabilities in a container come from what it is built on: the base image\'s packages and the ' +
      'libraries the app pulls in. They are found after the image was built, so a scan must run again and again: ' +
      'in CI on every change, failing the build on critical or high findings, and on a schedule for the images ' +
      'already running. This step looks for a scanner installed here and for a scan in CI. It can run a scanner ' +
      'now and show what it found, add a CI job that builds the image and fails on critical or high ' +
      'vulnerabilities, or schedule a daily scan of the running images. A failing CI job may block merges until ' +
      'the base image or a dependency is updated; that is the point, and `ignore-unfixed` keeps it to findings ' +
      'that can be fixed.',
    codes: CODES,
    references: [
      { title: 'Trivy: container image scanning', url: 'https://trivy.dev/latest/docs/target/container_image/' },
      { title: 'trivy-action (GitHub Actions)', url: 'https://github.com/aquasecurity/trivy-action' },
      { title: 'Grype', url: 'https://github.com/anchore/grype' },
      { title: 'Docker Scout CLI', url: 'https://docs.docker.com/scout/' },
      { title: 'OSV-Scanner', url: 'https://google.github.io/osv-scanner/' },
      { title: 'GitLab container scanning', url: 'https://docs.gitlab.com/user/application_security/container_scanning/' },
    ],
  },

  async check(ctx) {
    const s = await look(ctx);
    const findings: Finding[] = [];
    const notes = [scannerNote(s)];
    if (ctx.target.kind === 'host') {
      if (s.schedule) {
        notes.push(`scheduled scan: ${s.schedule.file}:${s.schedule.line}`);
      } else if (s.scanners.length === 0) {
        findings.push({ code: 'DH-SCAN-NONE', message: 'no image scanner is installed and nothing scans the running images', severity: 'medium' });
      } else {
        findings.push({ code: 'DH-SCAN-UNSCHEDULED', message: `the running images are not scanned on a schedule (${s.scanners.map((x) => x.name).join(', ')} installed, but no cron job or timer runs it)`, severity: 'low' });
      }
      if (s.images && s.images.length > 0) notes.push(`running images: ${s.images.join(', ')}`);
      if (s.hostProblem) notes.push(`running images not listed: ${s.hostProblem}`);
      return { status: statusOf(findings), findings, notes, state: s };
    }
    // The CI files are fixed once per repository, with the first of the run's Dockerfiles in it.
    const fixedBy = s.firstInRepository ? { fixedBy: REPIN_TRIVY } : {};
    for (const { file, scans } of s.unusable ?? []) {
      for (const scan of scans) {
        findings.push(
          scan.why === 'tag-gone'
            ? { code: 'DH-SCAN-CI-TAG-GONE', message: `uses ${scan.action ?? 'trivy-action'} ${scan.ref}, a tag deleted after the March 2026 attack: the job fails before it scans`, severity: 'medium', file: file.path, line: scan.line, evidence: scan.text, ...fixedBy }
            : { code: 'DH-SCAN-CI-ATTACKER-TRIVY', message: `runs Trivy ${scan.ref}, a release made by an attacker to steal the job's credentials (CVE-2026-33634)`, severity: 'critical', file: file.path, line: scan.line, evidence: scan.text, ...fixedBy },
        );
      }
    }
    if (s.ciScan) {
      notes.push(`CI scans images: ${s.ciScan.file}:${s.ciScan.line} (${s.ciScan.text})`);
    } else {
      const where = s.root ? `the repository at ${s.root}` : `${s.dir} (no git repository found above it)`;
      const base = s.root ?? s.dir!;
      const looked = s.ownMissing?.length
        ? `docker-harden's scan workflow${s.ownMissing.length > 1 ? 's' : ''} (${s.ownMissing.map((f) => path.relative(base, f)).join(', ')}) do${s.ownMissing.length > 1 ? '' : 'es'} not build it`
        : s.unusable && s.unusable.length > 0
          ? `its CI's Trivy job${s.unusable.length > 1 ? 's' : ''} (${s.unusable.map((u) => path.relative(base, u.file.path)).join(', ')}) cannot scan`
          : s.ci && s.ci.length > 0
          ? `its CI (${s.ci.map((f) => path.relative(base, f.path)).join(', ')}) runs no scanner`
          : 'it has no CI definition';
      // A scan job may come from CI files of another project, which cannot be read here.
      const outside = [...new Set((s.ci ?? []).filter((f) => f.kind === 'gitlab' || f.gitlabInclude).flatMap((f) => gitlabOutsideIncludes(f.text)))];
      if (outside.length > 0) notes.push(`its GitLab CI includes files from outside the repository (${outside.join(', ')}), which docker-harden cannot read: if a scan job comes from there, skip this step in .docker-harden.yaml (steps: dependency-scanning: skip: REASON)`);
      findings.push({ code: 'DH-SCAN-CI-MISSING', message: `nothing scans this image in CI: ${looked}`, severity: 'medium', file: ctx.target.kind === 'dockerfile' ? ctx.target.path : undefined, evidence: where });
      const first = s.dockerfiles?.[0];
      if (first && ctx.target.kind === 'dockerfile' && first !== ctx.target.path) {
        notes.push(`one CI scan is proposed with ${path.relative(s.root ?? s.dir!, first)} for the ${s.dockerfiles!.length} Dockerfiles of this repository checked here that nothing scans; it scans this one too`);
      }
    }
    if (s.npm) notes.push('package-lock.json beside the Dockerfile: `npm audit` can check the Node dependencies');
    return { status: statusOf(findings), findings, notes, state: s };
  },

  async propose(ctx, result) {
    if (!result.state) return [];
    const proposals = await proposalsFor(ctx, result.state);
    // The learn sandbox shows the scans; it never runs a scanner on this machine.
    return ctx.learn ? proposals.map((p) => (p.kind === 'choice' ? p : { ...p, commands: p.commands.map((c) => ({ ...c, run: false })) })) : proposals;
  },
});

async function proposalsFor(ctx: Context, s: Situation): Promise<Proposal[]> {
  const proposals: Proposal[] = [];
  if (ctx.target.kind === 'host') {
    const runnable = s.scanners.filter((x) => imageScanCommand(x, 'x') !== null);
    const images = (s.images ?? []).filter((image) => !image.startsWith('-'));
    if (images.length > 0) {
      for (const scanner of runnable) {
        proposals.push({
          id: `scan-running-${scanner.name}`,
          title: `Scan the ${images.length} running image(s) with ${scanner.name} now`,
          description: `Runs ${scanner.name} on ${images.join(', ')} and shows the counts by severity and the worst findings. Nothing is changed; the scanner may download its vulnerability database first.`,
          changes: [],
          commands: images.map((image) => imageScanCommand(scanner, image, ctx.host.endpoint)!),
          warnings: [],
          kind: 'command',
          risk: 'safe',
          group: 'scan-now',
        });
      }
    }
    if (!s.schedule) {
      const scanner = runnable.find((x) => x.name === 'trivy' || x.name === 'grype');
      if (scanner) proposals.push(await scheduleProposal(ctx, scanner));
      else if (s.scanners.length === 0) proposals.push(installTrivyProposal(ctx.host.endpoint));
    }
    return proposals;
  }

  if (s.unusable && s.unusable.length > 0 && s.firstInRepository) proposals.push(repinTrivyProposal(s.unusable));
  const dockerfile = ctx.target.kind === 'dockerfile' ? ctx.target.path : '';
  const model = s.scanners.length > 0 ? await ctx.dockerfile() : null;
  const finalBase = model ? baseImages(model.text, model.ast).filter((b) => b.kind === 'image').at(-1) : undefined;
  for (const scanner of s.scanners) {
    const command = finalBase ? imageScanCommand(scanner, finalBase.written) : dirScanCommand(scanner, s.dir!);
    const fallback = dirScanCommand(scanner, s.dir!);
    const chosen = command ?? fallback;
    if (!chosen) continue;
    proposals.push({
      id: `scan-${scanner.name}`,
      title: command && finalBase ? `Scan the base image ${finalBase.written} with ${scanner.name} now` : `Scan ${s.dir} with ${scanner.name} now`,
      description: 'Runs the scanner and shows the counts by severity and the worst findings. Nothing is changed; the scanner may download its vulnerability database first.',
      changes: [],
      commands: [chosen],
      warnings: [],
      kind: 'command',
      risk: 'safe',
    });
  }
  if (s.npm) {
    proposals.push({
      id: 'npm-audit',
      title: 'Check the Node dependencies with npm audit',
      description: 'Runs `npm audit` on the package-lock.json beside the Dockerfile and shows the counts by severity. Nothing is changed.',
      changes: [],
      commands: [{ title: 'npm audit', argv: [s.npm, 'audit', '--json', '--prefix', s.dir!], run: true, parse: 'npm-audit-json' }],
      warnings: [],
      kind: 'command',
      risk: 'safe',
    });
  }
  // One CI scan per repository, proposed with the first of its Dockerfiles in this run. A Windows
  // image is left out: a Linux runner cannot build it, and Trivy reads no Windows packages.
  const windows = s.ciScan ? [] : await windowsImages(ctx, s.dockerfiles ?? [dockerfile]);
  const all = s.dockerfiles ?? [dockerfile];
  const dockerfiles = windows.length === 0 ? all : all.filter((d) => !windows.some((w) => w.file === d));
  const own = windows.find((w) => w.file === dockerfile);
  if (!s.ciScan && own) proposals.push(windowsScanAdvice(own.base));
  else if (!s.ciScan && dockerfiles[0] === dockerfile) {
    const root = s.root ?? s.dir!;
    const gitlab = s.ci?.find((f) => f.kind === 'gitlab');
    const taken = new Set((s.ci ?? []).map((f) => f.path));
    const tracked = s.root ? await trackedFiles(ctx.probe, s.root) : null;
    // Built from where the repository builds them (a compose file, devcontainer.json, or the folder their COPY lines name).
    const contexts = s.root ? await buildContexts(ctx, s.root, dockerfiles, tracked, s.ci ?? []) : new Map<string, BuildContext>();
    const buildProblems = [
      ...buildArgWarnings(root, await fromArgsWithoutDefault(ctx, dockerfiles)),
      ...(s.root ? await untrackedSourceWarnings(ctx, s.root, dockerfiles, tracked, contexts) : []),
      ...guessedContextWarnings(root, dockerfiles, contexts),
      ...(await namedContextWarnings(ctx, root, dockerfiles, contexts)),
    ];
    const github = await githubWorkflowProposal(ctx, root, dockerfiles, s.root === null, taken, (s.ownMissing?.length ?? 0) > 0, buildProblems, contexts);
    // A repository whose CI is elsewhere: a GitHub workflow runs only where it is hosted on GitHub.
    const elsewhere = (s.ci ?? []).filter((f) => f.kind !== 'github' && !f.gitlabInclude);
    if (s.ci && elsewhere.length > 0 && !s.ci.some((f) => f.kind === 'github')) {
      github.warnings.push(`this repository's CI is ${elsewhere.map((f) => path.relative(root, f.path)).join(', ')}, and it has no GitHub workflow: a GitHub workflow runs only where the repository is hosted on GitHub${gitlab ? '; the GitLab job is the one that runs' : ''}`);
      github.risk = 'review';
    }
    const skipped = windows.map((w) => ciPaths(root, w.file).file);
    if (skipped.length > 0) {
      const leftOut = `${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ` and ${skipped.length - 3} more` : ''} ${skipped.length === 1 ? 'builds a Windows image' : 'build Windows images'}, which a Linux runner cannot build: left out of the job`;
      github.warnings.push(leftOut);
      buildProblems.push(leftOut);
    }
    if (gitlab) proposals.push(gitlabProposal(gitlab, root, dockerfiles, buildProblems, contexts), github);
    else proposals.push(github);
  }
  return proposals;
}

const REPIN_TRIVY = 'ci-repin-trivy';

/** The CI files' trivy-action and setup-trivy tags that are gone pinned by commit, and attacker releases of Trivy replaced. */
function repinTrivyProposal(unusable: readonly { file: CiFile; scans: UnusableScan[] }[]): Proposal {
  const all = unusable.flatMap((u) => u.scans);
  const gone = (action: UnusableScan['action']) => all.some((x) => x.why === 'tag-gone' && x.action === action);
  const warnings = [
    gone('trivy-action') || all.some((x) => x.why === 'attacker-release')
      ? `The changed jobs run trivy-action ${TRIVY_ACTION_VERSION} (Trivy ${TRIVY_VERSION}) from now on: they may fail the build on vulnerabilities an older release did not report. Run the workflow once and read its scan step.`
      : `The changed jobs install Trivy with setup-trivy ${SETUP_TRIVY_VERSION} from now on: the Trivy release they ask for (its version input) stays. Run the workflow once and read its scan step.`,
  ];
  if (all.some((x) => x.why === 'tag-gone')) warnings.push('A job whose Trivy action tag was deleted has not scanned since March 2026: its first run may find more than you expect.');
  if (all.some((x) => x.why === 'attacker-release')) {
    warnings.push("A job that ran Trivy 0.69.4 to 0.69.6 gave the attacker's code its credentials: rotate every secret those jobs could read (registry logins, cloud keys, tokens), and look for releases or images they published in that time.");
  }
  return {
    id: REPIN_TRIVY,
    title: `Pin Trivy in ${unusable.length === 1 ? path.basename(unusable[0]!.file.path) : `${unusable.length} CI files`} to a release that exists and is not the attacker's`,
    description: [
      `In ${unusable.map((u) => u.file.path).join(', ')}:`,
      ...(gone('trivy-action') ? [`a deleted trivy-action tag becomes the commit of ${TRIVY_ACTION_VERSION} (a commit cannot be moved, as those tags were);`] : []),
      ...(gone('setup-trivy') ? [`a deleted setup-trivy tag becomes the commit of ${SETUP_TRIVY_VERSION};`] : []),
      ...(all.some((x) => x.why === 'attacker-release') ? [`Trivy 0.69.4 to 0.69.6 becomes ${TRIVY_VERSION};`] : []),
      'nothing else in the files changes.',
    ].join(' '),
    changes: unusable.map(({ file, scans }) => {
      const edits = scans.flatMap((x) => x.edits).sort((a, b) => a.start - b.start);
      return { path: file.path, before: file.text, after: applyEdits(file.text, edits), edits };
    }),
    commands: [],
    warnings,
    kind: 'change',
    risk: 'review',
  };
}

// Once per list of the run's Dockerfiles: every Dockerfile of the run asks about all of them.
const windowsOf = new WeakMap<readonly string[], Promise<{ file: string; base: string }[]>>();

/** The Dockerfiles of `files` whose final stage is a Windows image, with that image. */
function windowsImages(ctx: Context, files: readonly string[]): Promise<{ file: string; base: string }[]> {
  let found = windowsOf.get(files);
  if (!found) {
    found = (async () => {
      const out: { file: string; base: string }[] = [];
      for (const file of files) {
        const model = await ctx.runDockerfile(file).catch(() => null);
        if (model?.baseInfo().family === 'windows') out.push({ file, base: model.baseImage()?.reference ?? 'a Windows image' });
      }
      return out;
    })();
    windowsOf.set(files, found);
  }
  return found;
}

/** What to do for a Windows image, which the CI jobs docker-harden writes cannot build or scan. */
function windowsScanAdvice(base: string): Proposal {
  return {
    id: 'ci-windows',
    title: 'Scan this Windows image in CI on a Windows runner',
    description: `This Dockerfile builds a Windows image (FROM ${base}). The jobs docker-harden writes run on Linux (ubuntu-latest, Docker-in-Docker), where a Windows image cannot be built, and Trivy reads no Windows packages, so none is written for it. Build it on a Windows runner (runs-on: windows-2022, whose Windows version must match the image's) and scan it with a scanner that reads Windows images, such as your registry's (Microsoft Defender for Containers for Azure Container Registry).`,
    changes: [],
    commands: [],
    warnings: [],
    kind: 'advice',
    risk: 'advice',
    group: 'ci',
  };
}

/** The command that scans one image and prints JSON, for scanners we can read. */
export function imageScanCommand(scanner: InstalledScanner, image: string, endpoint = DEFAULT_DOCKER_HOST): CommandAction | null {
  // The image name comes from a Dockerfile or the daemon: never an option. No image reference
  // starts with "-"; the others follow "--" where the scanner's parser ends options there.
  if (image.startsWith('-')) return null;
  const json = (argv: string[], parse: ScanFormat): CommandAction => ({ title: `${scanner.name} ${image}`, argv, run: true, parse });
  switch (scanner.name) {
    case 'trivy':
      // Trivy reads local images from the daemon it is pointed at: the one docker-harden talks to.
      return json([scanner.path, 'image', ...(dockerHostArgs(endpoint).length ? ['--docker-host', endpoint] : []), '--format', 'json', '--quiet', '--scanners', 'vuln', '--', image], 'trivy-json');
    case 'grype':
      return json([scanner.path, '-o', 'json', '--', image], 'grype-json');
    case 'snyk':
      // snyk hands what follows "--" to a build tool: the leading "-" check above is its guard.
      return json([scanner.path, 'container', 'test', image, '--json'], 'snyk-json');
    case 'docker-scout':
      // Scout prints tables, SARIF or SPDX, not a JSON report we read: shown for the person to run.
      return { title: `docker scout cves ${image}`, argv: [scanner.path, 'scout', 'cves', '--', image], run: false };
    case 'osv-scanner':
      return null;
  }
}

export function dirScanCommand(scanner: InstalledScanner, dir: string): CommandAction | null {
  switch (scanner.name) {
    case 'trivy':
      return { title: `trivy fs ${dir}`, argv: [scanner.path, 'fs', '--format', 'json', '--quiet', '--scanners', 'vuln', '--', dir], run: true, parse: 'trivy-json' };
    case 'grype':
      return { title: `grype dir:${dir}`, argv: [scanner.path, '-o', 'json', '--', `dir:${dir}`], run: true, parse: 'grype-json' };
    case 'osv-scanner':
      return { title: `osv-scanner -r ${dir}`, argv: [scanner.path, '--format', 'json', '-r', dir], run: true, parse: 'osv-json' };
    case 'snyk':
      return { title: `snyk test ${dir}`, argv: [scanner.path, 'test', dir, '--json'], run: true, parse: 'snyk-json' };
    case 'docker-scout':
      return null;
  }
}

interface FromArgs {
  file: string;
  /** Build arguments its FROM lines use with no default. */
  names: string[];
  /** Those no ARG before the first FROM declares: no --build-arg can set them. */
  undeclared: string[];
}

/** The Dockerfiles whose FROM needs a build argument that has no default, with those names. */
async function fromArgsWithoutDefault(ctx: Context, dockerfiles: readonly string[]): Promise<FromArgs[]> {
  const out: FromArgs[] = [];
  for (const file of dockerfiles) {
    // One that does not parse reports itself.
    const model = await ctx.runDockerfile(file).catch(() => null);
    const roots = model?.stages.filter((st) => !st.parent) ?? [];
    // BuildKit gives the platform arguments (`FROM build_${TARGETARCH}`) a value itself.
    const names = [...new Set(roots.flatMap((st) => st.imageUnresolved.filter((n) => !PLATFORM_ARGS.has(n))))];
    const undeclared = [...new Set(roots.flatMap((st) => st.imageUndeclared))];
    if (names.length > 0) out.push({ file, names, undeclared });
  }
  return out;
}

/** What the CI build of such Dockerfiles needs: it builds with no --build-arg, and their FROM cannot. */
function buildArgWarnings(root: string, needsArgs: FromArgs[]): string[] {
  const vars = (names: string[]) => names.map((n) => `\${${n}}`).join(', ');
  // A matrix of hundreds: the first ones say what to look for.
  const warnings = needsArgs.slice(0, MAX_LISTED_DOCKERFILES).map(({ file, names, undeclared }) => {
    const shown = path.relative(root, file) || path.basename(file);
    if (undeclared.length > 0) {
      return `${shown} names its base image with ${vars(undeclared)}, which no ARG before its first FROM declares, so Docker reads ${undeclared.length === 1 ? 'it' : 'them'} as empty there and no --build-arg can set ${undeclared.length === 1 ? 'it' : 'them'}: add \`ARG ${undeclared[0]}=...\` with a default above the first FROM`;
    }
    return `${shown} names its base image with ${vars(names)}, which ${names.length === 1 ? 'has' : 'have'} no default: the job builds with no --build-arg, so it fails until you add \`--build-arg ${names[0]}=...\` to its docker build line (or a default to the ARG)`;
  });
  const more = needsArgs.length - warnings.length;
  if (more > 0) warnings.push(`${more} more of these Dockerfiles name their base image with a build argument that has no default (\`docker-harden check --file\` on each names it)`);
  return warnings;
}

/**
 * What a CI build of these Dockerfiles lacks: the files COPY and ADD take from the build context
 * that git does not track (a build output such as target/app.jar, a local config), so a fresh
 * checkout has none of them. Known only from the repository's index; a Dockerfile git does not
 * track yet is left out, since what will be committed with it is not known.
 */
async function untrackedSourceWarnings(ctx: Context, root: string, dockerfiles: readonly string[], tracked: TrackedFiles | null, contexts: ReadonlyMap<string, BuildContext>): Promise<string[]> {
  if (!tracked) return [];
  const warnings: string[] = [];
  let more = 0;
  for (const file of dockerfiles) {
    const { file: rel, context } = ciPaths(root, file, contexts);
    if (!tracked.has(rel)) continue;
    const model = await ctx.runDockerfile(file).catch(() => null);
    const missing: string[] = [];
    for (const inst of model?.instructions ?? []) {
      if ((inst.keyword !== 'COPY' && inst.keyword !== 'ADD') || inst.stage < 0) continue;
      const { flags, sources } = copyOperands(inst.ast);
      // From a stage or an image, or here-documents (whose lines the parser gives as words): not files of the checkout.
      if (flags.some((f) => /^--from=/i.test(f)) || sources.some((x) => x.startsWith('<<'))) continue;
      for (const source of sources) {
        // Variables (set by build arguments) and URLs are not known files of the checkout either.
        if (source.includes('$') || isRemoteSource(source)) continue;
        const inContext = path.posix.normalize(source.replace(/^\/+/, '')).replace(/\/+$/, '');
        if (inContext === '.' || inContext === '' || inContext.startsWith('..')) continue;
        if (!tracked.has(context === '.' ? inContext : `${context}/${inContext}`)) missing.push(`${source} (line ${inst.line})`);
      }
    }
    if (missing.length === 0) continue;
    // A matrix of hundreds: the first ones say what to look for.
    if (warnings.length === MAX_LISTED_DOCKERFILES) {
      more++;
      continue;
    }
    const shown = missing.length > 3 ? [...missing.slice(0, 3), `${missing.length - 3} more`] : missing;
    const one = missing.length === 1;
    warnings.push(
      `${rel} copies ${shown.join(', ')}, which git does not track: the job builds from a fresh checkout that lacks ${one ? 'it' : 'them'}, so it fails until ${one ? 'it is' : 'they are'} committed or made before its docker build line (a build step in the job, or a build stage in the Dockerfile)`,
    );
  }
  if (more > 0) warnings.push(`${more} more of these Dockerfiles copy files git does not track (\`docker-harden check --file\` on each names them)`);
  return warnings;
}

async function githubWorkflowProposal(ctx: Context, root: string, dockerfiles: readonly string[], noRepo: boolean, taken: ReadonlySet<string>, ownExists: boolean, buildProblems: string[], contexts: ReadonlyMap<string, BuildContext>): Promise<Proposal> {
  // A Dockerfile alone gets a workflow named after it; several, or more beside docker-harden's own
  // workflows, get a matrix workflow under a free name.
  const single = dockerfiles.length === 1 && !ownExists && !taken.has(workflowFile(root, dockerfiles[0]!));
  const files = single ? [{ path: workflowFile(root, dockerfiles[0]!), text: githubWorkflow(root, dockerfiles[0]!, contexts) }] : matrixWorkflows(root, dockerfiles, taken, contexts);
  const changes = [];
  for (const f of files) changes.push({ path: f.path, before: await ctx.probe.readText(f.path), after: f.text, mode: 0o644 });
  const warnings = ['The job fails the build while the image has critical or high vulnerabilities with a fix; update the base image or the dependency, or list accepted ones in a .trivyignore.'];
  if (noRepo) warnings.push(`No git repository was found above ${path.dirname(dockerfiles[0]!)}; the workflow is written under that directory.`);
  warnings.push(...buildProblems);
  const where = files.map((f) => path.relative(root, f.path)).join(', ');
  return {
    id: 'ci-github',
    title: dockerfiles.length === 1 ? `Add a GitHub Actions workflow that scans the image (${where})` : `Add a GitHub Actions workflow that scans the images of the ${dockerfiles.length} Dockerfiles checked here (${where})`,
    description:
      (dockerfiles.length === 1
        ? 'A new workflow: build the image from this Dockerfile and scan it with Trivy, failing on critical or high findings.'
        : `A new workflow: build the image of each of the ${dockerfiles.length} Dockerfiles of this repository checked here (a matrix job) and scan it with Trivy, failing on critical or high findings.`) + builtFrom(root, dockerfiles, contexts),
    // A new CI file: the image and the app are untouched; a job that cannot build is for review.
    kind: 'change',
    risk: buildProblems.length > 0 ? 'review' : 'safe',
    changes,
    commands: [],
    warnings,
    group: 'ci',
  };
}

/** A context nothing in the repository confirms: the job may build from the wrong folder. */
function guessedContextWarnings(root: string, dockerfiles: readonly string[], contexts: ReadonlyMap<string, BuildContext>): string[] {
  const guessed = dockerfiles.filter((d) => contexts.get(d)?.guess);
  const named = guessed.slice(0, MAX_LISTED_DOCKERFILES).map((d) => `${ciPaths(root, d).file} is built from ${ciPaths(root, d, contexts).context} (${contexts.get(d)!.why}), which no compose file, Bake file, Makefile, README or CI file of the repository confirms: check that the job builds it from the folder you do`);
  if (guessed.length > named.length) named.push(`${guessed.length - named.length} more of these Dockerfiles are built from a folder guessed the same way`);
  // Build definitions that disagree: one was chosen (the folder holding more of what it copies).
  const disputed = dockerfiles.filter((d) => contexts.get(d)?.conflicts?.length);
  const folder = (dir: string) => path.relative(root, dir) || '.';
  for (const d of disputed.slice(0, MAX_LISTED_DOCKERFILES)) {
    const { why, conflicts } = contexts.get(d)!;
    const others = conflicts!.map((c) => `from ${folder(c.dir)} (${c.why})`).join(' and ');
    named.push(`${ciPaths(root, d).file} is built from ${ciPaths(root, d, contexts).context} (${why}), but the repository also builds it ${others}: check that the job builds it from the folder you do`);
  }
  if (disputed.length > MAX_LISTED_DOCKERFILES) named.push(`${disputed.length - MAX_LISTED_DOCKERFILES} more of these Dockerfiles are built from folders the repository's build definitions disagree on`);
  // Built from outside the repository: the job has only its own checkout.
  const outside = dockerfiles.filter((d) => contexts.get(d)?.outside);
  for (const d of outside.slice(0, MAX_LISTED_DOCKERFILES)) {
    const { dir, why } = contexts.get(d)!.outside!;
    named.push(`${ciPaths(root, d).file} is built from ${path.relative(root, dir)} (${why}), outside this repository: the job checks out this repository alone, so it builds it from ${ciPaths(root, d, contexts).context} instead, and what its COPY lines take from outside is missing there; check out what it needs beside it in the job, or scan the image where it is built`);
  }
  if (outside.length > MAX_LISTED_DOCKERFILES) named.push(`${outside.length - MAX_LISTED_DOCKERFILES} more of these Dockerfiles are built from folders outside this repository`);
  return named;
}

/**
 * A FROM, COPY --from or RUN --mount from= naming a build context the repository's Bake file
 * (`contexts = { base = "target:base" }`) or compose file (`additional_contexts`) gives the
 * Dockerfile: the job's plain docker build has no such context, and pulls the name from a registry
 * instead.
 */
async function namedContextWarnings(ctx: Context, root: string, dockerfiles: readonly string[], contexts: ReadonlyMap<string, BuildContext>): Promise<string[]> {
  const warnings: string[] = [];
  for (const file of dockerfiles) {
    const named = contexts.get(file)?.named;
    if (!named) continue;
    const model = await ctx.runDockerfile(file).catch(() => null);
    if (!model) continue;
    // What the build takes from outside the file: FROM images (ARG defaults put in), and what
    // COPY --from= and RUN --mount=...,from= name that no stage has.
    const froms = model.stages.filter((st) => !st.parent).map((st) => st.image?.reference ?? st.imageText);
    const copies = model.instructions
      .flatMap((inst) =>
        inst.keyword === 'COPY' || inst.keyword === 'ADD'
          ? flagValues(inst, 'from')
          : inst.keyword === 'RUN'
            ? flagValues(inst, 'mount').flatMap((m) => /(?:^|,)from=([^,]+)/.exec(m)?.[1] ?? [])
            : [],
      )
      .filter((n) => !/^\d+$/.test(n) && !model.stageByName(n));
    const namedIn = (refs: string[]) => Object.keys(named.contexts).filter((name) => refs.some((r) => [r.toLowerCase(), r.toLowerCase().split(':')[0]].includes(name.toLowerCase())));
    const fromUsed = namedIn(froms);
    const copyUsed = namedIn(copies).filter((n) => !fromUsed.includes(n));
    const used = [...fromUsed, ...copyUsed];
    if (used.length === 0) continue;
    if (warnings.length === MAX_LISTED_DOCKERFILES) {
      warnings.push('more Dockerfiles start FROM, copy or mount from a build context their Bake target or compose service gives them');
      break;
    }
    const how = [fromUsed.length > 0 ? `starts FROM ${fromUsed.join(', ')}` : '', copyUsed.length > 0 ? `copies or mounts from ${copyUsed.join(', ')}` : ''].filter(Boolean).join(' and ');
    const given = used.map((n) => `${n} = ${named.contexts[n]}`).join(', ');
    warnings.push(`${ciPaths(root, file).file} ${how}, ${used.length === 1 ? 'a build context' : 'build contexts'} its ${named.by} gives it (${given}): the job's plain docker build has no such context and pulls ${used.length === 1 ? used[0] : 'them'} from a registry instead, so it fails or scans another image; build it with ${named.builder}, or give the context with --build-context on its docker build line`);
  }
  return warnings;
}

/** The Dockerfiles built from another folder than their own, and what says so (at most three named). */
function builtFrom(root: string, dockerfiles: readonly string[], contexts: ReadonlyMap<string, BuildContext>): string {
  const moved = dockerfiles.filter((d) => contexts.has(d) && contexts.get(d)!.dir !== path.dirname(d));
  if (moved.length === 0) return '';
  const named = moved.slice(0, 3).map((d) => `${ciPaths(root, d).file} from ${ciPaths(root, d, contexts).context} (${contexts.get(d)!.why})`);
  return ` Built from the folder the repository builds ${moved.length === 1 ? 'it' : 'them'} from: ${named.join('; ')}${moved.length > 3 ? `; and ${moved.length - 3} more` : ''}.`;
}

function gitlabProposal(gitlab: CiFile, root: string, dockerfiles: readonly string[], buildProblems: string[], contexts: ReadonlyMap<string, BuildContext>): Proposal {
  const images = dockerfiles.length === 1 ? 'the image' : `the images of the ${dockerfiles.length} Dockerfiles checked here`;
  return {
    id: 'ci-gitlab',
    title: 'Add a scan job to .gitlab-ci.yml',
    description: `Two jobs at the end of .gitlab-ci.yml: build ${images} (Docker-in-Docker with TLS) and scan the saved ${dockerfiles.length === 1 ? 'image' : 'images'} with Trivy, failing on critical or high findings. The rest of the file is left as it is.${builtFrom(root, dockerfiles, contexts)}`,
    changes: [{ path: gitlab.path, before: gitlab.text, after: gitlabJobs(root, dockerfiles, gitlab.text, contexts) }],
    commands: [],
    warnings: ['The build job needs a runner that allows Docker-in-Docker (privileged); on shared GitLab.com runners it does.', ...buildProblems],
    // Edits the existing pipeline, whose runners may not allow Docker-in-Docker.
    kind: 'change',
    risk: 'review',
    group: 'ci',
  };
}

/** A daily scan of the running images: a cron file that logs to syslog. */
async function scheduleProposal(ctx: Context, scanner: InstalledScanner): Promise<Proposal> {
  const host = dockerHostArgs(ctx.host.endpoint).map(shellQuote).join(' ');
  const scan =
    scanner.name === 'trivy'
      ? `${scanner.path} image${host ? ` --docker-host ${shellQuote(ctx.host.endpoint)}` : ''} --quiet --scanners vuln --severity CRITICAL,HIGH "$img"`
      : `${scanner.path} "$img" --only-fixed --fail-on high`;
  const docker = (await ctx.probe.which('docker')) ?? '/usr/bin/docker';
  const script = `for img in $(${docker}${host ? ` ${host}` : ''} ps --format '{{.Image}}' | sort -u); do ${scan}; done 2>&1 | logger -t docker-harden-scan`;
  const after =
    '# Added by docker-harden: scan the images of running containers every day; results go to syslog\n' +
    '# (journalctl -t docker-harden-scan). Remove this file to stop.\n' +
    'SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' +
    `23 4 * * * root ${script.replace(/%/g, '\\%')}\n`;
  const cronDir = await ctx.probe.stat('/etc/cron.d');
  const warnings: string[] = [];
  if (!cronDir) warnings.push('/etc/cron.d does not exist here: install cron (or run the same command from a systemd timer).');
  return {
    id: 'scheduled-scan',
    title: `Scan the running images every day with ${scanner.name}`,
    description: `Writes ${CRON_FILE}: each night at 04:23 ${scanner.name} scans the image of every running container and logs critical and high findings to syslog (tag docker-harden-scan). Undo removes the file.`,
    changes: [{ path: CRON_FILE, before: await ctx.probe.readText(CRON_FILE), after, mode: 0o644 }],
    commands: [],
    warnings,
    kind: 'change',
    risk: 'safe',
  };
}

/** The docker CLI's own default (src/host/client.ts DEFAULT_DOCKER_HOST; not imported: the batch path stays light). */
const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** Where a saved image waits for the scanner (shown commands only). */
export const SAVED_IMAGE = '/tmp/docker-harden-scan/image.tar';

/** `--host <endpoint>` for the docker CLI when docker-harden talks to another daemon than the default. */
export function dockerHostArgs(endpoint: string): string[] {
  return endpoint && endpoint !== DEFAULT_DOCKER_HOST ? ['--host', endpoint] : [];
}

/**
 * No scanner installed: Trivy in a container, shown for the person to run. The image is saved to a
 * file first, so the scanner never gets the Docker socket (which step 1 calls critical: it is root
 * on the host), and the save asks the daemon docker-harden talks to (--docker-host).
 */
function installTrivyProposal(endpoint: string): Proposal {
  const host = dockerHostArgs(endpoint);
  return {
    id: 'install-trivy',
    title: 'Install a scanner (Trivy) and scan the running images',
    description:
      'No scanner is installed. Trivy is open source and scans images, file systems and repositories. Install it from ' +
      "Aqua Security's package repository (https://trivy.dev/latest/getting-started/installation/), or run it as a container " +
      `as shown: the image is saved to ${SAVED_IMAGE} and Trivy reads that file, so it never gets the Docker socket. ` +
      'Then run this step again to schedule a daily scan.',
    kind: 'command',
    risk: 'safe',
    changes: [],
    commands: [
      { title: 'Save the image to a file (replace IMAGE)', argv: ['docker', ...host, 'image', 'save', '--output', SAVED_IMAGE, 'IMAGE'], run: false },
      {
        title: 'Scan the saved image with Trivy in a container, without the Docker socket',
        argv: ['docker', 'run', '--rm', '--volume', `${SAVED_IMAGE}:/scan/image.tar:ro`, TRIVY_IMAGE, 'image', '--input', '/scan/image.tar', '--severity', 'CRITICAL,HIGH'],
        run: false,
      },
    ],
    warnings: host.length > 0 ? [`The image is read from ${endpoint}; the scan runs in a container on this machine's Docker (or run \`trivy image --input ${SAVED_IMAGE}\` with Trivy installed here).`] : [],
  };
}
