/**
 * Step 14: a HEALTHCHECK for a long-running service. The final stage of an image that runs a
 * server (it EXPOSEs a port, sets ENV PORT for its server, or its CMD/ENTRYPOINT is a known server
 * program) should say how to tell that it still works. A probe is proposed only when the image is
 * known to carry it (the Dockerfile installs curl or wget; the python and node images' runtime
 * speaks HTTP; Alpine's BusyBox has wget; a database image has its own client);
 * otherwise the pattern is explained, never guessed. A port known not to speak HTTP never gets an
 * HTTP probe. A compose service that builds the image and runs its own healthcheck test covers it.
 */
import type { Env } from 'dockerfile-ast';
import { adviceProposal, defineStep, type CodeInfo, type Context, statusOf, type Finding, type Proposal } from '../src/core/step.js';
import type { DockerfileModel, DockerInstruction } from '../src/dockerfile/model.js';
import { applyEdits, insertLinesEdit } from '../src/dockerfile/edit.js';
import { commandArgv, packagesLeft } from '../src/dockerfile/commands.js';
import { canonicalName, effectiveTag, officialMirror } from '../src/dockerfile/images.js';
import { FASTCGI, NOT_HTTP, SERVER_PROTOCOLS, withPort, type Protocol, type ServerClient } from './lib/server-protocols.js';
import { buildingService } from './lib/building-service.js';

/** Programs that, run as the main process, serve until stopped. */
const SERVER_PROGRAMS = new Set(['nginx', 'httpd', 'apache2', 'caddy', 'haproxy', 'traefik', 'gunicorn', 'uvicorn', 'hypercorn', 'daphne', 'puma', 'unicorn', 'redis-server', 'postgres', 'mysqld', 'mongod', 'memcached', 'php-fpm', 'envoy']);

const CODES: Record<string, CodeInfo> = {
  'CIS-4.6': {
    title: 'A long-running service has no HEALTHCHECK',
    severity: 'low',
    help: 'Without a HEALTHCHECK, Docker only knows whether the process runs, not whether it answers. Add a HEALTHCHECK CMD that probes the service with a tool the image has. A compose service that builds the image and runs its own healthcheck: test counts for it.',
  },
  'DH-HEALTHCHECK-NONE': {
    title: 'HEALTHCHECK NONE turns the health check off',
    severity: 'info',
    help: 'HEALTHCHECK NONE disables any check inherited from the base image. Keep it only if something outside the image (an orchestrator probe) checks the service.',
  },
};

/** The port a probe would ask. */
interface Port {
  number: number;
  /** UDP (or SCTP): no HTTP probe reaches it. */
  udp: boolean;
  /** The ENV variable that sets it (`ENV PORT=3000`), which a run may set otherwise. */
  variable: string | null;
}

interface Service {
  /** The last CMD or ENTRYPOINT of the final stage (else its last EXPOSE): the HEALTHCHECK goes before it. */
  start: DockerInstruction;
  port: Port | null;
  /** The program the CMD or ENTRYPOINT runs (its file name); empty when the base image's start is kept. */
  program: string;
  why: string;
}

