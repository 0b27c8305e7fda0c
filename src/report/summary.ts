/**
 * The report that ends the walk (step 13): every step and target with its status, the decision
 * kept in the profile (with the reason of each skip), what was applied and how to undo it, and the
 * security platform the person chose. Built on the `report` command's document (markdown.ts), so
 * the end of the walk and `docker-harden report` say the same thing.
 */
import type { StepRun } from '../core/runner.js';
import type { Profile } from '../core/profile.js';
import { palette as paletteOf, type Palette } from './color.js';
import { buildReport, renderReportMarkdown, renderReportText, type ReportDocument } from './markdown.js';

export type WalkReportFormat = 'text' | 'md' | 'json';

export interface WalkReport extends ReportDocument {
  /** The platform choice recorded by step 13, when one was made. */
  platform?: string;
  /** Decisions by kind across the walk. */
  decisions: { done: number; skipped: number; later: number; failed: number; undecided: number };
}

export interface WalkReportOptions {
  version?: string;
  profileFile?: string;
  stateDir?: string;
  /** Extra arguments that reach the same profile with `docker-harden undo`. */
  undoArgs?: string;
  now?: Date;
}

export function buildWalkReport(profile: Profile, runs: StepRun[], options: WalkReportOptions = {}): WalkReport {
  const doc = buildReport({
    runs,
    profile,
    version: options.version ?? '',
    profileFile: options.profileFile ?? '',
    stateDir: options.stateDir ?? '',
    undoArgs: options.undoArgs ?? '',
    now: options.now,
  });
  const decisions = { done: 0, skipped: 0, later: 0, failed: 0, undecided: 0 };
  for (const entry of doc.results) {
    if (entry.decision) decisions[entry.decision.status]++;
    else decisions.undecided++;
  }
  return { ...doc, ...(profile.platform ? { platform: profile.platform } : {}), decisions };
}

function decisionLine(report: WalkReport): string {
  const d = report.decisions;
  const parts = [`${d.done} done`, `${d.skipped} skipped`, `${d.later} for later`, `${d.failed} failed`, `${d.undecided} without a decision`];
  return `Decisions: ${parts.join(', ')}.`;
}

function platformLine(report: WalkReport): string {
  return report.platform ? `Security platform: ${report.platform}.` : 'Security platform: no choice recorded.';
}

export function renderWalkReport(report: WalkReport, format: WalkReportFormat, palette: Palette = paletteOf(false)): string {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'md':
      return `${renderReportMarkdown(report).trimEnd()}\n\n${decisionLine(report)} ${platformLine(report)}\n`;
    case 'text':
      return `${renderReportText(report, palette)}${decisionLine(report)}\n${platformLine(report)}\n`;
  }
}
