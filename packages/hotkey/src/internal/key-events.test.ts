import type { TriggerEvent } from '@whis/contracts';
import { describe, expect, it } from 'vitest';
import { parseHotkey } from '../spec.js';
import { createKeyEvents } from './key-events.js';

// The uiohook path's key events (macOS, Windows) for both keys, played in memory
function play(
  mode: 'toggle' | 'push-to-talk',
  keys: string[],
  extra: { editHotkey?: string; tapMs?: number; clock?: { now: number } } = {},
): TriggerEvent[] {
  const events: TriggerEvent[] = [];
  const clock = extra.clock ?? { now: 0 };
  const router = createKeyEvents({
    hotkey: parseHotkey('ctrl+shift+r'),
    editHotkey:
      extra.editHotkey === undefined
        ? parseHotkey('ctrl+shift+alt+e')
        : parseHotkey(extra.editHotkey),
    mode,
    tapMs: extra.tapMs ?? 0,
    emit: (e) => events.push(e),
    now: () => clock.now,
  });
  for (const key of keys) {
    const [dir, name] = key.split(' ') as ['down' | 'up' | 'wait', string];
    if (dir === 'wait') clock.now += Number(name);
    else if (dir === 'down') router.keyDown(name);
    else router.keyUp(name);
  }
  return events;
}

const EDIT = [
  'down Ctrl',
  'down Shift',
  'down Alt',
  'down E',
  'up E',
  'up Alt',
  'up Shift',
  'up Ctrl',
];
const DICTATE = ['down Ctrl', 'down Shift', 'down R', 'up R', 'up Shift', 'up Ctrl'];

describe('both keys through one listener', () => {
  it('toggle: the edit chord toggles with action edit, the dictation chord without one', () => {
    expect(play('toggle', [...EDIT, ...DICTATE])).toEqual([
      { type: 'toggle', action: 'edit' },
      { type: 'toggle' },
    ]);
  });

  it('push-to-talk: start with action edit, finish on release', () => {
    expect(play('push-to-talk', [...EDIT, ...DICTATE])).toEqual([
      { type: 'start', action: 'edit' },
      { type: 'finish' },
      { type: 'start' },
      { type: 'finish' },
    ]);
  });

  it('push-to-talk with a tap: the edit key latches until its next press', () => {
    const tap = ['down Ctrl', 'down Shift', 'down Alt', 'down E', 'wait 50', 'up E'];
    expect(play('push-to-talk', [...tap, 'wait 1000', 'down E', 'up E'], { tapMs: 300 })).toEqual([
      { type: 'start', action: 'edit' },
      { type: 'finish' },
    ]);
  });

  it('the dictation chord with alt held is not the edit chord, nor the dictation one', () => {
    expect(
      play('toggle', ['down Ctrl', 'down Shift', 'down Alt', 'down R', 'up R', 'up Alt']),
    ).toEqual([]);
  });

  it('two chords on one key: each by its modifiers', () => {
    const events = play(
      'toggle',
      ['down Ctrl', 'down Alt', 'down R', 'up R', 'up Alt', 'down Shift', 'down R', 'up R'],
      { editHotkey: 'ctrl+alt+r' },
    );
    expect(events).toEqual([{ type: 'toggle', action: 'edit' }, { type: 'toggle' }]);
  });

  it('the listener is asked for both keys and the modifiers only', () => {
    const router = createKeyEvents({
      hotkey: parseHotkey('ctrl+shift+r'),
      editHotkey: parseHotkey('ctrl+shift+alt+e'),
      mode: 'toggle',
      tapMs: 0,
      emit: () => undefined,
    });
    expect([...router.keys].sort()).toEqual(
      [
        'Alt',
        'AltRight',
        'Ctrl',
        'CtrlRight',
        'E',
        'Meta',
        'MetaRight',
        'R',
        'Shift',
        'ShiftRight',
      ].sort(),
    );
  });
});
