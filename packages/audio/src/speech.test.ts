import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeLabelledClips, type LabelledClip } from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingPipeline } from './pipeline.js';
import { loadSpeechModel } from './speech.js';

const MODEL = new URL('../models/silero_vad.onnx', import.meta.url);
const SHA256 = '1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3';

let dir: string;
let clips: LabelledClip[];

// a spoken "thank you", a soft "thank you very much", a short "no", and noise loud enough to pass
// the loudness gate
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-speech-'));
  clips = await makeLabelledClips(join(dir, 'clips'), {
    only: /reply-00-|reply-02-|reply-07-|pink-12|keyboard-3-0.08|breathing-12|digital-silence/,
  });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pcmOf(clip: LabelledClip): Promise<Int16Array> {
  const wav = await readFile(clip.path);
  const data = Buffer.from(wav.subarray(44));
  return new Int16Array(data.buffer, data.byteOffset, data.length / 2);
}

describe('Silero VAD', () => {
  it('hears the spoken replies and none of the noise', async () => {
    const model = await loadSpeechModel();
    const detector = model.acquire();
    const heard: Record<string, boolean> = {};
    for (const clip of clips) {
      detector.reset();
      const pcm = await pcmOf(clip);
      for (let i = 0; i < pcm.length; i += 320) detector.push(pcm.subarray(i, i + 320));
      heard[clip.name] = detector.end();
    }
    detector.release();
    expect(heard).toEqual(Object.fromEntries(clips.map((c) => [c.name, c.kind === 'speech'])));
  });

  it('refuses a damaged model file before loading it (a damaged model aborts the process)', async () => {
    const damaged = join(dir, 'damaged.onnx');
    await copyFile(MODEL, damaged);
    const bytes = await readFile(damaged);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(damaged, bytes);
    await expect(
      loadSpeechModel({ modelPath: damaged, modelSha256: SHA256 }),
    ).rejects.toMatchObject({ code: 'vad-unavailable', message: expect.stringMatching(/damaged/) });
  });
});

// The loudest 100 ms of the short "no", between half a second of silence before and after.
async function burstOfNo(): Promise<Int16Array> {
  const pcm = await pcmOf(clips.find((c) => c.text === 'no')!);
  const window = 1600;
  let loudest = 0;
  let at = 0;
  for (let i = 0; i + window <= pcm.length; i += 160) {
    let energy = 0;
    for (let j = i; j < i + window; j++) energy += pcm[j]! * pcm[j]!;
    if (energy > loudest) [loudest, at] = [energy, i];
  }
  const burst = new Int16Array(16_000 + window);
  burst.set(pcm.subarray(at, at + window), 8_000);
  return burst;
}

function hears(
  detector: ReturnType<Awaited<ReturnType<typeof loadSpeechModel>>['acquire']>,
  pcm: Int16Array,
) {
  detector.reset();
  for (let i = 0; i < pcm.length; i += 320) detector.push(pcm.subarray(i, i + 320));
  const heard = detector.end();
  detector.release();
  return heard;
}

describe('the detector options', () => {
  it('minSpeechMs 0 is taken as 0 (no minimum), not as the 150 ms default', async () => {
    const burst = await burstOfNo();
    expect(hears((await loadSpeechModel()).acquire(), burst)).toBe(false);
    expect(hears((await loadSpeechModel({ minSpeechMs: 0 })).acquire(), burst)).toBe(true);
  });
});

describe('the pipeline with speech detection', () => {
  async function record(clip: LabelledClip, detectSpeech = true) {
    const out = await mkdtemp(join(dir, 'rec-'));
    const pipeline = new RecordingPipeline(16_000, 1, { directory: out, detectSpeech });
    pipeline.push(await pcmOf(clip));
    await pipeline.prepareSpeech();
    return pipeline.finish();
  }

  it('marks a spoken reply as speech, chunk and recording', async () => {
    for (const clip of clips.filter((c) => c.kind === 'speech')) {
      const captured = await record(clip);
      expect(captured.speechDetected, clip.name).toBe(true);
      expect(
        captured.chunks.map((c) => c.speech),
        clip.name,
      ).toEqual([true]);
    }
  });

  it('a short "no", under the 200 ms of loud frames the gate asks for, is speech', async () => {
    const no = clips.find((c) => c.text === 'no')!;
    expect((await record(no, false)).speechDetected).toBe(false);
    expect((await record(no)).speechDetected).toBe(true);
  });

  it('loud noise passes the loudness gate but is not speech', async () => {
    for (const clip of clips.filter((c) => c.kind === 'noise' && !/silence/.test(c.name))) {
      // without the detector the loudness alone lets it through, as before
      expect((await record(clip, false)).speechDetected, clip.name).toBe(true);
      const captured = await record(clip);
      expect(captured.speechDetected, clip.name).toBe(false);
      expect(
        captured.chunks.map((c) => c.speech),
        clip.name,
      ).toEqual([false]);
    }
  });
});
