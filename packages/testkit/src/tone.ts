import { readFile, rm, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runChecked, stopChild } from './process.js';
import { wavFile } from '@whis/contracts';

/**
 * The share of a block's energy at one frequency (Goertzel), 0..1: near 1 for a pure tone at
 * `hz`, small for speech, noise or another tone.
 */
export function toneShare(pcm: Int16Array, rate: number, hz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const sample of pcm) {
    const s = sample + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
    energy += sample * sample;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy === 0 ? 0 : (2 * power) / (pcm.length * energy);
}

/**
 * The largest share of `hz` in any `windowMs` window (half-overlapping) of the audio that is not
 * near-silent: where a cue at that frequency was heard, this is high.
 */
export function strongestTone(
  pcm: Int16Array,
  rate: number,
  hz: number,
  windowMs = 30,
): { share: number; atMs: number } {
  const size = Math.round((rate * windowMs) / 1000);
  let best = { share: 0, atMs: 0 };
  for (let start = 0; start + size <= pcm.length; start += size >> 1) {
    const window = pcm.subarray(start, start + size);
    const rms = Math.sqrt(window.reduce((sum, s) => sum + s * s, 0) / size);
    if (rms < 100) continue;
    const share = toneShare(window, rate, hz);
    if (share > best.share) best = { share, atMs: (start * 1000) / rate };
  }
  return best;
}

/**
 * The largest amplitude (0..32767) of the `hz` component in any `windowMs` window (half-overlapping):
 * how loud a tone at that frequency is in the audio, whatever else is there. Unlike the share, a
 * faint remainder of a tone in near-silence stays small.
 */
export function toneAmplitude(pcm: Int16Array, rate: number, hz: number, windowMs = 30): number {
  const size = Math.round((rate * windowMs) / 1000);
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let best = 0;
  for (let start = 0; start + size <= pcm.length; start += size >> 1) {
    let s1 = 0;
    let s2 = 0;
    for (let i = start; i < start + size; i++) {
      const s = pcm[i]! + coeff * s1 - s2;
      s2 = s1;
      s1 = s;
    }
    const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    best = Math.max(best, (2 * Math.sqrt(Math.max(0, power))) / size);
  }
  return best;
}

/** Any audio file ffmpeg reads (MP3, WAV, …), as 16 kHz mono PCM. */
export async function decodeAudio(audio: Buffer): Promise<Int16Array> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-decode-'));
  try {
    const input = join(dir, 'in');
    const output = join(dir, 'out.raw');
    await writeFile(input, audio);
    await runChecked('ffmpeg', [
      '-v',
      'error',
      '-i',
      input,
      '-f',
      's16le',
      '-ac',
      '1',
      '-ar',
      '16000',
      output,
    ]);
    const raw = await readFile(output);
    return new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A recording of what a PulseAudio sink plays (its monitor), 16 kHz mono, until `stop()`. */
export function recordSink(
  env: NodeJS.ProcessEnv,
  sink = 'virtspk',
): { stop(): Promise<Int16Array> } {
  const child = spawn(
    'parec',
    [
      '-d',
      `${sink}.monitor`,
      '--format=s16le',
      '--rate=16000',
      '--channels=1',
      '--raw',
      '--latency-msec=20',
    ],
    { env, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const parts: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => parts.push(d));
  return {
    async stop() {
      await stopChild(child);
      const raw = Buffer.concat(parts);
      return new Int16Array(
        raw.buffer.slice(raw.byteOffset, raw.byteOffset + (raw.byteLength & ~1)),
      );
    },
  };
}

/**
 * Short sine notes one after another, each with raised-cosine fades of `edgeMs` (the shape of
 * whis's cues), as a 16 kHz WAV at about a third of full scale.
 */
export function notesWav(notes: readonly { hz: number; ms: number }[], edgeMs = 15): Buffer {
  const rate = 16_000;
  const edge = (rate * edgeMs) / 1000;
  const samples: number[] = [];
  for (const { hz, ms } of notes) {
    const n = Math.round((rate * ms) / 1000);
    for (let i = 0; i < n; i++) {
      const fade = Math.min(1, i / edge, (n - 1 - i) / edge);
      const envelope = 0.5 - 0.5 * Math.cos(Math.PI * Math.max(0, fade));
      samples.push(Math.round(10_000 * envelope * Math.sin((2 * Math.PI * hz * i) / rate)));
    }
  }
  return wavFile(Int16Array.from(samples), rate);
}
