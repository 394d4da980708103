import type { ErrorInfo, ServiceEvent } from '@whis/ipc';
import type { Journal, RecordingMeta } from '../journal.js';
import type {
  CapturedAudio,
  Logger,
  Output,
  ProcessedText,
  Selection,
  TextProcessor,
} from '../ports.js';
import type { EditFlow } from './edit.js';
import { errorId, type ErrorId } from './error-codes.js';
import type { SegmentTranscription } from './segments.js';

export type Outcome = 'transcribed' | 'kept' | 'discarded';

export interface TranscriptionResult {
  id: string;
  outcome: Outcome;
  text?: string;
  /** Why it was kept, for a caller (`retry`) that reports it. */
  error?: unknown;
}

export interface RecordingEndedContext {
  journal: Journal;
  segments: SegmentTranscription;
  output: Output;
  /** Tidies each whole transcript before it is stored and delivered; segments stay as heard. */
  processor?: TextProcessor;
  /** What an edit's instruction becomes once transcribed: the model's answer, placed. */
  edits: Pick<EditFlow, 'apply' | 'drop'>;
  logger: Logger;
  emit(event: ServiceEvent): void;
  reportError(error: ErrorId, message: string, recordingId?: string): ErrorInfo;
}

/**
 * What happens when a recording ended, in order: its audio is awaited, its segments' texts are
 * gathered, the transcript is post-processed, stored in the journal, announced (`transcript`) and
 * delivered to the output. A failure keeps the audio for `retry` and says how to run it.
 *
 * `detach` takes the transcription out of the registry; it is called before a failure is written
 * to the journal, so that a `retry` that reads "failed" there starts a new upload instead of
 * joining the one that just failed.
 */
export class RecordingEnded {
  constructor(private readonly ctx: RecordingEndedContext) {}

  /**
   * A recording that just finished: waits for its audio, then transcribes and delivers it.
   * `selection`: an edit's, read at its press: the text is its instruction.
   */
  async finished(
    id: string,
    audioReady: Promise<CapturedAudio | undefined>,
    signal: AbortSignal,
    detach: () => void,
    selection?: Promise<Selection>,
  ): Promise<TranscriptionResult> {
    const result = await this.finish(id, audioReady, signal, detach, selection);
    // an edit that did not reach its model (kept for `retry`, or without speech) is over
    if (result.outcome !== 'transcribed') this.ctx.edits.drop(id);
    return result;
  }

  private async finish(
    id: string,
    audioReady: Promise<CapturedAudio | undefined>,
    signal: AbortSignal,
    detach: () => void,
    selection: Promise<Selection> | undefined,
  ): Promise<TranscriptionResult> {
    const { journal, segments, reportError } = this.ctx;
    let captured: CapturedAudio | undefined;
    try {
      captured = await audioReady;
    } catch (err) {
      segments.drop(id);
      const error = errorId(err, { domain: 'audio', code: 'audio-failed' });
      const { message } = err as Error;
      reportError(error, `Recording ${id} could not be finished: ${message}`, id);
      await journal.failed(id, { code: error.code, message }).catch(() => undefined);
      return { id, outcome: 'kept' };
    }
    if (!captured) {
      segments.drop(id);
      reportError(
        { domain: 'audio', code: 'audio-failed' },
        `Recording ${id} has no audio: the microphone never started.`,
        id,
      );
      return { id, outcome: 'kept' };
    }
    if (!captured.speechDetected || captured.chunks.length === 0) {
      segments.drop(id);
      await journal.remove(id).catch(() => undefined);
      reportError(
        { domain: 'host', code: 'no-speech' },
        'The recording held no speech; nothing was sent.',
        id,
      );
      return { id, outcome: 'discarded' };
    }
    return this.transcribe(id, captured, signal, detach, selection && { selection, place: true });
  }

