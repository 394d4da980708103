import { OutputError } from './errors.js';
/** A key chord, e.g. ctrl+shift+v: modifiers (ctrl, shift, alt, super) and one key. */
export interface Chord {
  modifiers: Array<'ctrl' | 'shift' | 'alt' | 'super'>;
  key: string;
}

const MODIFIERS = {
  ctrl: 'ctrl',
  control: 'ctrl',
  shift: 'shift',
  alt: 'alt',
  super: 'super',
  cmd: 'super',
  meta: 'super',
} as const;

/** Parses `ctrl+shift+v`, `shift+Insert`, `Return`; throws with what is accepted. */
export function parseChord(spec: string): Chord {
  const parts = spec.split('+').map((p) => p.trim());
  const key = parts.pop();
  const modifiers = parts.map((p) => MODIFIERS[p.toLowerCase() as keyof typeof MODIFIERS]);
  if (!key || modifiers.some((m) => m === undefined) || !/^[A-Za-z0-9]+$/.test(key)) {
    throw new OutputError(
      'invalid-chord',
      `"${spec}" is not a key chord: modifiers (ctrl, shift, alt, super) and one key joined by +, e.g. ctrl+shift+v or shift+Insert.`,
    );
  }
  return { modifiers: modifiers as Chord['modifiers'], key };
}

/** `ctrl+shift+v` back from a Chord. */
export const formatChord = (chord: Chord) => [...chord.modifiers, chord.key].join('+');

/** Terminals paste with ctrl+shift+v; ctrl+v there is a control character. */
const TERMINALS = new Set(
  [
    'foot',
    'footclient',
    'kitty',
    'alacritty',
    'org.wezfurlong.wezterm',
    'wezterm',
    'ghostty',
    'com.mitchellh.ghostty',
    'gnome-terminal',
    'gnome-terminal-server',
    'org.gnome.terminal',
    'org.gnome.console',
    'kgx',
    'org.gnome.ptyxis',
    'ptyxis',
    'konsole',
    'org.kde.konsole',
    'xfce4-terminal',
    'terminator',
    'tilix',
    'com.gexperts.tilix',
    'mate-terminal',
    'lxterminal',
    'qterminal',
    'sakura',
    'termite',
    'guake',
    'tilda',
    'blackbox',
    'com.raggesilver.blackbox',
    'contour',
    'rio',
    'st',
    'st-256color',
    'tabby',
    'hyper',
    'terminology',
    'cool-retro-term',
  ].map((c) => c.toLowerCase()),
);
/** Terminals whose paste key (shift+Insert) pastes the PRIMARY selection. */
const PRIMARY_TERMINALS = new Set(['xterm', 'uxterm', 'urxvt', 'rxvt', 'rxvt-unicode']);

/**
 * The paste chord for a window class: a per-class override (`class=chord`), else what the class
 * needs (ctrl+shift+v in terminals, shift+Insert with PRIMARY in xterm), else the default.
 */
export function pasteChordFor(
  windowClass: string | undefined,
  settings: readonly string[] = [],
): { chord: Chord; primary: boolean; why: string } {
  const cls = windowClass?.toLowerCase();
  let fallback: Chord = { modifiers: ['ctrl'], key: 'v' };
  let fallbackWhy = 'default';
  for (const item of settings) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      fallback = parseChord(item);
      fallbackWhy = 'pasteChord setting';
    } else if (cls && item.slice(0, eq).trim().toLowerCase() === cls) {
      return {
        chord: parseChord(item.slice(eq + 1)),
        primary: false,
        why: `pasteChord for ${windowClass}`,
      };
    }
  }
  if (cls && PRIMARY_TERMINALS.has(cls))
    return {
      chord: { modifiers: ['shift'], key: 'Insert' },
      primary: true,
      why: `${windowClass} pastes PRIMARY`,
    };
  if (cls && TERMINALS.has(cls))
    return {
      chord: { modifiers: ['ctrl', 'shift'], key: 'v' },
      primary: false,
      why: `${windowClass} is a terminal`,
    };
  return { chord: fallback, primary: false, why: fallbackWhy };
}

/**
 * The copy chord for a window class, as `pasteChordFor` chooses the paste chord: a per-class
 * override (`class=chord`), else what the class needs, else the default (`ctrl+c`; `cmd+c` on
 * macOS). Terminals copy with ctrl+shift+c, since ctrl+c there interrupts the running program.
 * xterm and rxvt have no copy chord: what is selected in them is the PRIMARY selection already, so
 * `chord` is undefined and `primary` true (never press ctrl+c there).
 */
export function copyChordFor(
  windowClass: string | undefined,
  settings: readonly string[] = [],
  platform: NodeJS.Platform = process.platform,
): { chord?: Chord; primary: boolean; why: string } {
  const cls = windowClass?.toLowerCase();
  let fallback: Chord =
    platform === 'darwin' ? { modifiers: ['super'], key: 'c' } : { modifiers: ['ctrl'], key: 'c' };
  let fallbackWhy = 'default';
  for (const item of settings) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      fallback = parseChord(item);
      fallbackWhy = 'copyChord setting';
    } else if (cls && item.slice(0, eq).trim().toLowerCase() === cls) {
      return {
        chord: parseChord(item.slice(eq + 1)),
        primary: false,
        why: `copyChord for ${windowClass}`,
      };
    }
  }
  if (cls && PRIMARY_TERMINALS.has(cls))
    return { primary: true, why: `${windowClass} puts its selection on PRIMARY` };
  if (cls && TERMINALS.has(cls))
    return {
      chord: { modifiers: ['ctrl', 'shift'], key: 'c' },
      primary: false,
      why: `${windowClass} is a terminal`,
    };
  return { chord: fallback, primary: false, why: fallbackWhy };
}
