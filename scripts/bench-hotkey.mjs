// The hotkey through the desktop's GlobalShortcuts portal, on a headless KDE Plasma 5.27 session
// (KWin, kglobalaccel, xdg-desktop-portal-kde, the frontend; keys injected through fake-input),
// the virtual microphone and a local API server:
//  0. key press → the trigger's event in-process (the portal path alone)
//  1. toggle and push-to-talk, 10 dictations each (and X11 toggle in the same run, to compare): key press → recording started (at a
//     subscriber) and → first sample captured (the service's capture timing), median and worst;
//     stop (second press, or the release) → the audio up to it in hand
//  2. idle cost over 10 s, the service (all its processes) with the portal backend vs the X11
//     backend (under Xvfb) vs no hotkey: wake-ups per second (voluntary context switches of every
//     thread) and RSS
// Usage: npm run bench:hotkey   (builds first)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectToDaemon } from '@whis/ipc';
import {
  EVDEV_KEYS,
  recognizeUpload,
  startKdeSession,
  startTranscriptionServer,
  startVirtualMicrophone,
  startXvfb,
  synthesize,
  xdotool,
} from '@whis/testkit';

const root = mkdtempSync(join(tmpdir(), 'whis-bench-hotkey-'));
const whisd = new URL('../apps/daemon/dist/main.js', import.meta.url).pathname;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const worst = (a) => Math.max(...a);
const wall = () => performance.timeOrigin + performance.now();
const { ctrl, shift, r } = EVDEV_KEYS;

const kde = await startKdeSession();
const mic = await startVirtualMicrophone();
const server = await startTranscriptionServer((request) => recognizeUpload(request));
const phrase = 'one two three four five';
const wav = join(root, 'phrase.wav');
await synthesize(phrase, wav);

