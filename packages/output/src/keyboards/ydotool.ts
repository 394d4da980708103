import { formatChord } from '../chords.js';
import { commandKeyboard } from './keyboard.js';

/**
 * Any Linux session through /dev/uinput, as a US keyboard: ASCII only, and the user must be in the
 * `input` group (or run ydotoold).
 */
export const ydotool = commandKeyboard({
  name: 'ydotool',
  command: 'ydotool',
  install: 'ydotool (apt install ydotool; add yourself to the input group)',
  unicode: false,
  type: (text) => [{ command: 'ydotool', args: ['type', '--file', '/dev/stdin'], input: text }],
  press: (chord) => ({ command: 'ydotool', args: ['key', formatChord(chord)] }),
});
