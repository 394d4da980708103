import { KEYBOARD_NAMES, type KeyboardName } from '@whis/contracts';
import type { Session } from '../session.js';
import { dotool } from './dotool.js';
import type { Keyboard } from './keyboard.js';
import { osascript } from './osascript.js';
import { portal } from './portal.js';
import { powershell } from './powershell.js';
import { wtype } from './wtype.js';
import { xdotool } from './xdotool.js';
import { ydotool } from './ydotool.js';

/**
 * The keyboards catalogue: each row says what it needs (`install`, `usable`), how to open it
 * (`open`) and what the desktop answered (`describe`). A new way to type is one file and one row.
 */
export const KEYBOARDS = {
  xdotool,
  wtype,
  ydotool,
  dotool,
  portal,
  osascript,
  powershell,
} as const satisfies Record<KeyboardName, Keyboard>;

/** Every keyboard's name: the values the `typeTool` setting takes (a row and its name, checked by the compiler). */
export { KEYBOARD_NAMES, type KeyboardName };

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
            keyboards: [portal, ydotool, dotool, wtype],
            why: `Wayland on ${session.desktop}: GNOME and KDE refuse virtual keyboards, so the desktop's remote-control portal, then uinput tools`,
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
