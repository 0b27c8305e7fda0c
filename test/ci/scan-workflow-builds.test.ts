/**
 * The scan workflow `fix --yes` writes builds each Dockerfile of a repository from the folder the
 * repository builds it from. Its build step, run as the GitHub job runs it (from the checkout's
 * root, with a matrix entry's DOCKERFILE and CONTEXT), builds every image on a real dockerd; the
 * same step with the Dockerfile's own folder as the context fails where its files are elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';

interface ScanJob {
  strategy: { matrix: { include: { dockerfile: string; context: string }[] } };
  steps: { run?: string; env?: Record<string, string> }[];
}

describe.skipIf(!hasDockerd)('the scan workflow builds every Dockerfile of a repository on a real dockerd', () => {
  let daemon: TestDaemon;
  let dir: string;
  let repo: string;
  const base = 'dh-scan-base:1';

  beforeAll(async () => {
    daemon = await startDockerd();
    await buildBusyboxImage(daemon, base);
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-scan-builds-'));
    repo = path.join(dir, 'repo');
    const files: Record<string, string> = {
      // Built from the root (`docker build -f docker/Dockerfile .`): what it copies is there.
      'docker/Dockerfile': `FROM ${base}\nCOPY package.json /app/\nCOPY src/ /app/src/\n`,
      'package.json': '{}\n',
      'src/index.js': 'console.log(1)\n',
      // A compose file builds it from services.
      'compose.yaml': 'services:\n  api:\n    build:\n      context: ./services\n      dockerfile: api/api.Dockerfile\n',
      'services/api/api.Dockerfile': `FROM ${base}\nCOPY api/requirements.txt /app/\n`,
      'services/api/requirements.txt': 'flask\n',
      // A release workflow builds it from the root with docker/build-push-action.
      '.github/workflows/release.yml': 'on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          context: .\n          file: deploy/Dockerfile\n',
      'deploy/Dockerfile': `FROM ${base}\nCOPY config/app.toml /etc/app.toml\n`,
      'config/app.toml': 'port = 8080\n',
      // A Bake target builds the whole repository with it: COPY . alone would be a guess.
      'docker-bake.hcl': 'target "tools" {\n  context = "."\n  dockerfile = "tools/Dockerfile"\n}\n',
      'tools/Dockerfile': `FROM ${base}\nCOPY . /src/\nRUN ["/bin/sh", "-c", "test -f /src/package.json"]\n`,
      // Its files beside it: its own folder.
      'web/Dockerfile': `FROM ${base}\nCOPY site/ /srv/\n`,
      'web/site/index.html': '<p>hi</p>\n',
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
      writeFileSync(path.join(repo, name), text);
    }
    execFileSync('git', ['init', '-q'], { cwd: repo });
    execFileSync('git', ['add', '-A'], { cwd: repo });
    await ensureBuilt();
  }, 300_000);

  afterAll(async () => {
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const DOCKERFILES = ['docker/Dockerfile', 'services/api/api.Dockerfile', 'deploy/Dockerfile', 'tools/Dockerfile', 'web/Dockerfile'];

  /** The workflow's build step for one matrix entry, run from the checkout's root as GitHub runs it. */
  const runBuildStep = (job: ScanJob, dockerfile: string, context: string) => {
    const step = job.steps.find((s) => s.run?.startsWith('docker build '))!;
    const script = step.run!.replace(/\$\{\{\s*github\.sha\s*\}\}/g, 'ci');
    return execa('sh', ['-c', script], {
      cwd: repo,
      reject: false,
      timeout: 120_000,
      env: { DOCKER_HOST: daemon.host, DOCKER_BUILDKIT: '0', DOCKERFILE: dockerfile, CONTEXT: context },
    });
  };

  it('fix --yes writes it (safe: every context is confirmed), and its build step builds each image', async () => {
    const r = await runCli(['fix', '--yes', '--only', 'dependency-scanning', ...DOCKERFILES.flatMap((f) => ['--file', path.join(repo, f)])], {
      env: { DOCKER_HARDEN_STATE_DIR: path.join(dir, 'state'), DOCKER_HOST: daemon.host },
      timeoutMs: 120_000,
    });
    expect(r.exitCode, r.stderr).not.toBe(2);
    const written = readFileSync(path.join(repo, '.github/workflows/docker-harden-scan.yml'), 'utf8');
    const job = (parseYaml(written) as { jobs: { scan: ScanJob } }).jobs.scan;
    const matrix = job.strategy.matrix.include;
    expect(matrix).toEqual([
      { dockerfile: 'docker/Dockerfile', context: '.' },
      { dockerfile: 'services/api/api.Dockerfile', context: 'services' },
      { dockerfile: 'deploy/Dockerfile', context: '.' },
      { dockerfile: 'tools/Dockerfile', context: '.' },
      { dockerfile: 'web/Dockerfile', context: 'web' },
    ]);
    for (const { dockerfile, context } of matrix) {
      const build = await runBuildStep(job, dockerfile, context);
      expect(build.exitCode, `${dockerfile} from ${context}: ${build.stderr}`).toBe(0);
    }
    // The same step from each Dockerfile's own folder: those whose files are elsewhere fail.
    for (const { dockerfile, context } of matrix.filter((e) => e.context !== path.dirname(e.dockerfile))) {
      const build = await runBuildStep(job, dockerfile, path.dirname(dockerfile));
      expect(build.exitCode, `${dockerfile} from its own folder instead of ${context}`).not.toBe(0);
    }
  }, 600_000);
});
