/**
 * Step 4: run as a non-root user. In a Dockerfile: the user the final stage runs as (its last USER,
 * inherited through `FROM <earlier stage>`, ARG defaults resolved) and sudo inside RUN. On a host:
 * running containers whose configured user is root.
 *
 * Over 400 lines: the fix depends on the image family and on what the image already provides, and
 * each case says why it is safe or not.
 */
import path from 'node:path/posix';
import { adviceProposal, defineStep, type CodeInfo, statusOf, type ChangeProposal, type CheckResult, type Context, type Finding, type Proposal, type Risk } from '../src/core/step.js';
import type { DockerfileModel, DockerInstruction, EffectiveUser, Stage } from '../src/dockerfile/model.js';
import { imagePath, isRootUser } from '../src/dockerfile/model.js';
import { applyEdits, insertLinesEdit, lineStarts, rangeEdit, type TextEdit } from '../src/dockerfile/edit.js';
import { APP_UID, canonicalName, createUserCommand, describeImage, rootProgramIn, type ImageKnowledge, type ImageUser, type RootProgram } from '../src/dockerfile/images.js';
import { commandArgv, createdUsers, handedOwners, heredocBodies, installedPackages, runCommands } from '../src/dockerfile/commands.js';
import { containerName } from './lib/workload.js';
import { readContextFile, readStartScript, type ScriptLine, type StartScript } from './lib/start-script.js';
import { buildingService } from './lib/building-service.js';

/** Instructions after which the user may change: everything that builds the file system. */
const BUILD_KEYWORDS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR', 'USER']);

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "DH-USER-ROOT": {
    title: "The image runs as root",
    severity: 'high',
    help: "Add a USER line with a non-root user to the final stage (the proposal creates one when the image has none).",
  },
  "DH-USER-UNRESOLVED": {
    title: "USER depends on a build argument with no default",
    severity: 'medium',
    help: "The user is whatever the build passes, root when it passes nothing. Give the ARG a non-root default.",
  },
  "DH-USER-NO-PASSWD": {
    title: "USER names a user in an image without /etc/passwd",
    severity: 'high',
    help: "An image built FROM scratch has no /etc/passwd, and a distroless image's has only root, nonroot and nobody, so a USER naming another user cannot be found and the container does not start. Use the numeric uid:gid, or copy /etc/passwd from the stage that creates the user.",
  },
  "DH-USER-SUDO": {
    title: "RUN uses sudo",
    severity: 'medium',
    help: "sudo in a build is either not needed (the build is root) or a way back to root. Switch USER around the commands that need root instead.",
  },
  "DH-CONTAINER-ROOT": {
    title: "A running container runs as root",
    severity: 'high',
    help: "Add a USER line to its image's Dockerfile, or recreate it with --user.",
  },
};

/** What check read of a Dockerfile: its model and the user the final stage runs as. */
interface State {
  model: DockerfileModel;
  user: EffectiveUser;
  /** A USER given by name in a scratch image without /etc/passwd. */
  unnamed: UnknownUser | null;
  /** What the files beside the Dockerfile say about its start (read only when the fix is a USER line). */
  facts: StartFacts;
  /** The user: of the compose service that builds the image, which it runs as there. */
  composeUser: { root: boolean; said: string } | null;
}

export default defineStep<State>({
  meta: {
    id: 'non-root-user',
    order: 4,
    title: 'Run as a non-root user',
    targets: ['dockerfile', 'host'],
    needsDaemon: true,
    summary: 'The final image runs its process as an unprivileged user, and no RUN needs sudo.',
    explain: [
      'A container process runs as root unless the image says otherwise. Root inside a container is the same uid 0 as root on the host, held back only by namespaces, capabilities and seccomp: one kernel bug or one careless mount (the Docker socket, a host directory) and it is root on the machine. An unprivileged user turns many such escapes into nothing.',
      'This step finds the user the final image runs as: the last USER line of the final stage, or the one it inherits through `FROM <earlier stage>`, with ARG defaults such as `USER ${APP_USER}` resolved. `root`, `0`, `root:root`, `0:0`, `root:<group>` and no USER at all mean root. It also flags `sudo` inside RUN: the build already runs as root, so sudo is either useless or a sign the image ships sudo for later use.',
      'The change adds a USER line after the last instruction that needs root and before CMD/ENTRYPOINT. Images that already carry a user get that user (node has `node`, distroless has `nonroot`); on Debian, Ubuntu, Alpine and BusyBox the change first creates a system user `app` with uid 10001; on scratch it uses the numeric `10001:10001`, which needs no /etc/passwd. What it may break: the app can no longer write to files owned by root (give such paths `COPY --chown=10001:10001` or a volume), install packages at run time, or bind ports below 1024 outside Docker\'s default network settings. The change is always `review` (applied by `fix --yes` only with --include-review or when named with --only): what an app writes at run time is not in its Dockerfile, so no reading of it proves that a user breaks nothing. `fix --verify` builds and runs the image before and after and keeps the change only if the container still starts, stays up and listens as before. Each risk the Dockerfile shows is named; where root is known to be needed (an init such as s6-overlay or my_init, gosu, a web server binding port 80) it is advice.',
      'A compose service that builds the image and sets `user:` runs it as that user in place of any USER line: the finding stays (the image run alone is root), the check says whom compose runs it as and at which line, and the USER fix says that compose keeps its own user there (and that a `user: root` there keeps it root whatever the image sets).',
      'On a host the step lists running containers whose configured user is root. It changes nothing there: rebuild their images with a USER line, or start them with `--user 10001:10001`.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Dockerfile reference: USER', url: 'https://docs.docker.com/reference/dockerfile/#user' },
      { title: 'Docker build best practices: USER', url: 'https://docs.docker.com/build/building/best-practices/#user' },
      { title: 'CIS Docker Benchmark 4.1: ensure a user for the container has been created', url: 'https://www.cisecurity.org/benchmark/docker' },
      { title: 'Trivy DS-0002 (root user) and DS-0010 (sudo)', url: 'https://avd.aquasec.com/misconfig/dockerfile/general/avd-ds-0002/' },
    ],
  },

  async check(ctx) {
    if (ctx.target.kind === 'host') return checkHost(ctx);
    const model = await ctx.dockerfile();
    const findings: Finding[] = [];
    const notes: string[] = [];
    const user = model.effectiveUser();
    const rootFinding = userFinding(model, user);
    if (rootFinding) findings.push(rootFinding);
    const unnamed = nameWithoutPasswd(model, user);
    if (unnamed) {
      findings.push({
        code: 'DH-USER-NO-PASSWD', fixedBy: 'numeric-user', message: `USER ${unnamed.name} names a user, but ${unnamed.why} and nothing copies an /etc/passwd into it: the container does not start ("unable to find user ${unnamed.name}")`,
        severity: 'high',
        file: model.path,
        line: unnamed.at.line,
        evidence: model.lineText(unnamed.at.line).trim(),
      });
    }
    const info = model.baseInfo();
    if (rootFinding && info.userNote) notes.push(`about ${canonicalName(model.baseImage()!)}: ${info.userNote}`);
    for (const { inst } of sudoRuns(model)) {
      // `sudo -u postgres ...` run as root drops privileges: it is needed, but another tool does it without sudo.
      const other = runCommands(inst).map((w) => (w[0] === 'sudo' ? /^(?:-u|--user)$/.test(w[1] ?? '') ? w[2] : /^--user=(.+)$/.exec(w[1] ?? '')?.[1] : undefined)).find((u) => u && !isRootUser(u));
      const user = model.userAt(stageOf(model, inst), inst);
      findings.push({
        code: 'DH-USER-SUDO', fixedBy: 'drop-sudo', message: other && isRootUser(user.spec)
          ? `RUN uses sudo -u ${other} to run a command as another user, which needs no sudo: \`runuser -u ${other} -- ...\` (util-linux) or \`su ${other} -s /bin/sh -c '...'\` does the same, and an image that ships sudo lets its user become root`
          : `RUN uses sudo: ${sudoContext(user)}, and an image that ships sudo lets its user become root`,
        severity: 'medium',
        file: model.path,
        line: inst.line,
        evidence: model.lineText(inst.line).trim(),
      });
    }
    notes.push(`final stage: FROM ${model.finalStage.imageText} (line ${model.finalStage.from.line}); runs as ${describeUser(user)}`);
    const composeUser = rootFinding?.code === 'DH-USER-ROOT' ? await composeUserOf(ctx, model) : null;
    if (composeUser) {
      notes.push(
        composeUser.root
          ? `${composeUser.said}: where docker compose starts it, it runs as root whatever USER the image sets`
          : `${composeUser.said}: where docker compose starts it, it does not run as root; run alone (docker run, another orchestrator), it does`,
      );
    }
    // Read here, for the USER fix: the files beside the Dockerfile that say how its container starts.
    const facts: StartFacts = user.root && user.unresolved.length === 0 ? { script: await startScriptRead(ctx, model), dockerAction: await dockerActionFile(ctx, model) } : {};
    return { status: statusOf(findings), findings, notes, state: { model, user, unnamed, facts, composeUser } };
  },

  async propose(_ctx, result) {
    // A host target has no state: its findings are about running containers, fixed where they are created.
    if (!result.state) return [];
    const { model, user, unnamed, facts, composeUser } = result.state;
    const proposals: Proposal[] = [];
    if (user.root && user.unresolved.length === 0) {
      const setUser = setUserProposals(model, facts);
      if (composeUser) {
        const where = composeUser.root ? 'it stays root whatever USER the image sets; change that user: too' : 'that user runs it, not the one this USER line sets, which is the user everywhere else the image runs';
        for (const p of setUser) p.warnings.push(`${composeUser.said}: where docker compose starts it, ${where}`);
      }
      proposals.push(...setUser);
    }
    if (unnamed) proposals.push(numericUserProposal(model, unnamed));
    const sudo = dropSudoProposal(model);
    if (sudo) proposals.push(sudo);
    return proposals;
  },
});

