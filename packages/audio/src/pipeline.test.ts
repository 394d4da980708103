import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecked } from '@whis/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingPipeline } from './pipeline.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-pipe-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// 48 kHz stereo: tone (speech stand-in) or silence, in 10 ms device blocks.
function feed(p: RecordingPipeline, pattern: Array<[seconds: number, tone: boolean]>): void {
  let t = 0;
  for (const [seconds, tone] of pattern) {
    const frames = Math.round(seconds * 48_000);
    for (let i = 0; i < frames; i += 480) {
      const block = new Int16Array(480 * 2);
      for (let j = 0; j < 480; j++, t++) {
        const v = tone ? Math.round(8000 * Math.sin((2 * Math.PI * 300 * t) / 48_000)) : 0;
        block[2 * j] = v;
        block[2 * j + 1] = v;
      }
      p.push(block);
    }
  }
}

async function decodedSeconds(path: string): Promise<number> {
  const { stdout } = await runChecked('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'csv=p=0',
    path,
  ]);
  return Number(stdout.trim());
}

describe('RecordingPipeline', () => {
  it('encodes MP3 that ffmpeg decodes to the recorded duration', async () => {
    const p = new RecordingPipeline(48_000, 2, { directory: dir, trimSilence: false });
    feed(p, [[3, true]]);
    const result = p.finish();
    expect(result.speechDetected).toBe(true);
    expect(result.chunks).toHaveLength(1);
    expect(result.durationMs).toBeGreaterThan(2950);
    expect(Math.abs((await decodedSeconds(result.chunks[0]!.path)) - 3)).toBeLessThan(0.1);
    // 32 kbit/s: 4 KB a second
    expect(result.chunks[0]!.bytes).toBeLessThan(3 * 4200);
  });

  it('hands out the kept audio with the chunk it goes into: the samples of every chunk, in order', () => {
    const seen: number[] = [];
    const announced: number[] = [];
    const p = new RecordingPipeline(48_000, 2, {
      directory: dir,
      maxChunkMs: 1000,
      onPcm: (pcm, segment) => {
        // a segment's audio ends before the next one's begins
        expect(segment).toBeGreaterThanOrEqual(seen.length - 1);
        seen[segment] = (seen[segment] ?? 0) + pcm.length;
      },
      onChunk: () => announced.push(seen.length),
    });
    feed(p, [
      [1.5, true],
      [1, false],
      [1.5, true],
      [1, false],
      [1.5, true],
    ]);
    const result = p.finish();
    expect(result.chunks).toHaveLength(3);
    // each chunk was announced while only its own and earlier segments had audio
    expect(announced).toEqual([1, 2]);
    expect(seen).toEqual(result.chunks.map((c) => Math.round((c.durationMs / 1000) * 16_000)));
  });

  it('a chunk over its length closes in the pause itself, before the next word; no silent chunk follows', () => {
    const announced: number[] = [];
    const p = new RecordingPipeline(48_000, 2, {
      directory: dir,
      maxChunkMs: 1000,
      onChunk: (chunk) => announced.push(chunk.durationMs),
    });
    feed(p, [
      [1.5, true],
      [0.6, false],
    ]);
    // 0.5 s into the pause, with no word after it yet: the chunk is closed and announced
    expect(announced).toHaveLength(1);
    expect(announced[0]).toBeGreaterThan(1900);
    feed(p, [[1.5, false]]);
    // the next chunk begins as a recording does: 300 ms of the pause before its first word, so a
    // short chunk length never makes a chunk of silence
    feed(p, [[1.5, true]]);
    const result = p.finish();
    expect(result.chunks).toHaveLength(2);
    expect(result.chunks[1]!.durationMs).toBeLessThan(1500 + 300 + 300 + 50);
  });

  it('a recording that ends in the pause after a chunk closed adds no silent chunk', () => {
    const p = new RecordingPipeline(48_000, 2, { directory: dir, maxChunkMs: 1000 });
    feed(p, [
      [1.5, true],
      [2, false],
    ]);
    expect(p.finish().chunks).toHaveLength(1);
  });

  it('reports a silent recording as empty and writes nothing', () => {
    const p = new RecordingPipeline(48_000, 2, { directory: dir });
    feed(p, [[2, false]]);
    expect(p.finish()).toEqual({ chunks: [], durationMs: 0, speechDetected: false });
  });

  it('trims leading and trailing silence to 300 ms', () => {
    const p = new RecordingPipeline(48_000, 2, { directory: dir });
    feed(p, [
      [2, false],
      [1, true],
      [3, false],
    ]);
    const { durationMs } = p.finish();
    expect(durationMs).toBeGreaterThanOrEqual(1550);
    expect(durationMs).toBeLessThanOrEqual(1700);
  });

  it('cuts chunks at silences once over the limit, each independently decodable', async () => {
    const p = new RecordingPipeline(48_000, 2, { directory: dir, maxChunkMs: 1000 });
    feed(p, [
      [0.6, true],
      [0.5, false],
      [0.6, true],
      [0.5, false],
      [0.6, true],
    ]);
    const { chunks, durationMs } = p.finish();
    expect(chunks.length).toBe(3);
    let total = 0;
    for (const chunk of chunks) {
      const seconds = await decodedSeconds(chunk.path);
      // MP3 adds up to one frame of encoder padding at each end
      expect(Math.abs(seconds * 1000 - chunk.durationMs)).toBeLessThan(150);
      total += chunk.durationMs;
    }
    expect(total).toBe(durationMs);
    expect(chunks.map((c) => c.startMs)).toEqual([
      0,
      chunks[0]!.durationMs,
      chunks[0]!.durationMs + chunks[1]!.durationMs,
    ]);
  });

  it('reports levels a few times a second', () => {
    const levels: number[] = [];
    const p = new RecordingPipeline(48_000, 2, {
      directory: dir,
      onLevel: (l) => levels.push(l.rms),
    });
    feed(p, [[1, true]]);
    p.finish();
    expect(levels.length).toBe(5);
    expect(levels[2]).toBeCloseTo(8000 / 32768 / Math.SQRT2, 2);
  });
});

