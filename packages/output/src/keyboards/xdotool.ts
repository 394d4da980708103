import { bindKeysFor, DEFAULT_KEY_HOLD_MS, needsKeys } from '../internal/x-keymap.js';
import { commandKeyboard } from './keyboard.js';

const typeArgs = (delayMs: number) => [
  'type',
  '--clearmodifiers',
  '--delay',
  String(delayMs),
  '--file',
  '-',
];

/** X11: xdotool. */
export const xdotool = commandKeyboard({
  name: 'xdotool',
  command: 'xdotool',
  install: 'xdotool (apt install xdotool)',
  unicode: true,
  // --clearmodifiers: the hotkey's ctrl+shift may still be held when the text arrives. Characters
  // outside the keyboard layout are bound to spare keys first (`prepare`) and stay bound a while
  // after, so that a window reading its keys late still finds them. Where they could not be bound,
  // xdotool binds each itself and unbinds it right after its key, and a window that has not read the
  // key by then drops it: such runs go 40 ms a key (2 ms drops é and 東 under Xvfb).
  type: (text, onMap) =>
    onMap
      ? [{ command: 'xdotool', args: typeArgs(2), input: text }]
      : (text.match(/[ -~\t\n]+|[^ -~\t\n]+/g) ?? []).map((run) => ({
          command: 'xdotool',
          args: typeArgs(/^[ -~\t\n]/.test(run) ? 2 : 40),
          input: run,
        })),
  press: (chord) => ({
    command: 'xdotool',
    args: ['key', '--clearmodifiers', [...chord.modifiers, chord.key].join('+')],
  }),
  async check(text, ctx) {
    const display = ctx.env.DISPLAY;
    if (!display || !needsKeys(text)) return undefined;
    const plan = await bindKeysFor(display, text, {
      timeoutMs: ctx.timeoutMs,
      dryRun: true,
    }).catch(() => undefined);
    if (!plan || !('unbound' in plan)) return undefined;
    return {
      characters: plan.unbound,
      why: 'the keyboard layout lacks these characters and too few spare keys are left to bind them',
    };
  },
  async prepare(text, ctx) {
    const display = ctx.env.DISPLAY;
    if (!needsKeys(text)) return { onMap: true, done: () => undefined };
    if (!display) return undefined;
    try {
      const bound = await bindKeysFor(display, text, { timeoutMs: ctx.timeoutMs });
      if ('unbound' in bound) return undefined;
      return { onMap: true, done: () => bound.lease.release(ctx.keyHoldMs ?? DEFAULT_KEY_HOLD_MS) };
    } catch (err) {
      ctx.notice('the keys for characters off the layout could not be bound: xdotool binds each', {
        err,
      });
      return undefined;
    }
  },
});
