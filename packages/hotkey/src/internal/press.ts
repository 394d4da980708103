import type { RecordingAction, TriggerEvent } from '@whis/contracts';

export type PressMode = 'toggle' | 'push-to-talk';

/**
 * What a press and a release of the hotkey mean, whichever backend saw them: toggle on press, or
 * push-to-talk (start on press, finish on release; with `tapMs`, a shorter tap keeps the recording
 * on until the next press). Every backend feeds its presses and releases here.
 */
export function createPressLogic(
  mode: PressMode,
  tapMs: number,
  emit: (event: TriggerEvent) => void,
  now: () => number = Date.now,
): (match: 'press' | 'release') => void {
  let latched = false;
  let swallowRelease = false;
  let pressedAt = 0;
  return (match) => {
    if (mode === 'toggle') {
      if (match === 'press') emit({ type: 'toggle' });
      return;
    }
    if (match === 'press') {
      if (latched) {
        latched = false;
        swallowRelease = true;
        emit({ type: 'finish' });
      } else {
        pressedAt = now();
        emit({ type: 'start' });
      }
    } else if (swallowRelease) {
      swallowRelease = false;
    } else if (tapMs > 0 && now() - pressedAt < tapMs) {
      latched = true;
    } else {
      emit({ type: 'finish' });
    }
  };
}

/**
 * `emit` for one key's presses: the events that begin a recording (`toggle`, `start`) carry
 * `action` (the edit key's `edit`); undefined leaves them as they are (the dictation key: no action
 * means dictate).
 */
export function withAction(
  emit: (event: TriggerEvent) => void,
  action: RecordingAction | undefined,
): (event: TriggerEvent) => void {
  if (!action) return emit;
  return (event) =>
    emit(event.type === 'toggle' || event.type === 'start' ? { ...event, action } : event);
}
