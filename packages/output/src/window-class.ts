import type { Command } from './keyboards/keyboard.js';
import type { Session } from './session.js';

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
