import type { RecordingAction, TriggerEvent } from '@whis/contracts';
import type { HotkeySetting } from './internal/edit-key.js';
import { createPressLogic, withAction, type PressMode } from './internal/press.js';
import { XKeyboard, keysymName, type ChordGrab, type GrabOutcome } from './internal/x-keyboard.js';
import { formatHotkey, parseHotkey, type Hotkey } from './spec.js';

/** The part of the shared Logger the grab uses. */
interface GrabLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Why the chord cannot be had, with the fix: another program holds it, or no key carries it.
 * `setting` names the key: the dictation `hotkey`, or the `editHotkey` (whose message says that
 * dictation works on).
 */
export function grabProblem(
  hotkey: Hotkey,
  outcome: 'taken' | 'no-key',
  display: string,
  setting: HotkeySetting = 'hotkey',
): string {
  const chord = formatHotkey(hotkey);
  const edit = setting === 'editHotkey';
  const other = edit
    ? chord === 'ctrl+shift+alt+e'
      ? 'ctrl+shift+alt+w'
      : 'ctrl+shift+alt+e'
    : chord === 'ctrl+alt+space'
      ? 'super+f9'
      : 'ctrl+alt+space';
  const name = edit ? 'edit hotkey' : 'hotkey';
  const choose = `\`whis config set ${setting} ${other}\` (or any other${edit ? ', or `none` to go without the edit key' : ''})`;
  const meanwhile = edit
    ? 'Dictation with the hotkey works meanwhile.'
    : '`whis toggle` works meanwhile.';
  return outcome === 'taken'
    ? `The ${name} ${chord} is taken: another program on display ${display} (often the desktop's own shortcut) ` +
        `grabbed it first, so it cannot reach whis alone. Choose a free one: ${choose}, then restart \`whis listen\`; ` +
        `or remove that shortcut in your desktop's keyboard settings. ` +
        `whis takes the key as soon as it is free. ${meanwhile}`
    : `The ${name} ${chord}: no key of this keyboard layout carries "${keysymName(hotkey.key)}". ` +
        `Choose another: ${choose}, then restart \`whis listen\`. ${meanwhile}`;
}

export interface GrabTriggerOptions {
  hotkey: Hotkey;
  /** The edit key, grabbed beside the dictation key; its presses carry `action: 'edit'`. */
  editHotkey?: Hotkey;
  mode: PressMode;
  tapMs: number;
  /** The X display, e.g. `:0`. */
  display: string;
  retryMs: number;
  emit(event: TriggerEvent): void;
  /** The edit key became available or unavailable (with the reason). */
  onEditStatus?(status: { available: true } | { available: false; reason: string }): void;
  logger?: GrabLogger;
}

/**
 * The X11 backend: a passive grab of each chord on the root window of one X connection, so that
 * the chords reach whis and never the focused window. The X protocol is spoken in plain JavaScript
 * (the `x11` package): nothing native is loaded, so no child process is needed to survive a bad
 * display.
 *
 * The dictation key's availability is the trigger's (`available` / `unavailable` events); the edit
 * key's is reported apart (`onEditStatus`). Each chord is grabbed, and retried while another
 * program holds it, on its own, so that a chord that cannot be had never costs the other; a
 * connection that cannot be opened or goes away costs both, and is opened again with backoff.
 * `stop()` aborts whatever is in flight and never waits on a server that froze or died.
 */
