/**
 * Step 6: a small base image for the final stage. Flags a full variant where a slim one is
 * published (node:20 -> node:20-slim), a Go or Rust toolchain image or a JDK in the final stage,
 * and a base with no tag or `latest`. The replacement comes from the data in
 * src/dockerfile/images.ts, so no tag is ever made up.
 */
import type { Arg, From } from 'dockerfile-ast';
import { adviceProposal, defineStep, type CodeInfo, statusOf, type Context, type Finding, type Proposal } from '../src/core/step.js';
import type { DockerfileModel, Stage } from '../src/dockerfile/model.js';
import { applyEdits, lineStarts, rangeEdit, type Range } from '../src/dockerfile/edit.js';
import { GO_RUNTIME_IMAGE, RUST_RUNTIME_IMAGE, canonicalName, describeImage, invalidReferenceReason, isFloatingTag, isImageReference, isMinimalFamily, parseImageRef, type ImageKnowledge, type ImageRef } from '../src/dockerfile/images.js';
import { buildCommands, dependencyInstall, installedPackages, pipInstalls, runCommands } from '../src/dockerfile/commands.js';
import { cachedUntilWrite } from '../src/core/writes.js';

/** Tools a full Debian image carries and slim ones do not. */
const FULL_IMAGE_TOOLS = ['curl', 'wget', 'git', 'make', 'gcc', 'g++', 'ssh', 'procps', 'ps', 'file', 'unzip', 'xz', 'bzip2'];

interface Suggestion {
  /** The new reference for the FROM line. */
  reference: string;
  lacks: string;
  /** Why the step will not change it by itself, when it will not. */
  manual?: string;
  /** Extra cautions. */
  warnings: string[];
}

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "DH-BASE-UNRESOLVED": {
    title: "The base image comes from a build argument without a default",
    severity: 'low',
    help: "The base image is whatever the build passes. Give the ARG a default.",
  },
  "DH-BASE-LATEST": {
    title: "The base image uses \"latest\" or no tag",
    severity: 'medium',
    help: "\"latest\" moves without warning, so two builds differ. Name a version tag.",
  },
  "DH-BASE-LARGE": {
    title: "A smaller base image does the same job",
    severity: 'medium',
    help: "A full distribution image carries tools an attacker can use and more packages to patch. Use the slim or minimal variant the message names.",
  },
};

