import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HANG,
  runChecked,
  startTranscriptionServer,
  synthesize,
  type ScriptedReply,
  type TranscriptionServer,
} from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeTranscriberContract } from '@whis/testkit/contracts';
import { uploadBudget } from './budget.js';
import { createTranscriber, type AudioChunkInput, type UploadAttempt } from './transcriber.js';

let dir: string;
let server: TranscriptionServer | undefined;
let chunk: AudioChunkInput;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-tr-'));
  chunk = { path: join(dir, 'a.mp3'), mimeType: 'audio/mpeg', durationMs: 1000 };
  await writeFile(chunk.path, Buffer.alloc(1000, 1));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function scripted(...replies: ScriptedReply[]) {
  let i = 0;
  server = await startTranscriptionServer(() => replies[Math.min(i++, replies.length - 1)]!);
  return server;
}

const ok = (text: string): ScriptedReply => ({ status: 200, body: JSON.stringify({ text }) });
const fail = (status: number, headers?: Record<string, string>): ScriptedReply => ({
  status,
  body: JSON.stringify({ error: { message: `status ${status}`, type: 'x' } }),
  headers,
});

describe('against a scripted OpenAI-compatible server', () => {
  it('uploads with the model, language, prompt and key, and returns the text', async () => {
    const s = await scripted(ok(' Hello there. '));
    const t = createTranscriber({
      apiKey: 'sk-test',
      baseURL: s.baseURL,
      model: 'gpt-4o-mini-transcribe',
      language: 'en',
      prompt: 'whis',
    });
    expect(await t.transcribe([chunk])).toEqual({ text: 'Hello there.' });
    expect(s.requests[0]).toMatchObject({
      model: 'gpt-4o-mini-transcribe',
      language: 'en',
      prompt: 'whis',
      filename: 'a.mp3',
      authorization: 'Bearer sk-test',
    });
    expect(s.requests[0]!.audio).toHaveLength(1000);
  });

  it.each([
    [401, 'auth', /API key was refused.*whis config --api-key/],
    [413, 'too-large', /upload limit/],
    [400, 'bad-request', /rejected the request/],
    [403, 'forbidden', /may not use/],
  ])('does not retry %i, and says what to do', async (status, code, message) => {
    const s = await scripted(fail(status));
    const t = createTranscriber({ apiKey: 'k', baseURL: s.baseURL });
    await expect(t.transcribe([chunk])).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
    expect(s.requests).toHaveLength(1);
  });

  it('retries 429 after the retry-after delay, and 500, then succeeds', async () => {
    const s = await scripted(fail(429, { 'retry-after': '0.3' }), fail(500), ok('third time'));
    const t = createTranscriber({ apiKey: 'k', baseURL: s.baseURL });
    const started = Date.now();
    expect((await t.transcribe([chunk])).text).toBe('third time');
    expect(s.requests).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('gives up after the retries with a server error', async () => {
    const s = await scripted(fail(503));
    const t = createTranscriber({ apiKey: 'k', baseURL: s.baseURL, maxRetries: 1 });
    await expect(t.transcribe([chunk])).rejects.toMatchObject({ code: 'server', status: 503 });
    expect(s.requests).toHaveLength(2);
  });

  it('times out a hanging server', async () => {
    const s = await scripted({ ...ok('late'), delayMs: 5000 });
    const t = createTranscriber({
      apiKey: 'k',
      baseURL: s.baseURL,
      timeoutScale: 0.02,
      maxRetries: 0,
    });
    await expect(t.transcribe([chunk])).rejects.toMatchObject({ code: 'timeout' });
  });

  it('reports malformed JSON as a bad response', async () => {
    const s = await scripted({ status: 200, body: '{"text": ' });
    const t = createTranscriber({ apiKey: 'k', baseURL: s.baseURL });
    await expect(t.transcribe([chunk])).rejects.toMatchObject({ code: 'bad-response' });
  });

  it('drops a silence hallucination from a chunk nobody judged', async () => {
    const s = await scripted(ok('Thanks for watching!'));
    const t = createTranscriber({ apiKey: 'k', baseURL: s.baseURL });
    expect((await t.transcribe([chunk])).text).toBe('');
  });

  it('keeps "Thank you." from a chunk that held speech; sends no chunk without speech', async () => {
    const s = await scripted(ok('Thank you.'));
    const t = createTranscriber({ apiKey: 'k', baseURL: s.baseURL });
    expect((await t.transcribe([{ ...chunk, speech: true }])).text).toBe('Thank you.');
    expect((await t.transcribe([{ ...chunk, speech: false }])).text).toBe('');
    expect(s.requests).toHaveLength(1);
  });

  it('transcribes chunks in parallel (at most 3 at once), merged in order, with progress', async () => {
    let active = 0;
    let peak = 0;
    server = await startTranscriptionServer(async (request) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 100));
      active--;
      return ok(`part ${request.filename.replace('.mp3', '')}`);
    });
    const chunks = await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const path = join(dir, `${i}.mp3`);
        await writeFile(path, Buffer.alloc(10));
        return { path, mimeType: 'audio/mpeg', durationMs: 1000 };
      }),
    );
    const progress: number[] = [];
    const t = createTranscriber({ apiKey: 'k', baseURL: server.baseURL });
    const { text } = await t.transcribe(chunks, { onProgress: (p) => progress.push(p.done) });
    expect(text).toBe('part 0 part 1 part 2 part 3 part 4 part 5 part 6');
    expect(peak).toBe(3);
    expect(progress).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('an AbortSignal cancels the uploads in flight', async () => {
    const s = await scripted({ ...ok('never'), delayMs: 5000 });
    const t = createTranscriber({ apiKey: 'k', baseURL: s.baseURL });
    const abort = new AbortController();
    const pending = t.transcribe([chunk, chunk], { signal: abort.signal });
    await expect.poll(() => s.requests.length).toBeGreaterThan(0);
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
  });

  it('refuses to start without a key', () => {
    expect(() => createTranscriber({ apiKey: '' })).toThrow(/OPENAI_API_KEY/);
  });
});

