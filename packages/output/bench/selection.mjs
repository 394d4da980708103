// What reading the selection costs an edit by voice: from the edit key's press to the selected text
// in hand, with the primary selection and with the copy chord, on a real GTK entry under Xvfb.
// Run after a build: `npm run bench:selection` (root) or `npm run bench -w @whis/output`.
//
// The two modes are read in turns in one run (this machine is shared and noisy: the ratio means
// more than either time). Also: what `auto` costs when nothing is selected anywhere (it waits for a
// copy that never comes, `copyWaitMs`).
import { performance } from 'node:perf_hooks';
import { openCopyWindow, openEntry, run, startXvfb } from '@whis/testkit';
import { copyToClipboard, createSelectionSource } from '@whis/output';

const N = Number(process.env.N ?? 40);
const TEXT = 'Grüße: the paragraph the user selected, to be rewritten by voice.';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

async function time(source) {
  const started = performance.now();
  const selection = await source.read();
  const ms = performance.now() - started;
  if (selection.text !== TEXT && selection.text !== '')
    throw new Error(`read ${JSON.stringify(selection.text)}`);
  return { ms, selection };
}

const x = await startXvfb();
try {
  await copyToClipboard("the user's clipboard", { env: x.env });
  const entry = await openEntry(x, { text: TEXT });
  const primary = createSelectionSource({ mode: 'primary', env: x.env });
  const copy = createSelectionSource({ mode: 'copy', env: x.env });
  for (let i = 0; i < 3; i++) {
    await time(primary);
    await time(copy);
  }
  const times = { primary: [], copy: [] };
  for (let i = 0; i < N; i++) {
    // alternate which goes first, so that neither always follows the other
    const order = i % 2 ? ['primary', 'copy'] : ['copy', 'primary'];
    for (const mode of order) {
      const { ms, selection } = await time(mode === 'primary' ? primary : copy);
      if (selection.text !== TEXT)
        throw new Error(`${mode} read ${JSON.stringify(selection.text)}`);
      times[mode].push(ms);
    }
  }
  const back = await run('xclip', ['-selection', 'clipboard', '-o'], { env: x.env });
  await entry.stop();

  console.log(`Press → selection read, a GTK entry under Xvfb, ${N} reads each, interleaved:`);
  for (const mode of ['primary', 'copy'])
    console.log(
      `  ${mode.padEnd(8)} median ${fmt(median(times[mode]))}  p95 ${fmt(p95(times[mode]))}`,
    );
  console.log(
    `  copy / primary: ${(median(times.copy) / median(times.primary)).toFixed(1)}× (median), ${(p95(times.copy) / p95(times.primary)).toFixed(1)}× (p95)`,
  );
  console.log(`  the user's clipboard afterwards: ${JSON.stringify(back.stdout)}`);

  // nothing selected anywhere: auto reads PRIMARY (empty), then waits copyWaitMs for a copy
  await run('xsel', ['--primary', '--clear'], { env: x.env });
  const empty = await openCopyWindow(x);
  const copyWaitMs = 1000;
  const auto = createSelectionSource({ mode: 'auto', env: x.env, copyWaitMs });
  const nothing = [];
  for (let i = 0; i < 5; i++) nothing.push((await time(auto)).ms);
  await empty.stop();
  console.log(
    `  auto, nothing selected: median ${fmt(median(nothing))} (copyWaitMs ${copyWaitMs}: the wait for a copy that never comes)`,
  );
} finally {
  await x.stop();
}
