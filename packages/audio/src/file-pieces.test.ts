import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recognize, runChecked, synthesize } from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile, probeAudioFile } from './decode.js';
import { cutPieces, PieceCutter, type FilePiece } from './file-pieces.js';

const RATE = 16_000;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-pieces-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `ms` of a loud 440 Hz tone (as loud as speech), or of silence. */
function tone(ms: number): Int16Array {
  const pcm = new Int16Array((ms / 1000) * RATE);
  for (let i = 0; i < pcm.length; i++)
    pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE));
  return pcm;
}
const silence = (ms: number) => new Int16Array((ms / 1000) * RATE);

function feed(cutter: PieceCutter, parts: Int16Array[], blockSamples = 4410): FilePiece[] {
  const pieces: FilePiece[] = [];
  // in blocks of odd sizes, as a pipe delivers them
  for (const part of parts)
    for (let offset = 0; offset < part.length; offset += blockSamples)
      pieces.push(...cutter.push(part.subarray(offset, offset + blockSamples)));
  return [...pieces, ...cutter.end()];
}

describe('PieceCutter', () => {
  it('ends a full piece in the middle of the longest pause near its end, not in a short one', async () => {
    const out = await mkdtemp(join(dir, 'cut-'));
    const cutter = new PieceCutter({ directory: out, maxPieceMs: 10_000, searchMs: 3000 });
    // words until 7.4 s, a 600 ms pause, words with a 200 ms gap at 9.2 s, words on to 14 s
    const pieces = feed(cutter, [tone(7400), silence(600), tone(1200), silence(200), tone(4600)]);
    expect(pieces.map((p) => p.index)).toEqual([0, 1]);
    expect(pieces[0]!.startMs).toBe(0);
    expect(pieces[0]!.durationMs).toBe(7700); // 7.4 s + half the 600 ms pause
    expect(pieces[1]!.startMs).toBe(7700);
    expect(pieces[1]!.durationMs).toBe(14_000 - 7700);
    for (const piece of pieces) {
      expect(piece.speech).toBe(true);
      expect((await stat(piece.path)).size).toBe(piece.bytes);
    }
  });

  it('no pause at all: cut at the full length; a piece of silence is no speech', async () => {
    const out = await mkdtemp(join(dir, 'nopause-'));
    const cutter = new PieceCutter({ directory: out, maxPieceMs: 6000, searchMs: 2000 });
    const pieces = feed(cutter, [tone(7000), silence(7000)]);
    // a steady tone has no pause: the cut falls in the window's last 2 s, at its quietest frame
    expect(pieces[0]!.durationMs).toBeGreaterThanOrEqual(4000);
    expect(pieces[0]!.durationMs).toBeLessThanOrEqual(6000);
    pieces.forEach((piece, i) => {
      if (i > 0) expect(piece.startMs).toBe(pieces[i - 1]!.startMs + pieces[i - 1]!.durationMs);
      expect(piece.durationMs).toBeLessThanOrEqual(6000);
    });
    expect(pieces.at(-1)!.startMs + pieces.at(-1)!.durationMs).toBe(14_000);
    expect(pieces.map((p) => p.speech)).toEqual([true, true, false]);
  });

  it('a long stream: never holds more than the search window, whatever the length', async () => {
    const out = await mkdtemp(join(dir, 'long-'));
    const cutter = new PieceCutter({ directory: out, maxPieceMs: 30_000, searchMs: 5000 });
    let pieces = 0;
    let audioMs = 0;
    // 20 minutes: a sentence of 4 s, a pause of 1 s, over and over, fed in 0.1 s blocks
    const sentence = tone(4000);
    const pause = silence(1000);
    for (let i = 0; i < 240; i++)
      for (const part of [sentence, pause])
        for (let offset = 0; offset < part.length; offset += 1600) {
          for (const piece of cutter.push(part.subarray(offset, offset + 1600))) {
            pieces++;
            audioMs += piece.durationMs;
            await rm(piece.path);
          }
        }
    for (const piece of cutter.end()) {
      pieces++;
      audioMs += piece.durationMs;
    }
    expect(audioMs).toBe(20 * 60_000);
    expect(pieces).toBeGreaterThanOrEqual(40);
    // the search window (5 s) at most: one piece is 30 s, the stream 20 minutes
    expect(cutter.heldSamplesHighWater).toBeLessThanOrEqual(5 * RATE);
    expect(cutter.heldSamplesHighWater).toBeGreaterThan(0);
  }, 120_000);
});

describe('decodeAudioFile and cutPieces', () => {
  let speechFile: string;
  beforeAll(async () => {
    // words, 40 s of silence, words: as an MP3 (any format ffmpeg reads)
    const words = join(dir, 'words.wav');
    await synthesize('one two three', words);
    await runChecked('sox', [words, join(dir, 'padded.wav'), 'pad', '0', '40']);
    speechFile = join(dir, 'speech.mp3');
    await runChecked('ffmpeg', [
      '-v',
      'error',
      '-i',
      join(dir, 'padded.wav'),
      '-i',
      words,
      '-filter_complex',
      '[0:a][1:a]concat=n=2:v=0:a=1',
      '-b:a',
      '32k',
      speechFile,
    ]);
  }, 60_000);

  it('an MP3 with a long silence: pieces in order, the silent one judged so by Silero VAD', async () => {
    const out = await mkdtemp(join(dir, 'vad-'));
    const pieces: FilePiece[] = [];
    for await (const piece of cutPieces(decodeAudioFile(speechFile), {
      directory: out,
      maxPieceMs: 15_000,
    }))
      pieces.push(piece);
    const { durationMs } = await probeAudioFile(speechFile);
    const total = pieces.reduce((sum, p) => sum + p.durationMs, 0);
    expect(Math.abs(total - durationMs!)).toBeLessThan(100);
    expect(pieces.map((p) => p.speech)).toEqual([true, false, false, true]);
    expect(await recognize(pieces[0]!.path)).toBe('one two three');
    expect(await recognize(pieces[3]!.path)).toBe('one two three');
  }, 60_000);

  it('a file ffmpeg cannot read, and no ffmpeg: errors that say what to do', async () => {
    const bad = join(dir, 'not-audio.mp3');
    await writeFile(bad, 'this is a text file');
    const drain = async (source: AsyncIterable<Buffer>) => {
      for await (const _ of source) void _;
    };
    await expect(drain(decodeAudioFile(bad))).rejects.toMatchObject({
      code: 'unreadable-file',
      message: expect.stringContaining(`ffmpeg cannot read ${bad}`),
    });
    await expect(probeAudioFile(bad)).rejects.toMatchObject({ code: 'unreadable-file' });
    await expect(
      drain(decodeAudioFile(speechFile, { ffmpeg: '/nonexistent/ffmpeg' })),
    ).rejects.toMatchObject({
      code: 'ffmpeg-missing',
      message: expect.stringContaining('sudo apt install ffmpeg'),
    });
    expect(await readFile(bad, 'utf8')).toBe('this is a text file');
  });
});
