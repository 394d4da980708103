// GNOME for real: a headless GNOME 48 (Debian 13 tree, scripts/gnome48-root.sh) and the host's
// GNOME 43, keys injected through mutter's own RemoteDesktop API, the virtual microphone and a local
// API server:
//  1. key press → recording started (at a subscriber) and → first sample captured (the service's
//     capture timing), 10 dictations each, the first after start included, median and worst:
//     GNOME 48 through the GlobalShortcuts portal; GNOME 43 through the custom shortcut
//     gnome-settings-daemon runs (`whis toggle`, a new process per press)
//  2. GNOME 48 typing: the first RemoteDesktop Start of a process without a restore token (the
//     dialog, answered by this script as a person would: Alt+I, Alt+S, 0.3 s apart) and with one
//     (no dialog), 5 processes
//  3. the wall time of the three GNOME test files, each alone (SKIP_TESTS=1 leaves it out, ONLY=tests
//     runs it alone)
// Usage: npm run bench:gnome   (builds first; as root the first run builds the GNOME 48 tree)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectToDaemon } from '@whis/ipc';
import {
  gnome48Root,
  KEYSYMS,
  recognizeUpload,
  startGnomeSession,
  startTranscriptionServer,
  startVirtualMicrophone,
  synthesize,
} from '@whis/testkit';

const root = mkdtempSync(join(tmpdir(), 'whis-bench-gnome-'));
const repo = new URL('..', import.meta.url).pathname;
const whisd = join(repo, 'apps/daemon/dist/main.js');
const cli = join(repo, 'apps/cli/bin/whis.cjs');
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const worst = (a) => Math.max(...a);
const f = (a) => `median ${median(a).toFixed(0)} ms, worst ${worst(a).toFixed(0)} ms`;
const wall = () => performance.timeOrigin + performance.now();
const { ctrl, shift, alt, r, a, i: I, s: S } = KEYSYMS;

const mic = await startVirtualMicrophone();
const server = await startTranscriptionServer((request) => recognizeUpload(request));
const phrase = 'one two three four five';
const wav = join(root, 'phrase.wav');
await synthesize(phrase, wav);

