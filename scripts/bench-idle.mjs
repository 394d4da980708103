// The idle service's memory, interleaved so that a noisy machine moves every side alike: for each
// round, a bare Node `net` server on a Unix socket, this build's whisd (`--no-hotkey`) and a
// foreground `whis listen --no-hotkey` (every process it runs), each idle 10 s after start; with
// BASE=<another built checkout of whis> the same two from that build in the same rounds (an A/B).
// Prints the median RSS of each side and the ratios (goal: the daemon ≤ 1.5× the bare server).
// Usage: npm run bench:idle   [BASE=../whis-before] [ROUNDS=4]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { rss, treeRss } from './internal/process-tree.mjs';

const root = mkdtempSync(join(tmpdir(), 'whis-bench-idle-'));
const here = resolve(new URL('..', import.meta.url).pathname);
const builds = { this: here, ...(process.env.BASE ? { base: resolve(process.env.BASE) } : {}) };
const rounds = Number(process.env.ROUNDS ?? 4);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

let n = 0;
function sandbox() {
  const dir = join(root, String(n++));
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  return {
    ...process.env,
    WHIS_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_STATE_HOME: join(dir, 'state'),
    OPENAI_API_KEY: 'sk-bench',
  };
}

/** Starts `args`, waits until it is idle 10 s after it is up, returns its (tree's) RSS in MB. */
async function idleRss(args, { tree = false, ready } = {}) {
  const child = spawn(process.execPath, args, {
    env: sandbox(),
    stdio: ['ignore', ready ? 'pipe' : 'ignore', 'ignore'],
  });
  if (ready) await new Promise((done) => child.stdout.on('data', (d) => ready.test(d) && done()));
  else await sleep(1000);
  await sleep(10_000);
  const mb = tree ? treeRss(child.pid) : rss(child.pid);
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  return mb;
}

const results = {};
const note = (name, mb) => (results[name] ??= []).push(mb);
for (let round = 0; round < rounds; round++) {
  note(
    'bare',
    await idleRss([
      '-e',
      `require('net').createServer(() => {}).listen(${JSON.stringify(join(root, `bare-${round}.sock`))})`,
    ]),
  );
  // alternate which build goes first, so neither always runs on a machine warmed by the other
  const order = round % 2 ? Object.entries(builds).reverse() : Object.entries(builds);
  for (const [name, dir] of order) {
    note(`${name} whisd`, await idleRss([join(dir, 'apps/daemon/dist/main.js'), '--no-hotkey']));
    note(
      `${name} listen`,
      await idleRss([join(dir, 'apps/cli/bin/whis.cjs'), 'listen', '--no-hotkey'], {
        tree: true,
        ready: /Listening/,
      }),
    );
  }
}
rmSync(root, { recursive: true, force: true });

const bare = median(results.bare);
console.log(`idle 10 s after start, median of ${rounds} interleaved rounds:`);
console.log(
  `  bare net server ${bare.toFixed(1)} MB (${results.bare.map((x) => x.toFixed(1)).join(', ')})`,
);
for (const [name, samples] of Object.entries(results)) {
  if (name === 'bare') continue;
  console.log(
    `  ${name.padEnd(12)} ${median(samples).toFixed(1)} MB → ${(median(samples) / bare).toFixed(2)}× bare (${samples.map((x) => x.toFixed(1)).join(', ')})`,
  );
}
if (builds.base)
  for (const part of ['whisd', 'listen'])
    console.log(
      `  this vs base, ${part}: ${(median(results[`this ${part}`]) / median(results[`base ${part}`])).toFixed(3)}×`,
    );
