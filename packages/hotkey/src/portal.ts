import type { Logger, TriggerEvent } from '@whis/contracts';
import {
  closePortalSession,
  connectSessionBus,
  dbusErrorDetail,
  dbusErrorReason,
  isServiceMissing,
  PORTAL,
  portalVersion,
  type DBusMessage,
  type SessionBus,
} from '@whis/dbus';
import { PORTAL_APP_ID } from './desktop-entry.js';
import { HotkeyError, isPortalError, type PortalProblem } from './errors.js';
import { createPortalPress } from './internal/portal-press.js';
import {
  bindingIn,
  bindShortcuts,
  createSession,
  editShortcutProblem,
  SHORTCUTS,
  type PortalSessionContext,
  type Shortcut,
} from './internal/portal-session.js';
import { createPortalStatus, type PortalStatus } from './internal/portal-status.js';
import { createPressLogic, withAction, type PressMode } from './internal/press.js';
import { KEYSYMS, type Hotkey } from './spec.js';

export interface PortalTriggerOptions {
  hotkey: Hotkey;
  /**
   * The edit key: a second shortcut (`edit`) in the same session, its presses' `toggle`/`start`
   * with `action: 'edit'`. What becomes of it is told to `onEditStatus`, never as the trigger's
   * `unavailable`: a desktop that binds only the dictation shortcut still dictates.
   */
  editHotkey?: Hotkey;
  /** The edit shortcut is bound (with what the desktop bound) or not (why, with the fix). */
  onEditStatus?(
    status: { available: true; binding?: string } | { available: false; reason: string },
  ): void;
  mode: PressMode;
  tapToToggleMs: number;
  /** Environment with the session bus address and XDG_CURRENT_DESKTOP. */
  env: NodeJS.ProcessEnv;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /**
   * The session's `session_handle_token`. KDE names the shortcut's owner after it, so it must be
   * the same on every start (a new one leaves the key with a dead owner). Default `whis`.
   */
  sessionToken?: string;
  /**
   * The app id registered with the portal's host Registry (xdg-desktop-portal 1.19+). Default
   * `PORTAL_APP_ID`, a valid GApplication id (GNOME refuses others).
   */
  appId?: string;
  /**
   * Where the portal has a host Registry (xdg-desktop-portal 1.19+, GNOME 48), it needs
   * `<appId>.desktop` with an `Exec` that exists: when none is found, one is written (hidden) to
   * `$XDG_DATA_HOME/applications` with `exec` (an absolute path) and logged. Default: none written.
   */
  desktopEntry?: { exec: string };
  /**
   * An `Activated` while the key is held, within this long of the previous repeat, is the desktop's
   * auto-repeat (GNOME and KDE send them); later, the release was lost. Default 1000 ms.
   */
  repeatWindowMs?: number;
  /**
   * The same for the first repeat after the press, which comes after the desktop's repeat delay
   * (0.5–0.6 s by default, more on a loaded machine). Default 2000 ms.
   */
  repeatDelayMs?: number;
  /** Push-to-talk: a hold longer than this is ended as if released (a lost `Deactivated`). Default 10 min. */
  maxHoldMs?: number;
}

/** The portal trigger's running state, as `whis status` shows it. */
export interface PortalTriggerState {
  /** What the desktop bound (the portal's `trigger_description`), once bound. */
  binding?: string;
}

/** The id of the dictation shortcut. */
export const PORTAL_SHORTCUT_ID = 'dictate';

/** The id of the edit shortcut (edit the selection by voice), asked for beside the dictation one. */
export const PORTAL_EDIT_SHORTCUT_ID = 'edit';

/**
 * The hotkey as the GlobalShortcuts portal's `preferred_trigger` takes it (the XDG shortcuts
 * format): `CTRL+SHIFT+r`, `LOGO+F9`. The portal does not tell left from right modifiers.
 */
export function preferredTrigger(hotkey: Hotkey): string {
  const parts: string[] = [];
  if (hotkey.modifiers.ctrl) parts.push('CTRL');
  if (hotkey.modifiers.shift) parts.push('SHIFT');
  if (hotkey.modifiers.alt) parts.push('ALT');
  if (hotkey.modifiers.super) parts.push('LOGO');
  const key = hotkey.key;
  parts.push(KEYSYMS[key] ?? (/^[A-Z]$/.test(key) ? key.toLowerCase() : key));
  return parts.join('+');
}

export type { PortalProblem };

function desktopOf(env: NodeJS.ProcessEnv): string {
  return (env.XDG_CURRENT_DESKTOP ?? env.XDG_SESSION_DESKTOP ?? '').toLowerCase();
}

