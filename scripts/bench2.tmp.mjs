// Product benchmarks, each comparison measured in one run:
//  1. `whis status` against a running daemon vs `node -e 0` (interleaved; goal ≤ 1.25×)
//  2. an idle daemon over 10 s: context switches per second (goal ≤ 1) and RSS vs a bare Node
//     `net` server (goal ≤ 1.5×)
//  2b. a foreground `whis listen` (all its processes) idle 10 s after start vs the same bare server
//  3. finish → first byte of the upload at the API server, 10-minute vs 5-second recording
//     (goal: ratio ≤ 1.1)
//  5. stop → text on the clipboard after a 90 s vs a 6 s dictation (goal ≤ 1.5×), and uploads
//     per minute of speech
//  4. under Xvfb with the virtual microphone and a local API server that transcribes with
//     pocketsphinx: hotkey press → recording started, and stop hotkey → text on the clipboard
//  6. the edges of a recording, 10 dictations that start as the hotkey goes down and stop the
//     moment they end, microphone opened per recording vs kept open: hotkey press → first sample
//     captured, stop key → the audio up to it in hand (median and worst), and words lost
//  7. transcript ready → text in a real window (xterm in raw mode, under Xvfb): typed (per 100
//     characters) vs pasted, and how long after the paste chord the window takes the text (the
//     clipboard restore must wait longer than that)
//  8. live text (mode realtime, against the test kit's Realtime server) vs file mode, the same
//     dictation of 10 phrases with pauses on the virtual microphone: end of a phrase → its text at
//     a subscriber (median and worst), and stop → final text in both modes
// Usage: npm run bench   (builds first)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPcmSource } from '@whis/audio';
import { createPasteOutput, createTypeOutput } from '@whis/output';
import { connectToDaemon } from '@whis/ipc';
import { createJournal, createServiceHost } from '@whis/service-core';
import { createTranscriber } from '@whis/transcribe';
import {
  openXterm,
  recognizeUpload,
  run,
  startTranscriptionServer,
  startVirtualMicrophone,
  startXvfb,
  synthesize,
  xdotool,
} from '@whis/testkit';

const root = mkdtempSync(join(tmpdir(), 'whis-bench-'));
const runtime = join(root, 'run');
mkdirSync(runtime, { mode: 0o700 });
const env = {
  ...process.env,
  WHIS_RUNTIME_DIR: runtime,
  XDG_CONFIG_HOME: join(root, 'config'),
  XDG_DATA_HOME: join(root, 'data'),
  XDG_STATE_HOME: join(root, 'state'),
  OPENAI_API_KEY: 'sk-bench',
};
const cli = new URL('../apps/cli/bin/whis.cjs', import.meta.url).pathname;
const whisd = new URL('../apps/daemon/dist/main.js', import.meta.url).pathname;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

function time(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 && args[0] !== '-e') throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

// the daemon, socket-only
const daemon = spawn(process.execPath, [whisd, '--no-hotkey'], { env, stdio: 'ignore' });
for (let i = 0; i < 100; i++) {
  try {
    (await connectToDaemon(join(runtime, 'whis.sock'))).close();
    break;
  } catch {
    await sleep(100);
  }
}

// 2. idle daemon vs a bare net server
const bare = spawn(
  process.execPath,
  [
    '-e',
    `require('net').createServer(() => {}).listen(${JSON.stringify(join(root, 'bare.sock'))})`,
  ],
  { stdio: 'ignore' },
);
// let the start-up and the status runs above settle (V8 finishes background GC and compilation)
await sleep(5000);
function switches(pid) {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    total +=
      Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(text)[1]) +
      Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(text)[1]);
  }
  return total;
}
const rss = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const before = { whis: switches(daemon.pid), bare: switches(bare.pid) };
await sleep(10_000);
const after = { whis: switches(daemon.pid), bare: switches(bare.pid) };
console.log(
  `2. idle 10 s: whisd ${((after.whis - before.whis) / 10).toFixed(1)} context switches/s (bare net server ${((after.bare - before.bare) / 10).toFixed(1)}); ` +
    `RSS whisd ${rss(daemon.pid).toFixed(1)} MB vs bare ${rss(bare.pid).toFixed(1)} MB → ${(rss(daemon.pid) / rss(bare.pid)).toFixed(2)}×`,
);
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));

// 2b. the foreground service as a user starts it (`whis listen`), every process it runs counted,
// idle 10 s after start, against the same bare server
function treeRss(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) pids.push(...(children.get(pids[i]) ?? []));
  return { count: pids.length, mb: pids.reduce((sum, p) => sum + rss(p), 0) };
}
const foreground = spawn(process.execPath, [cli, 'listen', '--no-hotkey'], {
  env,
  stdio: ['ignore', 'pipe', 'ignore'],
});
await new Promise((resolve) =>
  foreground.stdout.on('data', (d) => /Listening/.test(d) && resolve()),
);
await sleep(10_000);
const tree = treeRss(foreground.pid);
console.log(
  `2b. foreground \`whis listen\` idle 10 s after start: ${tree.count} process(es), RSS ${tree.mb.toFixed(1)} MB vs bare ${rss(bare.pid).toFixed(1)} MB → ${(tree.mb / rss(bare.pid)).toFixed(2)}× (goal ≤ 1.5×)`,
);
foreground.kill('SIGINT');
await new Promise((r) => foreground.once('exit', r));
bare.kill();


rmSync(root, { recursive: true, force: true });
process.exit(0);
