/**
 * Step 10: know what you pull: images pinned by digest, no ADD of unverified URLs, verification
 * in CI, and Docker Content Trust where it applies.
 *
 * Over 400 lines: digests, ADD of URLs, CI verification and DCT settings are four checks of one
 * promise.
 */
import path from 'node:path';
import type { DockerfileModel } from '../src/dockerfile/model.js';
import { lineStarts, offsetAt } from '../src/dockerfile/edit.js';
import { floatingTag, invalidReferenceReason, officialMirror, parseImageRef, type ImageRef } from '../src/dockerfile/images.js';
import { defineStep, type CodeInfo, statusOf, type Context, type FileChange, type Finding, type Proposal } from '../src/core/step.js';
import {
  CI_VERIFY_PATTERN,
  addInstructions,
  baseImages,
  ciFiles,
  findRepoRoot,
  isLocalArchive,
  isRemoteSource,
  knownDigest,
  matchLine,
  firstToPropose,
  proposerOf,
  repositoryDockerfiles,
  type AddInstruction,
  type BaseImage,
  type CiFile,
} from './lib/supply-chain.js';
import { VERIFY_WORKFLOW, dependabotConfig, ownVerifyWorkflow, verifiedImages, verifyWorkflow, withVerifiedImages } from './lib/ci-documents.js';
import type { Probe } from '../src/core/probe.js';

