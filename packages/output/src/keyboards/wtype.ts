import { commandKeyboard } from './keyboard.js';

/**
 * wlroots Wayland: wtype. It uploads its own keymap, so any character types; a client's first key
 * after connecting can be lost while the window takes the new keymap, so each call begins with a
 * 30 ms pause.
 */
export const wtype = commandKeyboard({
  name: 'wtype',
  command: 'wtype',
  install: 'wtype (apt install wtype)',
  unicode: true,
  type: (text) => [{ command: 'wtype', args: ['-s', '30', '-'], input: text }],
  press: (chord) => ({
    command: 'wtype',
    args: [
      '-s',
      '30',
      ...chord.modifiers.flatMap((m) => ['-M', m === 'super' ? 'logo' : m]),
      '-k',
      chord.key,
      ...[...chord.modifiers].reverse().flatMap((m) => ['-m', m === 'super' ? 'logo' : m]),
    ],
  }),
});
