import { commandKeyboard } from './keyboard.js';

/** X11: xdotool. */
export const xdotool = commandKeyboard({
  name: 'xdotool',
  command: 'xdotool',
  install: 'xdotool (apt install xdotool)',
  unicode: true,
  // --clearmodifiers: the hotkey's ctrl+shift may still be held when the text arrives. A character
  // outside the keyboard layout is typed by remapping a spare key, and a window that has not yet
  // taken the new mapping drops it: such runs go 40 ms a key (2 ms drops é and 東 under Xvfb).
  type: (text) =>
    (text.match(/[ -~\t\n]+|[^ -~\t\n]+/g) ?? []).map((run) => ({
      command: 'xdotool',
      args: [
        'type',
        '--clearmodifiers',
        '--delay',
        /^[ -~\t\n]/.test(run) ? '2' : '40',
        '--file',
        '-',
      ],
      input: run,
    })),
  press: (chord) => ({
    command: 'xdotool',
    args: ['key', '--clearmodifiers', [...chord.modifiers, chord.key].join('+')],
  }),
});
