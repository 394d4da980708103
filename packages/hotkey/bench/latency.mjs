// Key press (xdotool, under Xvfb) → trigger event latency, median and p99.
// Usage: npm run bench:hotkey  (from the repository root)
import { startXvfb, xdotool } from '@whis/testkit';
import { createHotkeyTrigger } from '../dist/index.js';

const PRESSES = Number(process.env.PRESSES ?? 100);
const x = await startXvfb();
const trigger = createHotkeyTrigger({ hotkey: 'ctrl+shift+r', env: x.env });
let resolveNext;
trigger.onEvent((e) => {
  if (e.type === 'available' || e.type === 'toggle') resolveNext?.(process.hrtime.bigint());
});
const ready = new Promise((r) => (resolveNext = r));
await trigger.start();
await ready;

const latencies = [];
for (let i = 0; i < PRESSES; i++) {
  const fired = new Promise((r) => (resolveNext = r));
  const sent = process.hrtime.bigint();
  // xdotool's own start-up is part of every sample; measure it alone to subtract it
  await xdotool(x, ['key', '--delay', '0', 'ctrl+shift+r']);
  const at = await fired;
  latencies.push(Number(at - sent) / 1e6);
}
const baseline = [];
for (let i = 0; i < 20; i++) {
  const t = process.hrtime.bigint();
  await xdotool(x, ['getmouselocation']);
  baseline.push(Number(process.hrtime.bigint() - t) / 1e6);
}
await trigger.stop();
await x.stop();

const q = (a, p) => [...a].sort((m, n) => m - n)[Math.min(a.length - 1, Math.floor(p * a.length))];
const base = q(baseline, 0.5);
console.log(`key press → toggle event, ${PRESSES} presses (includes spawning xdotool):`);
console.log(`  median ${q(latencies, 0.5).toFixed(1)} ms, p99 ${q(latencies, 0.99).toFixed(1)} ms`);
console.log(`  xdotool alone (a no-op command): median ${base.toFixed(1)} ms`);
console.log(
  `  → hotkey path itself: median ≈ ${(q(latencies, 0.5) - base).toFixed(1)} ms (goal ≤ 20 ms)`,
);
