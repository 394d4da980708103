import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AudioChunk, TranscribeOptions, Transcriber } from '@whis/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TranscribeError } from './errors.js';
import { openPieceCache, transcribePieces, type Piece, type PieceProgress } from './pieces.js';
import { formatSubtitles } from './subtitles.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-pieces-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MINUTE = 60_000;

/** `count` pieces of 10 minutes on disk; `silent` ones marked without speech. */
async function pieces(count: number, silent: number[] = []): Promise<Piece[]> {
  const folder = await mkdtemp(join(dir, 'p-'));
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const path = join(folder, `${index}.mp3`);
      await writeFile(path, `audio ${index}`);
      return {
        index,
        path,
        mimeType: 'audio/mpeg',
        startMs: index * 10 * MINUTE,
        durationMs: 10 * MINUTE,
        bytes: 7,
        speech: !silent.includes(index),
      };
    }),
  );
}

async function* stream(list: Piece[], taken?: number[]): AsyncGenerator<Piece> {
  for (const piece of list) {
    taken?.push(piece.index);
    yield piece;
  }
}

/** A transcriber answering `text <n>` for piece n, when `release(n)` is called (or at once). */
function fakeTranscriber(options: { manual?: boolean; fail?: (index: number) => boolean } = {}) {
  const calls: { index: number; context?: string }[] = [];
  const waiting = new Map<number, () => void>();
  let running = 0;
  let most = 0;
  const transcriber: Transcriber = {
    async transcribe(chunks: readonly AudioChunk[], call?: TranscribeOptions) {
      const index = Number(/(\d+)\.mp3$/.exec(chunks[0]!.path)![1]);
      calls.push({ index, ...(call?.context ? { context: call.context } : {}) });
      running++;
      most = Math.max(most, running);
      try {
        if (options.manual) await new Promise<void>((resolve) => waiting.set(index, resolve));
        if (options.fail?.(index))
          throw new TranscribeError('server', 'The transcription service failed (HTTP 500)');
        return { text: `text ${index}` };
      } finally {
        running--;
      }
    },
  };
  return {
    transcriber,
    calls,
    mostAtOnce: () => most,
    release: async (index: number) => {
      while (!waiting.has(index)) await new Promise((r) => setImmediate(r));
      waiting.get(index)!();
    },
  };
}

describe('transcribePieces', () => {
  it('in order, silent pieces not sent, files deleted, at most `jobs` at once, pieces taken as slots free', async () => {
    const list = await pieces(6, [1, 4]);
    const fake = fakeTranscriber({ manual: true });
    const taken: number[] = [];
    const progress: PieceProgress[] = [];
    const running = transcribePieces(stream(list, taken), fake.transcriber, {
      jobs: 2,
      onProgress: (p) => progress.push(p),
    });
    await fake.release(2);
    await new Promise((r) => setImmediate(r));
    // 0 and 2 are uploading, 1 was skipped, 3 waits for a slot: nothing further is cut
    expect(taken).toEqual([0, 1, 2, 3]);
    await fake.release(0);
    await fake.release(3);
    await fake.release(5);
    const results = await running;
    expect(results.map((r) => r.text)).toEqual(['text 0', '', 'text 2', 'text 3', '', 'text 5']);
    expect(results.map((r) => r.skipped)).toEqual([false, true, false, false, true, false]);
    expect(fake.calls.map((c) => c.index).sort()).toEqual([0, 2, 3, 5]);
    expect(fake.mostAtOnce()).toBe(2);
    expect(progress.at(-1)).toMatchObject({ done: 6, total: 6, doneMs: 60 * MINUTE });
    expect(await readdir(join(list[0]!.path, '..'))).toEqual([]);
  });

  it('jobs 1: each piece has the text of the one before as context', async () => {
    const fake = fakeTranscriber();
    await transcribePieces(stream(await pieces(3)), fake.transcriber, { jobs: 1 });
    expect(fake.calls).toEqual([
      { index: 0 },
      { index: 1, context: 'text 0' },
      { index: 2, context: 'text 1' },
    ]);
  });

  it('a piece that fails: the others under way finish and are stored, the rest not sent, the error names it', async () => {
    const cache = await openPieceCache(join(dir, 'cache'), { file: 'a', bytes: 1 });
    const fake = fakeTranscriber({ fail: (index) => index === 2 });
    const list = await pieces(5);
    const error = await transcribePieces(stream(list), fake.transcriber, {
      jobs: 3,
      store: cache,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TranscribeError);
    expect(error).toMatchObject({
      code: 'piece-failed',
      message:
        'Part 3 of 5 (20:00–30:00) could not be transcribed: The transcription service failed (HTTP 500)',
    });
    expect(fake.calls.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const piece of list) await expect(access(piece.path)).rejects.toThrow();

    // a rerun: the store has 0 and 1, only the others are sent
    const again = await openPieceCache(join(dir, 'cache'), { file: 'a', bytes: 1 });
    const rerun = fakeTranscriber();
    const results = await transcribePieces(stream(await pieces(5)), rerun.transcriber, {
      store: again,
    });
    expect(rerun.calls.map((c) => c.index).sort()).toEqual([2, 3, 4]);
    expect(results.map((r) => [r.text, r.stored])).toEqual([
      ['text 0', true],
      ['text 1', true],
      ['text 2', false],
      ['text 3', false],
      ['text 4', false],
    ]);
    // another key (another file, other options): nothing known
    const other = await openPieceCache(join(dir, 'cache'), { file: 'a', bytes: 2 });
    expect(other.get(list[0]!)).toBeUndefined();
  });
});

describe('formatSubtitles', () => {
  const parts = [
    { index: 0, startMs: 0, endMs: 29_500, text: 'Hello there.', skipped: false, stored: false },
    { index: 1, startMs: 29_500, endMs: 59_000, text: '', skipped: true, stored: false },
    {
      index: 2,
      startMs: 59_000,
      endMs: 3_725_042,
      text: 'General Kenobi.',
      skipped: false,
      stored: false,
    },
  ];
  it('srt: numbered cues with comma milliseconds; skipped parts have none', () => {
    expect(formatSubtitles(parts, 'srt')).toBe(
      '1\n00:00:00,000 --> 00:00:29,500\nHello there.\n\n2\n00:00:59,000 --> 01:02:05,042\nGeneral Kenobi.\n',
    );
  });
  it('vtt: the WEBVTT header and dot milliseconds', () => {
    expect(formatSubtitles(parts, 'vtt')).toBe(
      'WEBVTT\n\n00:00:00.000 --> 00:00:29.500\nHello there.\n\n00:00:59.000 --> 01:02:05.042\nGeneral Kenobi.\n',
    );
  });
});
