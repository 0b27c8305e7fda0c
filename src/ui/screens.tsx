/** The wizard's screens. Each renders a part of the state; none has behaviour of its own. */
import { Box, Text } from 'ink';
import type { ItemView, WizardState, Notice, AppliedView } from './reducer.js';
import { choicesFor, isApplicable, isSettled, type ChoiceId } from './reducer.js';
import { DecisionTag, DiffView, SeverityMark, StatusMark, Tone, statusColour } from './components.js';
import { quoteArg } from '../report/text.js';
import { RISK_TEXT, type Proposal } from '../core/step.js';

export interface WizardInfo {
  profile: string;
  /** The undo command for this state directory, shown in the summary. */
  undoCommand: string;
  /** The learn sandbox: nothing outside it is touched. */
  sandbox?: string;
  /** Changes applied to these targets in earlier runs, still in place. */
  appliedEarlier?: number;
  /** How to continue later, when it is not simply the same command (the learn sandbox). */
  resumeCommand?: string;
}

const CHOICE_WORD: Record<ChoiceId, string> = {
  apply: 'apply',
  done: 'done',
  next: 'next',
  skip: 'skip',
  later: 'later',
  recheck: 'again',
  explain: 'explain',
  quit: 'quit',
};

/** The keys that work on the screen shown, for the footer. */
export function footerKeys(state: WizardState): string {
  if (state.screen !== 'step') return FOOTER_KEYS[state.screen];
  const item = state.items[state.current];
  const choices = choicesFor(item, state.proposalIndex).filter((c) => c.id !== 'quit');
  const parts = ['↑↓ Enter', ...choices.map((c) => `${c.key} ${CHOICE_WORD[c.id]}`)];
  if ((item?.proposals.length ?? 0) > 1) parts.push('←→ other fixes');
  parts.push('v steps', 'q quit');
  return parts.join(' · ');
}

const FOOTER_KEYS: Record<WizardState['screen'], string> = {
  loading: 'q quit',
  refresh: 'q quit',
  step: '',
  list: '↑↓ move · Enter open · Esc back · q quit',
  confirm: 'y apply · n or Esc keep as is · ←→ then Enter',
  applying: 'applying, please wait',
  reason: 'type the reason · Enter save · Esc back',
  explain: 'Esc or Enter back · q quit',
  summary: 'Enter or q exit · v all steps',
  quit: '',
};

export function NoticeLine({ notice }: { notice?: Notice }) {
  if (!notice) return null;
  const colour = notice.tone === 'good' ? 'green' : notice.tone === 'bad' ? 'red' : 'cyan';
  return (
    <Box marginTop={1}>
      <Tone color={colour}>{notice.text}</Tone>
    </Box>
  );
}

export function LoadingScreen({ state }: { state: WizardState }) {
  const { index, total, id } = state.loading;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        checking {Math.min(index + 1, total)}/{total}
        {id ? `: ${id}` : ''}
      </Text>
      <StepRows state={state} cursor={-1} />
    </Box>
  );
}

export function RefreshScreen({ state }: { state: WizardState }) {
  const item = state.items[state.current];
  return (
    <Box marginTop={1}>
      <Text>
        checking {item?.id} again: a change applied since its first check may have changed what it finds…
      </Text>
    </Box>
  );
}

function StepRows({ state, cursor }: { state: WizardState; cursor: number }) {
  const width = Math.max(...state.items.map((i) => i.id.length));
  const multiTarget = new Set(state.items.map((i) => i.target)).size > 1;
  return (
    <Box flexDirection="column">
      {state.items.map((item, i) => (
        <Text key={i}>
          {i === cursor ? <Tone color="cyan">❯ </Tone> : '  '}
          <StatusMark status={item.result?.status} /> {String(item.order).padStart(2)}. {item.id.padEnd(width)}
          {multiTarget ? <Tone dim> {item.target}</Tone> : null}
          {item.decision ? ' ' : ''}
          <DecisionTag decision={item.decision} />
          {i === state.current && state.screen !== 'loading' && cursor !== i ? <Tone dim> (current)</Tone> : null}
        </Text>
      ))}
    </Box>
  );
}

