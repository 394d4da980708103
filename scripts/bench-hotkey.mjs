// The hotkey through the desktop's GlobalShortcuts portal, on a headless KDE Plasma 5.27 session
// (KWin, kglobalaccel, xdg-desktop-portal-kde, the frontend; keys injected through fake-input),
// the virtual microphone and a local API server:
//  1. toggle and push-to-talk, 10 dictations each: key press → recording started (at a
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

// 1. key press → recording started / first sample; stop → audio in hand
const dictations = async (mode) => {
  const pushToTalk = mode === 'push-to-talk';
  const service = await startService(mode, kde.env, pushToTalk ? ['--push-to-talk'] : []);
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
    // the shortcut fires on its last key: the modifiers go down first
    await kde.keys.down(ctrl, shift);
    const press = wall();
    await kde.keys.down(r);
    if (!pushToTalk) await kde.keys.up(ctrl, shift, r);
    const started = await recording;
    await mic.play(wav);
    const transcript = new Promise(
      (resolve) => (onEvent = (e) => e.type === 'transcript' && resolve(e)),
    );
    if (!pushToTalk) await kde.keys.down(ctrl, shift);
    const stop = wall();
    if (pushToTalk) await kde.keys.up(ctrl, shift, r);
    else await kde.keys.tap(r).then(() => kde.keys.up(ctrl, shift));
    const { text } = await transcript;
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
    tail: timings.map((t, i) => t.tailInAt - rounds[i].stop),
    whole,
  };
};
for (const mode of ['toggle', 'push-to-talk']) {
  const d = await dictations(mode);
  const f = (a) => `median ${median(a).toFixed(0)} ms, worst ${worst(a).toFixed(0)} ms`;
  console.log(
    `1. KDE 5.27 portal, ${mode}, 10 dictations: key press → recording started ${f(d.started)}; → first sample captured ${f(d.head)}; ${mode === 'toggle' ? 'second press' : 'release'} → audio up to it in hand ${f(d.tail)}; every word in ${d.whole}/10`,
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
const x = await startXvfb();
const results = {
  portal: await idle('portal', kde.env, []),
  x11: await idle('x11', { ...x.env, ...mic.env }, ['--hotkey-backend', 'x11']),
  none: await idle('none', { ...x.env, ...mic.env }, ['--no-hotkey'], false),
};
await x.stop();
for (const [name, r] of Object.entries(results))
  console.log(
    `2. idle 10 s, ${name === 'none' ? 'no hotkey' : `${name} backend`}: ${r.wakeups.toFixed(1)} wake-ups/s, RSS ${r.rssMb.toFixed(0)} MB (all processes)`,
  );
console.log(
  `   portal vs X11: RSS ${(results.portal.rssMb / results.x11.rssMb).toFixed(2)}×, wake-ups ${results.portal.wakeups.toFixed(1)} vs ${results.x11.wakeups.toFixed(1)} per second`,
);

await server.close();
await mic.stop();
await kde.stop();
rmSync(root, { recursive: true, force: true });
