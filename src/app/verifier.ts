// Proof by run (`--verify`), for fix and the wizard alike.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Args } from '../args.js';
import type { Io } from './batch.js';
import { filesComposeReads, type ApplyOptions } from '../core/runner.js';
import { UserError } from '../core/errors.js';
import type { BuildFlags, ContainerObservation, ServiceImage, VerifyOutcome } from '../core/verify.js';
import { onSignalExit, stopSignal } from '../core/signals.js';
import type { Context, Target } from '../core/step.js';
import { safeLine } from '../core/sanitize.js';
import { resolveEndpoint } from '../host/client.js';
import { howBuilt, type BuildingService } from '../../steps/lib/build-context.js';

/**
 * `fix --verify`: the daemon must answer before anything changes; then what a target names is run
 * before and after each change written to it (src/core/verify.ts): a Dockerfile's image built and
 * run, a compose file's changed services run with their settings. A reason to refuse goes to the
 * engine. Other files a step writes for a target (a CI job) are not what runs, so nothing proves them.
 */
export async function changeVerifier(args: Args, io: Io, log: (line: string) => void): Promise<ChangeVerifier> {
  const [{ composeBuildFlags, daemonUnreachable, removeImages, verifyComposeChange, verifyDockerfileAsService, verifyDockerfileChange }, { composeAsRun }] = await Promise.all([import('../core/verify.js'), import('../compose/later-files.js')]);
  const { host } = resolveEndpoint({ dockerHost: args.dockerHost, env: io.env });
  const why = await daemonUnreachable(host);
  if (why) throw new UserError(`--verify needs a Docker daemon, and ${host} does not answer: ${why}`, 'Start dockerd, or name one with --docker-host; nothing was changed.');
  const settle = args.verifyWait ? { settleMs: args.verifyWait * 1000 } : {};
  const seen = new Map<string, ContainerObservation>();
  // A service's image built once for all the proofs of the run, removed when the run ends, by a signal too.
  const built = new Map<string, ServiceImage>();
  const close = () => removeImages(host, built);
  const unregister = onSignalExit(close);
  const forTarget = (ctx: Context): NonNullable<ApplyOptions['verify']> => async (_proposal, written) => {
    const target = ctx.target;
    if (target.kind === 'host') return null;
    const { kind, path: file } = target;
    for (const w of written) {
      if (path.resolve(w.path) !== path.resolve(file)) {
        log(`verify: ${w.path} is not the ${kind === 'compose' ? 'compose file' : 'Dockerfile the image is built from'}, so no run proves it: checked as fix always checks it`);
        continue;
      }
      if (!w.backup) continue;
      const [before, after] = await Promise.all([readFile(w.backup, 'utf8'), readFile(w.path, 'utf8')]);
      let outcome: VerifyOutcome | undefined;
      if (kind === 'compose') {
        // The services as compose runs them: with what the files it reads before and after this one set.
        const others = (await filesComposeReads(ctx, path.resolve(file))).files.filter((f) => f !== path.resolve(file));
        if (others.length > 0) log(`verify: running the services as docker compose runs them, with ${others.map((f) => safeLine(path.relative(path.dirname(file), f))).join(', ')}`);
        outcome = await verifyComposeChange({ host, file: w.path, before, after, log, seen, built, asRun: (text) => composeAsRun(ctx, text, w.path), ...settle });
      }
      else {
        const { service, buildArgs, ...context } = await buildContextOf(ctx, file);
        const { asService, serviceArgs } = await serviceToRunAs(ctx, file, service, log, { before, after });
        if (asService) {
          const asRun = (text: string) => composeAsRun(ctx, text, asService.file);
          outcome = await verifyDockerfileAsService({ host, before, after, contextDir: context.contextDir, composeFile: asService.file, service: asService.name, log, seen, built, asRun, ...settle });
        }
        // Unproven as the service (a dependency never healthy here, a file it needs missing): the
        // image alone, as without a compose file.
        if (!outcome || (!outcome.ok && outcome.unproven)) {
          if (outcome) log(`verify: as service ${safeLine(asService!.name)}: ${safeLine(outcome.reason.split('\n')[0]!)}; proving the image alone`);
          // With the build arguments of the service that builds it (not its stage: the image alone is
          // the last), else those the CI line that builds it writes out.
          const buildFlags = serviceArgs ?? (buildArgs ? composeBuildFlags({ context: '.', args: buildArgs }, new Map()) : undefined);
          outcome = await verifyDockerfileChange({ host, before, after, ...context, log, seen, ...(buildFlags ? { buildFlags } : {}), ...settle });
        }
      }
      // Ctrl-C reaches the docker commands of the proof too, and cuts its runs short: what it saw then proves nothing.
      const stopped = stopSignal();
      if (stopped) return { unproven: true, reason: `it could not be proven: ${stopped} came during the proof, which stopped it` };
      if (!outcome.ok) return { unproven: outcome.unproven === true, reason: outcome.reason };
      log(`verify: ${outcome.reason}`);
    }
    return null;
  };
  return Object.assign(forTarget, {
    async close() {
      unregister();
      await close();
    },
  });
}

