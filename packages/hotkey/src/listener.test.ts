import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startXvfb, xdotool, type VirtualDisplay } from '@whis/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHotkeyTrigger, type HotkeyTriggerEvent } from './trigger.js';

// the built listener, as the trigger runs it
const LISTENER = fileURLToPath(new URL('../dist/internal/listener-process.js', import.meta.url));

let x: VirtualDisplay;
beforeAll(async () => {
  x = await startXvfb();
});
afterAll(async () => {
  await x?.stop();
});

it('the listener child reports the chord keys only: nothing else typed crosses the pipe', async () => {
  const child = spawn(process.execPath, [LISTENER, 'R,Ctrl,CtrlRight,Shift,ShiftRight'], {
    env: x.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Array<{ t: string; k?: string }> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line)));
  try {
    await expect.poll(() => lines.some((l) => l.t === 'ready'), { timeout: 20_000 }).toBe(true);
    await xdotool(x, ['type', '--delay', '5', 'hidden text 123']);
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await expect.poll(() => lines.filter((l) => l.k === 'R').length, { timeout: 10_000 }).toBe(2);
    const keys = new Set(lines.flatMap((l) => (l.k ? [l.k] : [])));
    expect([...keys].sort()).toEqual(['Ctrl', 'R', 'Shift']);
  } finally {
    child.stdin!.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}, 40_000);

it('without the keys to report, the listener refuses to start', async () => {
  const child = spawn(process.execPath, [LISTENER], {
    env: x.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(stderr).toMatch(/the keys of the chord to report/);
});

it("the uiohook path (macOS and Windows) under X: both keys, the edit chord's events with action edit", async () => {
  const trigger = createHotkeyTrigger({
    hotkey: 'ctrl+shift+r',
    editHotkey: 'ctrl+alt+shift+e',
    mode: 'push-to-talk',
    env: x.env,
    backend: 'x11',
    platform: 'darwin',
  });
  const events: HotkeyTriggerEvent[] = [];
  trigger.onEvent((e) => events.push(e));
  expect(trigger.description).toBe('ctrl+shift+r (push-to-talk), edit ctrl+shift+alt+e');
  try {
    await trigger.start();
    await expect.poll(() => events, { timeout: 20_000 }).toEqual([{ type: 'available' }]);
    expect(trigger.edit).toEqual({ hotkey: 'ctrl+shift+alt+e', state: 'available' });
    await xdotool(x, ['keydown', 'ctrl+alt+shift+e']);
    await expect
      .poll(() => events.slice(1), { timeout: 10_000 })
      .toEqual([{ type: 'start', action: 'edit' }]);
    await xdotool(x, ['keyup', 'ctrl+alt+shift+e']);
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await expect
      .poll(() => events.slice(1), { timeout: 10_000 })
      .toEqual([
        { type: 'start', action: 'edit' },
        { type: 'finish' },
        { type: 'start' },
        { type: 'finish' },
      ]);
  } finally {
    await trigger.stop();
  }
}, 40_000);
