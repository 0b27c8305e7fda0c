/** `docker-harden explain CODE`: what a finding code means, why it matters and how to fix it. */
import type { Args } from '../args.js';
import type { Io } from './batch.js';
import { UserError } from '../core/errors.js';
import { closestWord } from '../core/words.js';
import type { Step } from '../core/step.js';
import { codeTable } from './codes.js';

export function explainCommand(args: Args, io: Io, steps: readonly Step[]): number {
  const table = codeTable(steps);
  const asked = args.positional[0];
  if (!asked) throw new UserError('explain needs a finding code', 'For example: docker-harden explain DH-USER-ROOT (codes are shown with each finding).');
  if (args.positional.length > 1) throw new UserError(`explain takes one code, not ${args.positional.length}`, `For example: docker-harden explain ${asked}`);
  // "cis-2.2" and "2.2" name CIS-2.2.
  const wanted = /^\d+(\.\d+)+$/.test(asked) ? `CIS-${asked}` : asked.toUpperCase();
  const entry = table.get(wanted);
  if (!entry) {
    const near = closestWord(wanted, [...table.keys()]);
    throw new UserError(
      `unknown finding code "${asked.slice(0, 60).replace(/[^\x20-\x7e]/g, '?')}"`,
      near ? `Did you mean ${near}? Run \`docker-harden explain ${near}\`.` : 'Codes are shown with each finding of `docker-harden check`.',
    );
  }
  if (args.format === 'json') {
    io.stdout.write(
      JSON.stringify({ code: entry.code, ...entry.info, steps: entry.steps.map((s) => s.meta.id), references: entry.steps.flatMap((s) => s.meta.references) }, null, 2) + '\n',
    );
    return 0;
  }
  const lines = [`${entry.code} (${entry.info.severity}): ${entry.info.title}`, '', entry.info.help, ''];
  if (entry.steps.length === 0) lines.push('Reported by docker-harden itself, by any step.');
  for (const s of entry.steps) {
    lines.push(`Step ${s.meta.order}, ${s.meta.title} [${s.meta.id}]`);
    for (const r of s.meta.references) lines.push(`  ${r.title}: ${r.url}`);
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
