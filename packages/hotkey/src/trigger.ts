import { isWaylandSession, type Logger, type TriggerEvent } from '@whis/contracts';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGrabTrigger } from './grab.js';
import { parseEditHotkey, type EditKeyStatus } from './internal/edit-key.js';
import { createKeyEvents } from './internal/key-events.js';
import { createPortalTrigger, type PortalTriggerOptions } from './portal.js';
import { formatHotkey, parseHotkey, type Hotkey } from './spec.js';

export type HotkeyMode = 'toggle' | 'push-to-talk';

/**
 * Where key presses come from: `x11` (a key grab on the X display; uiohook on macOS and Windows),
 * `portal` (the desktop's GlobalShortcuts), or `auto`.
 */
export type HotkeyBackend = 'auto' | 'x11' | 'portal';

/** The TriggerEvent of @whis/contracts: what the service host takes from a trigger. */
export type HotkeyTriggerEvent = TriggerEvent;

export type { EditKeyStatus };

export interface HotkeyTrigger {
  /** Both keys and the mode: `ctrl+shift+r (toggle), edit ctrl+shift+alt+e`. */
  readonly description: string;
  /** The dictation key: its presses' `toggle` and `start` carry no action (a dictation). */
  readonly hotkey: Hotkey;
  /** The edit key, when there is one: its presses' `toggle` and `start` carry `action: 'edit'`. */
  readonly editHotkey: Hotkey | undefined;
  /**
   * The edit key's state now (undefined without one), for `whis status`: the trigger's own
   * `available`/`unavailable` events are the dictation key's, and an edit key that cannot be had
   * (another program holds it, the desktop did not bind it) is reported here, not there.
   */
  readonly edit: EditKeyStatus | undefined;
  /** The backend in use (`auto` resolved). */
  readonly backend: 'x11' | 'portal';
  start(): Promise<void>;
  stop(): Promise<void>;
  onEvent(listener: (event: HotkeyTriggerEvent) => void): () => void;
}

/** The part of the shared Logger (pino-compatible) the trigger uses. */
export type HotkeyLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

export interface HotkeyTriggerOptions {
  /** The dictation key, e.g. `ctrl+shift+r`. */
  hotkey: string;
  /**
   * The edit key (edit the selection by voice), e.g. `ctrl+shift+alt+e`: the same mode and press
   * logic as the dictation key, its `toggle`/`start` with `action: 'edit'`. Absent, empty or
   * `none`: no edit key. The dictation key's chord (sides aside) is refused with a HotkeyError.
   */
  editHotkey?: string;
  mode?: HotkeyMode;
  /** Push-to-talk: a press shorter than this latches the recording on until the next press. 0 (default): off. */
  tapToToggleMs?: number;
  /** Environment (DISPLAY, …). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /**
   * First retry delay while the hotkey is unavailable with DISPLAY set (the X server is gone, or
   * another program holds the chord); doubles up to 60 s. Default 2 s.
   */
  retryMs?: number;
  logger?: HotkeyLogger;
  /** Default `auto`: the portal on Wayland, uiohook on X11 (see `resolveHotkeyBackend`). */
  backend?: HotkeyBackend;
  /**
   * Whose backend to use; default this process's. `darwin` or `win32` run the uiohook listener,
   * which also works under X11 (how its path is tested on Linux).
   */
  platform?: NodeJS.Platform;
  /** Portal backend: its session token, auto-repeat window and longest hold (see `PortalTriggerOptions`). */
  portal?: Pick<
    PortalTriggerOptions,
    'sessionToken' | 'appId' | 'desktopEntry' | 'repeatWindowMs' | 'repeatDelayMs' | 'maxHoldMs'
  >;
}

/**
 * The backend `auto` picks: on Wayland the desktop's GlobalShortcuts portal (uiohook would only
 * see keys typed into X clients there), elsewhere uiohook on X11.
 */
export function resolveHotkeyBackend(
  backend: HotkeyBackend,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): 'x11' | 'portal' {
  if (backend !== 'auto') return backend;
  return platform === 'linux' && isWaylandSession(env) ? 'portal' : 'x11';
}

// Beside this module once built; from the sources (tests), the built copy.
const BUILT_LISTENER = fileURLToPath(new URL('./internal/listener-process.js', import.meta.url));
const LISTENER = existsSync(BUILT_LISTENER)
  ? BUILT_LISTENER
  : fileURLToPath(new URL('../dist/internal/listener-process.js', import.meta.url));

export const WAYLAND_HELP =
  'On Wayland no program can read global keys through X11: use the desktop portal (`--hotkey-backend portal`, or `auto`) ' +
  'where the desktop offers GlobalShortcuts (GNOME 48+, KDE Plasma 5.27+, Hyprland). Elsewhere, Bind `whis toggle` to a shortcut in your desktop settings ' +
  '(push-to-talk: `whis start` on press, `whis finish` on release; `whis setup` writes them for sway, river and Hyprland) and run `whis listen --hotkey-backend none`.';