describe('segments for transcription while recording', () => {
  it('a chunk over its length ends at a pause of about 0.5 s, never in a shorter gap', () => {
    const closed: number[] = [];
    const p = new RecordingPipeline(48_000, 2, {
      directory: dir,
      maxChunkMs: 1000,
      onChunk: (chunk) => closed.push(chunk.durationMs),
    });
    // 1.2 s of speech, a 0.2 s gap between words (no cut), more speech, a 0.7 s pause (the cut)
    feed(p, [
      [1.2, true],
      [0.2, false],
      [0.3, true],
      [0.7, false],
      [0.5, true],
    ]);
    expect(closed).toHaveLength(1);
    // the first chunk holds both words and the gap, and ends inside the pause
    expect(closed[0]).toBeGreaterThanOrEqual(1700 + 460);
    expect(closed[0]).toBeLessThanOrEqual(1700 + 700);
    const { chunks } = p.finish();
    expect(chunks).toHaveLength(2);
    // the last chunk comes back from finish(), not through onChunk
    expect(closed).toHaveLength(1);
  });
});

describe('what is left to send at stop', () => {
  // speech of 2.3 s and pauses of 1.2 s, as someone dictating sentences
  const dictation = (seconds: number): Array<[number, boolean]> => {
    const pattern: Array<[number, boolean]> = [];
    for (let t = 0; t < seconds; t += 3.5) pattern.push([2.3, true], [1.2, false]);
    return pattern;
  };

  it.each([10, 17, 24, 31, 38])(
    'after %i s of dictation with pauses, the last segment holds at most 8 s, and no segment is longer',
    async (seconds) => {
      const sub = join(dir, String(seconds));
      await mkdir(sub);
      const p = new RecordingPipeline(48_000, 2, { directory: sub });
      feed(p, dictation(seconds));
      const { chunks } = p.finish();
      const durations = chunks.map((c) => c.durationMs);
      expect(durations.at(-1)).toBeLessThanOrEqual(8000);
      expect(Math.max(...durations)).toBeLessThanOrEqual(8000);
      // and no shorter than a few seconds each, but the last: uploads stay few
      for (const ms of durations.slice(0, -1)) expect(ms).toBeGreaterThanOrEqual(5000);
    },
    60_000,
  );

  it('speech with no pause long enough is still cut at maxChunkMs and 20% past it', () => {
    const p = new RecordingPipeline(48_000, 2, { directory: dir, maxChunkMs: 10_000 });
    // 0.3 s gaps: never a pause to cut in
    const pattern: Array<[number, boolean]> = [];
    for (let t = 0; t < 30; t += 2) pattern.push([1.7, true], [0.3, false]);
    feed(p, pattern);
    const durations = p.finish().chunks.map((c) => c.durationMs);
    expect(Math.max(...durations)).toBeLessThanOrEqual(12_000 + 20);
    expect(durations[0]).toBeGreaterThanOrEqual(12_000 - 20);
  }, 60_000);
});
