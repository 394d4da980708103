// Key press (xdotool, under Xvfb) → event latency, median and p99, for the X11 key grab (what
// whis uses on X11) and the uiohook listener (what it used before, still used on macOS and
// Windows) on the same presses: both run at once (uiohook records keys without taking them).
// The same trigger grabs the edit key (ctrl+alt+shift+e) on a connection of its own: its presses,
// interleaved with the dictation key's, give the edit chord's latency beside the dictation chord's.
// Usage: npm run bench:hotkey  (from the repository root)
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startXvfb, xdotool } from '@whis/testkit';
import { createHotkeyTrigger } from '../dist/index.js';

const PRESSES = Number(process.env.PRESSES ?? 100);
const LISTENER = fileURLToPath(new URL('../dist/internal/listener-process.js', import.meta.url));
const x = await startXvfb();

const waiters = { grab: undefined, uiohook: undefined, edit: undefined };
const next = (name) => new Promise((r) => (waiters[name] = r));
const arrived = (name) => waiters[name]?.(process.hrtime.bigint());

const trigger = createHotkeyTrigger({
  hotkey: 'ctrl+shift+r',
  editHotkey: 'ctrl+alt+shift+e',
  env: x.env,
});
trigger.onEvent((e) => {
  if (e.type === 'toggle' && e.action === 'edit') arrived('edit');
  else if (e.type === 'available' || e.type === 'toggle') arrived('grab');
});
const grabReady = next('grab');
await trigger.start();
await grabReady;
while (trigger.edit?.state !== 'available') await new Promise((r) => setTimeout(r, 20));

const listener = spawn(process.execPath, [LISTENER, 'R'], {
  env: x.env,
  stdio: ['pipe', 'pipe', 'inherit'],
});
const uiohookReady = next('uiohook');
createInterface({ input: listener.stdout }).on('line', (line) => {
  const message = JSON.parse(line);
  if (message.t === 'ready' || (message.t === 'down' && message.k === 'R')) arrived('uiohook');
});
await uiohookReady;

const latencies = { grab: [], uiohook: [], edit: [] };
const dictate = async () => {
  const fired = { grab: next('grab'), uiohook: next('uiohook') };
  const sent = process.hrtime.bigint();
  await xdotool(x, ['key', '--delay', '0', 'ctrl+shift+r']);
  for (const name of ['grab', 'uiohook'])
    latencies[name].push(Number((await fired[name]) - sent) / 1e6);
};
const edit = async () => {
  const fired = next('edit');
  const sent = process.hrtime.bigint();
  await xdotool(x, ['key', '--delay', '0', 'ctrl+alt+shift+e']);
  latencies.edit.push(Number((await fired) - sent) / 1e6);
};
for (let i = 0; i < PRESSES; i++) {
  // interleaved, each first in turn
  for (const press of i % 2 ? [edit, dictate] : [dictate, edit]) await press();
}
const baseline = [];
for (let i = 0; i < 20; i++) {
  const t = process.hrtime.bigint();
  await xdotool(x, ['getmouselocation']);
  baseline.push(Number(process.hrtime.bigint() - t) / 1e6);
}
await trigger.stop();
listener.stdin.end();
await new Promise((r) => listener.once('exit', r));
await x.stop();

const q = (a, p) => [...a].sort((m, n) => m - n)[Math.min(a.length - 1, Math.floor(p * a.length))];
const base = q(baseline, 0.5);
console.log(`key press → event, ${PRESSES} presses (includes spawning xdotool):`);
for (const [name, label] of [
  ['grab', 'key grab (X11 backend) → toggle event'],
  ['edit', 'edit key grab (ctrl+alt+shift+e) → toggle edit event'],
  ['uiohook', 'uiohook listener child → key-down line'],
])
  console.log(
    `  ${label}: median ${q(latencies[name], 0.5).toFixed(1)} ms, p99 ${q(latencies[name], 0.99).toFixed(1)} ms`,
  );
console.log(`  xdotool alone (a no-op command): median ${base.toFixed(1)} ms`);
console.log(
  `  → grab path itself: median ≈ ${(q(latencies.grab, 0.5) - base).toFixed(1)} ms (goal ≤ 20 ms); ` +
    `grab / uiohook medians: ${(q(latencies.grab, 0.5) / q(latencies.uiohook, 0.5)).toFixed(2)}×`,
);
console.log(
  `  → edit chord / dictation chord medians: ${(q(latencies.edit, 0.5) / q(latencies.grab, 0.5)).toFixed(2)}×`,
);
