import {
  startSessionBus,
  startPortalFrontend,
  startShortcutsBackend,
  type SessionBus,
  type PortalFrontend,
  type ShortcutsBackend,
} from '@whis/testkit';
import { connectSessionBus, PORTAL_PATH } from '@whis/dbus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preferredTrigger } from './portal.js';
import { parseHotkey } from './spec.js';
import { createHotkeyTrigger, type HotkeyTrigger, type HotkeyTriggerEvent } from './trigger.js';

describe('preferredTrigger: the hotkey in the portal form', () => {
  it.each([
    ['ctrl+shift+r', 'CTRL+SHIFT+r'],
    ['super+f9', 'LOGO+F9'],
    ['alt+space', 'ALT+space'],
    ['ctrl+alt+;', 'CTRL+ALT+semicolon'],
    ['rctrl', 'Control_R'],
    ['shift+pageup', 'SHIFT+Page_Up'],
  ])('%s → %s', (spec, expected) => {
    expect(preferredTrigger(parseHotkey(spec))).toBe(expected);
  });
});

// The real xdg-desktop-portal frontend on a private bus, with a backend that binds in
// BindShortcuts as GNOME 48+ and KDE 6 do; the test plays the desktop's part. Late repeats, lost
// releases and the hold bound are the press unit's (internal/portal-press.test.ts, fake timers).
describe('through the real portal frontend, with a spec-following backend', () => {
  let bus: SessionBus;
  let backend: ShortcutsBackend;
  let frontend: PortalFrontend;
  let env: NodeJS.ProcessEnv;
  const triggers: HotkeyTrigger[] = [];

  beforeEach(async () => {
    bus = await startSessionBus();
    backend = await startShortcutsBackend(bus);
    env = {
      ...bus.env,
      XDG_DESKTOP_PORTAL_DIR: backend.portalDir,
      XDG_CURRENT_DESKTOP: backend.desktop,
      XDG_SESSION_TYPE: 'wayland',
      WAYLAND_DISPLAY: 'wayland-test',
    };
    frontend = await startPortalFrontend(bus, env);
  });
  afterEach(async () => {
    for (const trigger of triggers.splice(0)) await trigger.stop();
    await frontend?.stop();
    await backend?.stop();
    await bus?.stop();
  });

  async function listen(
    mode: 'toggle' | 'push-to-talk' = 'toggle',
    extra: { tapToToggleMs?: number; maxHoldMs?: number } = {},
  ) {
    const events: HotkeyTriggerEvent[] = [];
    const trigger = createHotkeyTrigger({
      hotkey: 'ctrl+shift+r',
      mode,
      env,
      ...(extra.tapToToggleMs ? { tapToToggleMs: extra.tapToToggleMs } : {}),
      portal: { ...(extra.maxHoldMs ? { maxHoldMs: extra.maxHoldMs } : {}) },
    });
    triggers.push(trigger);
    trigger.onEvent((e) => events.push(e));
    await trigger.start();
    return { trigger, events };
  }
  const types = (events: HotkeyTriggerEvent[]) => events.map((e) => e.type);

  it('auto picks the portal on Wayland; binds in BindShortcuts with the preferred trigger; toggles on press', async () => {
    const { trigger, events } = await listen();
    expect(trigger.backend).toBe('portal');
    await expect.poll(() => events).toEqual([{ type: 'available', binding: 'Ctrl+Shift+R' }]);
    const bind = backend.calls.find((c) => c.member === 'BindShortcuts');
    expect(bind?.shortcuts).toEqual([
      {
        id: 'dictate',
        description: expect.stringContaining('whis'),
        preferredTrigger: 'CTRL+SHIFT+r',
      },
    ]);
    // the shortcut is also named in CreateSession, for KDE 5.27
    expect(backend.calls[0]).toMatchObject({
      member: 'CreateSession',
      shortcuts: [{ id: 'dictate', preferredTrigger: 'CTRL+SHIFT+r' }],
    });
    backend.press('dictate');
    backend.release('dictate');
    backend.press('dictate');
    backend.release('dictate');
    await expect.poll(() => types(events)).toEqual(['available', 'toggle', 'toggle']);
  });

  it('a second start finds the binding in ListShortcuts and binds nothing more; stop closes the session', async () => {
    const first = await listen();
    await expect.poll(() => types(first.events)).toEqual(['available']);
    await first.trigger.stop();
    await expect.poll(() => backend.sessions).toEqual([]);
    expect(backend.calls.filter((c) => c.member === 'Close')).toHaveLength(1);
    backend.calls.length = 0;
    const second = await listen();
    await expect
      .poll(() => second.events)
      .toEqual([{ type: 'available', binding: 'Ctrl+Shift+R' }]);
    expect(backend.calls.map((c) => c.member)).toEqual(['CreateSession', 'ListShortcuts']);
  });

  it('a cancelled binding: one clear error, and no key', async () => {
    backend.bindResponse = 1;
    const { events } = await listen();
    await expect.poll(() => types(events)).toEqual(['unavailable']);
    expect((events[0] as { reason: string }).reason).toMatch(
      /declined or its dialog closed.*Restart `whis listen`/,
    );
  });

  it('push-to-talk: press starts, release finishes; auto-repeated Activated while held are one press', async () => {
    const { events } = await listen('push-to-talk');
    await expect.poll(() => types(events)).toEqual(['available']);
    backend.press('dictate');
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 30));
      backend.press('dictate'); // GNOME re-sends Activated on key repeat
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(types(events)).toEqual(['available', 'start']);
    backend.release('dictate');
    await expect.poll(() => types(events)).toEqual(['available', 'start', 'finish']);
  });

  it('toggle: auto-repeat does not toggle again', async () => {
    const { events } = await listen('toggle');
    await expect.poll(() => types(events)).toEqual(['available']);
    for (let i = 0; i < 5; i++) {
      backend.press('dictate');
      await new Promise((r) => setTimeout(r, 30));
    }
    backend.release('dictate');
    await new Promise((r) => setTimeout(r, 100));
    expect(types(events)).toEqual(['available', 'toggle']);
  });

  it('tapToToggleMs over the portal: a tap latches, the next press finishes', async () => {
    const { events } = await listen('push-to-talk', { tapToToggleMs: 400 });
    await expect.poll(() => types(events)).toEqual(['available']);
    backend.press('dictate');
    backend.release('dictate');
    await new Promise((r) => setTimeout(r, 600));
    expect(types(events)).toEqual(['available', 'start']);
    backend.press('dictate');
    await expect.poll(() => types(events)).toEqual(['available', 'start', 'finish']);
    backend.release('dictate');
    await new Promise((r) => setTimeout(r, 200));
    expect(types(events)).toEqual(['available', 'start', 'finish']);
  });

  it('ShortcutsChanged: the new key is what the desktop bound', async () => {
    const { events } = await listen();
    await expect.poll(() => types(events)).toEqual(['available']);
    backend.rebind('dictate', 'Meta+D');
    await expect
      .poll(() => events)
      .toEqual([
        { type: 'available', binding: 'Ctrl+Shift+R' },
        { type: 'available', binding: 'Meta+D' },
      ]);
    backend.press('dictate');
    await expect.poll(() => types(events)).toContain('toggle');
  });

  it('the portal restarting: the session is opened again and the key works', async () => {
    const { events } = await listen('push-to-talk');
    await expect.poll(() => types(events)).toEqual(['available']);
    backend.press('dictate');
    await expect.poll(() => types(events)).toEqual(['available', 'start']);
    await frontend.restart();
    // the hold ended with the old portal; the new one binds the key again
    await expect
      .poll(() => types(events), { timeout: 10_000 })
      .toEqual(['available', 'start', 'finish', 'unavailable', 'available']);
    backend.press('dictate');
    backend.release('dictate');
    await expect
      .poll(() => types(events))
      .toEqual(['available', 'start', 'finish', 'unavailable', 'available', 'start', 'finish']);
  });

  it('stop() while start() is still connecting closes the connection', async () => {
    const watcher = await connectSessionBus({ env });
    const clients = async () => (await watcher.listNames()).filter((n) => n.startsWith(':'));
    const before = await clients();
    try {
      const trigger = createHotkeyTrigger({ hotkey: 'ctrl+shift+r', env });
      const started = trigger.start();
      await trigger.stop();
      await started;
      // the trigger's connection is gone: nothing keeps the service's process alive
      await expect.poll(clients).toEqual(before);
      expect(backend.sessions).toEqual([]);
    } finally {
      watcher.close();
    }
  });

  it('another client on the bus cannot fake a press: only the portal is heard', async () => {
    const { events } = await listen('toggle');
    await expect.poll(() => types(events)).toEqual(['available']);
    const faker = await connectSessionBus({ env });
    try {
      const [session] = backend.sessions;
      for (const member of ['Activated', 'Deactivated'])
        faker.bus.send(
          faker.dbus.Message.newSignal(
            PORTAL_PATH,
            'org.freedesktop.portal.GlobalShortcuts',
            member,
            'osta{sv}',
            [session, 'dictate', BigInt(Date.now()), {}],
          ),
        );
      // a round trip: the bus has routed the fakes before it answers this
      await faker.listNames();
      backend.press('dictate');
      backend.release('dictate');
      await expect.poll(() => types(events)).toEqual(['available', 'toggle']);
    } finally {
      faker.close();
    }
  });

  describe('with the edit key', () => {
    async function listenBoth(mode: 'toggle' | 'push-to-talk' = 'toggle') {
      const events: HotkeyTriggerEvent[] = [];
      const trigger = createHotkeyTrigger({
        hotkey: 'ctrl+shift+r',
        editHotkey: 'ctrl+alt+shift+e',
        mode,
        env,
      });
      triggers.push(trigger);
      trigger.onEvent((e) => events.push(e));
      await trigger.start();
      return { trigger, events };
    }

    it('one session names and binds both shortcuts; each is reported with what the desktop bound; the edit shortcut gives the edit action', async () => {
      const { trigger, events } = await listenBoth();
      expect(trigger.description).toBe(
        'ctrl+shift+r (toggle, desktop portal), edit ctrl+shift+alt+e',
      );
      await expect.poll(() => events).toEqual([{ type: 'available', binding: 'Ctrl+Shift+R' }]);
      await expect
        .poll(() => trigger.edit)
        .toEqual({ hotkey: 'ctrl+shift+alt+e', state: 'available', binding: 'Ctrl+Shift+Alt+E' });
      expect(backend.calls.map((c) => c.member)).toEqual([
        'CreateSession',
        'ListShortcuts',
        'BindShortcuts',
      ]);
      const both = [
        {
          id: 'dictate',
          description: expect.stringContaining('whis'),
          preferredTrigger: 'CTRL+SHIFT+r',
        },
        {
          id: 'edit',
          description: 'Edit the selection by voice',
          preferredTrigger: 'CTRL+SHIFT+ALT+e',
        },
      ];
      expect(backend.calls[0]?.shortcuts).toEqual(both);
      expect(backend.calls[2]?.shortcuts).toEqual(both);
      expect(backend.sessions).toHaveLength(1);
      backend.press('edit');
      backend.release('edit');
      await expect.poll(() => events.slice(1)).toEqual([{ type: 'toggle', action: 'edit' }]);
      backend.press('dictate');
      backend.release('dictate');
      await expect
        .poll(() => events.slice(1))
        .toEqual([{ type: 'toggle', action: 'edit' }, { type: 'toggle' }]);
    });

    it('push-to-talk: Activated of edit starts with action edit, Deactivated finishes', async () => {
      const { events } = await listenBoth('push-to-talk');
      await expect.poll(() => types(events)).toEqual(['available']);
      backend.press('edit');
      await expect.poll(() => events.slice(1)).toEqual([{ type: 'start', action: 'edit' }]);
      backend.release('edit');
      await expect
        .poll(() => events.slice(1))
        .toEqual([{ type: 'start', action: 'edit' }, { type: 'finish' }]);
    });

    it('a desktop that bound the dictation key before (an older whis) is asked for the edit key; declined, dictation works on and the edit key is reported with the fix', async () => {
      const first = await listen();
      await expect.poll(() => types(first.events)).toEqual(['available']);
      await first.trigger.stop();
      backend.calls.length = 0;
      backend.bindResponse = 1;
      const { trigger, events } = await listenBoth();
      await expect.poll(() => trigger.edit?.state).toBe('unavailable');
      expect(events).toEqual([{ type: 'available', binding: 'Ctrl+Shift+R' }]);
      expect(trigger.edit?.reason).toMatch(
        /did not bind the edit key \(ctrl\+shift\+alt\+e\): the request was declined.*Dictation works on.*whis config set editHotkey none/,
      );
      expect(
        backend.calls.find((c) => c.member === 'BindShortcuts')?.shortcuts?.map((c) => c.id),
      ).toEqual(['dictate', 'edit']);
      backend.press('dictate');
      backend.release('dictate');
      await expect.poll(() => types(events)).toEqual(['available', 'toggle']);
    });

    it('ShortcutsChanged: the edit key rebound is followed, and the dictation binding stays', async () => {
      const { trigger, events } = await listenBoth();
      await expect.poll(() => trigger.edit?.state).toBe('available');
      backend.rebind('edit', 'Meta+E');
      await expect.poll(() => trigger.edit?.binding).toBe('Meta+E');
      expect(events).toEqual([{ type: 'available', binding: 'Ctrl+Shift+R' }]);
    });

    it("without an edit key, an edit signal is nobody's", async () => {
      const { events } = await listenBoth();
      await expect.poll(() => types(events)).toEqual(['available']);
      await triggers.pop()!.stop();
      const plain = await listen();
      await expect.poll(() => types(plain.events)).toEqual(['available']);
      expect(plain.trigger.edit).toBeUndefined();
      backend.press('edit');
      backend.release('edit');
      backend.press('dictate');
      backend.release('dictate');
      await expect.poll(() => types(plain.events)).toEqual(['available', 'toggle']);
      expect(plain.events).toHaveLength(2);
    });
  });

  it('no portal on the bus: one clear error naming the fix for the desktop', async () => {
    await frontend.stop();
    const { events } = await listen();
    await expect.poll(() => types(events)).toEqual(['unavailable']);
    expect((events[0] as { reason: string }).reason).toMatch(/No desktop portal/);
  });
});