/** The one message for each way the portal hotkey can fail, with the fix for this desktop. */
export function portalProblem(problem: PortalProblem, env: NodeJS.ProcessEnv, detail = ''): string {
  const desktop = desktopOf(env);
  const without =
    'or bind `whis toggle` to a key yourself (push-to-talk: `whis start` on press, `whis finish` on release; `whis setup` writes them for sway, river and Hyprland) and run `whis listen --hotkey-backend none`';
  const install = desktop.includes('gnome')
    ? 'GNOME has it from version 48 (xdg-desktop-portal-gnome 48); on older GNOME, `whis setup` writes a custom shortcut that runs `whis toggle` (Settings > Keyboard > Custom Shortcuts; presses only: push-to-talk needs GNOME 48 or X11)'
    : desktop.includes('kde')
      ? 'KDE Plasma has it from 5.27: install xdg-desktop-portal-kde'
      : desktop.includes('hyprland')
        ? 'install xdg-desktop-portal-hyprland'
        : `this desktop (${desktop || 'unknown: XDG_CURRENT_DESKTOP is not set'}) may not offer it (sway, river and COSMIC do not)`;
  const why = detail ? ` (${detail})` : '';
  switch (problem) {
    case 'no-bus':
      return `No D-Bus session bus${why}, so no desktop portal to ask for the hotkey. Start whis from your desktop session, ${without}.`;
    case 'no-portal':
      return `No desktop portal (xdg-desktop-portal) answers on the session bus${why}. Install xdg-desktop-portal and your desktop's backend: ${install}; ${without}.`;
    case 'no-global-shortcuts':
      return `The desktop portal offers no GlobalShortcuts${why}: ${install}; ${without}.`;
    case 'cancelled':
      return `The desktop did not grant the shortcut: the request was declined or its dialog closed${why}. Restart \`whis listen\` to be asked again, or assign the key to whis in your desktop's keyboard shortcut settings.`;
    case 'refused':
      return `The desktop refused to bind the shortcut${why}. Check your desktop's keyboard shortcut settings (another action may hold the key), ${without}.`;
  }
}

/** A portal problem as the coded error that carries its message (the fix for this desktop). */
function portalError(
  problem: PortalProblem,
  env: NodeJS.ProcessEnv,
  detail?: string,
  cause?: unknown,
): HotkeyError {
  return new HotkeyError(problem, portalProblem(problem, env, detail), { cause });
}

// what the bus itself waits before it answers NoReply; a dialog's answer comes as a signal, later
const CALL_TIMEOUT_MS = 25_000;