export default defineStep({
  meta: {
    id: 'healthcheck',
    order: 14,
    title: 'Add a HEALTHCHECK to services',
    targets: ['dockerfile'],
    summary: 'The final stage of a long-running service says, with a HEALTHCHECK, how Docker can tell it still answers.',
    explain: [
      'Docker restarts a container whose process exits, but a server that hangs, deadlocks or stops answering keeps running and looks healthy. A `HEALTHCHECK CMD` runs a probe inside the container at an interval; after a few failures the container is marked unhealthy, which `docker ps`, compose `depends_on: condition: service_healthy` and swarm act on.',
      'This step looks at the final stage: when it runs a server (it EXPOSEs a port, sets `ENV PORT` for its server, or its CMD or ENTRYPOINT is a known server program) and has no HEALTHCHECK, it says so. `HEALTHCHECK NONE` is reported for information: it turns off a check the base image may have. An image that a compose service builds and runs with its own `healthcheck:` test passes, since that test is what runs where docker compose starts it (a note says that the image run alone has none); where the service turns health checks off (`disable: true`), the fix says that a HEALTHCHECK added to the image does not run there.',
      'The probe must be a program the image has, and it must speak what the port speaks. When the Dockerfile installs curl (or wget), the change adds `HEALTHCHECK CMD curl -sS -o /dev/null http://localhost:PORT/ || exit 1` before the CMD, with the port from EXPOSE or ENV PORT (curl passes when the server answers HTTP at all; wget only on a 2xx or 3xx answer). With neither, on the official python or node image, the runtime itself asks (`HEALTHCHECK CMD ["python3", "-c", "import http.client ..."]` or `["node", "-e", "require(\'http\').get(...)"]`, exec form, so no shell is needed), passing on any HTTP answer as curl does; on another official Alpine image, the wget of its BusyBox. A port known not to speak HTTP (a database, DNS, mail, a game server, UDP) never gets an HTTP probe: where the server\'s own client is evidently in the image (`pg_isready` in the postgres image, `redis-cli` with redis-server), the change uses it; otherwise the step names that command. Without a probe, the step explains the pattern: slim and distroless images often have neither curl nor wget, so the usual way is a small probe built into the app (for example `HEALTHCHECK CMD ["/app/server", "--health"]`) or a static probe binary copied from a build stage.',
      'Every change is for review: a probe that asks the wrong port or path, or a server slow to start, marks a working container unhealthy. After applying, run the container and check `docker inspect --format \'{{json .State.Health}}\' CONTAINER`.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Dockerfile reference: HEALTHCHECK', url: 'https://docs.docker.com/reference/dockerfile/#healthcheck' },
      { title: 'CIS Docker Benchmark 4.6: Ensure HEALTHCHECK instructions have been added to container images', url: 'https://www.cisecurity.org/benchmark/docker' },
    ],
  },

  async check(ctx) {
    const model = await ctx.dockerfile();
    const findings: Finding[] = [];
    const service = serviceOf(model);
    if (!service) return { status: 'not-applicable', findings, notes: ['the final stage does not run a server (no EXPOSE, no ENV PORT, no known server program)'] };
    const health = lastHealthcheck(model);
    // The compose service that builds the image and turns health checks off: a HEALTHCHECK added here does not run there.
    let composeOff: { service: string; written: string } | undefined;
    if (!health && model.baseInfo().healthcheck) {
      return { status: 'pass', findings, notes: [`${model.chain()[0]!.imageText} defines a HEALTHCHECK, which this image inherits`] };
    }
    if (health && /^\s*NONE\s*$/i.test(health.args)) {
      findings.push({ code: 'DH-HEALTHCHECK-NONE', severity: 'info', file: model.path, line: health.line, evidence: model.lineText(health.line).trim(), message: `HEALTHCHECK NONE turns the health check off for ${service.why}; keep it only if an orchestrator probes the service` });
    } else if (!health) {
      const compose = await composeHealthcheck(ctx, model);
      if (compose?.kind === 'replaced') {
        return { status: 'pass', findings, notes: [`the final stage has no HEALTHCHECK, but ${compose.service}, which builds it, runs its own healthcheck test (${compose.written}), so Docker checks its health where docker compose starts it; run without compose (docker run, another orchestrator), the image has none`] };
      }
      if (compose) composeOff = compose;
      findings.push({ code: 'CIS-4.6', fixedBy: 'add-healthcheck', severity: 'low', file: model.path, line: service.start.line, evidence: model.lineText(service.start.line).trim(), message: `${service.why}, but the final stage has no HEALTHCHECK: Docker cannot tell a hung server from a working one; add a HEALTHCHECK CMD that probes it` });
    }
    return { status: findings.length === 0 ? 'pass' : statusOf(findings), findings, notes: [], state: { model, service, composeOff } };
  },

  async propose(_ctx, result) {
    if (!result.state || !result.findings.some((f) => f.code === 'CIS-4.6')) return [];
    const { composeOff } = result.state;
    const proposals = healthcheckProposals(result.state);
    if (composeOff) {
      const off = `${composeOff.service}, which builds this image, turns health checks off (its healthcheck: at ${composeOff.written}): where docker compose starts it, this HEALTHCHECK does not run; change that healthcheck: too`;
      for (const p of proposals) p.warnings.push(off);
    }
    return proposals;
  },
});

