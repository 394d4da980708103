import { basename } from 'node:path';
import type { ErrorInfo, ServiceEvent, UploadInfo } from '@whis/ipc';
import type { Journal, RecordingMeta } from '../journal.js';
import type {
  AudioChunk,
  CapturedAudio,
  LiveSession,
  LiveTranscriber,
  Logger,
  Output,
  ProcessedText,
  TextProcessor,
  Transcriber,
} from '../ports.js';
import { errorCode } from './error-codes.js';

export type Outcome = 'transcribed' | 'kept' | 'discarded';

export interface TranscriptionResult {
  id: string;
  outcome: Outcome;
  text?: string;
  /** Why it was kept, for a caller (`retry`) that reports it. */
  error?: unknown;
}

export interface TranscriptionJob {
  readonly id: string;
  /** `finished`: the first upload of a recording just stopped; `retry`: an upload `retry` asked for. */
  readonly kind: 'finished' | 'retry';
  readonly abort: AbortController;
  readonly done: Promise<TranscriptionResult>;
}

export interface RegistryContext {
  journal: Journal;
  transcriber: Transcriber;
  /** Transcribes while recording; the segments it misses are uploaded. */
  live?: LiveTranscriber;
  output: Output;
  /** Tidies each whole transcript before it is stored and delivered; segments stay as heard. */
  processor?: TextProcessor;
  logger: Logger;
  emit(event: ServiceEvent): void;
  reportError(code: string, message: string, recordingId?: string): ErrorInfo;
}

/**
 * The segments of one recording, transcribed one after another as they close (each with the text
 * before it as context), while the recording goes on: at stop only the last is left to send.
 */
class Segments {
  readonly abort = new AbortController();
  private readonly texts = new Map<string, Promise<string>>();
  private chain: Promise<string> = Promise.resolve('');
  done = 0;

  get total(): number {
    return this.texts.size;
  }

  /** Queues a chunk (once) behind the ones before it; `known` is a text already stored. */
  add(chunk: AudioChunk, upload: (context: string) => Promise<string>, known?: string): void {
    if (this.texts.has(chunk.path)) return;
    const text =
      known !== undefined ? Promise.resolve(known) : this.chain.then((context) => upload(context));
    const counted = text.then((t) => {
      this.done++;
      return t;
    });
    counted.catch(() => undefined);
    this.texts.set(chunk.path, counted);
    // a failed segment leaves the next without context, not without a chance
    this.chain = counted.catch(() => '');
  }

  text(chunk: AudioChunk): Promise<string> | undefined {
    return this.texts.get(chunk.path);
  }
}

/**
 * Every transcription the service runs, one per recording id: a finished recording's first upload
 * and each `retry` go through here, so a recording that is already being transcribed is joined,
 * never uploaded (and delivered) a second time.
 */
export class TranscriptionRegistry {
  private readonly jobs = new Map<string, TranscriptionJob>();
  /** Recordings in progress whose closed segments are being transcribed already. */
  private readonly early = new Map<string, Segments>();
  /** Recordings streamed to a live transcription. */
  private readonly live = new Map<string, LiveSession>();
  /** Segment uploads in flight, by `<id>/<segment>`: the attempt each is on. */
  private readonly attempts = new Map<string, UploadInfo>();
  private readonly settledListeners = new Set<
    (job: TranscriptionJob, r: TranscriptionResult) => void
  >();

  constructor(private readonly ctx: RegistryContext) {}

  get ids(): string[] {
    return [...this.jobs.keys()];
  }

  get running(): TranscriptionJob[] {
    return [...this.jobs.values()];
  }

  get(id: string): TranscriptionJob | undefined {
    return this.jobs.get(id);
  }

  onSettled(listener: (job: TranscriptionJob, result: TranscriptionResult) => void): void {
    this.settledListeners.add(listener);
  }

  abortAll(): void {
    for (const job of this.jobs.values()) job.abort.abort();
  }

  /** A recording begins: its live transcription, when one is configured. */
  async openLive(id: string): Promise<LiveSession | undefined> {
    const { live, emit, logger } = this.ctx;
    if (!live) return undefined;
    try {
      const session = await live.open({
        onDelta: (segment, text) =>
          emit({ type: 'transcript.delta', recordingId: id, segment, text }),
      });
      if (session) this.live.set(id, session);
      return session ?? undefined;
    } catch (err) {
      // not configured as it should be, or it cannot start: the segments are uploaded instead
      logger.warn({ err }, 'the live transcription did not start; segments are uploaded instead');
      return undefined;
    }
  }

  /** A segment of a recording in progress closed: its text is asked for now, behind the earlier ones. */
  segmentClosed(id: string, chunk: AudioChunk): void {
    let segments = this.early.get(id);
    if (!segments) this.early.set(id, (segments = new Segments()));
    const { signal } = segments.abort;
    const index = segments.total;
    this.live.get(id)?.end();
    segments.add(chunk, (context) => this.segmentText(id, chunk, index, context, signal));
  }

  /** The recording was discarded or kept untranscribed: its segment uploads and live session stop. */
  dropSegments(id: string): void {
    this.early.get(id)?.abort.abort();
    this.early.delete(id);
    this.live.get(id)?.close();
    this.live.delete(id);
  }

