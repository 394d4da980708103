import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPortalPress, type PortalPressOptions } from './portal-press.js';

// The portal's Activated/Deactivated signals as the desktop sends them, on a fake clock: what
// reaches the press logic is one press and one release per real key stroke.
describe('createPortalPress: auto-repeat, late repeats, lost releases', () => {
  let matches: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    matches = [];
  });
  afterEach(() => vi.useRealTimers());

  const portal = (mode: PortalPressOptions['mode'], extra: Partial<PortalPressOptions> = {}) =>
    createPortalPress({ mode, onMatch: (m) => matches.push(m), ...extra });
  const repeat = (p: ReturnType<typeof portal>, times: number, everyMs: number) => {
    for (let i = 0; i < times; i++) {
      vi.advanceTimersByTime(everyMs);
      p.activated();
    }
  };

  it('auto-repeated Activated while held are one press', () => {
    const p = portal('push-to-talk');
    p.activated();
    repeat(p, 5, 30);
    expect(matches).toEqual(['press']);
    p.deactivated();
    expect(matches).toEqual(['press', 'release']);
  });

  it('a first repeat that comes late (a loaded desktop) is still a repeat', () => {
    const p = portal('push-to-talk');
    p.activated();
    repeat(p, 1, 1300);
    repeat(p, 5, 40);
    p.deactivated();
    expect(matches).toEqual(['press', 'release']);
  });

  it('a repeat just after the release (KWin under load) is not a new press; a later press is', () => {
    const p = portal('push-to-talk');
    p.activated();
    repeat(p, 5, 30);
    p.deactivated();
    repeat(p, 1, 20);
    expect(matches).toEqual(['press', 'release']);
    vi.advanceTimersByTime(300);
    p.activated();
    p.deactivated();
    expect(matches).toEqual(['press', 'release', 'press', 'release']);
  });

  it('a lost release: the next press ends the hold and its release ends nothing more', () => {
    const p = portal('push-to-talk');
    p.activated();
    vi.advanceTimersByTime(2200); // longer than a first repeat can take
    p.activated();
    expect(matches).toEqual(['press', 'release']);
    p.deactivated();
    expect(matches).toEqual(['press', 'release']);
  });

  it('push-to-talk: a hold longer than maxHoldMs is ended as if released', () => {
    const warn = vi.fn();
    const p = portal('push-to-talk', { maxHoldMs: 3000, log: { warn, debug: () => undefined } });
    p.activated();
    vi.advanceTimersByTime(2999);
    expect(matches).toEqual(['press']);
    vi.advanceTimersByTime(1);
    expect(matches).toEqual(['press', 'release']);
    expect(warn).toHaveBeenCalledOnce();
    p.deactivated();
    expect(matches).toEqual(['press', 'release']);
  });

  it('toggle: a press long after the last repeat, with the release lost, is a new press', () => {
    const p = portal('toggle', { repeatWindowMs: 500 });
    p.activated();
    repeat(p, 3, 30);
    vi.advanceTimersByTime(600);
    p.activated();
    expect(matches).toEqual(['press', 'release', 'press']);
  });

  it('reset() forgets a held key and its timer', () => {
    const p = portal('push-to-talk', { maxHoldMs: 1000 });
    p.activated();
    p.reset();
    vi.advanceTimersByTime(5000);
    expect(matches).toEqual(['press']);
    p.activated();
    expect(matches).toEqual(['press', 'press']);
  });
});