/** What to add for a server with no HEALTHCHECK: the change with a probe the image has, else advice on which probe to add. */
function healthcheckProposals({ model, service }: { model: DockerfileModel; service: Service }): Proposal[] {
  const before = `before line ${service.start.line}`;
  // Advice only, never written: what to probe with where docker-harden knows no probe that works.
  const advice = (title: string, description: string): Proposal[] => [adviceProposal('add-healthcheck', title, description)];
  const { port } = service;
  if (port?.udp) {
    return advice(
      "Add a HEALTHCHECK with the server's own status command",
      `Port ${port.number} is UDP: an HTTP probe (curl, wget) speaks TCP and cannot ask it. Add the server's own status command ${before}, or a check that its process runs.`,
    );
  }
  const protocol = protocolOf(model, service);
  if (protocol) {
    const probePort = port?.number ?? protocol.port;
    const client = protocol.client;
    const evidence = client ? clientEvidence(model, service, client) : null;
    if (!client || !evidence) {
      const subject = port ? `Port ${port.number} is ${protocol.name}` : `${service.program || 'The server'} speaks ${protocol.name}`;
      return advice(
        `Add a HEALTHCHECK that speaks ${protocol.name}`,
        `${subject}, not plain HTTP: an HTTP probe of it would always fail and mark the container unhealthy. Use the server's own health check ${before}, such as ${withPort(protocol.probe, probePort)}.`,
      );
    }
    const line = `${HEALTHCHECK_OPTIONS} CMD ${withPort(client.command, probePort)}`;
    return [healthcheckChange(model, service, line, {
      title: `Add a HEALTHCHECK that asks ${client.server} on port ${probePort} with ${client.program}`,
      description: `Adds "${line}" ${before}. ${evidence}, so ${client.program} is there; ${client.passes}.`,
      warnings: [withPort(client.caveat, probePort), ...portWarnings(port), STARTUP_WARNING, CHECK_HEALTH],
    })];
  }
  const installed = httpProbeTool(model);
  const runtime = installed || !port ? undefined : runtimeProbe(model);
  // BusyBox has a wget: the official alpine images and the official busybox image carry it without installing one.
  const busyboxWget = !installed && !runtime && model.baseInfo().known && (model.baseInfo().family === 'alpine' || officialImage(model)?.name === 'busybox');
  const tool = installed ?? (busyboxWget ? 'wget' : null);
  if (runtime && port) {
    const line = `${HEALTHCHECK_OPTIONS} CMD ${execForm(runtime.argv(port.number))}`;
    return [healthcheckChange(model, service, line, {
      title: `Add a HEALTHCHECK that asks http://127.0.0.1:${port.number}/ with ${runtime.program}`,
      description: `Adds "${line}" ${before}. The image is built on ${model.chain()[0]!.imageText}, so ${runtime.program} is there; every 30 s it asks GET / on port ${port.number} inside the container. It passes on any HTTP answer, even 404 or 500, so it tells a server that answers from one that hangs or is gone.`,
      warnings: [
        `the probe assumes the server answers plain HTTP on port ${port.number} inside the container, on 127.0.0.1: if it speaks TLS or another protocol there, or listens on another port or only on another address, every probe fails and the container is marked unhealthy`,
        ...portWarnings(port),
        STARTUP_WARNING,
        CHECK_HEALTH,
      ],
    })];
  }
  if (!tool || !port) {
    const target = port ? `http://localhost:${port.number}/` : 'http://localhost:PORT/ (PORT: the port the server listens on)';
    return advice(
      'Add a HEALTHCHECK with a probe the image has',
      `docker-harden does not know a probe this image carries. Add one ${before}${port ? ` that asks port ${port.number}` : ''}: with curl installed, HEALTHCHECK CMD curl -sS -o /dev/null ${target} || exit 1; in an image without curl or wget, a probe built into the app (HEALTHCHECK CMD ["/app/server", "--health"]) or a static probe binary copied from a build stage.`,
    );
  }
  const probe = HTTP_PROBES[tool];
  const url = probe.url(port.number);
  const line = `${HEALTHCHECK_OPTIONS} CMD ${probe.command(url)}`;
  return [healthcheckChange(model, service, line, {
    title: `Add a HEALTHCHECK that asks ${url} with ${tool}`,
    description: `Adds "${line}" ${before}.${busyboxWget ? ` The image is built on ${model.chain()[0]!.imageText}, ${model.baseInfo().family === 'alpine' ? 'an Alpine image whose BusyBox has wget' : 'whose BusyBox has wget'}.` : ''} Every 30 s it asks GET ${url} inside the container (path /, port ${port.number}); ${probe.passes}.`,
    warnings: [
      `the probe assumes the server answers plain HTTP on port ${port.number} inside the container: if it speaks TLS or another protocol there, or listens on another port or only on another address, every probe fails and the container is marked unhealthy`,
      ...portWarnings(port),
      STARTUP_WARNING,
      CHECK_HEALTH,
    ],
  })];
}

/**
 * The healthcheck: of the compose service that builds the image, as docker compose runs it: its
 * own test, which runs in place of any HEALTHCHECK of the image, or health checks turned off. Null
 * when it has neither, or no service builds the final stage.
 */
