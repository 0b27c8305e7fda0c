/**
 * Vulnerability scanner reports, parsed into counts by severity and the worst few findings, so
 * that a scan run on a yes shows a short answer instead of megabytes of JSON. Formats follow what
 * each tool documents:
 *   trivy       `--format json`: { Results: [ { Target, Vulnerabilities: [ { VulnerabilityID,
 *               PkgName, InstalledVersion, FixedVersion, Severity, Title } ] } ] } (old releases:
 *               the Results array at top level)
 *   grype       `-o json`: { matches: [ { vulnerability: { id, severity, fix: { versions } },
 *               artifact: { name, version } } ] }
 *   osv-scanner `--format json`: { results: [ { source, packages: [ { package: { name, version },
 *               vulnerabilities: [ { id, summary, database_specific: { severity } } ],
 *               groups: [ { ids, max_severity } ] } ] } ] }
 *   npm audit   `--json` (report version 2): { vulnerabilities: { NAME: { name, severity, range,
 *               fixAvailable } }, metadata: { vulnerabilities: { critical, high, moderate, ... } } }
 *   snyk        `--json`: { vulnerabilities: [ { id, title, severity, packageName, version } ] }
 */
import type { ScanFormat } from '../core/step.js';

export type ScanSeverity = 'critical' | 'high' | 'medium' | 'low' | 'unknown';
export const SCAN_SEVERITIES: readonly ScanSeverity[] = ['critical', 'high', 'medium', 'low', 'unknown'];

export interface ScanFinding {
  id: string;
  severity: ScanSeverity;
  package: string;
  version?: string;
  fixedIn?: string;
  title?: string;
}

export interface ScanSummary {
  tool: string;
  /** What was scanned, when the report says. */
  target?: string;
  counts: Record<ScanSeverity, number>;
  total: number;
  /** The worst findings, most severe first (at most `WORST`). */
  worst: ScanFinding[];
}

const WORST = 5;

export class ScanParseError extends Error {
  constructor(format: ScanFormat, why: string) {
    super(`could not read the ${format} report: ${why}`);
    this.name = 'ScanParseError';
  }
}

/** Parse a scanner's JSON output. Throws ScanParseError when it is not such a report. */
export function parseScanReport(format: ScanFormat, output: string): ScanSummary {
  let data: unknown;
  try {
    data = JSON.parse(jsonPart(output));
  } catch (err) {
    throw new ScanParseError(format, `not JSON (${(err as Error).message})`);
  }
  switch (format) {
    case 'trivy-json':
      return summarise('trivy', ...trivy(data, format));
    case 'grype-json':
      return summarise('grype', ...grype(data, format));
    case 'osv-json':
      return summarise('osv-scanner', ...osv(data, format));
    case 'npm-audit-json':
      return npmAudit(data, format);
    case 'snyk-json':
      return summarise('snyk', ...snyk(data, format));
  }
}

