#!/usr/bin/env node
/**
 * `npm run bench`: how fast docker-harden is against the floor for the same work, each pair
 * measured in this run, in turns (medians of several runs, peak memory from /usr/bin/time).
 *   start-up       `--version` and `check --file F --json` against bare `node -e 0`
 *   1,000 files    `check --file ...` over 1,000 Dockerfiles against parsing them with dockerfile-ast,
 *                  then each step that looks at files alone (`--only`), to show where the ratio comes from
 *   100 containers `check --host --json` against `docker inspect $(docker ps -q)` (needs root + dockerd)
 *   big inputs     `check` + `fix --yes` of a 1,000-service compose file, `check` of a Dockerfile of
 *                  6,000 stages and of one RUN with 150,000 continuation lines (each under 2 s), and
 *                  `check` of 10,000 services against 1,000 of the same shape (linear: about 10x)
 *   scaling        the same commands at 10, 100 and 1,000 files, services and containers, so a
 *                  cost that grows faster than the input shows as a growing per-item time
 * BENCH_RUNS=N changes the repeat count; BENCH_ONLY=startup,files,host,big,scaling picks parts;
 * BENCH_CPU_PROF=DIR writes a --cpu-prof of each docker-harden run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBusybox, dockerdUnavailable, runContainers, startDockerd } from './dockerd.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'docker-harden.js');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const RUNS = Number(process.env.BENCH_RUNS ?? 0) || undefined;
const ONLY = new Set((process.env.BENCH_ONLY ?? 'startup,files,host,big,scaling').split(',').map((s) => s.trim()));
const PROF = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : null;
const work = mkdtempSync(path.join(os.tmpdir(), 'dh-bench-work-'));
const baseEnv = { ...process.env, NO_COLOR: '1', CI: '1', DOCKER_HARDEN_STATE_DIR: path.join(work, 'state') };

/** One run: wall time, peak resident memory (KB) and the exit code. */
function runOnce(argv, env) {
  const timeFile = path.join(work, 'time.out');
  const full = TIME ? [TIME, '-f', '%M', '-o', timeFile, ...argv] : argv;
  const started = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  let peakKb = null;
  if (TIME) peakKb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
  return { ms, peakKb, code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Median wall time and highest peak memory of `runs` runs of each command (after one warm-up run
 * each, whose stdout is returned), taken in turns: a floor and the commands held against it see
 * the same load, so their ratio holds on a machine whose speed drifts. Each warm-up run must have
 * done the work: an allowed exit code, and for a `--json` run a JSON document (a crash, such as a
 * missing module, exits 1 as findings do, and is fast).
 */
function measureTogether(commands, { runs = 7, env = baseEnv } = {}) {
  runs = RUNS ?? runs;
  const firstRuns = [];
  for (const { argv, okCodes = [0, 1] } of commands) {
    const first = runOnce(argv, env);
    firstRuns.push(first);
    const fail = (why) => new Error(`${argv.join(' ').slice(0, 200)} ${why}:\n${first.stderr.slice(0, 2000)}`);
    if (!okCodes.includes(first.code)) throw fail(`exited ${first.code}`);
    if (argv.includes('--json')) {
      try {
        JSON.parse(first.stdout);
      } catch {
        throw fail(`exited ${first.code} without a JSON document on stdout`);
      }
    }
  }
  const results = commands.map(() => []);
  for (let i = 0; i < runs; i++) commands.forEach(({ argv }, k) => results[k].push(runOnce(argv, env)));
  return results.map((rs, k) => ({ ms: median(rs.map((r) => r.ms)), peakKb: TIME ? Math.max(...rs.map((r) => r.peakKb)) : null, stdout: firstRuns[k].stdout }));
}

/** One command measured alone (see measureTogether). */
function measure(argv, { runs = 7, env = baseEnv, okCodes = [0, 1] } = {}) {
  return measureTogether([{ argv, okCodes }], { runs, env })[0];
}

function tool(args, label) {
  const prof = PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROF, label)}`] : [];
  return [process.execPath, ...prof, bin, ...args];
}

const rows = [];
/** A measured row: against a floor (`goal` is the highest ratio) or, with `limitMs`, against a time. */
function report(group, name, m, floor, goal, { limitMs, memMb } = {}) {
  const ratio = floor ? m.ms / floor.ms : null;
  rows.push({ group, name, ms: m.ms, mb: m.peakKb ? m.peakKb / 1024 : null, ratio, goal, limitMs, memMb });
}

function printTable() {
  const line = (cols) => cols.map((c, i) => String(c).padEnd([16, 54, 10, 10, 8, 14][i])).join('');
  console.log('');
  console.log(line(['', 'command', 'median', 'peak', 'ratio', 'goal']));
  for (const r of rows) {
    let verdict = '';
    if (r.goal && r.ratio !== null) verdict = `${r.ratio <= r.goal ? 'met' : 'NOT met'} (<= ${r.goal}x)`;
    if (r.limitMs) verdict = `${r.ms < r.limitMs ? 'met' : 'NOT met'} (< ${r.limitMs / 1000} s)`;
    if (r.memMb && r.mb) verdict += `${r.mb < r.memMb ? '' : ' memory NOT met'} (< ${r.memMb} MB)`;
    console.log(line([r.group, r.name, `${r.ms.toFixed(0)} ms`, r.mb ? `${r.mb.toFixed(0)} MB` : 'n/a', r.ratio ? `${r.ratio.toFixed(2)}x` : r.limitMs ? '' : 'floor', verdict]));
  }
  if (scaling.length > 0) {
    console.log('\nscaling (median ms; per item in brackets: flat means linear)');
    console.log(['', ...SIZES.map((n) => String(n).padStart(16))].join('').replace(/^/, 'command'.padEnd(54)));
    for (const s of scaling) {
      console.log(s.name.padEnd(54) + SIZES.map((n) => (s.ms[n] === undefined ? (s.skipped?.[n] ?? '-') : `${s.ms[n].toFixed(0)} (${(s.ms[n] / n).toFixed(2)})`).padStart(16)).join(''));
    }
    for (const note of scalingNotes) console.log(`note: ${note}`);
  }
}

const SIZES = [10, 100, 1000];
const scaling = [];
const scalingNotes = [];

const DOCKERFILE_TEMPLATES = [
  (i) => `# service ${i}\nFROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nENV PORT=${3000 + (i % 100)}\nEXPOSE ${3000 + (i % 100)}\nCMD ["node", "dist/server.js"]\n`,
  (i) => `FROM python:3.12\nWORKDIR /srv\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nUSER 10001:10001\nCMD ["python", "app_${i}.py"]\n`,
  (i) => `FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app${i} ./cmd/app\n\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app${i} /app\nUSER nonroot\nENTRYPOINT ["/app"]\n`,
  (i) => `FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y --no-install-recommends curl ca-certificates build-essential git \\\n    && rm -rf /var/lib/apt/lists/*\nRUN useradd --system --uid 1000${i % 10} app\nUSER app\nCMD ["/usr/local/bin/run-${i}"]\n`,
  (i) => `ARG BASE=alpine:3.20\nFROM \${BASE}\nRUN apk add --no-cache tini\nCOPY bin/ /usr/local/bin/\nENTRYPOINT ["/sbin/tini", "--"]\nCMD ["worker", "--id", "${i}"]\n`,
  (i) => `FROM nginx:latest\nCOPY site/ /usr/share/nginx/html/\nEXPOSE 80\n# build ${i}\n`,
  (i) => `FROM eclipse-temurin:21-jdk\nWORKDIR /app\nCOPY . .\nRUN ./mvnw -q package\nRUN sudo chmod +x target/app-${i}.jar\nCMD ["java", "-jar", "target/app-${i}.jar"]\n`,
  // A heredoc RUN and a COPY heredoc (BuildKit syntax).
  (i) => `# syntax=docker/dockerfile:1\nFROM ubuntu:24.04\nRUN <<EOF\nset -e\napt-get update\napt-get install -y --no-install-recommends python3\nrm -rf /var/lib/apt/lists/*\nEOF\nCOPY <<EOF /etc/app-${i}.conf\nport=${8000 + (i % 100)}\nEOF\nUSER 1000\nCMD ["python3", "-m", "http.server"]\n`,
  // A long RUN of continuations, and ARG-chosen base images in two stages.
  (i) => `ARG GO_VERSION=1.22\nARG RUNTIME=debian:12-slim\nFROM golang:\${GO_VERSION} AS build\nRUN apt-get update \\\n${Array.from({ length: 40 }, (_, k) => `    && echo step-${k}-${i} \\\n`).join('')}    && go version\nCOPY . /src\nRUN cd /src && go build -o /out/app ./...\nFROM \${RUNTIME}\nCOPY --from=build /out/app /usr/local/bin/app\nENTRYPOINT ["/usr/local/bin/app"]\n`,
];

