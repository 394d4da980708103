import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTranscriptionServer, synthesize, type TranscriptionServer } from '@whis/testkit';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeLiveTranscriberContract } from '@whis/testkit/contracts';
import {
  createRealtimeTranscriber,
  RealtimeSession,
  realtimeURL,
  Upsampler,
  type RealtimeOptions,
} from './realtime.js';

const PHRASE = 'one two three four five';
let dir: string;
let phrase: Int16Array;
let server: TranscriptionServer;

/** The samples of a 16-bit mono WAV (its `data` chunk). */
function samplesOf(wav: Buffer): Int16Array {
  let offset = 12;
  while (offset < wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'data') {
      const data = Buffer.from(wav.subarray(offset + 8, offset + 8 + size));
      return new Int16Array(data.buffer, data.byteOffset, data.length / 2);
    }
    offset += 8 + size;
  }
  throw new Error('no data chunk');
}

/** Streams the phrase into a segment in 20 ms frames, as the pipeline hands them out. */
function stream(session: RealtimeSession, segment: number): void {
  for (let i = 0; i < phrase.length; i += 320) session.append(phrase.subarray(i, i + 320), segment);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-live-'));
  await synthesize(PHRASE, join(dir, 'phrase.wav'));
  phrase = samplesOf(await readFile(join(dir, 'phrase.wav')));
  server = await startTranscriptionServer();
}, 30_000);
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  server.realtime.refuseSessions = null;
  server.realtime.dropAfterBytes = null;
});

const options = (): RealtimeOptions => ({ apiKey: 'sk-live', baseURL: server.baseURL });

describe('Upsampler', () => {
  it('turns 16 kHz into 24 kHz: three samples for two, the same tone, across calls', () => {
    const tone = (rate: number, n: number) =>
      Int16Array.from({ length: n }, (_, i) =>
        Math.round(10_000 * Math.sin((2 * Math.PI * 440 * i) / rate)),
      );
    const up = new Upsampler();
    const input = tone(16_000, 16_000);
    // in uneven pieces: the phase carries over
    const parts = [
      up.push(input.subarray(0, 317)),
      up.push(input.subarray(317, 9001)),
      up.push(input.subarray(9001)),
    ];
    const out = Int16Array.from(parts.flatMap((p) => [...p]));
    expect(Math.abs(out.length - 24_000)).toBeLessThanOrEqual(2);
    const ideal = tone(24_000, out.length);
    const worst = Math.max(...out.map((v, i) => Math.abs(v - ideal[i]!)));
    expect(worst).toBeLessThan(300); // linear interpolation of a 440 Hz tone: under 3% of its peak
  });
});

describe('realtimeURL', () => {
  it('is the endpoint with /realtime and intent=transcription, over ws(s)', () => {
    expect(realtimeURL()).toBe('wss://api.openai.com/v1/realtime?intent=transcription');
    expect(realtimeURL('http://127.0.0.1:8000/v1/')).toBe(
      'ws://127.0.0.1:8000/v1/realtime?intent=transcription',
    );
  });
});

describe('RealtimeSession against a Realtime server on loopback', () => {
  it('streams segments, commits each as it ends, and gets deltas then the final text of each', async () => {
    const before = server.realtime.connections.length;
    const deltas: string[][] = [[], []];
    const session = new RealtimeSession(options(), {
      onDelta: (segment, delta) => deltas[segment]!.push(delta),
    });
    stream(session, 0);
    // the chunk closed at a pause: the segment is committed, and its text comes before more audio
    session.end();
    expect(await session.text(0)).toBe(PHRASE);
    stream(session, 1);
    session.end();
    expect(await session.text(1)).toBe(PHRASE);
    session.close();
    expect(deltas.map((d) => d.join(''))).toEqual([PHRASE, PHRASE]);
    expect(deltas[0]!.length).toBe(5);
    const [log] = server.realtime.connections.slice(before);
    expect(server.realtime.connections.length - before).toBe(1);
    expect(log!.updates).toEqual([
      {
        type: 'transcription',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24_000 },
            transcription: { model: 'gpt-live-transcribe' },
            turn_detection: null,
          },
        },
      },
    ]);
    // 24 kHz PCM16: 1.5 times the 16 kHz samples, two bytes each
    expect(Math.abs(log!.items[0]!.bytes - phrase.length * 3)).toBeLessThan(8);
  });

  it('a connection dropped mid-segment: that segment rejects, the next reconnects and is transcribed', async () => {
    const before = server.realtime.connections.length;
    server.realtime.dropAfterBytes = phrase.length; // a third of the first segment
    const session = new RealtimeSession(options());
    stream(session, 0);
    await expect(session.text(0)).rejects.toMatchObject({ code: 'live-failed' });
    server.realtime.dropAfterBytes = null;
    stream(session, 1);
    session.end();
    expect(await session.text(1)).toBe(PHRASE);
    session.close();
    expect(server.realtime.connections.length - before).toBe(2);
    await expect(session.text(7)).rejects.toThrow(/not streamed live/);
  });

  it('a refused session: each segment rejects (to be uploaded), and after three refusals it stops trying', async () => {
    const before = server.realtime.connections.length;
    server.realtime.refuseSessions = {
      code: 'model_not_found',
      message: 'The model `gpt-live-transcribe` does not exist.',
    };
    const session = new RealtimeSession(options());
    for (let segment = 0; segment < 5; segment++) {
      stream(session, segment);
      await expect(session.text(segment)).rejects.toThrow(
        segment < 3 ? /model_not_found/ : /could not be set up 3 times/,
      );
    }
    session.close();
    expect(server.realtime.connections.length - before).toBe(3);
  });

  it('the server closes clients of the beta shapes with 4000 beta_api_shape_disabled', async () => {
    const closeOf = (ws: WebSocket) =>
      new Promise<[number, string]>((resolve) =>
        ws.on('close', (code, reason) => resolve([code, reason.toString()])),
      );
    const url = realtimeURL(server.baseURL);
    const headers = { Authorization: 'Bearer sk-live' };
    const beta = new WebSocket(url, { headers: { ...headers, 'OpenAI-Beta': 'realtime=v1' } });
    expect(await closeOf(beta)).toEqual([4000, 'beta_api_shape_disabled']);
    const old = new WebSocket(url, { headers });
    old.on('open', () =>
      old.send(
        JSON.stringify({
          type: 'transcription_session.update',
          session: { input_audio_format: 'pcm16' },
        }),
      ),
    );
    expect(await closeOf(old)).toEqual([4000, 'beta_api_shape_disabled']);
  });
});

describeLiveTranscriberContract('RealtimeSession against the Realtime test server', async () => ({
  live: createRealtimeTranscriber({ apiKey: 'sk-live', baseURL: server.baseURL }),
  audio: phrase,
  expected: PHRASE,
}));