const DCT_LINE = /^\s*(?:export\s+)?(DOCKER_CONTENT_TRUST(?:_SERVER)?)\s*=\s*["']?([^"'\s#]*)/;
const SYSTEM_FILES = ['/etc/environment', '/etc/profile', '/etc/bash.bashrc', '/etc/zsh/zshenv', '/etc/zsh/zshrc'];
const USER_FILES = ['.bashrc', '.bash_profile', '.profile', '.zshrc', '.zshenv', '.zprofile'];

export interface DctSetting {
  file: string;
  line: number;
  name: string;
  value: string;
  text: string;
}

/** The home directory of the person who ran docker-harden (through sudo: the sudo user's). */
async function invokingHome(ctx: Context): Promise<string | null> {
  const sudoUser = ctx.env.SUDO_USER;
  if (sudoUser && sudoUser !== 'root') {
    const passwd = (await ctx.probe.readText('/etc/passwd')) ?? '';
    const home = passwd.split('\n').map((l) => l.split(':')).find((f) => f[0] === sudoUser)?.[5];
    if (home) return home;
  }
  return ctx.env.HOME ?? null;
}

/** Every line that sets DOCKER_CONTENT_TRUST in the system and the invoking user's shell files. */
export async function dctSettings(ctx: Context): Promise<DctSetting[]> {
  const files = [...SYSTEM_FILES];
  for (const name of await ctx.probe.list('/etc/profile.d')) files.push(path.join('/etc/profile.d', name));
  const home = await invokingHome(ctx);
  if (home) for (const name of USER_FILES) files.push(path.join(home, name));
  const out: DctSetting[] = [];
  for (const file of files) {
    const text = await ctx.probe.readText(file);
    if (!text) continue;
    text.split('\n').forEach((line, i) => {
      const m = DCT_LINE.exec(line);
      if (m) out.push({ file, line: i + 1, name: m[1]!, value: m[2] ?? '', text: line.trim() });
    });
  }
  return out;
}

const isOn = (value: string | undefined) => value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';

/** The file without the lines that set DOCKER_CONTENT_TRUST (line endings kept). */
export function withoutDct(text: string): string {
  return text
    .split(/(?<=\n)/)
    .filter((line) => !DCT_LINE.test(line))
    .join('');
}

interface PinPlan {
  from: BaseImage;
  digest?: string;
  /** Why no digest is known here. */
  reason?: string;
  /** Why no pin may be written, whatever the daemon knows: the reference is not a valid one. */
  invalid?: string;
}

async function pinPlans(ctx: Context, froms: readonly BaseImage[]): Promise<PinPlan[]> {
  const plans: PinPlan[] = [];
  for (const from of froms) {
    if (from.kind !== 'image' || from.ref.digest) continue;
    // The pin is the reference as written with a digest after it: never made from an invalid one.
    const invalid = invalidReferenceReason(from.written, from.line);
    if (invalid) {
      plans.push({ from, invalid });
      continue;
    }
    const known = await knownDigest(ctx, from.ref);
    plans.push('digest' in known ? { from, digest: known.digest } : { from, reason: known.reason });
  }
  return plans;
}

/** `name:tag@sha256:...`, keeping the name as written; no tag written means the `latest` that was pulled. */
export function pinnedReference(from: BaseImage, digest: string): string {
  return `${from.written}${from.ref.tag ? '' : ':latest'}@${digest}`;
}

export function pinText(text: string, plans: PinPlan[]): string {
  let out = text;
  for (const plan of [...plans].filter((p) => p.digest).sort((a, b) => b.from.start - a.from.start)) {
    out = out.slice(0, plan.from.start) + pinnedReference(plan.from, plan.digest!) + out.slice(plan.from.end);
  }
  return out;
}


/**
 * Images a build pulls besides FROM: `COPY --from=<image>` of something that is not an earlier
 * stage. They are checked and pinned like FROM (https://docs.docker.com/reference/dockerfile/#copy---from).
 */
export function copyFromImages(model: DockerfileModel): readonly BaseImage[] {
  let known = knownCopies.get(model);
  if (!known) knownCopies.set(model, (known = Object.freeze(findCopyFromImages(model))));
  return known;
}

/** copyFromImages per parsed file: the check and the repository's signature check both ask. */
const knownCopies = new WeakMap<DockerfileModel, readonly BaseImage[]>();

function findCopyFromImages(model: DockerfileModel): BaseImage[] {
  const text = model.text;
  const starts = lineStarts(text);
  const out: BaseImage[] = [];
  // Names of the stages before the current one, grown as the loop goes (6,000 stages: one pass).
  const earlier = new Set<string>();
  for (const stage of model.stages) {
    for (const inst of stage.instructions) {
      if (inst.keyword !== 'COPY') continue;
      const m = /--from=("?)([^\s"]+)\1/.exec(inst.source);
      if (!m) continue;
      const written = m[2]!;
      if (/^\d+$/.test(written) || earlier.has(written.toLowerCase())) continue;
      const start = offsetAt(text, inst.range.start, starts) + m.index + '--from='.length + m[1]!.length;
      const variable = /\$/.test(written);
      out.push({
        written,
        ref: parseImageRef(variable ? model.resolve(written, stage, inst).value : written),
        line: inst.line,
        start,
        end: start + written.length,
        kind: variable ? 'variable' : 'image',
        stage: null,
        final: false,
      });
    }
    if (stage.name) earlier.add(stage.name);
  }
  return out;
}

/** An image from a build argument: what its default resolves to (pinned by digest there passes). */
function argDefaultRef(model: DockerfileModel, from: BaseImage): ImageRef | null {
  const stage = model.stages.find((s) => s.from.line === from.line);
  if (stage?.image && stage.imageUnresolved.length === 0) return stage.image;
  return null;
}

/** `COPY --from=$VAR`: the image its build arguments' defaults give, when every variable has one. */
function copyFromDefaultRef(model: DockerfileModel, from: BaseImage): ImageRef | null {
  for (const stage of model.stages) {
    const inst = stage.instructions.find((i) => i.line === from.line);
    if (inst) return model.resolve(from.written, stage, inst).unresolved.length === 0 ? from.ref : null;
  }
  return null;
}

/**
 * Docker Official Images (Docker Hub, no namespace, or a mirror of them) are not signed with
 * cosign: never a check that cannot pass.
 */
export function isOfficialImage(ref: ImageRef): boolean {
  return (ref.registry === null && !ref.repository.includes('/')) || officialMirror(ref) !== null;
}

