// The offline engine in the real service, each comparison in one run:
//  1. the idle service's RSS in `mode local` (model installed, not loaded) vs `mode file`,
//     interleaved rounds, 10 s idle after start (goal: the same)
//  2. stop → text, 6 s vs 90 s dictation in `mode local` (goal ≤ 1.5×, as in file mode), with the
//     Parakeet 0.6B-sized stand-in (random int8 weights, ~580 MB, generated here and deleted after):
//     its speed is indicative only, its text is noise (no real model can be downloaded here)
//  3. `whis toggle` → first sample captured, 10 dictations, `mode local` (the model loading in the
//     background as each first recording starts) vs `mode file`
// Usage: npm run bench:local-service   (builds first)   [SKIP_STANDIN=1: the 1 KB generated model]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { wavFile } from '@whis/contracts';
import { connectToDaemon } from '@whis/ipc';
import {
  burstsPcm,
  startTranscriptionServer,
  startVirtualMicrophone,
  writeTinyParakeet,
} from '@whis/testkit';
import { writeStandIn } from '../packages/local/bench/standin.mjs';

const root = mkdtempSync(join(tmpdir(), 'whis-bench-local-'));
const cli = new URL('../apps/cli/bin/whis.cjs', import.meta.url).pathname;
const whisd = new URL('../apps/daemon/dist/main.js', import.meta.url).pathname;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const worst = (a) => Math.max(...a);
const rss = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

const mic = await startVirtualMicrophone();
// mode file's endpoint: answers at once, so that only whis's own time is measured
const server = await startTranscriptionServer(() => ({
  status: 200,
  body: JSON.stringify({ text: 'words' }),
}));
let n = 0;
/** A whis home with `settings`; the model folder `model` (if any) added as `bench`. */
async function home(settings, model) {
  const dir = join(root, `home-${n++}`);
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'config', 'whis'), { recursive: true });
  writeFileSync(join(dir, 'config', 'whis', 'settings.json'), JSON.stringify(settings));
  const env = {
    ...process.env,
    ...mic.env,
    WHIS_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_STATE_HOME: join(dir, 'state'),
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: server.baseURL,
  };
  if (model) {
    const added = await run([cli, 'model', 'add', model, '--name', 'bench'], env);
    if (added.code !== 0) throw new Error(`whis model add: ${added.out}`);
  }
  return { dir, env };
}
function run(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}
async function service({ env, dir }) {
  const child = spawn(process.execPath, [whisd, '--no-hotkey'], { env, stdio: 'ignore' });
  let client;
  for (let i = 0; i < 150 && !client; i++) {
    client = await connectToDaemon(join(dir, 'run', 'whis.sock')).catch(() => undefined);
    if (!client) await sleep(100);
  }
  if (!client) throw new Error('the service did not start');
  return {
    child,
    client,
    log: () => readFileSync(join(dir, 'state', 'whis', 'whisd.log'), 'utf8'),
    async stop() {
      client.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
const wav = (seconds, name) => {
  // bursts of 0.4 s every second: what the generated model hears as words
  const path = join(root, name);
  const pcm = burstsPcm(Math.round(seconds), { burstMs: 400, gapMs: 600 });
  writeFileSync(
    path,
    wavFile(
      Int16Array.from(pcm, (v) => Math.round(v * 32767)),
      16_000,
    ),
  );
  return path;
};

const tiny = await writeTinyParakeet(join(root, 'tiny'));
const local = { mode: 'local', localModel: 'bench', speechDetection: false, outputs: ['file'] };
const file = { mode: 'file', speechDetection: false, outputs: ['file'] };

// 1. idle RSS
{
  const results = { local: [], file: [] };
  for (let round = 0; round < 3; round++) {
    for (const [name, settings] of round % 2
      ? [
          ['file', file],
          ['local', local],
        ]
      : [
          ['local', local],
          ['file', file],
        ]) {
      const s = await service(await home(settings, name === 'local' ? tiny.dir : undefined));
      await sleep(10_000);
      results[name].push(rss(s.child.pid));
      await s.stop();
    }
  }
  console.log(
    `1. idle 10 s after start, median of 3 interleaved: mode local ${median(results.local).toFixed(1)} MB (model not loaded) vs mode file ${median(results.file).toFixed(1)} MB → ${(median(results.local) / median(results.file)).toFixed(3)}×`,
  );
}

// 2. stop → text, 6 s vs 90 s, with the stand-in (or the tiny model)
{
  let model = tiny.dir;
  let label = 'the 1 KB generated model';
  if (!process.env.SKIP_STANDIN) {
    const started = performance.now();
    await writeStandIn(join(root, 'standin'));
    model = join(root, 'standin');
    label = `the 0.6B-sized stand-in (generated in ${((performance.now() - started) / 1000).toFixed(0)} s)`;
  }
  const h = await home({ ...local, localIdleMinutes: 0 }, model);
  const s = await service(h);
  const short = wav(6, 'six.wav');
  const long = wav(90, 'ninety.wav');
  let onEvent = () => {};
  await s.client.subscribe((e) => onEvent(e));
  const dictate = async (path) => {
    await s.client.request('start');
    await mic.play(path);
    const text = new Promise((resolve) => (onEvent = (e) => e.type === 'transcript' && resolve()));
    const stop = performance.now();
    await s.client.request('finish');
    await text;
    return performance.now() - stop;
  };
  await dictate(short); // the model loads
  const pairs = [];
  for (let i = 0; i < 3; i++) pairs.push([await dictate(short), await dictate(long)]);
  await s.stop();
  const shortMs = pairs.map((p) => p[0]);
  const longMs = pairs.map((p) => p[1]);
  const ratios = pairs.map(([a, b]) => b / a);
  console.log(
    `2. stop → text, mode local with ${label}: 6 s dictation median ${median(shortMs).toFixed(0)} ms, 90 s median ${median(longMs).toFixed(0)} ms; 90 s / 6 s per pair: ${ratios.map((r) => r.toFixed(2)).join(', ')} (goal ≤ 1.5×)`,
  );
}

// 3. toggle → first sample, local vs file
{
  const clip = wav(2, 'two.wav');
  const results = {};
  for (const [name, settings] of [
    ['local', { ...local, localIdleMinutes: 10 }],
    ['file', file],
  ]) {
    const s = await service(await home(settings, name === 'local' ? tiny.dir : undefined));
    await sleep(1000);
    const requested = [];
    let onEvent = () => {};
    await s.client.subscribe((e) => onEvent(e));
    for (let i = 0; i < 10; i++) {
      requested.push(performance.timeOrigin + performance.now());
      await s.client.request('start');
      await mic.play(clip);
      const idle = new Promise(
        (resolve) => (onEvent = (e) => e.type === 'state' && e.state === 'idle' && resolve()),
      );
      await s.client.request('finish');
      await idle;
      await sleep(300);
    }
    const timings = s
      .log()
      .split('\n')
      .filter((line) => line.includes('"capture timing"'))
      .map((line) => JSON.parse(line));
    await s.stop();
    results[name] = timings.map((t, i) => t.firstSampleAt - requested[i]);
  }
  const f = (a) =>
    `median ${median(a).toFixed(0)} ms, worst ${worst(a).toFixed(0)} ms, first ${a[0].toFixed(0)} ms`;
  console.log(
    `3. whis toggle → first sample captured, 10 dictations: mode local ${f(results.local)}; mode file ${f(results.file)}`,
  );
}

await server.close();
await mic.stop();
rmSync(root, { recursive: true, force: true });
