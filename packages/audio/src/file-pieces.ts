import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Mp3Encoder } from '@breezystack/lamejs';
import { diskFullMessage } from '@whis/contracts';
import { AudioError } from './errors.js';
import { TARGET_RATE } from './dsp.js';
import { loadSpeechModel, type SpeechDetector } from './speech.js';
import type { AudioChunk } from './types.js';

const FRAME = 320; // 20 ms at 16 kHz
const FRAME_MS = 20;

/** One piece of a long recording, encoded on disk: an AudioChunk with its place and a verdict. */
export interface FilePiece extends AudioChunk {
  /** 0, 1, 2, … in the order of the recording. */
  index: number;
  /** Whether it holds speech (Silero VAD, or its loudness when the detector is unavailable). */
  speech: boolean;
}

export interface PieceCutterOptions {
  /** Where the piece files go (`0000.mp3`, `0001.mp3`, …); it exists. */
  directory: string;
  /** The longest a piece is. Default 10 minutes. */
  maxPieceMs?: number;
  /**
   * A piece ends at the longest pause within this much before its end. Default a minute, or a
   * third of `maxPieceMs` when that is shorter.
   */
  searchMs?: number;
  /** MP3 bit rate. Default 32 kbit/s (about 240 KB a minute: 10 minutes are 2.4 MB). */
  bitrateKbps?: number;
  /** A 20 ms frame is quiet below this RMS (0..1), or below twice the noise floor. Default 0.01 (−40 dBFS). */
  quietThreshold?: number;
  /** Without a speech detector: a piece holds speech when it has this much loud audio. Default 200 ms. */
  minSpeechMs?: number;
}

interface OpenPiece {
  index: number;
  path: string;
  fd: number;
  encoder: Mp3Encoder;
  startSample: number;
  samples: number;
  bytes: number;
  loudFrames: number;
}

/**
 * Cuts 16 kHz mono PCM, as it arrives, into pieces of at most `maxPieceMs`, each ending at the
 * longest pause near its end, and encodes each to an MP3 file as it goes. Only the last
 * `searchMs` of the open piece is held in memory (where the cut may fall), so a two-hour stream
 * costs what a ten-minute one does.
 */
export class PieceCutter {
  private readonly maxFrames: number;
  private readonly searchFrames: number;
  private readonly bitrate: number;
  private readonly quiet: number;
  private readonly minSpeechFrames: number;
  private piece: OpenPiece | undefined;
  private nextIndex = 0;
  private written = 0;
  /** Frames of the open piece not encoded yet: the end of it, where the cut is looked for. */
  private held: Int16Array[] = [];
  private heldRms: number[] = [];
  private partial = new Int16Array(FRAME);
  private partialLength = 0;
  private highWater = 0;

  constructor(
    private readonly options: PieceCutterOptions,
    private readonly detector?: SpeechDetector,
  ) {
    const maxMs = options.maxPieceMs ?? 600_000;
    this.maxFrames = Math.max(2, Math.round(maxMs / FRAME_MS));
    const searchMs = options.searchMs ?? Math.min(60_000, maxMs / 3);
    this.searchFrames = Math.max(1, Math.min(this.maxFrames - 1, Math.round(searchMs / FRAME_MS)));
    this.bitrate = options.bitrateKbps ?? 32;
    this.quiet = options.quietThreshold ?? 0.01;
    this.minSpeechFrames = Math.ceil((options.minSpeechMs ?? 200) / FRAME_MS);
  }

  /** The most PCM samples held in memory at once so far (the search window at most). */
  get heldSamplesHighWater(): number {
    return this.highWater;
  }

  /** Feeds 16 kHz mono PCM16 of any length; returns the pieces it closed. */
  push(pcm: Int16Array): FilePiece[] {
    const closed: FilePiece[] = [];
    let offset = 0;
    if (this.partialLength > 0) {
      const take = Math.min(FRAME - this.partialLength, pcm.length);
      this.partial.set(pcm.subarray(0, take), this.partialLength);
      this.partialLength += take;
      offset = take;
      if (this.partialLength < FRAME) return closed;
      this.frame(this.partial.slice(), closed);
      this.partialLength = 0;
    }
    for (; offset + FRAME <= pcm.length; offset += FRAME)
      this.frame(pcm.slice(offset, offset + FRAME), closed);
    this.partial.set(pcm.subarray(offset));
    this.partialLength = pcm.length - offset;
    return closed;
  }

  /** The stream ended: the last piece (if any audio is left) is closed and returned. */
  end(): FilePiece[] {
    const closed: FilePiece[] = [];
    if (this.partialLength > 0) {
      for (const frame of this.held.splice(0)) this.write(frame);
      this.heldRms = [];
      this.write(this.partial.slice(0, this.partialLength));
      this.partialLength = 0;
    }
    for (const frame of this.held.splice(0)) this.write(frame);
    this.heldRms = [];
    const last = this.close();
    if (last) closed.push(last);
    return closed;
  }

  /** Stops and deletes the open piece's file (the closed ones are the caller's). */
  discard(): void {
    const piece = this.piece;
    if (!piece) return;
    this.piece = undefined;
    try {
      closeSync(piece.fd);
    } catch {
      // closing is all that is left to do
    }
    rmSync(piece.path, { force: true });
  }

