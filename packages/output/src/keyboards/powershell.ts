import { commandKeyboard } from './keyboard.js';

/** SendKeys treats + ^ % ~ ( ) { } [ ] as syntax: each is sent literally inside braces. */
export function escapeSendKeys(text: string): string {
  return text.replace(/[+^%~(){}[\]]/g, (c) => `{${c}}`);
}

const SENDKEYS_SCRIPT =
  'Add-Type -AssemblyName System.Windows.Forms; [System.Windows.Forms.SendKeys]::SendWait([Console]::In.ReadToEnd())';

/** Windows: SendKeys through PowerShell, the text on stdin. */
export const powershell = commandKeyboard({
  name: 'powershell',
  command: 'powershell.exe',
  install: 'PowerShell (part of Windows)',
  unicode: true,
  type: (text) => [
    {
      command: 'powershell.exe',
      args: ['-NoProfile', '-NonInteractive', '-Command', SENDKEYS_SCRIPT],
      input: escapeSendKeys(text),
    },
  ],
  press: (chord) => {
    const prefix = chord.modifiers
      .map((m) => (m === 'ctrl' ? '^' : m === 'shift' ? '+' : m === 'alt' ? '%' : ''))
      .join('');
    const key = chord.key.length === 1 ? chord.key.toLowerCase() : `{${chord.key.toUpperCase()}}`;
    return {
      command: 'powershell.exe',
      args: ['-NoProfile', '-NonInteractive', '-Command', SENDKEYS_SCRIPT],
      input: `${prefix}${key}`,
    };
  },
});
