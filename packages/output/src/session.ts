import { isWaylandSession } from '@whis/contracts';

/** The desktop session whis types into, as the environment describes it. */
export interface Session {
  kind: 'x11' | 'wayland' | 'macos' | 'windows' | 'none';
  /** A wlroots compositor (sway, Hyprland, river, …): wtype works there. */
  wlroots: boolean;
  /** The compositor or desktop, for messages: "sway", "GNOME", … */
  desktop: string;
}

const WLROOTS = /sway|hyprland|river|wayfire|labwc|niri|dwl|cage|qtile/i;

/** The session from the environment (`WAYLAND_DISPLAY`, `DISPLAY`, `SWAYSOCK`, `XDG_CURRENT_DESKTOP`, …). */
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
