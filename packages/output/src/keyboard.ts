import { isWaylandSession } from '@whis/contracts';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The desktop session whis types into, as the environment describes it. */
export interface Session {
  kind: 'x11' | 'wayland' | 'macos' | 'windows' | 'none';
  /** A wlroots compositor (sway, Hyprland, river, …): wtype works there. */
  wlroots: boolean;
  /** The compositor or desktop, for messages: "sway", "GNOME", … */
  desktop: string;
}

const WLROOTS = /sway|hyprland|river|wayfire|labwc|niri|dwl|cage|qtile/i;

export function detectSession(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Session {
  if (platform === 'darwin') return { kind: 'macos', wlroots: false, desktop: 'macOS' };
  if (platform === 'win32') return { kind: 'windows', wlroots: false, desktop: 'Windows' };
  const desktop =
    (env.SWAYSOCK && 'sway') ||
    (env.HYPRLAND_INSTANCE_SIGNATURE && 'Hyprland') ||
    env.XDG_CURRENT_DESKTOP ||
    '';
  if (isWaylandSession(env))
    return { kind: 'wayland', wlroots: WLROOTS.test(desktop), desktop: desktop || 'Wayland' };
  if (env.DISPLAY) return { kind: 'x11', wlroots: false, desktop: desktop || 'X11' };
  return { kind: 'none', wlroots: false, desktop: '' };
}

/** A command to run: what, with which arguments, and what goes to its stdin. */
export interface Command {
  command: string;
  args: string[];
  input?: string;
}

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
    throw new Error(
      `"${spec}" is not a key chord: modifiers (ctrl, shift, alt, super) and one key joined by +, e.g. ctrl+shift+v or shift+Insert.`,
    );
  }
  return { modifiers: modifiers as Chord['modifiers'], key };
}

export const formatChord = (chord: Chord) => [...chord.modifiers, chord.key].join('+');

/** A tool that types text and presses chords in the focused window. */
export interface Keyboard {
  name: 'xdotool' | 'wtype' | 'ydotool' | 'dotool' | 'osascript' | 'powershell';
  /** The program it runs (what must be on PATH). */
  command: string;
  /** The package to install, for messages. */
  install: string;
  /** Types any character; false: ASCII only (non-ASCII text is pasted instead). */
  unicode: boolean;
  /** The commands that type `text` (one or more, run in order). */
  type(text: string): Command[];
  press(chord: Chord): Command;
}

const xdotool: Keyboard = {
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
};

// wtype uploads its own keymap, so any character types; a client's first key after connecting can
// be lost while the window takes the new keymap, so each call begins with a 30 ms pause.
const wtype: Keyboard = {
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
};

// ydotool and dotool type through /dev/uinput as a US keyboard: ASCII only, and the user must be
// in the `input` group (or run ydotoold).
const ydotool: Keyboard = {
  name: 'ydotool',
  command: 'ydotool',
  install: 'ydotool (apt install ydotool; add yourself to the input group)',
  unicode: false,
  type: (text) => [{ command: 'ydotool', args: ['type', '--file', '/dev/stdin'], input: text }],
  press: (chord) => ({ command: 'ydotool', args: ['key', formatChord(chord)] }),
};

const dotool: Keyboard = {
  name: 'dotool',
  command: 'dotool',
  install: 'dotool (https://sr.ht/~geb/dotool/; add yourself to the input group)',
  unicode: false,
  type: (text) => [{ command: 'dotool', args: [], input: `type ${text}\n` }],
  press: (chord) => ({ command: 'dotool', args: [], input: `key ${formatChord(chord)}\n` }),
};

// AppleScript gets the text as an argument, so nothing in it needs quoting.
const osascript: Keyboard = {
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
};

/** SendKeys treats + ^ % ~ ( ) { } [ ] as syntax: each is sent literally inside braces. */
export function escapeSendKeys(text: string): string {
  return text.replace(/[+^%~(){}[\]]/g, (c) => `{${c}}`);
}

const SENDKEYS_SCRIPT =
  'Add-Type -AssemblyName System.Windows.Forms; [System.Windows.Forms.SendKeys]::SendWait([Console]::In.ReadToEnd())';

const powershell: Keyboard = {
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
};

export const KEYBOARDS: Readonly<Record<Keyboard['name'], Keyboard>> = {
  xdotool,
  wtype,
  ydotool,
  dotool,
  osascript,
  powershell,
};

/** The keyboards to try for a session, in order, with why. */
export function keyboardsFor(session: Session): { keyboards: Keyboard[]; why: string } {
  switch (session.kind) {
    case 'x11':
      return { keyboards: [xdotool], why: 'X11 session' };
    case 'wayland':
      return session.wlroots
        ? {
            keyboards: [wtype, ydotool, dotool],
            why: `Wayland, wlroots compositor (${session.desktop})`,
          }
        : {
            keyboards: [ydotool, dotool, wtype],
            why: `Wayland on ${session.desktop}: GNOME and KDE refuse virtual keyboards, so uinput tools first`,
          };
    case 'macos':
      return { keyboards: [osascript], why: 'macOS' };
    case 'windows':
      return { keyboards: [powershell], why: 'Windows' };
    default:
      return {
        keyboards: [],
        why: 'no graphical session (neither WAYLAND_DISPLAY nor DISPLAY is set)',
      };
  }
}

/** Whether `command` is an executable on PATH. */
export function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const names = process.platform === 'win32' ? [command, `${command}.exe`] : [command];
  return dirs.some((dir) =>
    names.some((name) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }),
  );
}

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

/** The command that names the focused window's class (X11, sway, Hyprland), and how to read it. */
export function activeWindowQuery(
  session: Session,
  env: NodeJS.ProcessEnv,
):
  | {
      command: Command;
      /** A second command, given the first's output. */
      then?: (stdout: string) => Command;
      parse(stdout: string): string | undefined;
    }
  | undefined {
  // xdotool's getwindowclassname is newer than many distributions' xdotool: the focused client
  // window comes from xdotool, its class from xprop
  if (session.kind === 'x11')
    return {
      command: { command: 'xdotool', args: ['getwindowfocus'] },
      then: (id) => ({ command: 'xprop', args: ['-id', id.trim(), 'WM_CLASS'] }),
      parse: (out) => /"([^"]*)"\s*$/.exec(out.trim())?.[1] || undefined,
    };
  if (session.kind === 'wayland' && env.SWAYSOCK)
    return {
      command: { command: 'swaymsg', args: ['-t', 'get_tree', '--raw'] },
      parse: (out) => findFocused(JSON.parse(out) as SwayNode),
    };
  if (session.kind === 'wayland' && env.HYPRLAND_INSTANCE_SIGNATURE)
    return {
      command: { command: 'hyprctl', args: ['activewindow', '-j'] },
      parse: (out) => (JSON.parse(out) as { class?: string }).class || undefined,
    };
  return undefined;
}

interface SwayNode {
  focused?: boolean;
  app_id?: string | null;
  window_properties?: { class?: string };
  nodes?: SwayNode[];
  floating_nodes?: SwayNode[];
}

function findFocused(node: SwayNode): string | undefined {
  if (node.focused) return node.app_id ?? node.window_properties?.class ?? undefined;
  for (const child of [...(node.nodes ?? []), ...(node.floating_nodes ?? [])]) {
    const found = findFocused(child);
    if (found) return found;
  }
  return undefined;
}
