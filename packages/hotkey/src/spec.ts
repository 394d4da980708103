import { HotkeyError } from './errors.js';

export type Modifier = 'ctrl' | 'shift' | 'alt' | 'super';
export type Side = 'any' | 'left' | 'right';

/** A parsed hotkey: modifiers (with the side they must be on) and one key, by libuiohook key name. */
export interface Hotkey {
  modifiers: Partial<Record<Modifier, Side>>;
  /** Key name as uiohook-napi's UiohookKey names it: `R`, `F12`, `Space`, `CtrlRight`, … */
  key: string;
}

/** uiohook key names of each modifier, left then right. */
export const MODIFIER_KEYS: Record<Modifier, [string, string]> = {
  ctrl: ['Ctrl', 'CtrlRight'],
  shift: ['Shift', 'ShiftRight'],
  alt: ['Alt', 'AltRight'],
  super: ['Meta', 'MetaRight'],
};

const MODIFIER_ALIASES: Record<string, [Modifier, Side]> = {
  ctrl: ['ctrl', 'any'],
  control: ['ctrl', 'any'],
  lctrl: ['ctrl', 'left'],
  rctrl: ['ctrl', 'right'],
  shift: ['shift', 'any'],
  lshift: ['shift', 'left'],
  rshift: ['shift', 'right'],
  alt: ['alt', 'any'],
  option: ['alt', 'any'],
  lalt: ['alt', 'left'],
  ralt: ['alt', 'right'],
  altgr: ['alt', 'right'],
  super: ['super', 'any'],
  meta: ['super', 'any'],
  cmd: ['super', 'any'],
  win: ['super', 'any'],
  lsuper: ['super', 'left'],
  rsuper: ['super', 'right'],
  lmeta: ['super', 'left'],
  rmeta: ['super', 'right'],
  lcmd: ['super', 'left'],
  rcmd: ['super', 'right'],
  lwin: ['super', 'left'],
  rwin: ['super', 'right'],
};

const NAMED_KEYS: Record<string, string> = {
  space: 'Space',
  enter: 'Enter',
  return: 'Enter',
  escape: 'Escape',
  esc: 'Escape',
  tab: 'Tab',
  backspace: 'Backspace',
  delete: 'Delete',
  del: 'Delete',
  insert: 'Insert',
  home: 'Home',
  end: 'End',
  pageup: 'PageUp',
  pagedown: 'PageDown',
  up: 'ArrowUp',
  down: 'ArrowDown',
  left: 'ArrowLeft',
  right: 'ArrowRight',
  capslock: 'CapsLock',
  printscreen: 'PrintScreen',
  scrolllock: 'ScrollLock',
  numlock: 'NumLock',
  ';': 'Semicolon',
  semicolon: 'Semicolon',
  '=': 'Equal',
  equal: 'Equal',
  ',': 'Comma',
  comma: 'Comma',
  '-': 'Minus',
  minus: 'Minus',
  '.': 'Period',
  period: 'Period',
  '/': 'Slash',
  slash: 'Slash',
  '`': 'Backquote',
  backquote: 'Backquote',
  grave: 'Backquote',
  '[': 'BracketLeft',
  bracketleft: 'BracketLeft',
  '\\': 'Backslash',
  backslash: 'Backslash',
  ']': 'BracketRight',
  bracketright: 'BracketRight',
  "'": 'Quote',
  quote: 'Quote',
};

const MODIFIER_ORDER: Modifier[] = ['ctrl', 'shift', 'alt', 'super'];

function keyName(token: string): string | undefined {
  if (/^[a-z]$/.test(token)) return token.toUpperCase();
  if (/^[0-9]$/.test(token)) return token;
  const f = /^f([1-9]|1[0-9]|2[0-4])$/.exec(token);
  if (f) return `F${f[1]}`;
  return NAMED_KEYS[token];
}

const VALID_NAMES =
  'modifiers ctrl, shift, alt, super (or meta, cmd, win; lctrl, rctrl, lshift, … for one side); ' +
  'keys a–z, 0–9, f1–f24, space, enter, escape, tab, backspace, delete, insert, home, end, pageup, pagedown, ' +
  "up, down, left, right, and ; = , - . / ` [ \\ ] '";

/**
 * Parses what users type: `ctrl+shift+r`, `Super+F9`, `rctrl` … — any case, any order, `+`
 * separated. A spec of one side-specific modifier alone (`rctrl`) makes that key the hotkey.
 */
