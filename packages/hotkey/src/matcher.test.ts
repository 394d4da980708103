import { describe, expect, it } from 'vitest';
import { ChordMatcher } from './matcher.js';
import { parseHotkey } from './spec.js';

function play(spec: string, events: string[]): string[] {
  const m = new ChordMatcher(parseHotkey(spec));
  const out: string[] = [];
  for (const e of events) {
    const [dir, key] = e.split(' ') as ['down' | 'up', string];
    const r = dir === 'down' ? m.keyDown(key) : m.keyUp(key);
    if (r) out.push(r);
  }
  return out;
}

describe('ChordMatcher', () => {
  it('fires once per press, ignoring key repeat', () => {
    expect(
      play('ctrl+shift+r', [
        'down Ctrl',
        'down Shift',
        'down R',
        'down R',
        'down R',
        'up R',
        'up Shift',
        'up Ctrl',
      ]),
    ).toEqual(['press', 'release']);
  });

  it('accepts the modifiers in any order and either side', () => {
    expect(play('ctrl+shift+r', ['down ShiftRight', 'down Ctrl', 'down R', 'up R'])).toEqual([
      'press',
      'release',
    ]);
  });

  it('does not fire with an extra modifier held, or a missing one', () => {
    expect(play('ctrl+shift+r', ['down Ctrl', 'down Shift', 'down Alt', 'down R'])).toEqual([]);
    expect(play('ctrl+shift+r', ['down Ctrl', 'down R'])).toEqual([]);
  });

  it('respects a required side', () => {
    expect(play('rctrl+r', ['down Ctrl', 'down R'])).toEqual([]);
    expect(play('rctrl+r', ['down CtrlRight', 'down R'])).toEqual(['press']);
  });

  it('ends a chord released in another order (modifier first)', () => {
    expect(
      play('ctrl+shift+r', ['down Ctrl', 'down Shift', 'down R', 'up Ctrl', 'up R', 'up Shift']),
    ).toEqual(['press', 'release']);
  });

  it('fires again on the next press', () => {
    const press = ['down Ctrl', 'down Shift', 'down R', 'up R', 'up Shift', 'up Ctrl'];
    expect(play('ctrl+shift+r', [...press, ...press])).toEqual([
      'press',
      'release',
      'press',
      'release',
    ]);
  });

  it('works with a lone one-sided modifier as the key', () => {
    expect(play('rctrl', ['down CtrlRight', 'down CtrlRight', 'up CtrlRight'])).toEqual([
      'press',
      'release',
    ]);
    expect(play('rctrl', ['down Shift', 'down CtrlRight'])).toEqual([]);
  });
});