/**
 * The user: of the compose service that builds the image, which the container runs as in place of
 * the image's USER, said with where it is written; null when no service builds it, it sets none,
 * or the environment decides it (`${UID}` with no default).
 */
async function composeUserOf(ctx: Context, model: DockerfileModel): Promise<{ root: boolean; said: string } | null> {
  const building = await buildingService(ctx, model, 'user');
  const user = building?.service.user;
  if (!building?.written || user === undefined || user.includes('$')) return null;
  return { root: isRootUser(user), said: `${building.named}, which builds it, runs it as ${user} (its user: at ${building.written}) in place of any USER the image sets` };
}

/** A USER name the image's /etc/passwd does not have; `why` says what the image's file holds. */
interface UnknownUser {
  name: string;
  at: DockerInstruction;
  why: string;
  /** The image's own non-root user, a uid that is in its /etc/passwd. */
  ships?: { uid: number; gid: number };
}

/**
 * A USER given by name in a final chain whose base image's /etc/passwd the table knows (scratch has
 * none, distroless only root, nonroot and nobody) and lacks that name, where the chain brings no
 * /etc/passwd of its own (no COPY or ADD of it, of /etc or of a whole file system, and no RUN that
 * could write one).
 */
function nameWithoutPasswd(model: DockerfileModel, user: EffectiveUser): UnknownUser | null {
  if (user.root || user.source !== 'user' || !user.instruction || user.unresolved.length > 0 || /^\d*$/.test(user.user)) return null;
  const final = model.finalStage;
  const info = model.baseInfo(final);
  if (!info.users || info.users.includes(user.user)) return null;
  const chain = model.chainInstructions(final);
  const bringsPasswd = chain.some((i) => {
    if (i.keyword === 'RUN') return true;
    if (i.keyword !== 'COPY' && i.keyword !== 'ADD') return false;
    const words = i.args.trim().split(/\s+/);
    const destination = words.at(-1) ?? '';
    return /passwd/.test(i.args) || ['/', '/etc', '/etc/', '/etc/passwd'].includes(destination);
  });
  if (bringsPasswd) return null;
  const base = model.chain(final)[0]!;
  const why = info.family === 'scratch' ? 'the image is built FROM scratch' : `the /etc/passwd of ${base.imageText} has only ${info.users.join(', ')}`;
  return { name: user.user, at: user.instruction, why, ...(info.ships ? { ships: { uid: info.ships.uid, gid: info.ships.gid } } : {}) };
}

/**
 * The numeric uid for a USER name the image lacks: the one a build stage gave that user, else the
 * image's own non-root user by number (distroless nonroot, 65532), else 10001.
 */
function numericUserProposal(model: DockerfileModel, unnamed: UnknownUser): Proposal {
  const created = model.stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'RUN').flatMap((i) => createdUsers(i).map((c) => ({ ...c, at: i })));
  const same = created.find((c) => c.name === unnamed.name && c.uid !== null);
  const uid = same ? same.uid! : (unnamed.ships?.uid ?? APP_UID);
  const gid = same ? same.uid! : (unnamed.ships?.gid ?? APP_UID);
  const spec = `${uid}:${gid}`;
  const text = model.text;
  const edits = [rangeEdit(text, unnamed.at.range, `USER ${spec}`, lineStarts(text))];
  return {
    id: 'numeric-user',
    title: `Run as ${spec} by number`,
    kind: 'change',
    risk: 'review',
    description: `Replaces \`USER ${unnamed.name}\` at line ${unnamed.at.line} with \`USER ${spec}\`: a numeric user needs no /etc/passwd. ${same ? `Line ${same.at.line} creates ${unnamed.name} with uid ${uid} in an earlier stage, so files that stage made for it keep their owner.` : unnamed.ships ? `No stage gives ${unnamed.name} a uid, so the change uses the image's own non-root user, ${spec}.` : `No stage gives ${unnamed.name} a uid, so the change uses ${uid}.`}`,
    changes: [{ path: model.path, before: text, after: applyEdits(text, edits), edits }],
    commands: [],
    warnings: [`the group is ${gid} by number: if the app relies on another group (files copied with a group of their own), name that gid instead`],
  };
}

/** Who the build runs as where a RUN uses sudo, and so what to do about it. */
function sudoContext(user: EffectiveUser): string {
  const unknownBase = rootByGuess(user);
  if (unknownBase) return `unless ${unknownBase} sets a USER of its own (docker-harden does not know that image), the build runs as root here, so sudo is not needed`;
  return isRootUser(user.spec) ? 'the build already runs as root, so sudo is not needed' : 'the build already runs as a user that needs sudo to act as root; switch with USER root for that step instead';
}

function describeUser(user: EffectiveUser): string {
  if (user.source === 'none') return 'root (no USER anywhere in its chain)';
  if (user.source === 'image') return `${user.spec} (the base image's own user)`;
  return `${user.spec || '(empty)'} (USER at line ${user.instruction!.line})`;
}

function userFinding(model: DockerfileModel, user: EffectiveUser): Finding | null {
  const final = model.finalStage;
  if (user.unresolved.length > 0 && user.instruction) {
    return {
      code: 'DH-USER-UNRESOLVED', message: `USER ${user.instruction.args.trim()} depends on ${user.unresolved.map((v) => `$${v}`).join(', ')}, which has no default here, so the user is whatever the build passes (root when the value is empty or 0)`,
      severity: 'low',
      file: model.path,
      line: user.instruction.line,
      evidence: model.lineText(user.instruction.line).trim(),
    };
  }
  if (!user.root) return null;
  if (user.instruction) {
    const written = user.instruction.args.trim();
    const resolvedNote = written !== user.spec ? ` (${written} resolves to ${user.spec})` : '';
    const inherited = user.stage !== final;
    return {
      code: 'DH-USER-ROOT', fixedBy: 'set-user', message: inherited
        ? `the final stage (FROM ${final.imageText}, line ${final.from.line}) inherits USER ${user.spec} from stage ${stageLabel(user.stage)}${resolvedNote}, so the container runs as root`
        : `USER ${written}${resolvedNote} makes the container run as root`,
      severity: 'high',
      file: model.path,
      line: user.instruction.line,
      evidence: model.lineText(user.instruction.line).trim(),
    };
  }
  const root = model.chain(final)[0]!;
  const unknownBase = rootByGuess(user);
  const unless = unknownBase ? ` unless ${unknownBase} sets a USER of its own (docker-harden does not know that image)` : '';
  const drop = serverDrop(model, final);
  if (drop) {
    // Started its own way, the image's entrypoint hands the server to its user: what runs as root
    // is the entrypoint's first moments, so the finding says that, at low severity.
    return {
      code: 'DH-USER-ROOT', fixedBy: 'set-user', message:
        `the final stage (FROM ${final.imageText}) sets no USER, so the container starts as root; ${drop.why}, so the server itself runs as ${drop.user}`,
      severity: 'low',
      file: model.path,
      line: final.from.line,
      evidence: model.lineText(final.from.line).trim(),
    };
  }
  // A Windows image's administrator is ContainerAdministrator, its root.
  const admin = model.baseInfo(final).family === 'windows' ? "ContainerAdministrator (the Windows images' root)" : 'root';
  return {
    code: 'DH-USER-ROOT', fixedBy: 'set-user', message:
      root === final
        ? `the final stage (FROM ${final.imageText}) sets no USER, so the container runs as ${admin}${unless}`
        : `the final stage (FROM ${final.imageText}) and the stages it is built on set no USER, so the container runs as ${admin}${unless}`,
    severity: 'high',
    file: model.path,
    line: final.from.line,
    evidence: model.lineText(final.from.line).trim(),
  };
}

function stageLabel(stage: Stage): string {
  return stage.name ? `"${stage.name}" (line ${stage.from.line})` : `${stage.index} (line ${stage.from.line})`;
}

function stageOf(model: DockerfileModel, inst: DockerInstruction): Stage {
  return model.stages[Math.max(inst.stage, 0)]!;
}

function sudoRuns(model: DockerfileModel): { inst: DockerInstruction; stage: Stage }[] {
  const out: { inst: DockerInstruction; stage: Stage }[] = [];
  for (const stage of model.stages) {
    for (const inst of stage.instructions) {
      if ((inst.keyword === 'RUN' || inst.keyword === 'ONBUILD') && runCommands(inst).some((w) => w[0] === 'sudo')) out.push({ inst, stage });
    }
  }
  return out;
}

/** The USER line (and the RUN that creates the user) for the final stage's base image. */
interface UserPlan {
  user: string;
  createRun: string | null;
  warnings: string[];
  why: string;
}