/** Why no global hotkey can work in this environment, or undefined when X11 is there to try. */
export function hotkeyUnavailableReason(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (platform !== 'linux') return undefined;
  // under XWayland uiohook would only see keys typed into X clients: report it rather than half-work
  if (isWaylandSession(env)) return WAYLAND_HELP;
  if (!env.DISPLAY)
    return 'No X display (DISPLAY is not set), so no global hotkey. Control whis with `whis toggle`.';
  return undefined;
}

/**
 * Whether the `x11` backend grabs the key on the X display (Linux and the BSDs) rather than
 * listening through uiohook (macOS and Windows, which have no X server to grab from).
 */
export function grabsOnX11(platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'darwin' && platform !== 'win32';
}

/**
 * A Trigger on a global hotkey, and optionally a second one, the edit key (`editHotkey`). On X11
 * the chords are grabbed on the X display, so they reach whis and not the focused window; on macOS
 * and Windows a uiohook listener runs in a child process; on Wayland the desktop's GlobalShortcuts
 * portal binds both in one session. If the dictation key cannot be had (no display, Wayland, the X
 * server went away, another program holds the chord), the trigger reports `unavailable` with the
 * fix and the host keeps running; while DISPLAY is set it retries with backoff. The edit key's
 * problems are its own (`HotkeyTrigger.edit`): they never cost the dictation key.
 */
export function createHotkeyTrigger(options: HotkeyTriggerOptions): HotkeyTrigger {
  const hotkey = parseHotkey(options.hotkey);
  const editHotkey = parseEditHotkey(options.editHotkey, hotkey);
  const mode = options.mode ?? 'toggle';
  const env = options.env ?? process.env;
  const tapMs = options.tapToToggleMs ?? 0;
  const platform = options.platform ?? process.platform;
  const keys: Keys = { hotkey, editHotkey, mode, tapMs };
  if (resolveHotkeyBackend(options.backend ?? 'auto', env, platform) === 'portal')
    return portalHotkeyTrigger(options, keys, env);
  if (grabsOnX11(platform)) return grabHotkeyTrigger(options, keys, env);
  return listenerHotkeyTrigger(options, keys, env, platform);
}

/** The keys and how their presses are read, as every backend takes them. */
interface Keys {
  hotkey: Hotkey;
  editHotkey: Hotkey | undefined;
  mode: HotkeyMode;
  tapMs: number;
}

/** `ctrl+shift+r (toggle)`, then `, edit <key>` with an edit key. */
function describeKeys(keys: Keys, how: string): string {
  const edit = keys.editHotkey ? `, edit ${formatHotkey(keys.editHotkey)}` : '';
  return `${formatHotkey(keys.hotkey)} (${how})${edit}`;
}

/** The edit key's state, kept by a backend and read by `HotkeyTrigger.edit`. */
function editState(keys: Keys): {
  read(): EditKeyStatus | undefined;
  set(change: Omit<EditKeyStatus, 'hotkey'>): void;
} {
  if (!keys.editHotkey) return { read: () => undefined, set: () => undefined };
  const hotkey = formatHotkey(keys.editHotkey);
  let status: EditKeyStatus = { hotkey, state: 'pending' };
  return {
    read: () => ({ ...status }),
    set: (change) => (status = { hotkey, ...change }),
  };
}

