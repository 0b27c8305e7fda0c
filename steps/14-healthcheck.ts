/**
 * Step 14: a HEALTHCHECK for a long-running service. The final stage of an image that runs a
 * server (it EXPOSEs a port, or its CMD/ENTRYPOINT is a known server program) should say how to
 * tell that it still works. A probe is proposed only when the image is known to carry it (the
 * Dockerfile installs curl); otherwise the pattern is explained, never guessed.
 */
import { adviceProposal, defineStep, type CodeInfo, statusOf, type Finding, type Proposal } from '../src/core/step.js';
import type { DockerfileModel, DockerInstruction } from '../src/dockerfile/model.js';
import { applyEdits, insertLinesEdit } from '../src/dockerfile/edit.js';
import { commandArgv, packagesLeft } from '../src/dockerfile/commands.js';

/** Programs that, run as the main process, serve until stopped. */
const SERVER_PROGRAMS = new Set(['nginx', 'httpd', 'apache2', 'caddy', 'haproxy', 'traefik', 'gunicorn', 'uvicorn', 'hypercorn', 'daphne', 'puma', 'unicorn', 'redis-server', 'postgres', 'mysqld', 'mongod', 'memcached', 'php-fpm', 'envoy']);

const CODES: Record<string, CodeInfo> = {
  'CIS-4.6': {
    title: 'A long-running service has no HEALTHCHECK',
    severity: 'low',
    help: 'Without a HEALTHCHECK, Docker only knows whether the process runs, not whether it answers. Add a HEALTHCHECK CMD that probes the service with a tool the image has.',
  },
  'DH-HEALTHCHECK-NONE': {
    title: 'HEALTHCHECK NONE turns the health check off',
    severity: 'info',
    help: 'HEALTHCHECK NONE disables any check inherited from the base image. Keep it only if something outside the image (an orchestrator probe) checks the service.',
  },
};

interface Service {
  /** The last CMD or ENTRYPOINT of the final stage: the HEALTHCHECK goes before it. */
  start: DockerInstruction;
  port: string | null;
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
      'This step looks at the final stage: when it runs a server (it EXPOSEs a port, or its CMD or ENTRYPOINT is a known server program) and has no HEALTHCHECK, it says so. `HEALTHCHECK NONE` is reported for information: it turns off a check the base image may have.',
      'The probe must be a program the image has. When the Dockerfile installs curl, the change adds `HEALTHCHECK CMD curl -sS -o /dev/null http://localhost:PORT/ || exit 1` before the CMD (it passes when the server answers HTTP at all). Otherwise the step explains the pattern: slim and distroless images often have neither curl nor wget, so the usual way is a small probe built into the app (for example `HEALTHCHECK CMD ["/app/server", "--health"]`) or a static probe binary copied from a build stage.',
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
    if (!service) return { status: 'not-applicable', findings, notes: ['the final stage does not run a server (no EXPOSE, no known server program)'] };
    const health = lastHealthcheck(model);
    if (!health && model.baseInfo().healthcheck) {
      return { status: 'pass', findings, notes: [`${model.chain()[0]!.imageText} defines a HEALTHCHECK, which this image inherits`] };
    }
    if (health && /^\s*NONE\s*$/i.test(health.args)) {
      findings.push({ code: 'DH-HEALTHCHECK-NONE', severity: 'info', file: model.path, line: health.line, evidence: model.lineText(health.line).trim(), message: `HEALTHCHECK NONE turns the health check off for ${service.why}; keep it only if an orchestrator probes the service` });
    } else if (!health) {
      findings.push({ code: 'CIS-4.6', fixedBy: 'add-healthcheck', severity: 'low', file: model.path, line: service.start.line, evidence: model.lineText(service.start.line).trim(), message: `${service.why}, but the final stage has no HEALTHCHECK: Docker cannot tell a hung server from a working one; add a HEALTHCHECK CMD that probes it` });
    }
    return { status: findings.length === 0 ? 'pass' : statusOf(findings), findings, notes: [], state: { model, service } };
  },

  async propose(_ctx, result) {
    if (!result.state || !result.findings.some((f) => f.code === 'CIS-4.6')) return [];
    const { model, service } = result.state;
    // Advice only, never written: what to probe with where docker-harden knows no probe that works.
    const advice = (title: string, description: string): Proposal[] => [adviceProposal('add-healthcheck', title, description)];
    const protocol = service.port ? NOT_HTTP[Number(service.port)] : undefined;
    if (protocol) {
      return advice(
        `Add a HEALTHCHECK that speaks ${protocol.name}`,
        `Port ${service.port} is ${protocol.name}, not plain HTTP: a curl probe of it would always fail and mark the container unhealthy. Add a probe that speaks it before line ${service.start.line}, such as HEALTHCHECK CMD ${protocol.probe}.`,
      );
    }
    const probe = curlInstalled(model) && service.port ? `HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -sS -o /dev/null http://localhost:${service.port}/ || exit 1` : null;
    if (!probe) {
      return advice(
        'Add a HEALTHCHECK with a probe the image has',
        `docker-harden does not know a probe this image carries. Add one before line ${service.start.line}: with curl installed, HEALTHCHECK CMD curl -sS -o /dev/null http://localhost:PORT/ || exit 1; in an image without curl or wget, a probe built into the app (HEALTHCHECK CMD ["/app/server", "--health"]) or a static probe binary copied from a build stage.`,
      );
    }
    const edits = [insertLinesEdit(model.text, service.start.line - 2, [probe])];
    return [{
      id: 'add-healthcheck',
      kind: 'change',
      risk: 'review',
      title: `Add a HEALTHCHECK that probes port ${service.port} with curl`,
      description: `Adds "${probe}" before line ${service.start.line}. It passes when the server answers HTTP on port ${service.port}; a server that speaks another protocol needs its own probe.`,
      changes: [{ path: model.path, before: model.text, after: applyEdits(model.text, edits), edits }],
      commands: [],
      warnings: [`the probe assumes the server answers HTTP on localhost:${service.port}`],
    }];
  },
});

