/** A yes/no question before the wizard starts (the learn sandbox offer). Enter means yes. */
import { useRef, useState } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import type { KeyInfo } from './reducer.js';
import { ColorContext, Tone } from './components.js';

/** y, Y or Enter: yes; n, N, Esc, q or Ctrl+C: no; anything else (a digit) is no answer yet. */
export function offerAnswer(input: string, key: KeyInfo): boolean | undefined {
  if (input === 'y' || input === 'Y' || key.return) return true;
  if (input === 'n' || input === 'N' || input === 'q' || key.escape || (key.ctrl && input === 'c')) return false;
  return undefined;
}

/** `interrupted`: the answer was Ctrl+C, which ends the run with exit code 130. */
export function Offer(props: { question: string; color: boolean; onAnswer: (yes: boolean, interrupted: boolean) => void }) {
  const { exit } = useApp();
  const [answer, setAnswer] = useState<boolean | undefined>(undefined);
  // Keys can arrive before the re-render: the first answer is kept in a ref, not only in state.
  const answered = useRef(false);
  useInput((input, key) => {
    if (answered.current) return;
    const yes = offerAnswer(input, key);
    if (yes === undefined) return;
    answered.current = true;
    setAnswer(yes);
    props.onAnswer(yes, Boolean(key.ctrl) && input === 'c');
    setTimeout(exit, 0);
  });
  return (
    <ColorContext.Provider value={props.color}>
      <Box flexDirection="column">
        <Text>
          {props.question} <Tone bold>[Y/n]</Tone>
          {answer === undefined ? '' : answer ? ' yes' : ' no'}
        </Text>
      </Box>
    </ColorContext.Provider>
  );
}
