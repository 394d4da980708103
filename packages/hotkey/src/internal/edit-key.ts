import { HotkeyError } from '../errors.js';
import { formatHotkey, MODIFIER_KEYS, parseHotkey, type Hotkey, type Modifier } from '../spec.js';

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
 * not a valid spec, when it is the dictation key's chord (the two could never be told apart: the
 * X server grants a chord to one grab, and the portal does not tell left from right), or when one
 * of them is a lone modifier key held in the other on the same side (`rctrl` and `rctrl+e`).
 */
export function parseEditHotkey(spec: string | undefined, dictation: Hotkey): Hotkey | undefined {
  const trimmed = spec?.trim() ?? '';
  if (trimmed === '' || trimmed.toLowerCase() === 'none') return undefined;
  const edit = parseHotkey(trimmed);
  const chord = formatHotkey(sideless(dictation));
  const other = chord === 'ctrl+shift+alt+e' ? 'ctrl+shift+alt+w' : 'ctrl+shift+alt+e';
  if (formatHotkey(sideless(edit)) === chord)
    throw new HotkeyError(
      'invalid-hotkey',
      `The edit hotkey "${spec}" is the same chord as the dictation hotkey (${formatHotkey(dictation)}), ` +
        'so a press could not say which one was meant. Choose another: ' +
        `\`whis config set editHotkey ${other}\` (or \`none\` to go without the edit key).`,
    );
  const held = heldIn(dictation, edit) ?? heldIn(edit, dictation);
  if (held)
    throw new HotkeyError(
      'invalid-hotkey',
      `The edit hotkey "${spec}" and the dictation hotkey (${formatHotkey(dictation)}) cannot both work: ` +
        `${held} is a key of its own and is held in the other chord, so that chord would never reach whis alone. ` +
        `Choose another: \`whis config set editHotkey ${other}\` (or \`none\`).`,
    );
  return edit;
}

// A lone modifier key (`rctrl`) is taken when it goes down, before the rest of a chord held with
// it: the other chord with that very key (`rctrl+e`) could never be pressed. Either side (`ctrl+e`)
// still works with the other side, so only the same side is refused.
function heldIn(lone: Hotkey, chord: Hotkey): string | undefined {
  if (Object.keys(lone.modifiers).length > 0) return undefined;
  for (const [modifier, [left, right]] of Object.entries(MODIFIER_KEYS) as Array<
    [Modifier, [string, string]]
  >) {
    const side = lone.key === left ? 'left' : lone.key === right ? 'right' : undefined;
    if (side && chord.modifiers[modifier] === side) return formatHotkey(lone);
  }
  return undefined;
}

const sideless = (hotkey: Hotkey): Hotkey => ({
  key: hotkey.key,
  modifiers: Object.fromEntries(Object.keys(hotkey.modifiers).map((m) => [m, 'any'])),
});
