// Contract suites every adapter of a port must pass: the in-memory twins of @whis/service-core run
// them, and so do the real adapters (@whis/audio, @whis/transcribe, @whis/output) in their own
// tests. Call them inside a vitest test file (`@whis/testkit/contracts`).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAudio } from './tone.js';
import type {
  AudioChunk,
  AudioSource,
  LiveSession,
  LiveTranscriber,
  Output,
  Transcriber,
} from '@whis/contracts';

/** Runs a test with a fresh harness and always cleans it up. */
async function withHarness<H extends { cleanup?(): Promise<void> }>(
  setup: () => Promise<H>,
  test: (harness: H) => Promise<void>,
): Promise<void> {
  const harness = await setup();
  try {
    await test(harness);
  } finally {
    await harness.cleanup?.();
  }
}

export interface OutputHarness {
  output: Output;
  /** What the destination now holds: the last text delivered to it. */
  readLast(): Promise<string>;
  cleanup?(): Promise<void>;
}

/** An Output delivers text exactly, non-ASCII and multi-line included, every time. */
export function describeOutputContract(
  name: string,
  setup: () => Promise<OutputHarness>,
  options: { timeoutMs?: number } = {},
): void {
  describe(`Output contract: ${name}`, () => {
    it.each(['hello world', 'Grüße — 東京 🎙️', 'two\nlines'])(
      'delivers %j exactly',
      async (text) => {
        await withHarness(setup, async (harness) => {
          await harness.output.deliver(text);
          expect(await harness.readLast()).toBe(text);
          await harness.output.deliver(`${text}!`);
          expect(await harness.readLast()).toBe(`${text}!`);
        });
      },
      options.timeoutMs ?? 30_000,
    );
  });
}

export interface TranscriberHarness {
  transcriber: Transcriber;
  /** Audio whose transcript is `expected`. */
  chunk: AudioChunk;
  expected: string;
  cleanup?(): Promise<void>;
}

/** A Transcriber returns the words of the audio, reports progress to completion, and honours an aborted signal. */
export function describeTranscriberContract(
  name: string,
  setup: () => Promise<TranscriberHarness>,
  options: { timeoutMs?: number } = {},
): void {
  describe(`Transcriber contract: ${name}`, () => {
    it(
      'transcribes, reporting progress up to the number of chunks',
      async () => {
        await withHarness(setup, async (harness) => {
          const progress: Array<{ done: number; total: number }> = [];
          const { text } = await harness.transcriber.transcribe([harness.chunk], {
            onProgress: (p) => progress.push(p),
          });
          expect(text).toBe(harness.expected);
          expect(progress.at(-1)).toEqual({ done: 1, total: 1 });
        });
      },
      options.timeoutMs ?? 60_000,
    );

    it(
      'rejects when its signal is already aborted',
      async () => {
        await withHarness(setup, async (harness) => {
          const abort = new AbortController();
          abort.abort();
          await expect(
            harness.transcriber.transcribe([harness.chunk], { signal: abort.signal }),
          ).rejects.toBeInstanceOf(Error);
        });
      },
      options.timeoutMs ?? 60_000,
    );
  });
}

export interface AudioSourceHarness {
  source: AudioSource;
  /** Makes the source hear a second or more of speech (plays into the microphone, pushes frames, …). */
  speak(): Promise<void>;
  cleanup?(): Promise<void>;
}

/**
 * An AudioSource writes chunk files into the directory it is given that decode to as much audio as
 * they say, reports levels, hands the kept audio to `onPcm`, reports speech, plays the start cue
 * once, and deletes its files on abort.
 */
