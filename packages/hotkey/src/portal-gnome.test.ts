import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gnome48Root, KEYSYMS, startGnomeSession, type GnomeSession } from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_APP_ID } from './desktop-entry.js';
import { createHotkeyTrigger, type HotkeyTrigger, type HotkeyTriggerEvent } from './trigger.js';

const { ctrl, shift, alt, r, a, e } = KEYSYMS;

// A real GNOME 48 (gnome-shell 48.7, xdg-desktop-portal 1.20, xdg-desktop-portal-gnome 48.0) in a
// Debian 13 tree, and key presses injected through mutter.
describe('on a headless GNOME 48 session', () => {
  let gnome: GnomeSession;
  let trigger: HotkeyTrigger | undefined;
  beforeAll(async () => {
    gnome = await startGnomeSession({ root: await gnome48Root() });
  }, 400_000);
  afterAll(async () => {
    await gnome?.stop();
  });
  afterEach(async () => {
    await trigger?.stop();
    trigger = undefined;
  });

  function listen(mode: 'toggle' | 'push-to-talk', editHotkey?: string) {
    const events: HotkeyTriggerEvent[] = [];
    trigger = createHotkeyTrigger({
      hotkey: 'ctrl+shift+r',
      ...(editHotkey ? { editHotkey } : {}),
      mode,
      env: gnome.env,
      // a program that exists in the desktop's tree: GLib drops an entry whose program is missing
      portal: { desktopEntry: { exec: '/usr/bin/true' } },
    });
    trigger.onEvent((e) => events.push(e));
    return { events, started: trigger.start() };
  }
  const types = (events: HotkeyTriggerEvent[]) => events.map((e) => e.type);

  it('the first bind: a reverse-DNS app id with its hidden desktop entry, the dialog answered once, the key bound though the desktop answers 2; a tap toggles', async () => {
    const { events, started } = listen('toggle');
    await gnome.answerDialog(/^Add Keyboard Shortcuts$/, [[alt, a]]);
    await started;
    await expect.poll(() => types(events), { timeout: 15_000 }).toEqual(['available']);
    expect(events[0]).toMatchObject({ binding: expect.stringMatching(/Shift.*Control.*r/i) });
    const entry = await readFile(
      join(gnome.env.XDG_DATA_HOME!, 'applications', `${PORTAL_APP_ID}.desktop`),
      'utf8',
    );
    expect(entry).toMatch(/^NoDisplay=true$/m);
    expect(entry).toMatch(/^Exec=\/usr\/bin\/true$/m);
    await gnome.keys.tap(ctrl, shift, r);
    await expect.poll(() => types(events)).toEqual(['available', 'toggle']);
  }, 60_000);

  it('push-to-talk: press starts, release finishes; a new session binds without a dialog', async () => {
    const { events, started } = listen('push-to-talk');
    await started;
    await expect.poll(() => types(events), { timeout: 15_000 }).toEqual(['available']);
    expect(await gnome.windowTitles()).not.toContain('Add Keyboard Shortcuts');
    await gnome.keys.down(ctrl, shift, r);
    await expect.poll(() => types(events)).toEqual(['available', 'start']);
    await gnome.keys.up(ctrl, shift, r);
    await expect.poll(() => types(events)).toEqual(['available', 'start', 'finish']);
  }, 60_000);

  it('the edit key added later: the dialog asks once more, both keys bound in one session; the edit key toggles with action edit', async () => {
    const { events, started } = listen('toggle', 'ctrl+alt+shift+e');
    await gnome.answerDialog(/^Add Keyboard Shortcuts$/, [[alt, a]]);
    await started;
    await expect.poll(() => types(events), { timeout: 15_000 }).toEqual(['available']);
    await expect.poll(() => trigger?.edit?.state, { timeout: 15_000 }).toBe('available');
    expect(trigger?.edit?.binding).toMatch(/Shift.*Control.*Alt.*e|Control.*Alt.*Shift.*e/i);
    await gnome.keys.tap(ctrl, alt, shift, e);
    await expect.poll(() => events.slice(1)).toEqual([{ type: 'toggle', action: 'edit' }]);
    await gnome.keys.tap(ctrl, shift, r);
    await expect
      .poll(() => events.slice(1))
      .toEqual([{ type: 'toggle', action: 'edit' }, { type: 'toggle' }]);
  }, 60_000);
});
