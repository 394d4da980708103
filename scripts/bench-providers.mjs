// The providers' figures. 1) Stop → text: a 1.5 s spoken phrase (flite, 16 kHz mono MP3) uploaded
// by each provider's transcriber to a local server of its API that answers at once, so that what is
// measured is whis and the SDK (the first upload loads the SDK: cold; then warm, the median); then
// the same against the servers that recognise with pocketsphinx. 2) The idle service's memory with
// each provider chosen: whisd (`--no-hotkey`), idle 10 s after start, interleaved rounds.
// Usage: npm run bench:providers   [ROUNDS=3] [UPLOADS=10]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const here = resolve(new URL('..', import.meta.url).pathname);
const rounds = Number(process.env.ROUNDS ?? 3);
const uploads = Number(process.env.UPLOADS ?? 10);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const root = mkdtempSync(join(tmpdir(), 'whis-bench-providers-'));

const testkit = await import(join(here, 'packages/testkit/dist/index.js'));
const { fileEngine } = await import(join(here, 'packages/service/dist/catalogue/engines.js'));

const wav = join(root, 'phrase.wav');
const mp3 = join(root, 'phrase.mp3');
await testkit.synthesize('hello world', wav);
await testkit.runChecked('ffmpeg', [
  '-v',
  'error',
  '-y',
  '-i',
  wav,
  '-ac',
  '1',
  '-ar',
  '16000',
  mp3,
]);
const chunk = { path: mp3, mimeType: 'audio/mpeg', startMs: 0, durationMs: 1500, bytes: 1 };

const instant = {
  openai: () => ({ status: 200, body: JSON.stringify({ text: 'hello world' }) }),
  deepgram: () => ({
    status: 200,
    body: JSON.stringify({
      results: { channels: [{ alternatives: [{ transcript: 'hello world' }] }] },
    }),
  }),
  elevenlabs: () => ({
    status: 200,
    body: JSON.stringify({
      language_code: 'eng',
      language_probability: 1,
      text: 'hello world',
      words: [],
    }),
  }),
};
const servers = {
  openai: (handler) => testkit.startTranscriptionServer(handler),
  deepgram: (handler) => testkit.startDeepgramServer(handler),
  elevenlabs: (handler) => testkit.startElevenLabsServer(handler),
};
const settingsFor = (provider, baseURL) => ({
  provider,
  apiKey: 'k',
  deepgramApiKey: 'k',
  elevenlabsApiKey: 'k',
  baseURL,
  uploadTimeoutScale: 6,
});

console.log('stop → text, one 1.5 s segment (ms):');
for (const provider of Object.keys(servers)) {
  for (const [label, handler] of [
    ['instant', instant[provider]],
    ['pocketsphinx', undefined],
  ]) {
    const server = await servers[provider](handler);
    const { transcriber } = fileEngine(settingsFor(provider, server.baseURL), {});
    const times = [];
    const count = label === 'instant' ? uploads + 1 : 4;
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const { text } = await transcriber.transcribe([chunk]);
      times.push(performance.now() - started);
      if (text !== 'hello world') throw new Error(`${provider}: heard "${text}"`);
    }
    await server.close();
    const [cold, ...warm] = times;
    console.log(
      `  ${provider.padEnd(10)} ${label.padEnd(12)} cold ${cold.toFixed(0)}, warm median ${median(warm).toFixed(0)} (${warm.map((t) => t.toFixed(0)).join(', ')})`,
    );
  }
}

// the idle service: which provider is chosen must not change its memory (the SDKs load on upload)
const rss = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return 0; // gone meanwhile
  }
};
let n = 0;
async function idleRss(provider) {
  const dir = join(root, String(n++));
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  const child = spawn(process.execPath, [join(here, 'apps/daemon/dist/main.js'), '--no-hotkey'], {
    env: {
      ...process.env,
      WHIS_RUNTIME_DIR: join(dir, 'run'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_STATE_HOME: join(dir, 'state'),
      WHIS_PROVIDER: provider,
      OPENAI_API_KEY: 'sk-bench',
      DEEPGRAM_API_KEY: 'dg-bench',
      ELEVENLABS_API_KEY: 'el-bench',
    },
    stdio: 'ignore',
  });
  await sleep(11_000);
  const mb = rss(child.pid);
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  return mb;
}
const idle = {};
for (let round = 0; round < rounds; round++) {
  const order = Object.keys(servers);
  if (round % 2) order.reverse();
  for (const provider of order) (idle[provider] ??= []).push(await idleRss(provider));
}
rmSync(root, { recursive: true, force: true });
console.log(`idle whisd 10 s after start, median of ${rounds} interleaved rounds (MB):`);
for (const [provider, samples] of Object.entries(idle))
  console.log(
    `  ${provider.padEnd(10)} ${median(samples).toFixed(1)} (${samples.map((x) => x.toFixed(1)).join(', ')})`,
  );
