import type { TriggerEvent } from '@whis/contracts';
import { describe, expect, it } from 'vitest';
import { HotkeyError } from '../errors.js';
import { parseHotkey } from '../spec.js';
import { createPortalStatus, type PortalEditStatus } from './portal-status.js';

function status(editHotkey?: string) {
  const state: { binding?: string } = {};
  const events: TriggerEvent[] = [];
  const edits: PortalEditStatus[] = [];
  const warned: string[] = [];
  const said = createPortalStatus({
    state,
    ...(editHotkey ? { editHotkey: parseHotkey(editHotkey) } : {}),
    onEditStatus: (s) => edits.push(s),
    log: { debug: () => undefined, warn: (_fields, msg) => warned.push(String(msg)) },
  });
  said.start((e) => events.push(e));
  return { said, state, events, edits, warned };
}

describe('the portal trigger status: each change said once', () => {
  it('the same binding twice (ShortcutsChanged, then the BindShortcuts answer) is one available; a new one is another', () => {
    const { said, state, events } = status();
    said.available('Ctrl+Shift+R');
    said.available('Ctrl+Shift+R');
    said.available('F9');
    expect(events).toEqual([
      { type: 'available', binding: 'Ctrl+Shift+R' },
      { type: 'available', binding: 'F9' },
    ]);
    expect(state.binding).toBe('F9');
  });

  it('a new session announces its binding again, even the same', () => {
    const { said, events } = status();
    said.available(undefined);
    said.reopened();
    said.available(undefined);
    expect(events).toEqual([{ type: 'available' }, { type: 'available' }]);
  });

  it('the same problem twice is one unavailable; the binding is forgotten, and found again is said', () => {
    const { said, state, events, warned } = status();
    said.available('F9');
    const err = new HotkeyError('no-portal', 'No desktop portal: install it.');
    said.unavailable(err);
    said.unavailable(new HotkeyError('no-portal', 'No desktop portal: install it.'));
    expect(state.binding).toBeUndefined();
    said.available('F9');
    expect(events).toEqual([
      { type: 'available', binding: 'F9' },
      { type: 'unavailable', reason: 'No desktop portal: install it.' },
      { type: 'available', binding: 'F9' },
    ]);
    expect(warned).toEqual(['portal hotkey unavailable']);
  });

  it("the edit key: told once per change; the trigger's problem is its problem, warned once (as the trigger's)", () => {
    const { said, edits, warned } = status('ctrl+shift+e');
    said.edit('Ctrl+Shift+E');
    said.edit('Ctrl+Shift+E');
    said.edit(undefined, 'removed: assign a key');
    said.unavailable(new HotkeyError('no-bus', 'No session bus: start whis from the desktop.'));
    expect(edits).toEqual([
      { available: true, binding: 'Ctrl+Shift+E' },
      { available: false, reason: 'removed: assign a key' },
      { available: false, reason: 'No session bus: start whis from the desktop.' },
    ]);
    expect(warned).toEqual(['removed: assign a key', 'portal hotkey unavailable']);
  });

  it('a new start tells the edit status afresh; without an edit key nothing is told', () => {
    const withEdit = status('ctrl+shift+e');
    withEdit.said.edit(undefined);
    withEdit.said.start(() => undefined);
    withEdit.said.edit(undefined);
    expect(withEdit.edits).toEqual([{ available: true }, { available: true }]);
    const without = status();
    without.said.edit('F8');
    without.said.unavailable(new HotkeyError('refused', 'Refused.'));
    expect(without.edits).toEqual([]);
  });
});