export function createGrabTrigger(options: GrabTriggerOptions): {
  start(): void;
  stop(): Promise<void>;
} {
  const { display, logger, retryMs } = options;
  const chords = [
    chordState({
      hotkey: options.hotkey,
      setting: 'hotkey',
      options,
      onAvailable: () => options.emit({ type: 'available' }),
      onUnavailable: (reason) => options.emit({ type: 'unavailable', reason }),
    }),
  ];
  if (options.editHotkey)
    chords.push(
      chordState({
        hotkey: options.editHotkey,
        setting: 'editHotkey',
        action: 'edit',
        options,
        onAvailable: () => options.onEditStatus?.({ available: true }),
        onUnavailable: (reason) => options.onEditStatus?.({ available: false, reason }),
      }),
    );

  let stopped = true;
  let keyboard: XKeyboard | undefined;
  /** Aborts the connection being opened. */
  let opening: AbortController | undefined;
  /** Every attempt in flight (an opening, a grab): `stop()` waits for them to settle. */
  const inFlight = new Set<Promise<void>>();
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reconnectDelay = retryMs;

  const track = (attempt: Promise<void>) => {
    inFlight.add(attempt);
    void attempt.finally(() => inFlight.delete(attempt));
  };

  const unavailable = (chord: ChordState, reason: string, detail: object = {}) => {
    // a retry that meets the same problem says nothing new
    if (reason !== chord.lastProblem) {
      logger?.warn({ display, ...detail }, reason);
      chord.onUnavailable(reason);
    }
    chord.lastProblem = reason;
  };

  const scheduleReconnect = () => {
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect();
    }, reconnectDelay);
    reconnectTimer.unref();
    reconnectDelay = Math.min(reconnectDelay * 2, 60_000);
  };

  const scheduleRegrab = (chord: ChordState, current: XKeyboard) => {
    if (stopped || chord.retryTimer) return;
    chord.retryTimer = setTimeout(() => {
      chord.retryTimer = undefined;
      if (!stopped && keyboard === current) grab(chord, current);
    }, chord.retryDelay);
    chord.retryTimer.unref();
    chord.retryDelay = Math.min(chord.retryDelay * 2, 60_000);
  };

  const clearTimers = () => {
    clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    for (const chord of chords) {
      clearTimeout(chord.retryTimer);
      chord.retryTimer = undefined;
    }
  };

  const grab = (chord: ChordState, current: XKeyboard) => {
    const { hotkey, setting, grab: handle } = chord;
    if (!handle) return;
    track(
      (async () => {
        let outcome: GrabOutcome;
        try {
          outcome = await handle.grab();
        } catch (err) {
          // the connection ended meanwhile: its own report says so
          if (stopped || keyboard !== current) return;
          unavailable(
            chord,
            `Cannot grab the ${setting === 'editHotkey' ? 'edit ' : ''}hotkey on display ${display}: ${(err as Error).message}`,
            { err },
          );
          scheduleRegrab(chord, current);
          return;
        }
        if (stopped || keyboard !== current) return;
        if (outcome !== 'grabbed') {
          unavailable(chord, grabProblem(hotkey, outcome, display, setting), { outcome });
          scheduleRegrab(chord, current);
          return;
        }
        chord.retryDelay = retryMs;
        chord.lastProblem = undefined;
        // a fresh grab has seen no press yet
        chord.resetPresses();
        logger?.debug({ display, [setting]: formatHotkey(hotkey) }, 'hotkey grabbed');
        chord.onAvailable();
      })(),
    );
  };

  const wentAway = (current: XKeyboard, err: Error | undefined) => {
    if (keyboard !== current || stopped) return;
    keyboard = undefined;
    clearTimers();
    for (const chord of chords)
      unavailable(
        chord,
        `The X display (${display}) went away${err ? ` (${err.message})` : ''}; retrying. \`whis toggle\` works meanwhile.`,
      );
    scheduleReconnect();
  };

  const connect = () => {
    if (stopped) return;
    const controller = new AbortController();
    opening = controller;
    track(
      (async () => {
        let current: XKeyboard | undefined;
        try {
          current = await XKeyboard.open({
            display,
            signal: controller.signal,
            onClosed: (err) => {
              if (current) wentAway(current, err);
            },
            onNotice: (message) => logger?.debug({ display }, message),
          });
        } catch (err) {
          if (stopped) return;
          for (const chord of chords)
            unavailable(
              chord,
              `Cannot listen for keys on display ${display} (${(err as Error).message}). Is the X server running? \`whis toggle\` works meanwhile.`,
              { err },
            );
          scheduleReconnect();
          return;
        } finally {
          if (opening === controller) opening = undefined;
        }
        if (stopped) {
          await current.close();
          return;
        }
        keyboard = current;
        // closed before it was ours: said now, as it would have been then
        if (!current.connected) return wentAway(current, undefined);
        reconnectDelay = retryMs;
        for (const chord of chords) {
          chord.grab = current.chord({
            hotkey: chord.hotkey,
            onMatch: (match) => chord.onMatch(match),
            onLost: (outcome) => {
              if (stopped || keyboard !== current) return;
              unavailable(chord, grabProblem(chord.hotkey, outcome, display, chord.setting), {
                outcome,
              });
              scheduleRegrab(chord, current);
            },
          });
          chord.retryDelay = retryMs;
          grab(chord, current);
        }
      })(),
    );
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      reconnectDelay = retryMs;
      for (const chord of chords) chord.lastProblem = undefined;
      connect();
    },
    async stop() {
      stopped = true;
      clearTimers();
      opening?.abort();
      const current = keyboard;
      keyboard = undefined;
      // the grabs are given back before this resolves: another program can take the keys at once
      await current?.close();
      // an opening aborted, a grab whose connection is closed: each settles at once
      await Promise.all(inFlight);
    },
  };
}