/** Well-known ports that do not answer plain HTTP, with a probe that speaks what they do. */
const NOT_HTTP: Record<number, { name: string; probe: string }> = {
  22: { name: 'SSH', probe: 'the server\'s own check, or a TCP connect (nc -z localhost 22)' },
  25: { name: 'SMTP', probe: 'nc -z localhost 25 (or the mail server\'s own status command)' },
  53: { name: 'DNS', probe: 'dig +short @127.0.0.1 localhost (or nslookup)' },
  443: { name: 'HTTPS', probe: 'curl -fsSk -o /dev/null https://localhost/ || exit 1' },
  1194: { name: 'OpenVPN', probe: 'a check of the openvpn process or its management interface' },
  1883: { name: 'MQTT', probe: 'mosquitto_sub -t \'$SYS/#\' -C 1 -W 3 (or nc -z localhost 1883)' },
  3306: { name: 'the MySQL protocol', probe: 'mysqladmin ping -h 127.0.0.1' },
  5432: { name: 'the PostgreSQL protocol', probe: 'pg_isready -h 127.0.0.1' },
  5672: { name: 'AMQP', probe: 'rabbitmq-diagnostics -q ping' },
  6379: { name: 'the Redis protocol', probe: 'redis-cli ping' },
  9092: { name: 'the Kafka protocol', probe: 'kafka-broker-api-versions.sh --bootstrap-server localhost:9092' },
  11211: { name: 'the memcached protocol', probe: 'nc -z localhost 11211' },
  27017: { name: 'the MongoDB protocol', probe: 'mongosh --quiet --eval "db.adminCommand(\'ping\')"' },
};

function finalInstructions(model: DockerfileModel): DockerInstruction[] {
  return model.chain(model.finalStage).flatMap((s) => s.instructions);
}

function lastHealthcheck(model: DockerfileModel): DockerInstruction | undefined {
  return finalInstructions(model).filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
}

function serviceOf(model: DockerfileModel): Service | null {
  const all = finalInstructions(model);
  const exposes = all.filter((i) => i.keyword === 'EXPOSE');
  const expose = exposes.at(-1);
  // Without a CMD or ENTRYPOINT of its own, the image starts as its base image does: an EXPOSE
  // still says it serves.
  const start = all.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT').at(-1) ?? expose;
  if (!start) return null;
  const port = expose ? (/^(\d+)(\/tcp)?$/.exec(expose.args.trim().split(/\s+/)[0] ?? '')?.[1] ?? null) : null;
  if (expose) return { start, port, why: `the image exposes ${exposes.map((e) => e.args.trim()).join(' ')}` };
  const program = commandArgv(start)[0]?.split('/').at(-1) ?? '';
  if (SERVER_PROGRAMS.has(program)) return { start, port: null, why: `the image runs the server ${program}` };
  return null;
}

/** curl installed by the final image's RUNs and still there (not removed with its build group). */
function curlInstalled(model: DockerfileModel): boolean {
  return packagesLeft(finalInstructions(model)).has('curl');
}
