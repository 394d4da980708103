import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Mp3Encoder } from '@breezystack/lamejs';
import { diskFullMessage } from '@whis/contracts';
import { AudioError } from './errors.js';
import { downmix, levelOf, Resampler, TARGET_RATE, toInt16 } from './dsp.js';
import { loadedSpeechModel, loadSpeechModel, type SpeechDetector } from './speech.js';
import type { AudioChunk, CapturedAudio, Level } from './types.js';

const FRAME = 320; // 20 ms at 16 kHz
const FRAME_MS = 20;
const MAX_PAUSE_FRAMES = 2000 / FRAME_MS;
/** A pause a chunk may end in: about half a second (one frame less, for the frame a word fades in). */
const CUT_PAUSE_FRAMES = 500 / FRAME_MS - 1;
/** Audio of a chunk kept for the speech detector while it loads (30 s at most). */
const MAX_WAITING_FRAMES = 30_000 / FRAME_MS;

export interface PipelineOptions {
  /** Where the chunk files go (`000.mp3`, `001.mp3`, …). */
  directory: string;
  /** MP3 bit rate. Default 32 kbit/s (about 240 KB a minute). */
  bitrateKbps?: number;
  /**
   * Close a chunk at the first pause (about 0.5 s of silence) once it holds this much audio, so
   * that it is transcribed while the recording goes on and what is left to send at stop stays
   * short, whatever the recording's length. Default 5 s (a chunk every sentence or two).
   */
  cutAtPauseMs?: number;
  /**
   * The longest a chunk grows: it closes at the first pause after the shorter of this and
   * `cutAtPauseMs` (a live transcription asks for 1 s), and 20% past this (at least 2 s) when no
   * pause comes. Default 25 s, or `cutAtPauseMs` when that is longer.
   */
  maxChunkMs?: number;
  /** … or after this many bytes. Default 20 MB (the OpenAI limit is 25 MB). */
  maxChunkBytes?: number;
  /** Drop leading and trailing silence beyond 300 ms. Default true. */
  trimSilence?: boolean;
  /** A 20 ms frame is speech above this RMS (0..1). Default 0.01 (−40 dBFS). */
  speechThreshold?: number;
  /** Less speech than this in total, and the recording counts as empty. Default 200 ms. */
  minSpeechMs?: number;
  /** Level events this often. Default 200 ms. */
  levelIntervalMs?: number;
  onLevel?: (level: Level) => void;
  /** Every 16 kHz mono frame, before silence trimming (for a raw copy or analysis). */
  onFrame?: (pcm: Int16Array) => void;
  /**
   * Each chunk closed while recording goes on: a finished, independently decodable file. The last
   * one, closed by `finish()`, is not announced: it comes back with the others from `finish()`.
   */
  onChunk?: (chunk: AudioChunk) => void;
  /** The audio as it goes into chunk `segment` (16 kHz mono, silence trimmed): what a live transcription streams. */
  onPcm?: (pcm: Int16Array, segment: number) => void;
  /**
   * Ask Silero VAD whether each chunk holds speech (`AudioChunk.speech`): a recording without any
   * is `speechDetected: false` however loud it was. Default true. The model is loaded by
   * `prepareSpeech()` (the sources call it once the capture has ended), so that the first
   * recording is not disturbed by the load; after that, chunks are judged as they close. Off, or
   * when the model cannot load, the loudness of the frames alone decides (`speechThreshold`,
   * `minSpeechMs`).
   */
  detectSpeech?: boolean;
}

type CallbackOptions = 'onLevel' | 'onFrame' | 'onChunk' | 'onPcm';

interface OpenChunk {
  index: number;
  path: string;
  fd: number;
  encoder: Mp3Encoder;
  startSample: number;
  samples: number;
  bytes: number;
}

/**
 * Turns device PCM into what whis keeps: 16 kHz mono, silence-trimmed, encoded to MP3 as it
 * arrives and written straight to the chunk files. Memory stays flat however long the recording,
 * and finishing costs one encoder flush, whatever the duration.
 */
export class RecordingPipeline {
  private readonly resampler: Resampler;
  private readonly options: Required<Omit<PipelineOptions, CallbackOptions>> &
    Pick<PipelineOptions, CallbackOptions>;
  private pending = new Float32Array(0);
  private held: Int16Array[] = [];
  private heardSpeech = false;
  private speechFrames = 0;
  private written = 0;
  private chunk: OpenChunk | undefined;
  private readonly chunks: AudioChunk[] = [];
  private wantCut = false;
  /** Silent frames written since the last speech. */
  private silentRun = 0;
  private levelSum = 0;
  private levelPeak = 0;
  private levelSamples = 0;
  private failed: Error | undefined;
  private readonly tail = 300 / FRAME_MS;
  /** The speech detector: `loading` until the model is there, `off` without one (or if it failed). */
  private vad: SpeechDetector | 'loading' | 'off' = 'off';
  /** The open chunk's audio written before the detector was there; unset when the chunk gets no verdict. */
  private waiting: Int16Array[] | undefined = [];

