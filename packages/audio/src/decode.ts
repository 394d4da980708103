import { spawn } from 'node:child_process';
import { AudioError } from './errors.js';

export interface DecodeOptions {
  /** Ends the decoding (the ffmpeg process is killed). */
  signal?: AbortSignal;
  /** The ffmpeg program. Default `ffmpeg` on the PATH. */
  ffmpeg?: string;
}

const INSTALL =
  'Install it: `sudo apt install ffmpeg` (Debian, Ubuntu), `sudo dnf install ffmpeg` (Fedora), `brew install ffmpeg` (macOS).';

function missing(program: string, cause: unknown): AudioError {
  return new AudioError(
    'ffmpeg-missing',
    `${program} is not installed; whis needs it to read audio files. ${INSTALL}`,
    { cause },
  );
}

function unreadable(path: string, stderr: string, cause?: unknown): AudioError {
  const why = stderr.trim().split('\n').filter(Boolean).at(-1) ?? 'no audio stream';
  return new AudioError(
    'unreadable-file',
    `ffmpeg cannot read ${path} as audio (${why}). Check that it is an audio or video file and not damaged.`,
    { cause },
  );
}

/**
 * Decodes any file ffmpeg reads (audio or the audio of a video) into 16 kHz mono PCM16
 * little-endian, streamed from ffmpeg's stdout as it decodes: a two-hour file is never in memory.
 * Rejects with `AudioError` `ffmpeg-missing` (with what to install) or `unreadable-file`. Ending
 * the iteration early kills ffmpeg.
 */
export async function* decodeAudioFile(
  path: string,
  options: DecodeOptions = {},
): AsyncGenerator<Buffer> {
  const program = options.ffmpeg ?? 'ffmpeg';
  const child = spawn(
    program,
    ['-nostdin', '-v', 'error', '-i', path, '-vn', '-f', 's16le', '-ac', '1', '-ar', '16000', '-'],
    { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  try {
    let bytes = 0;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      yield chunk;
    }
    const { code, error } = await exited;
    if (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(program, error);
      throw error;
    }
    if (code !== 0 || bytes === 0) throw unreadable(path, stderr);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * What ffprobe says of an audio file: its duration (undefined when the container does not say).
 * Rejects with `AudioError` `ffmpeg-missing` or `unreadable-file`.
 */
export function probeAudioFile(
  path: string,
  options: { ffprobe?: string } = {},
): Promise<{ durationMs: number | undefined }> {
  const program = options.ffprobe ?? 'ffprobe';
  return new Promise((resolve, reject) => {
    const child = spawn(
      program,
      [
        '-v',
        'error',
        '-select_streams',
        'a:0',
        '-show_entries',
        'format=duration:stream=codec_type',
        '-of',
        'json',
        path,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.once('error', (err) =>
      reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? missing(program, err) : err),
    );
    child.once('close', (code) => {
      if (code !== 0) return reject(unreadable(path, stderr));
      try {
        const info = JSON.parse(stdout) as {
          streams?: unknown[];
          format?: { duration?: string };
        };
        if (!info.streams?.length) return reject(unreadable(path, 'no audio stream'));
        const seconds = Number(info.format?.duration);
        resolve({ durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined });
      } catch (err) {
        reject(unreadable(path, stderr, err));
      }
    });
  });
}
