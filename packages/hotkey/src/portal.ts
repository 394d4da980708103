import type { Logger, TriggerEvent } from '@whis/contracts';
import {
  closePortalSession,
  connectSessionBus,
  dbusErrorDetail,
  dbusErrorName,
  dbusErrorReason,
  isServiceMissing,
  PORTAL,
  portalCall,
  portalRequest,
  portalVersion,
  type DBusMessage,
  type DBusModule,
  type SessionBus,
  type Vardict,
} from '@whis/dbus';
import { checkDesktopEntry, PORTAL_APP_ID, writeDesktopEntry } from './desktop-entry.js';
import { HotkeyError, isPortalError, type PortalProblem } from './errors.js';
import { createPortalPress } from './internal/portal-press.js';
import { createPressLogic, withAction, type PressMode } from './internal/press.js';
import { formatHotkey, KEYSYMS, type Hotkey } from './spec.js';

const SHORTCUTS = 'org.freedesktop.portal.GlobalShortcuts';
const REGISTRY = 'org.freedesktop.host.portal.Registry';

type Shortcut = [string, Vardict];

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

/** Why the desktop gives no edit key, and what to do; dictation works on. */
function editShortcutProblem(hotkey: Hotkey, why: string): string {
  return (
    `The desktop did not bind the edit key (${formatHotkey(hotkey)}): ${why}. Dictation works on. ` +
    `Assign a key to whis's "Edit the selection by voice" in your desktop's keyboard shortcut settings, ` +
    `or restart \`whis listen\` to be asked again; \`whis config set editHotkey none\` turns the edit key off.`
  );
}

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
  const env = options.env;
  const log = options.logger;
  const token = options.sessionToken ?? 'whis';
  const state: PortalTriggerState = {};
  let emit: (event: TriggerEvent) => void = () => undefined;
  let onMatch: (match: 'press' | 'release') => void = () => undefined;
  let onEditMatch: (match: 'press' | 'release') => void = () => undefined;
  const editHotkey = options.editHotkey;
  let dbus: DBusModule | undefined;
  let bus: SessionBus | undefined;
  let session: string | undefined;
  let stopped = true;
  // one per start: stop() aborts what that start is still waiting for (connecting, a dialog)
  let starting = new AbortController();
  let generation = 0;
  let lastProblem: string | undefined;
  // what the key is doing, seen through the portal's signals
  const key = createPortalPress({
    mode: options.mode,
    onMatch: (match) => onMatch(match),
    ...(options.repeatWindowMs !== undefined ? { repeatWindowMs: options.repeatWindowMs } : {}),
    ...(options.repeatDelayMs !== undefined ? { repeatDelayMs: options.repeatDelayMs } : {}),
    ...(options.maxHoldMs !== undefined ? { maxHoldMs: options.maxHoldMs } : {}),
    log,
  });
  // the edit key's, alike: each shortcut is held and released on its own
  const editKey = createPortalPress({
    mode: options.mode,
    onMatch: (match) => onEditMatch(match),
    ...(options.repeatWindowMs !== undefined ? { repeatWindowMs: options.repeatWindowMs } : {}),
    ...(options.repeatDelayMs !== undefined ? { repeatDelayMs: options.repeatDelayMs } : {}),
    ...(options.maxHoldMs !== undefined ? { maxHoldMs: options.maxHoldMs } : {}),
    log,
  });

  // the edit key's state, said once per change
  let editSaid: string | undefined;
  // (`quiet`: the whole trigger's problem, which `unavailable` has logged)
  const editStatus = (binding: string | undefined, problem?: string, quiet = false) => {
    if (!editHotkey) return;
    const said = problem === undefined ? `bound:${binding ?? ''}` : `problem:${problem}`;
    if (said === editSaid) return;
    editSaid = said;
    if (problem === undefined) {
      log?.debug({ binding }, 'portal edit shortcut bound');
      options.onEditStatus?.({ available: true, ...(binding ? { binding } : {}) });
    } else {
      if (!quiet) log?.warn({ editHotkey: formatHotkey(editHotkey) }, problem);
      options.onEditStatus?.({ available: false, reason: problem });
    }
  };

  const unavailable = (err: HotkeyError) => {
    const reason = err.message;
    state.binding = undefined;
    announced = undefined;
    editStatus(undefined, reason, true);
    if (reason === lastProblem) return;
    lastProblem = reason;
    log?.warn({ err }, 'portal hotkey unavailable');
    emit({ type: 'unavailable', reason });
  };
  // said once per binding: a desktop may announce the binding twice (ShortcutsChanged, then the
  // answer to BindShortcuts)
  let announced: string | undefined;
  const available = () => {
    const said = state.binding ?? '';
    if (lastProblem === undefined && announced === said) return;
    lastProblem = undefined;
    announced = said;
    emit(state.binding ? { type: 'available', binding: state.binding } : { type: 'available' });
  };

  const call = (member: string, signature: string, body: unknown[], iface = SHORTCUTS) =>
    portalCall(bus!, iface, member, signature, body);
  // a portal request: its Response is waited for as long as the user takes (a dialog)
  const request = (member: string, signature: string, body: (options: Vardict) => unknown[]) =>
    portalRequest(bus!, {
      interface: SHORTCUTS,
      member,
      signature,
      body,
      signal: starting.signal,
    });

  const shortcuts = (): Shortcut[] => [
    [
      PORTAL_SHORTCUT_ID,
      {
        description: new dbus!.Variant('s', `Dictate with whis (${options.mode})`),
        preferred_trigger: new dbus!.Variant('s', preferredTrigger(options.hotkey)),
      },
    ],
    ...(editHotkey
      ? [
          [
            PORTAL_EDIT_SHORTCUT_ID,
            {
              description: new dbus!.Variant('s', 'Edit the selection by voice'),
              preferred_trigger: new dbus!.Variant('s', preferredTrigger(editHotkey)),
            },
          ] satisfies Shortcut,
        ]
      : []),
  ];
  const bindingIn = (
    shortcuts: Shortcut[] | undefined,
    wanted = PORTAL_SHORTCUT_ID,
  ): string | undefined => {
    const ours = shortcuts?.find(([id]) => id === wanted);
    if (!ours) return undefined;
    const description = ours[1].trigger_description?.value as string | undefined;
    return description ?? '';
  };

  // The portal's host Registry needs the app's desktop entry: written when missing
  const ensureDesktopEntry = async (appId: string) => {
    if (!options.desktopEntry) return;
    const found = await checkDesktopEntry(env, appId);
    if (found.ok || !(await hasRegistry())) return;
    const path = await writeDesktopEntry(env, [options.desktopEntry.exec], appId);
    log?.info(
      { path, reason: found.reason },
      'wrote the desktop entry the portal needs to bind the hotkey',
    );
  };
  const hasRegistry = async () => {
    try {
      const [xml] = await bus!.call({
        destination: PORTAL,
        path: '/org/freedesktop/portal/desktop',
        interface: 'org.freedesktop.DBus.Introspectable',
        member: 'Introspect',
      });
      return String(xml).includes(REGISTRY);
    } catch {
      return false;
    }
  };

  const listShortcuts = async (handle: string) => {
    const listed = await request('ListShortcuts', 'oa{sv}', (requestOptions) => [
      handle,
      requestOptions,
    ]);
    return listed.results.shortcuts?.value as Shortcut[] | undefined;
  };

  // Register (1.19+), check GlobalShortcuts, open the session, bind what is missing
  const openSession = async (current: number) => {
    session = undefined;
    const appId = options.appId ?? PORTAL_APP_ID;
    await ensureDesktopEntry(appId);
    try {
      await call('Register', 'sa{sv}', [appId, {}], REGISTRY);
    } catch (err) {
      const name = dbusErrorName(err);
      // a portal older than 1.19 has no Registry: an unsandboxed app works without it
      if (name.endsWith('ServiceUnknown') || name.endsWith('NameHasNoOwner'))
        throw portalError('no-portal', env, name, err);
      log?.debug({ err: name, detail: dbusErrorDetail(err) }, 'the host portal Registry refused');
    }
    const version = await shortcutsVersion(bus!, env);
    const created = await request('CreateSession', 'a{sv}', (requestOptions) => [
      {
        ...requestOptions,
        session_handle_token: new dbus!.Variant('s', token),
        // KDE 5.27 registers only the shortcuts named here (it ignores BindShortcuts' list): both
        // keys are named in this one session
        shortcuts: new dbus!.Variant('a(sa{sv})', shortcuts()),
      },
    ]);
    if (created.response !== 0)
      throw portalError('refused', env, `CreateSession answered ${created.response}`);
    // the handle comes back as a string on KDE, an object path elsewhere
    const handle = String(created.results.session_handle?.value ?? '');
    if (current !== generation) return;
    session = handle;
    const listed = await listShortcuts(handle);
    let binding = bindingIn(listed);
    let editBinding = editHotkey ? bindingIn(listed, PORTAL_EDIT_SHORTCUT_ID) : '';
    let editProblem: string | undefined;
    if (binding === undefined || editBinding === undefined) {
      // GNOME 48+ and KDE 6 bind here (with a dialog the first time); both keys in one request
      const bound = await request('BindShortcuts', 'oa(sa{sv})sa{sv}', (requestOptions) => [
        handle,
        shortcuts(),
        '',
        requestOptions,
      ]);
      // What was bound decides, not the code alone: xdg-desktop-portal-gnome 48.0 answers a
      // successful bind with 2 and the shortcuts in its results (fixed in 49.0)
      let answered = bound.results.shortcuts?.value as Shortcut[] | undefined;
      const missing = () =>
        bindingIn(answered) === undefined ||
        (editHotkey !== undefined && bindingIn(answered, PORTAL_EDIT_SHORTCUT_ID) === undefined);
      if (bound.response !== 0 && missing()) answered = await listShortcuts(handle);
      binding ??= bindingIn(answered);
      editBinding ??= bindingIn(answered, PORTAL_EDIT_SHORTCUT_ID);
      if (binding === undefined && bound.response === 1) throw portalError('cancelled', env);
      if (binding === undefined)
        throw portalError(
          'refused',
          env,
          bound.response === 0
            ? 'the shortcut is not in its answer'
            : `BindShortcuts answered ${bound.response}`,
        );
      if (editBinding === undefined && editHotkey)
        editProblem = editShortcutProblem(
          editHotkey,
          bound.response === 1
            ? 'the request was declined or its dialog closed'
            : bound.response === 0
              ? 'the edit shortcut is not in its answer'
              : `BindShortcuts answered ${bound.response}`,
        );
      if (bound.response !== 0)
        log?.debug(
          { response: bound.response, binding, editBinding },
          'the desktop answered BindShortcuts with an error code but bound the shortcut',
        );
    }
    if (current !== generation) return;
    state.binding = binding || undefined;
    log?.debug({ version, session: handle, binding }, 'portal hotkey bound');
    available();
    editStatus(editBinding || undefined, editProblem);
  };

  const open = async () => {
    const current = ++generation;
    key.reset();
    editKey.reset();
    announced = undefined;
    try {
      await openSession(current);
    } catch (err) {
      if (current !== generation || stopped) return;
      unavailable(
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
      else if (msg.member === 'ShortcutsChanged') {
        const changed = msg.body[1] as Shortcut[];
        const binding = bindingIn(changed);
        if (binding === undefined) {
          unavailable(
            portalError('refused', env, 'the whis shortcut was removed in the desktop settings'),
          );
        } else {
          state.binding = binding || undefined;
          log?.debug({ binding }, 'portal shortcut changed');
          available();
        }
        if (editHotkey) {
          const editBinding = bindingIn(changed, PORTAL_EDIT_SHORTCUT_ID);
          editStatus(
            editBinding || undefined,
            editBinding === undefined
              ? editShortcutProblem(editHotkey, 'it was removed in the desktop settings')
              : undefined,
          );
        }
      }
    } else if (msg.member === 'NameOwnerChanged' && msg.body[0] === PORTAL) {
      // the portal service restarted (or went away): its sessions died with it
      key.deactivated();
      editKey.deactivated();
      session = undefined;
      if (msg.body[2]) void open();
      else
        unavailable(
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
      emit = listener;
      onMatch = createPressLogic(options.mode, options.tapToToggleMs, emit);
      onEditMatch = createPressLogic(options.mode, options.tapToToggleMs, withAction(emit, 'edit'));
      editSaid = undefined;
      let connected: SessionBus;
      try {
        connected = await connectBus(env, signal);
      } catch (err) {
        if (!signal.aborted)
          unavailable(isPortalError(err) ? err : portalError('no-bus', env, String(err), err));
        return;
      }
      // stopped while connecting: this connection is nobody's, and would keep the process alive
      if (signal.aborted) return connected.close();
      bus = connected;
      dbus = connected.dbus;
      connected.onError((err) => {
        if (stopped) return;
        log?.warn({ err }, 'session bus connection failed');
        unavailable(portalError('no-bus', env, err.message, err));
      });
      try {
        // signals from the portal only: no other client on the bus can press the key
        await connected.onSignal(
          `type='signal',sender='${PORTAL}',interface='${SHORTCUTS}'`,
          onSignal,
        );
        await connected.onSignal(
          `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${PORTAL}'`,
          onSignal,
        );
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      if (!signal.aborted) await open();
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
      if (!current) return;
      if (handle) {
        await closePortalSession(current, handle).catch((err: unknown) =>
          log?.debug({ err }, 'closing the portal session failed'),
        );
      }
      current.close();
    },
  };
}