  constructor(
    readonly inRate: number,
    readonly channels: number,
    options: PipelineOptions,
  ) {
    this.options = {
      bitrateKbps: 32,
      cutAtPauseMs: 5000,
      maxChunkMs: Math.max(25_000, options.cutAtPauseMs ?? 0),
      maxChunkBytes: 20 * 1024 * 1024,
      trimSilence: true,
      speechThreshold: 0.01,
      minSpeechMs: 200,
      levelIntervalMs: 200,
      detectSpeech: true,
      ...options,
    };
    this.resampler = new Resampler(inRate, TARGET_RATE);
    if (this.options.detectSpeech) {
      const model = loadedSpeechModel();
      this.vad = model === 'failed' ? 'off' : (model?.acquire() ?? 'loading');
    }
  }

  /**
   * Loads the speech detector if it is not there yet (about 10–40 MB and a few hundred ms, once per
   * process) and gives it the open chunk's audio; `finish()` then judges the last chunk. Never
   * rejects: it resolves with the reason the detector could not load (then the loudness decides).
   * Call it once the capture has ended.
   */
  async prepareSpeech(): Promise<Error | undefined> {
    if (this.vad !== 'loading') return undefined;
    try {
      const model = await loadSpeechModel();
      if (this.vad !== 'loading') return; // discarded meanwhile
      const detector = model.acquire();
      this.vad = detector;
      // (a chunk whose audio did not all wait gets no verdict: `waiting` stays unset until the next)
      if (this.waiting) for (const pcm of this.waiting.splice(0)) detector.push(pcm);
    } catch (err) {
      if (this.vad === 'loading') this.vad = 'off';
      this.waiting = undefined;
      return err as Error;
    }
    return undefined;
  }

  /** The first error writing the files (disk full, …), if any: capture should end. */
  get error(): Error | undefined {
    return this.failed;
  }

  /** Feeds interleaved 16-bit PCM at the input rate. */
  push(pcm: Int16Array): void {
    if (this.failed) return;
    this.consume(this.resampler.push(downmix(pcm, this.channels)));
  }

  /** Flushes everything and returns the chunks on disk. */
  finish(): CapturedAudio {
    this.consume(this.resampler.flush(), true);
    // trailing silence: at most 300 ms after the last word (none when the last chunk already
    // closed in the pause after it)
    if (this.heardSpeech && this.chunk)
      for (const frame of this.held.splice(0, this.tail)) this.write(frame, true);
    this.held = [];
    this.closeChunk(false);
    this.releaseVad();
    // the detector's verdict where it judged every chunk (a short "no" is speech however brief);
    // otherwise the loudness decides
    const judged = this.chunks.length > 0 && this.chunks.every((c) => c.speech !== undefined);
    return {
      chunks: [...this.chunks],
      durationMs: Math.round((this.written / TARGET_RATE) * 1000),
      speechDetected: judged
        ? this.chunks.some((c) => c.speech)
        : this.speechFrames * FRAME_MS >= this.options.minSpeechMs,
    };
  }

  /** Stops and deletes every file written. */
  discard(): void {
    this.closeChunk(false);
    this.releaseVad();
    for (const chunk of this.chunks) rmSync(chunk.path, { force: true });
  }

  private releaseVad(): void {
    if (typeof this.vad === 'object') this.vad.release();
    this.vad = 'off';
    this.waiting = undefined;
  }

  // The chunk's audio goes to the speech detector until it has heard speech (or waits for it).
  private detect(pcm: Int16Array): void {
    const vad = this.vad;
    if (vad === 'off') return;
    if (vad !== 'loading') {
      vad.push(pcm);
      return;
    }
    if (!this.waiting) return;
    if (this.waiting.length < MAX_WAITING_FRAMES) this.waiting.push(pcm);
    else this.waiting = undefined; // too long: this chunk gets no verdict
  }

  private consume(samples: Float32Array, final = false): void {
    let data = samples;
    if (this.pending.length > 0) {
      data = new Float32Array(this.pending.length + samples.length);
      data.set(this.pending);
      data.set(samples, this.pending.length);
    }
    let offset = 0;
    for (; offset + FRAME <= data.length; offset += FRAME)
      this.frame(data.subarray(offset, offset + FRAME));
    this.pending = data.slice(offset);
    if (final && this.pending.length > 0) {
      const last = new Float32Array(FRAME);
      last.set(this.pending);
      this.pending = new Float32Array(0);
      this.frame(last.subarray(0, FRAME));
    }
  }

