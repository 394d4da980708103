// Short replies against silence hallucinations, both sides in one run, on the test kit's labelled
// clip set (24 short spoken replies in flite's five voices at speeds 0.8–1.4 with quiet room noise
// under them; 21 clips of silence, room and fan noise, breathing, keyboard clicks and hum):
//  1. each clip dictated through the real service host, pipeline and transcriber against a local
//     OpenAI-compatible server that answers a speech clip with its words (as a good model does)
//     and a noise clip with a hallucination: "Thank you." (on the filter's list) or "Okay." (not
//     on it). BEFORE: the loudness gate and the text list (today's behaviour, and the fallback
//     when the detector cannot load); AFTER: Silero VAD per chunk. Replies kept, noise clips
//     delivered, noise clips uploaded.
//  2. the alternative without a model: the loudness gate calibrated (threshold × minimum speech)
//     on the same set: replies that pass it, noise clips that pass it (each one an upload, and a
//     delivery whenever the model's hallucination is not on the list).
//  3. the cost: detector time per minute of audio next to the pipeline's own (resample, encode),
//     model load time, and RSS of a process before and after the detector loads.
// Usage: npm run bench:vad   (builds first)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPcmSource, loadSpeechModel } from '@whis/audio';
import { createJournal, createServiceHost } from '@whis/service-core';
import { makeLabelledClips, startTranscriptionServer } from '@whis/testkit';
import { createTranscriber } from '@whis/transcribe';

const work = mkdtempSync(join(tmpdir(), 'whis-bench-vad-'));
const clipDir = join(tmpdir(), 'whis-vad-clips');
const clips = await makeLabelledClips(clipDir);
const speech = clips.filter((c) => c.kind === 'speech');
const noise = clips.filter((c) => c.kind === 'noise');
console.log(
  `clip set: ${speech.length} spoken replies, ${noise.length} without speech (${clipDir})`,
);

const pcmOf = (clip) => readFileSync(clip.path).subarray(44);

let answer = '';
const server = await startTranscriptionServer(() => ({
  status: 200,
  body: JSON.stringify({ text: answer }),
}));

// One dictation through the host: start, the clip, finish; what was delivered and uploaded.
async function dictate(clip, detectSpeech, reply) {
  answer = reply;
  const delivered = [];
  const before = server.requests.length;
  const source = createPcmSource({
    sampleRate: 16_000,
    channels: 1,
    detectSpeech,
    open: async function* () {
      yield pcmOf(clip);
    },
  });
  let drained = Promise.resolve();
  const host = createServiceHost({
    audio: {
      start: async (options) => {
        const capture = await source.start(options);
        drained = capture.drained;
        return capture;
      },
    },
    transcriber: createTranscriber({ apiKey: 'sk-bench', baseURL: server.baseURL, maxRetries: 0 }),
    output: { name: 'bench', deliver: async (text) => void delivered.push(text) },
    journal: createJournal({ directory: mkdtempSync(join(work, 'journal-')) }),
    info: { version: 'bench' },
  });
  await host.start();
  await drained;
  await host.finish();
  while ((await host.status()).state !== 'idle') await new Promise((r) => setTimeout(r, 20));
  await host.shutdown();
  return { delivered: delivered.join(' '), uploads: server.requests.length - before };
}

const sentence = (text) => `${text[0].toUpperCase()}${text.slice(1)}.`;
const rows = [];
for (const [side, detectSpeech] of [
  ['BEFORE (loudness + text list)', false],
  ['AFTER (Silero VAD per chunk)', true],
]) {
  let kept = 0;
  const lost = [];
  for (const clip of speech) {
    const { delivered } = await dictate(clip, detectSpeech, sentence(clip.text));
    if (delivered === sentence(clip.text)) kept++;
    else lost.push(clip.text);
  }
  const noiseRow = {};
  for (const hallucination of ['Thank you.', 'Okay.']) {
    let delivered = 0;
    let uploaded = 0;
    for (const clip of noise) {
      const r = await dictate(clip, detectSpeech, hallucination);
      if (r.delivered) delivered++;
      if (r.uploads > 0) uploaded++;
    }
    noiseRow[hallucination] = { delivered, uploaded };
  }
  rows.push({ side, kept, lost, noiseRow });
}
await server.close();

console.log(
  '\n1. Dictated through the service (replies answered with their words, noise with a hallucination)',
);
for (const { side, kept, lost, noiseRow } of rows) {
  console.log(`  ${side}`);
  console.log(
    `    spoken replies kept: ${kept}/${speech.length}${lost.length ? ` (lost: ${[...new Set(lost)].join(', ')})` : ''}`,
  );
  for (const [h, { delivered, uploaded }] of Object.entries(noiseRow))
    console.log(
      `    noise answered "${h}": delivered ${delivered}/${noise.length}, uploaded ${uploaded}/${noise.length}`,
    );
}