  /** The uploads in flight and the attempt each is on, oldest first. */
  uploads(): UploadInfo[] {
    return [...this.attempts.values()];
  }

  /** Segments of a recording in progress: transcribed so far, and closed so far. */
  segmentProgress(id: string): { done: number; total: number } | undefined {
    const segments = this.early.get(id);
    return segments ? { done: segments.done, total: segments.total } : undefined;
  }

  // A segment's text: from the live session when it has it, else uploaded; stored and announced.
  private async segmentText(
    id: string,
    chunk: AudioChunk,
    index: number,
    context: string,
    signal: AbortSignal,
  ): Promise<string> {
    const live = this.live.get(id);
    // a segment the speech detector found empty is neither uploaded nor taken from the live text
    // (a model given noise answers "Thank you.")
    let text: string | undefined = chunk.speech === false ? '' : undefined;
    if (live && text === undefined) {
      try {
        text = (await live.text(index)).trim();
        await this.ctx.journal.segment(id, basename(chunk.path), text).catch(() => undefined);
      } catch (err) {
        this.ctx.logger.info(
          { recordingId: id, segment: index, why: (err as Error).message },
          'segment not transcribed live; uploading it',
        );
      }
    }
    text ??= await this.uploadSegment(id, chunk, index, context, signal);
    this.ctx.emit({ type: 'transcript.segment', recordingId: id, segment: index, text });
    return text;
  }

  private async uploadSegment(
    id: string,
    chunk: AudioChunk,
    segment: number,
    context: string,
    signal: AbortSignal,
  ): Promise<string> {
    const key = `${id}/${segment}`;
    const onAttempt = ({
      attempt,
      attempts,
      previousError,
    }: {
      attempt: number;
      attempts: number;
      previousError?: string;
    }) => {
      const info: UploadInfo = { recordingId: id, segment, attempt, attempts };
      this.attempts.set(key, info);
      if (attempt < 2) return;
      this.ctx.logger.warn(
        { recordingId: id, segment, attempt, attempts, previousError },
        `upload attempt ${attempt} of ${attempts} (the one before: ${previousError ?? 'failed'})`,
      );
      this.ctx.emit({ type: 'attempt', ...info, ...(previousError ? { previousError } : {}) });
    };
    let text: string;
    try {
      ({ text } = await this.ctx.transcriber.transcribe([chunk], { signal, context, onAttempt }));
    } finally {
      this.attempts.delete(key);
    }
    const clean = text.trim();
    // best effort: a stored segment is one `retry` need not send again
    await this.ctx.journal.segment(id, basename(chunk.path), clean).catch(() => undefined);
    return clean;
  }

  /** A recording that just finished: waits for its audio, then transcribes and delivers it. */
  startFinished(id: string, audioReady: Promise<CapturedAudio | undefined>): TranscriptionJob {
    return this.register(id, 'finished', (signal, detach) =>
      this.finished(id, audioReady, signal, detach),
    );
  }

  /**
   * A kept recording again. The running transcription of the same id if there is one; otherwise a
   * new upload, which whoever asks meanwhile joins.
   */
  retry(meta: RecordingMeta): TranscriptionJob {
    const running = this.jobs.get(meta.id);
    if (running) return running;
    return this.register(meta.id, 'retry', async (signal, detach) => {
      try {
        const text = await this.transcribe(
          meta.id,
          { chunks: meta.chunks, durationMs: meta.durationMs, speechDetected: true },
          signal,
          detach,
        );
        return { id: meta.id, outcome: 'transcribed', text };
      } catch (err) {
        return { id: meta.id, outcome: 'kept', error: err };
      }
    });
  }

  private register(
    id: string,
    kind: TranscriptionJob['kind'],
    work: (signal: AbortSignal, detach: () => void) => Promise<TranscriptionResult>,
  ): TranscriptionJob {
    const abort = new AbortController();
    // a job leaves the registry before its failure is written to the journal, so that a `retry`
    // that reads "failed" there starts a new upload instead of joining the one that just failed
    const detach = () => {
      if (this.jobs.get(id) === job) this.jobs.delete(id);
    };
    const job: TranscriptionJob = {
      id,
      kind,
      abort,
      done: work(abort.signal, detach).then((result) => {
        detach();
        for (const listener of this.settledListeners) listener(job, result);
        return result;
      }),
    };
    this.jobs.set(id, job);
    return job;
  }

