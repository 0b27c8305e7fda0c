/** Colour that honours NO_COLOR: the one place the wizard's text gets its style. */
import { createContext, useContext, type ReactNode } from 'react';
import { Text } from 'ink';
import type { Colour } from './layout.js';

/** False with NO_COLOR or --no-color: every Tone then renders plain text. */
export const ColorContext = createContext(true);

export function Tone(props: { color?: Colour; bold?: boolean; dim?: boolean; inverse?: boolean; children?: ReactNode }) {
  const on = useContext(ColorContext);
  if (!on) return <Text>{props.children}</Text>;
  return (
    <Text color={props.color} bold={props.bold} dimColor={props.dim} inverse={props.inverse}>
      {props.children}
    </Text>
  );
}
