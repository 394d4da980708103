import { isWaylandSession } from '@whis/contracts';
import { untypeableOn } from '../internal/keysyms.js';
import { existingRemoteDesktop, remoteDesktopFor } from '../internal/remote-desktop.js';
import type { Keyboard } from './keyboard.js';

/**
 * GNOME and KDE Wayland without root: the desktop's RemoteDesktop portal (xdg-desktop-portal).
 * One session for the service's life, opened at the first delivery; each character is a keysym
 * the desktop maps through its first keyboard layout, so text with characters that layout lacks
 * is pasted (the clipboard, then the chord through the same session).
 */
export const portal: Keyboard = {
  name: 'portal',
  install:
    "your desktop's remote-control portal (xdg-desktop-portal with xdg-desktop-portal-kde on Plasma 5.27+, or xdg-desktop-portal-gnome)",
  unicode: false,
  usable: (env) => Boolean(env.DBUS_SESSION_BUS_ADDRESS) && isWaylandSession(env),
  open(ctx) {
    const desktop = remoteDesktopFor({ env: ctx.env, notice: ctx.notice });
    return {
      ready: () => desktop.run(() => desktop.ensure()).then(() => undefined),
      untypeable: (text) =>
        desktop.run(async () => {
          await desktop.ensure();
          const layout = await desktop.layout();
          const characters = untypeableOn(layout, text);
          return characters
            ? {
                characters,
                why: `the portal types only what is on the ${layout ? `"${layout}"` : 'unknown'} keyboard layout`,
              }
            : undefined;
        }),
      type: (text) => desktop.run(() => desktop.type(text)),
      press: (chord) => desktop.run(() => desktop.press(chord)),
    };
  },
  describe(env) {
    const desktop = existingRemoteDesktop(env);
    return desktop ? { ...desktop.state } : undefined;
  },
};
