import { commandKeyboard } from './keyboard.js';

/** macOS: System Events through AppleScript. The text is an argument, so nothing in it needs quoting. */
export const osascript = commandKeyboard({
  name: 'osascript',
  command: 'osascript',
  install:
    'osascript (part of macOS; allow your terminal under Privacy & Security → Accessibility)',
  unicode: true,
  type: (text) => [
    {
      command: 'osascript',
      args: [
        '-e',
        'on run argv',
        '-e',
        'tell application "System Events" to keystroke (item 1 of argv)',
        '-e',
        'end run',
        text,
      ],
    },
  ],
  press: (chord) => {
    const using = chord.modifiers.map(
      (m) =>
        `${m === 'super' ? 'command' : m === 'ctrl' ? 'control' : m === 'alt' ? 'option' : m} down`,
    );
    return {
      command: 'osascript',
      args: [
        '-e',
        `tell application "System Events" to keystroke "${chord.key.toLowerCase()}"${using.length ? ` using {${using.join(', ')}}` : ''}`,
      ],
    };
  },
});
