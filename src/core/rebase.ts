/**
 * A file change re-based on the file as it is now. A proposal is computed from the content a check
 * read; by the time it is applied another fix (or the person, in an editor) may have changed the
 * file. A change that says what it does, not only what the file becomes, is made again on the new
 * content: daemon.json keys are set again, a compose service's edits are made again, and text
 * edits move with the lines around them when those lines are unchanged. Anything else, or an edit
 * whose own lines changed, cannot be re-based: the caller refuses it as "changed since it was checked".
 */
import { diffLines } from 'diff/lib/diff/line.js';
import type { FileChange, Proposal } from './step.js';
import { readNoFollow } from './change.js';
import { UserError } from './errors.js';

type TextEdit = NonNullable<FileChange['edits']>[number];

/**
 * `change` made on `current` instead of `change.before`; the change itself when they are equal;
 * null when it cannot be made there (the caller refuses it and nothing is written).
 */
export async function rebaseChange(change: FileChange, current: string | null): Promise<FileChange | null> {
  if (current === change.before) return change;
  if (change.json) {
    // Keys are set on whatever the file holds now (a daemon.json another fix created included).
    const { editDaemonConfig } = await import('../host/daemon-edit.js');
    try {
      return { path: change.path, before: current, after: editDaemonConfig(current, change.json), json: change.json, ...(current === null && change.mode !== undefined ? { mode: change.mode } : {}) };
    } catch {
      return null;
    }
  }
  if (current === null || change.before === null) return null;
  if (change.compose) {
    const { editService } = await import('../compose/edit.js');
    try {
      return { path: change.path, before: current, after: editService(current, change.compose.service, change.compose.edits, change.path), compose: change.compose };
    } catch {
      return null;
    }
  }
  if (change.edits) {
    const edits = moveEdits(change.before, current, change.edits);
    if (!edits) return null;
    const { applyEdits } = await import('../dockerfile/edit.js');
    return { path: change.path, before: current, after: applyEdits(current, edits), edits };
  }
  return null;
}

/**
 * Text edits of `before` moved onto `current`: each must lie within lines the two share unchanged
 * (an insertion binds to the line after it, which must be unchanged too, or to the end of both
 * files). Null when one does not.
 */
export function moveEdits(before: string, current: string, edits: readonly TextEdit[]): TextEdit[] | null {
  // Unchanged runs: [start, end) in before, and where that run starts in current.
  const runs: { start: number; end: number; at: number }[] = [];
  let b = 0;
  let c = 0;
  for (const part of diffLines(before, current)) {
    const length = part.value.length;
    if (part.added) c += length;
    else if (part.removed) b += length;
    else {
      runs.push({ start: b, end: b + length, at: c });
      b += length;
      c += length;
    }
  }
  const moved: TextEdit[] = [];
  for (const edit of edits) {
    const run = runs.find((r) =>
      edit.start === edit.end
        ? r.start <= edit.start && (edit.start < r.end || (edit.start === before.length && r.end === before.length && r.at + r.end - r.start === current.length))
        : r.start <= edit.start && edit.end <= r.end,
    );
    if (!run) return null;
    const shift = run.at - run.start;
    moved.push({ start: edit.start + shift, end: edit.end + shift, text: edit.text });
  }
  return moved;
}

/**
 * The proposal with each file change made on the file as it is now; the proposal itself when no
 * file changed since the check. Throws, naming the file, when a change cannot be re-based.
 */
export async function rebaseProposal(proposal: Proposal, log: (line: string) => void): Promise<Proposal> {
  if (proposal.kind !== 'change') return proposal;
  let moved = false;
  const changes: FileChange[] = [];
  for (const change of proposal.changes) {
    const bytes = await readNoFollow(change.path);
    const current = bytes === null ? null : bytes.toString('utf8');
    const rebased = await rebaseChange(change, current);
    if (!rebased) {
      throw new UserError(
        change.before === null ? 'was created by someone else since it was checked, and this change cannot be made on it; nothing written' : 'changed since it was checked where this change edits it; nothing written',
        'Run the check again to see a fresh diff.',
        change.path,
      );
    }
    if (rebased !== change) {
      moved = true;
      log(`${change.path} changed since it was checked: the change is made on it as it is now`);
    }
    changes.push(rebased);
  }
  return moved ? { ...proposal, changes } : proposal;
}