async function composeHealthcheck(ctx: Context, model: DockerfileModel): Promise<{ kind: 'disabled' | 'replaced'; service: string; written: string } | null> {
  const building = await buildingService(ctx, model, 'healthcheck');
  if (!building?.written) return null;
  const { ownHealthcheck } = await import('../src/compose/run-args.js');
  const kind = ownHealthcheck(building.service.value);
  return kind ? { kind, service: building.named, written: building.written } : null;
}

const HEALTHCHECK_OPTIONS = 'HEALTHCHECK --interval=30s --timeout=5s --retries=3';
const STARTUP_WARNING = 'a server that takes more than about 90 s to answer after it starts (three failed probes 30 s apart) is marked unhealthy while it starts: add --start-period=2m to the HEALTHCHECK';
const CHECK_HEALTH = "to check: build, run the container, and after a minute run `docker inspect --format '{{json .State.Health}}' CONTAINER`: Status should be \"healthy\", and Log holds each probe's exit code and output";

/** HTTP probes by the tool that runs them. */
const HTTP_PROBES: Record<'curl' | 'wget', { url: (port: number) => string; command: (url: string) => string; passes: string }> = {
  curl: {
    url: (port) => `http://localhost:${port}/`,
    command: (url) => `curl -sS -o /dev/null ${url} || exit 1`,
    passes: 'it passes on any HTTP answer, even 404 or 500, so it tells a server that answers from one that hangs or is gone',
  },
  wget: {
    // 127.0.0.1, not localhost: where localhost is ::1 first, wget may not try the IPv4 address a
    // server bound to 0.0.0.0 answers on.
    url: (port) => `http://127.0.0.1:${port}/`,
    command: (url) => `wget -q -O /dev/null ${url} || exit 1`,
    passes: 'it passes only on a 2xx or 3xx answer: if / answers 404 or asks for a login, the container is marked unhealthy, so change the path to one that answers 200 (a health endpoint)',
  },
};

/**
 * HTTP probes an official language image's own runtime runs, where neither curl nor wget is
 * installed: in exec form, so an image without a shell runs them too. Like curl, any HTTP answer
 * passes; no answer within 4 s (or a refused connection) fails.
 */
const RUNTIME_PROBES: { image: string; program: string; tags: RegExp; argv: (port: number) => string[] }[] = [
  {
    image: 'python',
    program: 'python3',
    // Python 2 images have no python3 and no http.client.
    tags: /^(?!2(?:[.-]|$))/,
    argv: (port) => ['python3', '-c', `import http.client as h; c = h.HTTPConnection('127.0.0.1', ${port}, timeout=4); c.request('GET', '/'); c.getresponse()`],
  },
  {
    image: 'node',
    program: 'node',
    tags: /(?:)/,
    argv: (port) => ['node', '-e', `require('http').get('http://127.0.0.1:${port}/', () => process.exit(0)).on('error', () => process.exit(1)).setTimeout(4000, () => process.exit(1))`],
  },
];

function runtimeProbe(model: DockerfileModel): (typeof RUNTIME_PROBES)[number] | undefined {
  const base = officialImage(model);
  return base ? RUNTIME_PROBES.find((r) => r.image === base.name && r.tags.test(base.tag)) : undefined;
}

function execForm(argv: string[]): string {
  return `[${argv.map((a) => JSON.stringify(a)).join(', ')}]`;
}

function healthcheckChange(model: DockerfileModel, service: Service, line: string, text: { title: string; description: string; warnings: string[] }): Proposal {
  const edits = [insertLinesEdit(model.text, service.start.line - 2, [line])];
  return {
    id: 'add-healthcheck',
    kind: 'change',
    risk: 'review',
    ...text,
    changes: [{ path: model.path, before: model.text, after: applyEdits(model.text, edits), edits }],
    commands: [],
  };
}

function portWarnings(port: Port | null): string[] {
  if (!port?.variable) return [];
  const { variable, number } = port;
  return [`the port is ${variable}=${number} as the image sets it: a container run with another ${variable} (docker run -e ${variable}=...) listens elsewhere while the probe still asks ${number}`];
}

function lastHealthcheck(model: DockerfileModel): DockerInstruction | undefined {
  return model.chainInstructions().filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
}

