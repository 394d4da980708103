import type { TriggerEvent } from '@whis/contracts';
import { createPressLogic, type PressMode } from './internal/press.js';
import { KeyGrab, keysymName, type GrabOutcome } from './internal/x-keyboard.js';
import { formatHotkey, parseHotkey, type Hotkey } from './spec.js';

/** The part of the shared Logger the grab uses. */
interface GrabLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Why the chord cannot be had, with the fix: another program holds it, or no key carries it. */
export function grabProblem(hotkey: Hotkey, outcome: 'taken' | 'no-key', display: string): string {
  const chord = formatHotkey(hotkey);
  const other = chord === 'ctrl+alt+space' ? 'super+f9' : 'ctrl+alt+space';
  return outcome === 'taken'
    ? `The hotkey ${chord} is taken: another program on display ${display} (often the desktop's own shortcut) ` +
        `grabbed it first, so it cannot reach whis alone. Choose a free one: \`whis config set hotkey ${other}\` ` +
        `(or any other), then restart \`whis listen\`; or remove that shortcut in your desktop's keyboard settings. ` +
        `whis takes the key as soon as it is free; \`whis toggle\` works meanwhile.`
    : `The hotkey ${chord}: no key of this keyboard layout carries "${keysymName(hotkey.key)}". ` +
        `Choose another: \`whis config set hotkey ${other}\`, then restart \`whis listen\`. \`whis toggle\` works meanwhile.`;
}

export interface GrabTriggerOptions {
  hotkey: Hotkey;
  mode: PressMode;
  tapMs: number;
  /** The X display, e.g. `:0`. */
  display: string;
  retryMs: number;
  emit(event: TriggerEvent): void;
  logger?: GrabLogger;
}

/**
 * The X11 backend: a passive grab of the chord on the root window, so that the chord reaches whis
 * and never the focused window. The X protocol is spoken in plain JavaScript (the `x11` package):
 * nothing native is loaded, so no child process is needed to survive a bad display.
 */
export function createGrabTrigger(options: GrabTriggerOptions): {
  start(): void;
  stop(): Promise<void>;
} {
  const { hotkey, display, logger } = options;
  let stopped = true;
  let grab: KeyGrab | undefined;
  let opening: Promise<unknown> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = options.retryMs;
  let lastProblem: string | undefined;
  let onMatch = createPressLogic(options.mode, options.tapMs, options.emit);

  const unavailable = (reason: string, detail: object = {}) => {
    // a retry that meets the same problem says nothing new
    if (reason !== lastProblem) {
      logger?.warn({ display, ...detail }, reason);
      options.emit({ type: 'unavailable', reason });
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
            unavailable(grabProblem(hotkey, outcome, display), { outcome });
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
        unavailable(`Cannot grab the hotkey on display ${display}: ${(err as Error).message}`, {
          err,
        });
        return;
      }
      if (stopped) {
        await drop(current);
        return;
      }
      if (outcome !== 'grabbed') {
        await drop(current);
        unavailable(grabProblem(hotkey, outcome, display), { outcome });
        return;
      }
      retryDelay = options.retryMs;
      lastProblem = undefined;
      // a fresh grab has seen no press yet
      onMatch = createPressLogic(options.mode, options.tapMs, options.emit);
      logger?.debug({ display, hotkey: formatHotkey(hotkey) }, 'hotkey grabbed');
      options.emit({ type: 'available' });
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
 */
export async function probeKeyGrab(hotkey: string, display: string): Promise<KeyGrabProbe> {
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
      : { ok: false, taken: outcome === 'taken', reason: grabProblem(parsed, outcome, display) };
  } finally {
    await grab.close();
  }
}
