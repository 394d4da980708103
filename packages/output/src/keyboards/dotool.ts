import { formatChord } from '../chords.js';
import { commandKeyboard } from './keyboard.js';

/** Like ydotool, through /dev/uinput: ASCII only, the user in the `input` group. */
export const dotool = commandKeyboard({
  name: 'dotool',
  command: 'dotool',
  install: 'dotool (https://sr.ht/~geb/dotool/; add yourself to the input group)',
  unicode: false,
  type: (text) => [{ command: 'dotool', args: [], input: `type ${text}\n` }],
  press: (chord) => ({ command: 'dotool', args: [], input: `key ${formatChord(chord)}\n` }),
});
