import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanParseError, formatScanSummary, hasAtLeast, parseScanReport, severityOfScore } from '../../src/report/scanners.js';
import type { ScanFormat } from '../../src/core/step.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'scanners');
const sample = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');

const cases: {
  name: string;
  format: ScanFormat;
  file: string;
  counts: { critical: number; high: number; medium: number; low: number; unknown: number };
  total: number;
  worstFirst: string;
  target?: string;
}[] = [
  { name: 'trivy image (schema 2)', format: 'trivy-json', file: 'trivy-image.json', counts: { critical: 2, high: 2, medium: 1, low: 1, unknown: 0 }, total: 6, worstFirst: 'CVE-2024-45491', target: 'python:3.9-slim' },
  { name: 'trivy, old top-level array', format: 'trivy-json', file: 'trivy-legacy.json', counts: { critical: 1, high: 2, medium: 0, low: 0, unknown: 0 }, total: 3, worstFirst: 'CVE-2019-3822' },
  { name: 'trivy, nothing found', format: 'trivy-json', file: 'trivy-clean.json', counts: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 }, total: 0, worstFirst: '', target: 'busybox:1.36' },
  // Grype's Negligible counts as low; Unknown stays unknown.
  { name: 'grype', format: 'grype-json', file: 'grype.json', counts: { critical: 1, high: 1, medium: 1, low: 1, unknown: 1 }, total: 5, worstFirst: 'CVE-2023-38545', target: 'debian:12' },
  // osv-scanner groups aliases of one vulnerability: the jinja2 group of two ids counts once;
  // max_severity is a CVSS score, and an empty one falls back to the advisory's own rating.
  { name: 'osv-scanner', format: 'osv-json', file: 'osv-scanner.json', counts: { critical: 1, high: 0, medium: 2, low: 0, unknown: 0 }, total: 3, worstFirst: 'GHSA-xvch-5gv4-984h' },
  // npm counts per package in metadata: minimist and mkdirp are both critical.
  { name: 'npm audit v2', format: 'npm-audit-json', file: 'npm-audit.json', counts: { critical: 2, high: 0, medium: 1, low: 0, unknown: 0 }, total: 3, worstFirst: 'GHSA-xvch-5gv4-984h' },
  { name: 'snyk container', format: 'snyk-json', file: 'snyk-container.json', counts: { critical: 0, high: 1, medium: 0, low: 1, unknown: 0 }, total: 2, worstFirst: 'SNYK-DEBIAN12-OPENSSL-5788322', target: 'node:18' },
];

describe('scanner reports', () => {
  it.each(cases)('$name: counts by severity and the worst first', ({ format, file, counts, total, worstFirst, target }) => {
    const summary = parseScanReport(format, sample(file));
    expect(summary.counts).toEqual(counts);
    expect(summary.total).toBe(total);
    expect(summary.worst[0]?.id ?? '').toBe(worstFirst);
    if (target) expect(summary.target).toBe(target);
    expect(summary.worst.length).toBeLessThanOrEqual(5);
    // Most severe first.
    const order = ['critical', 'high', 'medium', 'low', 'unknown'];
    const ranks = summary.worst.map((w) => order.indexOf(w.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('among equals, a finding with a fix comes first', () => {
    const summary = parseScanReport('trivy-json', sample('trivy-image.json'));
    expect(summary.worst.slice(0, 2).map((w) => [w.id, w.fixedIn])).toEqual([
      ['CVE-2024-45491', '2.5.0-1+deb12u1'],
      ['CVE-2023-45853', undefined],
    ]);
  });

  it('formats a few lines for the person', () => {
    const lines = formatScanSummary(parseScanReport('trivy-json', sample('trivy-image.json')));
    expect(lines[0]).toBe('trivy of python:3.9-slim: 6 vulnerabilities (2 critical, 2 high, 1 medium, 1 low)');
    expect(lines[1]).toContain('CRITICAL');
    expect(lines[1]).toContain('CVE-2024-45491  libexpat1 2.5.0-1, fixed in 2.5.0-1+deb12u1');
    expect(lines.some((l) => l.includes('no fix yet'))).toBe(true);
    expect(formatScanSummary(parseScanReport('trivy-json', sample('trivy-clean.json')))).toEqual(['trivy of busybox:1.36: no known vulnerabilities']);
  });

  it('a log line before the JSON document is skipped', () => {
    const summary = parseScanReport('grype-json', '[0000] INFO  vulnerability database updated\n' + sample('grype.json'));
    expect(summary.total).toBe(5);
  });

  it.each([
    ['trivy-json', 'not json at all'],
    ['trivy-json', '{"foo": 1}'],
    ['grype-json', '{"results": []}'],
    ['osv-json', '{"matches": []}'],
    ['npm-audit-json', '{"error": {"code": "ENOLOCK"}}'],
    ['snyk-json', '{"ok": true}'],
  ] as [ScanFormat, string][])('%s rejects %s', (format, text) => {
    expect(() => parseScanReport(format, text)).toThrow(ScanParseError);
  });

  it('CVSS bands and thresholds', () => {
    expect([9.8, 7, 6.9, 0.1, 0, Number.NaN].map(severityOfScore)).toEqual(['critical', 'high', 'medium', 'low', 'unknown', 'unknown']);
    const grype = parseScanReport('grype-json', sample('grype.json'));
    expect(hasAtLeast(grype, 'critical')).toBe(true);
    expect(hasAtLeast(parseScanReport('snyk-json', sample('snyk-container.json')), 'critical')).toBe(false);
  });
});
