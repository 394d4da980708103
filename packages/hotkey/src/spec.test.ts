import { describe, expect, it } from 'vitest';
import { formatHotkey, parseHotkey } from './spec.js';

describe('parseHotkey', () => {
  it.each([
    ['ctrl+shift+r', { modifiers: { ctrl: 'any', shift: 'any' }, key: 'R' }, 'ctrl+shift+r'],
    ['Shift+CTRL+R', { modifiers: { ctrl: 'any', shift: 'any' }, key: 'R' }, 'ctrl+shift+r'],
    [' super + f9 ', { modifiers: { super: 'any' }, key: 'F9' }, 'super+f9'],
    ['cmd+space', { modifiers: { super: 'any' }, key: 'Space' }, 'super+space'],
    ['win+alt+1', { modifiers: { super: 'any', alt: 'any' }, key: '1' }, 'alt+super+1'],
    ['rctrl+f24', { modifiers: { ctrl: 'right' }, key: 'F24' }, 'rctrl+f24'],
    ['lshift+esc', { modifiers: { shift: 'left' }, key: 'Escape' }, 'lshift+escape'],
    ['ctrl+;', { modifiers: { ctrl: 'any' }, key: 'Semicolon' }, 'ctrl+semicolon'],
    ['alt+`', { modifiers: { alt: 'any' }, key: 'Backquote' }, 'alt+backquote'],
    ['ctrl+pagedown', { modifiers: { ctrl: 'any' }, key: 'PageDown' }, 'ctrl+pagedown'],
    ['rctrl', { modifiers: {}, key: 'CtrlRight' }, 'rctrl'],
    ['F12', { modifiers: {}, key: 'F12' }, 'f12'],
  ])('%j', (spec, parsed, canonical) => {
    expect(parseHotkey(spec)).toEqual(parsed);
    expect(formatHotkey(parseHotkey(spec))).toBe(canonical);
    expect(parseHotkey(canonical)).toEqual(parsed);
  });

  it.each([
    ['', 'Invalid hotkey "": it is empty.'],
    ['ctrl+', 'Invalid hotkey "ctrl+": it has an empty part (two "+" in a row, or one at an end).'],
    [
      'ctrl+shift',
      'Invalid hotkey "ctrl+shift": it has no key besides modifiers (a single one-sided modifier like "rctrl" is allowed).',
    ],
    ['ctrl+hyper+r', 'Invalid hotkey "ctrl+hyper+r": "hyper" is not a key name.'],
    [
      'ctrl+a+b',
      'Invalid hotkey "ctrl+a+b": it has two keys, "A" and "B"; use one key with modifiers.',
    ],
    ['ctrl+control+r', 'Invalid hotkey "ctrl+control+r": "control" repeats a modifier.'],
    ['f25', 'Invalid hotkey "f25": "f25" is not a key name.'],
  ])('rejects %j', (spec, message) => {
    expect(() => parseHotkey(spec)).toThrow(expect.objectContaining({ code: 'invalid-hotkey' }));
    const error = (() => {
      try {
        parseHotkey(spec);
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(error?.message.startsWith(message.slice(0, -1))).toBe(true);
    expect(error?.message).toContain('Valid names: modifiers ctrl, shift, alt, super');
  });
});