export function describeAudioSourceContract(
  name: string,
  setup: () => Promise<AudioSourceHarness>,
  options: { timeoutMs?: number } = {},
): void {
  describe(`AudioSource contract: ${name}`, () => {
    const inTempDir = async (fn: (directory: string) => Promise<void>) => {
      const directory = await mkdtemp(join(tmpdir(), 'whis-contract-'));
      try {
        await fn(directory);
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    };

    it(
      'records into the directory it is given, and stop() returns chunks that decode to the audio heard',
      async () => {
        await withHarness(setup, async (harness) => {
          await inTempDir(async (directory) => {
            const levels: number[] = [];
            const pcm: number[] = [];
            const capture = await harness.source.start({
              directory,
              onPcm: (samples) => void pcm.push(samples.length),
            });
            capture.onLevel((level) => levels.push(level.rms));
            await harness.speak();
            const audio = await capture.stop();
            expect(audio.speechDetected).toBe(true);
            expect(audio.durationMs).toBeGreaterThan(0);
            expect(audio.chunks.length).toBeGreaterThan(0);
            let decodedMs = 0;
            for (const chunk of audio.chunks) {
              expect(chunk.path.startsWith(directory)).toBe(true);
              expect(chunk.bytes).toBeGreaterThan(0);
              // what the chunk promises: audio of its type that a decoder reads, as long as it says
              // (give or take what an encoder pads: MP3 adds up to a few 36 ms frames)
              const decoded = await decodeAudio(await readFile(chunk.path));
              const ms = (decoded.length / 16_000) * 1000;
              expect(Math.abs(ms - chunk.durationMs)).toBeLessThan(200);
              decodedMs += ms;
            }
            expect(Math.abs(decodedMs - audio.durationMs)).toBeLessThan(200 * audio.chunks.length);
            // while it recorded: levels a few times a second, one above silence; the kept audio
            // handed out as it was written, as long as the chunks
            expect(levels.length).toBeGreaterThan(0);
            expect(Math.max(...levels)).toBeGreaterThan(0.01);
            const pcmMs = (pcm.reduce((a, b) => a + b, 0) / 16_000) * 1000;
            expect(Math.abs(pcmMs - audio.durationMs)).toBeLessThan(100);
          });
        });
      },
      options.timeoutMs ?? 60_000,
    );

    it(
      'plays the start cue it is given exactly once',
      async () => {
        await withHarness(setup, async (harness) => {
          await inTempDir(async (directory) => {
            let plays = 0;
            const startCue = { frequencies: [660, 990], play: async () => void plays++ };
            const capture = await harness.source.start({ directory, startCue });
            await harness.speak();
            await capture.stop();
            expect(plays).toBe(1);
          });
        });
      },
      options.timeoutMs ?? 60_000,
    );

    it(
      'abort() deletes what it wrote',
      async () => {
        await withHarness(setup, async (harness) => {
          await inTempDir(async (directory) => {
            const capture = await harness.source.start({ directory });
            await harness.speak();
            await capture.abort();
            const { readdir } = await import('node:fs/promises');
            expect((await readdir(directory)).filter((f) => !f.startsWith('.'))).toEqual([]);
          });
        });
      },
      options.timeoutMs ?? 60_000,
    );
  });
}

export interface LiveTranscriberHarness {
  live: LiveTranscriber;
  /** 16 kHz mono PCM16 whose words are `expected`. */
  audio: Int16Array;
  expected: string;
  cleanup?(): Promise<void>;
}

/**
 * A LiveTranscriber's sessions give each ended segment its final text, with deltas that add up to
 * it, while later segments stream; a segment never streamed rejects, and so does one still
 * pending when the session closes.
 */
export function describeLiveTranscriberContract(
  name: string,
  setup: () => Promise<LiveTranscriberHarness>,
  options: { timeoutMs?: number } = {},
): void {
  describe(`LiveTranscriber contract: ${name}`, () => {
    const stream = (session: LiveSession, audio: Int16Array, segment: number) => {
      // 20 ms frames, as the pipeline hands them out
      for (let i = 0; i < audio.length; i += 320)
        session.append(audio.subarray(i, i + 320), segment);
    };

    it(
      'two segments: each ended one comes back, its deltas adding up to its text',
      async () => {
        await withHarness(setup, async (harness) => {
          const deltas = new Map<number, string>();
          const session = await harness.live.open({
            onDelta: (segment, delta) => deltas.set(segment, (deltas.get(segment) ?? '') + delta),
          });
          expect(session).not.toBeNull();
          stream(session!, harness.audio, 0);
          session!.end();
          stream(session!, harness.audio, 1);
          session!.end();
          expect(await session!.text(0)).toBe(harness.expected);
          expect(await session!.text(1)).toBe(harness.expected);
          expect(deltas.get(0)?.trim()).toBe(harness.expected);
          expect(deltas.get(1)?.trim()).toBe(harness.expected);
          await expect(session!.text(5)).rejects.toBeInstanceOf(Error);
          session!.close();
        });
      },
      options.timeoutMs ?? 60_000,
    );

    it(
      'close() rejects a segment whose text has not come',
      async () => {
        await withHarness(setup, async (harness) => {
          const session = (await harness.live.open())!;
          stream(session, harness.audio, 0);
          const text = session.text(0);
          session.close();
          await expect(text).rejects.toBeInstanceOf(Error);
        });
      },
      options.timeoutMs ?? 60_000,
    );
  });
}
