/**
 * Step 7: build in one stage, ship from another. Flags a final image that keeps build tools
 * (compilers, -dev packages, git, Go/Maven/Gradle/Cargo, dev dependencies before `npm run build`)
 * and, for Node, Go, Python and Java single-stage builds whose artefact can be identified, rewrites
 * the file into a build stage and a small final stage that copies only that artefact.
 *
 * Over 400 lines: one rewrite plan per language (Node, Go, Python, Java), each with the checks that
 * make it safe.
 */
import path from 'node:path/posix';
import { defineStep, type CodeInfo, statusOf, type Finding, type Proposal } from '../src/core/step.js';
import { isRootUser, parseDockerfile, type DockerfileModel, type DockerInstruction, type Stage } from '../src/dockerfile/model.js';
import { applyEdits, deleteLinesEdit, insertLinesEdit, lineStarts, type TextEdit } from '../src/dockerfile/edit.js';
import { GO_RUNTIME_IMAGE, canonicalName, describeImage, invalidReferenceReason, jreImageFor, type ImageKnowledge } from '../src/dockerfile/images.js';
import {
  buildCommands,
  commandArgv,
  createdUsers,
  dependencyInstall,
  installedPackages,
  isBuildPackage,
  onlyCreatesUser,
  pipInstalls,
  removesPackages,
  runCommands,
  shellCommands,
} from '../src/dockerfile/commands.js';

/** Instructions that describe the running container: they move to the final stage. */
const RUNTIME_KEYWORDS = new Set(['CMD', 'ENTRYPOINT', 'EXPOSE', 'HEALTHCHECK', 'VOLUME', 'STOPSIGNAL', 'LABEL']);

interface Evidence {
  message: string;
  line: number;
}

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "DH-BUILD-TOOLS-SHIPPED": {
    title: "Build tools stay in the image that ships",
    severity: 'medium',
    help: "Compilers, dev dependencies and SDK images stay in the final image. Build in one stage and copy only the result into a small final stage.",
  },
};

export default defineStep({
  meta: {
    id: 'multi-stage-build',
    order: 7,
    title: 'Build in one stage, ship from another',
    targets: ['dockerfile'],
    summary: 'Compilers, build tools and dev dependencies stay in a build stage; the final image gets only the artefact.',
    explain: [
      'Building software needs compilers, headers, package managers, git and dev dependencies; running it needs none of them. When they stay in the image they ship to production: more vulnerabilities to patch, and a ready toolkit for anyone who gets a shell in the container. A multi-stage build compiles in one stage and starts the final image afresh, copying in only what runs.',
      'This step looks at what the final image carries: compilers and -dev packages, build-essential, git, Go, Maven, Gradle or Cargo toolchains, `go build`, `mvn package`, and `npm ci` with dev dependencies before `npm run build`.',
      'For Node, Go, Python and Java the change rewrites the Dockerfile: the existing instructions become the build stage (named `build`), and a new final stage on a small image (the slim variant, a JRE, or distroless for Go) copies only the artefact: the binary, the jar, the built directory with production node_modules, or the virtualenv. ENV, WORKDIR, USER, EXPOSE and CMD stay as they were. When docker-harden cannot tell which files the app needs at run time, it explains and proposes nothing rather than guessing. What it may break: files the app reads at run time that are not part of the artefact (templates, config), and native libraries installed only in the build stage; build and test the image before you ship it.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Multi-stage builds', url: 'https://docs.docker.com/build/building/multi-stage/' },
      { title: 'Docker build best practices: use multi-stage builds', url: 'https://docs.docker.com/build/building/best-practices/#use-multi-stage-builds' },
      { title: 'Distroless container images', url: 'https://github.com/GoogleContainerTools/distroless' },
    ],
  },

  async check(ctx) {
    const model = await ctx.dockerfile();
    const chain = model.chain();
    const evidence = toolchainEvidence(chain);
    const single = model.stages.length === 1;
    const findings: Finding[] = evidence.map((e) => ({
      code: 'DH-BUILD-TOOLS-SHIPPED', fixedBy: 'split-build', message: `${single ? 'single-stage build: ' : 'the final stage '}${e.message}, and it stays in the image that ships`,
      severity: 'medium',
      file: model.path,
      line: e.line,
      evidence: model.lineText(e.line).trim(),
    }));
    const notes = [`${model.stages.length} stage${model.stages.length === 1 ? '' : 's'}; the final image is built from ${chain.map((s) => `line ${s.from.line}`).join(' -> ')}`];
    const plan = findings.length > 0 ? planFor(model) : null;
    if (plan && 'reason' in plan) notes.push(`no automatic rewrite: ${plan.reason}`);
    return { status: statusOf(findings), findings, notes, state: { plan } };
  },

  async propose(_ctx, result) {
    const plan = result.state?.plan;
    return !plan || 'reason' in plan ? [] : [plan.proposal];
  },
});