function serviceOf(model: DockerfileModel): Service | null {
  const all = model.chainInstructions();
  const exposes = all.filter((i) => i.keyword === 'EXPOSE');
  const expose = exposes.at(-1);
  const command = all.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT').at(-1);
  // Without a CMD or ENTRYPOINT of its own, the image starts as its base image does: an EXPOSE
  // still says it serves.
  const start = command ?? expose;
  if (!start) return null;
  const program = command ? (commandArgv(command)[0]?.split('/').at(-1) ?? '') : '';
  if (expose) {
    const shown = exposes.flatMap((e) => exposedPorts(model, e).map((p) => (p.value && p.value !== p.written ? `${p.written} (${p.value})` : p.written)));
    return { start, port: exposedPort(model, expose), program, why: `the image exposes ${shown.join(' ')}` };
  }
  const port = portVariable(model);
  if (port && command) return { start, port, program, why: `the image sets ${port.variable}=${port.number}, the port its server listens on` };
  if (SERVER_PROGRAMS.has(program)) return { start, port: null, program, why: `the image runs the server ${program}` };
  return null;
}

/** The words of an EXPOSE as written and with variables resolved. */
function exposedPorts(model: DockerfileModel, expose: DockerInstruction): { written: string; value: string }[] {
  const stage = model.stages[expose.stage]!;
  return expose.args.trim().split(/\s+/).map((written) => ({ written, value: model.resolve(written, stage, expose).value.trim() }));
}

/** The port a probe asks: the first TCP port of the last EXPOSE (else its first port, UDP). */
function exposedPort(model: DockerfileModel, expose: DockerInstruction): Port | null {
  const ports: Port[] = [];
  for (const { written, value } of exposedPorts(model, expose)) {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(value);
    const number = Number(m?.[1]);
    if (!m || number < 1 || number > 65535) continue;
    // `EXPOSE ${PORT}`: a run that sets PORT otherwise moves the server, not the probe.
    const variable = /^\$\{?([A-Za-z_]\w*)/.exec(written)?.[1] ?? null;
    ports.push({ number, udp: (m[2] ?? 'tcp').toLowerCase() !== 'tcp', variable: variable && envNames(model).has(variable) ? variable : null });
  }
  return ports.find((p) => !p.udp) ?? ports[0] ?? null;
}

/** The port the final image's ENV PORT names, which servers (node, Cloud Run's convention) listen on. */
function portVariable(model: DockerfileModel): Port | null {
  if (!envNames(model).has('PORT')) return null;
  const value = model.resolve('${PORT}', model.finalStage).value.trim();
  const number = /^\d{1,5}$/.test(value) ? Number(value) : 0;
  return number >= 1 && number <= 65535 ? { number, udp: false, variable: 'PORT' } : null;
}

/** Variables the final image's ENV lines set: they are in the container's environment. */
function envNames(model: DockerfileModel): Set<string> {
  return new Set(model.chainInstructions().filter((i) => i.keyword === 'ENV').flatMap((i) => (i.ast as Env).getProperties().map((p) => p.getName())));
}

/** The protocol the service speaks when it is known not to be plain HTTP. */
function protocolOf(model: DockerfileModel, service: Service): Protocol | null {
  // The php image's fpm tags start php-fpm when the Dockerfile keeps their CMD.
  const base = officialImage(model);
  if (/^php-fpm[\d.]*$/.test(service.program) || (!service.program && base?.name === 'php' && /fpm/.test(base.tag))) return FASTCGI;
  return SERVER_PROTOCOLS.get(service.program) ?? (service.port ? NOT_HTTP.get(service.port.number) : undefined) ?? null;
}

/** Why the server's own client is in the image (said in the proposal), or null when that is not evident. */
function clientEvidence(model: DockerfileModel, service: Service, client: ServerClient): string | null {
  const base = officialImage(model);
  if (base && client.image(base.name, base.tag)) return `The image is built on ${model.chain()[0]!.imageText}`;
  const pkg = [...packagesLeft(model.chainInstructions())].find((p) => client.packages.test(p));
  if (pkg) return `The Dockerfile installs ${pkg}`;
  if (client.programs.includes(service.program)) return `The image runs ${service.program}, whose package brings ${client.program}`;
  return null;
}

/** The base image's name as Docker Hub's official images go (`postgres`, `postgis/postgis`; a mirror's path dropped), and its tag. */
function officialImage(model: DockerfileModel): { name: string; tag: string } | null {
  const base = model.baseImage();
  if (!base) return null;
  const mirror = officialMirror(base);
  const name = canonicalName(base).toLowerCase();
  return { name: mirror ? name.slice(mirror.length) : name, tag: effectiveTag(base) };
}

/** The HTTP probe the final image has: curl or wget installed by its RUNs and still there (not removed with its build group). */
function httpProbeTool(model: DockerfileModel): 'curl' | 'wget' | null {
  const left = packagesLeft(model.chainInstructions());
  return left.has('curl') ? 'curl' : left.has('wget') ? 'wget' : null;
}
