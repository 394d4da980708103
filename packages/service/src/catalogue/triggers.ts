import { createHotkeyTrigger, type HotkeyBackend, type HotkeyTrigger } from '@whis/hotkey';
import type { TriggerName } from '@whis/contracts';

// GNOME 47 and older: no GlobalShortcuts portal (the service then listens for no key of its own)
export { gnomeWithoutGlobalShortcuts } from '@whis/hotkey';
import type { PartContext } from './context.js';

// Where a press comes from: one row per value of `hotkeyBackend`. Loads only the hotkey library, so
// `whis setup` tries the key with the trigger the service would start (`@whis/service/triggers`).

/** How a trigger is started: the hotkey and its mode come from the command line or the settings. */
export interface TriggerOptions {
  hotkey: string;
  pushToTalk: boolean;
}

export interface TriggerRow {
  summary: string;
  /** undefined: no trigger (the desktop binds `whis toggle`). */
  create(
    context: Pick<PartContext, 'settings' | 'logger'>,
    options: TriggerOptions,
  ): HotkeyTrigger | undefined;
}

/**
 * The program a desktop entry for whis runs: `whis` itself (the CLI sets WHIS_PROGRAM for the
 * service it starts in the background), else this process's script.
 */
export function whisProgram(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.WHIS_PROGRAM || process.argv[1];
}

const hotkeyRow = (backend: HotkeyBackend, summary: string): TriggerRow => ({
  summary,
  create: ({ settings, logger }, { hotkey, pushToTalk }) =>
    createHotkeyTrigger({
      hotkey,
      backend,
      mode: pushToTalk ? 'push-to-talk' : 'toggle',
      ...(settings.tapToToggleMs ? { tapToToggleMs: settings.tapToToggleMs } : {}),
      // the portal's host Registry (GNOME 48+) needs a desktop entry: written when missing
      ...(whisProgram() ? { portal: { desktopEntry: { exec: whisProgram()! } } } : {}),
      logger: logger.child({ component: 'hotkey' }),
    }),
});

/** Where a press comes from: the values of `hotkeyBackend`. */
export const TRIGGERS = {
  auto: hotkeyRow('auto', "the desktop's GlobalShortcuts portal on Wayland, the X display on X11"),
  x11: hotkeyRow('x11', 'a key grab on the X display (X11; uiohook on macOS and Windows)'),
  portal: hotkeyRow('portal', "the desktop's GlobalShortcuts portal (KDE, GNOME 48+, Hyprland)"),
  none: {
    summary: 'none: your desktop binds `whis toggle` (or `whis start` and `whis finish`)',
    create: () => undefined,
  },
} satisfies Record<TriggerName, TriggerRow>;

// the names are `@whis/contracts`' list (the settings check them there); the rows above are typed
// against it, so a name without its row, or a row without its name, does not compile
export type { TriggerName };