/** A service in a directory of its own; resolves once its hotkey is active (or `hotkeyActive` is not awaited). */
async function startService(name, baseEnv, args, { awaitHotkey = true } = {}) {
  const dir = join(root, name);
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'config', 'whis'), { recursive: true });
  writeFileSync(
    join(dir, 'config', 'whis', 'settings.json'),
    JSON.stringify({ outputs: ['file'] }),
  );
  const env = {
    ...baseEnv,
    PULSE_SERVER: mic.env.PULSE_SERVER,
    OPENAI_BASE_URL: server.baseURL,
    OPENAI_API_KEY: 'sk-bench',
    WHIS_LOG_LEVEL: process.env.WHIS_LOG_LEVEL ?? 'info',
    WHIS_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_STATE_HOME: join(dir, 'state'),
  };
  const child = spawn(process.execPath, [whisd, ...args], { env, stdio: 'ignore' });
  let client;
  for (let i = 0; i < 150 && !client; i++) {
    client = await connectToDaemon(join(dir, 'run', 'whis.sock')).catch(() => undefined);
    if (!client) await sleep(100);
  }
  if (!client) throw new Error(`the ${name} service did not start`);
  if (awaitHotkey) {
    for (let i = 0; !(await client.request('status')).hotkeyActive; i++) {
      if (i > 150) throw new Error(`the ${name} service's hotkey never became active`);
      await sleep(100);
    }
  }
  return {
    pid: child.pid,
    client,
    log: () => join(dir, 'state', 'whis', 'whisd.log'),
    async stop() {
      client.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

// 0. the portal's own share: key press (fake-input into KWin) → trigger event in this process
{
  const { createHotkeyTrigger } = await import('@whis/hotkey');
  const trigger = createHotkeyTrigger({ hotkey: 'ctrl+shift+r', env: kde.env, backend: 'portal' });
  let fired = () => {};
  trigger.onEvent((e) => (e.type === 'available' || e.type === 'toggle') && fired(wall()));
  await new Promise((resolve) => {
    fired = resolve;
    void trigger.start();
  });
  const latencies = [];
  for (let i = 0; i < 20; i++) {
    await kde.keys.down(ctrl, shift);
    const event = new Promise((resolve) => (fired = resolve));
    const press = wall();
    await kde.keys.down(r);
    latencies.push((await event) - press);
    await kde.keys.up(ctrl, shift, r);
    await sleep(100);
  }
  await trigger.stop();
  console.log(
    `0. KDE 5.27 portal: key press → trigger event (KWin, kglobalaccel, portal-kde, the frontend, D-Bus), 20 presses: median ${median(latencies).toFixed(1)} ms, worst ${worst(latencies).toFixed(1)} ms`,
  );
}

// 1. key press → recording started / first sample; stop → audio in hand
const x = await startXvfb();
const KEYS = {
  portal: {
    env: kde.env,
    // the shortcut fires on its last key: the modifiers go down first
    async down() {
      await kde.keys.down(ctrl, shift);
      const at = wall();
      await kde.keys.down(r);
      return at;
    },
    async up() {
      const at = wall();
      await kde.keys.up(ctrl, shift, r);
      return at;
    },
  },
  x11: {
    env: { ...x.env },
    async down() {
      const at = wall();
      await xdotool(x, ['keydown', '--delay', '0', 'ctrl+shift+r']);
      return at;
    },
    async up() {
      const at = wall();
      await xdotool(x, ['keyup', '--delay', '0', 'ctrl+shift+r']);
      return at;
    },
  },
};
const dictations = async (backend, mode) => {
  const keys = KEYS[backend];
  const pushToTalk = mode === 'push-to-talk';
  const service = await startService(`${backend}-${mode}`, keys.env, [
    '--hotkey-backend',
    backend,
    ...(pushToTalk ? ['--push-to-talk'] : []),
  ]);
  await sleep(1000);
  let onEvent = () => {};
  await service.client.subscribe((e) => onEvent(e));
  const rounds = [];
  let whole = 0;
  for (let i = 0; i < 10; i++) {
    const recording = new Promise(
      (resolve) =>
        (onEvent = (e) => e.type === 'state' && e.state === 'recording' && resolve(wall())),
    );
    const press = await keys.down();
    if (!pushToTalk) await keys.up();
    const started = await recording;
    await mic.play(wav);
    // the recording is over when the service is idle again (with a transcript, or without speech)
    let text = '';
    const done = new Promise(
      (resolve) =>
        (onEvent = (e) => {
          if (e.type === 'transcript') text = e.text;
          if (e.type === 'state' && e.state === 'idle') resolve();
        }),
    );
    const stop = pushToTalk ? await keys.up() : await keys.down();
    if (!pushToTalk) await keys.up();
    // a round whose recording ended some other way must not hang the benchmark
    await Promise.race([done, sleep(60_000)]);
    if (text === phrase) whole++;
    rounds.push({ press, started, stop });
    await sleep(500);
  }
  await service.stop();
  const timings = readFileSync(service.log(), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"capture timing"'))
    .map((line) => JSON.parse(line));
  if (timings.length !== rounds.length)
    throw new Error(`expected ${rounds.length} capture timings, found ${timings.length}`);
  return {
    started: rounds.map((x) => x.started - x.press),
    head: timings.map((t, i) => t.firstSampleAt - rounds[i].press),
    open: timings.map((t) => t.firstSampleAt - t.startedAt),
    tail: timings.map((t, i) => t.tailInAt - rounds[i].stop),
    whole,
  };
};
for (const [backend, mode] of [
  ['portal', 'toggle'],
  ['portal', 'push-to-talk'],
  ['x11', 'toggle'],
].filter(([backend, mode]) => !process.env.ONLY || process.env.ONLY === `${backend}-${mode}`)) {
  const d = await dictations(backend, mode);
  const f = (a) => `median ${median(a).toFixed(0)} ms, worst ${worst(a).toFixed(0)} ms`;
  console.log(
    `1. ${backend === 'portal' ? 'KDE 5.27 portal' : 'X11 (xdotool under Xvfb)'}, ${mode}, 10 dictations: key press → recording started ${f(d.started)}; → first sample captured ${f(d.head)} (of which the microphone's opening ${f(d.open)}); the first dictation after start ${d.head[0].toFixed(0)} ms, the tenth ${d.head[9].toFixed(0)} ms; ${mode === 'toggle' ? 'second press' : 'release'} → audio up to it in hand ${f(d.tail)}; every word in ${d.whole}/10`,
  );
}

// 2. idle cost: every process of the service, every thread
function processTree(pid) {
  const children = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
  return [pid, ...children.flatMap(processTree)];
}
function sample(pid) {
  let switches = 0;
  let rss = 0;
  for (const p of processTree(pid)) {
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const status = readFileSync(`/proc/${p}/task/${task}/status`, 'utf8');
        switches += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]);
      }
      rss += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))[1]);
    } catch {
      // the process ended meanwhile
    }
  }
  return { switches, rssMb: rss / 1024 };
}
const idle = async (name, env, args, awaitHotkey = true) => {
  const service = await startService(`idle-${name}`, env, args, { awaitHotkey });
  await sleep(3000);
  const before = sample(service.pid);
  await sleep(10_000);
  const after = sample(service.pid);
  await service.stop();
  return { wakeups: (after.switches - before.switches) / 10, rssMb: after.rssMb };
};
if (!process.env.ONLY) {
  const results = {
    portal: await idle('portal', kde.env, []),
    x11: await idle('x11', { ...x.env, ...mic.env }, ['--hotkey-backend', 'x11']),
    none: await idle('none', { ...x.env, ...mic.env }, ['--no-hotkey'], false),
  };
  for (const [name, r] of Object.entries(results))
    console.log(
      `2. idle 10 s, ${name === 'none' ? 'no hotkey' : `${name} backend`}: ${r.wakeups.toFixed(1)} wake-ups/s, RSS ${r.rssMb.toFixed(0)} MB (all processes)`,
    );
  console.log(
    `   portal vs X11: RSS ${(results.portal.rssMb / results.x11.rssMb).toFixed(2)}×, wake-ups ${results.portal.wakeups.toFixed(1)} vs ${results.x11.wakeups.toFixed(1)} per second`,
  );
}
await x.stop();
await server.close();
await mic.stop();
await kde.stop();
if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