/**
 * The compose service a Dockerfile is proven as: the one that builds it, which runs it as it runs,
 * with its command, environment and what it depends on (an app that waits for its database is not
 * up alone, only asleep), with what the files compose reads with its file set. Not when it or what
 * it depends on turns Docker's defaults off: asked to prove a Dockerfile, the proof does not run
 * what the compose file grants; nor when its run would not show the change. Also the service's
 * build arguments, which the image alone is built with.
 */
async function serviceToRunAs(
  ctx: Context,
  file: string,
  service: BuildingService | undefined,
  log: (line: string) => void,
  texts: { before: string; after: string },
): Promise<{ asService?: BuildingService; serviceArgs?: BuildFlags }> {
  if (!service) return {};
  const named = `service ${safeLine(service.name)} of ${safeLine(path.relative(path.dirname(file), service.file))}`;
  const { weakenings: [weakened], ownHealthcheck, user, target, serviceArgs } = await asComposeRunsIt(ctx, service);
  const alone = (why: string, changed?: string) => {
    log(`verify: ${named} ${why}: proving the image alone${changed ? `, whose ${changed} changed` : ''}`);
    return { ...(serviceArgs ? { serviceArgs } : {}) };
  };
  if (weakened) return alone(`builds it, but ${safeLine(weakened)}`);
  const change = await dockerfileChange(texts);
  // It builds a stage before the one the change is in: its run is the same before and after.
  if (target !== undefined && change.leaves(target)) return alone(`builds its stage ${safeLine(target)}, which the change leaves as it was`);
  // The service runs its own user, or its own test, in place of the one the change sets: its run proves nothing of the change.
  if (user !== undefined && change.user) return alone(`builds it, but runs it as ${safeLine(user)} (its user:) in place of the image's USER`, 'USER');
  if (ownHealthcheck && change.healthcheck) return alone(`builds it, but ${ownHealthcheck === 'disabled' ? 'turns its HEALTHCHECK off' : "runs its own healthcheck in place of the image's"}`, 'HEALTHCHECK');
  log(`verify: proving it as ${named} runs it`);
  return { asService: service, ...(serviceArgs ? { serviceArgs } : {}) };
}

/**
 * The building service as docker compose runs it: what of Docker's defaults it and what it depends
 * on turn off (step 1's findings, as "service app runs privileged"), whether its own `healthcheck:`
 * replaces or turns off the image's, the `user:` it runs as in place of the image's USER, the stage
 * it builds, and its build arguments (`args:`) as compose passes them.
 */