// 2. the loudness gate alone, calibrated: what passes it is uploaded
// The pipeline on a buffer, as fast as it goes (the same one the microphone feeds).
async function record(pcm, sampleRate, options) {
  const directory = mkdtempSync(join(work, 'rec-'));
  const capture = await createPcmSource({
    sampleRate,
    channels: 1,
    ...options,
    open: async function* () {
      yield pcm;
    },
  }).start({ directory });
  await capture.drained;
  const captured = await capture.stop();
  rmSync(directory, { recursive: true, force: true });
  return captured;
}
const passesGate = async (clip, speechThreshold, minSpeechMs) =>
  (await record(pcmOf(clip), 16_000, { detectSpeech: false, speechThreshold, minSpeechMs }))
    .speechDetected;
const count = async (list, test) => {
  let n = 0;
  for (const item of list) if (await test(item)) n++;
  return n;
};
console.log('\n2. The loudness gate alone, calibrated (threshold RMS × minimum speech)');
console.log('  threshold  min speech  replies pass  noise passes');
for (const threshold of [0.01, 0.02, 0.04, 0.08]) {
  for (const minMs of [200, 400, 600]) {
    const s = await count(speech, (c) => passesGate(c, threshold, minMs));
    const n = await count(noise, (c) => passesGate(c, threshold, minMs));
    console.log(
      `  ${threshold.toFixed(2).padStart(9)}  ${String(minMs).padStart(7)} ms  ${String(s).padStart(7)}/${speech.length}  ${String(n).padStart(8)}/${noise.length}`,
    );
  }
}

// 3. cost: the detector over every clip vs the pipeline's own work on the same audio
const model = await loadSpeechModel();
const detector = model.acquire();
const all = clips.map((c) => {
  const data = Buffer.from(pcmOf(c));
  return new Int16Array(data.buffer, data.byteOffset, data.length / 2);
});
const minutes = all.reduce((sum, pcm) => sum + pcm.length, 0) / 16_000 / 60;
const timeIt = async (fn) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
// the same audio at a device's 48 kHz: resampled, trimmed, encoded as when recording
const at48k = all.map((pcm) => {
  const up = new Int16Array(pcm.length * 3);
  for (let i = 0; i < up.length; i++) up[i] = pcm[Math.floor(i / 3)];
  return Buffer.from(up.buffer);
});
const vadRuns = [];
const pipeRuns = [];
for (let round = 0; round < 5; round++) {
  // the worst case: every frame analysed (no early stop once speech is heard)
  vadRuns.push(
    (await timeIt(() => {
      for (const pcm of all) {
        detector.reset();
        for (let i = 0; i < pcm.length; i += 320) detector.push(pcm.subarray(i, i + 320));
        detector.end();
      }
    })) / minutes,
  );
  pipeRuns.push(
    (await timeIt(async () => {
      for (const pcm of at48k) await record(pcm, 48_000, { detectSpeech: false });
    })) / minutes,
  );
}
detector.release();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\n3. Cost');
console.log(
  `  Silero VAD: ${median(vadRuns).toFixed(0)} ms per minute of audio (median of 5; every frame analysed),` +
    ` the pipeline's own work ${median(pipeRuns).toFixed(0)} ms per minute: ×${(median(vadRuns) / median(pipeRuns)).toFixed(2)}`,
);
const probe = `
  const r0 = process.memoryUsage().rss;
  const audio = await import('@whis/audio');
  const r1 = process.memoryUsage().rss;
  const t = performance.now();
  const model = await audio.loadSpeechModel();
  const loadMs = performance.now() - t;
  const d = model.acquire();
  const pcm = new Int16Array(16000 * 60);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(Math.sin(i / 7) * 3000 * Math.sin(i / 4000));
  for (let i = 0; i < pcm.length; i += 320) d.push(pcm.subarray(i, i + 320));
  d.end();
  const r2 = process.memoryUsage().rss;
  console.log(JSON.stringify({ bare: r0, imported: r1, loaded: r2, loadMs }));
`;
const mb = (b) => (b / 1024 / 1024).toFixed(0);
const loads = [];
for (let i = 0; i < 3; i++)
  loads.push(
    JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
        cwd: join(import.meta.dirname, '..'),
        encoding: 'utf8',
      }),
    ),
  );
const m = loads.sort((a, b) => a.loaded - a.imported - (b.loaded - b.imported))[1];
console.log(
  `  RSS (median of 3 processes): bare Node ${mb(m.bare)} MB, with @whis/audio imported ${mb(m.imported)} MB` +
    ` (what an idle service pays: the detector is not loaded), after the detector loaded and ran 1 min ${mb(m.loaded)} MB` +
    ` (+${mb(m.loaded - m.imported)} MB, from the first recording's end on); load ${median(loads.map((l) => l.loadMs)).toFixed(0)} ms, once per process`,
);
rmSync(work, { recursive: true, force: true });
