import { HotkeyError } from '../errors.js';
import { formatHotkey, parseHotkey, type Hotkey } from '../spec.js';

/** The edit key's state, apart from the dictation key's (which the trigger's events report). */
export interface EditKeyStatus {
  /** The edit key as set, e.g. `ctrl+alt+shift+e`. */
  hotkey: string;
  /**
   * `available`: its presses reach whis; `unavailable`: they cannot (`reason` says why and what to
   * do: another program holds the chord, the desktop did not bind it, no display…); `pending`: not
   * started, or not known yet.
   */
  state: 'pending' | 'available' | 'unavailable';
  reason?: string;
  /** What the desktop bound for it (the portal's `trigger_description`), once bound. */
  binding?: string;
}

/** The setting that names a key, for the fix in a message. */
export type HotkeySetting = 'hotkey' | 'editHotkey';

/**
 * The edit key of `spec`: undefined when absent, empty or `none`. Throws HotkeyError when it is
 * not a valid spec, or when it is the dictation key's chord (the two could never be told apart:
 * the X server grants a chord to one grab, and the portal does not tell left from right).
 */
export function parseEditHotkey(spec: string | undefined, dictation: Hotkey): Hotkey | undefined {
  const trimmed = spec?.trim() ?? '';
  if (trimmed === '' || trimmed.toLowerCase() === 'none') return undefined;
  const edit = parseHotkey(trimmed);
  const chord = formatHotkey(sideless(dictation));
  if (formatHotkey(sideless(edit)) === chord)
    throw new HotkeyError(
      'invalid-hotkey',
      `The edit hotkey "${spec}" is the same chord as the dictation hotkey (${formatHotkey(dictation)}), ` +
        'so a press could not say which one was meant. Choose another: ' +
        `\`whis config set editHotkey ${chord === 'ctrl+shift+alt+e' ? 'ctrl+shift+alt+w' : 'ctrl+shift+alt+e'}\` (or \`none\` to go without the edit key).`,
    );
  return edit;
}

const sideless = (hotkey: Hotkey): Hotkey => ({
  key: hotkey.key,
  modifiers: Object.fromEntries(Object.keys(hotkey.modifiers).map((m) => [m, 'any'])),
});