export function ListScreen({ state }: { state: WizardState }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      <Tone bold>All steps</Tone>
      <StepRows state={state} cursor={state.listCursor} />
    </Box>
  );
}

function firstParagraph(text: string): string {
  return text.split(/\n\s*\n/)[0]!.trim();
}

function Findings({ item }: { item: ItemView }) {
  const result = item.result;
  if (!result) return <Text>not checked yet</Text>;
  return (
    <Box flexDirection="column">
      {result.findings.length === 0 ? <Tone color="green">Nothing found to change.</Tone> : null}
      {result.findings.map((f, i) => (
        <Box key={i} flexDirection="column">
          <Text>
            <SeverityMark severity={f.severity} /> {f.file ? <Tone bold>{`${f.file}${f.line ? `:${f.line}` : ''}${f.column ? `:${f.column}` : ''} `}</Tone> : null}
            {f.message} <Tone dim>[{f.severity}]</Tone>
          </Text>
          {f.evidence ? (
            <Box marginLeft={4}>
              <Tone dim>{f.evidence}</Tone>
            </Box>
          ) : null}
        </Box>
      ))}
      {(result.notes ?? []).map((n, i) => (
        <Tone key={`n${i}`} dim>
          {n}
        </Tone>
      ))}
    </Box>
  );
}

function Commands({ proposal }: { proposal: Proposal }) {
  const run = proposal.commands.filter((c) => c.run);
  const shown = proposal.commands.filter((c) => !c.run);
  return (
    <Box flexDirection="column">
      {run.length > 0 ? <Text>Commands docker-harden runs after your yes:</Text> : null}
      {run.map((c, i) => (
        <Text key={`r${i}`}>
          {'  $ '}
          {c.argv.map(quoteArg).join(' ')}
          <Tone dim>{`  # ${c.title}`}</Tone>
        </Text>
      ))}
      {shown.length > 0 ? <Text>Commands for you to run:</Text> : null}
      {shown.map((c, i) => (
        <Text key={`s${i}`}>
          {'  $ '}
          {c.argv.map(quoteArg).join(' ')}
          <Tone dim>{`  # ${c.title}${c.asUser ? ` (as ${c.asUser})` : ''}`}</Tone>
        </Text>
      ))}
    </Box>
  );
}

function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function ProposalView({ item, index, compact }: { item: ItemView; index: number; compact: boolean }) {
  const proposal = item.proposals[index];
  if (!proposal) return null;
  const many = item.proposals.length > 1;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        <Tone bold color="cyan">
          {many ? `Fix ${index + 1} of ${item.proposals.length}: ` : 'Fix: '}
        </Tone>
        <Tone bold>{proposal.title}</Tone>
        {many ? <Tone dim> (←→ shows the other fixes)</Tone> : null}
      </Text>
      <Text>
        <Tone color={proposal.risk === 'safe' ? 'green' : 'yellow'}>Risk {RISK_TEXT[proposal.risk]}</Tone>
      </Text>
      {many ? (
        <Text>
          {item.proposals.map((p, i) => (
            <Text key={p.id}>
              {i > 0 ? ' · ' : ''}
              {i === index ? <Tone inverse>{`${i + 1} ${shorten(p.title)}`}</Tone> : <Tone dim>{`${i + 1} ${shorten(p.title)}`}</Tone>}
            </Text>
          ))}
        </Text>
      ) : null}
      {proposal.description && !compact ? <Text>{proposal.description}</Text> : null}
      {proposal.warnings.map((w, i) => (
        <Text key={`w${i}`}>
          <Tone color="yellow">warning:</Tone> {w}
        </Text>
      ))}
      {proposal.daemon ? <Text>Applying {proposal.daemon === 'restart' ? 'restarts' : 'reloads'} dockerd, then waits until it answers.</Text> : null}
      {proposal.changes.map((c, i) => (
        <DiffView key={`c${i}`} change={c} />
      ))}
      <Commands proposal={proposal} />
    </Box>
  );
}

