/** The wizard: the reducer's state rendered, keys, resizes and engine results fed back to it as actions. */
import { useEffect, useReducer, useRef } from 'react';
import { useApp, useInput, useStdout } from 'ink';
import type { Walk } from '../core/walk.js';
import { reducer, initialState, type Action, type WizardState } from './reducer.js';
import { createEffectRunner, itemsFromWalk, type EffectRunner } from './effects.js';
import { ColorContext } from './components.js';
import { Screen } from './screens.js';
import { UNBOUNDED, type Viewport, type WizardInfo } from './layout.js';

export interface AppProps {
  walk: Walk;
  info: WizardInfo;
  color: boolean;
  /** Walk every step, passing ones too (the learn walkthrough). */
  stopOnPassing?: boolean;
  cwd?: string;
  /** A fixed size instead of the terminal's (a test renderer has none). */
  size?: Viewport;
  /** Called with the exit code (130 after Ctrl-C) as the app exits. */
  onExit?: (code: number) => void;
}

/** The terminal's size; unbounded when the output is not a terminal that says. */
function sizeOf(stdout: NodeJS.WriteStream): Viewport {
  return stdout.rows && stdout.columns ? { rows: stdout.rows, cols: stdout.columns } : UNBOUNDED;
}

export function App(props: AppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [state, dispatch] = useReducer(reducer, undefined, () =>
    initialState({ items: itemsFromWalk(props.walk, props.cwd), stopOnPassing: props.stopOnPassing, info: props.info, viewport: props.size ?? sizeOf(stdout) }),
  );
  const runner = useRef<EffectRunner | null>(null);
  runner.current ??= createEffectRunner(
    props.walk,
    (a: Action) => dispatch(a),
    (code) => {
      props.onExit?.(code);
      exit();
    },
  );

  useEffect(() => {
    if (state.effects.length === 0) return;
    const taken = state.effects;
    dispatch({ type: 'effects-taken', count: taken.length });
    for (const effect of taken) runner.current!.run(effect);
  }, [state.effects]);

  useEffect(() => {
    if (props.size) return;
    const onResize = () => {
      const size = sizeOf(stdout);
      dispatch({ type: 'resize', rows: size.rows, cols: size.cols });
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, props.size]);

  useInput((input, key) => dispatch({ type: 'key', input, key }));

  return (
    <ColorContext.Provider value={props.color}>
      <Wizard state={state} />
    </ColorContext.Provider>
  );
}

export function Wizard({ state, viewport }: { state: WizardState; viewport?: Viewport }) {
  return <Screen state={state} viewport={viewport ?? state.viewport} />;
}
