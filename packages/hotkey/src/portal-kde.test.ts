import { EVDEV_KEYS, QT_KEYS, startKdeSession, type KdeSession } from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHotkeyTrigger, type HotkeyTrigger, type HotkeyTriggerEvent } from './trigger.js';

const { ctrl, shift, alt, r, d, e } = EVDEV_KEYS;

// A real KDE Plasma 5.27 stack (KWin with kglobalaccel, xdg-desktop-portal-kde, the frontend) and
// key presses injected into KWin.
describe('on a headless KDE Plasma 5.27 session', () => {
  let kde: KdeSession;
  let trigger: HotkeyTrigger | undefined;
  beforeAll(async () => {
    kde = await startKdeSession();
  }, 90_000);
  afterAll(async () => {
    await kde?.stop();
  });
  afterEach(async () => {
    await trigger?.stop();
    trigger = undefined;
  });

  async function listen(mode: 'toggle' | 'push-to-talk', editHotkey?: string) {
    const events: HotkeyTriggerEvent[] = [];
    trigger = createHotkeyTrigger({
      hotkey: 'ctrl+shift+r',
      mode,
      env: kde.env,
      ...(editHotkey ? { editHotkey } : {}),
    });
    trigger.onEvent((e) => events.push(e));
    await trigger.start();
    return events;
  }
  const types = (events: HotkeyTriggerEvent[]) => events.map((e) => e.type);

  it('the key KDE bound toggles; holding it is one press', async () => {
    const events = await listen('toggle');
    // KDE 5.27 registers the shortcut named in CreateSession, with the key asked for
    await expect
      .poll(() => events, { timeout: 15_000 })
      .toEqual([{ type: 'available', binding: 'Ctrl+Shift+R' }]);
    await kde.keys.tap(ctrl, shift, r);
    await expect.poll(() => types(events)).toEqual(['available', 'toggle']);
    await kde.keys.down(ctrl, shift, r);
    await new Promise((resolve) => setTimeout(resolve, 800));
    await kde.keys.up(ctrl, shift, r);
    await expect.poll(() => types(events)).toEqual(['available', 'toggle', 'toggle']);
  });

  it('push-to-talk: press starts, release finishes; a second start of the trigger gets the key again', async () => {
    for (let round = 0; round < 2; round++) {
      const events = await listen('push-to-talk');
      await expect.poll(() => types(events), { timeout: 15_000 }).toEqual(['available']);
      await kde.keys.down(ctrl, shift, r);
      await expect.poll(() => types(events)).toEqual(['available', 'start']);
      await kde.keys.up(ctrl, shift, r);
      await expect.poll(() => types(events)).toEqual(['available', 'start', 'finish']);
      await trigger!.stop();
      trigger = undefined;
    }
  });

  it('a key rebound in kglobalaccel (System Settings > Shortcuts) is followed', async () => {
    const events = await listen('toggle');
    await expect.poll(() => types(events), { timeout: 15_000 }).toEqual(['available']);
    // the portal names the shortcut's owner after the session token
    await kde.rebind('whis', 'dictate', QT_KEYS.ctrl | QT_KEYS.alt | QT_KEYS.d);
    await expect
      .poll(() => events)
      .toEqual([
        { type: 'available', binding: 'Ctrl+Shift+R' },
        { type: 'available', binding: 'Ctrl+Alt+D' },
      ]);
    await kde.keys.tap(ctrl, alt, d);
    await expect.poll(() => types(events)).toEqual(['available', 'available', 'toggle']);
    await kde.keys.tap(ctrl, shift, r); // the old key does nothing now
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(types(events)).toEqual(['available', 'available', 'toggle']);
    // and back, for the other cases
    await kde.rebind('whis', 'dictate', QT_KEYS.ctrl | QT_KEYS.shift | QT_KEYS.r);
    await expect.poll(() => events.at(-1)).toEqual({ type: 'available', binding: 'Ctrl+Shift+R' });
  });

  it('the edit key is bound in the same session: its press toggles with action edit, the dictation key plainly', async () => {
    const events = await listen('toggle', 'ctrl+alt+shift+e');
    await expect
      .poll(() => events, { timeout: 15_000 })
      .toEqual([{ type: 'available', binding: 'Ctrl+Shift+R' }]);
    await expect.poll(() => trigger?.edit?.state, { timeout: 15_000 }).toBe('available');
    // KDE 5.27 registers both shortcuts named in CreateSession, each with the key asked for
    expect(trigger?.edit).toEqual({
      hotkey: 'ctrl+shift+alt+e',
      state: 'available',
      binding: 'Ctrl+Alt+Shift+E',
    });
    await kde.keys.tap(ctrl, alt, shift, e);
    await expect.poll(() => events.slice(1)).toEqual([{ type: 'toggle', action: 'edit' }]);
    await kde.keys.tap(ctrl, shift, r);
    await expect
      .poll(() => events.slice(1))
      .toEqual([{ type: 'toggle', action: 'edit' }, { type: 'toggle' }]);
  });

  it('push-to-talk with the edit key: press starts with action edit, release finishes', async () => {
    const events = await listen('push-to-talk', 'ctrl+alt+shift+e');
    await expect.poll(() => types(events), { timeout: 15_000 }).toEqual(['available']);
    await expect.poll(() => trigger?.edit?.state, { timeout: 15_000 }).toBe('available');
    await kde.keys.down(ctrl, alt, shift, e);
    await expect.poll(() => events.slice(1)).toEqual([{ type: 'start', action: 'edit' }]);
    await kde.keys.up(ctrl, alt, shift, e);
    await expect
      .poll(() => events.slice(1))
      .toEqual([{ type: 'start', action: 'edit' }, { type: 'finish' }]);
  });
});
