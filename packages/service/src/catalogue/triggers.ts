import { editHotkeyOf, type Settings } from '@whis/config';
import {
  checkDesktopEntry,
  createHotkeyTrigger,
  formatHotkey,
  grabsOnX11,
  hotkeyUnavailableReason,
  parseHotkey,
  portalNeedsDesktopEntry,
  probeGlobalShortcuts,
  probeKeyGrab,
  resolveHotkeyBackend,
  writeDesktopEntry,
  type HotkeyBackend,
  type HotkeyTrigger,
} from '@whis/hotkey';
import type { TriggerName } from '@whis/contracts';

// GNOME 47 and older: no GlobalShortcuts portal (the service then listens for no key of its own)
export { gnomeWithoutGlobalShortcuts } from '@whis/hotkey';
import type { PartContext } from './context.js';
import { optional, type Check, type ProbeContext, type Row } from './row.js';

// Where a press comes from: one row per value of `hotkeyBackend`. Loads only the hotkey library, so
// `whis setup` tries the key with the trigger the service would start (`@whis/service/triggers`).

/** How a trigger is started: the hotkey and its mode come from the command line or the settings. */
export interface TriggerOptions {
  hotkey: string;
  pushToTalk: boolean;
  /** The edit key (edit by voice), grabbed or bound beside the hotkey; absent: none. */
  editHotkey?: string;
}

export interface TriggerRow extends Row {
  /** Whether the service listens for a key of its own (false: the desktop binds `whis toggle`). */
  listens: boolean;
  /** undefined: no trigger (the desktop binds `whis toggle`). */
  create(
    context: Pick<PartContext, 'settings' | 'logger'>,
    options: TriggerOptions,
  ): HotkeyTrigger | undefined;
  /**
   * Readies the desktop for this trigger where it needs something of whis's (GNOME 48's portal:
   * whis's desktop entry), for `whis setup`; resolves with what it did or found, one line each.
   */
  prepare?(context: ProbeContext): Promise<string[]>;
}

/**
 * The program a desktop entry for whis runs: `whis` itself (the CLI sets WHIS_PROGRAM for the
 * service it starts in the background), else this process's script.
 */
export function whisProgram(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.WHIS_PROGRAM || process.argv[1];
}

const hotkeyOf = (settings: Settings) => settings.hotkey ?? 'ctrl+shift+r';

const hotkeyRow = (
  backend: HotkeyBackend,
  summary: string,
  probe: TriggerRow['probe'],
): TriggerRow => ({
  summary,
  listens: true,
  prepare: async ({ env }) =>
    resolveHotkeyBackend(backend, env) === 'portal' ? prepareDesktopEntry(env) : [],
  create: ({ settings, logger }, { hotkey, pushToTalk, editHotkey }) =>
    createHotkeyTrigger({
      hotkey,
      ...(editHotkey ? { editHotkey } : {}),
      backend,
      mode: pushToTalk ? 'push-to-talk' : 'toggle',
      ...(settings.tapToToggleMs ? { tapToToggleMs: settings.tapToToggleMs } : {}),
      // the portal's host Registry (GNOME 48+) needs a desktop entry: written when missing
      ...(whisProgram() ? { portal: { desktopEntry: { exec: whisProgram()! } } } : {}),
      logger: logger.child({ component: 'hotkey' }),
    }),
  describe: (settings) => `${hotkeyOf(settings)} (${backend})`,
  problems: () => [],
  probe,
});

// A portal with the host Registry (xdg-desktop-portal 1.19+, GNOME 48) binds keys only for an
// app whose desktop entry it finds, with an Exec that exists (GLib drops the entry otherwise)
async function checkEntry(env: NodeJS.ProcessEnv): Promise<Check[]> {
  if (!(await portalNeedsDesktopEntry(env))) return [];
  const found = await checkDesktopEntry(env);
  return [
    found.ok
      ? optional({
          name: 'Desktop entry',
          ok: true,
          detail: `${found.path} runs ${found.exec} (the desktop portal knows whis by it)`,
        })
      : optional({
          name: 'Desktop entry',
          ok: false,
          detail: `the desktop portal needs whis's desktop entry: ${found.reason}`,
          fix: 'Run `whis setup` (or start `whis listen`): it writes the entry, with the whis it runs from.',
        }),
  ];
}

// `whis setup`: the desktop entry the portal needs, written when missing or broken (as `whis listen`
// does when it binds the key)
async function prepareDesktopEntry(env: NodeJS.ProcessEnv): Promise<string[]> {
  if (!(await portalNeedsDesktopEntry(env))) return [];
  const found = await checkDesktopEntry(env);
  if (found.ok)
    return [`The desktop entry the portal needs is there: ${found.path} (runs ${found.exec}).`];
  const program = whisProgram(env);
  if (!program) return [`The desktop portal needs whis's desktop entry: ${found.reason}.`];
  const path = await writeDesktopEntry(env, [program]);
  return [`Wrote the desktop entry the portal needs: ${path} (runs ${program}).`];
}

// The desktop is asked whether it offers GlobalShortcuts; nothing is bound.
const probePortal: TriggerRow['probe'] = async ({ env }) => {
  const [probe, entry] = await Promise.all([probeGlobalShortcuts(env), checkEntry(env)]);
  return [
    probe.ok
      ? optional({
          name: 'Hotkey',
          ok: true,
          detail: `desktop portal (GlobalShortcuts version ${probe.version}): the desktop binds the key when \`whis listen\` starts (it may ask the first time)`,
        })
      : optional({
          name: 'Hotkey',
          ok: false,
          detail: 'desktop portal: unavailable',
          fix: probe.reason,
        }),
    ...entry,
  ];
};