function planUser(model: DockerfileModel, info: ImageKnowledge): UserPlan | null {
  const final = model.finalStage;
  // A user the Dockerfile already creates: switch to it rather than creating another.
  for (const inst of [...model.chainInstructions(final)].reverse()) {
    if (inst.keyword !== 'RUN') continue;
    const created = createdUsers(inst);
    const last = created[created.length - 1];
    if (last) {
      return {
        user: last.uid !== null ? `${last.uid}` : last.name,
        createRun: null,
        warnings: [],
        why: `line ${inst.line} already creates the user ${last.name}${last.uid !== null ? ` (uid ${last.uid})` : ''}; the image switches to it`,
      };
    }
  }
  const earlier = earlierUser(model, final);
  if (earlier) {
    return { user: earlier.spec, createRun: null, warnings: [], why: `line ${earlier.at.line} already runs as ${earlier.spec}; the image switches back to it after the steps that need root` };
  }
  const image = model.baseImage(final);
  const name = (image && canonicalName(image)) || final.imageText;
  // The base image runs as its own user; the Dockerfile switched to root for its steps.
  if (info.runsAs) {
    return { user: userSpec(info.runsAs), createRun: null, warnings: [], why: `${name} runs as ${info.runsAs.name}${info.runsAs.uid >= 0 ? ` (uid ${info.runsAs.uid})` : ''} by itself; the image switches back to it after the steps that need root` };
  }
  const handed = handedUser(model, final);
  const shipped = info.ships;
  if (shipped && (!handed || handed.name === shipped.name || handed.name === String(shipped.uid))) {
    return { user: userSpec(shipped), createRun: null, warnings: [], why: `${name} ships the user ${shipped.name}${shipped.uid >= 0 ? ` (uid ${shipped.uid})` : ''}${shipped.numeric ? `, written as ${userSpec(shipped)} so that Kubernetes' runAsNonRoot can verify it` : ''}` };
  }
  if (handed) {
    return {
      user: handed.spec,
      createRun: null,
      warnings: [],
      why: /^\d+$/.test(handed.name)
        ? `line ${handed.at.line} gives files to uid ${handed.name}, so the change switches to that uid, which owns them`
        : `line ${handed.at.line} gives files to ${handed.name}, so the image has that user and it owns them; the change switches to it`,
    };
  }
  if (info.family === 'scratch') {
    return {
      user: `${APP_UID}:${APP_UID}`,
      createRun: null,
      warnings: [],
      why: 'a scratch image has no /etc/passwd and no shell to create a user; a numeric uid:gid needs neither',
    };
  }
  const runner = startRunner(model, final);
  const create = info.noUserTools ? null : createUserCommand(info.family, runner !== null);
  if (create) {
    const home = runner ? `a home folder /home/app, where ${runner} keeps ${HOME_RUNNERS.get(runner.split(' ')[0]!)}` : 'no home';
    return {
      user: `${APP_UID}:${APP_UID}`,
      createRun: create,
      warnings: [],
      why: `${name} is ${info.family === 'busybox' ? 'BusyBox' : info.family === 'alpine' ? 'Alpine' : info.family === 'rhel' ? 'a Red Hat family' : info.family === 'ubuntu' ? 'Ubuntu' : 'Debian'} based: the change creates a system user app (uid ${APP_UID}, ${home}, no login shell) and switches to it by number`,
    };
  }
  if (info.family === 'distroless' || info.family === 'wolfi' || info.family === 'windows') return null;
  return {
    user: `${APP_UID}:${APP_UID}`,
    createRun: null,
    warnings: [`${info.noUserTools ? `${name} cannot create a user (${info.noUserTools})` : `docker-harden does not know how ${name} creates users`}, so the change uses the bare uid ${APP_UID}: it works without an /etc/passwd entry, but the process has no name and HOME is /; create a user with the image's own tools if the app needs one`],
    why: `a numeric uid works on any Linux image`,
  };
}

/**
 * Programs a container starts with that keep something under HOME, and what: package managers that
 * start an app through themselves (`uv run`, `npm start`) their cache, tor its DataDirectory.
 */
const HOME_RUNNERS = new Map<string, string>([
  ...['uv', 'uvx', 'poetry', 'pipenv', 'pdm', 'npm', 'npx', 'yarn', 'pnpm'].map((name): [string, string] => [name, 'its cache']),
  ['tor', 'its data (DataDirectory, ~/.tor when not run as root)'],
  ['pre-commit', 'the environments of its hooks (~/.cache/pre-commit)'],
]);

/** What a USER line names for an image's own user: its name, or `uid:gid` where the image is run by number. */
function userSpec(user: ImageUser): string {
  return user.numeric ? `${user.uid}:${user.gid}` : user.name;
}

/**
 * `read` of a stage, worked out once: the checks of the final stage ask for its chain and its start
 * again and again. A stage belongs to one parse of the file, which never changes (a file changed by
 * a fix is parsed into a new model).
 */
function perStage<T>(read: (model: DockerfileModel, stage: Stage) => T): (model: DockerfileModel, stage: Stage) => T {
  const known = new WeakMap<Stage, T>();
  return (model, stage) => {
    let value = known.get(stage);
    if (value === undefined) known.set(stage, (value = read(model, stage)));
    return value;
  };
}

/** The last ENTRYPOINT and the last CMD of the final chain, those there are, in that order. */
const startInstructions = perStage((model, final): readonly DockerInstruction[] => {
  const chain = model.chainInstructions(final);
  return Object.freeze([chain.filter((i) => i.keyword === 'ENTRYPOINT').at(-1), chain.filter((i) => i.keyword === 'CMD').at(-1)].filter((i): i is DockerInstruction => Boolean(i)));
});

/** The words of what the container starts with: the ENTRYPOINT, else the CMD. */
const startWords = perStage((model, final): readonly string[] => {
  const start = startInstructions(model, final)[0];
  return Object.freeze(start ? commandArgv(start).flatMap((w) => w.split(/\s+/)).filter((w) => w !== '') : []);
});

/** The package manager the container starts with (ENTRYPOINT, else CMD), as `uv run`; null for any other program. */
function startRunner(model: DockerfileModel, final: Stage): string | null {
  const words = startWords(model, final);
  // A shell form's `/bin/sh -c "exec uv run app"`: the program after the shell and exec.
  const program = words.find((w, i) => !(SHELLS.has(path.basename(w)) || w === '-c' || w === 'exec' || (i > 0 && w.startsWith('-') && SHELLS.has(path.basename(words[0]!)))));
  const name = program ? path.basename(program) : '';
  if (!HOME_RUNNERS.has(name)) return null;
  const next = words[words.indexOf(program!) + 1];
  return next && !next.startsWith('-') ? `${name} ${next}` : name;
}

/** A non-root USER earlier in the final chain, left for root (`USER root` to install, never switched back). */
function earlierUser(model: DockerfileModel, final: Stage): { spec: string; at: DockerInstruction } | null {
  for (const stage of [...model.chain(final)].reverse()) {
    for (const inst of [...stage.instructions].reverse()) {
      if (inst.keyword !== 'USER') continue;
      const { value, unresolved } = model.resolve(inst.args.trim(), stage, inst);
      if (unresolved.length === 0 && value !== '' && !isRootUser(value)) return { spec: value, at: inst };
    }
  }
  return null;
}

/**
 * The last owner the final chain gives files to (chown, COPY --chown), not root: it exists in the
 * image (the build fails otherwise) and owns what the app may write. A numeric owner keeps its group.
 */
function handedUser(model: DockerfileModel, final: Stage): { spec: string; name: string; at: DockerInstruction } | null {
  for (const stage of [...model.chain(final)].reverse()) {
    for (const inst of [...stage.instructions].reverse()) {
      for (const owner of handedOwners(inst).reverse()) {
        if (owner.includes('$')) continue;
        const [name = '', group] = owner.split(':');
        if (name === '' || isRootUser(name)) continue;
        const spec = /^\d+$/.test(name) && group !== undefined && /^\d+$/.test(group) ? `${name}:${group}` : name;
        return { spec, name, at: inst };
      }
    }
  }
  return null;
}

/** The instruction gives files to a user other than root (chown, COPY --chown). */
function givesFilesAway(inst: DockerInstruction): boolean {
  return handedOwners(inst).some((o) => !isRootUser(o.split(':')[0] ?? ''));
}

/** The names a chown may give the user by: its name or uid, and the other one where known. */
function userNames(model: DockerfileModel, final: Stage, info: ImageKnowledge, user: string): string[] {
  const name = user.split(':')[0]!;
  const names = new Set([name]);
  const created = model.chainInstructions(final).filter((i) => i.keyword === 'RUN').flatMap((i) => createdUsers(i));
  for (const c of created) {
    if (c.name !== name && String(c.uid) !== name) continue;
    [c.name, ...(c.uid !== null ? [String(c.uid)] : []), ...(c.uidVariable ? [`$${c.uidVariable}`, `\${${c.uidVariable}}`] : [])].forEach((n) => names.add(n));
  }
  if (info.ships && (info.ships.name === name || String(info.ships.uid) === name)) [info.ships.name, String(info.ships.uid)].forEach((n) => names.add(n));
  return [...names];
}

/**
 * The base image's entrypoint drops the whole server to its own user (postgres, redis, mysql),
 * and the Dockerfile keeps that start: no ENTRYPOINT of its own, and a CMD that is the server
 * (or only its flags), for which alone the entrypoint drops privileges.
 */
function serverDrop(model: DockerfileModel, final: Stage): { user: string; why: string } | null {
  const drops = model.baseInfo(final).startsAsRoot;
  if (!drops?.dropsTo) return null;
  const chain = model.chainInstructions(final);
  if (chain.some((i) => i.keyword === 'ENTRYPOINT')) return null;
  const cmd = chain.filter((i) => i.keyword === 'CMD').at(-1);
  const first = cmd ? commandArgv(cmd)[0]?.split(/\s+/)[0] : undefined;
  if (first !== undefined && !first.startsWith('-') && !drops.dropsTo.servers.includes(first.replace(/^.*\//, ''))) return null;
  return { user: drops.dropsTo.user, why: drops.why };
}

/**
 * The program the container starts (or the script its shell runs) made executable for its owner
 * alone (`chmod u+x`, `chmod 700`, `chmod 744`) by a RUN of the final chain: files COPY puts in the
 * image belong to root, so another user cannot run it.
 */
function ownerOnlyStart(model: DockerfileModel, final: Stage): { program: string; mode: string; at: DockerInstruction } | null {
  const words = startWords(model, final).filter((w) => !w.startsWith('-'));
  // A shell reads the script it is given (others need r); a program started itself needs x.
  const viaShell = SHELLS.has(path.basename(words[0] ?? ''));
  const workdir = model.workdir(final);
  const programs = (viaShell ? words.slice(1, 2) : words.slice(0, 1)).map((w) => path.resolve(workdir, w));
  if (programs.length === 0) return null;
  const ownerOnly = (mode: string) => (viaShell ? /^0?[0-7][0-7][0-3]$/.test(mode) : /^u\+[rwx]*x[rwx]*$/.test(mode) || /^0?[0-7][0-7][0246]$/.test(mode));
  for (const { inst, dir } of withWorkdirs(model, final)) {
    if (inst.keyword !== 'RUN') continue;
    for (const w of runCommands(inst)) {
      if (w[0] !== 'chmod') continue;
      const [mode, ...targets] = w.slice(1).filter((x) => !x.startsWith('-') || /^-[rwx]/.test(x));
      if (!mode || !ownerOnly(mode)) continue;
      const hit = targets.map((t) => path.resolve(dir, t)).find((t) => programs.includes(t));
      if (hit) return { program: hit, mode, at: inst };
    }
  }
  return null;
}

/** Each instruction of the final chain with its stage and the folder it runs in. */
const withWorkdirs = perStage((model, final): readonly { inst: DockerInstruction; stage: Stage; dir: string }[] =>
  Object.freeze(model.chain(final).flatMap((stage) => stage.instructions.map((inst) => ({ inst, stage, dir: model.workdir(stage, inst) })))),
);

/** Folders that hold programs, not one app's files: a COPY there is not an app folder. */
const SYSTEM_FOLDERS = new Set(['/', '/bin', '/sbin', '/usr', '/usr/bin', '/usr/sbin', '/usr/local', '/usr/local/bin', '/usr/local/sbin', '/opt', '/etc']);

/**
 * The app's folder when COPY or ADD put files there as root and the Dockerfile gives nothing to the
 * user (by name or uid): the final WORKDIR, or a folder copied whole that holds the program the
 * container starts (`COPY --from=build /mattermost /mattermost`, CMD /mattermost/bin/...). An app
 * that writes in its own folder (a SQLite file, uploads, its config, a cache such as .next/cache)
 * cannot as that user.
 */
function rootOwnedAppFolder(model: DockerfileModel, final: Stage, user: string[]): { workdir: string; at: DockerInstruction } | null {
  const chain = model.chain(final);
  if (chain.some((st) => st.instructions.some((i) => handedOwners(i).some((o) => user.includes(o.split(':')[0] ?? ''))))) return null;
  const workdir = model.workdir(final);
  // Programs named by a path, absolute or from the working folder (`./prod/rel/app/bin/app start`);
  // Windows paths (C:/app) are left out: what a container user may write there is not read here.
  const programs = startInstructions(model, final)
    .flatMap((i) => commandArgv(i).flatMap((w) => w.split(/\s+/)))
    .filter((w) => !w.startsWith('-') && w.includes('/') && !w.includes('://') && !/^[a-z]:/i.test(w))
    .map((w) => path.resolve(workdir, w));
  const program = startWords(model, final)[0];
  const started = program && /^\.?\.?\//.test(program) && workdir === '/' ? path.resolve(workdir, program) : program?.startsWith('/') ? program : undefined;
  const placed = withWorkdirs(model, final);
  for (const { inst, stage, dir } of placed) {
    if ((inst.keyword !== 'COPY' && inst.keyword !== 'ADD') || handedOwners(inst).length > 0) continue;
    const argv = commandArgv(inst);
    if (argv.length < 2) continue;
    const dest = imagePath(dir, model.resolve(argv.at(-1)!, stage, inst).value);
    let folder: string | undefined;
    if (workdir !== '/' && (dest === workdir || dest.startsWith(`${workdir}/`))) folder = workdir;
    else if (!SYSTEM_FOLDERS.has(dest) && programs.some((p) => p.startsWith(`${dest}/`))) folder = dest;
    // Copied into / (`COPY --from=build /app/_build .` with no WORKDIR) and started by its own path
    // (`./prod/rel/app/bin/app start`): that program's top folder. Only the program, not its
    // arguments: a base image may set a WORKDIR of its own that they are relative to.
    else if (dest === '/' && started?.startsWith('/')) folder = topAppFolder(started) ?? undefined;
    if (folder) return writableByAll(placed, folder) ? null : { workdir: folder, at: inst };
  }
  // An empty working folder WORKDIR made belongs to root too: a server that writes where it starts
  // (a game server's world and logs, a database file) cannot.
  const made = placed.filter(({ inst, dir }) => inst.keyword === 'WORKDIR' && dir === workdir).at(-1);
  if (made && !SYSTEM_FOLDERS.has(workdir) && !writableByAll(placed, workdir)) return { workdir, at: made.inst };
  return null;
}

/**
 * The user the app's own processes already run as when the container starts as root: PHP-FPM's
 * workers run as www-data (the pool's `user` in the official images' www.conf), so the app could
 * never write root's files, and USER www-data changes nothing there.
 */
function workersRunAs(model: DockerfileModel, final: Stage): string | null {
  const program = startWords(model, final)[0];
  const image = model.baseImage(final);
  const fpmImage = image !== null && /fpm/.test(image.tag ?? '') && ['php', 'wordpress', 'drupal', 'mediawiki', 'joomla', 'nextcloud'].includes(canonicalName(image));
  return (program ? /^php-?fpm[\d.]*$/.test(path.basename(program)) : fpmImage) ? 'www-data' : null;
}

/** Top-level folders of the file system layout, never one app's own. */
const FHS_TOP = new Set(['bin', 'boot', 'dev', 'etc', 'home', 'lib', 'lib32', 'lib64', 'libx32', 'media', 'mnt', 'opt', 'proc', 'root', 'run', 'sbin', 'srv', 'sys', 'tmp', 'usr', 'var']);

/** `/prod/rel/app/bin/app` -> /prod; `/opt/app/bin/x` -> /opt/app; a system path -> null. */
function topAppFolder(program: string): string | null {
  const [top, next] = program.split('/').filter(Boolean);
  // A program right in / (`/app-server`) has no folder of its own.
  if (!top || next === undefined) return null;
  if (!FHS_TOP.has(top)) return `/${top}`;
  return (top === 'opt' || top === 'srv') && next && program.split('/').filter(Boolean).length > 2 ? `/${top}/${next}` : null;
}

/** A RUN chmods the folder (or one above it) so that every user may write there: `chmod -R go=u /app`, `chmod 777`. */
function writableByAll(placed: readonly { inst: DockerInstruction; dir: string }[], folder: string): boolean {
  const othersWrite = (mode: string) =>
    /^0?[0-7]?[0-7][0-7][2367]$/.test(mode) || mode.split(',').some((clause) => /^[ugo]*[oa][ugo]*([+=][rstxX]*w|=u)/.test(clause));
  return placed.some(({ inst, dir }) => {
    if (inst.keyword !== 'RUN') return false;
    return runCommands(inst).some((w) => {
      if (w[0] !== 'chmod') return false;
      const [mode, ...targets] = w.slice(1).filter((x) => !x.startsWith('-') || /^-[rwxXst]/.test(x));
      return mode !== undefined && othersWrite(mode) && targets.some((t) => {
        const target = path.resolve(dir, t);
        return folder === target || folder.startsWith(`${target === '/' ? '' : target}/`);
      });
    });
  });
}

/**
 * Whether an instruction's text may hold a word with one of `parts`: words are pieces of the text
 * (a JSON `\u` escape aside), so a RUN of 150,000 commands is not split into words to learn that
 * none of them is `rails`.
 */
function mayHoldWord(inst: DockerInstruction, parts: readonly string[]): boolean {
  return inst.args.includes('\\u') || parts.some((p) => inst.args.includes(p));
}

/** Folders a Rails app writes to at run time (logs, pids and cache, SQLite, Active Storage), as Rails's own Dockerfile gives them to its user. */
const RAILS_WRITABLE = ['db', 'log', 'storage', 'tmp'];

function isRailsApp(chain: readonly DockerInstruction[]): boolean {
  return chain.some((i) => {
    if (i.keyword === 'ENV') return /(^|\s)RAILS_[A-Z_]+[=\s]/.test(i.args);
    if (i.keyword !== 'RUN' && i.keyword !== 'CMD' && i.keyword !== 'ENTRYPOINT') return false;
    if (!mayHoldWord(i, ['rails', 'assets:precompile', 'puma.rb', 'tmp/pids'])) return false;
    const words = i.keyword === 'RUN' ? runCommands(i).flat() : commandArgv(i).flatMap((w) => w.split(/\s+/));
    // Rails' generated config/puma.rb keeps its pid file in tmp/pids.
    return words.some((w) => path.basename(w) === 'rails' || w === 'assets:precompile' || /(^|\/)config\/puma\.rb$/.test(w) || /(^|\/)tmp\/pids(\/|$)/.test(w));
  });
}

/** Apps whose framework writes to folders of their own at run time, and those folders (relative to the WORKDIR). */
const FRAMEWORKS = [
  { name: 'Rails', folders: RAILS_WRITABLE, detect: isRailsApp, as: "as Rails's own Dockerfile does" },
  // Laravel's logs, cache, sessions, compiled views and Octane's state file; bootstrap/cache its package manifest.
  {
    name: 'Laravel',
    folders: ['storage', 'bootstrap/cache'],
    detect: isLaravelApp,
    as: "as Laravel's deployment guide asks (https://laravel.com/docs/deployment#directory-permissions)",
    // Octane writes in the app's own folder as well.
    warning: "Laravel Octane also writes in the app's folder at start (RoadRunner's .rr.yaml, FrankenPHP's public/frankenphp-worker.php): if the container starts Octane, give it the app's folder (`RUN chown -R <user> .` before the USER line)",
  },
] as const satisfies readonly { name: string; folders: readonly string[]; detect: (chain: readonly DockerInstruction[]) => boolean; as: string; warning?: string }[];

function isLaravelApp(chain: readonly DockerInstruction[]): boolean {
  return chain.some((i) => {
    if (i.keyword !== 'RUN' && i.keyword !== 'CMD' && i.keyword !== 'ENTRYPOINT') return false;
    if (!mayHoldWord(i, ['artisan'])) return false;
    const words = i.keyword === 'RUN' ? runCommands(i).flat() : commandArgv(i).flatMap((w) => w.split(/\s+/));
    return words.some((w) => path.basename(w) === 'artisan');
  });
}

/**
 * The RUN that gives a framework's writable folders to the new user, unless the final chain gives
 * the app's folder, a folder above it or those folders away already; the folders are relative to
 * the WORKDIR, so none without one.
 */
function frameworkFoldersRun(model: DockerfileModel, final: Stage, info: ImageKnowledge, user: string): { run: string; workdir: string; framework: (typeof FRAMEWORKS)[number] } | null {
  const chain = model.chainInstructions(final);
  if (!hasShellTools(chain, info)) return null;
  const framework = FRAMEWORKS.find((f) => f.detect(chain));
  const workdir = model.workdir(final);
  if (!framework || workdir === '/' || !workdir.startsWith('/')) return null;
  const needed = [workdir, ...framework.folders.map((f) => path.join(workdir, f))];
  const given = givenPaths(model, final);
  if (needed.some((n) => given.some((g) => n === g || n.startsWith(`${g === '/' ? '' : g}/`)))) return null;
  const folders = framework.folders.join(' ');
  return { run: `mkdir -p ${folders} && chown -R ${user} ${folders}`, workdir, framework };
}

/** The paths the final chain gives to a user other than root: `COPY --chown=u ... DEST`, `RUN chown [-R] u PATH...`. */
function givenPaths(model: DockerfileModel, final: Stage): string[] {
  const out: string[] = [];
  for (const { inst, stage, dir } of withWorkdirs(model, final)) {
    if (!givesFilesAway(inst)) continue;
    if (inst.keyword === 'COPY' || inst.keyword === 'ADD') {
      const argv = commandArgv(inst);
      if (argv.length >= 2) out.push(path.resolve(dir, model.resolve(argv.at(-1)!, stage, inst).value));
      continue;
    }
    for (const w of runCommands(inst)) {
      if (w[0] !== 'chown') continue;
      const [owner, ...paths] = w.slice(1).filter((x) => !x.startsWith('-'));
      if (owner && !isRootUser(owner.split(':')[0] ?? '')) out.push(...paths.map((p) => path.resolve(dir, model.resolve(p, stage, inst).value)));
    }
  }
  return out;
}

/** mkdir and chown need a shell's tools: a shell-form RUN in the chain shows the image has them. */
function hasShellTools(chain: readonly DockerInstruction[], info: ImageKnowledge): boolean {
  if (info.family === 'windows') return false;
  return chain.some((i) => i.keyword === 'RUN' && !i.args.trimStart().startsWith('[')) || (info.family !== 'scratch' && info.family !== 'distroless');
}

/** A VOLUME of the final chain and its folders that belong to root when the volume is made. */
interface RootOwnedVolume {
  inst: DockerInstruction;
  paths: string[];
}

/** A VOLUME's folder belongs to root unless the image gives it away before the VOLUME line. */
function rootOwnedVolumes(model: DockerfileModel, final: Stage): RootOwnedVolume[] {
  const given = new Set(model.chainInstructions(final).filter(givesFilesAway).flatMap((i) => i.args.split(/\s+/)));
  const out: RootOwnedVolume[] = [];
  for (const stage of model.chain(final)) {
    for (const inst of stage.instructions) {
      if (inst.keyword !== 'VOLUME') continue;
      const paths = commandArgv(inst).map((p) => model.resolve(p, stage, inst).value).filter((p) => p.startsWith('/') && !given.has(p));
      if (paths.length > 0) out.push({ inst, paths });
    }
  }
  return out;
}

/**
 * The user as `uid[:gid]`, for a chown that runs before the user exists (the RUN goes before the
 * VOLUME line, where a user created at the end of the file is not there yet); null when unknown.
 */
function numericOwner(model: DockerfileModel, final: Stage, info: ImageKnowledge, user: string): string | null {
  if (/^\d+(:\d+)?$/.test(user)) return user;
  // A user known by name only (Windows ContainerUser, pptruser) has no uid to give.
  if (info.ships?.name === user) return info.ships.uid >= 0 ? `${info.ships.uid}:${info.ships.gid}` : null;
  const created = model.chainInstructions(final).filter((i) => i.keyword === 'RUN').flatMap((i) => createdUsers(i)).find((c) => c.name === user && c.uid !== null);
  return created ? `${created.uid}` : null;
}

/** Something in the image that a USER line is known to break (advice) or may break (review). */
interface RootNeed {
  risk: Exclude<Risk, 'safe'>;
  why: string;
  instead: string;
  source?: string;
}

/** Packages whose only use in an image is an entrypoint that drops privileges. */
const PRIVILEGE_DROP_PACKAGES = new Set(['gosu', 'su-exec']);
/** `ENV GOSU_VERSION 1.17` or a RUN that fetches gosu/su-exec: the word as a name, not inside another. */
const DROP_TOOL_WORD = /(^|[^\w-])(gosu|su-exec|su_exec)(_version)?(?=[^\w-]|$)/i;

/** The start script (by the name the container runs it) as read from the build context, when it is there. */
interface ReadScript {
  name: string;
  script: StartScript;
}

async function startScriptRead(ctx: Context, model: DockerfileModel): Promise<ReadScript | undefined> {
  const start = startInstructions(model, model.finalStage);
  const script = startScript(start);
  if (script?.name.endsWith(' -c')) return undefined;
  if (script) {
    const read = await readStartScript(ctx, model, model.finalStage, script.name);
    return read ? { name: script.name, script: read } : undefined;
  }
  // A program of any name (`start`, `serve`) that the build context holds as a shell script is one.
  const program = start[0] ? commandArgv(start[0])[0] : undefined;
  if (!program || INITS.has(path.basename(program))) return undefined;
  const read = await readStartScript(ctx, model, model.finalStage, program, { shellScriptOnly: true });
  return read ? { name: program, script: read } : undefined;
}

/** What the files beside the Dockerfile say about how its container starts. */
interface StartFacts {
  script?: ReadScript;
  /** The action.yml of a GitHub Docker action built from this Dockerfile. */
  dockerAction?: string;
}

/** `action.yml` beside the Dockerfile when it makes this Dockerfile a Docker action's image (runs.using: docker, runs.image: Dockerfile). */
async function dockerActionFile(ctx: Context, model: DockerfileModel): Promise<string | undefined> {
  for (const name of ['action.yml', 'action.yaml']) {
    const text = await readContextFile(ctx, path.join(path.dirname(model.path), name));
    if (text === null) continue;
    const image = /^\s*image:\s*['"]?(?:\.\/)?([^'"\s#]+)['"]?\s*(#.*)?$/m.exec(text)?.[1];
    if (/^\s*using:\s*['"]?docker['"]?\s*(#.*)?$/m.test(text) && image === path.basename(model.path)) return name;
  }
  return undefined;
}

/** What a start script docker-harden read does as root, as a need; the plain "not read" one when it could not read it. */
function scriptNeed(script: { name: string; at: DockerInstruction }, read: StartScript | undefined): RootNeed {
  const starts = `line ${script.at.line} starts the container with ${script.name}`;
  const quote = (l: ScriptLine) => `${read!.file} line ${l.line}: \`${l.text}\``;
  if (read?.switches.length) {
    return {
      risk: 'advice',
      why: `${starts}, which switches to another user itself (${quote(read.switches[0]!)}): started as that user, it cannot switch, and the container does not start`,
      instead: 'keep the container starting as root and let the script hand the app to its user (the variables the script reads may choose that user)',
    };
  }
  if (read?.rootPrograms.length) {
    const hit = read.rootPrograms[0]!;
    return {
      risk: 'advice',
      why: `${starts}, which hands the container to ${hit.command} (${quote(hit)}): ${hit.program.why}`,
      instead: hit.program.instead,
      source: hit.program.source,
    };
  }
  if (read?.rootOnly.length) {
    const commands = [...new Set(read.rootOnly.map((l) => l.command))];
    return {
      risk: 'review',
      why: `${starts}, which runs ${commands.join(', ')} (${quote(read.rootOnly[0]!)}): as the new user that fails on files it does not own`,
      instead: 'do that at build time (a RUN before USER), or keep root if it must happen at each start',
    };
  }
  if (read) {
    return {
      risk: 'review',
      why: `${starts} (${read.file}, read: it switches no user and runs no chown, usermod or setcap); what it starts may still write where only root may`,
      instead: 'check that the container starts as the new user',
    };
  }
  return {
    risk: 'review',
    why: `${starts}, a script docker-harden does not read: if it needs root (usermod, chown, su, gosu), it fails as the new user`,
    instead: 'read the script; if it switches user itself, keep root and let it, otherwise check that the container starts as the new user',
  };
}

/** Why the final stage must start as root, or may need to: checked before any USER is proposed. */
function rootNeeds(model: DockerfileModel, final: Stage, info: ImageKnowledge, facts: StartFacts = {}): RootNeed[] {
  const needs: RootNeed[] = [];
  const read = facts.script;
  if (facts.dockerAction) {
    needs.push({
      risk: 'advice',
      why: `this Dockerfile is the image of a GitHub Docker action (${facts.dockerAction}: runs.using docker), and GitHub runs Docker actions as root: the workspace it mounts (GITHUB_WORKSPACE) belongs to the runner's user, which another user in the container cannot write`,
      instead: 'leave the action without a USER line, as GitHub asks, and keep what it runs to the workspace and its inputs',
      source: 'https://docs.github.com/en/actions/sharing-automations/creating-actions/dockerfile-support-for-github-actions#user',
    });
  }
  const image = model.baseImage(final);
  const start = startInstructions(model, final);
  // A root start that is the image's CMD runs only while the Dockerfile keeps it.
  const imageStart = info.startsAsRoot && !(info.startsAsRoot.viaCmd && start.length > 0) ? info.startsAsRoot : undefined;
  if (imageStart) {
    needs.push({ risk: 'advice', why: `${image ? canonicalName(image) : final.imageText}: ${imageStart.why}`, instead: imageStart.instead, source: imageStart.source });
  }
  const chain = model.chainInstructions(final);
  // The first root-only program ENTRYPOINT, then CMD, starts; the base image's own start (official
  // nginx) already says it must start as root.
  let started: { at: DockerInstruction; program: RootProgram; name: string } | null = null;
  for (const at of imageStart ? [] : start) {
    const hit = rootProgramIn(commandArgv(at).flatMap((w) => w.split(/\s+/)));
    if (hit) {
      started = { at, ...hit };
      break;
    }
  }
  const program = started?.program ?? null;
  if (started) {
    needs.push({ risk: 'advice', why: `line ${started.at.line} starts ${started.name}: ${started.program.why}`, instead: started.program.instead, source: started.program.source });
  }
  // A script the container starts with may need root (usermod, chown, su) in ways only reading it shows.
  // A script of another name counts once it was read as one (startScriptRead read what starts first).
  const script = program ? null : (startScript(start) ?? (read && start[0] ? { name: read.name, at: start[0] } : null));
  if (script) needs.push(scriptNeed(script, read?.name === script.name ? read.script : undefined));
  // Installed as a package, or downloaded the docker-library way (ENV GOSU_VERSION, then a RUN that fetches it).
  const downloaded = (i: DockerInstruction) => (i.keyword === 'ENV' || i.keyword === 'RUN' ? DROP_TOOL_WORD.exec(i.args)?.[2]?.toLowerCase() : undefined);
  const dropper = chain.find((i) => (i.keyword === 'RUN' && installedPackages(i).some((p) => PRIVILEGE_DROP_PACKAGES.has(p))) || downloaded(i));
  if (dropper && !program) {
    const pkg = installedPackages(dropper).find((p) => PRIVILEGE_DROP_PACKAGES.has(p)) ?? downloaded(dropper)!.replace('_', '-');
    const known = rootProgramIn([pkg])!.program;
    needs.push({ risk: 'advice', why: `line ${dropper.line} installs ${pkg}: the entrypoint drops privileges itself, ${known.why}`, instead: known.instead, source: known.source });
  }
  const onbuild = final.instructions.filter((i) => i.keyword === 'ONBUILD');
  if (onbuild.length > 0) {
    needs.push({
      risk: 'advice',
      why: `this is a parent image (ONBUILD at line ${onbuild.map((i) => i.line).join(', ')}): its triggers run in every image built FROM it, as the user it ends with, so a USER here makes their installs fail`,
      instead: 'keep the parent image as root and add USER at the end of each Dockerfile built FROM it',
      source: 'https://docs.docker.com/reference/dockerfile/#onbuild',
    });
  }
  const underRoot: string[] = [];
  for (const stage of model.chain(final)) {
    for (const inst of stage.instructions) {
      if (inst.keyword === 'WORKDIR' && /^\/root(\/|$)/.test(model.resolve(inst.args.trim(), stage, inst).value)) underRoot.push(`WORKDIR at line ${inst.line}`);
      if ((inst.keyword === 'COPY' || inst.keyword === 'ADD') && /(^|\s)\/root(\/|\s|$)/.test(model.resolve(inst.args.trim().split(/\s+/).at(-1) ?? '', stage, inst).value)) underRoot.push(`${inst.keyword} to /root at line ${inst.line}`);
      if (inst.keyword === 'ENV' && /PATH[= ][^\n]*\/root(\/|:|$)/.test(inst.args)) underRoot.push(`PATH under /root at line ${inst.line}`);
    }
  }
  if (underRoot.length > 0) {
    needs.push({
      risk: 'review',
      why: `the app lives under /root (${underRoot.join(', ')}), a folder only root may enter (mode 0700): a non-root user cannot run it or its tools`,
      instead: 'move the app and its tools to /app or /opt (WORKDIR, COPY and PATH), or give the folder to the new user with COPY --chown; check that the container starts',
    });
  }
  return needs;
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);

/** Init programs that start one child and only reap and forward signals to it. */
const INITS = new Set(['tini', 'tini-static', 'dumb-init', 'catatonit']);

/** The script the container starts with (ENTRYPOINT, else CMD): a shell, a `.sh` file, an `*entrypoint*`. */
function startScript(start: readonly DockerInstruction[]): { name: string; at: DockerInstruction } | null {
  const at = start[0];
  if (!at) return null;
  let argv = commandArgv(at);
  // An init that only reaps and forwards signals (tini -g -- /usr/bin/prepare.sh): the script is what it starts.
  if (INITS.has(path.basename(argv[0] ?? ''))) {
    const dashes = argv.indexOf('--');
    const program = argv.findIndex((x, i) => i > 0 && !x.startsWith('-'));
    argv = dashes >= 0 ? argv.slice(dashes + 1) : program > 0 ? argv.slice(program) : [];
  }
  const first = path.basename(argv[0] ?? '');
  if (SHELLS.has(first)) {
    const options = argv.slice(1).filter((a) => a.startsWith('-'));
    const script = argv.slice(1).find((a) => !a.startsWith('-'));
    return { name: options.includes('-c') || !script ? `${first} -c` : script, at };
  }
  if (/\.(sh|bash)$/.test(first) || /entrypoint/i.test(first)) return { name: argv[0]!, at };
  return null;
}

function adviceText(need: RootNeed): string {
  return `${need.why}. Instead: ${need.instead}${need.source ? ` (${need.source})` : ''}.`;
}

/**
 * The USER change, and where the app's folder belongs to root, a second way that gives the app its
 * folder: the first keeps the app from changing its own files, the second keeps an app that writes
 * there working. They are alternatives: fix applies the first, and with --verify the second when
 * the proof puts the first back.
 */
function setUserProposals(model: DockerfileModel, facts: StartFacts = {}): Proposal[] {
  const final = model.finalStage;
  const info = model.baseInfo(final);
  const needs = rootNeeds(model, final, info, facts);
  const advice = needs.filter((n) => n.risk === 'advice');
  if (advice.length > 0) {
    return [adviceProposal('set-user', 'Run as a non-root user the way this image supports (advice; not written)', advice.map(adviceText).join(' '))];
  }
  if (!info.autoUser) return [];
  const plan = planUser(model, info);
  if (!plan) return [];
  const writable = frameworkFoldersRun(model, final, info, plan.user);
  const appFolder = writable || workersRunAs(model, final) === plan.user ? null : rootOwnedAppFolder(model, final, userNames(model, final, info, plan.user));
  const plain = userChange(model, final, info, plan, needs, writable, appFolder, false);
  // A folder named plainly, in an image with a shell to chown it (Windows grants with icacls instead).
  if (!appFolder || !/^\/[\w./-]+$/.test(appFolder.workdir) || !hasShellTools(model.chainInstructions(final), info)) return [plain];
  const owning = userChange(model, final, info, plan, needs, writable, appFolder, true);
  return [
    { ...plain, group: 'set-user' },
    { ...owning, id: 'set-user-own-folder', title: `Run the final stage as ${plan.user}, owning ${appFolder.workdir}`, group: 'set-user' },
  ];
}

function userChange(
  model: DockerfileModel,
  final: Stage,
  info: ImageKnowledge,
  plan: NonNullable<ReturnType<typeof planUser>>,
  needs: RootNeed[],
  writable: ReturnType<typeof frameworkFoldersRun>,
  appFolder: ReturnType<typeof rootOwnedAppFolder>,
  giveFolder: boolean,
): ChangeProposal {
  const text = model.text;
  const starts = lineStarts(text);
  const edits: TextEdit[] = [];
  const given = giveFolder && appFolder ? `RUN chown -R ${plan.user} ${appFolder.workdir}` : null;
  const beforeUser = [...(plan.createRun ? [`RUN ${plan.createRun}`] : []), ...(writable ? [`RUN ${writable.run}`] : []), ...(given ? [given] : [])];
  const instructions = final.instructions;
  const lastUser = [...instructions].reverse().find((i) => i.keyword === 'USER');
  const lastBuild = [...instructions].reverse().find((i) => BUILD_KEYWORDS.has(i.keyword));
  const replacesUser = lastUser !== undefined && lastUser === lastBuild;
  // The last line before the new USER line (the USER root it replaces comes after it).
  const placementLine = replacesUser ? lastUser.line - 1 : (lastBuild ?? final.from).endLine;
  // Root-owned VOLUME folders are given to the user right before their VOLUME line (changes made
  // after it are lost), by number; one after the new USER line gets its RUN before that line.
  const owner = numericOwner(model, final, info, plan.user);
  const volumes = rootOwnedVolumes(model, final);
  const givenVolumes = owner && hasShellTools(model.chainInstructions(final), info) ? volumes.filter((v) => v.paths.every((p) => /^\/[\w./-]+$/.test(p))) : [];
  let volumeRunsBefore = 0;
  for (const volume of givenVolumes) {
    const run = `RUN mkdir -p ${volume.paths.join(' ')} && chown -R ${owner} ${volume.paths.join(' ')}`;
    if (volume.inst.line <= placementLine) {
      edits.push(insertLinesEdit(text, volume.inst.range.start.line - 1, [run], starts));
      volumeRunsBefore++;
    } else beforeUser.push(run);
  }
  const newLines = [...beforeUser, `USER ${plan.user}`];
  let placedAt: number;
  if (replacesUser) {
    // The final stage's last build instruction is `USER root`: it becomes the new user.
    if (beforeUser.length > 0) edits.push(insertLinesEdit(text, lastUser.range.start.line - 1, beforeUser, starts));
    edits.push(rangeEdit(text, lastUser.range, `USER ${plan.user}`, starts));
    placedAt = lastUser.line + volumeRunsBefore + beforeUser.length;
  } else {
    const anchor = lastBuild ?? final.from;
    edits.push(insertLinesEdit(text, anchor.range.end.line, newLines, starts));
    placedAt = anchor.endLine + 1 + volumeRunsBefore + beforeUser.length;
  }
  const after = applyEdits(text, edits);
  const volumesGiven = new Map(givenVolumes.map((v) => [v.inst, owner!]));
  const warnings = [...plan.warnings, ...userWarnings(model, final, info, volumes, volumesGiven), ...needs.map(adviceText)];
  if (writable && 'warning' in writable.framework) warnings.push(writable.framework.warning.replace('<user>', plan.user));
  // Windows images: files belong to ContainerAdministrator, --chown does not apply, icacls grants.
  const windows = info.family === 'windows';
  if (appFolder && given) {
    warnings.push(
      `${plan.user} owns ${appFolder.workdir} and everything in it, its code too: an intruder in the app can change the app's own files, which the plain USER change keeps root's; and the chown copies the folder's files into one more layer, so the image grows by their size. Prefer the plain change where the app does not write there`,
    );
  } else if (appFolder) {
    const what = appFolder.at.keyword === 'WORKDIR' ? `the app's working folder ${appFolder.workdir}, made by WORKDIR at line ${appFolder.at.line}, belongs` : `the app's folder ${appFolder.workdir} and what ${appFolder.at.keyword} put there (line ${appFolder.at.line}) belong`;
    const give = windows
      ? `grant it write access (\`RUN icacls "${appFolder.workdir.replace(/\//g, '\\')}" /grant "${plan.user}:(OI)(CI)M"\` before the USER line)`
      : `give it what it writes (${appFolder.at.keyword === 'WORKDIR' ? '' : `\`${appFolder.at.keyword} --chown=${plan.user}\`, or `}\`RUN chown -R ${plan.user} ${appFolder.workdir}\` before the USER line)`;
    warnings.push(`${what} to ${windows ? 'ContainerAdministrator' : 'root'}, so ${plan.user} cannot write there: an app that keeps data, uploads or a cache in its own folder (a SQLite file, .next/cache, Node-RED's settings) fails at run time; if it does, ${give}`);
  }
  else if (model.workdir(final) === '/' && (plan.createRun !== null || plan.warnings.length > 0)) {
    // No WORKDIR here or in the base image: the app starts in /, which a user made by this change cannot write.
    warnings.push(
      `the container starts in / (neither the Dockerfile nor ${model.chain(final)[0]!.imageText} sets a WORKDIR), which ${plan.user} cannot write: an app that writes relative paths there (./data, ./mlruns, a SQLite file) fails at run time; a WORKDIR the user owns (\`WORKDIR /app\` with \`RUN chown ${plan.user} /app\`) keeps those writes working`,
    );
  }
  const volumesText = givenVolumes.map((v) => `VOLUME ${v.paths.join(' ')} (line ${v.inst.line})`).join(', ');
  return {
    id: 'set-user',
    title: `Run the final stage as ${plan.user}`,
    // Never safe: what the app writes at run time (a pid file in /var/run, a home folder, a file
    // chmod 600, a folder given to another user) is not in the Dockerfile, and a user that exists
    // and owns some folders still breaks an app that writes elsewhere. `fix --verify` proves it.
    kind: 'change',
    risk: 'review',
    description:
      `Adds \`USER ${plan.user}\` at line ${placedAt}${plan.createRun ? `, after a RUN that creates it` : writable ? `, after a RUN that gives it the folders ${writable.framework.name} writes to` : ''}${given ? `${plan.createRun ? ' and' : ', after'} \`${given}\`, which gives it the app's folder` : ''}: ${plan.why}. ` +
      (writable ? `${writable.framework.name} writes to ${writable.framework.folders.join(', ')} under ${writable.workdir}: the change gives those folders to ${plan.user} first, ${writable.framework.as}. ` : '') +
      (givenVolumes.length > 0 ? `A new volume takes the owner of its folder in the image, and ${volumesText} belonged to root: a RUN before it gives the folder to ${owner}. ` : '') +
      (windows
        ? 'Instructions before it still run as ContainerAdministrator; the container process runs as the new user. Files that COPY or ADD put in the image belong to ContainerAdministrator (`--chown` does not apply to Windows images): if the app writes to some of them, grant ' +
          `${plan.user} write access with icacls before the USER line, or use a volume.`
        : `Instructions before it still run as root; the container process runs as the new user. Files that COPY or ADD put ${given ? `outside ${appFolder!.workdir}` : 'in the image'} belong to root: if the app writes to some of them, give those \`--chown=` +
          `${plan.user}\` or a volume.`),
    changes: [{ path: model.path, before: text, after, edits }],
    commands: [],
    warnings: [
      ...warnings,
      `what the app reads or writes at run time outside what ${plan.user} owns fails with "Permission denied" (a pid file in /var/run, a home folder, a file only root may read, a start script that switches user or gives files to another): prove it with \`fix --verify\` (build and run before and after), or build, run and use the app before you keep it`,
    ],
  };
}

function userWarnings(model: DockerfileModel, final: Stage, info: ImageKnowledge, volumes: RootOwnedVolume[], givenVolumes: Map<DockerInstruction, string>): string[] {
  const warnings: string[] = [];
  if (info.userNote) warnings.push(info.userNote);
  // A comment that says the image stays root (after the last build step, or just above USER root,
  // not "switch to root to install"): staying root is on purpose.
  const chosen = model.effectiveUser(final).instruction;
  if (chosen) {
    const lastBuild = [...final.instructions].reverse().find((i) => BUILD_KEYWORDS.has(i.keyword));
    const staysRoot = (line: number) =>
      /^\s*#.*\broot\b/i.test(model.lineText(line)) && (line > (lastBuild?.endLine ?? chosen.endLine) || /\b(stay|stays|keep|remain|must|needs?)\b|so (we|it) can/i.test(model.lineText(line)));
    for (let line = Math.max(1, chosen.line - 1); line <= model.lineCount; line++) {
      if (line === chosen.line || !staysRoot(line)) continue;
      warnings.push(
        `line ${line} says why the image stays root ("${model.lineText(line).trim().slice(0, 80)}"): the change undoes that; check what the container does as root (the Docker socket, a port below 1024, files only root may write) before you apply it`,
      );
      break;
    }
  }
  for (const { inst, paths } of volumes) {
    const owner = givenVolumes.get(inst);
    if (owner) {
      // Docker copies the folder's owner into a volume only when it creates the volume.
      warnings.push(
        `VOLUME ${paths.join(' ')} (line ${inst.line}): new volumes belong to the user now, but a volume made before this change keeps root as its owner; give it away once, e.g. \`docker run --rm -v <volume>:${paths[0]} busybox chown -R ${owner} ${paths[0]}\``,
      );
      continue;
    }
    // An image without a shell (scratch, distroless) cannot RUN mkdir: a folder is copied in, owned.
    const give = hasShellTools(model.chainInstructions(final), info)
      ? `\`RUN mkdir -p ${paths.join(' ')} && chown <user> ${paths.join(' ')}\``
      : `\`COPY --chown=<user> <an empty folder> ${paths[0]}\` (this image has no shell to RUN mkdir and chown)`;
    warnings.push(
      `VOLUME ${paths.join(' ')} (line ${inst.line}) starts out owned by root, so the new user cannot write there (a SQLite file, uploads): give ${paths.length === 1 ? 'it' : 'them'} to the user before that line, e.g. ${give}, as a new volume takes the owner of the folder in the image`,
    );
  }
  const ownerOnly = ownerOnlyStart(model, final);
  if (ownerOnly) {
    warnings.push(
      `line ${ownerOnly.at.line} leaves ${ownerOnly.program}, which the container starts, to its owner only (chmod ${ownerOnly.mode}), and its owner is root: the new user cannot run it; use chmod 755 (or a+rx) instead`,
    );
  }
  // What an image docker-harden does not know starts with (its own ENTRYPOINT, or its CMD when the
  // Dockerfile writes none) may need root: phusion's my_init, s6-overlay's /init, a chown script.
  const chain = model.chainInstructions(final);
  // A Dockerfile that switches to root itself (`USER root` to install) is built on an image that
  // starts as another user: going back to one is how the image already ran.
  const switchedToRoot = model.chain(final).some((st) => st.instructions.some((i) => i.keyword === 'USER' && isRootUser(model.resolve(i.args.trim(), st, i).value)));
  if (!info.known && !switchedToRoot && !chain.some((i) => i.keyword === 'ENTRYPOINT')) {
    const image = model.baseImage(final);
    const name = (image && canonicalName(image)) || final.imageText;
    const start = chain.some((i) => i.keyword === 'CMD') ? `its ENTRYPOINT, if it has one, which runs this CMD` : 'its own ENTRYPOINT and CMD, as the Dockerfile sets neither';
    warnings.push(
      `the container starts with what ${name} sets (${start}), and docker-harden does not know that image: if its start needs root (an init such as phusion's /sbin/my_init or s6-overlay's /init, a script that changes owners or switches user), the container fails to start as the new user; check \`docker inspect --format '{{.Config.Entrypoint}} {{.Config.Cmd}}' ${name}\` and that the container starts`,
    );
  }
  // The Docker CLI in the image talks to a daemon through a socket that belongs to root and the
  // host's docker group: as another user, without that group, it is refused.
  const dockerCli = chain.find((i) => i.keyword === 'RUN' && installedPackages(i).some((p) => DOCKER_CLI_PACKAGES.has(p)));
  if (dockerCli) {
    warnings.push(
      `line ${dockerCli.line} installs the Docker CLI: a mounted /var/run/docker.sock belongs to root and the host's docker group, so as the new user \`docker\` gets "permission denied" unless the container runs with --group-add <the socket's gid> (and the socket makes it root on the host either way)`,
    );
  }
  const low = listenPorts(model, final).filter((l) => l.port > 0 && l.port < 1024);
  if (low.length > 0) {
    warnings.push(
      `the image listens on port ${low.map((l) => `${l.port} (${l.where})`).join(', ')}, below 1024: Docker 20.10 and later let any user bind such ports in a container's own network, but with --network host or an older engine a non-root process cannot; if it fails to start, move it to a port of 1024 or more`,
    );
  }
  return warnings;
}

/** Packages that install the Docker command line (Docker's own repository, Debian, Alpine). */
const DOCKER_CLI_PACKAGES = new Set(['docker-ce-cli', 'docker-ce', 'docker.io', 'docker-cli', 'docker', 'moby-cli', 'podman-docker']);

/** Flags that take a port, and flags that take an address or URL with one (`-b 0.0.0.0:80`, `--urls http://+:80`). */
const PORT_FLAGS = new Set(['-p', '--port', '-port', '--http-port', '--listen-port', '--server.port', '-Dserver.port']);
const ADDRESS_FLAGS = new Set(['-b', '--bind', '--listen', '--urls', '--address']);
/** Variables servers read their port or address from, as the image or the Dockerfile sets them. */
const PORT_VARIABLES = ['ASPNETCORE_URLS', 'ASPNETCORE_HTTP_PORTS', 'PORT', 'HTTP_PORT', 'SERVER_PORT'];

/** The port of `8080`, `:80`, `0.0.0.0:80`, `http://+:80/`, `tcp://[::]:80`; each of a `;` or `,` list. */
function portsOf(value: string): number[] {
  return value.split(/[;,]/).flatMap((part) => {
    const m = /^(?:\d{1,5}|.*:(\d{1,5})\/?)$/.exec(part.trim());
    return m ? [Number(m[1] ?? part.trim())] : [];
  });
}

/** The ports the image listens on, as far as EXPOSE, the start command's flags and the known port variables say. */
function listenPorts(model: DockerfileModel, final: Stage): { port: number; where: string }[] {
  const out: { port: number; where: string }[] = [];
  const add = (ports: number[], where: string) => {
    for (const port of ports) if (Number.isInteger(port) && !out.some((o) => o.port === port)) out.push({ port, where });
  };
  for (const stage of model.chain(final)) {
    for (const inst of stage.instructions) {
      if (inst.keyword !== 'EXPOSE') continue;
      for (const word of inst.args.trim().split(/\s+/)) add([Number(model.resolve(word, stage, inst).value.split('/')[0]!.split('-')[0])], `line ${inst.line}`);
    }
  }
  const start = startInstructions(model, final);
  for (const inst of start) {
    const words = commandArgv(inst).flatMap((w) => w.split(/\s+/));
    for (const [i, word] of words.entries()) {
      const [flag, inline] = word.startsWith('-') && word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
      const value = inline ?? words[i + 1];
      if (value === undefined) continue;
      if (PORT_FLAGS.has(flag)) add(/^\d{1,5}$/.test(value) ? [Number(value)] : [], `${inst.keyword} at line ${inst.line}: ${flag} ${value}`);
      else if (ADDRESS_FLAGS.has(flag)) add(portsOf(value), `${inst.keyword} at line ${inst.line}: ${flag} ${value}`);
    }
  }
  // A variable has a value only from an ARG or ENV line of the chain or the base image's own ENV:
  // most files have neither, and are not resolved five times to learn it.
  const anyVariables = model.chainInstructions(final).some((i) => i.keyword === 'ARG' || i.keyword === 'ENV') || model.baseInfo(final).env !== undefined;
  for (const name of anyVariables ? PORT_VARIABLES : []) {
    const value = model.resolve(`\${${name}}`, final).value;
    if (value) add(name.endsWith('URLS') ? portsOf(value) : portsOf(value).filter(Boolean), `${name}=${value}`);
  }
  return out;
}

/** sudo removed where the build already runs as root; USER root around the RUN where it does not. */
function dropSudoProposal(model: DockerfileModel): Proposal | null {
  const text = model.text;
  const starts = lineStarts(text);
  const edits: TextEdit[] = [];
  const warnings: string[] = [];
  const lines: number[] = [];
  const asRootNow: string[] = [];
  let guessed = false;
  for (const { inst, stage } of sudoRuns(model)) {
    const stripped = stripSudo(inst.source);
    if (stripped === null) {
      warnings.push(`line ${inst.line} runs sudo in a way docker-harden does not remove by itself (options such as -u or -g, or after env); change it by hand`);
      continue;
    }
    const current = model.userAt(stage, inst);
    lines.push(inst.line);
    const unknownBase = rootByGuess(current);
    if (unknownBase) {
      guessed = true;
      warnings.push(`line ${inst.line}: docker-harden does not know which user ${unknownBase} builds as and takes it for root; if that image sets a USER of its own, this RUN needs root: put USER root before it and that user back after it`);
    }
    if (inst.keyword === 'ONBUILD' || current.root) {
      edits.push(rangeEdit(text, inst.range, stripped, starts));
    } else {
      // The RUN needs root while the stage runs as another user: switch for that one step.
      const back = current.instruction ? current.instruction.args.trim() : current.spec;
      edits.push(rangeEdit(text, inst.range, `USER root${model.eol}${stripped}${model.eol}USER ${back}`, starts));
      // Its commands that sudo did not run now run as root too: what they make belongs to root.
      const others = runCommands(inst).filter((words) => words[0] !== 'sudo');
      if (others.length > 0) {
        asRootNow.push(`line ${inst.line}: ${others.map((w) => `\`${w.join(' ')}\``).join(', ')} ran as ${back} and now run${others.length === 1 ? 's' : ''} as root too, so what ${others.length === 1 ? 'it makes' : 'they make'} belongs to root and ${back} cannot write it; if ${back} must, move ${others.length === 1 ? 'it' : 'them'} to a RUN of ${others.length === 1 ? 'its' : 'their'} own after \`USER ${back}\``);
      }
    }
  }
  if (edits.length === 0) return null;
  return {
    id: 'drop-sudo',
    title: `Remove sudo from RUN (line ${lines.join(', ')})`,
    description:
      'Build steps run as the user in effect at that point, root unless a USER line changed it. Where that is root, sudo is dropped; where it is another user, the RUN is wrapped in `USER root` and a switch back. If the image installs the sudo package, remove it too so the final user cannot become root.',
    changes: [{ path: model.path, before: text, after: applyEdits(text, edits), edits }],
    commands: [],
    warnings: [...warnings, ...asRootNow],
    // Only sudo goes: the RUN does what it did, as the same user (when that user is known, and
    // every command of a RUN run as another user was sudo's).
    kind: 'change',
    risk: guessed || asRootNow.length > 0 ? 'review' : 'safe',
  };
}

/**
 * The base image, when a user is root only because nothing says otherwise and docker-harden does
 * not know that image: it may set a USER of its own (gitpod/workspace-full, many builder images).
 */
function rootByGuess(user: EffectiveUser): string | null {
  if (user.source !== 'none') return null;
  const image = user.stage.image;
  if (image && describeImage(image).known) return null;
  return image ? canonicalName(image) : user.stage.imageText;
}

/** sudo options that change nothing about who runs the command, so sudo can go with them. */
const HARMLESS_SUDO_OPTIONS = /^(\s+(-[EHnSkPi]+|--preserve-env(=\S+)?|--non-interactive|--set-home|--login))*$/;

/**
 * The instruction text without `sudo` (and its flag-only options) where sudo is the command: at the
 * start of the RUN or after `&&`, `||`, `;`, `|`, `(`, `exec`, `then`, `do`, `sh -c "`, a heredoc line...
 * A package or group named sudo (`apt-get install sudo`, `usermod -aG sudo dev`) stays. Null when
 * sudo has options that change the user (-u, -g...), or when the result would not be the same
 * commands without sudo.
 */
export function stripSudo(source: string): string | null {
  let out = '';
  let at = 0;
  // A here-document that is data (a sudoers file written with cat, a Python script) keeps its text.
  const data = heredocBodies(source).filter((b) => !b.shell);
  for (const m of source.matchAll(/(?<![\w./-])sudo((?:\s+-[A-Za-z]+|\s+--[a-z-]+(?:=\S+)?)*)\s+/g)) {
    if (!commandPosition(source.slice(0, m.index)) || data.some((b) => m.index >= b.start && m.index < b.end)) continue;
    if (m[1] && !HARMLESS_SUDO_OPTIONS.test(m[1])) return null;
    out += source.slice(at, m.index);
    at = m.index + m[0].length;
  }
  out += source.slice(at);
  // The same commands as the check sees them, each without its leading sudo: nothing else moved.
  // Subshells and command substitutions count as separators here, on both sides alike.
  const commands = (text: string) => {
    const m = /^\s*(ONBUILD|RUN)\s+([\s\S]*)$/i.exec(text);
    const args = (m?.[2] ?? '').replace(/\\\r?\n/g, ' ').replace(/[()`{}]/g, ' ; ');
    return m ? runCommands({ keyword: m[1]!.toUpperCase(), args } as DockerInstruction) : [];
  };
  const withoutSudo = commands(source).map((w) => (w[0] === 'sudo' ? dropSudoWord(w) : w));
  return JSON.stringify(withoutSudo) === JSON.stringify(commands(out)) ? out : null;
}

function dropSudoWord(words: readonly string[]): readonly string[] {
  let i = 1;
  while (i < words.length && words[i]!.startsWith('-')) i++;
  return words.slice(i);
}

/** Whether a command starts right after `before` (trailing blanks and line continuations aside). */
function commandPosition(before: string): boolean {
  const trimmed = before.replace(/(?:[ \t]|\\\r?\n)+$/, '');
  if (/^\s*(?:ONBUILD\s+)?RUN(?:\s+--\S+)*$/i.test(trimmed)) return true;
  return /(?:&&|\|\||[;|(`{\n]|\$\(|(?:^|[\s;])(?:exec|then|else|elif|do|if|while|until|time)|-c\s+["']|-c["'],\s*["'])$/.test(trimmed);
}

async function checkHost(ctx: Context): Promise<CheckResult<never>> {
  const containers = await ctx.host.containers();
  let remapped = false;
  try {
    const info = await ctx.host.info();
    remapped = (info.SecurityOptions ?? []).some((o) => /name=(userns|rootless)/.test(o));
  } catch {
    /* info is only used to soften the severity */
  }
  const findings: Finding[] = [];
  for (const c of containers) {
    const user = c.Config?.User ?? '';
    if (!isRootUser(user)) continue;
    const name = containerName(c);
    findings.push({
      code: 'DH-CONTAINER-ROOT', message:
        `container ${name} (image ${c.Config?.Image ?? c.Image}) runs as root (Config.User ${user ? `"${user}"` : 'is empty'})` +
        (remapped ? '; user namespaces map that root to an unprivileged host user, which limits the damage' : '') +
        `: add a USER line to its image's Dockerfile (docker-harden check --file <that Dockerfile>), or recreate it with --user ${APP_UID}:${APP_UID}`,
      severity: remapped ? 'low' : 'high',
      evidence: `docker inspect ${name} --format '{{.Config.User}}' -> "${user}"`,
    });
  }
  return {
    status: statusOf(findings),
    findings,
    notes: [`${containers.length} running container${containers.length === 1 ? '' : 's'} looked at`],
  };
}
