import {
  grabKeyElsewhere,
  moveKey,
  openKeyRecorder,
  pressKey,
  startXvfb,
  xdotool,
  X_MODIFIERS,
  xConnectionsOf,
  type KeyRecorder,
  type VirtualDisplay,
} from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeKeyGrab } from './grab.js';
import { createHotkeyTrigger, type HotkeyTrigger, type HotkeyTriggerEvent } from './trigger.js';

let x: VirtualDisplay;
let trigger: HotkeyTrigger | undefined;

beforeAll(async () => {
  x = await startXvfb();
});
afterAll(async () => {
  await x?.stop();
});
afterEach(async () => {
  await trigger?.stop();
  trigger = undefined;
});

async function listen(
  hotkey: string,
  env: NodeJS.ProcessEnv,
  mode: 'toggle' | 'push-to-talk' = 'toggle',
  tapToToggleMs?: number,
  retryMs = 60_000,
) {
  const events: HotkeyTriggerEvent[] = [];
  trigger = createHotkeyTrigger({
    hotkey,
    mode,
    env,
    retryMs,
    tapToToggleMs,
    backend: 'x11',
  });
  trigger.onEvent((e) => events.push(e));
  await trigger.start();
  return events;
}

const types = (events: HotkeyTriggerEvent[]) => events.map((e) => e.type);

/** `promise`'s outcome, or a rejection that names what was still pending after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const limit = AbortSignal.timeout(ms);
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      limit.addEventListener('abort', () =>
        reject(new Error(`${what}: still pending after ${ms} ms`)),
      ),
    ),
  ]);
}

/** This process's open Unix sockets and pipes (an X connection is one). */
const pipes = () => process.getActiveResourcesInfo().filter((r) => r === 'PipeWrap').length;

describe('under a virtual X server, with real key presses', () => {
  it('fires exactly once per ctrl+shift+r, and not for ctrl+r or ctrl+shift+alt+r', async () => {
    const events = await listen('ctrl+shift+r', x.env);
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await expect.poll(() => types(events), { timeout: 10_000 }).toEqual(['available', 'toggle']);
    await xdotool(x, ['key', 'ctrl+r']);
    await xdotool(x, ['key', 'ctrl+shift+alt+r']);
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await expect
      .poll(() => types(events), { timeout: 10_000 })
      .toEqual(['available', 'toggle', 'toggle']);
  });

  it('push-to-talk: start on press, finish on release', async () => {
    const events = await listen('ctrl+shift+r', x.env, 'push-to-talk');
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    await xdotool(x, ['keydown', 'ctrl+shift+r']);
    await expect.poll(() => types(events), { timeout: 10_000 }).toEqual(['available', 'start']);
    await xdotool(x, ['keyup', 'ctrl+shift+r']);
    await expect
      .poll(() => types(events), { timeout: 10_000 })
      .toEqual(['available', 'start', 'finish']);
  });

  it('push-to-talk with tapToToggleMs: a tap latches the recording on until the next press', async () => {
    const events = await listen('ctrl+shift+r', x.env, 'push-to-talk', 400);
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    // a tap: down and up at once
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await expect.poll(() => types(events), { timeout: 10_000 }).toEqual(['available', 'start']);
    await new Promise((r) => setTimeout(r, 600));
    expect(types(events)).toEqual(['available', 'start']);
    // the next press finishes; its release does nothing more
    await xdotool(x, ['keydown', 'ctrl+shift+r']);
    await expect
      .poll(() => types(events), { timeout: 10_000 })
      .toEqual(['available', 'start', 'finish']);
    await xdotool(x, ['keyup', 'ctrl+shift+r']);
    // held longer than the tap: a plain push-to-talk
    await xdotool(x, ['keydown', 'ctrl+shift+r']);
    await new Promise((r) => setTimeout(r, 600));
    await xdotool(x, ['keyup', 'ctrl+shift+r']);
    await expect
      .poll(() => types(events), { timeout: 10_000 })
      .toEqual(['available', 'start', 'finish', 'start', 'finish']);
  });
});

// Caps Lock and Num Lock are pressed as a keyboard would (XTEST); each test leaves them off again.
const LOCKS: Array<{ name: string; keys: string[] }> = [
  { name: 'no lock', keys: [] },
  { name: 'Caps Lock on', keys: ['Caps_Lock'] },
  { name: 'Num Lock on', keys: ['Num_Lock'] },
  { name: 'Caps Lock and Num Lock on', keys: ['Caps_Lock', 'Num_Lock'] },
];

