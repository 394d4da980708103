import type { RecordingAction, TriggerEvent } from '@whis/contracts';
import { ChordMatcher } from '../matcher.js';
import { MODIFIER_KEYS, type Hotkey } from '../spec.js';
import { createPressLogic, withAction, type PressMode } from './press.js';

export interface KeyEventsOptions {
  hotkey: Hotkey;
  /** The edit key: its `toggle` and `start` carry `action: 'edit'`. */
  editHotkey?: Hotkey | undefined;
  mode: PressMode;
  tapMs: number;
  emit(event: TriggerEvent): void;
  now?: () => number;
}

/** Key downs and ups (uiohook key names) in, the trigger's events out. */
export interface KeyEvents {
  /** The keys to listen for: the chords' keys and every modifier (the matchers need them). */
  readonly keys: string[];
  keyDown(key: string): void;
  keyUp(key: string): void;
  /** Forgets held keys (the listener restarted and missed key-ups). */
  reset(): void;
}

/**
 * The uiohook path's reading of keys: each chord has its own matcher and press logic, and every
 * key event goes to both; the chords never share a press (an extra modifier held fails a match).
 */
export function createKeyEvents(options: KeyEventsOptions): KeyEvents {
  const chords: Array<{ hotkey: Hotkey; action?: RecordingAction }> = [{ hotkey: options.hotkey }];
  if (options.editHotkey) chords.push({ hotkey: options.editHotkey, action: 'edit' });
  const matchers = chords.map(({ hotkey, action }) => ({
    matcher: new ChordMatcher(hotkey),
    onMatch: createPressLogic(
      options.mode,
      options.tapMs,
      withAction(options.emit, action),
      options.now,
    ),
  }));
  const keys = [
    ...new Set([...chords.map((c) => c.hotkey.key), ...Object.values(MODIFIER_KEYS).flat()]),
  ];
  return {
    keys,
    keyDown(key) {
      for (const { matcher, onMatch } of matchers) {
        const match = matcher.keyDown(key);
        if (match) onMatch(match);
      }
    },
    keyUp(key) {
      for (const { matcher, onMatch } of matchers) {
        const match = matcher.keyUp(key);
        if (match) onMatch(match);
      }
    },
    reset() {
      for (const { matcher } of matchers) matcher.reset();
    },
  };
}