/** What in the final image's chain is there only to build. */
export function toolchainEvidence(chain: readonly Stage[]): Evidence[] {
  const out: Evidence[] = [];
  const root = chain[0]!;
  const info = root.image ? describeImage(root.image) : null;
  if (info?.toolchain) {
    const what = { go: 'the Go toolchain', rust: 'the Rust toolchain', maven: 'a JDK and Maven', gradle: 'a JDK and Gradle', jdk: 'a JDK', 'build-deps': 'compilers and -dev packages' }[info.toolchain];
    out.push({ message: `is built on ${root.imageText}, which carries ${what}`, line: root.from.line });
  }
  let devDepsAt: number | null = null;
  let productionEnv = false;
  const atRunTime = runTimeTools(chain);
  for (const stage of chain) {
    for (const inst of stage.instructions) {
      if (inst.keyword === 'ENV' && /\bNODE_ENV\s*=?\s*"?production/.test(inst.args)) productionEnv = true;
      if (inst.keyword !== 'RUN') continue;
      const tools = installedPackages(inst).filter((p) => isBuildPackage(p) && !atRunTime.has(p));
      if (tools.length > 0 && !removesPackages(inst)) out.push({ message: `installs build tools (${tools.join(', ')})`, line: inst.line });
      const deps = dependencyInstall(inst);
      if (deps && deps.withDev && !productionEnv) devDepsAt ??= inst.line;
      for (const b of buildCommands(inst)) {
        if (b.kind === 'npm-build') {
          if (devDepsAt !== null) out.push({ message: `installs dev dependencies (line ${devDepsAt}) to run \`${b.words.join(' ')}\``, line: inst.line });
        } else {
          out.push({ message: `compiles with \`${b.words.slice(0, 4).join(' ')}${b.words.length > 4 ? ' ...' : ''}\``, line: inst.line });
        }
      }
    }
  }
  // One line can show several things; keep the first message per line.
  return out.filter((e, i) => out.findIndex((o) => o.line === e.line) === i);
}

// Tools that run git themselves: an image that starts them needs git at run time.
const RUNS_GIT = new Set(['pre-commit', 'renovate', 'git-cliff', 'semantic-release', 'commitizen', 'cz', 'gitleaks', 'trufflehog']);

/** Build tools the container's own start uses (`ENTRYPOINT ["make"]`, `pre-commit run`, which runs git): they ship on purpose. */
function runTimeTools(chain: readonly Stage[]): Set<string> {
  const out = new Set<string>();
  for (const stage of chain) {
    for (const inst of stage.instructions) {
      if (inst.keyword !== 'ENTRYPOINT' && inst.keyword !== 'CMD') continue;
      for (const words of shellCommands(commandArgv(inst).join(' '))) {
        for (const word of words) {
          const name = path.basename(word);
          out.add(name);
          if (RUNS_GIT.has(name)) out.add('git');
        }
      }
    }
  }
  return out;
}

type Plan = { proposal: Proposal } | { reason: string };

/**
 * The rewrite planned once per parsed file: check and propose both need it, and planning builds
 * and parses the rewritten file to verify it. A changed file is a new model, so a new plan.
 */
const plans = new WeakMap<DockerfileModel, Plan>();
function planFor(model: DockerfileModel): Plan {
  let plan = plans.get(model);
  if (!plan) {
    plan = planRewrite(model);
    plans.set(model, plan);
  }
  return plan;
}

interface Rewrite {
  language: string;
  finalImage: string;
  finalInfo: ImageKnowledge;
  /** Lines added right after the build stage's FROM. */
  afterFrom: string[];
  /** Lines added after an instruction of the build stage. */
  after: { inst: DockerInstruction; lines: string[] }[];
  /** Lines of the final stage before the copies (ENV PATH, runtime packages). */
  finalSetup: string[];
  copies: string[];
  warnings: string[];
  artefact: string;
}

function planRewrite(model: DockerfileModel): Plan {
  if (model.stages.length !== 1) {
    return { reason: 'the Dockerfile already has several stages; move what builds out of the final stage by hand (docker-harden only rewrites single-stage files)' };
  }
  const stage = model.finalStage;
  if (!stage.image) return { reason: 'the base image is not known' };
  // The final stage may start FROM the same reference: an invalid one is never copied into it.
  const invalid = stage.imageUnresolved.length === 0 ? invalidReferenceReason(stage.image.reference, stage.from.line) : null;
  if (invalid) return { reason: invalid };
  const info = describeImage(stage.image);
  const runs = stage.instructions.filter((i) => i.keyword === 'RUN');
  const builds = runs.flatMap((inst) => buildCommands(inst).map((b) => ({ inst, b })));
  const runtime = runtimeArgv(stage);
  const workdir = model.workdir(stage);
  let rewrite: Rewrite | { reason: string };
  if (builds.some(({ b }) => b.kind === 'go')) rewrite = planGo(model, stage, builds.find(({ b }) => b.kind === 'go')!, runtime, workdir);
  else if (builds.some(({ b }) => b.kind === 'maven' || b.kind === 'gradle')) rewrite = planJava(model, stage, info, runtime, workdir);
  else if (builds.some(({ b }) => b.kind === 'npm-build')) rewrite = planNode(model, stage, info, builds.filter(({ b }) => b.kind === 'npm-build').pop()!.inst, runtime, workdir);
  else if (runs.some((r) => pipInstalls(r).length > 0)) rewrite = planPython(stage, info, runtime, workdir);
  else if (builds.length > 0) return { reason: `the build uses ${builds[0]!.b.words[0]}, and docker-harden rewrites only Node, Go, Python and Java builds` };
  else return { reason: 'docker-harden cannot tell what the build produces (no go build, mvn/gradle, npm run build or pip install found)' };
  if ('reason' in rewrite) return rewrite;
  return assemble(model, stage, rewrite);
}

/** ENTRYPOINT + CMD as the container runs them. */
function runtimeArgv(stage: Stage): string[] {
  const entry = [...stage.instructions].reverse().find((i) => i.keyword === 'ENTRYPOINT');
  const cmd = [...stage.instructions].reverse().find((i) => i.keyword === 'CMD');
  return [...(entry ? commandArgv(entry) : []), ...(cmd ? commandArgv(cmd) : [])];
}

function refersTo(runtime: string[], artefact: string, workdir: string): boolean {
  return runtime.some((w) => {
    for (const word of w.split(/\s+/)) {
      if (!word || word.startsWith('-')) continue;
      if (path.resolve(workdir, word) === artefact) return true;
      if (!word.includes('/') && word === path.basename(artefact) && path.dirname(artefact) === workdir) return true;
    }
    return false;
  });
}

function planGo(model: DockerfileModel, stage: Stage, build: { inst: DockerInstruction; b: { words: readonly string[] } }, runtime: string[], workdir: string): Rewrite | { reason: string } {
  const words = build.b.words;
  if (words[1] !== 'build') return { reason: `\`${words.join(' ')}\` installs into GOPATH/bin, so docker-harden cannot tell the binary's path; build with \`go build -o /out/app\`` };
  let out: string | null = null;
  for (let i = 2; i < words.length; i++) {
    if (words[i] === '-o') out = words[i + 1] ?? null;
    else if (words[i]!.startsWith('-o=')) out = words[i]!.slice(3);
  }
  if (!out) return { reason: `\`${words.join(' ')}\` has no -o, so the binary's name depends on the module; add \`-o /out/app\` and run the step again` };
  if (!out.startsWith('/') && runCommands(build.inst).some((w) => w[0] === 'cd')) return { reason: `the RUN at line ${build.inst.line} changes directory before \`go build -o ${out}\`; use an absolute -o path` };
  const artefact = path.resolve(model.workdir(stage, build.inst), model.resolve(out, stage, build.inst).value);
  if (runtime.length === 0) return { reason: 'there is no CMD or ENTRYPOINT, so docker-harden cannot confirm what the image runs' };
  if (!refersTo(runtime, artefact, workdir)) return { reason: `CMD/ENTRYPOINT (${runtime.join(' ')}) does not run the built binary ${artefact}, so docker-harden cannot tell what the final image needs` };
  // -race, -msan and -asan build with cgo whatever CGO_ENABLED says ("-race requires cgo").
  const cgo = words.some((w) => w === '-race' || w === '-msan' || w === '-asan') || stage.instructions.some((i) => (i.keyword === 'ENV' || i.keyword === 'RUN') && /CGO_ENABLED\s*=\s*"?1/.test(i.args));
  const cgoOff = stage.instructions.some((i) => (i.keyword === 'ENV' || i.keyword === 'ARG' || i.keyword === 'RUN') && /CGO_ENABLED\s*=\s*"?0/.test(i.args));
  const finalImage = cgo ? 'gcr.io/distroless/base-debian12:nonroot' : GO_RUNTIME_IMAGE;
  return {
    language: 'Go',
    finalImage,
    finalInfo: describeImage({ reference: finalImage, registry: 'gcr.io', repository: finalImage.slice('gcr.io/'.length).split(':')[0]!, tag: 'nonroot', digest: null }),
    afterFrom: cgo || cgoOff ? [] : ['ENV CGO_ENABLED=0'],
    after: [],
    finalSetup: [],
    copies: [`COPY --from=build ${artefact} ${artefact}`],
    warnings: [
      `only the binary ${artefact} is copied: if the program reads files at run time (templates, static assets, config, CA certificates beyond the ones distroless ships), add COPY --from=build lines for them`,
      ...(cgo ? [] : ['the build now sets CGO_ENABLED=0 so the binary is static: a package that needs cgo (sqlite3, some DNS setups) will not build that way; use gcr.io/distroless/base-debian12:nonroot and leave cgo on if it does']),
      `${finalImage} has no shell: a HEALTHCHECK or CMD in shell form will not run there; use the exec form ["..."]`,
    ],
    artefact,
  };
}

function planJava(model: DockerfileModel, stage: Stage, info: ImageKnowledge, runtime: string[], workdir: string): Rewrite | { reason: string } {
  const jarAt = runtime.findIndex((w) => w === '-jar');
  const jar = jarAt >= 0 ? runtime[jarAt + 1] : runtime.find((w) => /\.jar$/.test(w));
  if (!jar) {
    if (runtime.some((w) => /mvn|gradle|spring-boot:run/.test(w))) return { reason: `the container runs the build tool itself (${runtime.join(' ')}); make it run the packaged jar (java -jar target/app.jar) first` };
    return { reason: 'CMD/ENTRYPOINT does not run `java -jar <file>`, so docker-harden cannot tell which jar is the artefact' };
  }
  const artefact = path.resolve(workdir, model.resolve(jar, stage).value);
  const jre = jreImageFor(info.javaMajor, stage.image?.tag ?? '');
  if (!jre) return { reason: `docker-harden does not know a JRE image for ${stage.imageText} (Java ${info.javaMajor ?? 'version unknown'}); pick one and split the build by hand` };
  return {
    language: 'Java',
    finalImage: jre,
    finalInfo: describeImage({ reference: jre, registry: null, repository: 'eclipse-temurin', tag: jre.split(':')[1]!, digest: null }),
    afterFrom: [],
    after: [],
    finalSetup: [],
    copies: [`COPY --from=build ${artefact} ${path.dirname(artefact)}/`],
    warnings: [`only ${artefact} is copied: a jar that needs files beside it (lib/, config) needs COPY --from=build lines for them too`],
    artefact,
  };
}

function planNode(model: DockerfileModel, stage: Stage, info: ImageKnowledge, buildRun: DockerInstruction, runtime: string[], workdir: string): Rewrite | { reason: string } {
  const install = stage.instructions.map((i) => (i.keyword === 'RUN' ? dependencyInstall(i) : null)).find((d) => d !== null);
  if (!install) return { reason: 'no `npm ci` or `npm install` installs the dependencies before the build' };
  if (install.manager !== 'npm') return { reason: `dependencies are installed with ${install.manager}; docker-harden prunes dev dependencies only with npm, so split the build by hand` };
  if (workdir === '/') return { reason: 'the app lives in / (no WORKDIR), so docker-harden cannot copy it apart from the rest of the image; set a WORKDIR first' };
  const nodeAt = runtime.findIndex((w) => w === 'node' || w.endsWith('/node'));
  const script = nodeAt >= 0 ? runtime.slice(nodeAt + 1).find((w) => !w.startsWith('-')) : undefined;
  if (!script) {
    return { reason: `the container starts with \`${runtime.join(' ') || '(nothing)'}\`; docker-harden can only tell the built files apart when CMD runs \`node <built file>\`` };
  }
  const file = path.resolve(workdir, model.resolve(script, stage).value);
  const rel = path.relative(workdir, file);
  if (rel.startsWith('..') || !rel.includes('/')) {
    return { reason: `CMD runs ${file}, which is not inside a build output folder under ${workdir}; docker-harden cannot tell what \`npm run build\` produced` };
  }
  const outDir = path.join(workdir, rel.split('/')[0]!);
  const finalImage = !stage.imageText.includes('$') && info.smaller && !stage.image?.digest ? info.smaller.reference : stage.imageText;
  const finalRef = finalImage === stage.imageText ? stage.image! : { reference: finalImage, registry: null, repository: 'node', tag: finalImage.split(':')[1] ?? null, digest: null };
  // node-gyp's python3 is a build tool in a Node image.
  const apt = runtimePackages(stage, ['python3', 'python3-minimal', 'python-is-python3']);
  return {
    language: 'Node',
    finalImage,
    finalInfo: describeImage(finalRef),
    afterFrom: [],
    after: [{ inst: buildRun, lines: ['RUN npm prune --omit=dev'] }],
    finalSetup: apt.install,
    copies: [
      `COPY --from=build ${workdir}/package*.json ${workdir}/`,
      `COPY --from=build ${workdir}/node_modules ${workdir}/node_modules`,
      `COPY --from=build ${outDir} ${outDir}`,
    ],
    warnings: [
      `the final stage gets package.json, the production node_modules and ${outDir}: files the app reads at run time from elsewhere (public/, views/, .env templates) need COPY --from=build lines too`,
      ...apt.warnings,
    ],
    artefact: outDir,
  };
}

function planPython(stage: Stage, info: ImageKnowledge, runtime: string[], workdir: string): Rewrite | { reason: string } {
  const pips = stage.instructions.filter((i) => i.keyword === 'RUN').flatMap((i) => pipInstalls(i));
  if (pips.some((w) => w.some((x) => /^(--user|--target|-t|--prefix|--root)(=|$)/.test(x)))) {
    return { reason: 'pip installs with --user, --target or --prefix; docker-harden moves a virtualenv only, so split the build by hand' };
  }
  if (workdir === '/') return { reason: 'the app lives in / (no WORKDIR), so docker-harden cannot copy it apart from the rest of the image; set a WORKDIR first' };
  if (runtime.length === 0) return { reason: 'there is no CMD or ENTRYPOINT, so docker-harden cannot confirm what the image runs' };
  const name = stage.image ? canonicalName(stage.image) : '';
  if (name !== 'python') return { reason: `the base image ${stage.imageText} is not the official python image; docker-harden moves a virtualenv only between python images` };
  const finalImage = !stage.imageText.includes('$') && info.smaller && !stage.image?.digest ? info.smaller.reference : stage.imageText;
  const finalRef = finalImage === stage.imageText ? stage.image! : { reference: finalImage, registry: null, repository: 'python', tag: finalImage.split(':')[1] ?? null, digest: null };
  const apt = runtimePackages(stage);
  return {
    language: 'Python',
    finalImage,
    finalInfo: describeImage(finalRef),
    afterFrom: ['RUN python -m venv /opt/venv', 'ENV PATH="/opt/venv/bin:$PATH"'],
    after: [],
    finalSetup: ['ENV PATH="/opt/venv/bin:$PATH"', ...apt.install],
    copies: ['COPY --from=build /opt/venv /opt/venv', `COPY --from=build ${workdir} ${workdir}`],
    warnings: [`the final stage gets the virtualenv /opt/venv and ${workdir}: files the app reads from elsewhere need COPY --from=build lines too`, ...apt.warnings],
    artefact: `/opt/venv and ${workdir}`,
  };
}

/** apt and apk packages of the original that are not build tools: installed again in the final stage. */
function runtimePackages(stage: Stage, buildOnly: string[] = []): { install: string[]; warnings: string[] } {
  const runtime = { apt: [] as string[], apk: [] as string[] };
  const dev: string[] = [];
  let alpine = false;
  for (const inst of stage.instructions) {
    if (inst.keyword !== 'RUN') continue;
    const commands = runCommands(inst);
    const manager = commands.some((w) => (w[0] === 'apt-get' || w[0] === 'apt') && w.includes('install')) ? 'apt' : commands.some((w) => w[0] === 'apk' && w.includes('add')) ? 'apk' : null;
    if (!manager) continue;
    alpine ||= manager === 'apk';
    for (const p of installedPackages(inst)) {
      if (isBuildPackage(p) || buildOnly.includes(p)) {
        if (/-dev$/.test(p)) dev.push(p);
      } else if (!runtime[manager].includes(p)) runtime[manager].push(p);
    }
  }
  return {
    install: [
      ...(runtime.apt.length > 0 ? [`RUN apt-get update && apt-get install -y --no-install-recommends ${runtime.apt.join(' ')} && rm -rf /var/lib/apt/lists/*`] : []),
      ...(runtime.apk.length > 0 ? [`RUN apk add --no-cache ${runtime.apk.join(' ')}`] : []),
    ],
    warnings:
      dev.length > 0
        ? [`the build stage installs ${dev.join(', ')}: the final stage has no -dev packages, so if the app loads their libraries at run time, install the runtime package there (for example ${alpine ? 'libpq for postgresql-dev' : 'libpq5 for libpq-dev'})`]
        : [],
  };
}

/**
 * Files the container's command names that the build put in place with ADD or COPY outside the
 * artefact (an init such as tini, an entrypoint script): they move to the final stage too.
 */
function runtimeFileCopies(model: DockerfileModel, stage: Stage, rewrite: Rewrite): string[] {
  const sources = rewrite.copies.map((c) => c.split(/\s+/)[2]!);
  const covered = (p: string) => sources.some((src) => p === src || p.startsWith(src.endsWith('/') ? src : `${src}/`));
  const workdir = model.workdir(stage);
  const out: string[] = [];
  for (const word of runtimeArgv(stage)) {
    if (!word.startsWith('/') && !word.startsWith('./')) continue;
    const file = path.resolve(workdir, word);
    if (covered(file) || out.some((c) => c.endsWith(` ${file}`))) continue;
    const placed = stage.instructions.some((inst) => {
      if (inst.keyword !== 'ADD' && inst.keyword !== 'COPY') return false;
      const argv = commandArgv(inst);
      const dest = argv[argv.length - 1];
      if (!dest || argv.length < 2) return false;
      const target = path.resolve(model.workdir(stage, inst), model.resolve(dest, stage, inst).value);
      return file === target || (dest.endsWith('/') && file.startsWith(target === '/' ? '/' : `${target}/`));
    });
    if (placed) out.push(`COPY --from=build ${file} ${file}`);
  }
  return out;
}

/** Comment lines directly above an instruction (no blank line between), zero-based. */
function attachedCommentStart(model: DockerfileModel, inst: DockerInstruction, floor: number): number {
  let line = inst.range.start.line;
  while (line - 1 > floor && /^\s*#/.test(model.lineText(line)) && !/^\s*$/.test(model.lineText(line))) line--;
  return line;
}

function assemble(model: DockerfileModel, stage: Stage, rewrite: Rewrite): Plan {
  const text = model.text;
  const starts = lineStarts(text);
  const eol = model.eol;
  const edits: TextEdit[] = [];
  const buildName = stage.name ?? 'build';
  const copies = [...rewrite.copies, ...runtimeFileCopies(model, stage, rewrite)].map((c) => c.replace('--from=build', `--from=${buildName}`));

  if (!stage.name) {
    const at = stage.from.range.end;
    edits.push({ start: starts[at.line]! + at.character, end: starts[at.line]! + at.character, text: ' AS build' });
  }
  if (rewrite.afterFrom.length > 0) edits.push(insertLinesEdit(text, stage.from.range.end.line, rewrite.afterFrom, starts));
  for (const a of rewrite.after) edits.push(insertLinesEdit(text, a.inst.range.end.line, a.lines, starts));

  // Move the runtime instructions (and the comments right above them) to the final stage.
  // A RUN that only creates the runtime user (step 4's) belongs to the final stage, not the build:
  // the result is then the same whichever of the two fixes is applied first.
  // Only such RUNs after the last real build step: an earlier one may own files the build makes.
  const building = (i: DockerInstruction) => (i.keyword === 'RUN' && !onlyCreatesUser(i)) || i.keyword === 'COPY' || i.keyword === 'ADD';
  const lastBuild = [...stage.instructions].reverse().find(building);
  const userRuns = stage.instructions.filter((i) => i.keyword === 'RUN' && onlyCreatesUser(i) && (!lastBuild || i.line > lastBuild.line));
  for (const inst of userRuns) edits.push(deleteLinesEdit(text, attachedCommentStart(model, inst, stage.from.range.end.line), inst.range.end.line, starts));
  const lastRun = [...stage.instructions].reverse().find((i) => (i.keyword === 'RUN' && !userRuns.includes(i)) || i.keyword === 'COPY' || i.keyword === 'ADD');
  const moved: string[] = [];
  for (const inst of stage.instructions) {
    const trailingUser = inst.keyword === 'USER' && (!lastRun || inst.line > lastRun.line);
    if (!RUNTIME_KEYWORDS.has(inst.keyword) && !trailingUser) continue;
    // A final image that runs as its own non-root user (distroless :nonroot) needs no USER line.
    if (trailingUser && userRuns.length > 0 && rewrite.finalInfo.runsAs && !isRootUser(model.resolve(inst.args.trim(), stage, inst).value)) {
      edits.push(deleteLinesEdit(text, attachedCommentStart(model, inst, stage.from.range.end.line), inst.range.end.line, starts));
      continue;
    }
    const first = attachedCommentStart(model, inst, stage.from.range.end.line);
    const block: string[] = [];
    for (let l = first; l < inst.range.start.line; l++) block.push(model.lineText(l + 1));
    block.push(trailingUser ? finalUserLine(model, stage, inst, rewrite) : inst.source);
    moved.push(block.join(eol));
    edits.push(deleteLinesEdit(text, first, inst.range.end.line, starts));
  }

  const finalLines: string[] = [`FROM ${rewrite.finalImage}`];
  const kept = stage.instructions.filter((i) => i.keyword === 'ENV');
  const used = new Set<string>();
  for (const s of [...kept.map((k) => k.source), ...moved]) for (const m of s.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) used.add(m[1]!);
  for (const inst of stage.instructions) {
    if (inst.keyword === 'ARG' && argNames(inst).some((n) => used.has(n))) finalLines.push(inst.source);
  }
  for (const inst of kept) finalLines.push(inst.source);
  const workdir = model.workdir(stage);
  if (workdir !== '/') finalLines.push(`WORKDIR ${workdir}`);
  const hasShell = !['distroless', 'scratch'].includes(rewrite.finalInfo.family);
  if (hasShell) {
    for (const inst of stage.instructions) if (inst.keyword === 'RUN' && onlyCreatesUser(inst) && !userRuns.includes(inst)) finalLines.push(inst.source);
    finalLines.push(...rewrite.finalSetup);
  }
  finalLines.push(...copies);
  // The user is created after the copies, where step 4 puts it in a final stage.
  if (hasShell) for (const inst of userRuns) finalLines.push(inst.source);
  // A USER followed by build steps stays in the build stage, and the final stage runs as that user too.
  const lastUser = [...stage.instructions].reverse().find((i) => i.keyword === 'USER');
  if (lastUser && lastRun && lastUser.line < lastRun.line && !isRootUser(model.resolve(lastUser.args.trim(), stage, lastUser).value)) {
    finalLines.push(finalUserLine(model, stage, lastUser, rewrite));
  }
  finalLines.push(...moved);

  // One blank line between the stages, whatever blank lines the moved instructions left behind.
  const buildStage = applyEdits(text, edits).replace(/(\r?\n|\r)+$/, '');
  const finalStage = finalLines.join(eol) + eol;
  const after = buildStage + eol + eol + finalStage;

  // Checked on its own: parsing the whole new file again costs as much as the first parse.
  const problems = verifyFinalStage(finalStage, model.path, [buildName], lineStarts(buildStage).length + 2);
  if (problems.length > 0) return { reason: `the rewrite did not verify (${problems.join('; ')}); split the build by hand` };
  return {
    proposal: {
      id: 'split-build',
      title: `Split into a build stage and a ${rewrite.finalImage} final stage`,
      description:
        `The existing instructions become the stage "${buildName}". A new final stage starts from ${rewrite.finalImage} and copies only the ${rewrite.language} artefact (${rewrite.artefact}); ` +
        'ENV, WORKDIR, USER, EXPOSE, CMD and the other runtime settings move there unchanged. Compilers, build tools and dev dependencies stay behind in the build stage.',
      // Files the app reads at run time may be left behind in the build stage: build and run it.
      kind: 'change',
      risk: 'review',
      changes: [{ path: model.path, before: text, after }],
      commands: [],
      warnings: rewrite.warnings,
    },
  };
}

function argNames(inst: DockerInstruction): string[] {
  return inst.args
    .trim()
    .split(/\s+/)
    .map((a) => a.split('=')[0]!);
}

/** The USER line for the final stage: a name that exists only in the build stage becomes its uid. */
function finalUserLine(model: DockerfileModel, stage: Stage, inst: DockerInstruction, rewrite: Rewrite): string {
  if (rewrite.finalInfo.family !== 'distroless' && rewrite.finalInfo.family !== 'scratch') return inst.source;
  const spec = model.resolve(inst.args.trim(), stage, inst).value.trim();
  const [user, group] = spec.split(':');
  if (/^\d+$/.test(user ?? '') && (!group || /^\d+$/.test(group))) return inst.source;
  if (rewrite.finalInfo.ships && user === rewrite.finalInfo.ships.name) return inst.source;
  const created = stage.instructions.filter((i) => i.keyword === 'RUN').flatMap((i) => createdUsers(i)).find((c) => c.name === user);
  if (created?.uid !== null && created?.uid !== undefined) {
    rewrite.warnings.push(`USER ${spec} becomes USER ${created.uid}:${created.uid}: ${rewrite.finalImage} has no user named ${user}`);
    return `USER ${created.uid}:${created.uid}`;
  }
  const fallback = rewrite.finalInfo.ships ? `${rewrite.finalInfo.ships.uid}:${rewrite.finalInfo.ships.gid}` : '10001:10001';
  rewrite.warnings.push(`USER ${spec} becomes USER ${fallback}: ${rewrite.finalImage} has no user named ${user}`);
  return `USER ${fallback}`;
}

/**
 * The new final stage on its own (the build stage is the file as it was, with lines moved out):
 * every COPY --from names one of the `earlier` stages, the stage does not build on one of them, and
 * it no longer carries the toolchain. `firstLine` is its line in the whole file, for the messages.
 */
export function verifyFinalStage(text: string, file: string, earlier: string[], firstLine: number): string[] {
  const problems: string[] = [];
  let model: DockerfileModel;
  try {
    model = parseDockerfile(text, file);
  } catch (err) {
    return [`the result does not parse: ${(err as Error).message}`];
  }
  const names = earlier.map((n) => n.toLowerCase());
  const named = (from: string) => names.includes(from.toLowerCase()) || (/^\d+$/.test(from) && Number(from) < earlier.length);
  if (model.stages.length !== 1) problems.push(`the final stage parses as ${model.stages.length} stages`);
  const base = model.finalStage.imageText;
  if (named(base)) problems.push(`the final stage builds on the stage ${base}`);
  for (const inst of model.finalStage.instructions) {
    if (inst.keyword !== 'COPY') continue;
    const from = /--from=(\S+)/.exec(inst.source)?.[1];
    if (from && !named(from)) problems.push(`line ${inst.line + firstLine - 1}: COPY --from=${from} names no earlier stage`);
  }
  const left = toolchainEvidence(model.chain());
  if (left.length > 0) problems.push(`the final stage still ${left[0]!.message}`);
  return problems;
}