// pocketsphinx on a shared machine is a slow self-hosted server: it gets the time such a server is given
const SLOW_SERVER = 6;

// flite speaks the phrase; ffmpeg makes the 16 kHz mono 32 kbit/s MP3 whis uploads
async function spokenMp3(text: string, name: string): Promise<string> {
  const wav = join(dir, `${name}.wav`);
  const mp3 = join(dir, `${name}.mp3`);
  await synthesize(text, wav);
  await runChecked('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    wav,
    '-ac',
    '1',
    '-ar',
    '16000',
    '-b:a',
    '32k',
    mp3,
  ]);
  return mp3;
}

describe('the time budget of an upload', () => {
  it('is a floor plus a multiple of the audio, for each attempt and for all of them, times the scale', () => {
    expect(uploadBudget({ durationMs: 3000 })).toEqual({ attemptMs: 13_000, totalMs: 31_000 });
    expect(uploadBudget({ durationMs: 25_000 })).toEqual({ attemptMs: 35_000, totalMs: 75_000 });
    expect(uploadBudget({ durationMs: 600_000 })).toEqual({
      attemptMs: 610_000,
      totalMs: 1_225_000,
    });
    expect(uploadBudget({ durationMs: 3000 }, 3)).toEqual({ attemptMs: 39_000, totalMs: 93_000 });
    // unknown length (a file given to `whis transcribe`): its size at 32 kbit/s
    expect(uploadBudget({ durationMs: 0, bytes: 240_000 })).toEqual(
      uploadBudget({ durationMs: 60_000 }),
    );
  });

  it('a server that takes the upload and never answers: attempts reported, then a timeout within the budget', async () => {
    const s = await scripted(HANG);
    // 1 s of audio at a tenth of the time: 1.1 s an attempt, 2.7 s in all
    const t = createTranscriber({ apiKey: 'k', baseURL: s.baseURL, timeoutScale: 0.1 });
    const attempts: UploadAttempt[] = [];
    const started = Date.now();
    const error = await t
      .transcribe([chunk], { onAttempt: (a) => attempts.push(a) })
      .catch((err: unknown) => err);
    expect(error).toMatchObject({
      code: 'timeout',
      message: expect.stringMatching(
        /did not answer \(gave up after 3 s, 2 attempts\).*uploadTimeoutScale/,
      ),
    });
    expect(Date.now() - started).toBeLessThan(2700 + 1000);
    expect(attempts).toEqual([
      { chunk: 0, attempt: 1, attempts: 3, timeoutMs: 1100 },
      {
        chunk: 0,
        attempt: 2,
        attempts: 3,
        timeoutMs: expect.any(Number),
        previousError: 'no answer in 1 s',
      },
    ]);
    expect(s.requests).toHaveLength(2);
  });

  it('a longer piece of audio gets the longer time it needs', async () => {
    const s = await scripted({ ...ok('slow but there'), delayMs: 1500 });
    const t = createTranscriber({
      apiKey: 'k',
      baseURL: s.baseURL,
      timeoutScale: 0.1,
      maxRetries: 0,
    });
    // 1 s of audio: 1.1 s, too short for this server; 20 s of audio: 3 s, enough
    await expect(t.transcribe([chunk])).rejects.toMatchObject({ code: 'timeout' });
    expect(await t.transcribe([{ ...chunk, durationMs: 20_000 }])).toEqual({
      text: 'slow but there',
    });
  });

  it('reports each attempt with why the one before failed', async () => {
    const s = await scripted(fail(503), ok('second time'));
    const t = createTranscriber({ apiKey: 'k', baseURL: s.baseURL });
    const attempts: UploadAttempt[] = [];
    expect(await t.transcribe([chunk], { onAttempt: (a) => attempts.push(a) })).toEqual({
      text: 'second time',
    });
    expect(
      attempts.map(({ attempt, attempts, previousError }) => [attempt, attempts, previousError]),
    ).toEqual([
      [1, 3, undefined],
      [2, 3, 'HTTP 503'],
    ]);
  });
});

describe('against a server that really transcribes (pocketsphinx)', () => {
  it('a spoken phrase, encoded as 16 kHz mono MP3, comes back as text', async () => {
    server = await startTranscriptionServer();
    const mp3 = await spokenMp3('hello world', 'phrase');
    const t = createTranscriber({
      apiKey: 'k',
      baseURL: server.baseURL,
      timeoutScale: SLOW_SERVER,
    });
    expect(
      (await t.transcribe([{ path: mp3, mimeType: 'audio/mpeg', durationMs: 1500 }])).text,
    ).toBe('hello world');
  });
});

describeTranscriberContract('openai SDK against the pocketsphinx server', async () => {
  const own = await startTranscriptionServer();
  const mp3 = await spokenMp3('hello world', 'contract');
  return {
    transcriber: createTranscriber({
      apiKey: 'k',
      baseURL: own.baseURL,
      timeoutScale: SLOW_SERVER,
    }),
    chunk: { path: mp3, mimeType: 'audio/mpeg', startMs: 0, durationMs: 1500, bytes: 1 },
    expected: 'hello world',
    cleanup: () => own.close(),
  };
});