export default defineStep({
  meta: {
    id: 'slim-base-image',
    order: 6,
    title: 'Use a small base image',
    targets: ['dockerfile'],
    summary: 'The final image starts from a slim, distroless or JRE base with a pinned tag, not a full or `latest` one.',
    explain: [
      'Every package in the base image is something that can have a vulnerability, something an attacker who gets in can use (a shell, curl, a compiler), and megabytes to pull. The full `node`, `python` and `debian` images carry compilers, version control and hundreds of libraries a running app never touches; their `-slim` variants carry the runtime and little else. A Go binary needs no Go toolchain to run, and a Java app needs a JRE, not a JDK.',
      'This step looks at the base image of the final stage (following `FROM <earlier stage>`), and flags a full variant where a slimmer one is published for the same version, a Go or Rust toolchain image or a JDK there, and a base with no tag or `latest`, which changes under you from one build to the next. When Docker has the image locally, its size is shown.',
      'The change replaces the image reference in the FROM line and nothing else. What it may break: the slim image lacks tools the full one had (curl, git, compilers, man pages): a RUN that uses them must install them, and native modules (npm, pip) must be built in a build stage (see multi-stage-build). Distroless images have no shell at all. Build and test the image before you ship it.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Docker build best practices: choose the right base image', url: 'https://docs.docker.com/build/building/best-practices/#choose-the-right-base-image' },
      { title: 'Official image variants (node)', url: 'https://hub.docker.com/_/node' },
      { title: 'Distroless container images', url: 'https://github.com/GoogleContainerTools/distroless' },
      { title: 'Trivy DS-0001: latest tag', url: 'https://avd.aquasec.com/misconfig/dockerfile/general/avd-ds-0001/' },
    ],
  },

  async check(ctx) {
    const model = await ctx.dockerfile();
    const final = model.finalStage;
    const root = model.chain(final)[0]!;
    const image = root.image;
    const notes: string[] = [];
    const findings: Finding[] = [];
    if (!image) {
      return { status: 'not-applicable', findings: [], notes: [`the final stage builds on stage "${root.imageText}", which is not defined before it`] };
    }
    const info = describeImage(image);
    const where = { file: model.path, line: root.from.line, evidence: model.lineText(root.from.line).trim() };
    if (root.imageUnresolved.length > 0) {
      findings.push({
        code: 'DH-BASE-UNRESOLVED', message: root.imageUndeclared.length > 0 ? undeclaredMessage(root, image) : `FROM ${root.imageText} depends on ${root.imageUnresolved.map((v) => `$${v}`).join(', ')}, which has no default, so the base image is whatever the build passes; give the ARG a default docker-harden (and a reader) can judge`,
        severity: 'low',
        ...where,
      });
      return { status: statusOf(findings), findings, notes };
    }
    const via = root === final ? '' : ` (through stage ${final.name ? `"${final.name}"` : final.index}'s FROM chain)`;
    if (info.family === 'scratch') {
      return { status: 'pass', findings: [], notes: ['the final stage starts FROM scratch: nothing in it but what the Dockerfile copies'] };
    }
    if (isFloatingTag(image)) {
      findings.push({
        code: 'DH-BASE-LATEST', message: `the final image is built on ${root.imageText}${image.tag === null ? ', which has no tag and so means "latest"' : ''}${via}: "latest" moves to a new version without warning, so two builds of the same Dockerfile can differ; ${canonicalName(image).startsWith('cgr.dev/chainguard/') ? "Chainguard's free images are published as latest and latest-dev only: pin the digest (`@sha256:...`, which content-trust proposes)" : `pin a version${info.smaller ? ` (the slim form of a pinned tag, such as ${exampleSlim(image)})` : ''}`}`,
        severity: 'medium',
        ...where,
      });
    }
    const suggestion = suggest(model, final, image, info);
    if (suggestion && !isFloatingTag(image)) {
      findings.push({
        code: 'DH-BASE-LARGE', fixedBy: 'smaller-base', message: `${describeFull(image, info)}${via}; ${suggestion.reference} is the smaller image for the same job (it lacks ${suggestion.lacks})${suggestion.manual ? `. ${suggestion.manual}` : ''}`,
        severity: 'medium',
        ...where,
      });
    }
    const size = await localImageSize(ctx, image.reference);
    if (size !== null) notes.push(`the local image ${image.reference} is ${formatSize(size)}`);
    notes.push(`final base: ${image.reference} (${info.family === 'unknown' ? 'family unknown to docker-harden' : info.family})`);
    if (findings.length === 0 && (isMinimalFamily(info.family) || /slim|jre/.test(image.tag ?? ''))) notes.push('already a small variant');
    // A floating tag is pinned first: a smaller image is proposed for a pinned one.
    return { status: statusOf(findings), findings, notes, state: isFloatingTag(image) ? undefined : { model, root, image, suggestion } };
  },

  async propose(_ctx, result) {
    if (!result.state) return [];
    const { model, root, image, suggestion } = result.state;
    if (!suggestion) return [];
    // A fix keeps what it does not replace of the written reference: from an invalid one, the new FROM is invalid too.
    const invalid = invalidReferenceReason(image.reference, root.from.line);
    if (invalid) return [adviceProposal('smaller-base', `Correct the base image at line ${root.from.line} first`, `No smaller image is proposed: ${invalid}.`)];
    if (suggestion.manual) return [];
    const edit = referenceEdit(model, root, image, suggestion.reference);
    if (!edit) return [];
    const edits = [rangeEdit(model.text, edit.range, edit.text, lineStarts(model.text))];
    // The proposal must describe itself truthfully: the new FROM resolves to the suggested image.
    const proposal: Proposal = {
      id: 'smaller-base',
      kind: 'change',
      risk: 'review',
      title: `Use ${suggestion.reference} instead of ${image.reference}`,
      description: `Changes the FROM at line ${root.from.line} to ${suggestion.reference}, which lacks ${suggestion.lacks}. Everything else in the file stays as it is. Build the image and run its tests before you ship it.`,
      changes: [{ path: model.path, before: model.text, after: applyEdits(model.text, edits), edits }],
      commands: [],
      warnings: suggestion.warnings,
    };
    return [proposal];
  },
});

/** A FROM that uses an ARG no ARG before the first FROM declares: Docker reads it as empty. */
function undeclaredMessage(root: Stage, image: ImageRef): string {
  const names = root.imageUndeclared;
  const one = names.length === 1;
  // With no other variable in it, what the FROM becomes is known.
  const known = root.imageUnresolved.every((v) => names.includes(v));
  const outcome = !known
    ? ''
    : image.reference.trim() === ''
      ? `, so the build fails ("base name (${root.imageText}) should not be blank")`
      : !isImageReference(image.reference)
        ? `, so the build fails: "${image.reference}" is not a valid image reference`
        : `, so the base image is ${image.reference}`;
  return `FROM ${root.imageText} at line ${root.from.line} uses ${names.map((v) => `$${v}`).join(', ')}, which ${one ? 'is' : 'are'} not declared before the first FROM: Docker reads ${one ? 'it' : 'them'} as empty there, and --build-arg cannot set ${one ? 'it' : 'them'}${outcome}. Declare ${one ? 'it' : 'them'} above the first FROM with a default, for example ARG ${names[0]}=...`;
}