  private frame(pcm: Int16Array, closed: FilePiece[]): void {
    const encoded = this.piece?.samples ?? 0;
    const frames = encoded / FRAME + this.held.length + 1;
    if (frames <= this.maxFrames - this.searchFrames && this.held.length === 0) {
      this.write(pcm);
      return;
    }
    this.held.push(pcm);
    this.heldRms.push(rms(pcm));
    this.highWater = Math.max(this.highWater, this.held.length * FRAME);
    if (frames < this.maxFrames) return;
    // the piece is full: it ends in the middle of the longest pause of its last `searchMs`; what
    // follows the cut begins the next piece
    const cut = this.cutPoint();
    for (const frame of this.held.splice(0, cut)) this.write(frame);
    this.heldRms.splice(0, cut);
    const piece = this.close();
    if (piece) closed.push(piece);
    const rest = this.held.splice(0);
    this.heldRms = [];
    for (const frame of rest) this.write(frame);
  }

  // The middle of the longest run of quiet frames among those held (the later one of equals); with
  // no quiet frame at all, the quietest frame. Quiet is relative to the noise floor, so a recording
  // with a hum is cut in its pauses too.
  private cutPoint(): number {
    const levels = this.heldRms;
    const sorted = [...levels].sort((a, b) => a - b);
    const floor = sorted[Math.floor(sorted.length / 10)] ?? 0;
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    // under the threshold, or near the noise floor when that is well under the typical level
    const quiet = (level: number) =>
      level < this.quiet || (level < floor * 2 && level < median / 2);
    let best = -1;
    let bestLength = 0;
    let start = -1;
    for (let i = 0; i <= levels.length; i++) {
      if (i < levels.length && quiet(levels[i]!)) {
        if (start < 0) start = i;
        continue;
      }
      if (start >= 0 && i - start >= bestLength) {
        bestLength = i - start;
        best = start + Math.floor((i - start) / 2);
      }
      start = -1;
    }
    if (best < 0) best = levels.indexOf(sorted[0]!);
    return Math.max(1, best);
  }

  private write(pcm: Int16Array): void {
    const piece = (this.piece ??= this.open());
    this.append(piece, piece.encoder.encodeBuffer(pcm));
    if (rms(pcm) >= this.quiet) piece.loudFrames++;
    this.detector?.push(pcm);
    piece.samples += pcm.length;
    this.written += pcm.length;
  }

  private open(): OpenPiece {
    const index = this.nextIndex++;
    const path = join(this.options.directory, `${String(index).padStart(4, '0')}.mp3`);
    let fd: number;
    try {
      fd = openSync(path, 'w', 0o600);
    } catch (err) {
      throw writeError(err, path);
    }
    this.detector?.reset();
    return {
      index,
      path,
      fd,
      encoder: new Mp3Encoder(1, TARGET_RATE, this.bitrate),
      startSample: this.written,
      samples: 0,
      bytes: 0,
      loudFrames: 0,
    };
  }

  private append(piece: OpenPiece, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    try {
      writeSync(piece.fd, bytes);
    } catch (err) {
      throw writeError(err, piece.path);
    }
    piece.bytes += bytes.length;
  }

  private close(): FilePiece | undefined {
    const piece = this.piece;
    if (!piece) return undefined;
    this.append(piece, piece.encoder.flush());
    this.piece = undefined;
    closeSync(piece.fd);
    return {
      index: piece.index,
      path: piece.path,
      mimeType: 'audio/mpeg',
      startMs: Math.round((piece.startSample / TARGET_RATE) * 1000),
      durationMs: Math.round((piece.samples / TARGET_RATE) * 1000),
      bytes: piece.bytes,
      speech: this.detector ? this.detector.end() : piece.loudFrames >= this.minSpeechFrames,
    };
  }
}

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / Math.max(1, pcm.length)) / 32768;
}

function writeError(err: unknown, path: string): AudioError {
  const code = (err as NodeJS.ErrnoException).code;
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  return new AudioError(
    full ? 'disk-full' : 'write-failed',
    full ? diskFullMessage(`write ${path}`) : `Cannot write ${path}: ${(err as Error).message}`,
    { cause: err },
  );
}

export interface CutPiecesOptions extends PieceCutterOptions {
  /**
   * Ask Silero VAD whether each piece holds speech. Default true; when the model cannot load,
   * `onSpeechUnavailable` hears why and the loudness decides.
   */
  detectSpeech?: boolean;
  onSpeechUnavailable?: (err: Error) => void;
}

/**
 * The pieces of a 16 kHz mono PCM16 stream (little-endian bytes, e.g. ffmpeg's `-f s16le` on a
 * pipe), each yielded once closed. The stream is read only as fast as pieces are taken: a caller
 * that uploads before taking the next keeps few files on disk and nothing but the search window
 * in memory. Ending early (break, an error) deletes the open piece.
 */
export async function* cutPieces(
  pcm: AsyncIterable<Uint8Array>,
  options: CutPiecesOptions,
): AsyncGenerator<FilePiece> {
  let detector: SpeechDetector | undefined;
  if (options.detectSpeech ?? true) {
    try {
      detector = (await loadSpeechModel()).acquire();
    } catch (err) {
      options.onSpeechUnavailable?.(err as Error);
    }
  }
  const cutter = new PieceCutter(options, detector);
  let odd: number | undefined;
  try {
    for await (const bytes of pcm) {
      let data = bytes;
      if (odd !== undefined) {
        data = new Uint8Array(bytes.length + 1);
        data[0] = odd;
        data.set(bytes, 1);
        odd = undefined;
      }
      const even = data.length - (data.length % 2);
      if (even < data.length) odd = data[even];
      // a copy, aligned for the Int16Array view (a pipe's chunks may start at an odd offset)
      const samples = new Int16Array(even / 2);
      new Uint8Array(samples.buffer).set(data.subarray(0, even));
      yield* cutter.push(samples);
    }
    yield* cutter.end();
  } finally {
    cutter.discard();
    detector?.release();
  }
}