  private frame(samples: Float32Array): void {
    const level = levelOf(samples);
    this.levelSum += level.rms * level.rms * samples.length;
    this.levelPeak = Math.max(this.levelPeak, level.peak);
    this.levelSamples += samples.length;
    if (this.levelSamples >= (this.options.levelIntervalMs / 1000) * TARGET_RATE) {
      this.options.onLevel?.({
        rms: Math.sqrt(this.levelSum / this.levelSamples),
        peak: this.levelPeak,
      });
      this.levelSum = 0;
      this.levelPeak = 0;
      this.levelSamples = 0;
    }
    const pcm = toInt16(samples);
    this.options.onFrame?.(pcm);
    const speech = level.rms >= this.options.speechThreshold;
    if (!this.options.trimSilence) {
      if (speech) this.speechFrames++;
      this.write(pcm, !speech);
      return;
    }
    if (speech) {
      this.speechFrames++;
      // leading silence, of the recording or of a chunk that begins after one closed in a pause:
      // keep only the 300 ms just before the first word
      const held = this.heardSpeech && this.chunk ? this.held : this.held.slice(-this.tail);
      for (const frame of held) this.write(frame, true);
      this.held = [];
      this.heardSpeech = true;
      this.write(pcm, false);
      return;
    }
    this.held.push(pcm);
    // a chunk over its length closes in the pause itself, not when the next word comes: its text
    // can be on its way while the speaker pauses
    if (this.wantCut && this.heardSpeech && this.chunk && this.held.length >= CUT_PAUSE_FRAMES) {
      for (const frame of this.held.splice(0)) this.write(frame, true);
      return;
    }
    // a pause is kept to its last 2 s: Whisper needs no more, and memory stays bounded
    if (this.held.length > MAX_PAUSE_FRAMES) this.held.shift();
  }

  private write(pcm: Int16Array, silent = false): void {
    if (this.failed) return;
    const chunk = (this.chunk ??= this.openChunk());
    this.append(chunk, chunk.encoder.encodeBuffer(pcm));
    this.options.onPcm?.(pcm, chunk.index);
    this.detect(pcm);
    chunk.samples += pcm.length;
    this.written += pcm.length;
    this.silentRun = silent ? this.silentRun + 1 : 0;
    // a chunk over its length ends in the first real pause, never in the gap between two words
    if (this.wantCut && this.silentRun >= CUT_PAUSE_FRAMES) {
      this.closeChunk();
      return;
    }
    const ms = (chunk.samples / TARGET_RATE) * 1000;
    const cutMs = Math.min(this.options.cutAtPauseMs, this.options.maxChunkMs);
    if (ms >= cutMs || chunk.bytes >= this.options.maxChunkBytes) this.wantCut = true;
    // no pause for 20% past the limit (at least 2 s): cut anyway
    const forcedMs = Math.max(this.options.maxChunkMs * 1.2, this.options.maxChunkMs + 2000);
    if (ms >= forcedMs || chunk.bytes >= this.options.maxChunkBytes * 1.2) this.closeChunk();
  }

  private openChunk(): OpenChunk {
    const index = this.chunks.length;
    const path = join(this.options.directory, `${String(index).padStart(3, '0')}.mp3`);
    let fd: number;
    try {
      fd = openSync(path, 'w', 0o600);
    } catch (err) {
      throw this.fail(err, path);
    }
    this.wantCut = false;
    if (typeof this.vad === 'object') this.vad.reset();
    this.waiting = [];
    return {
      index,
      path,
      fd,
      encoder: new Mp3Encoder(1, TARGET_RATE, this.options.bitrateKbps),
      startSample: this.written,
      samples: 0,
      bytes: 0,
    };
  }

  private append(chunk: OpenChunk, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    try {
      // synchronous writes of a few hundred bytes: on disk as it records, nothing to lose in a crash
      writeSync(chunk.fd, bytes);
      chunk.bytes += bytes.length;
    } catch (err) {
      this.fail(err, chunk.path);
    }
  }

  private fail(err: unknown, path: string): Error {
    const code = (err as NodeJS.ErrnoException).code;
    this.failed ??= new AudioError(
      code === 'ENOSPC' || code === 'EDQUOT' ? 'disk-full' : 'write-failed',
      code === 'ENOSPC' || code === 'EDQUOT'
        ? diskFullMessage(`record to ${path}`)
        : `Cannot write the recording to ${path}: ${(err as Error).message}`,
      { cause: err },
    );
    return this.failed;
  }

  private closeChunk(announce = true): void {
    const chunk = this.chunk;
    if (!chunk) return;
    this.chunk = undefined;
    this.append(chunk, chunk.encoder.flush());
    try {
      closeSync(chunk.fd);
    } catch {
      // already reported through append
    }
    if (chunk.bytes > 0) {
      const closed: AudioChunk = {
        path: chunk.path,
        mimeType: 'audio/mpeg',
        startMs: Math.round((chunk.startSample / TARGET_RATE) * 1000),
        durationMs: Math.round((chunk.samples / TARGET_RATE) * 1000),
        bytes: chunk.bytes,
      };
      if (typeof this.vad === 'object' && this.waiting) closed.speech = this.vad.end();
      this.chunks.push(closed);
      if (announce) this.options.onChunk?.(closed);
    }
  }
}