/**
 * One step: what was found, why it matters, the fix as a diff, and the choices. `compact` (a
 * short terminal) leaves out the explanation and the fix's description (Explain more shows
 * them) and puts the choices on one line, so the diff and the choices stay on screen.
 */
export function StepScreen({ state, compact = false }: { state: WizardState; compact?: boolean }) {
  const item = state.items[state.current];
  if (!item) return null;
  const choices = choicesFor(item, state.proposalIndex);
  const status = item.result?.status;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        <Tone bold>
          {item.order}. {item.title}
        </Tone>{' '}
        <StatusMark status={status} /> <Tone color={statusColour(status)}>{status ?? 'not checked'}</Tone>
        <Tone dim>{`  [${item.id}] ${item.target}`}</Tone>
      </Text>
      {item.summary ? <Text>{item.summary}</Text> : null}
      <Box flexDirection="column" marginTop={1}>
        <Findings item={item} />
      </Box>
      {item.explain && !compact ? (
        <Box marginTop={1}>
          <Text>{firstParagraph(item.explain)}</Text>
        </Box>
      ) : null}
      <ProposalView item={item} index={state.proposalIndex} compact={compact} />
      {item.decision && item.decision.at ? (
        <Text>
          Decided earlier: <DecisionTag decision={item.decision} />
        </Text>
      ) : null}
      {compact ? (
        <Box marginTop={1} flexWrap="wrap">
          {choices.map((c, i) => (
            <Text key={c.id}>
              {i === state.choiceCursor ? <Tone color="cyan">❯ </Tone> : '  '}
              {i === state.choiceCursor ? <Tone bold>{c.label}</Tone> : c.label}
              <Tone dim>{` (${c.key}) `}</Tone>
            </Text>
          ))}
        </Box>
      ) : (
        <Box flexDirection="column" marginTop={1}>
          {choices.map((c, i) => (
            <Text key={c.id}>
              {i === state.choiceCursor ? <Tone color="cyan">❯ </Tone> : '  '}
              {i === state.choiceCursor ? <Tone bold>{c.label}</Tone> : c.label}
              <Tone dim>{`  (${c.key})`}</Tone>
            </Text>
          ))}
        </Box>
      )}
    </Box>
  );
}

export function ConfirmScreen({ state }: { state: WizardState }) {
  const item = state.items[state.current]!;
  const proposal = item.proposals[state.proposalIndex];
  if (!isApplicable(proposal)) return null;
  const files = proposal.changes.map((c) => c.path);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        <Tone bold>{proposal.title}</Tone> <Tone dim>({item.id})</Tone>
      </Text>
      {files.length > 0 ? <Text>Writes {files.join(', ')}; the previous version is kept as a backup.</Text> : null}
      {proposal.commands.filter((c) => c.run).map((c, i) => (
        <Text key={i}>Runs {c.argv.map(quoteArg).join(' ')}</Text>
      ))}
      {proposal.daemon ? <Text>Then {proposal.daemon === 'restart' ? 'restarts' : 'reloads'} dockerd; if it does not come back, the old files are restored.</Text> : null}
      {proposal.warnings.map((w, i) => (
        <Text key={`w${i}`}>
          <Tone color="yellow">warning:</Tone> {w}
        </Text>
      ))}
      <Box marginTop={1}>
        <Text>Apply this change? </Text>
        {state.confirmYes ? <Tone inverse color="green">[ Yes ]</Tone> : <Text>  Yes  </Text>}
        <Text> </Text>
        {!state.confirmYes ? <Tone inverse>[ No ]</Tone> : <Text>  No  </Text>}
        <Tone dim>  (y/n)</Tone>
      </Box>
    </Box>
  );
}

