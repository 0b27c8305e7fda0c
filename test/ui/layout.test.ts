/**
 * The bounded layout as data: for every screen and several terminal sizes, the frame has fewer
 * rows than the terminal and no row is wider than it; text from files cannot reach the terminal
 * with its escape sequences.
 */
import { describe, expect, it } from 'vitest';
import { frame, rowText, wrapLine, type Viewport } from '../../src/ui/layout.js';
import { sanitise } from '../../src/core/sanitize.js';
import { initialState, reducer, type Action, type ItemView, type WizardState } from '../../src/ui/reducer.js';
import type { CheckResult, Proposal } from '../../src/core/step.js';

const longText = (n: number, word = 'word') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ');

const RESULT: CheckResult = {
  status: 'fail',
  findings: [
    ...Array.from({ length: 10 }, (_, i) => ({ message: `finding ${i} ${longText(12)}`, severity: 'low' as const, evidence: `evidence ${i}` })),
    { message: 'tcp://0.0.0.0:2375 has no TLS', severity: 'critical' as const, file: '/etc/docker/daemon.json', line: 2 },
  ],
  notes: [longText(30, 'note')],
};

const PROPOSAL: Proposal = {
  kind: 'change',
  risk: 'review',
  id: 'fix',
  title: `Fix ${longText(8)}`,
  description: longText(60, 'desc'),
  changes: [{ path: '/etc/docker/daemon.json', before: '{}\n', after: `{\n${Array.from({ length: 40 }, (_, i) => `  "key${i}": "${longText(6, 'v')}",`).join('\n')}\n}\n` }],
  commands: [{ title: 'restart', argv: ['systemctl', 'restart', 'docker'], run: true }],
  warnings: [longText(25, 'warn')],
  daemon: 'restart',
};

function item(i: number): ItemView {
  return { id: 'scan-host-config', order: i + 1, title: `Step ${i} ${longText(6)}`, summary: longText(20, 'sum'), explain: `${longText(80, 'why')}\n\n${longText(80, 'more')}`, references: [{ title: 'CIS', url: 'https://example.org/cis' }], target: 'this Docker host', proposals: [], decidedNow: false };
}

function states(viewport: Viewport): [string, WizardState][] {
  const run = (s: WizardState, ...actions: Action[]) => actions.reduce(reducer, s);
  const key = (input: string, k = {}): Action => ({ type: 'key', input, key: k });
  let s = initialState({ items: Array.from({ length: 13 }, (_, i) => item(i)), viewport, info: { profile: 'server', undoCommand: 'docker-harden undo --state-dir /var/lib/docker-harden', sandbox: '/tmp/learn' } });
  const out: [string, WizardState][] = [['loading', run(s, { type: 'check-started', index: 12 })]];
  s = run(s, { type: 'effects-taken', count: 1 });
  for (let i = 0; i < 13; i++) s = run(s, { type: 'checked', index: i, result: RESULT, proposals: [PROPOSAL, { ...PROPOSAL, id: 'other' }] });
  s = run(s, { type: 'loaded' });
  s = { ...s, notice: { tone: 'info', text: longText(50, 'notice') } };
  out.push(['step', s], ['step at the end', run(s, key('', { end: true }))], ['list', run(s, key('v'), ...Array(12).fill(key('', { downArrow: true })))]);
  out.push(['confirm', run(s, key('a'))], ['explain', run(s, key('e'))], ['reason', run(s, key('s'), key(longText(60, 'because')))]);
  const applying = run(s, key('a'), key('y'));
  out.push(['applying', Array.from({ length: 40 }, (_, i) => i).reduce((st, i) => reducer(st, { type: 'log', line: `log line ${i} ${longText(10)}` }), applying)]);
  const decided = run(s, ...Array.from({ length: 13 }, () => [key('s'), key('a reason that is long enough to wrap on a narrow terminal'), key('', { return: true })]).flat());
  out.push(['summary', decided], ['quit', run(decided, key('q'))]);
  return out;
}