/** A service in a directory of its own; `dirs` overrides the XDG folders (the desktop's). */
function startService(name, baseEnv, args, dirs = {}) {
  const dir = join(root, name);
  mkdirSync(join(dir, 'config', 'whis'), { recursive: true });
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
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
    WHIS_PROGRAM: cli,
    WHIS_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_STATE_HOME: join(dir, 'state'),
    ...dirs,
  };
  const child = spawn(process.execPath, [whisd, ...args], { env, stdio: 'ignore' });
  const socket = join(env.WHIS_RUNTIME_DIR, 'whis.sock');
  return {
    child,
    async connect() {
      for (let n = 0; n < 150; n++) {
        const client = await connectToDaemon(socket).catch(() => undefined);
        if (client) return client;
        await sleep(100);
      }
      throw new Error(`the ${name} service did not start`);
    },
    log: () => join(dir, 'state', 'whis', 'whisd.log'),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** 10 toggled dictations: press → recording at a subscriber, and → first sample captured. */
async function dictations(service, client, press) {
  let onEvent = () => undefined;
  await client.subscribe((e) => onEvent(e));
  const rounds = [];
  for (let n = 0; n < 10; n++) {
    const recording = new Promise(
      (resolve) =>
        (onEvent = (e) => e.type === 'state' && e.state === 'recording' && resolve(wall())),
    );
    const pressed = await press();
    const started = await recording;
    await mic.play(wav);
    const idle = new Promise(
      (resolve) => (onEvent = (e) => e.type === 'state' && e.state === 'idle' && resolve()),
    );
    await press();
    await Promise.race([idle, sleep(60_000)]);
    rounds.push({ pressed, started });
    await sleep(500);
  }
  client.close();
  await service.stop();
  const timings = readFileSync(service.log(), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"capture timing"'))
    .map((line) => JSON.parse(line));
  if (timings.length !== rounds.length)
    throw new Error(`expected ${rounds.length} capture timings, found ${timings.length}`);
  return {
    started: rounds.map((x) => x.started - x.pressed),
    head: timings.map((t, n) => t.firstSampleAt - rounds[n].pressed),
  };
}

// the shortcut fires on its last key: the modifiers go down first
const chord = (gnome) => async () => {
  await gnome.keys.down(ctrl, shift);
  const at = wall();
  await gnome.keys.down(r);
  await gnome.keys.up(ctrl, shift, r);
  return at;
};

// 1 and 2: GNOME 48 (ONLY=tests: only 3)
if (process.env.ONLY !== 'tests') {
  const gnome = await startGnomeSession({ root: await gnome48Root() });
  try {
    // the desktop checks that the program of whis's desktop entry exists in its own tree
    await gnome.mirrorFile(cli);
    const service = startService('gnome48', gnome.env, [], {
      XDG_DATA_HOME: gnome.env.XDG_DATA_HOME,
    });
    const client = await service.connect();
    await gnome.answerDialog(/^Add Keyboard Shortcuts$/, [[alt, a]]);
    while (!(await client.request('status')).hotkeyActive) await sleep(100);
    const d = await dictations(service, client, chord(gnome));
    console.log(
      `1. GNOME 48 GlobalShortcuts portal, toggle, 10 dictations: key press → recording started ${f(d.started)}; → first sample captured ${f(d.head)}; the first after start ${d.head[0].toFixed(0)} ms`,
    );

    const { createTypeOutput, closeRemoteDesktops } = await import('@whis/output');
    const window = await gnome.openTextWindow();
    const env = { ...gnome.env, XDG_STATE_HOME: join(root, 'typing-state') };
    const starts = [];
    for (let n = 0; n < 6; n++) {
      let ms;
      const output = createTypeOutput({
        env,
        onNotice: (message, details) =>
          message === 'desktop portal session started' && (ms = details.ms),
      });
      const t0 = wall();
      const delivered = output.deliver('abc ');
      if (n === 0)
        await gnome.answerDialog(/^Remote Desktop$/, [
          [alt, I],
          [alt, S],
        ]);
      await delivered;
      const total = wall() - t0;
      starts.push({ ms, total });
      await output.settled();
      // a new process: its RemoteDesktop opens a new session (with the token saved above)
      await closeRemoteDesktops();
    }
    await window.close();
    const restored = starts.slice(1);
    console.log(
      `2. GNOME 48 typing, the first Start of a process: without a restore token ${starts[0].ms} ms (the dialog, answered 0.3 s after it had focus, Alt+I, 0.3 s, Alt+S), first text typed ${starts[0].total.toFixed(0)} ms; with the token (5 processes, no dialog): Start ${f(restored.map((x) => x.ms))} (both include the 200 ms whis waits after Start for the desktop to take the layout), first text typed ${f(restored.map((x) => x.total))}`,
    );
  } finally {
    await gnome.stop();
  }
}

// 1: GNOME 43, the custom shortcut gnome-settings-daemon runs
if (process.env.ONLY !== 'tests') {
  const gnome = await startGnomeSession();
  try {
    await gnome.startMediaKeys();
    const schema = 'org.gnome.settings-daemon.plugins.media-keys';
    const path = '/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/whis/';
    // what `whis setup` writes there (see apps/cli/src/gnome-shortcut.ts)
    await gnome.gsettings('set', schema, 'custom-keybindings', `['${path}']`);
    const entry = `${schema}.custom-keybinding:${path}`;
    await gnome.gsettings('set', entry, 'name', 'whis');
    await gnome.gsettings('set', entry, 'command', `${process.execPath} ${cli} toggle`);
    await gnome.gsettings('set', entry, 'binding', '<Control><Shift>r');
    // the service's socket where the `whis toggle` GNOME runs looks: the desktop's runtime folder
    const service = startService('gnome43', gnome.env, [], {
      WHIS_RUNTIME_DIR: gnome.env.XDG_RUNTIME_DIR,
    });
    const client = await service.connect();
    const d = await dictations(service, client, chord(gnome));
    console.log(
      `1. GNOME 43 custom shortcut (gsd-media-keys runs whis toggle), 10 dictations: key press → recording started ${f(d.started)}; → first sample captured ${f(d.head)}; the first after start ${d.head[0].toFixed(0)} ms`,
    );
  } finally {
    await gnome.stop();
  }
}

await server.close();
await mic.stop();

// 3: what the GNOME suites add to the test run
if (!process.env.SKIP_TESTS) {
  const files = [
    ['packages/hotkey', 'src/portal-gnome.test.ts'],
    ['apps/cli', 'src/gnome43.test.ts'],
    ['apps/cli', 'src/gnome48.test.ts'],
  ];
  const times = [];
  for (const [dir, file] of files) {
    const t0 = wall();
    let out = '';
    const child = spawn('npx', ['vitest', 'run', file], { cwd: join(repo, dir), stdio: 'pipe' });
    child.stdout.on('data', (d) => (out = (out + d).slice(-4000)));
    child.stderr.on('data', (d) => (out = (out + d).slice(-4000)));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    times.push((wall() - t0) / 1000);
    console.log(`3. ${dir}/${file}: ${times.at(-1).toFixed(1)} s${code === 0 ? '' : ' (FAILED)'}`);
    if (code !== 0) console.log(out);
  }
  console.log(`3. the three GNOME test files: ${times.reduce((x, y) => x + y, 0).toFixed(1)} s`);
}
if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