/**
 * ADD sources with their ARG and ENV values in place, and whether each may be something ADD
 * handles differently from COPY: a URL, a variable with no value known, or a possible archive
 * (ADD unpacks tar archives by content, whatever the name; https://docs.docker.com/reference/dockerfile/#add).
 */
interface ResolvedAdd {
  add: AddInstruction;
  sources: string[];
  remote: string[];
  /** Every source is a folder or a file that cannot be a tar archive: COPY does the same. */
  plainLocal: boolean;
}

/** Extensions of files that are never tar archives. */
const NOT_ARCHIVE = /\.(sh|bash|py|js|mjs|cjs|ts|json|ya?ml|toml|ini|conf|cfg|txt|md|html?|css|xml|properties|jar|war|ear|zip|whl|rb|php|go|lock|env|pem|crt|key|sql|csv|svg|png|jpe?g|gif|ico|service|crontab|pl|lua|so|dll|exe|ps1|cmd|bat|csproj|sln|gradle|kts)$/i;

async function resolveAdds(model: DockerfileModel, probe: Probe, dir: string): Promise<ResolvedAdd[]> {
  const out: ResolvedAdd[] = [];
  for (const add of addInstructions(model.text, model.ast)) {
    const stage = model.stages.find((s) => s.instructions.some((i) => i.line === add.line && i.keyword === 'ADD'));
    const inst = stage?.instructions.find((i) => i.line === add.line && i.keyword === 'ADD');
    const sources: string[] = [];
    let unknown = false;
    for (const source of add.sources) {
      if (!stage || !inst || !source.includes('$')) {
        sources.push(source);
        continue;
      }
      const r = model.resolve(source, stage, inst);
      if (r.unresolved.length > 0) unknown = true;
      sources.push(r.value);
    }
    const remote = sources.filter(isRemoteSource);
    let plainLocal = !unknown && remote.length === 0 && sources.length > 0;
    for (const source of plainLocal ? sources : []) {
      if (isLocalArchive(source) || /[*?[]/.test(source)) {
        plainLocal = false;
        break;
      }
      if (source === '.' || source.endsWith('/') || NOT_ARCHIVE.test(source)) continue;
      const info = await probe.stat(path.resolve(dir, source));
      if (!info?.isDirectory) {
        plainLocal = false;
        break;
      }
    }
    out.push({ add, sources, remote, plainLocal });
  }
  return out;
}

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "DH-DCT-ON": {
    title: "Docker Content Trust is switched on",
    severity: 'medium',
    help: "Docker Content Trust is retired and DOCKER_CONTENT_TRUST=1 breaks pulls of Official Images. Remove it; verify signatures with cosign or notation.",
  },
  "DH-DCT-OBSOLETE": {
    title: "An obsolete Docker Content Trust setting is present",
    severity: 'info',
    help: "The setting changes nothing today. Remove it.",
  },
  "DH-BASE-ARG": {
    title: "The base image comes from a build argument",
    severity: 'info',
    help: "Pin it by digest where the argument is set.",
  },
  "DH-BASE-FLOATING": {
    title: "The base image uses a floating tag",
    severity: 'medium',
    help: "latest, no tag, or a tag that names no version (alpine, slim, lts) gives each build a different image, across major versions. Pin a version and a digest.",
  },
  "DH-BASE-UNPINNED": {
    title: "The base image is not pinned by digest",
    severity: 'low',
    help: "A tag can be moved to other content. Add @sha256:... to the FROM line (the proposal does).",
  },
  "DH-ADD-UNVERIFIED": {
    title: "ADD fetches a URL without a checksum",
    severity: 'medium',
    help: "Nothing verifies what arrives. Add --checksum=sha256:..., or download in RUN and check a hash or signature.",
  },
  "DH-ADD-LOCAL": {
    title: "ADD of a local file that is not an archive",
    severity: 'low',
    help: "COPY does the same without ADD's URL fetching and unpacking.",
  },
  "DH-CI-NO-VERIFY": {
    title: "No signature check in CI",
    severity: 'info',
    help: "Nothing runs cosign verify (or notation verify) on the images built or deployed, or docker-harden's signature-check workflow does not list this Dockerfile's images. One workflow is proposed for all the Dockerfiles of a repository.",
  },
};