/** Connects to the session bus named by `env`, resolving once the bus has given us a name. */
async function connectBus(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<SessionBus> {
  try {
    return await connectSessionBus({
      env,
      timeoutMs: CALL_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    throw portalError('no-bus', env, dbusErrorDetail(err), err);
  }
}

/** Asks the portal on `env`'s session bus for its GlobalShortcuts version; for `whis doctor` and `whis setup`. */
export async function probeGlobalShortcuts(
  env: NodeJS.ProcessEnv,
): Promise<{ ok: true; version: number } | { ok: false; problem: PortalProblem; reason: string }> {
  let bus: SessionBus | undefined;
  try {
    bus = await connectBus(env);
    const version = await shortcutsVersion(bus, env);
    return { ok: true, version };
  } catch (err) {
    const problem = isPortalError(err) ? err.code : 'no-portal';
    return { ok: false, problem, reason: (err as Error).message };
  } finally {
    bus?.close();
  }
}

async function shortcutsVersion(bus: SessionBus, env: NodeJS.ProcessEnv): Promise<number> {
  let version: number;
  try {
    version = await portalVersion(bus, SHORTCUTS);
  } catch (err) {
    const problem = isServiceMissing(err) ? 'no-portal' : 'no-global-shortcuts';
    throw portalError(problem, env, dbusErrorReason(err), err);
  }
  const gnome = await gnomeBefore48(bus, env);
  if (gnome)
    throw portalError(
      'no-global-shortcuts',
      env,
      `GNOME ${gnome} has none of its own; the one on offer comes from xdg-desktop-portal-kde, which never fires on GNOME`,
    );
  return version;
}

/**
 * The GNOME Shell version when the session is GNOME 47 or older with no KDE shortcut service
 * (`org.kde.kglobalaccel`) on the bus: no GlobalShortcuts there can fire (xdg-desktop-portal-kde,
 * when installed, offers one that never does). Undefined elsewhere.
 */
async function gnomeBefore48(bus: SessionBus, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (!desktopOf(env).includes('gnome')) return undefined;
  const version = await bus
    .getProperty('org.gnome.Shell', '/org/gnome/Shell', 'org.gnome.Shell', 'ShellVersion')
    .then(String, () => '');
  const major = Number(/^(\d+)/.exec(version)?.[1] ?? NaN);
  if (!(major < 48)) return undefined;
  const [kde] = await bus
    .call({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'NameHasOwner',
      signature: 's',
      body: ['org.kde.kglobalaccel'],
    })
    .catch(() => [false]);
  return kde === true ? undefined : version;
}

/**
 * On a GNOME 47 (or older) session: its version, for `whis listen` (the hotkey comes from the custom
 * shortcut `whis setup` writes, so the service listens for none) and `whis setup`/`whis doctor`.
 * Undefined on any other desktop, on GNOME 48+, or when the bus cannot be reached.
 */
export async function gnomeWithoutGlobalShortcuts(
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (!desktopOf(env).includes('gnome')) return undefined;
  let bus: SessionBus | undefined;
  try {
    bus = await connectSessionBus({ env, timeoutMs: 5000 });
    return await gnomeBefore48(bus, env);
  } catch {
    return undefined;
  } finally {
    bus?.close();
  }
}

/** One shortcut's press unit: its real presses and releases (not the repeats) go to `onMatch`. */
function portalPress(options: PortalTriggerOptions, onMatch: (match: 'press' | 'release') => void) {
  return createPortalPress({
    mode: options.mode,
    onMatch,
    ...(options.repeatWindowMs !== undefined ? { repeatWindowMs: options.repeatWindowMs } : {}),
    ...(options.repeatDelayMs !== undefined ? { repeatDelayMs: options.repeatDelayMs } : {}),
    ...(options.maxHoldMs !== undefined ? { maxHoldMs: options.maxHoldMs } : {}),
    log: options.logger,
  });
}

/** What a session on `bus` asks for (both shortcuts), and its failures (with the fix). */
function sessionContext(
  options: PortalTriggerOptions,
  bus: SessionBus,
  signal: AbortSignal,
): PortalSessionContext {
  const { env, editHotkey } = options;
  return {
    bus,
    env,
    signal,
    token: options.sessionToken ?? 'whis',
    appId: options.appId ?? PORTAL_APP_ID,
    desktopEntry: options.desktopEntry,
    dictate: {
      id: PORTAL_SHORTCUT_ID,
      description: `Dictate with whis (${options.mode})`,
      trigger: preferredTrigger(options.hotkey),
    },
    edit: editHotkey && {
      id: PORTAL_EDIT_SHORTCUT_ID,
      description: 'Edit the selection by voice',
      trigger: preferredTrigger(editHotkey),
      hotkey: editHotkey,
    },
    log: options.logger,
    problem: (problem, detail, cause) => portalError(problem, env, detail, cause),
    version: () => shortcutsVersion(bus, env),
  };
}

/**
 * Hears the portal on `bus`, and only it (no other client on the bus can press the key): its
 * GlobalShortcuts signals and its owner changing. False when `signal` was aborted meanwhile.
 */
async function listenToPortal(
  bus: SessionBus,
  onSignal: (msg: DBusMessage) => void,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await bus.onSignal(`type='signal',sender='${PORTAL}',interface='${SHORTCUTS}'`, onSignal);
    await bus.onSignal(
      `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${PORTAL}'`,
      onSignal,
    );
  } catch (err) {
    if (signal.aborted) return false;
    throw err;
  }
  return !signal.aborted;
}

/**
 * ShortcutsChanged: what the desktop binds now (the user rebound a key in its settings), each
 * shortcut told; one no longer listed was removed there.
 */
function followChanges(changed: Shortcut[], status: PortalStatus, options: PortalTriggerOptions) {
  const { editHotkey } = options;
  const binding = bindingIn(changed, PORTAL_SHORTCUT_ID);
  if (binding === undefined) {
    status.unavailable(
      portalError('refused', options.env, 'the whis shortcut was removed in the desktop settings'),
    );
  } else {
    options.logger?.debug({ binding }, 'portal shortcut changed');
    status.available(binding || undefined);
  }
  if (!editHotkey) return;
  const editBinding = bindingIn(changed, PORTAL_EDIT_SHORTCUT_ID);
  status.edit(
    editBinding || undefined,
    editBinding === undefined
      ? editShortcutProblem(editHotkey, 'it was removed in the desktop settings')
      : undefined,
  );
}

/** Closes the session `handle` (when one was open), then the connection. */
async function closeBus(
  bus: SessionBus,
  handle: string | undefined,
  log: PortalTriggerOptions['logger'],
): Promise<void> {
  if (handle) {
    await closePortalSession(bus, handle).catch((err: unknown) =>
      log?.debug({ err }, 'closing the portal session failed'),
    );
  }
  bus.close();
}

/**
 * A Trigger on the desktop's GlobalShortcuts portal (xdg-desktop-portal): `Activated` is a press,
 * `Deactivated` a release, fed to the same toggle / push-to-talk logic as the X11 backend.
 * Failures (no portal, no GlobalShortcuts, a declined binding) are reported once as `unavailable`
 * with the fix; the portal restarting re-opens the session.
 */
export function createPortalTrigger(options: PortalTriggerOptions): {
  start(emit: (event: TriggerEvent) => void): Promise<void>;
  stop(): Promise<void>;
  state: PortalTriggerState;
} {
  const { env, editHotkey, mode, tapToToggleMs } = options;
  const log = options.logger;
  const state: PortalTriggerState = {};
  const status = createPortalStatus({ state, editHotkey, onEditStatus: options.onEditStatus, log });
  let onMatch: (match: 'press' | 'release') => void = () => undefined;
  let onEditMatch: (match: 'press' | 'release') => void = () => undefined;
  let bus: SessionBus | undefined;
  let session: string | undefined;
  let stopped = true;
  // one per start: stop() aborts what that start is still waiting for (connecting, a dialog)
  let starting = new AbortController();
  let generation = 0;
  // what each key is doing, seen through the portal's signals: each shortcut is held and
  // released on its own
  const key = portalPress(options, (match) => onMatch(match));
  const editKey = portalPress(options, (match) => onEditMatch(match));

  // Register (1.19+), check GlobalShortcuts, open the session, bind what is missing
  const open = async () => {
    const current = ++generation;
    key.reset();
    editKey.reset();
    status.reopened();
    session = undefined;
    try {
      const context = sessionContext(options, bus!, starting.signal);
      const { handle, version } = await createSession(context);
      if (current !== generation) return;
      session = handle;
      const { binding, editBinding, editProblem } = await bindShortcuts(context, handle);
      if (current !== generation) return;
      log?.debug({ version, session: handle, binding }, 'portal hotkey bound');
      status.available(binding || undefined);
      status.edit(editBinding || undefined, editProblem);
    } catch (err) {
      if (current !== generation || stopped) return;
      status.unavailable(
        isPortalError(err) ? err : portalError('refused', env, dbusErrorDetail(err), err),
      );
    }
  };

  const onSignal = (msg: DBusMessage) => {
    if (msg.interface === SHORTCUTS) {
      const [handle, id] = msg.body as [string, string];
      if (String(handle) !== session) return;
      log?.debug({ signal: msg.member, id }, 'portal shortcut signal');
      // which key: the shortcut's id (an edit signal without an edit key is nobody's)
      const which =
        id === PORTAL_SHORTCUT_ID
          ? key
          : id === PORTAL_EDIT_SHORTCUT_ID && editHotkey
            ? editKey
            : undefined;
      if (msg.member === 'Activated') which?.activated();
      else if (msg.member === 'Deactivated') which?.deactivated();
      else if (msg.member === 'ShortcutsChanged')
        followChanges(msg.body[1] as Shortcut[], status, options);
    } else if (msg.member === 'NameOwnerChanged' && msg.body[0] === PORTAL) {
      // the portal service restarted (or went away): its sessions died with it
      key.deactivated();
      editKey.deactivated();
      session = undefined;
      if (msg.body[2]) void open();
      else
        status.unavailable(
          portalError('no-portal', env, 'it stopped; whis binds the key again when it is back'),
        );
    }
  };

  return {
    state,
    async start(listener) {
      if (!stopped) return;
      stopped = false;
      starting = new AbortController();
      const { signal } = starting;
      status.start(listener);
      onMatch = createPressLogic(mode, tapToToggleMs, listener);
      onEditMatch = createPressLogic(mode, tapToToggleMs, withAction(listener, 'edit'));
      let connected: SessionBus;
      try {
        connected = await connectBus(env, signal);
      } catch (err) {
        if (!signal.aborted)
          status.unavailable(
            isPortalError(err) ? err : portalError('no-bus', env, String(err), err),
          );
        return;
      }
      // stopped while connecting: this connection is nobody's, and would keep the process alive
      if (signal.aborted) return connected.close();
      bus = connected;
      connected.onError((err) => {
        if (stopped) return;
        log?.warn({ err }, 'session bus connection failed');
        status.unavailable(portalError('no-bus', env, err.message, err));
      });
      if (await listenToPortal(connected, onSignal, signal)) await open();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      generation++;
      starting.abort();
      key.reset();
      editKey.reset();
      const current = bus;
      const handle = session;
      bus = undefined;
      session = undefined;
      if (current) await closeBus(current, handle, log);
    },
  };
}
