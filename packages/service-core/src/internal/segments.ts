import { basename } from 'node:path';
import type { ServiceEvent, UploadInfo } from '@whis/ipc';
import type { Journal } from '../journal.js';
import type { AudioChunk, LiveSession, LiveTranscriber, Logger, Transcriber } from '../ports.js';

export interface SegmentContext {
  journal: Journal;
  transcriber: Transcriber;
  /** Transcribes while recording; the segments it misses are uploaded. */
  live?: LiveTranscriber;
  logger: Logger;
  emit(event: ServiceEvent): void;
}

/**
 * The segments of one recording, transcribed one after another as they close (each with the text
 * before it as context), while the recording goes on: at stop only the last is left to send.
 */
class SegmentChain {
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
 * The text of each segment of a recording: from the live session while recording when there is
 * one, else uploaded as soon as the segment closes; each stored in the journal (so that `retry`
 * sends only what is missing) and announced as a `transcript.segment` event.
 */
export class SegmentTranscription {
  /** Recordings in progress whose closed segments are being transcribed already. */
  private readonly early = new Map<string, SegmentChain>();
  /** Recordings streamed to a live transcription. */
  private readonly live = new Map<string, LiveSession>();
  /** Segment uploads in flight, by `<id>/<segment>`: the attempt each is on. */
  private readonly attempts = new Map<string, UploadInfo>();

  constructor(private readonly ctx: SegmentContext) {}

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
  closed(id: string, chunk: AudioChunk): void {
    let segments = this.early.get(id);
    if (!segments) this.early.set(id, (segments = new SegmentChain()));
    const { signal } = segments.abort;
    const index = segments.total;
    this.live.get(id)?.end();
    segments.add(chunk, (context) => this.segmentText(id, chunk, index, context, signal));
  }

  /** The recording was discarded or kept untranscribed: its segment uploads and live session stop. */
  drop(id: string): void {
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
  progress(id: string): { done: number; total: number } | undefined {
    const segments = this.early.get(id);
    return segments ? { done: segments.done, total: segments.total } : undefined;
  }

  /**
   * Every segment's text, in order, joined: those transcribed while recording, those stored by an
   * earlier try, and the rest (usually the last) uploaded now, each with the text before it as
   * context. One segment failing rejects, and stops the uploads of the others.
   */
  async transcribe(
    id: string,
    chunks: readonly AudioChunk[],
    signal: AbortSignal,
  ): Promise<string> {
    const segments = this.early.get(id) ?? new SegmentChain();
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
    text ??= await this.upload(id, chunk, index, context, signal);
    this.ctx.emit({ type: 'transcript.segment', recordingId: id, segment: index, text });
    return text;
  }

  private async upload(
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
}
