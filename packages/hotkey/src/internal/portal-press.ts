import type { Logger } from '@whis/contracts';
import type { PressMode } from './press.js';

export interface PortalPressOptions {
  mode: PressMode;
  /** Where a real press and release go (the toggle / push-to-talk logic of `press.ts`). */
  onMatch: (match: 'press' | 'release') => void;
  /**
   * An `Activated` while the key is held, within this long of the previous repeat, is the desktop's
   * auto-repeat (GNOME and KDE send them); later, the release was lost. Default 1000 ms.
   */
  repeatWindowMs?: number;
  /** The same for the first repeat, which comes after the desktop's repeat delay. Default 2000 ms. */
  repeatDelayMs?: number;
  /** Push-to-talk: a hold longer than this is ended as if released (a lost `Deactivated`). Default 10 min. */
  maxHoldMs?: number;
  log?: Pick<Logger, 'debug' | 'warn'> | undefined;
}

/** What the portal's signals do to the key, and `reset` when the session is opened again. */
export interface PortalPress {
  activated(): void;
  deactivated(): void;
  /** Forgets a held key (a new session, or stop) without a release. */
  reset(): void;
}

// How soon after a release an Activated can still be an auto-repeat queued before it (KWin
// repeats every 40 ms; under load a repeat was seen after the release). No hand re-presses that fast.
const LATE_REPEAT_MS = 150;

/**
 * The GlobalShortcuts portal's `Activated` and `Deactivated` turned into presses and releases:
 * the desktop's auto-repeat while held is one press, a repeat queued behind the release is not a
 * new one, and a release the portal never sends is made up (the next press, or `maxHoldMs`).
 * Depends only on the clock (`Date.now` and timers), so it is tested with fake timers.
 */
export function createPortalPress(options: PortalPressOptions): PortalPress {
  const { mode, onMatch, log } = options;
  const repeatWindowMs = options.repeatWindowMs ?? 1000;
  const repeatDelayMs = options.repeatDelayMs ?? 2000;
  const maxHoldMs = options.maxHoldMs ?? 600_000;
  let held = false;
  let passed = false;
  let lastActivated = 0;
  let lastDeactivated = 0;
  let repeating = false;
  let holdTimer: NodeJS.Timeout | undefined;

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
    if (mode === 'push-to-talk') {
      holdTimer = setTimeout(() => {
        log?.warn({ maxHoldMs }, 'no release from the portal: ending the hold');
        release();
      }, maxHoldMs);
      holdTimer.unref();
    }
  };

  return {
    activated() {
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
      } else if (mode === 'push-to-talk' && passed) {
        // the release was lost: this press ends the hold, and its own release is absorbed
        log?.debug({}, 'press while held: the release was lost');
        repeating = false;
        release();
      } else {
        repeating = false;
        release();
        press();
      }
    },
    deactivated() {
      if (!held) return;
      held = false;
      lastDeactivated = Date.now();
      // repeats were still flowing when the key came up: one may be queued behind the release
      repeating = repeating && lastDeactivated - lastActivated < LATE_REPEAT_MS;
      release();
    },
    reset() {
      clearTimeout(holdTimer);
      holdTimer = undefined;
      held = false;
      passed = false;
    },
  };
}