// On X11 the hotkey is a key grab: another program (often the desktop's own shortcut) may hold the
// chord already. A running service that holds it says so itself; otherwise the chord is grabbed
// and given back at once.
const probeX11: TriggerRow['probe'] = async ({ settings, env, service }) => {
  const { detectSession } = await import('@whis/output');
  const session = detectSession(env, process.platform).kind;
  const reason = hotkeyUnavailableReason(env);
  if (!reason && session === 'x11' && grabsOnX11()) {
    const running = await service?.().catch(() => undefined);
    if (running?.hotkey && running.hotkeyBackend === 'x11')
      return [
        running.hotkeyActive
          ? optional({
              name: 'Hotkey',
              ok: true,
              detail: `X11: ${running.hotkey} is held by the running service (pid ${running.pid}); it reaches whis alone`,
            })
          : optional({
              name: 'Hotkey',
              ok: false,
              detail: `X11: the running service (pid ${running.pid}) has no hotkey`,
              fix: running.hotkeyProblem ?? 'See `whis status`.',
            }),
        ...(running.edit?.hotkey
          ? [
              running.edit.hotkeyProblem
                ? optional({
                    name: 'Edit key',
                    ok: false,
                    detail: `X11: the running service has no edit key ${running.edit.hotkey}`,
                    fix: running.edit.hotkeyProblem,
                  })
                : optional({
                    name: 'Edit key',
                    ok: true,
                    detail: `X11: ${running.edit.hotkey} is held by the running service; it reaches whis alone`,
                  }),
            ]
          : []),
      ];
    const keys: Array<[string, string, 'hotkey' | 'editHotkey']> = [
      ['Hotkey', hotkeyOf(settings), 'hotkey'],
      ...(editHotkeyOf(settings)
        ? [['Edit key', editHotkeyOf(settings)!, 'editHotkey'] as [string, string, 'editHotkey']]
        : []),
    ];
    // one after the other: each is grabbed and given back at once
    const checks: Check[] = [];
    for (const [name, spec, setting] of keys) {
      const probe = await probeKeyGrab(spec, env.DISPLAY!, setting);
      checks.push(
        probe.ok
          ? optional({
              name,
              ok: true,
              detail: `X11: ${formatHotkey(parseHotkey(spec))} is free; \`whis listen\` grabs it, so it reaches whis alone`,
            })
          : optional({
              name,
              ok: false,
              detail: probe.taken ? `X11: the ${name.toLowerCase()} is taken` : 'X11: unavailable',
              fix: probe.reason,
            }),
      );
    }
    return checks;
  }
  const works = !reason && (session === 'x11' || session === 'macos' || session === 'windows');
  return [
    optional({
      name: 'Hotkey',
      ok: works,
      detail: reason
        ? 'X11: unavailable'
        : works
          ? 'X11: the global hotkey works here'
          : 'no display to listen on',
      ...(works
        ? {}
        : {
            fix:
              reason ??
              'Bind `whis toggle` to a key in your desktop and run `whis listen --hotkey-backend none`.',
          }),
    }),
  ];
};

/** Where a press comes from: the values of `hotkeyBackend`. */
export const TRIGGERS = {
  // `auto` is the portal on Wayland, the X display elsewhere: its checks are theirs
  auto: hotkeyRow(
    'auto',
    "the desktop's GlobalShortcuts portal on Wayland, the X display on X11",
    (context) =>
      (resolveHotkeyBackend('auto', context.env) === 'portal' ? probePortal : probeX11)(context),
  ),
  x11: hotkeyRow(
    'x11',
    'a key grab on the X display (X11; uiohook on macOS and Windows)',
    probeX11,
  ),
  portal: hotkeyRow(
    'portal',
    "the desktop's GlobalShortcuts portal (KDE, GNOME 48+, Hyprland)",
    probePortal,
  ),
  none: {
    summary: 'none: your desktop binds `whis toggle` (or `whis start` and `whis finish`)',
    listens: false,
    create: () => undefined,
    describe: () => 'none (hotkeyBackend none): your desktop binds `whis toggle`',
    problems: () => [],
    probe: async () => [
      optional({
        name: 'Hotkey',
        ok: true,
        detail:
          'off (hotkeyBackend none): your desktop binds `whis toggle`, or `whis start` and `whis finish`',
      }),
    ],
  },
} satisfies Record<TriggerName, TriggerRow>;

// the names are `@whis/contracts`' list (the settings check them there); the rows above are typed
// against it, so a name without its row, or a row without its name, does not compile
export type { TriggerName };

/** The trigger in force when neither `--hotkey-backend` nor the `hotkeyBackend` setting names one. */
export const DEFAULT_TRIGGER: TriggerName = 'auto';

/** Whether `name` is a row of the triggers catalogue. */
export const isTriggerName = (name: string): name is TriggerName => Object.hasOwn(TRIGGERS, name);

/** The trigger the settings name (`hotkeyBackend`; default `auto`). */
export const triggerFor = (settings: Settings): TriggerRow =>
  TRIGGERS[settings.hotkeyBackend ?? DEFAULT_TRIGGER];
