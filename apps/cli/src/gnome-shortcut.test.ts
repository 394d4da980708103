import { parseHotkey } from '@whis/hotkey/spec';
import { describe, expect, it } from 'vitest';
import { gnomeAccelerator, gnomeCommand, gnomeShortcutsFor } from './gnome-shortcut.js';

const WHIS = ['/usr/bin/node', '/opt/whis/bin/whis.cjs'];

describe('gnomeShortcutsFor: the custom shortcuts whis writes on GNOME 47 and older', () => {
  it('the hotkey runs whis toggle, the edit key whis edit, each on its own entry', () => {
    expect(
      gnomeShortcutsFor({ hotkey: 'ctrl+shift+r', editHotkey: 'ctrl+alt+shift+e' }, WHIS),
    ).toEqual({
      shortcuts: [
        {
          kind: 'dictate',
          hotkey: 'ctrl+shift+r',
          binding: '<Control><Shift>r',
          verb: 'toggle',
          command: '/usr/bin/node /opt/whis/bin/whis.cjs toggle',
        },
        {
          kind: 'edit',
          hotkey: 'ctrl+alt+shift+e',
          binding: '<Control><Alt><Shift>e',
          verb: 'edit',
          command: '/usr/bin/node /opt/whis/bin/whis.cjs edit',
        },
      ],
    });
  });

  it('no edit key (editHotkey none): the hotkey alone', () => {
    const { shortcuts, note } = gnomeShortcutsFor({ hotkey: 'super+alt+space' }, WHIS);
    expect(shortcuts.map((s) => [s.kind, s.binding])).toEqual([['dictate', '<Super><Alt>space']]);
    expect(note).toBeUndefined();
  });

  it('an edit key on the hotkey chord (spelt another way): no second shortcut, and a note saying how to choose another', () => {
    const { shortcuts, note } = gnomeShortcutsFor(
      { hotkey: 'ctrl+shift+r', editHotkey: 'Shift+Ctrl+R' },
      WHIS,
    );
    expect(shortcuts.map((s) => s.kind)).toEqual(['dictate']);
    expect(note).toMatch(
      /edit key \(Shift\+Ctrl\+R\) is the hotkey's chord.*whis config set editHotkey/,
    );
  });

  it('a whis path with a space is quoted for GLib’s shell parser', () => {
    const [, edit] = gnomeShortcutsFor({ hotkey: 'f9', editHotkey: 'f10' }, [
      '/usr/bin/node',
      "/home/o'brien/my whis/whis.cjs",
    ]).shortcuts;
    expect(edit).toMatchObject({
      binding: 'F10',
      command: `/usr/bin/node '/home/o'\\''brien/my whis/whis.cjs' edit`,
    });
  });
});

describe('the key as a GTK accelerator', () => {
  it.each([
    ['ctrl+shift+r', '<Control><Shift>r'],
    ['shift+alt+ctrl+super+e', '<Super><Control><Alt><Shift>e'],
    ['f9', 'F9'],
  ])('%s → %s', (spec, accelerator) => {
    expect(gnomeAccelerator(parseHotkey(spec))).toBe(accelerator);
  });

  it('a command line of plain words stays unquoted', () => {
    expect(gnomeCommand(['/usr/bin/node', '/opt/whis.cjs', 'edit'])).toBe(
      '/usr/bin/node /opt/whis.cjs edit',
    );
  });
});