export function ApplyingScreen({ state }: { state: WizardState }) {
  const item = state.items[state.current]!;
  const proposal = item.proposals[state.proposalIndex];
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>Applying {proposal ? proposal.title : item.title}…</Text>
      {state.log.map((l, i) => (
        <Tone key={i} dim>
          {`  ${l}`}
        </Tone>
      ))}
    </Box>
  );
}

export function ReasonScreen({ state }: { state: WizardState }) {
  const item = state.items[state.current]!;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        Skip <Tone bold>{item.title}</Tone>. Why? The reason is kept in the profile and shown in the summary.
      </Text>
      <Text>
        <Tone color="cyan">reason› </Tone>
        {state.reason}
        <Tone inverse> </Tone>
      </Text>
    </Box>
  );
}

export function ExplainScreen({ state }: { state: WizardState }) {
  const item = state.items[state.current]!;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Tone bold>
        {item.order}. {item.title}
      </Tone>
      {item.summary ? <Text>{item.summary}</Text> : null}
      <Box marginTop={1}>
        <Text>{item.explain || 'No further explanation for this step.'}</Text>
      </Box>
      {item.proposals
        .filter((p) => p.description)
        .map((p) => (
          <Box key={p.id} marginTop={1} flexDirection="column">
            <Tone bold>{p.title}</Tone>
            <Text>{p.description}</Text>
          </Box>
        ))}
      {item.references.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>Read more:</Text>
          {item.references.map((r, i) => (
            <Text key={i}>
              {'  '}
              {r.title}: <Tone color="cyan">{r.url}</Tone>
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}

function AppliedLines({ applied }: { applied: AppliedView[] }) {
  return (
    <Box flexDirection="column">
      {applied.map((a, i) => (
        <Text key={i}>
          {'  '}
          <Tone color="green">✔</Tone> {a.stepId}: {a.title}
          {a.files.length > 0 ? ` (${a.files.join(', ')})` : ''}
          {a.recordId ? <Tone dim>{`  change ${a.recordId}`}</Tone> : null}
        </Text>
      ))}
    </Box>
  );
}

export function SummaryScreen({ state, info, final }: { state: WizardState; info: WizardInfo; final: boolean }) {
  const skipped = state.items.filter((i) => i.decision?.status === 'skipped');
  const open = state.items.findIndex((i) => !isSettled(i, state.stopOnPassing));
  return (
    <Box flexDirection="column" marginTop={1}>
      <Tone bold>Summary</Tone>
      <StepRows state={{ ...state, screen: 'loading' }} cursor={-1} />
      {skipped.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>Skipped, with the reasons given:</Text>
          {skipped.map((i) => (
            <Text key={i.id + i.target}>
              {'  '}
              {i.id}: {i.decision?.reason}
            </Text>
          ))}
        </Box>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        {state.applied.length > 0 ? (
          <>
            <Text>Applied in this run:</Text>
            <AppliedLines applied={state.applied} />
          </>
        ) : (
          <Text>Nothing was applied in this run.</Text>
        )}
        {info.appliedEarlier ? <Text>{info.appliedEarlier} change(s) from earlier runs are still in place.</Text> : null}
        {state.applied.length > 0 || info.appliedEarlier ? (
          <Text>
            To undo, newest first: <Tone bold>{info.undoCommand}</Tone> <Tone dim>(add --list to see them)</Tone>
          </Text>
        ) : null}
      </Box>
      {info.sandbox ? <Text>Everything happened in the sandbox {info.sandbox}; nothing else was touched.</Text> : null}
      {final ? (
        <Box marginTop={1}>
          <Text>
            {open >= 0
              ? `Progress is saved. Run ${info.resumeCommand ?? 'the same command'} again to continue at ${open + 1}/${state.items.length} ${state.items[open]!.id}.`
              : 'Progress is saved. Every step is done, skipped or passes.'}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}