async function asComposeRunsIt(
  ctx: Context,
  service: BuildingService,
): Promise<{ weakenings: string[]; ownHealthcheck: 'disabled' | 'replaced' | null; user?: string; target?: string; serviceArgs?: BuildFlags }> {
  const [{ serviceAsRun }, { dependenciesOf, ownHealthcheck }, { serviceWeakenings }, { dotEnvBeside }, { composeBuildFlags }] = await Promise.all([
    import('../compose/later-files.js'),
    import('../compose/run-args.js'),
    import('../../steps/lib/workload.js'),
    import('../compose/interpolate.js'),
    import('../core/verify.js'),
  ]);
  const asRun = await serviceAsRun(ctx, service.file, service.name);
  if (!asRun) return { weakenings: [], ownHealthcheck: null };
  const { model, service: known } = asRun;
  const args = known.build?.args;
  return {
    weakenings: [known, ...dependenciesOf(model, known).map((d) => d.service)].flatMap((s) => serviceWeakenings(s).map((w) => w.message.split(':')[0]!)),
    ownHealthcheck: ownHealthcheck(known.value),
    ...(known.user !== undefined ? { user: known.user } : {}),
    ...(known.build?.target ? { target: known.build.target } : {}),
    ...(args ? { serviceArgs: composeBuildFlags({ context: known.build!.context, args }, await dotEnvBeside(service.file)) } : {}),
  };
}

/**
 * What a Dockerfile change does, each text parsed once: whether it sets another USER for the final
 * stage, adds, removes or changes a HEALTHCHECK, and whether it leaves a stage and all before it as
 * they were (the text up to that stage's last line the same: a stage builds only on earlier ones).
 */
async function dockerfileChange({ before, after }: { before: string; after: string }): Promise<{ user: boolean; healthcheck: boolean; leaves(stage: string): boolean }> {
  const [{ parseDockerfile }, { finalUserOf }] = await Promise.all([import('../dockerfile/model.js'), import('../core/verify.js')]);
  const parse = (text: string) => {
    try {
      return parseDockerfile(text, 'Dockerfile');
    } catch {
      return null;
    }
  };
  const [was, now] = [parse(before), parse(after)];
  const healthchecks = (m: NonNullable<typeof was>) => m.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'HEALTHCHECK').map((i) => i.source.trim())).join('\n');
  const upTo = (m: typeof was, text: string, name: string): string | null => {
    const stage = m?.stages.find((s) => s.name === name.toLowerCase());
    return stage ? text.split('\n').slice(0, (stage.instructions.at(-1) ?? stage.from).endLine).join('\n') : null;
  };
  return {
    user: was !== null && now !== null && finalUserOf(was) !== finalUserOf(now),
    healthcheck: was !== null && now !== null && healthchecks(was) !== healthchecks(now),
    leaves: (name) => {
      const prefix = upTo(was, before, name);
      return prefix !== null && prefix === upTo(now, after, name);
    },
  };
}

/** The proof of each change to a target, and `close` to remove what the run's proofs built, once the run is done. */
export type ChangeVerifier = ((ctx: Context) => NonNullable<ApplyOptions['verify']>) & { close(): Promise<void> };

/**
 * Where the image is built from: where the repository builds the Dockerfile (a CI build line, a
 * compose file's build:, a Bake target, devcontainer.json, or the folder its COPY lines name), as
 * step 5's CI job builds it; else its own folder.
 */
async function buildContextOf(ctx: Context, file: string): Promise<{ contextDir: string; contextWhy?: string; service?: BuildingService; buildArgs?: [string, string][] }> {
  const own = { contextDir: path.dirname(file) };
  const { root, context: known } = await howBuilt(ctx, file);
  // Outside a repository: a compose file beside it that builds it from there (`build: .`).
  if (!root) return known?.service ? { ...own, service: known.service } : own;
  return known && !known.outside ? { contextDir: known.dir, contextWhy: known.why, ...(known.service ? { service: known.service } : {}), ...(known.buildArgs ? { buildArgs: known.buildArgs } : {}) } : own;
}

/** What --verify leaves unproven among the targets (the host's changes), said before anything is applied; null when nothing. */
export function unprovenTargets(targets: readonly Target[]): string | null {
  const hosts = targets.filter((t) => t.kind === 'host');
  if (hosts.length === 0) return null;
  return `--verify proves Dockerfile and compose changes: the changes to ${hosts.map((t) => safeLine(t.label)).join(', ')} are applied without it, checked as fix always checks them`;
}