describe('without what the portal needs', () => {
  it('no session bus: unavailable, with the fix', async () => {
    const env = { XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'w', XDG_CURRENT_DESKTOP: 'GNOME' };
    const events: HotkeyTriggerEvent[] = [];
    const trigger = createHotkeyTrigger({ hotkey: 'ctrl+shift+r', env });
    trigger.onEvent((e) => events.push(e));
    await trigger.start();
    await trigger.stop();
    expect(events).toEqual([
      {
        type: 'unavailable',
        reason: expect.stringMatching(/No D-Bus session bus.*`whis listen --hotkey-backend none`/),
      },
    ]);
  });

  it('the failure is logged as a coded hotkey error (domain, code), not a bare reason', async () => {
    const env = { XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'w', XDG_CURRENT_DESKTOP: 'GNOME' };
    const warned: Array<Record<string, unknown>> = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (fields: Record<string, unknown>) => void warned.push(fields),
    };
    const trigger = createHotkeyTrigger({ hotkey: 'ctrl+shift+r', env, logger });
    await trigger.start();
    await trigger.stop();
    expect(warned).toContainEqual(
      expect.objectContaining({
        err: expect.objectContaining({ name: 'HotkeyError', domain: 'hotkey', code: 'no-bus' }),
      }),
    );
  });
});
