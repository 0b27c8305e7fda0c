/** The finding codes of a step registry: who declares each, and what it means. */
import { SHARED_CODES } from '../core/codes.js';
import type { CodeInfo, Step } from '../core/step.js';

export interface CodeEntry {
  code: string;
  info: CodeInfo;
  /** The steps that report it; empty for a code of the engine's own. */
  steps: Step[];
}

/** Every code the registry's steps declare, in step order, then the shared ones. */
export function codeTable(steps: readonly Step[]): Map<string, CodeEntry> {
  const table = new Map<string, CodeEntry>();
  for (const step of steps) {
    for (const [code, info] of Object.entries(step.meta.codes)) {
      const entry = table.get(code);
      if (entry) entry.steps.push(step);
      else table.set(code, { code, info, steps: [step] });
    }
  }
  for (const [code, info] of Object.entries(SHARED_CODES)) if (!table.has(code)) table.set(code, { code, info, steps: [] });
  return table;
}