/** What `check` read, for `propose`: DCT settings on a host; images, digests, ADDs and CI for a Dockerfile. */
type TrustState =
  | { kind: 'host'; settings: DctSetting[] }
  | { kind: 'dockerfile'; froms: readonly BaseImage[]; copies: readonly BaseImage[]; plans: PinPlan[]; adds: ResolvedAdd[]; root: string | null; ci: Awaited<ReturnType<typeof ciFiles>>; dockerfiles: string[] };

export default defineStep<TrustState>({
  meta: {
    id: 'content-trust',
    order: 10,
    title: 'Deploy only images you trust: digests and signatures',
    targets: ['host', 'dockerfile'],
    summary: 'Pin base images by digest, verify signatures with cosign, drop the retired DOCKER_CONTENT_TRUST.',
    explain:
      'The aim of content trust is to run only the image you meant to run, unchanged. The old means, Docker Content ' +
      'Trust (Notary v1, `DOCKER_CONTENT_TRUST=1`), is retired: since August 2025 it breaks pulls of Docker Official ' +
      'Images, the Docker CLI dropped its client-side verification late in 2025, and Docker Hub\'s Notary service shuts ' +
      'down on 8 December 2026. A setting left in a profile file now only breaks pulls, so this step removes it. What ' +
      'works today: pin each base image by digest (`name:tag@sha256:...`), which fixes the exact bytes you build on ' +
      'and keeps the tag for people to read; let Dependabot or Renovate move the digest forward when a new image is ' +
      'published; verify signatures with Sigstore cosign (or Notation) in CI for images whose publisher signs them; ' +
      'and avoid `ADD` of a URL, which fetches content nothing checks. A digest is only ever taken from an image this ' +
      'Docker daemon has pulled or pushed: never guessed. A pinned image no longer picks up fixes by itself: that is ' +
      'what the update bot is for.',
    codes: CODES,
    references: [
      { title: 'Docker: content trust retirement', url: 'https://www.docker.com/blog/retiring-docker-content-trust/' },
      { title: 'Dockerfile FROM: pin by digest', url: 'https://docs.docker.com/reference/dockerfile/#from' },
      { title: 'Sigstore cosign: verifying signatures', url: 'https://docs.sigstore.dev/cosign/verifying/verify/' },
      { title: 'Notation', url: 'https://notaryproject.dev/docs/' },
      { title: 'Dependabot: docker ecosystem', url: 'https://docs.github.com/en/code-security/dependabot/dependabot-version-updates/configuration-options-for-the-dependabot.yml-file' },
    ],
  },

  async check(ctx) {
    const findings: Finding[] = [];
    const notes: string[] = [];
    const signers = [];
    for (const tool of ['cosign', 'notation']) if (await ctx.probe.which(tool)) signers.push(tool);
    notes.push(signers.length > 0 ? `signature tools installed: ${signers.join(', ')}` : 'no signature tool installed (cosign or notation)');

    if (ctx.target.kind === 'host') {
      const settings = await dctSettings(ctx);
      for (const s of settings) {
        // Only DOCKER_CONTENT_TRUST turns verification on; the _SERVER setting alone changes nothing.
        const breaks = s.name === 'DOCKER_CONTENT_TRUST' && isOn(s.value);
        findings.push({
          code: breaks ? 'DH-DCT-ON' : 'DH-DCT-OBSOLETE', fixedBy: 'remove-dct', message: breaks
            ? `${s.name}=${s.value} is set: Docker Content Trust is retired and this breaks pulls of Official Images`
            : `${s.name} is set (to "${s.value}"): an obsolete setting of the retired Docker Content Trust`,
          severity: breaks ? 'medium' : 'info',
          file: s.file,
          line: s.line,
          evidence: s.text,
        });
      }
      const envValue = ctx.env.DOCKER_CONTENT_TRUST;
      if (envValue !== undefined && !settings.some((s) => s.name === 'DOCKER_CONTENT_TRUST')) {
        findings.push({
          code: isOn(envValue) ? 'DH-DCT-ON' : 'DH-DCT-OBSOLETE', message: `DOCKER_CONTENT_TRUST=${envValue} is set in this environment, by no file looked at (a service's Environment=, CI variables, or a file sourced elsewhere)`,
          severity: isOn(envValue) ? 'medium' : 'info',
          evidence: `looked at ${SYSTEM_FILES.join(', ')}, /etc/profile.d/*, and ~/${USER_FILES.join(', ~/')}`,
        });
      }
      return { status: statusOf(findings), findings, notes, state: { kind: 'host', settings } };
    }

    const file = ctx.target.kind === 'dockerfile' ? ctx.target.path : '';
    const model = await ctx.dockerfile();
    const text = model.text;
    const froms = baseImages(text, model.ast);
    const copies = copyFromImages(model);
    for (const from of [...froms, ...copies]) {
      const what = froms.includes(from) ? 'the base image' : 'the image copied from';
      if (from.kind === 'variable') {
        const resolved = froms.includes(from) ? argDefaultRef(model, from) : copyFromDefaultRef(model, from);
        // A build argument whose default is already pinned by digest is pinned.
        if (resolved?.digest) continue;
        if (!resolved) {
          findings.push({ code: 'DH-BASE-ARG', message: `${what} \`${from.written}\` comes from a build argument: pin it by digest where the argument is set`, severity: 'info', file, line: from.line });
          continue;
        }
        // The default is what a plain `docker build` pulls: an unpinned one is the same finding as a FROM
        // written out. No pin is proposed here: the digest belongs in the ARG default, not in the FROM.
        const shown = resolved.reference.trim();
        const floating = floatingTag(resolved);
        findings.push({
          code: floating ? 'DH-BASE-FLOATING' : 'DH-BASE-UNPINNED',
          message: `${what} \`${from.written}\` is \`${shown}\` by its build argument's default, ${floating ? `a floating tag: each build may get a different image${floating === 'versionless' ? ', even a new major version' : ''}` : 'not pinned by digest: the tag can be moved to other content'}. Pin the default by digest (${shown}${resolved.tag ? '' : ':latest'}@sha256:...) or pass a pinned value with --build-arg`,
          severity: floating ? 'medium' : 'low',
          file,
          line: from.line,
          evidence: model.lineText(from.line).trim(),
        });
        continue;
      }
      if (from.kind !== 'image' || from.ref.digest) continue;
      const floating = floatingTag(from.ref);
      findings.push({
        code: floating ? 'DH-BASE-FLOATING' : 'DH-BASE-UNPINNED', fixedBy: 'pin-digests',
        message: floating === 'versionless'
          ? `${what} \`${from.written}\` uses the tag ${from.ref.tag}, which names no version: each build may get a different image, even a new major version. Pin a version and a digest`
          : floating
          ? `${what} \`${from.written}\` uses ${from.ref.tag ? 'the floating tag latest' : 'no tag (so latest)'}: each build may get a different image`
          : `${what} \`${from.written}\` is not pinned by digest: the tag can be moved to other content`,
        severity: floating ? 'medium' : 'low',
        file,
        line: from.line,
        evidence: froms.includes(from) ? `FROM ${from.written}` : model.lineText(from.line).trim(),
      });
    }
    const plans = await pinPlans(ctx, [...froms, ...copies]);
    for (const plan of plans) {
      notes.push(
        plan.digest
          ? `${plan.from.written} (line ${plan.from.line}): the daemon knows its digest ${plan.digest}`
          : plan.invalid
          ? `no pin is proposed: ${plan.invalid}`
          : `${plan.from.written} (line ${plan.from.line}): no digest known here, so no pin is proposed: ${plan.reason}. ` +
              `Pull it (\`docker pull ${plan.from.written}\`) and run this step again, or read its digest with \`docker buildx imagetools inspect ${plan.from.written}\`.`,
      );
    }
    const adds = await resolveAdds(model, ctx.probe, path.dirname(file));
    for (const { add, remote, plainLocal } of adds) {
      if (remote.length > 0 && !add.flags.some((f) => f.startsWith('--checksum'))) {
        findings.push({
          code: 'DH-ADD-UNVERIFIED', message: `ADD fetches ${remote.join(', ')} and nothing verifies what arrives: add --checksum=sha256:... (Dockerfile 1.6+), or download in a RUN step that checks a signature or hash`,
          severity: 'medium',
          file,
          line: add.line,
          evidence: add.text,
        });
      } else if (plainLocal && !add.flags.some((f) => /^--(checksum|keep-git-dir|unpack)/.test(f))) {
        findings.push({
          code: 'DH-ADD-LOCAL', fixedBy: 'add-to-copy', message: 'ADD of a local file that is not an archive: COPY does the same without ADD\'s URL fetching and unpacking',
          severity: 'low',
          file,
          line: add.line,
          evidence: add.text,
        });
      }
    }
    const root = await findRepoRoot(ctx.probe, path.dirname(file));
    const ci = root ? await ciFiles(ctx.probe, root) : [];
    if (root) {
      const own = ownVerifyWorkflow(ci);
      const verify = ci.filter((f) => f !== own).map((f) => ({ f, hit: matchLine(f.text, CI_VERIFY_PATTERN) })).find((x) => x.hit);
      const images = signable(froms, copies);
      // docker-harden's own workflow verifies the images it lists; another one is trusted for all.
      const unverified = own && !verify ? images.filter((i) => !verifiedImages(own.text).includes(i)) : [];
      if (verify) notes.push(`CI verifies signatures: ${verify.f.path}:${verify.hit!.line}`);
      else if (own && unverified.length > 0) {
        findings.push({ code: 'DH-CI-NO-VERIFY', message: `docker-harden's signature check (${path.relative(root, own.path)}) does not verify ${unverified.map((i) => `\`${i}\``).join(', ')}`, severity: 'info', evidence: root });
      } else if (own) notes.push(`CI verifies signatures: ${own.path}:${matchLine(own.text, CI_VERIFY_PATTERN)?.line ?? 1}`);
      else if (images.length === 0) notes.push('no signature check in CI is proposed: Docker Official Images are not signed with cosign, and no other image is named');
      else findings.push({ code: 'DH-CI-NO-VERIFY', message: 'no signature check in CI: nothing runs `cosign verify` (or `notation verify`) on the images built or deployed', severity: 'info', evidence: root });
      // An earlier Dockerfile of the repository made the one proposal of the run: it covers this one.
      const proposer = findings.some((f) => f.code === 'DH-CI-NO-VERIFY') ? proposerOf(ctx, root, 'verify') : undefined;
      if (proposer && proposer !== file) notes.push(`one signature check is proposed with ${path.relative(root, proposer)} for the images of this repository's Dockerfiles checked here; it verifies this one's too`);
    }
    // The run's Dockerfiles of this repository: one Dependabot configuration covers their folders.
    const dockerfiles = root ? await repositoryDockerfiles(ctx, root) : [file];
    return { status: statusOf(findings), findings, notes, state: { kind: 'dockerfile', froms, copies, plans, adds, root, ci, dockerfiles } };
  },

  async propose(ctx, result) {
    const state = result.state;
    if (!state) return [];
    if (state.kind === 'host') return hostProposals(ctx, state.settings);
    const file = ctx.target.kind === 'dockerfile' ? ctx.target.path : '';
    const model = await ctx.dockerfile();
    const text = model.text;
    const proposals: Proposal[] = [];
    const { froms, plans, adds, root, ci, dockerfiles } = state;
    const pinned = plans.filter((p) => p.digest);
    if (pinned.length > 0) {
      const missing = plans.filter((p) => p.reason);
      proposals.push({
        id: 'pin-digests',
        title: `Pin ${pinned.map((p) => p.from.written).join(', ')} by digest`,
        description:
          `Adds the digest this Docker daemon already has for ${pinned.map((p) => `${p.from.written} (${p.digest!.slice(0, 19)}...)`).join(', ')}. ` +
          'The tag stays for people to read; the digest decides what is pulled. Builds no longer pick up a new image by ' +
          'themselves: let Dependabot or Renovate propose digest updates.' +
          (missing.length > 0 ? ` Not pinned, no digest known here: ${missing.map((p) => p.from.written).join(', ')}.` : ''),
        // The digest names the image the tag points to now: the build gets the same bytes.
        kind: 'change',
        risk: 'safe',
        changes: [{ path: file, before: text, after: pinText(text, pinned) }],
        commands: [],
        warnings: [],
      });
    }
    // Only ADDs that COPY does exactly: never a URL, a variable with no known value or a possible archive.
    const localAdds = adds
      .filter((r) => r.plainLocal && !r.add.flags.some((f) => /^--(checksum|keep-git-dir|unpack)/.test(f)))
      .map((r) => r.add);
    if (localAdds.length > 0) {
      let after = text;
      for (const add of [...localAdds].sort((a, b) => b.keywordStart - a.keywordStart)) {
        const keyword = text.slice(add.keywordStart, add.keywordEnd);
        after = after.slice(0, add.keywordStart) + (keyword === keyword.toLowerCase() ? 'copy' : 'COPY') + after.slice(add.keywordEnd);
      }
      proposals.push({
        id: 'add-to-copy',
        title: `Use COPY instead of ADD for local files (line${localAdds.length > 1 ? 's' : ''} ${localAdds.map((a) => a.line).join(', ')})`,
        description: 'COPY copies local files and nothing else; ADD also fetches URLs and unpacks archives, which a reader of the Dockerfile may not expect.',
        kind: 'change',
        risk: 'safe',
        changes: [{ path: file, before: text, after }],
        commands: [],
        warnings: [],
      });
    }
    if (root) {
      // One signature check for the repository: proposed by the first Dockerfile that needs it, for
      // the images of all the run's Dockerfiles there.
      if (result.findings.some((f) => f.code === 'DH-CI-NO-VERIFY') && firstToPropose(ctx, root, 'verify')) {
        const verify = await verifyWorkflowProposal(ctx, root, ownVerifyWorkflow(ci), dockerfiles);
        if (verify) proposals.push(verify);
      }
      const dependabot = path.join(root, '.github', 'dependabot.yml');
      const bot = (await ctx.probe.readText(dependabot)) ?? (await ctx.probe.readText(path.join(root, '.github', 'dependabot.yaml')));
      const renovate = (await ctx.probe.stat(path.join(root, 'renovate.json'))) || (await ctx.probe.stat(path.join(root, '.github', 'renovate.json')));
      // Proposed once per repository in a run, for the folders of all its Dockerfiles there, by the
      // first whose check did not pass (one that builds FROM scratch alone may pass).
      const alone = dockerfiles.length === 1;
      if (bot === null && !renovate && (!alone || froms.some((f) => f.kind === 'image')) && firstToPropose(ctx, root, 'dependabot')) {
        proposals.push(dependabotProposal(root, dockerfiles));
      }
    }
    return proposals;
  },
});

/** Images a cosign check can apply to: named images that are not Docker Official Images. */
function signable(froms: readonly BaseImage[], copies: readonly BaseImage[]): string[] {
  return [...new Set([...froms, ...copies].filter((f) => f.kind === 'image' && !isOfficialImage(f.ref)).map((f) => f.written))];
}

async function hostProposals(ctx: Context, settings: DctSetting[]): Promise<Proposal[]> {
  const byFile = new Map<string, DctSetting[]>();
  for (const s of settings) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s]);
  const changes: FileChange[] = [];
  for (const file of byFile.keys()) {
    const before = await ctx.probe.readText(file);
    if (before !== null) changes.push({ path: file, before, after: withoutDct(before) });
  }
  if (changes.length === 0) return [];
  return [
    {
      id: 'remove-dct',
      title: 'Remove the obsolete DOCKER_CONTENT_TRUST settings',
      description:
        `Deletes the lines that set Docker Content Trust in ${[...byFile.keys()].join(', ')}. Pulls of Official Images work again in new ` +
        'shells (an open shell keeps the variable until you `unset DOCKER_CONTENT_TRUST`). Verify signatures with cosign instead.',
      kind: 'change',
      risk: 'safe',
      changes,
      commands: [],
      warnings: [],
    },
  ];
}

/**
 * The signature check for the images of the repository's Dockerfiles in this run: a new workflow,
 * or lines added to docker-harden's own one. None when that workflow was changed so far that no
 * `cosign verify` line is left.
 */
async function verifyWorkflowProposal(ctx: Context, root: string, own: CiFile | undefined, dockerfiles: readonly string[]): Promise<Proposal | undefined> {
  const listed = own ? verifiedImages(own.text) : [];
  const images: string[] = [];
  for (const file of dockerfiles) {
    // One that does not parse reports itself; its images are added when it is fixed and checked again.
    const model = await ctx.runDockerfile(file).catch(() => null);
    if (!model) continue;
    for (const image of signable(baseImages(model.text, model.ast), copyFromImages(model))) if (!listed.includes(image) && !images.includes(image)) images.push(image);
  }
  const file = path.join(root, '.github', 'workflows', VERIFY_WORKFLOW);
  const after = !own ? verifyWorkflow(images) : images.length > 0 ? withVerifiedImages(own.text, images) : null;
  if (after === null) return undefined;
  const many = dockerfiles.length > 1 ? ` of the ${dockerfiles.length} Dockerfiles checked here` : '';
  return {
    id: 'ci-verify',
    title: own ? `Verify ${images.join(', ')} in ${path.relative(root, file)} too` : `Add a CI job that verifies the base image signatures${many} with cosign (${path.relative(root, file)})`,
    description: 'A GitHub Actions workflow that installs cosign and runs `cosign verify` on each base image before anything is built on it. It fails until the signer identity is filled in: check that each image is signed by its publisher.',
    kind: 'change',
    risk: 'review',
    changes: [{ path: file, before: own?.text ?? (await ctx.probe.readText(file)), after, mode: 0o644 }],
    commands: [],
    warnings: [
      'The job fails until COSIGN_CERTIFICATE_IDENTITY_REGEXP names the signer your image publisher documents: a signature only means something when you know whose it must be.',
      'Images that are not signed (many Docker Hub images) cannot pass: verify the ones that are, pin the others by digest.',
    ],
  };
}

function dependabotProposal(root: string, dockerfiles: readonly string[]): Proposal {
  const directories = [...new Set(dockerfiles.map((d) => '/' + path.relative(root, path.dirname(d)).split(path.sep).join('/')))].sort();
  const file = path.join(root, '.github', 'dependabot.yml');
  return {
    id: 'dependabot',
    title: `Keep base image digests fresh with Dependabot (.github/dependabot.yml${directories.length > 1 ? `, ${directories.length} folders` : ''})`,
    description: 'Dependabot opens a pull request when a pinned base image has a newer digest or tag, so pinning does not freeze security fixes out.',
    kind: 'change',
    risk: 'safe',
    changes: [{ path: file, before: null, after: dependabotConfig(directories), mode: 0o644 }],
    commands: [],
    warnings: [],
  };
}
