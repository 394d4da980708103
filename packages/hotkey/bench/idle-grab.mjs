// The X11 key grab's idle memory under Xvfb: a process that holds the dictation key alone
// (`editHotkey none`) and one that holds both keys, each read 5 s after its keys are grabbed, the
// starts interleaved. With BEFORE=<another build of this package's dist, inside the repository so
// that its dependencies resolve> the same for that code, in the same run.
// Usage: npm run build && node bench/idle-grab.mjs   [STARTS=5] [BEFORE=dist-before]
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { startXvfb } from '@whis/testkit';
import { rss } from '../../../scripts/internal/process-tree.mjs';

const STARTS = Number(process.env.STARTS ?? 5);
const holder = new URL('./internal/hold-grab.mjs', import.meta.url).pathname;
const builds = {
  now: new URL('../dist', import.meta.url).pathname,
  ...(process.env.BEFORE ? { before: resolve(process.env.BEFORE) } : {}),
};
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const x = await startXvfb();
try {
  /** Starts a holder, waits until its keys are grabbed and 5 s more, returns its RSS in MB. */
  const idle = async (dist, editHotkey) => {
    const child = spawn(process.execPath, [holder, dist, editHotkey], {
      env: x.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((done) => child.once('exit', done));
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise((done) => lines.on('line', (l) => l === 'ready' && done()));
    await Promise.race([ready, exited.then(() => Promise.reject(new Error('holder exited')))]);
    await sleep(5000);
    const mb = rss(child.pid);
    child.kill('SIGTERM');
    await exited;
    return mb;
  };
  const sides = Object.keys(builds).flatMap((build) => [
    [build, 'none'],
    [build, 'ctrl+alt+shift+e'],
  ]);
  const memory = new Map(sides.map((side) => [side.join(' '), []]));
  for (let i = 0; i < STARTS; i++)
    for (const [build, edit] of i % 2 ? [...sides].reverse() : sides)
      memory.get(`${build} ${edit}`).push(await idle(builds[build], edit));
  console.log(
    `Idle RSS of a process holding the X11 key grab, 5 s after its keys are grabbed, median of ${STARTS} interleaved starts:`,
  );
  for (const [side, values] of memory)
    console.log(
      `  ${side.padEnd(26)} ${median(values).toFixed(1)} MB (${values.map((v) => v.toFixed(1)).join(', ')})`,
    );
  for (const build of Object.keys(builds)) {
    const off = median(memory.get(`${build} none`));
    const on = median(memory.get(`${build} ctrl+alt+shift+e`));
    console.log(`  ${build}: the edit key adds ${(on - off).toFixed(1)} MB`);
  }
} finally {
  await x.stop();
}
