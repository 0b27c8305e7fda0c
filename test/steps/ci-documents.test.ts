/**
 * The CI documents are written as text, each value through yamlScalar: whatever a path, an image
 * or a folder holds, the yaml library reads back exactly the values they were made from.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse as parseYaml, parseDocument } from 'yaml';
import { dependabotConfig, githubWorkflow, matrixWorkflows, verifiedImages, verifyWorkflow, yamlScalar } from '../../steps/lib/ci-documents.js';

// Characters that make YAML read a plain scalar as something else, and the ones it may not hold raw.
const tricky = fc.constantFrom(' ', ':', '#', '-', '?', '*', '&', '!', '|', '>', "'", '"', '%', '@', '`', '{', '}', '[', ']', ',', '\\', '\t', '\n', '\u007f', '\u0085', '\u2028', '\ufeff', 'é', '😀', '0', '1', '.', '~', 'y', 'n', 'o', 'f', 'x', '/');
const word = fc.oneof(fc.string({ unit: tricky, minLength: 1, maxLength: 8 }), fc.constantFrom('true', 'no', 'ON', 'null', '~', '123', '1e3', '0x1F', '.inf', '-.5', '<<', '=', '2026-12-05', '1:20', 'y', 'N', ''), fc.string({ maxLength: 6 }));

describe('yamlScalar', () => {
  it.each([
    ['svc/api/Dockerfile', 'svc/api/Dockerfile'],
    ['.github/workflows/**', '.github/workflows/**'],
    ['docker-harden-scan:${{ github.sha }}', 'docker-harden-scan:${{ github.sha }}'],
    ['**', '"**"'],
    ['123', '"123"'],
    ['yes', '"yes"'],
    ['a: b', '"a: b"'],
    ['a #b', '"a #b"'],
    ['-lead', '"-lead"'],
    ['.', '"."'],
    ['._', '"._"'],
    ['E1', '"E1"'],
    ['', '""'],
    ['tab\there', '"tab\\there"'],
    ['del\u007f', '"del\\u007f"'],
  ])('%j is written %s', (value, written) => {
    expect(yamlScalar(value)).toBe(written);
  });

  it('any string is read back as itself, and as a string', () => {
    fc.assert(
      fc.property(fc.oneof(word, fc.string({ unit: 'binary', maxLength: 12 })), (value) => {
        const doc = parseDocument(`key: ${yamlScalar(value)}\n`);
        expect(doc.errors).toEqual([]);
        expect(doc.toJS()).toEqual({ key: value });
        // YAML 1.1 readers (booleans yes/no/on/off) read it as the same string too.
        expect(parseYaml(`key: ${yamlScalar(value)}\n`, { version: '1.1' })).toEqual({ key: value });
      }),
      { numRuns: 5000 },
    );
  });
});

const segment = word.filter((w) => w !== '' && !w.includes('/') && w !== '.' && w !== '..' && !w.includes('\0'));
const relPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));

describe('the documents read back as the values they were made from', () => {
  it('a scan workflow for one Dockerfile', () => {
    fc.assert(
      fc.property(relPath, (dir) => {
        const wf = parseYaml(githubWorkflow('/r', `/r/${dir}/Dockerfile`)) as { name: string; on: { push: { paths: string[] } }; jobs: { scan: { steps: { run?: string }[] } } };
        expect(wf.name).toBe(`Container image scan (${dir}/Dockerfile)`);
        expect(wf.on.push.paths).toEqual([`${dir}/**`, '.github/workflows/**']);
        expect(wf.jobs.scan.steps[1]!.run).toContain('docker build --file ');
      }),
      { numRuns: 500 },
    );
  });

  it('a matrix workflow', () => {
    fc.assert(
      fc.property(fc.uniqueArray(relPath, { minLength: 1, maxLength: 6 }), (dirs) => {
        const [wf] = matrixWorkflows('/r', dirs.map((d) => `/r/${d}/Dockerfile`));
        const doc = parseYaml(wf!.text) as { jobs: { scan: { strategy: { matrix: { include: { dockerfile: string; context: string }[] } } } } };
        expect(doc.jobs.scan.strategy.matrix.include).toEqual(dirs.map((d) => ({ dockerfile: `${d}/Dockerfile`, context: d })));
      }),
      { numRuns: 300 },
    );
  });

  it('a Dependabot configuration, for one folder and for several', () => {
    fc.assert(
      fc.property(fc.uniqueArray(relPath.map((p) => `/${p}`), { minLength: 1, maxLength: 4 }), (dirs) => {
        const update = (parseYaml(dependabotConfig(dirs)) as { updates: Record<string, unknown>[] }).updates[0]!;
        if (dirs.length === 1) expect(update.directory).toBe(dirs[0]);
        else expect(update.directories).toEqual(dirs);
      }),
      { numRuns: 300 },
    );
  });

  it('a signature check: its cosign lines name the images, as the check reads them back', () => {
    const image = fc.array(fc.constantFrom('a', 'b', '1', '.', '/', ':', '@', '-', '_', "'"), { minLength: 1, maxLength: 20 }).map((cs) => `r${cs.join('')}`);
    fc.assert(
      fc.property(fc.uniqueArray(image, { minLength: 1, maxLength: 5 }), (images) => {
        const text = verifyWorkflow(images);
        const doc = parseYaml(text) as { env: Record<string, string>; jobs: { verify: { steps: { run?: string }[] } } };
        expect(doc.env.COSIGN_CERTIFICATE_IDENTITY_REGEXP).toBe('');
        expect(doc.jobs.verify.steps[1]!.run!.split('\n').filter((l) => l.startsWith('cosign verify'))).toHaveLength(images.length);
        expect(verifiedImages(text)).toEqual(images);
      }),
      { numRuns: 300 },
    );
  });
});