function describeFull(image: ImageRef, info: ImageKnowledge): string {
  switch (info.toolchain) {
    case 'go':
      return `the final stage runs on the Go toolchain image ${image.reference}, hundreds of megabytes of compiler a Go binary does not need`;
    case 'rust':
      return `the final stage runs on the Rust toolchain image ${image.reference}, which a compiled binary does not need`;
    case 'maven':
    case 'gradle':
      return `the final stage runs on the build tool image ${image.reference} (a full JDK and ${info.toolchain})`;
    case 'build-deps':
      return `the final stage runs on ${image.reference}, an image of compilers and -dev packages`;
    default:
      if (info.javaMajor !== undefined) return `the final stage runs on a JDK (${image.reference}) where a JRE would do`;
      return `the final stage uses the full image ${image.reference}`;
  }
}

/** An example pinned slim tag for a floating reference, taken from the data (never invented). */
function exampleSlim(image: ImageRef): string {
  const info = describeImage(image);
  return info.smaller?.reference ?? image.reference;
}

function suggest(model: DockerfileModel, final: Stage, image: ImageRef, info: ImageKnowledge): Suggestion | null {
  const chain = model.chain(final);
  const runs = chain.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN'));
  const builds = runs.flatMap((r) => buildCommands(r).map((b) => ({ b, line: r.line })));
  if (info.toolchain === 'go' || info.toolchain === 'rust') {
    const runtime = info.toolchain === 'go' ? GO_RUNTIME_IMAGE : RUST_RUNTIME_IMAGE;
    const lacks = info.toolchain === 'go' ? 'the Go compiler, a shell and a package manager; a binary built with CGO_ENABLED=0 runs on it as is' : 'the Rust toolchain, a shell and a package manager; it has glibc and libgcc for a dynamically linked binary';
    if (builds.length > 0) {
      return { reference: runtime, lacks, manual: `The final stage compiles the program (line ${builds[0]!.line}), so it needs the toolchain there: split it into a build stage and a small final stage first (step multi-stage-build)`, warnings: [] };
    }
    if (runs.length > 0) {
      return { reference: runtime, lacks, manual: `The final stage runs commands (line ${runs[0]!.line}) and ${runtime} has no shell: move them to a build stage first`, warnings: [] };
    }
    return { reference: runtime, lacks, warnings: [info.toolchain === 'go' ? 'the binary must be statically linked (built with CGO_ENABLED=0); for cgo use gcr.io/distroless/base-debian12:nonroot' : 'a fully static binary can use gcr.io/distroless/static-debian12:nonroot instead'] };
  }
  if (!info.smaller) return null;
  const smaller = info.smaller;
  if (image.digest) {
    return { ...smaller, manual: `The reference is pinned by digest, which belongs to the full image: switch to ${smaller.reference} and pin its own digest`, warnings: [] };
  }
  if ((info.toolchain === 'maven' || info.toolchain === 'gradle' || info.javaMajor !== undefined) && builds.some(({ b }) => b.kind === 'maven' || b.kind === 'gradle' || b.kind === 'javac')) {
    const first = builds.find(({ b }) => b.kind === 'maven' || b.kind === 'gradle' || b.kind === 'javac')!;
    return { ...smaller, manual: `The final stage compiles the app (line ${first.line}), which needs the JDK: split it into a build stage and a JRE final stage first (step multi-stage-build)`, warnings: [] };
  }
  if (info.toolchain === 'build-deps' && runs.length > 0) {
    return { ...smaller, manual: `The final stage runs commands (line ${runs[0]!.line}) that may need the compilers: move them to a build stage first`, warnings: [] };
  }
  return { ...smaller, warnings: slimWarnings(model, final, smaller.reference) };
}

