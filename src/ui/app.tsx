/** The wizard: the reducer's state rendered, keys and engine results fed back to it as actions. */
import { useEffect, useReducer, useRef } from 'react';
import { Box, useApp, useInput, useStdout } from 'ink';
import type { Walk } from '../core/walk.js';
import { reducer, initialState, type Action, type WizardState } from './reducer.js';
import { createEffectRunner, itemsFromWalk, type EffectRunner } from './effects.js';
import { ColorContext, Footer, Header } from './components.js';
import {
  ApplyingScreen,
  ConfirmScreen,
  ExplainScreen,
  footerKeys,
  ListScreen,
  LoadingScreen,
  NoticeLine,
  ReasonScreen,
  RefreshScreen,
  StepScreen,
  SummaryScreen,
  type WizardInfo,
} from './screens.js';

export interface AppProps {
  walk: Walk;
  info: WizardInfo;
  color: boolean;
  /** Walk every step, passing ones too (the learn walkthrough). */
  stopOnPassing?: boolean;
  cwd?: string;
}

export function App(props: AppProps) {
  const { exit } = useApp();
  const [state, dispatch] = useReducer(reducer, undefined, () =>
    initialState({ items: itemsFromWalk(props.walk, props.cwd), stopOnPassing: props.stopOnPassing }),
  );
  const runner = useRef<EffectRunner | null>(null);
  runner.current ??= createEffectRunner(props.walk, (a: Action) => dispatch(a), () => exit());

  useEffect(() => {
    if (state.effects.length === 0) return;
    const taken = state.effects;
    dispatch({ type: 'effects-taken', count: taken.length });
    for (const effect of taken) runner.current!.run(effect);
  }, [state.effects]);

  useInput((input, key) => dispatch({ type: 'key', input, key }));
  const { stdout } = useStdout();

  return (
    <ColorContext.Provider value={props.color}>
      <Wizard state={state} info={props.info} compact={(stdout.rows ?? Infinity) < COMPACT_BELOW_ROWS} />
    </ColorContext.Provider>
  );
}

/** Terminals shorter than this get the compact step screen. */
export const COMPACT_BELOW_ROWS = 40;

export function Wizard({ state, info, compact = false }: { state: WizardState; info: WizardInfo; compact?: boolean }) {
  const item = state.items[state.current];
  // While checking, the progress is on the screen itself.
  const position = state.screen === 'loading' ? '' : `${state.current + 1}/${state.items.length}`;
  return (
    <Box flexDirection="column">
      <Header target={state.screen === 'loading' ? '' : (item?.target ?? '')} profile={info.profile} position={position} />
      <NoticeLine notice={state.notice} />
      <Screen state={state} info={info} compact={compact} />
      {footerKeys(state) ? <Footer keys={footerKeys(state)} /> : null}
    </Box>
  );
}

function Screen({ state, info, compact }: { state: WizardState; info: WizardInfo; compact: boolean }) {
  switch (state.screen) {
    case 'loading':
      return <LoadingScreen state={state} />;
    case 'refresh':
      return <RefreshScreen state={state} />;
    case 'step':
      return <StepScreen state={state} compact={compact} />;
    case 'list':
      return <ListScreen state={state} />;
    case 'confirm':
      return <ConfirmScreen state={state} />;
    case 'applying':
      return <ApplyingScreen state={state} />;
    case 'reason':
      return <ReasonScreen state={state} />;
    case 'explain':
      return <ExplainScreen state={state} />;
    case 'summary':
      return <SummaryScreen state={state} info={info} final={false} />;
    case 'quit':
      return <SummaryScreen state={state} info={info} final />;
  }
}
