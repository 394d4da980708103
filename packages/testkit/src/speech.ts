import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecked } from './process.js';

const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

/** Converts any audio ffmpeg decodes into a 16 kHz mono 16-bit WAV, what pocketsphinx reads. */
export async function toWav16k(input: string, wavPath: string): Promise<void> {
  await runChecked('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    input,
    '-ar',
    '16000',
    '-ac',
    '1',
    '-c:a',
    'pcm_s16le',
    wavPath,
  ]);
}

/** Speaks `text` with flite (voice `awb`, which pocketsphinx recognises well) into a 16 kHz mono 16-bit WAV. */
export async function synthesize(text: string, wavPath: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-flite-'));
  try {
    const raw = join(dir, 'raw.wav');
    await runChecked('flite', ['-voice', 'awb', '-t', text, '-o', raw]);
    await toWav16k(raw, wavPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Recognises speech in any audio file ffmpeg can decode, offline; returns lower-case words separated by spaces. */
export async function recognize(audioPath: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-sphinx-'));
  try {
    const wav = join(dir, 'in.wav');
    await toWav16k(audioPath, wav);
    const { stdout } = await runChecked('pocketsphinx_continuous', [
      '-infile',
      wav,
      '-hmm',
      join(MODEL_DIR, 'en-us'),
      '-lm',
      join(MODEL_DIR, 'en-us.lm.bin'),
      '-dict',
      join(MODEL_DIR, 'cmudict-en-us.dict'),
      '-logfn',
      '/dev/null',
    ]);
    return stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * How many words must be inserted, removed or replaced to turn `heard` into `said` (the word-level
 * edit distance). The offline recogniser may mishear a word of audio a loaded machine played late
 * ("seven eight" as "seventy": 2); a lost phrase of four or five words is never within 2.
 */
export function wordEdits(heard: string, said: string): number {
  const a = heard.split(/\s+/).filter(Boolean);
  const b = said.split(/\s+/).filter(Boolean);
  let row = b.map((_, j) => j + 1);
  for (let i = 0; i < a.length; i++) {
    const next = [i + 1];
    for (let j = 0; j < b.length; j++) {
      next.push(
        Math.min(row[j]! + 1, next[j]! + 1, (j === 0 ? i : row[j - 1]!) + (a[i] === b[j] ? 0 : 1)),
      );
    }
    row = next.slice(1);
  }
  return b.length === 0 ? a.length : row[b.length - 1]!;
}