/** One chord of the trigger: what it is, how its presses are read, its own retry. */
interface ChordState {
  hotkey: Hotkey;
  setting: HotkeySetting;
  /** Its grab on the current connection. */
  grab: ChordGrab | undefined;
  onMatch(match: 'press' | 'release'): void;
  resetPresses(): void;
  onAvailable(): void;
  /** Said once per problem: a retry that meets the same one is silent. */
  onUnavailable(reason: string): void;
  lastProblem: string | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  retryDelay: number;
}

function chordState(init: {
  hotkey: Hotkey;
  setting: HotkeySetting;
  /** What its presses begin: undefined for the dictation key (no action on its events). */
  action?: RecordingAction;
  options: GrabTriggerOptions;
  onAvailable(): void;
  onUnavailable(reason: string): void;
}): ChordState {
  const { mode, tapMs } = init.options;
  const emit = withAction(init.options.emit, init.action);
  let onMatch = createPressLogic(mode, tapMs, emit);
  return {
    hotkey: init.hotkey,
    setting: init.setting,
    grab: undefined,
    onMatch: (match) => onMatch(match),
    resetPresses: () => (onMatch = createPressLogic(mode, tapMs, emit)),
    onAvailable: init.onAvailable,
    onUnavailable: init.onUnavailable,
    lastProblem: undefined,
    retryTimer: undefined,
    retryDelay: init.options.retryMs,
  };
}

export type KeyGrabProbe = { ok: true } | { ok: false; reason: string; taken: boolean };

/** How long `probeKeyGrab` waits for the X server, unless told. */
export const PROBE_LIMIT_MS = 5000;

/**
 * Whether whis could grab `hotkey` on `display` now (it grabs and releases it at once): what
 * `whis doctor` reports. A running `whis listen` that holds the key makes this say `taken`.
 * `setting` (`hotkey` or `editHotkey`) is the one the fix in the reason names. A server that does
 * not answer within `timeoutMs` (stopped, or frozen by a client's grab) is reported, not waited on.
 */
export async function probeKeyGrab(
  hotkey: string,
  display: string,
  setting: HotkeySetting = 'hotkey',
  options: { timeoutMs?: number } = {},
): Promise<KeyGrabProbe> {
  const parsed = parseHotkey(hotkey);
  const timeoutMs = options.timeoutMs ?? PROBE_LIMIT_MS;
  const limit = AbortSignal.timeout(timeoutMs);
  const silent: KeyGrabProbe = {
    ok: false,
    taken: false,
    reason: `The X server on ${display} did not answer within ${timeoutMs / 1000} s: it may be stopped or frozen. Check that the desktop responds, then run this again.`,
  };
  let keyboard: XKeyboard;
  try {
    keyboard = await XKeyboard.open({ display, signal: limit, onClosed: () => undefined });
  } catch (err) {
    if (limit.aborted) return silent;
    return {
      ok: false,
      taken: false,
      reason: `Cannot open the X display ${display} (${(err as Error).message}).`,
    };
  }
  // connected: a grab that is not answered in time ends with the connection (close is bounded)
  const onLimit = () => void keyboard.close();
  limit.addEventListener('abort', onLimit, { once: true });
  try {
    const grab = keyboard.chord({
      hotkey: parsed,
      onMatch: () => undefined,
      onLost: () => undefined,
    });
    const outcome = await grab.grab().catch((err: unknown) => {
      if (limit.aborted) return 'silent' as const;
      throw err;
    });
    if (outcome === 'silent') return silent;
    return outcome === 'grabbed'
      ? { ok: true }
      : {
          ok: false,
          taken: outcome === 'taken',
          reason: grabProblem(parsed, outcome, display, setting),
        };
  } finally {
    limit.removeEventListener('abort', onLimit);
    await keyboard.close();
  }
}
