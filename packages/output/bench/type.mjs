// What typing text with characters off the keyboard layout costs on X11, two ways in one run, into
// a real xterm under Xvfb: whis's type output (the keys the layout lacks bound to spare keycodes
// first, then one xdotool call at 2 ms a key), and xdotool binding each such key itself (runs of
// them at 40 ms a key, one call per run: what whis did before, and still does when binding fails).
// Run after a build: `npm run bench:type` (root) or `npm run bench:type -w @whis/output`.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { openXterm, startXvfb } from '@whis/testkit';
import { createTypeOutput, KEYBOARDS } from '@whis/output';

const N = Number(process.env.N ?? 10);
const TEXTS = {
  'German, 4 off the layout': 'Grüße aus Köln, wir sehen uns übermorgen im Café.',
  'mixed, 12 off the layout': 'Grüße aus Köln, naïve café, 東京, señor Dvořák, €5.',
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;

function runCommand({ command, args, input }, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${code}`)),
    );
    child.stdin.end(input ?? '');
  });
}

const x = await startXvfb();
try {
  const output = createTypeOutput({ env: x.env });
  const ways = {
    'whis (keys bound first)': (text) => output.deliver(text),
    'xdotool binding each': async (text) => {
      for (const cmd of KEYBOARDS.xdotool.type(text, false)) await runCommand(cmd, x.env);
    },
  };
  console.log(`Typing into xterm under Xvfb, ${N} times each way, interleaved (median):`);
  for (const [name, text] of Object.entries(TEXTS)) {
    const times = Object.fromEntries(Object.keys(ways).map((w) => [w, []]));
    const term = await openXterm(x);
    try {
      for (let i = 0; i < N; i++) {
        const order = i % 2 ? Object.keys(ways) : Object.keys(ways).reverse();
        for (const way of order) {
          const started = performance.now();
          await ways[way](text);
          times[way].push(performance.now() - started);
        }
      }
      const typed = await term.finish();
      const expected = text.repeat(2 * N);
      if (typed.trim() !== expected)
        console.log(
          `  (the terminal did not receive every character: ${typed.length - 1} of ${expected.length})`,
        );
    } finally {
      await term.stop();
    }
    const [a, b] = Object.keys(ways);
    console.log(`  ${name} (${[...text].length} characters)`);
    for (const way of [a, b]) console.log(`    ${way.padEnd(26)} ${fmt(median(times[way]))}`);
    console.log(`    ${b} / ${a}: ${(median(times[b]) / median(times[a])).toFixed(2)}×`);
  }
  await output.settled();
} finally {
  await x.stop();
}