/** Scanners sometimes print a log line before the document: start at the first { or [. */
function jsonPart(output: string): string {
  // A log line such as `[0000] INFO ...` also starts with [: an array must open with { or ].
  const start = output.search(/^(?:\{|\[\s*(?:\{|\]|$))/m);
  return start > 0 ? output.slice(start) : output;
}

export function severityOf(value: unknown): ScanSeverity {
  const s = String(value ?? '').toLowerCase();
  if (s === 'critical') return 'critical';
  if (s === 'high' || s === 'important') return 'high';
  if (s === 'medium' || s === 'moderate') return 'medium';
  if (s === 'low' || s === 'negligible') return 'low';
  return 'unknown';
}

/** CVSS base score bands (CVSS v3 specification, qualitative severity rating scale). */
export function severityOfScore(score: number): ScanSeverity {
  if (!Number.isFinite(score) || score <= 0) return 'unknown';
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

type Parsed = [findings: ScanFinding[], target: string | undefined];

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function trivy(data: unknown, format: ScanFormat): Parsed {
  const top = obj(data);
  const results = Array.isArray(data) ? data : top.Results;
  if (!Array.isArray(results) && !('SchemaVersion' in top)) throw new ScanParseError(format, 'no Results');
  const findings: ScanFinding[] = [];
  for (const result of arr(results)) {
    for (const v of arr(obj(result).Vulnerabilities)) {
      const vuln = obj(v);
      findings.push({
        id: str(vuln.VulnerabilityID) ?? '?',
        severity: severityOf(vuln.Severity),
        package: str(vuln.PkgName) ?? '?',
        version: str(vuln.InstalledVersion),
        fixedIn: str(vuln.FixedVersion),
        title: str(vuln.Title),
      });
    }
  }
  return [findings, str(top.ArtifactName)];
}

function grype(data: unknown, format: ScanFormat): Parsed {
  const top = obj(data);
  if (!Array.isArray(top.matches)) throw new ScanParseError(format, 'no matches');
  const findings = top.matches.map((m): ScanFinding => {
    const match = obj(m);
    const vuln = obj(match.vulnerability);
    const artifact = obj(match.artifact);
    return {
      id: str(vuln.id) ?? '?',
      severity: severityOf(vuln.severity),
      package: str(artifact.name) ?? '?',
      version: str(artifact.version),
      fixedIn: arr(obj(vuln.fix).versions).map(String).join(', ') || undefined,
      title: str(vuln.description),
    };
  });
  const target = obj(obj(top.source).target);
  return [findings, str(target.userInput) ?? str(obj(top.source).target)];
}

function osv(data: unknown, format: ScanFormat): Parsed {
  const top = obj(data);
  if (!Array.isArray(top.results)) throw new ScanParseError(format, 'no results');
  const findings: ScanFinding[] = [];
  for (const result of top.results) {
    for (const p of arr(obj(result).packages)) {
      const pkg = obj(obj(p).package);
      const vulns = arr(obj(p).vulnerabilities).map(obj);
      const groups = arr(obj(p).groups).map(obj);
      // A group joins the ids and aliases of one vulnerability (a CVE and its GHSA): count groups.
      const units = groups.length > 0 ? groups.map((g) => ({ ids: arr(g.ids).map(String), score: g.max_severity })) : vulns.map((v) => ({ ids: [String(v.id)], score: undefined }));
      for (const unit of units) {
        const vuln = vulns.find((v) => unit.ids.includes(String(v.id))) ?? {};
        const score = Number(unit.score);
        const severity = unit.score !== undefined && unit.score !== '' && Number.isFinite(score) ? severityOfScore(score) : severityOf(obj(vuln.database_specific).severity);
        findings.push({
          id: unit.ids[0] ?? '?',
          severity,
          package: str(pkg.name) ?? '?',
          version: str(pkg.version),
          title: str(vuln.summary),
        });
      }
    }
  }
  return [findings, undefined];
}

function npmAudit(data: unknown, format: ScanFormat): ScanSummary {
  const top = obj(data);
  if (!top.vulnerabilities || typeof top.vulnerabilities !== 'object' || Array.isArray(top.vulnerabilities)) {
    if (top.auditReportVersion === undefined) throw new ScanParseError(format, 'no vulnerabilities (npm audit report version 2 is needed: npm 7 or later)');
  }
  const findings = Object.values(obj(top.vulnerabilities)).map((v): ScanFinding => {
    const vuln = obj(v);
    const via = arr(vuln.via).map(obj).find((x) => str(x.title));
    return {
      id: str(via?.url)?.split('/').pop() ?? str(vuln.name) ?? '?',
      severity: severityOf(vuln.severity),
      package: str(vuln.name) ?? '?',
      version: str(vuln.range),
      fixedIn: vuln.fixAvailable === true || (vuln.fixAvailable && typeof vuln.fixAvailable === 'object') ? 'fix available' : undefined,
      title: str(via?.title),
    };
  });
  const summary = summarise('npm audit', findings, undefined);
  // npm counts per package in `vulnerabilities` and the same in metadata; trust metadata when present.
  const meta = obj(obj(top.metadata).vulnerabilities);
  if (Object.keys(meta).length > 0) {
    summary.counts = {
      critical: Number(meta.critical ?? 0),
      high: Number(meta.high ?? 0),
      medium: Number(meta.moderate ?? 0),
      low: Number(meta.low ?? 0) + Number(meta.info ?? 0),
      unknown: 0,
    };
    summary.total = Number(meta.total ?? SCAN_SEVERITIES.reduce((n, s) => n + summary.counts[s], 0));
  }
  return summary;
}

function snyk(data: unknown, format: ScanFormat): Parsed {
  const tops = Array.isArray(data) ? data.map(obj) : [obj(data)];
  if (!tops.some((t) => Array.isArray(t.vulnerabilities))) throw new ScanParseError(format, 'no vulnerabilities');
  const findings: ScanFinding[] = [];
  for (const top of tops) {
    for (const v of arr(top.vulnerabilities)) {
      const vuln = obj(v);
      findings.push({
        id: str(vuln.id) ?? '?',
        severity: severityOf(vuln.severity),
        package: str(vuln.packageName) ?? '?',
        version: str(vuln.version),
        fixedIn: arr(vuln.fixedIn).map(String).join(', ') || undefined,
        title: str(vuln.title),
      });
    }
  }
  return [findings, str(tops[0]?.path)];
}

function summarise(tool: string, findings: ScanFinding[], target: string | undefined): ScanSummary {
  const counts: Record<ScanSeverity, number> = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  for (const f of findings) counts[f.severity]++;
  const rank = (s: ScanSeverity) => SCAN_SEVERITIES.indexOf(s);
  // Severity first; among equals, one with a fix first (it can be acted on now).
  const worst = [...findings].sort((a, b) => rank(a.severity) - rank(b.severity) || Number(!a.fixedIn) - Number(!b.fixedIn)).slice(0, WORST);
  return { tool, ...(target ? { target } : {}), counts, total: findings.length, worst };
}

/** A few lines for the person: counts by severity, then the worst findings. */
export function formatScanSummary(summary: ScanSummary): string[] {
  const what = summary.target ? ` of ${summary.target}` : '';
  if (summary.total === 0) return [`${summary.tool}${what}: no known vulnerabilities`];
  const counts = SCAN_SEVERITIES.filter((s) => summary.counts[s] > 0).map((s) => `${summary.counts[s]} ${s}`).join(', ');
  const lines = [`${summary.tool}${what}: ${summary.total} vulnerabilities (${counts})`];
  for (const f of summary.worst) {
    const fix = f.fixedIn ? `, fixed in ${f.fixedIn}` : ', no fix yet';
    lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.id}  ${f.package}${f.version ? ` ${f.version}` : ''}${fix}${f.title ? ` — ${f.title}` : ''}`);
  }
  return lines;
}

/** True when the summary has findings at or above `threshold`. */
export function hasAtLeast(summary: ScanSummary, threshold: ScanSeverity): boolean {
  return SCAN_SEVERITIES.slice(0, SCAN_SEVERITIES.indexOf(threshold) + 1).some((s) => summary.counts[s] > 0);
}