// macOS and Windows: a uiohook listener in a child process, both chords matched here
function listenerHotkeyTrigger(
  options: HotkeyTriggerOptions,
  keys: Keys,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): HotkeyTrigger {
  const { hotkey, editHotkey, mode, tapMs } = keys;
  const listeners = new Set<(event: HotkeyTriggerEvent) => void>();
  const edit = editState(keys);
  let child: ChildProcess | undefined;
  let stopped = true;
  let available: boolean | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = options.retryMs ?? 2000;

  const emit = (event: HotkeyTriggerEvent) => {
    for (const listener of listeners) listener(event);
  };
  const setAvailable = (value: boolean, reason = '') => {
    // one listener hears both keys: the edit key is there exactly when the dictation key is
    edit.set(value ? { state: 'available' } : { state: 'unavailable', reason });
    if (available === value && value) return;
    available = value;
    emit(value ? { type: 'available' } : { type: 'unavailable', reason });
  };

  const keyEvents = createKeyEvents({ hotkey, editHotkey, mode, tapMs, emit });

  const scheduleRetry = () => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      spawnListener();
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryDelay * 2, 60_000);
  };

  const spawnListener = () => {
    if (stopped) return;
    const reason = hotkeyUnavailableReason(env, platform);
    if (reason) {
      setAvailable(false, reason);
      return;
    }
    // the listener reports only the chords' keys and the modifiers: never what else is typed
    const proc = spawn(process.execPath, [LISTENER, keyEvents.keys.join(',')], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child = proc;
    let stderr = '';
    let ready = false;
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    proc.stdin!.on('error', () => undefined);
    proc.on('error', (err) => options.logger?.warn({ err }, 'hotkey listener failed to start'));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let message: { t?: string; k?: string };
      try {
        message = JSON.parse(line) as { t?: string; k?: string };
      } catch {
        return;
      }
      if (message.t === 'ready') {
        ready = true;
        retryDelay = options.retryMs ?? 2000;
        keyEvents.reset();
        setAvailable(true);
      } else if (message.t === 'down' && message.k) {
        keyEvents.keyDown(message.k);
      } else if (message.t === 'up' && message.k) {
        keyEvents.keyUp(message.k);
      }
    });
    proc.once('exit', (code, signal) => {
      if (child === proc) child = undefined;
      if (stopped) return;
      const why = stderr.trim().split('\n').filter(Boolean).pop();
      const reason = ready
        ? `The hotkey listener stopped (${signal ?? `exit ${code}`}); the X display (${env.DISPLAY}) may be gone.${why ? ` ${why}` : ''} Retrying; \`whis toggle\` works meanwhile.`
        : `Cannot listen for keys on display ${env.DISPLAY} (${signal ?? `exit ${code}`}${why ? `: ${why}` : ''}). Is the X server running? \`whis toggle\` works meanwhile.`;
      options.logger?.warn({ code, signal }, reason);
      setAvailable(false, reason);
      scheduleRetry();
    });
  };

  return {
    description: describeKeys(keys, mode),
    hotkey,
    editHotkey,
    get edit() {
      return edit.read();
    },
    backend: 'x11',
    async start() {
      if (!stopped) return;
      stopped = false;
      spawnListener();
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      available = undefined;
      if (editHotkey) edit.set({ state: 'pending' });
      const proc = child;
      child = undefined;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.stdin!.end();
        const kill = setTimeout(() => proc.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(kill);
      }
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function grabHotkeyTrigger(
  options: HotkeyTriggerOptions,
  keys: Keys,
  env: NodeJS.ProcessEnv,
): HotkeyTrigger {
  const listeners = new Set<(event: HotkeyTriggerEvent) => void>();
  const emit = (event: HotkeyTriggerEvent) => {
    for (const listener of listeners) listener(event);
  };
  const edit = editState(keys);
  let grab: ReturnType<typeof createGrabTrigger> | undefined;
  return {
    description: describeKeys(keys, keys.mode),
    hotkey: keys.hotkey,
    editHotkey: keys.editHotkey,
    get edit() {
      return edit.read();
    },
    backend: 'x11',
    async start() {
      if (grab) return;
      const reason = hotkeyUnavailableReason(env);
      if (reason) {
        edit.set({ state: 'unavailable', reason });
        emit({ type: 'unavailable', reason });
        return;
      }
      grab = createGrabTrigger({
        hotkey: keys.hotkey,
        ...(keys.editHotkey ? { editHotkey: keys.editHotkey } : {}),
        mode: keys.mode,
        tapMs: keys.tapMs,
        display: env.DISPLAY!,
        retryMs: options.retryMs ?? 2000,
        emit,
        onEditStatus: (status) =>
          edit.set(
            status.available
              ? { state: 'available' }
              : { state: 'unavailable', reason: status.reason },
          ),
        ...(options.logger ? { logger: options.logger } : {}),
      });
      grab.start();
    },
    async stop() {
      const current = grab;
      grab = undefined;
      await current?.stop();
      if (keys.editHotkey) edit.set({ state: 'pending' });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function portalHotkeyTrigger(
  options: HotkeyTriggerOptions,
  keys: Keys,
  env: NodeJS.ProcessEnv,
): HotkeyTrigger {
  const listeners = new Set<(event: HotkeyTriggerEvent) => void>();
  const edit = editState(keys);
  const portal = createPortalTrigger({
    ...options.portal,
    hotkey: keys.hotkey,
    ...(keys.editHotkey ? { editHotkey: keys.editHotkey } : {}),
    onEditStatus: (status) =>
      edit.set(
        status.available
          ? { state: 'available', ...(status.binding ? { binding: status.binding } : {}) }
          : { state: 'unavailable', reason: status.reason },
      ),
    mode: keys.mode,
    tapToToggleMs: keys.tapMs,
    env,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    description: describeKeys(keys, `${keys.mode}, desktop portal`),
    hotkey: keys.hotkey,
    editHotkey: keys.editHotkey,
    get edit() {
      return edit.read();
    },
    backend: 'portal',
    start: () =>
      portal.start((event) => {
        for (const listener of listeners) listener(event);
      }),
    async stop() {
      await portal.stop();
      if (keys.editHotkey) edit.set({ state: 'pending' });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
