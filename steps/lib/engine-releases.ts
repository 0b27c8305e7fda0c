/**
 * Docker Engine release lines and whether anyone still maintains them, as dated data. The source
 * of truth is the branch table in moby's project/BRANCHES-AND-TAGS.md; the Engine release notes
 * give the dates. Update `checked` with the table.
 */

export const ENGINE_RELEASES_CHECKED = '2026-11-30';
export const ENGINE_RELEASES_SOURCE = 'https://github.com/moby/moby/blob/master/project/BRANCHES-AND-TAGS.md';

export type EngineLineStatus =
  /** Maintained upstream, with docker-ce packages from Docker, Inc. */
  | 'maintained'
  /** Maintained upstream for other distributors only; Docker, Inc. publishes no updates for it. */
  | 'distributor-only'
  | 'unmaintained';

export interface EngineLine {
  /** The release line as versions start: `29`, `26.1`, `20.10`. */
  line: string;
  /** First release of the line (month precision where the day does not matter). */
  released: string;
  status: EngineLineStatus;
  /** When maintenance ended, where the table gives a date. */
  endOfMaintenance?: string;
  note?: string;
}

export const ENGINE_LINES: EngineLine[] = [
  { line: '29', released: '2025-11-10', status: 'maintained', note: 'the current line; docker/cli 29.10.1 was tagged on 2026-11-24' },
  { line: '28', released: '2025-02', status: 'distributor-only', note: 'branch docker-28.x is kept by a maintainer for Microsoft\'s builds; Docker, Inc. packages moved to 29' },
  { line: '27', released: '2024-06', status: 'unmaintained' },
  { line: '26.1', released: '2024-04', status: 'unmaintained' },
  { line: '26.0', released: '2024-03', status: 'unmaintained' },
  { line: '25.0', released: '2024-01', status: 'distributor-only', note: 'listed as kept for Amazon Linux and Mirantis builds; docker-ce 25.0 gets no updates' },
  { line: '24.0', released: '2023-05', status: 'unmaintained' },
  { line: '23.0', released: '2023-02', status: 'unmaintained', endOfMaintenance: '2025-05-19' },
  { line: '20.10', released: '2020-12', status: 'unmaintained' },
];

export interface EngineVerdict {
  version: string;
  line: EngineLine | null;
  /** The version is newer than every line in the data. */
  newer: boolean;
  status: EngineLineStatus | 'unknown';
}

/** `20.10.24+dfsg1` -> [20, 10, 24]; null when it does not look like an Engine version. */
export function parseEngineVersion(version: string): number[] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

export function judgeEngineVersion(version: string): EngineVerdict {
  const parts = parseEngineVersion(version);
  if (!parts) return { version, line: null, newer: false, status: 'unknown' };
  const [major, minor] = parts as [number, number];
  const line =
    ENGINE_LINES.find((l) => {
      const [lMajor, lMinor] = l.line.split('.').map(Number) as [number, number | undefined];
      return lMajor === major && (lMinor === undefined || lMinor === minor);
    }) ?? null;
  if (line) return { version, line, newer: false, status: line.status };
  const newest = Math.max(...ENGINE_LINES.map((l) => Number(l.line.split('.')[0])));
  if (major > newest) return { version, line: null, newer: true, status: 'maintained' };
  // Every line before 23.0 (17.x to 20.10 used year.month numbers) and the gaps between them are long unmaintained.
  return { version, line: null, newer: false, status: 'unmaintained' };
}