/** What in the final stage may miss the full image's tools. */
function slimWarnings(model: DockerfileModel, final: Stage, reference: string): string[] {
  const warnings: string[] = [];
  const installed = new Set<string>();
  for (const stage of model.chain(final)) {
    for (const inst of stage.instructions) {
      if (inst.keyword !== 'RUN') continue;
      for (const p of installedPackages(inst)) installed.add(p);
      // Commands, and the ones inside a command substitution (`sh -c "$(wget -O- URL)"`).
      const substituted = [...inst.args.matchAll(/(?:\$\(|`)\s*([a-z0-9+]+)/g)].map((m) => m[1]!);
      const used = new Set([...runCommands(inst).map((w) => w[0]!), ...substituted].filter((cmd) => FULL_IMAGE_TOOLS.includes(cmd) && !installed.has(cmd)));
      const https = (used.has('curl') || used.has('wget')) && /https:\/\//.test(inst.args) && !installed.has('ca-certificates');
      if (used.size > 0) warnings.push(`RUN at line ${inst.line} uses ${[...used].join(', ')}, which ${reference} does not include: install it in that RUN (or an earlier one)${https ? ', with ca-certificates for its https:// URLs (some slim images leave them out, and --no-install-recommends does not bring them)' : ''}`);
      // pip and npm fetch a git+https:// (or `pkg @ git+...`) requirement with git itself.
      const fromGit = [...pipInstalls(inst), ...runCommands(inst).filter((w) => /^(npm|yarn|pnpm)$/.test(w[0]!))].some((w) => w.some((x) => /(^|[@\s])git\+[a-z]+:\/\//.test(x)));
      if (fromGit && !used.has('git') && !installed.has('git')) warnings.push(`RUN at line ${inst.line} installs a package from a git repository (git+https://...), which takes git, which ${reference} does not include: install git in that RUN (or an earlier one)`);
      const deps = dependencyInstall(inst);
      if (deps || pipInstalls(inst).length > 0) {
        warnings.push(`RUN at line ${inst.line} installs dependencies: packages that compile native code need a compiler, which ${reference} lacks; build them in a build stage if the install fails`);
      }
    }
  }
  return warnings;
}

/**
 * The edit that makes the FROM resolve to `reference`: the tag alone when the repository stays
 * (so a registry prefix stays as written), else the whole image; an ARG default when the image
 * comes from one.
 */
function referenceEdit(model: DockerfileModel, root: Stage, image: ImageRef, reference: string): { range: Range; text: string } | null {
  const next = parseImageRef(reference);
  const written = root.imageText;
  if (!written.includes('$')) {
    if (!root.imageRange) return null;
    if (canonicalName(next) === canonicalName(image) && next.tag) {
      const from = root.from.ast as From;
      const tagRange = from.getImageTagRange();
      if (tagRange) return { range: tagRange, text: next.tag };
    }
    return { range: root.imageRange, text: reference };
  }
  // `FROM ${BASE}` with `ARG BASE=node:20` before it: change the ARG's default.
  const whole = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(written);
  if (whole) {
    const arg = [...model.globalArgs].reverse().find((a) => (a.ast as Arg).getProperty()?.getName() === whole[1]);
    const valueRange = arg ? (arg.ast as Arg).getProperty()?.getValueRange() : null;
    if (valueRange && !(arg!.ast as Arg).getProperty()!.getValue()!.includes('$')) return { range: valueRange, text: reference };
    return null;
  }
  // `FROM node:${NODE_VERSION}`: append the suffix when the new tag is the old one plus a suffix.
  if (canonicalName(next) === canonicalName(image) && image.tag && next.tag?.startsWith(image.tag) && root.imageRange) {
    const suffix = next.tag.slice(image.tag.length);
    return { range: { start: root.imageRange.end, end: root.imageRange.end }, text: suffix };
  }
  return null;
}

const imageSizeOf = cachedUntilWrite<Context['probe'], Promise<number | null>>();

/** The size of a local image, asked once per run (a thousand Dockerfiles on node:20 ask once). */
function localImageSize(ctx: Context, reference: string): Promise<number | null> {
  return imageSizeOf(ctx.probe, `${ctx.host.endpoint}\0${reference}`, () => askImageSize(ctx, reference));
}

async function askImageSize(ctx: Context, reference: string): Promise<number | null> {
  // The docker CLI, not the API client: the batch path of a file check must not load dockerode.
  if (!(await ctx.probe.which('docker'))) return null;
  // No daemon socket, no local image: do not start the docker CLI just to hear that.
  const socket = ctx.host.endpoint.startsWith('unix://') ? ctx.host.endpoint.slice('unix://'.length) : null;
  if (socket && !(await ctx.probe.stat(socket))?.isSocket) return null;
  const r = await ctx.probe.run(['docker', 'image', 'inspect', '--format', '{{.Size}}', '--', reference], { timeoutMs: 5000 });
  const size = Number(r.stdout.trim());
  return r.exitCode === 0 && Number.isFinite(size) && size > 0 ? size : null;
}

function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  return `${Math.round(bytes / 1e6)} MB`;
}