  /**
   * A kept recording again (`retry`): only the segments without a stored text are sent. An edit's
   * answer is kept, not placed: the selection it was for is no longer on the screen.
   */
  again(
    meta: RecordingMeta,
    signal: AbortSignal,
    detach: () => void,
  ): Promise<TranscriptionResult> {
    const captured = { chunks: meta.chunks, durationMs: meta.durationMs, speechDetected: true };
    const edit = meta.action === 'edit' ? { place: false } : undefined;
    return this.transcribe(meta.id, captured, signal, detach, edit);
  }

  private async transcribe(
    id: string,
    captured: CapturedAudio,
    signal: AbortSignal,
    detach: () => void,
    edit?: { selection?: Promise<Selection>; place: boolean },
  ): Promise<TranscriptionResult> {
    let raw: string;
    try {
      raw = await this.ctx.segments.transcribe(id, captured.chunks, signal);
    } catch (err) {
      const cancelled = signal.aborted;
      detach();
      await this.keep(id, err, cancelled);
      return { id, outcome: 'kept', error: err };
    }
    if (edit) {
      const text = await this.ctx.edits.apply(id, raw, edit.selection, signal, edit.place);
      return { id, outcome: 'transcribed', text };
    }
    const processed = await this.postProcess(id, raw, signal);
    const text = await this.deliver(id, raw, processed);
    return { id, outcome: 'transcribed', text };
  }

  // The audio stays for `retry`: the failure is written to the journal and reported with the
  // command to run.
  private async keep(id: string, err: unknown, cancelled: boolean): Promise<void> {
    const { message } = err as Error;
    const error = errorId(err, { domain: 'transcribe', code: 'transcription-failed' });
    await this.ctx.journal.failed(id, { code: error.code, message }).catch(() => undefined);
    if (cancelled) {
      this.ctx.reportError(
        { domain: 'host', code: 'cancelled' },
        `Transcription of ${id} was cancelled; the audio is kept: \`whis retry ${id}\`.`,
        id,
      );
    } else {
      this.ctx.reportError(
        error,
        `Transcription failed: ${message} The recording is kept: \`whis retry ${id}\`.`,
        id,
      );
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

  // Stores the transcript (with the text as heard beside a processed one), announces it and
  // delivers it. Neither a failed store nor a failed delivery stops the other; what went wrong is
  // reported once both are known, so that the message says where the text is.
  private async deliver(
    id: string,
    raw: string,
    processed: ProcessedText | undefined,
  ): Promise<string> {
    const { journal, output, logger, emit, reportError } = this.ctx;
    const text = processed?.text ?? raw;
    let unsaved: unknown;
    try {
      await journal.transcribed(
        id,
        text,
        processed ? { raw, applied: processed.applied } : undefined,
      );
    } catch (err) {
      unsaved = err ?? new Error('the journal failed');
    }
    emit({ type: 'transcript', recordingId: id, text, ...(text !== raw ? { raw } : {}) });
    let undelivered: unknown;
    if (text.length > 0) {
      try {
        await output.deliver(text);
      } catch (err) {
        undelivered = err ?? new Error('the output failed');
      }
    }
    if (undelivered !== undefined) {
      const where =
        unsaved === undefined
          ? 'It is saved: `whis last`.'
          : `It was not saved either: ${(unsaved as Error).message}`;
      reportError(
        errorId(undelivered, { domain: 'output', code: 'output-failed' }),
        `Could not deliver the transcript: ${(undelivered as Error).message} ${where}`,
        id,
      );
    } else if (unsaved !== undefined) {
      reportError(
        errorId(unsaved, { domain: 'journal', code: 'journal-failed' }),
        `The transcript was ${text.length > 0 ? 'delivered' : 'empty'} but not saved: ${(unsaved as Error).message} It will not be in \`whis last\`.`,
        id,
      );
    }
    logger.info({ recordingId: id, chars: text.length }, 'transcribed');
    return text;
  }
}
