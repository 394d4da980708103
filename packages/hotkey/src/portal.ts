import type {
  MessageBus,
  Message as DBusMessage,
  Variant as DBusVariant,
} from '@particle/dbus-next';
import type { Logger, TriggerEvent } from '@whis/contracts';
import { createPressLogic, type PressMode } from './internal/press.js';
import { KEYSYMS, type Hotkey } from './spec.js';

const PORTAL = 'org.freedesktop.portal.Desktop';
const PORTAL_PATH = '/org/freedesktop/portal/desktop';
const SHORTCUTS = 'org.freedesktop.portal.GlobalShortcuts';
const REGISTRY = 'org.freedesktop.host.portal.Registry';

type DBus = typeof import('@particle/dbus-next');
type Vardict = Record<string, DBusVariant>;
type Shortcut = [string, Vardict];

export interface PortalTriggerOptions {
  hotkey: Hotkey;
  mode: PressMode;
  tapToToggleMs: number;
  /** Environment with the session bus address and XDG_CURRENT_DESKTOP. */
  env: NodeJS.ProcessEnv;
  logger?: Pick<Logger, 'debug' | 'warn'>;
  /**
   * The session's `session_handle_token`. KDE names the shortcut's owner after it, so it must be
   * the same on every start (a new one leaves the key with a dead owner). Default `whis`.
   */
  sessionToken?: string;
  /** The app id registered with the portal's host Registry (xdg-desktop-portal 1.19+). Default `whis`. */
  appId?: string;
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

// How soon after a release an Activated can still be an auto-repeat queued before it (KWin
// repeats every 40 ms; under load a repeat was seen after the release). No hand re-presses that fast.
const LATE_REPEAT_MS = 150;

/** The id of the one shortcut whis asks for. */
export const PORTAL_SHORTCUT_ID = 'dictate';

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

export type PortalProblem =
  'no-bus' | 'no-portal' | 'no-global-shortcuts' | 'cancelled' | 'refused';

function desktopOf(env: NodeJS.ProcessEnv): string {
  return (env.XDG_CURRENT_DESKTOP ?? env.XDG_SESSION_DESKTOP ?? '').toLowerCase();
}

/** The one message for each way the portal hotkey can fail, with the fix for this desktop. */
export function portalProblem(problem: PortalProblem, env: NodeJS.ProcessEnv, detail = ''): string {
  const desktop = desktopOf(env);
  const without =
    'or bind `whis toggle` to a key yourself (push-to-talk: `whis start` on press, `whis finish` on release; `whis setup` writes them for sway, river and Hyprland) and run `whis listen --hotkey-backend none`';
  const install = desktop.includes('gnome')
    ? 'GNOME has it from version 48 (xdg-desktop-portal-gnome 48); on older GNOME, add the shortcut in Settings > Keyboard > Custom Shortcuts'
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

class PortalError extends Error {
  constructor(
    readonly problem: PortalProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

async function loadDBus(): Promise<DBus> {
  // lazily, so X11 users and `whis status` never load the D-Bus client
  const mod = (await import('@particle/dbus-next')) as DBus & { default?: DBus };
  return mod.default ?? mod;
}

/** Connects to the session bus named by `env`, resolving once the bus has given us a name. */
async function connectBus(dbus: DBus, env: NodeJS.ProcessEnv): Promise<MessageBus> {
  const address = env.DBUS_SESSION_BUS_ADDRESS;
  if (!address)
    throw new PortalError(
      'no-bus',
      portalProblem('no-bus', env, 'DBUS_SESSION_BUS_ADDRESS is not set'),
    );
  let bus: MessageBus;
  try {
    bus = dbus.sessionBus({ busAddress: address });
  } catch (err) {
    throw new PortalError('no-bus', portalProblem('no-bus', env, (err as Error).message), {
      cause: err,
    });
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      bus.disconnect();
      reject(new PortalError('no-bus', portalProblem('no-bus', env, err.message), { cause: err }));
    };
    bus.once('error', onError);
    bus.once('connect', () => {
      bus.off('error', onError);
      resolve();
    });
  });
  return bus;
}

function errorName(err: unknown): string {
  return (err as { type?: string }).type ?? '';
}

/** Asks the portal on `env`'s session bus for its GlobalShortcuts version; for `whis doctor` and `whis setup`. */
export async function probeGlobalShortcuts(
  env: NodeJS.ProcessEnv,
): Promise<{ ok: true; version: number } | { ok: false; problem: PortalProblem; reason: string }> {
  let bus: MessageBus | undefined;
  try {
    const dbus = await loadDBus();
    bus = await connectBus(dbus, env);
    const version = await shortcutsVersion(dbus, bus, env);
    return { ok: true, version };
  } catch (err) {
    const problem = err instanceof PortalError ? err.problem : 'no-portal';
    return { ok: false, problem, reason: (err as Error).message };
  } finally {
    bus?.disconnect();
  }
}

async function shortcutsVersion(
  dbus: DBus,
  bus: MessageBus,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  try {
    const reply = await bus.call(
      new dbus.Message({
        destination: PORTAL,
        path: PORTAL_PATH,
        interface: 'org.freedesktop.DBus.Properties',
        member: 'Get',
        signature: 'ss',
        body: [SHORTCUTS, 'version'],
      }),
    );
    return Number((reply!.body[0] as DBusVariant).value);
  } catch (err) {
    const name = errorName(err);
    if (
      name.endsWith('ServiceUnknown') ||
      name.endsWith('NameHasNoOwner') ||
      name.endsWith('NoReply')
    )
      throw new PortalError('no-portal', portalProblem('no-portal', env, name), { cause: err });
    throw new PortalError('no-global-shortcuts', portalProblem('no-global-shortcuts', env, name), {
      cause: err,
    });
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
  const repeatWindowMs = options.repeatWindowMs ?? 1000;
  const repeatDelayMs = options.repeatDelayMs ?? 2000;
  const maxHoldMs = options.maxHoldMs ?? 600_000;
  const state: PortalTriggerState = {};
  let emit: (event: TriggerEvent) => void = () => undefined;
  let onMatch: (match: 'press' | 'release') => void = () => undefined;
  let dbus: DBus | undefined;
  let bus: MessageBus | undefined;
  let session: string | undefined;
  let stopped = true;
  let generation = 0;
  let requests = 0;
  let lastProblem: string | undefined;
  // what the key is doing, seen through the portal's signals
  let held = false;
  let passed = false;
  let lastActivated = 0;
  let lastDeactivated = 0;
  let repeating = false;
  let holdTimer: NodeJS.Timeout | undefined;

  const unavailable = (reason: string) => {
    state.binding = undefined;
    if (reason === lastProblem) return;
    lastProblem = reason;
    log?.warn({ reason }, 'portal hotkey unavailable');
    emit({ type: 'unavailable', reason });
  };
  const available = () => {
    lastProblem = undefined;
    emit(state.binding ? { type: 'available', binding: state.binding } : { type: 'available' });
  };

  const release = () => {
    clearTimeout(holdTimer);
    holdTimer = undefined;
    if (passed) {
      passed = false;
      onMatch('release');
    }
  };
  const press = () => {
    passed = true;
    onMatch('press');
    if (options.mode === 'push-to-talk') {
      holdTimer = setTimeout(() => {
        log?.warn({ maxHoldMs }, 'no release from the portal: ending the hold');
        release();
      }, maxHoldMs);
      holdTimer.unref();
    }
  };
  const activated = () => {
    const now = Date.now();
    const since = now - lastActivated;
    if (!held && repeating && now - lastDeactivated < LATE_REPEAT_MS) {
      // an auto-repeat the desktop queued before the release (KWin under load): not a new press
      return;
    }
    lastActivated = now;
    if (!held) {
      repeating = false;
      held = true;
      press();
    } else if (since < (repeating ? repeatWindowMs : repeatDelayMs)) {
      // the desktop's auto-repeat: one press
      repeating = true;
    } else if (options.mode === 'push-to-talk' && passed) {
      // the release was lost: this press ends the hold, and its own release is absorbed
      log?.debug({}, 'press while held: the release was lost');
      repeating = false;
      release();
    } else {
      repeating = false;
      release();
      press();
    }
  };
  const deactivated = () => {
    if (!held) return;
    held = false;
    lastDeactivated = Date.now();
    // repeats were still flowing when the key came up: one may be queued behind the release
    repeating = repeating && lastDeactivated - lastActivated < LATE_REPEAT_MS;
    release();
  };

  const call = async (member: string, signature: string, body: unknown[], iface = SHORTCUTS) =>
    bus!.call(
      new dbus!.Message({
        destination: PORTAL,
        path: PORTAL_PATH,
        interface: iface,
        member,
        signature,
        body,
      }),
    );

  // a portal request: subscribe to its Response before calling, so no answer is missed
  const request = async (
    member: string,
    signature: string,
    body: (handleToken: string) => unknown[],
  ): Promise<{ response: number; results: Vardict }> => {
    const handleToken = `whis${process.pid}_${++requests}`;
    const sender = (bus as MessageBus & { name: string }).name.slice(1).replace(/\./g, '_');
    const path = `${PORTAL_PATH}/request/${sender}/${handleToken}`;
    const rule = `type='signal',interface='org.freedesktop.portal.Request',member='Response',path='${path}'`;
    await addMatch(rule);
    let onMessage: ((msg: DBusMessage) => void) | undefined;
    try {
      const answer = new Promise<{ response: number; results: Vardict }>((resolve) => {
        onMessage = (msg: DBusMessage) => {
          if (msg.member !== 'Response' || msg.path !== path) return;
          resolve({ response: Number(msg.body[0]), results: msg.body[1] as Vardict });
        };
        bus!.on('message', onMessage);
      });
      await call(member, signature, body(handleToken));
      return await answer;
    } finally {
      if (onMessage) bus?.off('message', onMessage);
      void removeMatch(rule);
    }
  };
  const addMatch = (rule: string) =>
    bus!.call(
      new dbus!.Message({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'AddMatch',
        signature: 's',
        body: [rule],
      }),
    );
  const removeMatch = (rule: string) =>
    bus
      ?.call(
        new dbus!.Message({
          destination: 'org.freedesktop.DBus',
          path: '/org/freedesktop/DBus',
          interface: 'org.freedesktop.DBus',
          member: 'RemoveMatch',
          signature: 's',
          body: [rule],
        }),
      )
      .catch(() => undefined);

  const shortcut = (): Shortcut => [
    PORTAL_SHORTCUT_ID,
    {
      description: new dbus!.Variant('s', `Dictate with whis (${options.mode})`),
      preferred_trigger: new dbus!.Variant('s', preferredTrigger(options.hotkey)),
    },
  ];
  const bindingIn = (shortcuts: Shortcut[] | undefined): string | undefined => {
    const ours = shortcuts?.find(([id]) => id === PORTAL_SHORTCUT_ID);
    if (!ours) return undefined;
    const description = ours[1].trigger_description?.value as string | undefined;
    return description ?? '';
  };

  // Register (1.19+), check GlobalShortcuts, open the session, bind what is missing
  const openSession = async (current: number) => {
    session = undefined;
    try {
      await call('Register', 'sa{sv}', [options.appId ?? 'whis', {}], REGISTRY);
    } catch (err) {
      const name = errorName(err);
      // a portal older than 1.19 has no Registry: an unsandboxed app works without it
      if (name.endsWith('ServiceUnknown') || name.endsWith('NameHasNoOwner'))
        throw new PortalError('no-portal', portalProblem('no-portal', env, name), { cause: err });
      log?.debug({ err: name }, 'no host portal Registry');
    }
    const version = await shortcutsVersion(dbus!, bus!, env);
    const created = await request('CreateSession', 'a{sv}', (handleToken) => [
      {
        handle_token: new dbus!.Variant('s', handleToken),
        session_handle_token: new dbus!.Variant('s', token),
        // KDE 5.27 registers only the shortcuts named here (it ignores BindShortcuts' list)
        shortcuts: new dbus!.Variant('a(sa{sv})', [shortcut()]),
      },
    ]);
    if (created.response !== 0)
      throw new PortalError(
        'refused',
        portalProblem('refused', env, `CreateSession answered ${created.response}`),
      );
    // the handle comes back as a string on KDE, an object path elsewhere
    const handle = String(created.results.session_handle?.value ?? '');
    if (current !== generation) return;
    session = handle;
    const listed = await request('ListShortcuts', 'oa{sv}', (handleToken) => [
      handle,
      { handle_token: new dbus!.Variant('s', handleToken) },
    ]);
    let binding = bindingIn(listed.results.shortcuts?.value as Shortcut[] | undefined);
    if (binding === undefined) {
      // GNOME 48+ and KDE 6 bind here (with a dialog the first time)
      const bound = await request('BindShortcuts', 'oa(sa{sv})sa{sv}', (handleToken) => [
        handle,
        [shortcut()],
        '',
        { handle_token: new dbus!.Variant('s', handleToken) },
      ]);
      if (bound.response === 1) throw new PortalError('cancelled', portalProblem('cancelled', env));
      if (bound.response !== 0)
        throw new PortalError(
          'refused',
          portalProblem('refused', env, `BindShortcuts answered ${bound.response}`),
        );
      binding = bindingIn(bound.results.shortcuts?.value as Shortcut[] | undefined);
      if (binding === undefined)
        throw new PortalError(
          'refused',
          portalProblem('refused', env, 'the shortcut is not in its answer'),
        );
    }
    if (current !== generation) return;
    state.binding = binding || undefined;
    log?.debug({ version, session: handle, binding }, 'portal hotkey bound');
    available();
  };

  const open = async () => {
    const current = ++generation;
    held = false;
    passed = false;
    try {
      await openSession(current);
    } catch (err) {
      if (current !== generation || stopped) return;
      unavailable(
        err instanceof PortalError
          ? err.message
          : portalProblem('refused', env, (err as Error).message),
      );
    }
  };

  const onMessage = (msg: DBusMessage) => {
    if (msg.type !== 4 /* signal */) return;
    if (msg.interface === SHORTCUTS) {
      const [handle, id] = msg.body as [string, string];
      if (String(handle) !== session) return;
      log?.debug({ signal: msg.member, id, held }, 'portal shortcut signal');
      if (msg.member === 'Activated' && id === PORTAL_SHORTCUT_ID) activated();
      else if (msg.member === 'Deactivated' && id === PORTAL_SHORTCUT_ID) deactivated();
      else if (msg.member === 'ShortcutsChanged') {
        const binding = bindingIn(msg.body[1] as Shortcut[]);
        if (binding === undefined) {
          unavailable(
            portalProblem('refused', env, 'the whis shortcut was removed in the desktop settings'),
          );
        } else {
          state.binding = binding || undefined;
          log?.debug({ binding }, 'portal shortcut changed');
          available();
        }
      }
    } else if (msg.member === 'NameOwnerChanged' && msg.body[0] === PORTAL) {
      // the portal service restarted (or went away): its sessions died with it
      deactivated();
      session = undefined;
      if (msg.body[2]) void open();
      else
        unavailable(
          portalProblem('no-portal', env, 'it stopped; whis binds the key again when it is back'),
        );
    }
  };

  return {
    state,
    async start(listener) {
      if (!stopped) return;
      stopped = false;
      emit = listener;
      onMatch = createPressLogic(options.mode, options.tapToToggleMs, emit);
      try {
        dbus = await loadDBus();
        bus = await connectBus(dbus, env);
      } catch (err) {
        bus = undefined;
        unavailable(err instanceof PortalError ? err.message : String(err));
        return;
      }
      bus.on('error', (err: Error) => {
        if (stopped) return;
        log?.warn({ err }, 'session bus connection failed');
        unavailable(portalProblem('no-bus', env, err.message));
      });
      bus.on('message', onMessage);
      await addMatch(`type='signal',interface='${SHORTCUTS}'`);
      await addMatch(
        `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${PORTAL}'`,
      );
      if (!stopped) await open();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      generation++;
      clearTimeout(holdTimer);
      const current = bus;
      const handle = session;
      bus = undefined;
      session = undefined;
      if (!current) return;
      if (handle) {
        await current
          .call(
            new dbus!.Message({
              destination: PORTAL,
              path: handle,
              interface: 'org.freedesktop.portal.Session',
              member: 'Close',
            }),
          )
          .catch((err: unknown) => log?.debug({ err }, 'closing the portal session failed'));
      }
      current.disconnect();
    },
  };
}
