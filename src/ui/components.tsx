/** Small building blocks of the wizard's screens: colour that honours NO_COLOR, marks, the diff. */
import { createContext, useContext, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { FileChange, Severity, Status } from '../core/step.js';
import { unifiedDiff } from '../core/change.js';
import { safeText } from '../core/sanitize.js';
import { STATUS_MARK } from '../report/text.js';
import type { Decision } from '../core/profile.js';

/** False with NO_COLOR or --no-color: every Tone then renders plain text. */
export const ColorContext = createContext(true);

type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'gray';

export function Tone(props: { color?: Colour; bold?: boolean; dim?: boolean; inverse?: boolean; children?: ReactNode }) {
  const on = useContext(ColorContext);
  if (!on) return <Text>{props.children}</Text>;
  return (
    <Text color={props.color} bold={props.bold} dimColor={props.dim} inverse={props.inverse}>
      {props.children}
    </Text>
  );
}

export function statusColour(status: Status | undefined): Colour | undefined {
  switch (status) {
    case 'pass':
      return 'green';
    case 'fail':
    case 'error':
      return 'red';
    case 'warn':
      return 'yellow';
    default:
      return undefined;
  }
}

/** ✔ ✘ ! i - ? for a status; … while not checked yet. */
export function StatusMark({ status }: { status: Status | undefined }) {
  return <Tone color={statusColour(status)}>{status ? STATUS_MARK[status] : '…'}</Tone>;
}

export function DecisionTag({ decision }: { decision: Decision | undefined }) {
  if (!decision) return null;
  const colour: Colour = decision.status === 'done' ? 'green' : decision.status === 'failed' ? 'red' : decision.status === 'skipped' ? 'yellow' : 'cyan';
  return (
    <Tone color={colour}>
      {decision.status}
      {decision.status === 'skipped' && decision.reason ? `: ${decision.reason}` : ''}
    </Tone>
  );
}

const SEVERITY_MARK: Record<Severity, string> = { critical: '✘', high: '✘', medium: '✘', low: '!', info: 'i' };
const SEVERITY_COLOUR: Record<Severity, Colour | undefined> = { critical: 'red', high: 'red', medium: 'red', low: 'yellow', info: undefined };

export function SeverityMark({ severity }: { severity: Severity }) {
  return <Tone color={SEVERITY_COLOUR[severity]}>{SEVERITY_MARK[severity]}</Tone>;
}

export interface DiffLine {
  kind: 'file' | 'hunk' | 'add' | 'del' | 'same' | 'note';
  text: string;
  /** Line number in the new file (in the old one for a removed line). */
  line?: number;
}

/** A unified diff as lines, each with the line number it stands at, for a gutter. */
export function diffLines(change: FileChange): DiffLine[] {
  const out: DiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  // The diff shows file text: made safe for the terminal, line by line.
  for (const raw of safeText(unifiedDiff(change)).replace(/\n$/, '').split('\n')) {
    if (raw.startsWith('---') || raw.startsWith('+++')) {
      out.push({ kind: 'file', text: raw });
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      out.push({ kind: 'hunk', text: raw });
    } else if (raw.startsWith('+')) out.push({ kind: 'add', text: raw, line: newLine++ });
    else if (raw.startsWith('-')) out.push({ kind: 'del', text: raw, line: oldLine++ });
    else if (raw.startsWith('\\')) out.push({ kind: 'note', text: raw });
    else {
      out.push({ kind: 'same', text: raw, line: newLine++ });
      oldLine++;
    }
  }
  return out;
}

export function DiffView({ change }: { change: FileChange }) {
  const lines = diffLines(change);
  const width = String(Math.max(1, ...lines.map((l) => l.line ?? 0))).length;
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => {
        const gutter = l.line === undefined ? ' '.repeat(width) : String(l.line).padStart(width);
        switch (l.kind) {
          case 'file':
            return <Tone key={i} bold>{l.text}</Tone>;
          case 'hunk':
            return <Tone key={i} color="cyan">{l.text}</Tone>;
          case 'add':
            return (
              <Text key={i}>
                <Tone dim>{gutter} </Tone>
                <Tone color="green">{l.text}</Tone>
              </Text>
            );
          case 'del':
            return (
              <Text key={i}>
                <Tone dim>{gutter} </Tone>
                <Tone color="red">{l.text}</Tone>
              </Text>
            );
          case 'note':
            return <Tone key={i} dim>{l.text}</Tone>;
          default:
            return (
              <Text key={i}>
                <Tone dim>{gutter} </Tone>
                {l.text}
              </Text>
            );
        }
      })}
    </Box>
  );
}

export function Header(props: { target: string; profile: string; position: string }) {
  return (
    <Box>
      <Tone bold>docker-harden</Tone>
      {props.target ? <Text> · {props.target}</Text> : null}
      <Text> · profile {props.profile}</Text>
      {props.position ? (
        <Text>
          {' · '}
          <Tone bold>{props.position}</Tone>
        </Text>
      ) : null}
    </Box>
  );
}

export function Footer({ keys }: { keys: string }) {
  return (
    <Box marginTop={1}>
      <Tone dim>{keys}</Tone>
    </Box>
  );
}