describe('bounded layout', () => {
  for (const viewport of [
    { rows: 24, cols: 80 },
    { rows: 20, cols: 60 },
    { rows: 12, cols: 40 },
  ]) {
    it(`${viewport.cols}x${viewport.rows}: every screen has fewer rows than the terminal and none wider than it`, () => {
      for (const [name, state] of states(viewport)) {
        const f = frame(state, state.info, viewport);
        const rows = [...f.top, ...(f.spaced ? [[]] : []), ...f.pane, ...(f.scrollLine ? [f.scrollLine] : []), ...(f.spaced && f.bottom.length ? [[]] : []), ...f.bottom].map(rowText);
        expect(rows.length, `${name}:\n${rows.join('\n')}`).toBeLessThan(viewport.rows);
        for (const r of rows) expect([...r].length, `${name}: ${r}`).toBeLessThanOrEqual(viewport.cols);
        expect(rowText(f.top[0]!), name).toMatch(/^docker-harden/);
      }
    });
  }

  it('the step screen keeps the step line, the critical finding first, and the menu, at 60x20', () => {
    const [, told] = states({ rows: 20, cols: 60 }).find(([n]) => n === 'step')!;
    // A long notice goes on in the pane (tested below): here, the screen once it is gone.
    const state = { ...told, notice: undefined };
    const f = frame(state, state.info, { rows: 20, cols: 60 });
    expect(f.top.map(rowText).join('\n')).toMatch(/^1\. Step 0/m);
    expect(rowText(f.pane.find((r) => /✘|!/.test(rowText(r)))!)).toContain('tcp://0.0.0.0:2375 has no TLS');
    expect(f.bottom.map(rowText).join(' ')).toMatch(/❯ Apply {2}\(a\)/);
    expect(f.scrollLine && rowText(f.scrollLine)).toMatch(/^── 1-\d+ of \d+ · PgDn more ──$/);
  });

  it('a proposal\'s risk is on the fix line and the confirmation', () => {
    const all = states({ rows: 200, cols: 100 });
    const [, step] = all.find(([n]) => n === 'step')!;
    const risky = { ...step, items: step.items.map((it) => ({ ...it, proposals: it.proposals.map((p) => ({ ...p, risk: 'review' as const })) })) };
    const fixLine = (st: WizardState) => frame(st, st.info, { rows: 200, cols: 100 }).pane.map(rowText).find((r) => r.startsWith('Fix 1 of 2'))!;
    expect(fixLine(risky)).toMatch(/^Fix 1 of 2: Fix word0 .* \[risk: review\]/);
    expect(fixLine({ ...step, items: step.items.map((it) => ({ ...it, proposals: it.proposals.map((p) => ({ ...p, risk: 'safe' as const })) })) })).toMatch(/^Fix 1 of 2: Fix word0 .* \[risk: safe\]/);
    const confirm = reducer(risky, { type: 'key', input: 'a', key: {} });
    expect(frame(confirm, confirm.info, { rows: 200, cols: 100 }).pane.map(rowText)[0]).toMatch(/\[risk: review\] \(scan-host-config\)$/);
  });

  it('a long notice keeps two rows on top and goes on, whole, at the start of the pane', () => {
    const [, state] = states({ rows: 24, cols: 80 }).find(([n]) => n === 'step')!;
    const f = frame(state, state.info, { rows: 24, cols: 80 });
    const onTop = f.top.map(rowText).filter((r) => r.includes('notice'));
    expect(onTop).toHaveLength(2);
    const inPane = f.pane.map(rowText);
    const blank = inPane.indexOf('');
    expect(inPane.slice(0, blank).every((r) => r.includes('notice'))).toBe(true);
    const words = [...onTop, ...inPane.slice(0, blank)].join(' ').split(' ');
    expect(words).toEqual(longText(50, 'notice').split(' '));
    expect(inPane[blank + 1]).toBe(state.items[state.current]!.summary.slice(0, inPane[blank + 1]!.length));
  });

  it('an apply\'s outcome at the end of a long notice can be read at 60x20', () => {
    const [, state] = states({ rows: 20, cols: 60 }).find(([n]) => n === 'step')!;
    const told = { ...state, notice: { tone: 'bad' as const, text: `${longText(30, 'notice')} Nothing was changed.` } };
    const f = frame(told, told.info, { rows: 20, cols: 60 });
    expect([...f.top, ...f.pane].map(rowText).join(' ')).toContain('Nothing was changed.');
  });

  it('escape sequences and control characters from files never reach the terminal', () => {
    const hostile = 'evil\u001b[2J\u001b]0;title\u0007name\u0000\u0008\r here\u009b';
    expect(sanitise(hostile)).toBe('evilname here');
    const rows = wrapLine({ segs: [{ text: hostile }] }, 80);
    expect(rows.map(rowText)).toEqual(['evilname here']);
  });

  it('wraps at spaces, cuts a word longer than a row, and indents continuation rows', () => {
    const rows = wrapLine({ segs: [{ text: 'aaaa bbbb cccc ' + 'x'.repeat(25) }], indent: 2 }, 10).map(rowText);
    expect(rows).toEqual(['aaaa bbbb', '  cccc xxx', '  xxxxxxxx', '  xxxxxxxx', '  xxxxxx']);
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(10);
  });
});
