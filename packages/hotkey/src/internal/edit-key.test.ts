import { describe, expect, it } from 'vitest';
import { parseHotkey } from '../spec.js';
import { parseEditHotkey } from './edit-key.js';

const dictation = parseHotkey('ctrl+shift+r');

describe('parseEditHotkey: the edit key beside the dictation key', () => {
  it.each([undefined, '', '  ', 'none', 'None'])('%j: no edit key', (spec) => {
    expect(parseEditHotkey(spec, dictation)).toBeUndefined();
  });

  it('a chord of its own', () => {
    expect(parseEditHotkey('ctrl+alt+shift+e', dictation)).toEqual(parseHotkey('ctrl+alt+shift+e'));
  });

  it.each(['ctrl+shift+r', 'Shift+Ctrl+R', 'lctrl+rshift+r'])(
    '%s: the dictation chord (sides aside) is refused with the fix',
    (spec) => {
      expect(() => parseEditHotkey(spec, dictation)).toThrow(
        expect.objectContaining({
          name: 'HotkeyError',
          code: 'invalid-hotkey',
          message: expect.stringMatching(
            /same chord as the dictation hotkey \(ctrl\+shift\+r\).*`whis config set editHotkey ctrl\+shift\+alt\+e`/,
          ),
        }),
      );
    },
  );

  // a lone modifier key is grabbed alone: the other chord, on that side, is never pressed without it
  it.each([
    ['rctrl', 'rctrl+e'],
    ['lctrl+r', 'lctrl'],
    ['rshift', 'ctrl+rshift+e'],
  ])('dictation %s, edit %s: one is held in the other, refused', (hotkey, edit) => {
    expect(() => parseEditHotkey(edit, parseHotkey(hotkey))).toThrow(
      expect.objectContaining({
        code: 'invalid-hotkey',
        message: expect.stringMatching(/is held in the other chord.*`whis config set editHotkey/),
      }),
    );
  });

  // either side in the chord: the other side still presses it (a default edit key beside a
  // push-to-talk rctrl must not cost the dictation key)
  it.each([
    ['rctrl', 'ctrl+alt+shift+e'],
    ['rctrl', 'lctrl+e'],
    ['ctrl+r', 'lctrl'],
  ])('dictation %s, edit %s: usable', (hotkey, edit) => {
    expect(parseEditHotkey(edit, parseHotkey(hotkey))).toEqual(parseHotkey(edit));
  });

  it('an invalid spec is the parser error', () => {
    expect(() => parseEditHotkey('ctrl+nokey', dictation)).toThrow(
      expect.objectContaining({ code: 'invalid-hotkey' }),
    );
  });
});
