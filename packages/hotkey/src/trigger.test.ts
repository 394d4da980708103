import { startXvfb, xdotool, type VirtualDisplay } from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
) {
  const events: HotkeyTriggerEvent[] = [];
  trigger = createHotkeyTrigger({
    hotkey,
    mode,
    env,
    retryMs: 60_000,
    tapToToggleMs,
    backend: 'x11',
  });
  trigger.onEvent((e) => events.push(e));
  await trigger.start();
  return events;
}

const types = (events: HotkeyTriggerEvent[]) => events.map((e) => e.type);

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
