// Audio pipeline benchmarks, both sides of each comparison in one run:
//  - stop-to-ready for a 10-minute vs a 5-second recording (ratio; goal ≤ 1.1 and < 50 ms)
//  - RSS growth while recording 1 hour of audio, fed faster than real time (goal ≤ 20 MB)
//  - bytes per minute of speech, and the words recognised from the MP3 vs the raw WAV (goal ≤ 250 KB)
//  - CPU while recording 48 kHz stereo, as a share of one core at real time (goal ≤ 5%)
// Usage: npm run bench:audio   (from the repository root)
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recognize, synthesize } from '@whis/testkit';
import { createPcmSource } from '../dist/index.js';
// the pipeline itself, an internal of the package
import { RecordingPipeline } from '../dist/pipeline.js';

const root = mkdtempSync(join(tmpdir(), 'whis-audio-bench-'));
let n = 0;
const dir = () => {
  const d = join(root, String(n++));
  rmSync(d, { recursive: true, force: true });
  return mkdtempSync(`${d}-`);
};

// speech-like PCM: 300 Hz bursts (0.8 s) and pauses (0.4 s), generated block by block
function* speechLike(seconds, rate, channels, blockMs = 20) {
  const frames = Math.round((rate * blockMs) / 1000);
  const total = Math.round(seconds * rate);
  let t = 0;
  while (t < total) {
    const block = Buffer.alloc(frames * channels * 2);
    for (let i = 0; i < frames; i++, t++) {
      const on = t % Math.round(rate * 1.2) < rate * 0.8;
      const v = on ? Math.round(6000 * Math.sin((2 * Math.PI * 300 * t) / rate)) : 0;
      for (let c = 0; c < channels; c++) block.writeInt16LE(v, (i * channels + c) * 2);
    }
    yield block;
  }
}

async function stopToReady(seconds) {
  const source = createPcmSource({
    open: () => speechLike(seconds, 16_000, 1, 200),
    sampleRate: 16_000,
    channels: 1,
  });
  const capture = await source.start({ directory: dir() });
  await capture.drained;
  const t = performance.now();
  const result = await capture.stop();
  return { ms: performance.now() - t, result };
}

// 1. stop-to-ready
await stopToReady(5); // warm up
const short = [];
const long = [];
for (let i = 0; i < 7; i++) {
  short.push((await stopToReady(5)).ms);
  long.push((await stopToReady(600)).ms);
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(
  `stop-to-ready: 5 s recording ${median(short).toFixed(2)} ms, 10 min recording ${median(long).toFixed(2)} ms → ratio ${(median(long) / median(short)).toFixed(2)}`,
);

// 2. RSS over an hour of audio
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
{
  const source = createPcmSource({
    open: async function* () {
      let i = 0;
      for (const block of speechLike(3600, 16_000, 1, 200)) {
        if (++i % 500 === 0) {
          globalThis.gc?.();
          rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        }
        yield block;
      }
    },
    sampleRate: 16_000,
    channels: 1,
  });
  const t = performance.now();
  const capture = await source.start({ directory: dir() });
  await capture.drained;
  const { durationMs, chunks } = await capture.stop();
  globalThis.gc?.();
  const rssAfter = process.memoryUsage().rss;
  console.log(
    `1 hour recorded in ${((performance.now() - t) / 1000).toFixed(1)} s (${chunks.length} chunks, ${(durationMs / 60000).toFixed(1)} min kept after silence trimming): RSS growth ${((rssPeak - rssBefore) / 1024 / 1024).toFixed(1)} MB peak, ${((rssAfter - rssBefore) / 1024 / 1024).toFixed(1)} MB at the end`,
  );
}

// 3. bytes per minute of speech, and the words
{
  const text = 'one two three four five six seven eight nine ten';
  const wav = join(root, 'speech.wav');
  await synthesize(`${text}. ${text}. ${text}.`, wav);
  const raw = readFileSync(wav).subarray(44);
  const source = createPcmSource({
    open: async function* () {
      yield raw;
    },
    sampleRate: 16_000,
    channels: 1,
    trimSilence: false,
  });
  const capture = await source.start({ directory: dir() });
  await capture.drained;
  const { chunks, durationMs } = await capture.stop();
  const bytes = statSync(chunks[0].path).size;
  const perMinute = bytes / (durationMs / 60000) / 1024;
  const fromMp3 = await recognize(chunks[0].path);
  const fromWav = await recognize(wav);
  console.log(
    `speech: ${(durationMs / 1000).toFixed(1)} s → ${(bytes / 1024).toFixed(1)} KB MP3 = ${perMinute.toFixed(0)} KB a minute (raw 16-bit WAV: ${(raw.length / (durationMs / 60000) / 1024).toFixed(0)} KB a minute, ${(raw.length / bytes).toFixed(1)}× larger)`,
  );
  console.log(`  recognised from the WAV: "${fromWav}"`);
  console.log(
    `  recognised from the MP3: "${fromMp3}" → ${fromMp3 === fromWav ? 'the same words' : 'DIFFERENT'}`,
  );
}

// 4. CPU while recording: 48 kHz stereo through downmix, resampler, levels, silence and encoder
{
  const seconds = 60;
  const pipeline = new RecordingPipeline(48_000, 2, { directory: dir() });
  const blocks = [...speechLike(seconds, 48_000, 2)].map(
    (b) => new Int16Array(b.buffer, b.byteOffset, b.length / 2),
  );
  const cpu = process.cpuUsage();
  for (const block of blocks) pipeline.push(block);
  pipeline.finish();
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  console.log(
    `CPU: ${seconds} s of 48 kHz stereo processed in ${ms.toFixed(0)} ms of CPU → ${((ms / (seconds * 1000)) * 100).toFixed(2)}% of one core at real time`,
  );
}
rmSync(root, { recursive: true, force: true });
