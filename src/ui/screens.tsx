/**
 * The wizard's screen: the frame computed by layout.ts (header and step line, the pane's visible
 * rows, the menu and keys) rendered row by row. It has no behaviour of its own.
 */
import { Box, Text } from 'ink';
import type { WizardState } from './reducer.js';
import { frame, type Row, type Viewport } from './layout.js';
import { Tone } from './components.js';

export { footerKeys, type WizardInfo } from './layout.js';

function RowView({ row }: { row: Row }) {
  // Each row already fits the width: truncation only guards against a character wider than counted.
  return (
    <Text wrap="truncate-end">
      {row.length === 0 ? ' ' : null}
      {row.map((s, i) => (
        <Tone key={i} color={s.color} bold={s.bold} dim={s.dim} inverse={s.inverse}>
          {s.text}
        </Tone>
      ))}
    </Text>
  );
}

export function Screen({ state, viewport }: { state: WizardState; viewport: Viewport }) {
  const f = frame(state, state.info, viewport);
  return (
    <Box flexDirection="column">
      {f.top.map((r, i) => (
        <RowView key={`t${i}`} row={r} />
      ))}
      {f.spaced ? <RowView row={[]} /> : null}
      {f.pane.map((r, i) => (
        <RowView key={`p${i}`} row={r} />
      ))}
      {f.scrollLine ? <RowView row={f.scrollLine} /> : null}
      {f.spaced && f.bottom.length > 0 ? <RowView row={[]} /> : null}
      {f.bottom.map((r, i) => (
        <RowView key={`b${i}`} row={r} />
      ))}
    </Box>
  );
}