describe('the chord reaches whis only: the focused window never sees its key', () => {
  let recorder: KeyRecorder | undefined;
  afterEach(async () => {
    await recorder?.stop();
    recorder = undefined;
  });

  it.each(LOCKS)(
    'toggle, $name: whis gets each press, the window none of the key',
    async ({ keys }) => {
      recorder = await openKeyRecorder(x);
      const events = await listen('ctrl+shift+r', x.env);
      await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
      for (const key of keys) await xdotool(x, ['key', key]);
      try {
        await xdotool(x, ['key', 'ctrl+shift+r']);
        await expect
          .poll(() => types(events), { timeout: 10_000 })
          .toEqual(['available', 'toggle']);
        await xdotool(x, ['key', 'ctrl+shift+r']);
        await expect
          .poll(() => types(events), { timeout: 10_000 })
          .toEqual(['available', 'toggle', 'toggle']);
        await recorder.settle();
        expect(await recorder.count('r')).toBe(0);
        // what is not the chord still reaches the window
        await xdotool(x, ['key', 'ctrl+r']);
        await recorder.settle();
        expect(await recorder.count('r')).toBe(2);
      } finally {
        for (const key of keys) await xdotool(x, ['key', key]);
      }
    },
  );

  it.each(LOCKS)(
    'push-to-talk, $name: start on press, finish on release, the window sees none of the key',
    async ({ keys }) => {
      recorder = await openKeyRecorder(x);
      const events = await listen('ctrl+shift+r', x.env, 'push-to-talk');
      await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
      for (const key of keys) await xdotool(x, ['key', key]);
      try {
        await xdotool(x, ['keydown', 'ctrl+shift+r']);
        await expect.poll(() => types(events), { timeout: 10_000 }).toEqual(['available', 'start']);
        await xdotool(x, ['keyup', 'ctrl+shift+r']);
        await expect
          .poll(() => types(events), { timeout: 10_000 })
          .toEqual(['available', 'start', 'finish']);
        await recorder.settle();
        expect(await recorder.count('r')).toBe(0);
      } finally {
        for (const key of keys) await xdotool(x, ['key', key]);
      }
    },
  );

  it('push-to-talk held through auto-repeat: one start, one finish, nothing in the window', async () => {
    recorder = await openKeyRecorder(x);
    const events = await listen('ctrl+shift+r', x.env, 'push-to-talk');
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    await xdotool(x, ['keydown', 'ctrl+shift+r']);
    await expect.poll(() => types(events), { timeout: 10_000 }).toEqual(['available', 'start']);
    // held as a person holds it: past the server's repeat delay (660 ms), so the key repeats
    await new Promise((r) => setTimeout(r, 1200));
    await xdotool(x, ['keyup', 'ctrl+shift+r']);
    await expect
      .poll(() => types(events), { timeout: 10_000 })
      .toEqual(['available', 'start', 'finish']);
    await recorder.settle();
    expect(types(events)).toEqual(['available', 'start', 'finish']);
    expect(await recorder.count('r')).toBe(0);
  });

  it('a lone modifier push-to-talk key (rctrl) is grabbed too', async () => {
    recorder = await openKeyRecorder(x);
    const events = await listen('rctrl', x.env, 'push-to-talk');
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    await pressKey(x, 'Control_R', 'down');
    await expect.poll(() => types(events), { timeout: 10_000 }).toEqual(['available', 'start']);
    await pressKey(x, 'Control_R', 'up');
    await expect
      .poll(() => types(events), { timeout: 10_000 })
      .toEqual(['available', 'start', 'finish']);
    await recorder.settle();
    expect(await recorder.count('Control_R')).toBe(0);
  });

  it('a one-sided chord: rctrl+r reaches whis, lctrl+r is handed on to the window', async () => {
    recorder = await openKeyRecorder(x);
    const events = await listen('rctrl+r', x.env);
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    const chord = async (ctrl: string) => {
      await pressKey(x, ctrl, 'down');
      await pressKey(x, 'r', 'down');
      await pressKey(x, 'r', 'up');
      await pressKey(x, ctrl, 'up');
    };
    await chord('Control_R');
    await expect.poll(() => types(events), { timeout: 10_000 }).toEqual(['available', 'toggle']);
    await recorder.settle();
    expect(await recorder.count('r')).toBe(0);
    await chord('Control_L');
    await recorder.settle();
    expect(await recorder.count('r')).toBe(2);
    expect(types(events)).toEqual(['available', 'toggle']);
  });

  it('after the keyboard mapping changes, the chord is grabbed where its key now is', async () => {
    recorder = await openKeyRecorder(x);
    const events = await listen('ctrl+shift+r', x.env);
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await expect.poll(() => types(events), { timeout: 10_000 }).toEqual(['available', 'toggle']);
    // r moves to another keycode, as a layout switch moves keys
    const moved = await moveKey(x, 'r');
    try {
      await expect.poll(() => recorder!.keycodes('r')).toEqual([moved.to]);
      await xdotool(x, ['key', 'ctrl+shift+r']);
      await expect
        .poll(() => types(events), { timeout: 10_000 })
        .toEqual(['available', 'toggle', 'toggle']);
      await recorder.settle();
      expect(await recorder.count('r', [moved.from, moved.to])).toBe(0);
    } finally {
      await moved.restore();
    }
  });

  it('a chord another client already grabbed is reported as taken, and taken once it is free', async () => {
    const other = await grabKeyElsewhere(x, 'r', X_MODIFIERS.control | X_MODIFIERS.shift);
    expect(other.granted).toBe(true);
    let released = false;
    try {
      const events = await listen('ctrl+shift+r', x.env, 'toggle', undefined, 200);
      await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['unavailable']);
      const reason = (events[0] as { reason: string }).reason;
      expect(reason).toMatch(/ctrl\+shift\+r is taken/);
      expect(reason).toMatch(/whis config set hotkey/);
      await other.release();
      released = true;
      await expect
        .poll(() => types(events), { timeout: 20_000 })
        .toEqual(['unavailable', 'available']);
    } finally {
      if (!released) await other.release();
    }
  });

  it('while whis holds the chord no other client can grab it; after stop one can', async () => {
    const events = await listen('ctrl+shift+r', x.env);
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    const during = await grabKeyElsewhere(x, 'r', X_MODIFIERS.control | X_MODIFIERS.shift);
    await during.release();
    expect(during.granted).toBe(false);
    await trigger!.stop();
    const after = await grabKeyElsewhere(x, 'r', X_MODIFIERS.control | X_MODIFIERS.shift);
    await after.release();
    expect(after.granted).toBe(true);
  });
});