/**
 * Dockerfiles as a repository holds them: under one git root with a CI workflow, in a folder each,
 * all in git's index (the CI proposal reads it). Without git, an empty .git folder marks the root.
 */
function writeDockerfiles(dir, count) {
  mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
  writeFileSync(path.join(dir, '.github', 'workflows', 'ci.yml'), 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n');
  const files = Array.from({ length: count }, (_, i) => {
    const sub = path.join(dir, 'services', `svc-${String(i % 50).padStart(2, '0')}`);
    mkdirSync(sub, { recursive: true });
    const file = path.join(sub, `app-${String(i).padStart(4, '0')}.Dockerfile`);
    writeFileSync(file, DOCKERFILE_TEMPLATES[i % DOCKERFILE_TEMPLATES.length](i));
    return file;
  });
  const git = (...args) => spawnSync('git', args, { cwd: dir, stdio: 'ignore' }).status === 0;
  if (!(git('init', '-q') && git('add', '-A'))) mkdirSync(path.join(dir, '.git'), { recursive: true });
  return files;
}

/** A compose file of `count` services, each with ports and a bind mount, none hardened. */
function composeText(count) {
  let text = 'services:\n';
  for (let i = 0; i < count; i++) {
    text += `  svc${i}:\n    image: ${['nginx:1.27', 'redis:7', 'postgres:16'][i % 3]}\n    ports:\n      - "${8000 + (i % 1000)}:80"\n    volumes:\n      - ./data${i}:/data\n`;
  }
  return text;
}

/** `check` and `fix --yes` of a fresh copy of a compose file, as one command. */
function composeFixCommand(source, label) {
  const target = source.replace(/\.yaml$/, '.work.yaml');
  const node = tool(['check', '--json', '--compose', target], `${label}-check`).map(quote).join(' ');
  const fix = tool(['fix', '--yes', '--compose', target], `${label}-fix`).map(quote).join(' ');
  return ['sh', '-c', `cp ${quote(source)} ${quote(target)} && ${node} >/dev/null; [ $? -le 1 ] && ${fix} >/dev/null`];
}

/** The floor for checking a host: one `docker inspect` of every running container. */
function inspectCommand(d) {
  return ['sh', '-c', `docker -H ${d.host} inspect $(docker -H ${d.host} ps -q) >/dev/null`];
}

function quote(arg) {
  return `'${String(arg).replace(/'/g, `'\\''`)}'`;
}

async function main() {
  console.log(`docker-harden benchmark (node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  if (!TIME) console.log('note: /usr/bin/time is not installed (apt-get install time): peak memory is not shown');

  // Start-up.
  const single = path.join(work, 'Dockerfile');
  writeFileSync(single, DOCKERFILE_TEMPLATES[0](0));
  const bareCommand = { argv: [process.execPath, '-e', '0'], okCodes: [0] };
  if (ONLY.has('startup')) {
    const [bare, version, checkFile] = measureTogether(
      [bareCommand, { argv: tool(['--version'], 'version'), okCodes: [0] }, { argv: tool(['check', '--file', single, '--json'], 'check-file') }],
      { runs: 15 },
    );
    report('start-up', 'node -e 0', bare, null);
    report('start-up', 'docker-harden --version', version, bare, 3);
    report('start-up', 'docker-harden check --file F --json', checkFile, bare, 3);
  } else {
    report('start-up', 'node -e 0', measureTogether([bareCommand], { runs: 15 })[0], null);
  }

  // What needs no daemon runs first: stopping a dockerd with 100 containers goes on in the kernel
  // and containerd after it returns, and slowed whatever was measured next.
  // 1,000 Dockerfiles.
  if (ONLY.has('files')) await filesPart();
  // A 1,000-service compose file, a 6,000-stage Dockerfile, 150,000 continuation lines.
  if (ONLY.has('big')) bigPart();
  if (ONLY.has('scaling')) scalingFilesPart();
  // A host with 100 running containers.
  if (ONLY.has('host')) await hostPart();
  if (ONLY.has('scaling')) await scalingHostPart();
  printTable();
}

function bigPart() {
  const dir = path.join(work, 'big');
  mkdirSync(dir);
  const compose = path.join(dir, 'compose-1000.yaml');
  writeFileSync(compose, composeText(1000));
  report('big inputs', 'check + fix --yes, compose of 1,000 services', measure(composeFixCommand(compose, 'compose-1000'), { runs: 3, okCodes: [0] }), null, null, { limitMs: 2000 });
  // Services with no list at all (environment as a mapping): a look-up that read the whole text
  // for each edit once made 10,000 of them take 90 s. Ten times the services, about ten times the time.
  const plain = (count) => `services:\n${Array.from({ length: count }, (_, i) => `  svc${i}:\n    image: nginx:1.27\n    environment:\n      A: b\n`).join('')}`;
  const [small, large] = [1000, 10000].map((count) => {
    const file = path.join(dir, `plain-${count}.yaml`);
    writeFileSync(file, plain(count));
    return { argv: tool(['check', '--json', '--compose', file], `plain-${count}`) };
  });
  const [smallMs, largeMs] = measureTogether([small, large], { runs: 3 });
  report('big inputs', 'check, compose of 1,000 services with no list', smallMs, null);
  report('big inputs', '  the same with 10,000 services (linear: about 10x)', largeMs, smallMs, 12);
  let stages = 'ARG BASE=debian:12\nFROM ${BASE} AS s0\nRUN echo 0\n';
  for (let i = 1; i < 6000; i++) stages += `FROM s${i - 1} AS s${i}\n${i % 3 === 0 ? `USER ${1000 + i}\n` : ''}RUN echo ${i}\n`;
  const stagesFile = path.join(dir, 'stages-6000.Dockerfile');
  writeFileSync(stagesFile, stages);
  report('big inputs', 'check, Dockerfile of 6,000 stages', measure(tool(['check', '--json', '--file', stagesFile], 'stages-6000'), { runs: 3 }), null, null, { limitMs: 2000 });
  let run = 'FROM debian:12\nRUN apt-get update \\\n';
  for (let i = 0; i < 150000; i++) run += `    && echo line-${i} \\\n`;
  run += '    && true\nCMD ["sh"]\n';
  const runFile = path.join(dir, 'continuations-150000.Dockerfile');
  writeFileSync(runFile, run);
  report('big inputs', 'check, RUN of 150,000 continuation lines', measure(tool(['check', '--json', '--file', runFile], 'continuations'), { runs: 3 }), null, null, { limitMs: 2000 });
}

function scalingFilesPart() {
  const dir = path.join(work, 'scaling');
  mkdirSync(dir);
  const files = { name: 'check --json over N Dockerfiles', ms: {} };
  const parse = { name: 'parse N Dockerfiles (floor)', ms: {} };
  const compose = { name: 'check + fix --yes, compose of N services', ms: {} };
  for (const n of SIZES) {
    const list = writeDockerfiles(path.join(dir, `files-${n}`), n);
    [parse.ms[n], files.ms[n]] = measureTogether(
      [{ argv: [process.execPath, path.join(root, 'bench', 'parse-only.js'), ...list], okCodes: [0] }, { argv: tool(['check', '--json', ...list.flatMap((f) => ['--file', f])], `scale-files-${n}`) }],
      { runs: 3 },
    ).map((m) => m.ms);
    const file = path.join(dir, `compose-${n}.yaml`);
    writeFileSync(file, composeText(n));
    compose.ms[n] = measure(composeFixCommand(file, `scale-compose-${n}`), { runs: 3, okCodes: [0] }).ms;
  }
  scaling.push(parse, files, compose);
}

async function scalingHostPart() {
  const why = dockerdUnavailable();
  if (why) {
    scalingNotes.push(`containers not measured: ${why}`);
    return;
  }
  // 1,000 BusyBox containers on a 2-CPU machine shared with others take minutes to start and
  // crowd out the measurement itself: BENCH_CONTAINERS_MAX raises the limit (default 100).
  const max = Number(process.env.BENCH_CONTAINERS_MAX ?? 100);
  const host = { name: 'check --host --json, N containers', ms: {}, skipped: {} };
  const inspect = { name: 'docker inspect of N containers (floor)', ms: {}, skipped: {} };
  const d = await startDockerd();
  try {
    buildBusybox(d, 'dh-bench:busybox');
    let running = 0;
    for (const n of SIZES) {
      if (n > max) {
        host.skipped[n] = inspect.skipped[n] = 'not run';
        scalingNotes.push(`${n} containers not started (BENCH_CONTAINERS_MAX=${max}): too many for this shared 2-CPU machine`);
        continue;
      }
      await runContainers(d, 'dh-bench:busybox', n - running, running);
      running = n;
      [inspect.ms[n], host.ms[n]] = measureTogether(
        [{ argv: inspectCommand(d), okCodes: [0] }, { argv: tool(['check', '--host', '--json', '--docker-host', d.host, '--daemon-config', d.config], `scale-host-${n}`) }],
        { runs: 3 },
      ).map((m) => m.ms);
    }
  } finally {
    await d.stop();
  }
  scaling.push(inspect, host);
}

async function filesPart() {
  const dir = path.join(work, 'dockerfiles');
  mkdirSync(dir);
  const files = writeDockerfiles(dir, 1000);
  const [parseOnly, check] = measureTogether(
    [{ argv: [process.execPath, path.join(root, 'bench', 'parse-only.js'), ...files], okCodes: [0] }, { argv: tool(['check', '--json', ...files.flatMap((f) => ['--file', f])], 'check-1000') }],
    { runs: 5 },
  );
  report('1,000 files', 'parse with dockerfile-ast', parseOnly, null);
  report('1,000 files', 'docker-harden check --file x1000 --json', check, parseOnly, 2, { memMb: 200 });

  // Where the ratio comes from: each step that looks at files, run alone over the same files. A step
  // with no Dockerfile check (0 results) leaves start-up, reading, parsing and the document.
  const steps = JSON.parse(runOnce(tool(['steps', '--json'], 'steps'), baseEnv).stdout).filter((s) => s.scope !== 'host');
  const alone = measureTogether(
    [{ argv: [process.execPath, path.join(root, 'bench', 'parse-only.js'), ...files], okCodes: [0] }, ...steps.map((s) => ({ argv: tool(['check', '--json', '--only', s.id, ...files.flatMap((f) => ['--file', f])], `check-1000-${s.id}`) }))],
    { runs: 3 },
  );
  steps.forEach((s, i) => {
    const results = JSON.parse(alone[i + 1].stdout).results.length;
    report('1,000 files', `  --only ${s.id} (${results} result${results === 1 ? '' : 's'})`, alone[i + 1], alone[0]);
  });
}

async function hostPart() {
  const why = dockerdUnavailable();
  if (why) {
    console.log(`\nhost benchmark skipped: ${why}`);
  } else {
    process.stdout.write('\nstarting a test dockerd and 100 busybox containers (--network none)... ');
    const d = await startDockerd();
    try {
      buildBusybox(d, 'dh-bench:busybox');
      await runContainers(d, 'dh-bench:busybox', 100);
      const running = d.docker(['ps', '-q']).stdout.trim().split('\n').filter(Boolean).length;
      console.log(`${running} running`);
      const [inspect, hostCheck] = measureTogether(
        [{ argv: inspectCommand(d), okCodes: [0] }, { argv: tool(['check', '--host', '--json', '--docker-host', d.host, '--daemon-config', d.config], 'check-host') }],
        { runs: 5 },
      );
      report('100 containers', 'docker inspect $(docker ps -q)', inspect, null);
      report('100 containers', 'docker-harden check --host --json', hostCheck, inspect, 2);
    } finally {
      await d.stop();
    }
  }
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