  private async finished(
    id: string,
    audioReady: Promise<CapturedAudio | undefined>,
    signal: AbortSignal,
    detach: () => void,
  ): Promise<TranscriptionResult> {
    const { journal, reportError } = this.ctx;
    let captured: CapturedAudio | undefined;
    try {
      captured = await audioReady;
    } catch (err) {
      this.dropSegments(id);
      reportError(
        errorCode(err, 'audio-failed'),
        `Recording ${id} could not be finished: ${(err as Error).message}`,
        id,
      );
      await journal
        .failed(id, { code: errorCode(err, 'audio-failed'), message: (err as Error).message })
        .catch(() => undefined);
      return { id, outcome: 'kept' };
    }
    if (!captured) {
      this.dropSegments(id);
      reportError(
        'audio-failed',
        `Recording ${id} has no audio: the microphone never started.`,
        id,
      );
      return { id, outcome: 'kept' };
    }
    if (!captured.speechDetected || captured.chunks.length === 0) {
      this.dropSegments(id);
      await journal.remove(id).catch(() => undefined);
      reportError('no-speech', 'The recording held no speech; nothing was sent.', id);
      return { id, outcome: 'discarded' };
    }
    try {
      const text = await this.transcribe(id, captured, signal, detach);
      return { id, outcome: 'transcribed', text };
    } catch (err) {
      return { id, outcome: 'kept', error: err };
    }
  }

  // Every segment's text, in order: those uploaded while recording, those stored by an earlier try,
  // and the rest (usually the last) uploaded now, each with the text before it as context.
  private async transcribeSegments(
    id: string,
    chunks: readonly AudioChunk[],
    signal: AbortSignal,
  ): Promise<string> {
    const segments = this.early.get(id) ?? new Segments();
    this.early.delete(id);
    // the capture has stopped: the live session's last segment ends
    const live = this.live.get(id);
    live?.end();
    const stopUploads = () => segments.abort.abort();
    if (signal.aborted) stopUploads();
    signal.addEventListener('abort', stopUploads, { once: true });
    try {
      const stored = await this.ctx.journal.segments(id);
      const total = chunks.length;
      const progress = () =>
        this.ctx.emit({ type: 'progress', recordingId: id, done: segments.done, total });
      progress();
      chunks.forEach((chunk, index) =>
        segments.add(
          chunk,
          (context) => this.segmentText(id, chunk, index, context, segments.abort.signal),
          stored[basename(chunk.path)],
        ),
      );
      const texts = await Promise.all(
        chunks.map((chunk) =>
          segments.text(chunk)!.then((text) => {
            progress();
            return text;
          }),
        ),
      ).catch((err: unknown) => {
        // one segment failed: the recording is kept for `retry`, and the uploads of the others
        // (each with attempts and a budget of its own) stop instead of running on unseen
        stopUploads();
        throw err;
      });
      return texts.filter(Boolean).join(' ');
    } finally {
      signal.removeEventListener('abort', stopUploads);
      live?.close();
      if (this.live.get(id) === live) this.live.delete(id);
    }
  }

  // The post-processed transcript, or undefined when there is no processor, nothing to process, or
  // the processor failed: the text as heard is never lost to a step.
  private async postProcess(
    id: string,
    raw: string,
    signal: AbortSignal,
  ): Promise<ProcessedText | undefined> {
    const { processor, logger } = this.ctx;
    if (!processor || raw.length === 0) return undefined;
    try {
      const processed = await processor.process(raw, { signal });
      if (processed.notes.length > 0)
        logger.warn({ recordingId: id, notes: processed.notes }, 'post-processing left parts out');
      return processed;
    } catch (err) {
      logger.warn(
        { err, recordingId: id },
        'post-processing failed; the text is delivered as heard',
      );
      return undefined;
    }
  }

  // Uploads, stores the transcript, announces it and delivers it; on failure the audio is kept and
  // the error (with the recording id and the `retry` to run) is reported, then rethrown.
  private async transcribe(
    id: string,
    captured: CapturedAudio,
    signal: AbortSignal,
    detach: () => void,
  ): Promise<string> {
    const { journal, output, logger, emit, reportError } = this.ctx;
    let text: string;
    try {
      text = await this.transcribeSegments(id, captured.chunks, signal);
    } catch (err) {
      const message = signal.aborted
        ? `Transcription of ${id} was cancelled; the audio is kept: \`whis retry ${id}\`.`
        : `Transcription failed: ${(err as Error).message} The recording is kept: \`whis retry ${id}\`.`;
      detach();
      await journal
        .failed(id, {
          code: errorCode(err, 'transcription-failed'),
          message: (err as Error).message,
        })
        .catch(() => undefined);
      reportError(
        signal.aborted ? 'cancelled' : errorCode(err, 'transcription-failed'),
        message,
        id,
      );
      throw err;
    }
    const raw = text;
    const processed = await this.postProcess(id, raw, signal);
    text = processed?.text ?? raw;
    try {
      await journal.transcribed(
        id,
        text,
        processed ? { raw, applied: processed.applied } : undefined,
      );
    } catch (err) {
      reportError(
        errorCode(err, 'journal-failed'),
        `${(err as Error).message} (the transcript is still delivered)`,
        id,
      );
    }
    emit({ type: 'transcript', recordingId: id, text, ...(text !== raw ? { raw } : {}) });
    if (text.length > 0) {
      try {
        await output.deliver(text);
      } catch (err) {
        reportError(
          errorCode(err, 'output-failed'),
          `Could not deliver the transcript: ${(err as Error).message} It is saved: \`whis last\`.`,
          id,
        );
      }
    }
    logger.info({ recordingId: id, chars: text.length }, 'transcribed');
    return text;
  }
}