export function parseHotkey(spec: string): Hotkey {
  const invalid = (why: string) =>
    new HotkeyError(
      'invalid-hotkey',
      `Invalid hotkey "${spec}": ${why}. Valid names: ${VALID_NAMES}.`,
    );
  const raw = spec.trim().toLowerCase();
  if (raw === '') throw invalid('it is empty');
  // "+" alone cannot be a key here; "ctrl++" is rejected as an empty part
  const tokens = raw.split('+').map((t) => t.trim());
  if (tokens.some((t) => t === ''))
    throw invalid('it has an empty part (two "+" in a row, or one at an end)');
  const modifiers: Partial<Record<Modifier, Side>> = {};
  let key: string | undefined;
  for (const token of tokens) {
    const modifier = MODIFIER_ALIASES[token];
    if (modifier) {
      const [name, side] = modifier;
      if (modifiers[name] !== undefined) throw invalid(`"${token}" repeats a modifier`);
      modifiers[name] = side;
      continue;
    }
    const name = keyName(token);
    if (!name) throw invalid(`"${token}" is not a key name`);
    if (key) throw invalid(`it has two keys, "${key}" and "${name}"; use one key with modifiers`);
    key = name;
  }
  if (!key) {
    const entries = Object.entries(modifiers) as Array<[Modifier, Side]>;
    if (entries.length === 1 && entries[0]![1] !== 'any') {
      const [name, side] = entries[0]!;
      return { modifiers: {}, key: MODIFIER_KEYS[name][side === 'left' ? 0 : 1] };
    }
    throw invalid(
      'it has no key besides modifiers (a single one-sided modifier like "rctrl" is allowed)',
    );
  }
  return { modifiers, key };
}

const KEY_TOKENS: Record<string, string> = Object.fromEntries(
  Object.entries(NAMED_KEYS)
    .filter(([token]) => /^[a-z]+$/.test(token))
    .reverse()
    .map(([token, name]) => [name, token]),
);

/** The canonical form: modifiers in the order ctrl, shift, alt, super, then the key, lower case. */
export function formatHotkey(hotkey: Hotkey): string {
  const parts: string[] = [];
  for (const modifier of MODIFIER_ORDER) {
    const side = hotkey.modifiers[modifier];
    if (side) parts.push(side === 'any' ? modifier : `${side === 'left' ? 'l' : 'r'}${modifier}`);
  }
  const modifierKey = (Object.entries(MODIFIER_KEYS) as Array<[Modifier, [string, string]]>).find(
    ([, keys]) => keys.includes(hotkey.key),
  );
  if (modifierKey) {
    const [name, keys] = modifierKey;
    parts.push(`${keys[0] === hotkey.key ? 'l' : 'r'}${name}`);
  } else {
    parts.push(KEY_TOKENS[hotkey.key] ?? hotkey.key.toLowerCase());
  }
  return parts.join('+');
}

/**
 * libuiohook key names (what `parseHotkey` gives) → X keysym names, which the GlobalShortcuts
 * portal and the compositors' binding files read. Letters and digits are not listed (a letter's
 * keysym is its lower case); `PageUp`/`PageDown` are `Page_Up`/`Page_Down` (xkb also knows them
 * as `Prior`/`Next`).
 */
export const KEYSYMS: Readonly<Record<string, string>> = {
  Space: 'space',
  Enter: 'Return',
  Escape: 'Escape',
  Tab: 'Tab',
  Backspace: 'BackSpace',
  Delete: 'Delete',
  Insert: 'Insert',
  Home: 'Home',
  End: 'End',
  PageUp: 'Page_Up',
  PageDown: 'Page_Down',
  ArrowUp: 'Up',
  ArrowDown: 'Down',
  ArrowLeft: 'Left',
  ArrowRight: 'Right',
  CapsLock: 'Caps_Lock',
  PrintScreen: 'Print',
  ScrollLock: 'Scroll_Lock',
  NumLock: 'Num_Lock',
  Semicolon: 'semicolon',
  Equal: 'equal',
  Comma: 'comma',
  Minus: 'minus',
  Period: 'period',
  Slash: 'slash',
  Backquote: 'grave',
  BracketLeft: 'bracketleft',
  Backslash: 'backslash',
  BracketRight: 'bracketright',
  Quote: 'apostrophe',
  Ctrl: 'Control_L',
  CtrlRight: 'Control_R',
  Shift: 'Shift_L',
  ShiftRight: 'Shift_R',
  Alt: 'Alt_L',
  AltRight: 'Alt_R',
  Meta: 'Super_L',
  MetaRight: 'Super_R',
};
