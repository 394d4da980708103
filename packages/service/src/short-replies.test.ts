// Short replies against silence hallucinations, through the real pipeline, the real transcriber and
// the test kit's OpenAI-compatible server: whether the audio held speech decides, not the text.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPcmSource } from '@whis/audio';
import { createJournal, createServiceHost, type ServiceHost } from '@whis/service-core';
import { MemoryOutput } from '@whis/service-core/testing';
import {
  makeLabelledClips,
  recognizeUpload,
  startTranscriptionServer,
  type LabelledClip,
  type TranscriptionHandler,
  type TranscriptionServer,
} from '@whis/testkit';
import { createTranscriber } from '@whis/transcribe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let clips: Record<string, LabelledClip>;
let server: TranscriptionServer | undefined;
let host: ServiceHost | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-replies-'));
  const made = await makeLabelledClips(join(dir, 'clips'), {
    only: /reply-00-|reply-02-|pink-12|keyboard-3-0.08/,
  });
  clips = Object.fromEntries(
    made.map((clip) => [clip.name.split('-').slice(0, 2).join('-'), clip]),
  );
  clips.noise = made.find((c) => c.name.includes('pink-12'))!;
  clips.clicks = made.find((c) => c.name.includes('keyboard'))!;
}, 120_000);
afterEach(async () => {
  await host?.shutdown();
  host = undefined;
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Records `clip` with the service (start, the clip, finish) and returns what was delivered. */
async function dictate(clip: LabelledClip, handler: TranscriptionHandler = recognizeUpload) {
  server = await startTranscriptionServer(handler);
  const wav = await readFile(clip.path);
  const source = createPcmSource({
    sampleRate: 16_000,
    channels: 1,
    open: async function* () {
      yield wav.subarray(44);
    },
  });
  let drained: Promise<void> = Promise.resolve();
  const output = new MemoryOutput();
  host = createServiceHost({
    audio: {
      start: async (options) => {
        const capture = await source.start(options);
        drained = capture.drained;
        return capture;
      },
    },
    transcriber: createTranscriber({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0 }),
    output,
    journal: createJournal({ directory: await mkdtemp(join(dir, 'journal-')) }),
    info: { version: '0.0.0' },
  });
  const { recordingId } = await host.start();
  await drained;
  await host.finish();
  await expect.poll(async () => (await host!.status()).state, { timeout: 90_000 }).toBe('idle');
  const status = await host.status();
  return { recordingId, delivered: output.delivered, uploads: server.requests.length, status };
}

const thankYou: TranscriptionHandler = () => ({
  status: 200,
  body: JSON.stringify({ text: 'Thank you.' }),
});

// the first dictation loads the speech detector, and pocketsphinx transcribes: slow on a busy machine
describe('short replies', { timeout: 120_000 }, () => {
  it('a spoken "thank you" is delivered (it is a reply, not a hallucination)', async () => {
    const { delivered, uploads } = await dictate(clips['reply-00']!);
    expect(delivered).toEqual(['thank you']);
    expect(uploads).toBe(1);
  });

  it('a spoken "thank you very much" is delivered', async () => {
    const { delivered } = await dictate(clips['reply-02']!);
    expect(delivered).toEqual(['thank you very much']);
  });

  it('speech the model answers with "Thank you." keeps that text', async () => {
    const { delivered } = await dictate(clips['reply-00']!, thankYou);
    expect(delivered).toEqual(['Thank you.']);
  });
});

describe('noise', { timeout: 120_000 }, () => {
  it('room noise that a model would answer with "Thank you." delivers nothing and is not uploaded', async () => {
    const { delivered, uploads, status } = await dictate(clips.noise!, thankYou);
    expect(delivered).toEqual([]);
    expect(uploads).toBe(0);
    expect(status.lastError).toMatchObject({ code: 'no-speech' });
  });

  it('keyboard clicks answered with "Okay." (not a known hallucination) deliver nothing', async () => {
    const { delivered, uploads } = await dictate(clips.clicks!, () => ({
      status: 200,
      body: JSON.stringify({ text: 'Okay.' }),
    }));
    expect(delivered).toEqual([]);
    expect(uploads).toBe(0);
  });
});
