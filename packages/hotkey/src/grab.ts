import type { RecordingAction, TriggerEvent } from '@whis/contracts';
import type { HotkeySetting } from './internal/edit-key.js';
import { createPressLogic, withAction, type PressMode } from './internal/press.js';
import { KeyGrab, keysymName, type GrabOutcome } from './internal/x-keyboard.js';
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
 * The X11 backend: a passive grab of each chord on the root window, so that the chords reach whis
 * and never the focused window. The X protocol is spoken in plain JavaScript (the `x11` package):
 * nothing native is loaded, so no child process is needed to survive a bad display.
 *
 * The dictation key's availability is the trigger's (`available` / `unavailable` events); the edit
 * key is grabbed on a connection of its own and reported apart (`onEditStatus`), so that a chord
 * another program holds, or a display that fails it alone, never costs the dictation key. Two
 * connections also keep each chord's presses apart without reading modifier state: the X server
 * delivers a passive grab's key events to the client that holds it.
 */
export function createGrabTrigger(options: GrabTriggerOptions): {
  start(): void;
  stop(): Promise<void>;
} {
  const { display, logger } = options;
  const chords = [
    grabChord({
      hotkey: options.hotkey,
      setting: 'hotkey',
      display,
      retryMs: options.retryMs,
      emit: options.emit,
      mode: options.mode,
      tapMs: options.tapMs,
      onAvailable: () => options.emit({ type: 'available' }),
      onUnavailable: (reason) => options.emit({ type: 'unavailable', reason }),
      ...(logger ? { logger } : {}),
    }),
  ];
  if (options.editHotkey)
    chords.push(
      grabChord({
        hotkey: options.editHotkey,
        setting: 'editHotkey',
        action: 'edit',
        display,
        retryMs: options.retryMs,
        emit: options.emit,
        mode: options.mode,
        tapMs: options.tapMs,
        onAvailable: () => options.onEditStatus?.({ available: true }),
        onUnavailable: (reason) => options.onEditStatus?.({ available: false, reason }),
        ...(logger ? { logger } : {}),
      }),
    );
  return {
    start() {
      for (const chord of chords) chord.start();
    },
    async stop() {
      await Promise.all(chords.map((chord) => chord.stop()));
    },
  };
}

interface ChordGrabOptions {
  hotkey: Hotkey;
  setting: HotkeySetting;
  /** What its presses begin: undefined for the dictation key (no action on its events). */
  action?: RecordingAction;
  display: string;
  retryMs: number;
  mode: PressMode;
  tapMs: number;
  emit(event: TriggerEvent): void;
  onAvailable(): void;
  /** Said once per problem: a retry that meets the same one is silent. */
  onUnavailable(reason: string): void;
  logger?: GrabLogger;
}

// One chord's grab on a connection of its own: opened, grabbed, retried with backoff while it
// cannot be had (no server, another program holds it), grabbed again after a mapping change.
function grabChord(options: ChordGrabOptions): { start(): void; stop(): Promise<void> } {
  const { hotkey, display, logger, setting } = options;
  const emit = withAction(options.emit, options.action);
  let stopped = true;
  let grab: KeyGrab | undefined;
  let opening: Promise<unknown> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = options.retryMs;
  let lastProblem: string | undefined;
  let onMatch = createPressLogic(options.mode, options.tapMs, emit);

  const unavailable = (reason: string, detail: object = {}) => {
    // a retry that meets the same problem says nothing new
    if (reason !== lastProblem) {
      logger?.warn({ display, ...detail }, reason);
      options.onUnavailable(reason);
    }
    lastProblem = reason;
    scheduleRetry();
  };

  const scheduleRetry = () => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      open();
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryDelay * 2, 60_000);
  };

  const drop = (current: KeyGrab) => {
    if (grab === current) grab = undefined;
    return current.close();
  };

  const open = () => {
    if (stopped) return;
    opening = (async () => {
      let current: KeyGrab;
      try {
        current = await KeyGrab.open({
          display,
          hotkey,
          onMatch: (match) => onMatch(match),
          onLost: (outcome) => {
            void drop(current);
            unavailable(grabProblem(hotkey, outcome, display, setting), { outcome });
          },
          onClosed: (err) => {
            if (grab !== current || stopped) return;
            grab = undefined;
            unavailable(
              `The X display (${display}) went away${err ? ` (${err.message})` : ''}; retrying. \`whis toggle\` works meanwhile.`,
            );
          },
          onNotice: (message) => logger?.debug({ display }, message),
        });
      } catch (err) {
        unavailable(
          `Cannot listen for keys on display ${display} (${(err as Error).message}). Is the X server running? \`whis toggle\` works meanwhile.`,
          { err },
        );
        return;
      }
      grab = current;
      let outcome: GrabOutcome;
      try {
        outcome = await current.grab();
      } catch (err) {
        void drop(current);
        unavailable(
          `Cannot grab the ${setting === 'editHotkey' ? 'edit ' : ''}hotkey on display ${display}: ${(err as Error).message}`,
          {
            err,
          },
        );
        return;
      }
      if (stopped) {
        await drop(current);
        return;
      }
      if (outcome !== 'grabbed') {
        await drop(current);
        unavailable(grabProblem(hotkey, outcome, display, setting), { outcome });
        return;
      }
      retryDelay = options.retryMs;
      lastProblem = undefined;
      // a fresh grab has seen no press yet
      onMatch = createPressLogic(options.mode, options.tapMs, emit);
      logger?.debug({ display, [setting]: formatHotkey(hotkey) }, 'hotkey grabbed');
      options.onAvailable();
    })();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      retryDelay = options.retryMs;
      lastProblem = undefined;
      open();
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      await opening;
      // the grab is given back before this resolves: another program can take the key at once
      if (grab) await drop(grab);
    },
  };
}

export type KeyGrabProbe = { ok: true } | { ok: false; reason: string; taken: boolean };

/**
 * Whether whis could grab `hotkey` on `display` now (it grabs and releases it at once): what
 * `whis doctor` reports. A running `whis listen` that holds the key makes this say `taken`.
 * `setting` (`hotkey` or `editHotkey`) is the one the fix in the reason names.
 */
export async function probeKeyGrab(
  hotkey: string,
  display: string,
  setting: HotkeySetting = 'hotkey',
): Promise<KeyGrabProbe> {
  const parsed = parseHotkey(hotkey);
  let grab: KeyGrab;
  try {
    grab = await KeyGrab.open({
      display,
      hotkey: parsed,
      onMatch: () => undefined,
      onLost: () => undefined,
      onClosed: () => undefined,
    });
  } catch (err) {
    return {
      ok: false,
      taken: false,
      reason: `Cannot open the X display ${display} (${(err as Error).message}).`,
    };
  }
  try {
    const outcome = await grab.grab();
    return outcome === 'grabbed'
      ? { ok: true }
      : {
          ok: false,
          taken: outcome === 'taken',
          reason: grabProblem(parsed, outcome, display, setting),
        };
  } finally {
    await grab.close();
  }
}