// The edit key beside the dictation key: one trigger, two grabs
describe('a second key, edit, grabbed beside the dictation key', () => {
  let recorder: KeyRecorder | undefined;
  afterEach(async () => {
    await recorder?.stop();
    recorder = undefined;
  });
  const EDIT_MODIFIERS = X_MODIFIERS.control | X_MODIFIERS.mod1 | X_MODIFIERS.shift;

  async function listenBoth(
    mode: 'toggle' | 'push-to-talk' = 'toggle',
    extra: { editHotkey?: string; tapToToggleMs?: number; retryMs?: number } = {},
  ) {
    const events: HotkeyTriggerEvent[] = [];
    const created = createHotkeyTrigger({
      hotkey: 'ctrl+shift+r',
      editHotkey: extra.editHotkey ?? 'ctrl+alt+shift+e',
      mode,
      env: x.env,
      retryMs: extra.retryMs ?? 60_000,
      ...(extra.tapToToggleMs ? { tapToToggleMs: extra.tapToToggleMs } : {}),
      backend: 'x11',
    });
    trigger = created;
    created.onEvent((e) => events.push(e));
    await created.start();
    return { events, t: created };
  }

  it('toggle: the edit chord toggles with action edit, the dictation chord plainly; the window sees neither key', async () => {
    recorder = await openKeyRecorder(x);
    const { events, t } = await listenBoth();
    expect(t.description).toBe('ctrl+shift+r (toggle), edit ctrl+shift+alt+e');
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
    expect(t.edit).toEqual({ hotkey: 'ctrl+shift+alt+e', state: 'available' });
    await xdotool(x, ['key', 'ctrl+alt+shift+e']);
    await expect
      .poll(() => events, { timeout: 10_000 })
      .toEqual([{ type: 'available' }, { type: 'toggle', action: 'edit' }]);
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await expect
      .poll(() => events, { timeout: 10_000 })
      .toEqual([{ type: 'available' }, { type: 'toggle', action: 'edit' }, { type: 'toggle' }]);
    // chords that are neither pass through
    await xdotool(x, ['key', 'ctrl+e']);
    await xdotool(x, ['key', 'ctrl+r']);
    await recorder.settle();
    expect(await recorder.count('e')).toBe(2);
    expect(await recorder.count('r')).toBe(2);
    expect(events).toHaveLength(3);
  });

  it('push-to-talk: the edit chord starts with action edit and finishes on release; the window sees none of it', async () => {
    recorder = await openKeyRecorder(x);
    const { events, t } = await listenBoth('push-to-talk');
    await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
    await xdotool(x, ['keydown', 'ctrl+alt+shift+e']);
    await expect
      .poll(() => events, { timeout: 10_000 })
      .toEqual([{ type: 'available' }, { type: 'start', action: 'edit' }]);
    await xdotool(x, ['keyup', 'ctrl+alt+shift+e']);
    await expect
      .poll(() => events, { timeout: 10_000 })
      .toEqual([{ type: 'available' }, { type: 'start', action: 'edit' }, { type: 'finish' }]);
    await xdotool(x, ['keydown', 'ctrl+shift+r']);
    await xdotool(x, ['keyup', 'ctrl+shift+r']);
    await expect
      .poll(() => events.slice(3), { timeout: 10_000 })
      .toEqual([{ type: 'start' }, { type: 'finish' }]);
    await recorder.settle();
    expect(await recorder.count('e')).toBe(0);
    expect(await recorder.count('r')).toBe(0);
  });

  it('push-to-talk with tapToToggleMs: a tap of the edit chord latches until its next press', async () => {
    const { events, t } = await listenBoth('push-to-talk', { tapToToggleMs: 400 });
    await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
    await xdotool(x, ['key', 'ctrl+alt+shift+e']);
    await expect
      .poll(() => events, { timeout: 10_000 })
      .toEqual([{ type: 'available' }, { type: 'start', action: 'edit' }]);
    await new Promise((r) => setTimeout(r, 600));
    expect(events).toHaveLength(2);
    await xdotool(x, ['key', 'ctrl+alt+shift+e']);
    await expect
      .poll(() => events, { timeout: 10_000 })
      .toEqual([{ type: 'available' }, { type: 'start', action: 'edit' }, { type: 'finish' }]);
  });

  it('the edit chord taken by another program: dictation still works, the edit key is reported taken with the fix, and taken once free', async () => {
    const other = await grabKeyElsewhere(x, 'e', EDIT_MODIFIERS);
    expect(other.granted).toBe(true);
    let released = false;
    try {
      const { events, t } = await listenBoth('toggle', { retryMs: 200 });
      await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
      await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('unavailable');
      const reason = t.edit?.reason;
      expect(reason).toMatch(/edit hotkey ctrl\+shift\+alt\+e is taken/);
      expect(reason).toMatch(/whis config set editHotkey/);
      // nothing said the whole trigger was down
      expect(types(events)).toEqual(['available']);
      await xdotool(x, ['key', 'ctrl+shift+r']);
      await expect.poll(() => types(events), { timeout: 10_000 }).toEqual(['available', 'toggle']);
      await other.release();
      released = true;
      await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
      await xdotool(x, ['key', 'ctrl+alt+shift+e']);
      await expect
        .poll(() => events.at(-1), { timeout: 10_000 })
        .toEqual({ type: 'toggle', action: 'edit' });
    } finally {
      if (!released) await other.release();
    }
  });

  it('both chords are held while whis runs and given back on stop', async () => {
    const { events, t } = await listenBoth();
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
    const during = await grabKeyElsewhere(x, 'e', EDIT_MODIFIERS);
    await during.release();
    expect(during.granted).toBe(false);
    await t.stop();
    const after = await grabKeyElsewhere(x, 'e', EDIT_MODIFIERS);
    await after.release();
    expect(after.granted).toBe(true);
  });

  it('one X connection serves both keys', async () => {
    const own = await startXvfb();
    try {
      const events: HotkeyTriggerEvent[] = [];
      const t = createHotkeyTrigger({
        hotkey: 'ctrl+shift+r',
        editHotkey: 'ctrl+alt+shift+e',
        env: own.env,
        retryMs: 60_000,
        backend: 'x11',
      });
      trigger = t;
      t.onEvent((e) => events.push(e));
      await t.start();
      await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
      await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
      expect(await xConnectionsOf(own, process.pid)).toBe(1);
      await t.stop();
      expect(await xConnectionsOf(own, process.pid)).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it('two chords on one key (ctrl+shift+r, ctrl+alt+shift+r): each press reaches its own', async () => {
    recorder = await openKeyRecorder(x);
    const { events, t } = await listenBoth('push-to-talk', { editHotkey: 'ctrl+alt+shift+r' });
    await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
    await xdotool(x, ['keydown', 'ctrl+alt+shift+r']);
    await xdotool(x, ['keyup', 'ctrl+alt+shift+r']);
    await xdotool(x, ['keydown', 'ctrl+shift+r']);
    await xdotool(x, ['keyup', 'ctrl+shift+r']);
    await expect
      .poll(() => events, { timeout: 10_000 })
      .toEqual([
        { type: 'available' },
        { type: 'start', action: 'edit' },
        { type: 'finish' },
        { type: 'start' },
        { type: 'finish' },
      ]);
    await recorder.settle();
    expect(await recorder.count('r')).toBe(0);
  });

  it('the dictation chord taken by another program: the edit key works meanwhile, and the dictation key is taken once free', async () => {
    const other = await grabKeyElsewhere(x, 'r', X_MODIFIERS.control | X_MODIFIERS.shift);
    expect(other.granted).toBe(true);
    let released = false;
    try {
      const { events, t } = await listenBoth('toggle', { retryMs: 200 });
      await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
      await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['unavailable']);
      expect((events[0] as { reason: string }).reason).toMatch(/hotkey ctrl\+shift\+r is taken/);
      await xdotool(x, ['key', 'ctrl+alt+shift+e']);
      await expect
        .poll(() => events.at(-1), { timeout: 10_000 })
        .toEqual({ type: 'toggle', action: 'edit' });
      await other.release();
      released = true;
      await expect
        .poll(() => types(events), { timeout: 20_000 })
        .toEqual(['unavailable', 'toggle', 'available']);
      await xdotool(x, ['key', 'ctrl+shift+r']);
      await expect.poll(() => events.at(-1), { timeout: 10_000 }).toEqual({ type: 'toggle' });
      expect(t.edit?.state).toBe('available');
    } finally {
      if (!released) await other.release();
    }
  });

  it('editHotkey none: one grab only, no edit key, the description names one key', async () => {
    const { events, t } = await listenBoth('toggle', { editHotkey: 'none' });
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    expect(t.edit).toBeUndefined();
    expect(t.description).toBe('ctrl+shift+r (toggle)');
    const free = await grabKeyElsewhere(x, 'e', EDIT_MODIFIERS);
    await free.release();
    expect(free.granted).toBe(true);
  });

  it('after the keyboard mapping changes, the edit chord is grabbed where its key now is', async () => {
    recorder = await openKeyRecorder(x);
    const { events, t } = await listenBoth();
    await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
    const moved = await moveKey(x, 'e');
    try {
      await expect.poll(() => recorder!.keycodes('e')).toEqual([moved.to]);
      await xdotool(x, ['key', 'ctrl+alt+shift+e']);
      await expect
        .poll(() => events, { timeout: 10_000 })
        .toEqual([{ type: 'available' }, { type: 'toggle', action: 'edit' }]);
      await recorder.settle();
      expect(await recorder.count('e', [moved.from, moved.to])).toBe(0);
    } finally {
      await moved.restore();
    }
  });

  it('an edit key that is the dictation key: a clear error at creation', () => {
    for (const editHotkey of ['shift+ctrl+R', 'lctrl+shift+r'])
      expect(() =>
        createHotkeyTrigger({ hotkey: 'ctrl+shift+r', editHotkey, env: x.env, backend: 'x11' }),
      ).toThrow(
        expect.objectContaining({
          name: 'HotkeyError',
          code: 'invalid-hotkey',
          message: expect.stringMatching(
            /same chord as the dictation hotkey.*whis config set editHotkey/,
          ),
        }),
      );
  });
});

describe('without a usable display the host survives', () => {
  it('no DISPLAY: unavailable, with a reason', async () => {
    const env = { ...process.env };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const events = await listen('ctrl+shift+r', env);
    expect(events).toEqual([
      { type: 'unavailable', reason: expect.stringContaining('DISPLAY is not set') },
    ]);
  });

  it('the x11 backend on Wayland: unavailable, pointing at the portal and at binding `whis toggle`', async () => {
    const events = await listen('ctrl+shift+r', { ...x.env, WAYLAND_DISPLAY: 'wayland-0' });
    expect(events).toEqual([
      { type: 'unavailable', reason: expect.stringContaining('Bind `whis toggle`') },
    ]);
  });

  it('a DISPLAY that points nowhere: unavailable, and this process lives on', async () => {
    const events = await listen('ctrl+shift+r', { ...x.env, DISPLAY: ':4242' });
    await expect.poll(() => types(events), { timeout: 15_000 }).toEqual(['unavailable']);
    expect((events[0] as { reason: string }).reason).toMatch(
      /Cannot listen for keys on display :4242/,
    );
  });

  it('the X server going away mid-run: unavailable', async () => {
    const own = await startXvfb();
    try {
      const events = await listen('ctrl+shift+r', own.env);
      await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
      await own.stop();
      await expect
        .poll(() => types(events), { timeout: 15_000 })
        .toEqual(['available', 'unavailable']);
    } finally {
      await own.stop();
    }
  });
});

// stop() must resolve whatever the X server does meanwhile: the service's shutdown waits on it
describe('stop() never waits on an X server that dies or freezes', () => {
  let own: VirtualDisplay | undefined;
  afterEach(async () => {
    if (!own) return;
    try {
      process.kill(own.pid, 'SIGCONT');
    } catch {
      // already gone
    }
    await own.stop();
    own = undefined;
  });

  async function grabbed(display: VirtualDisplay) {
    const events: HotkeyTriggerEvent[] = [];
    const t = createHotkeyTrigger({
      hotkey: 'ctrl+shift+r',
      editHotkey: 'ctrl+alt+shift+e',
      env: display.env,
      retryMs: 60_000,
      backend: 'x11',
    });
    trigger = t;
    t.onEvent((e) => events.push(e));
    await t.start();
    await expect.poll(() => types(events), { timeout: 20_000 }).toEqual(['available']);
    await expect.poll(() => t.edit?.state, { timeout: 20_000 }).toBe('available');
    return t;
  }

  it('the server dies while stop() gives the keys back: stop resolves, no socket is left', async () => {
    own = await startXvfb();
    const before = pipes();
    const t = await grabbed(own);
    // the server stops answering, so what stop() sends is never answered; then it dies, as a
    // session's X server does when the session ends with the same SIGTERM that stops whis
    process.kill(own.pid, 'SIGSTOP');
    const stopping = t.stop();
    process.kill(own.pid, 'SIGKILL');
    await within(stopping, 10_000, 'stop()');
    expect(pipes()).toBeLessThanOrEqual(before);
  });

  it('a frozen server: stop resolves without its answer', async () => {
    own = await startXvfb();
    const t = await grabbed(own);
    process.kill(own.pid, 'SIGSTOP');
    await within(t.stop(), 10_000, 'stop()');
  });

  it('stop while the connection to a frozen server is being opened: resolves, no socket is left', async () => {
    own = await startXvfb();
    const before = pipes();
    process.kill(own.pid, 'SIGSTOP');
    const events = await listen('ctrl+shift+r', own.env);
    await within(trigger!.stop(), 10_000, 'stop()');
    expect(events).toEqual([]);
    expect(pipes()).toBeLessThanOrEqual(before);
  });

  it("`whis doctor`'s key check on a frozen server: answers in time, saying the server does not", async () => {
    own = await startXvfb();
    const before = pipes();
    process.kill(own.pid, 'SIGSTOP');
    const probe = await within(
      probeKeyGrab('ctrl+shift+r', own.env.DISPLAY!, 'hotkey', { timeoutMs: 1000 }),
      10_000,
      'probeKeyGrab',
    );
    expect(probe).toEqual({
      ok: false,
      taken: false,
      reason: expect.stringMatching(/X server .* did not answer within 1 s/),
    });
    expect(pipes()).toBeLessThanOrEqual(before);
  });
});
