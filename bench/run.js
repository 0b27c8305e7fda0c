#!/usr/bin/env node
/**
 * `npm run bench`: how fast docker-harden is against the floor for the same work, each pair
 * measured in this run (medians of several runs, peak memory from /usr/bin/time or /proc).
 *   start-up       `--version` and `check --file F --json` against bare `node -e 0`
 *   1,000 files    `check --file ...` over 1,000 Dockerfiles against parsing them with dockerfile-ast
 *   100 containers `check --host --json` against `docker inspect $(docker ps -q)` (needs root + dockerd)
 * BENCH_RUNS=N changes the repeat count; BENCH_ONLY=startup,files,host picks parts;
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
const ONLY = new Set((process.env.BENCH_ONLY ?? 'startup,files,host').split(',').map((s) => s.trim()));
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
  return { ms, peakKb, code: r.status, stderr: String(r.stderr ?? '') };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall time and highest peak memory of `runs` runs (after one warm-up run). */
function measure(argv, { runs = 7, env = baseEnv, okCodes = [0, 1] } = {}) {
  runs = RUNS ?? runs;
  const first = runOnce(argv, env);
  if (!okCodes.includes(first.code)) throw new Error(`${argv.join(' ').slice(0, 200)} exited ${first.code}:\n${first.stderr.slice(0, 2000)}`);
  const results = Array.from({ length: runs }, () => runOnce(argv, env));
  return { ms: median(results.map((r) => r.ms)), peakKb: TIME ? Math.max(...results.map((r) => r.peakKb)) : null };
}

function tool(args, label) {
  const prof = PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROF, label)}`] : [];
  return [process.execPath, ...prof, bin, ...args];
}

const rows = [];
function report(group, name, m, floor, goal) {
  const ratio = floor ? m.ms / floor.ms : null;
  rows.push({ group, name, ms: m.ms, mb: m.peakKb ? m.peakKb / 1024 : null, ratio, goal });
}

function printTable() {
  const line = (cols) => cols.map((c, i) => String(c).padEnd([16, 46, 10, 10, 8, 14][i])).join('');
  console.log('');
  console.log(line(['', 'command', 'median', 'peak', 'ratio', 'goal']));
  for (const r of rows) {
    const verdict = r.goal && r.ratio !== null ? `${r.ratio <= r.goal ? 'met' : 'NOT met'} (<= ${r.goal}x)` : '';
    console.log(line([r.group, r.name, `${r.ms.toFixed(0)} ms`, r.mb ? `${r.mb.toFixed(0)} MB` : 'n/a', r.ratio ? `${r.ratio.toFixed(2)}x` : 'floor', verdict]));
  }
}

const DOCKERFILE_TEMPLATES = [
  (i) => `# service ${i}\nFROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nENV PORT=${3000 + (i % 100)}\nEXPOSE ${3000 + (i % 100)}\nCMD ["node", "dist/server.js"]\n`,
  (i) => `FROM python:3.12\nWORKDIR /srv\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nUSER 10001:10001\nCMD ["python", "app_${i}.py"]\n`,
  (i) => `FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app${i} ./cmd/app\n\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app${i} /app\nUSER nonroot\nENTRYPOINT ["/app"]\n`,
  (i) => `FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y --no-install-recommends curl ca-certificates build-essential git \\\n    && rm -rf /var/lib/apt/lists/*\nRUN useradd --system --uid 1000${i % 10} app\nUSER app\nCMD ["/usr/local/bin/run-${i}"]\n`,
  (i) => `ARG BASE=alpine:3.20\nFROM \${BASE}\nRUN apk add --no-cache tini\nCOPY bin/ /usr/local/bin/\nENTRYPOINT ["/sbin/tini", "--"]\nCMD ["worker", "--id", "${i}"]\n`,
  (i) => `FROM nginx:latest\nCOPY site/ /usr/share/nginx/html/\nEXPOSE 80\n# build ${i}\n`,
  (i) => `FROM eclipse-temurin:21-jdk\nWORKDIR /app\nCOPY . .\nRUN ./mvnw -q package\nRUN sudo chmod +x target/app-${i}.jar\nCMD ["java", "-jar", "target/app-${i}.jar"]\n`,
];

async function main() {
  console.log(`docker-harden benchmark (node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  if (!TIME) console.log('note: /usr/bin/time is not installed (apt-get install time): peak memory is not shown');

  // Start-up.
  const single = path.join(work, 'Dockerfile');
  writeFileSync(single, DOCKERFILE_TEMPLATES[0](0));
  const bare = measure([process.execPath, '-e', '0'], { runs: 15 });
  report('start-up', 'node -e 0', bare, null);
  if (ONLY.has('startup')) report('start-up', 'docker-harden --version', measure(tool(['--version'], 'version'), { runs: 15 }), bare, 3);
  if (ONLY.has('startup')) report('start-up', 'docker-harden check --file F --json', measure(tool(['check', '--file', single, '--json'], 'check-file'), { runs: 15 }), bare, 3);

  // 1,000 Dockerfiles.
  if (ONLY.has('files')) await filesPart();
  // A host with 100 running containers.
  if (ONLY.has('host')) await hostPart();
  printTable();
}

async function filesPart() {
  const dir = path.join(work, 'dockerfiles');
  mkdirSync(dir);
  const files = Array.from({ length: 1000 }, (_, i) => {
    const file = path.join(dir, `app-${String(i).padStart(4, '0')}.Dockerfile`);
    writeFileSync(file, DOCKERFILE_TEMPLATES[i % DOCKERFILE_TEMPLATES.length](i));
    return file;
  });
  const parseOnly = measure([process.execPath, path.join(root, 'bench', 'parse-only.js'), ...files], { runs: 5 });
  report('1,000 files', 'parse with dockerfile-ast', parseOnly, null);
  report('1,000 files', 'docker-harden check --file x1000 --json', measure(tool(['check', '--json', ...files.flatMap((f) => ['--file', f])], 'check-1000'), { runs: 5 }), parseOnly, 2);
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
      const inspect = measure(['sh', '-c', `docker -H ${d.host} inspect $(docker -H ${d.host} ps -q) >/dev/null`], { runs: 5, okCodes: [0] });
      report('100 containers', 'docker inspect $(docker ps -q)', inspect, null);
      const hostCheck = measure(tool(['check', '--host', '--json', '--docker-host', d.host, '--daemon-config', d.config], 'check-host'), { runs: 5 });
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
