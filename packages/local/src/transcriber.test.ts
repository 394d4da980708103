import { burstsPcm, writeTinyParakeet, type TinyParakeet } from '@whis/testkit';
import { wavFile } from '@whis/contracts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalError } from './errors.js';
import { createLocalTranscriber, type LocalTranscriber } from './transcriber.js';

let root: string;
let model: TinyParakeet;
const open: LocalTranscriber[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'whis-local-'));
  model = await writeTinyParakeet(join(root, 'tiny'));
});

afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
  await rm(root, { recursive: true, force: true });
});

function transcriber(
  m: TinyParakeet,
  extra: Partial<Parameters<typeof createLocalTranscriber>[0]> = {},
): LocalTranscriber {
  const t = createLocalTranscriber({
    modelDir: m.dir,
    type: 'nemo-transducer',
    files: { encoder: m.encoder, decoder: m.decoder, joiner: m.joiner, tokens: m.tokens },
    threads: 1,
    ...extra,
  });
  open.push(t);
  return t;
}

const toInt16 = (f: Float32Array): Int16Array => Int16Array.from(f, (v) => Math.round(v * 32767));

describe('the recognizer in a child process (real sherpa-onnx, a generated Parakeet TDT)', () => {
  it('decodes bursts of sound to words and silence to nothing, from Float32 and Int16 PCM', async () => {
    const t = transcriber(model);
    expect(await t.transcribePcm(burstsPcm(0), 16_000)).toBe('');
    expect(await t.transcribePcm(burstsPcm(3), 16_000)).toBe('word word word');
    expect(await t.transcribePcm(toInt16(burstsPcm(2)), 16_000)).toBe('word word');
    expect(t.pid).toBeGreaterThan(0);
    expect(t.pid).not.toBe(process.pid);
  });

  it('skips a segment under 0.1 s without asking the model (onnxruntime rejects an empty input)', async () => {
    const starts: number[] = [];
    const t = transcriber(model, { onChildStart: (pid) => starts.push(pid) });
    expect(await t.transcribePcm(new Float32Array(0), 16_000)).toBe('');
    expect(await t.transcribePcm(new Float32Array(1500), 16_000)).toBe('');
    expect(starts).toEqual([]);
  });

  it('transcribes audio files (the Transcriber port): chunks joined in order, silent ones skipped', async () => {
    const t = transcriber(model);
    const a = join(root, 'a.wav');
    const b = join(root, 'b.wav');
    await writeFile(a, wavFile(toInt16(burstsPcm(2)), 16_000));
    await writeFile(b, wavFile(toInt16(burstsPcm(1)), 16_000));
    const chunk = (path: string, speech?: boolean) => ({
      path,
      mimeType: 'audio/wav',
      startMs: 0,
      durationMs: 1000,
      bytes: 1,
      speech,
    });
    const progress: number[] = [];
    const { text } = await t.transcribe([chunk(a), chunk(b, false), chunk(b)], {
      onProgress: (p) => progress.push(p.done),
    });
    expect(text).toBe('word word word');
    expect(progress).toEqual([1, 2, 3]);
  });

  it('queues two calls made while the model loads, and answers both in order', async () => {
    const t = transcriber(model);
    const preparing = t.prepare();
    const [one, two] = await Promise.all([
      t.transcribePcm(burstsPcm(1), 16_000),
      t.transcribePcm(burstsPcm(4), 16_000),
    ]);
    await preparing;
    expect([one, two]).toEqual(['word', 'word word word word']);
  });

  it.each([
    ['no-blank', /blank token <blk>/],
    ['missing-metadata', /'pred_hidden' does not exist in the metadata/],
    ['truncated', /could not be loaded/],
  ] as const)(
    'a broken model (%s) ends the child, not the caller: the error names the model, the reason and the fix',
    async (broken, reason) => {
      const bad = await writeTinyParakeet(join(root, `broken-${broken}`), broken);
      const exits: (number | null)[] = [];
      const t = transcriber(bad, {
        name: 'my-model',
        onChildExit: (_pid, code) => exits.push(code),
      });
      const err = await t.transcribePcm(burstsPcm(1), 16_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalError);
      expect((err as LocalError).id).toBe('local/model-failed');
      expect((err as Error).message).toMatch(/"my-model"/);
      expect((err as Error).message).toMatch(reason);
      expect((err as Error).message).toMatch(
        /whis model remove my-model.*whis model download my-model/,
      );
      if (broken !== 'truncated') expect(exits).toContain(255);
      expect(t.pid).toBeUndefined();
    },
  );

  it('a child killed mid-decode is restarted once and the call retried', async () => {
    const starts: number[] = [];
    const t = transcriber(model, {
      onChildStart: (pid) => starts.push(pid),
    });
    await t.prepare();
    const long = burstsPcm(40);
    const call = t.transcribePcm(long, 16_000);
    process.kill(starts[0], 'SIGKILL');
    expect(await call).toBe(Array(40).fill('word').join(' '));
    expect(starts).toHaveLength(2);
  });

  it('a child that dies again after the restart: the call rejects with a coded error and the fix', async () => {
    const starts: number[] = [];
    const t = transcriber(model, {
      name: 'parakeet-tdt-0.6b-v3',
      // the second child, started for the retry, dies as well
      onChildStart: (pid) => {
        starts.push(pid);
        if (starts.length === 2) setImmediate(() => process.kill(pid, 'SIGKILL'));
      },
    });
    await t.prepare();
    const call = t.transcribePcm(burstsPcm(40), 16_000);
    process.kill(starts[0], 'SIGKILL');
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalError);
    expect(starts).toHaveLength(2);
    expect((err as Error).message).toMatch(/"parakeet-tdt-0\.6b-v3".*SIGKILL/);
    expect((err as Error).message).toMatch(/whis model download parakeet-tdt-0\.6b-v3/);
    // the next call starts afresh
    expect(await t.transcribePcm(burstsPcm(1), 16_000)).toBe('word');
  });

  it('unloads the model after idleMs without a call, and the next call loads it again', async () => {
    const starts: number[] = [];
    let exited!: () => void;
    const exit = new Promise<void>((resolve) => (exited = resolve));
    const t = transcriber(model, {
      idleMs: 50,
      onChildStart: (pid) => starts.push(pid),
      onChildExit: () => exited(),
    });
    expect(await t.transcribePcm(burstsPcm(1), 16_000)).toBe('word');
    await exit;
    expect(t.pid).toBeUndefined();
    expect(await t.transcribePcm(burstsPcm(2), 16_000)).toBe('word word');
    expect(starts).toHaveLength(2);
  });

  it('idleMs 0 keeps the model loaded', async () => {
    const exits: number[] = [];
    const t = transcriber(model, { idleMs: 0, onChildExit: (pid) => exits.push(pid) });
    await t.transcribePcm(burstsPcm(1), 16_000);
    const pid = t.pid;
    await t.transcribePcm(burstsPcm(1), 16_000);
    expect(t.pid).toBe(pid);
    expect(exits).toEqual([]);
  });

  it('Whisper models cap the segment length below their 30 s window', () => {
    const whisper = createLocalTranscriber({ modelDir: root, type: 'whisper' });
    expect(whisper.maxSegmentSeconds).toBeLessThan(29.5);
    expect(transcriber(model).maxSegmentSeconds).toBe(Infinity);
  });
});
