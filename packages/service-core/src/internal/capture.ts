import type { Level } from '@whis/ipc';
import { HostError, JournalError } from '../errors.js';
import { errorId, type ErrorId } from './error-codes.js';
import type { Journal } from '../journal.js';
import type {
  AudioChunk,
  AudioSource,
  Capture,
  CapturedAudio,
  CapturePrelude,
  Clock,
  LiveSession,
  RecordingAction,
  Selection,
} from '../ports.js';

const AUDIO_FAILED: ErrorId = { domain: 'audio', code: 'audio-failed' };

export interface CurrentRecording {
  readonly id: string;
  readonly directory: string;
  readonly startedAt: string;
  readonly startedMs: number;
  readonly capture: Promise<Capture>;
  level: Level | null;
  /** Discarded, or kept untranscribed: its segments are no longer sent. */
  dropped: boolean;
  /** What it is for: dictation, or an instruction that edits `selection`. */
  readonly action: RecordingAction;
  /** An edit's selection, read at the press. */
  selection?: Promise<Selection>;
}

export interface CaptureContext {
  audio: AudioSource;
  journal: Journal;
  clock: Clock;
  reportError(error: ErrorId, message: string, recordingId?: string): unknown;
  /** Awaited before the microphone opens (a start sound, pausing media); never rejects. */
  beforeCapture?(): Promise<CapturePrelude | void>;
  /** The microphone has stopped (finished, discarded, failed, or it never started). */
  afterCapture?(): void;
  onLevel(recording: CurrentRecording, level: Level): void;
  /** A live transcription for a recording that begins, when one is configured. */
  openLive?(recordingId: string): Promise<LiveSession | undefined>;
  /** The recording could not start: what was opened for it (its live session) is released. */
  onStartFailed?(recordingId: string): void;
  /** A segment of the recording closed (cut at a pause, or the last one at stop). */
  onChunk(recording: CurrentRecording, chunk: AudioChunk): void;
  onFailure(recording: CurrentRecording, err: Error): void;
  /** The edit action: refused (throws) when it cannot run; else its selection read at the press. */
  edit?: {
    refuseUnlessReady(): void;
    begin(recordingId: string): Promise<Selection>;
    drop(recordingId: string): void;
  };
  /** An edit's selection could not be read (too large, no tool): the recording is ended. */
  onSelectionFailed?(recording: CurrentRecording, err: Error): void;
}

/** The recording in progress: its journal entry and the microphone, from start to finish or discard. */
export class CaptureLifecycle {
  current: CurrentRecording | undefined;

  constructor(private readonly ctx: CaptureContext) {}

  /**
   * Opens a journal entry and the microphone. Resolves once recording really runs; on failure (no
   * microphone, device busy, full disk, …) the entry is removed and the error thrown.
   */
  async start(action: RecordingAction = 'dictate'): Promise<void> {
    const { audio, journal, clock, reportError, edit } = this.ctx;
    if (action === 'edit') {
      if (!edit) throw new HostError('edit-unavailable', 'This service does not edit by voice.');
      edit.refuseUnlessReady();
    }
    // begins at once, alongside the journal entry and the live session, and is awaited just
    // before the microphone opens
    const prelude = this.ctx.beforeCapture?.();
    let created: Awaited<ReturnType<Journal['create']>>;
    try {
      created = await journal.create(action === 'edit' ? { action } : {});
    } catch (err) {
      reportError(
        errorId(err, { domain: 'journal', code: 'journal-failed' }),
        (err as Error).message,
      );
      // the start feedback ran (media paused): its end must too, or every later cue is one late
      await prelude;
      this.ctx.afterCapture?.();
      throw err instanceof JournalError
        ? err
        : new JournalError('journal-failed', (err as Error).message, { cause: err });
    }
    let live: Awaited<ReturnType<NonNullable<CaptureContext['openLive']>>>;
    try {
      live = await this.ctx.openLive?.(created.id);
    } catch (err) {
      await journal.remove(created.id).catch(() => undefined);
      await prelude;
      this.ctx.afterCapture?.();
      throw err;
    }
    const startCue = (await prelude)?.startCue;
    const recording: CurrentRecording = {
      ...created,
      startedMs: clock.now(),
      level: null,
      dropped: false,
      action,
      capture: audio.start({
        directory: created.directory,
        ...(startCue ? { startCue } : {}),
        ...(live
          ? {
              onPcm: (pcm: Int16Array, segment: number) => live.append(pcm, segment),
              ...(live.segmentMs ? { segmentMs: live.segmentMs } : {}),
            }
          : {}),
      }),
    };
    this.current = recording;
    let capture: Capture;
    try {
      capture = await recording.capture;
    } catch (err) {
      this.current = undefined;
      edit?.drop(created.id);
      this.ctx.onStartFailed?.(created.id);
      await journal.remove(created.id).catch(() => undefined);
      reportError(errorId(err, AUDIO_FAILED), (err as Error).message);
      this.ctx.afterCapture?.();
      throw new HostError('unavailable', (err as Error).message, { cause: err });
    }
    capture.onLevel((level) => {
      if (this.current !== recording) return;
      recording.level = level;
      this.ctx.onLevel(recording, level);
    });
    capture.onChunk?.((chunk) => {
      if (!recording.dropped) this.ctx.onChunk(recording, chunk);
    });
    capture.onError((err) => this.ctx.onFailure(recording, err));
    if (action === 'edit') {
      // the selection of the window the key was pressed in, read once the recording runs and
      // has been announced: starting its tool is not on the way to the first sample
      const selection = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        // discarded meanwhile (a cancel at once): nothing to read for
        recording.dropped ? { text: '', source: 'primary' as const } : edit!.begin(recording.id),
      );
      recording.selection = selection;
      selection.catch((err: Error) => this.ctx.onSelectionFailed?.(recording, err));
    }
  }

  /** Ends the recording in progress; resolves with its id and a promise of the finished audio. */
  async finish(): Promise<
    | {
        id: string;
        audioReady: Promise<CapturedAudio | undefined>;
        selection?: Promise<Selection>;
      }
    | undefined
  > {
    const recording = this.take();
    if (!recording) return undefined;
    const audioReady = recording.capture.then(
      () => this.save(recording),
      () => undefined,
    );
    await recording.capture.then(
      () => undefined,
      () => undefined,
    );
    return {
      id: recording.id,
      audioReady,
      ...(recording.selection ? { selection: recording.selection } : {}),
    };
  }

  /** Ends the recording in progress and deletes it. */
  async discard(): Promise<string | undefined> {
    const recording = this.take();
    if (!recording) return undefined;
    recording.dropped = true;
    this.ctx.edit?.drop(recording.id);
    await recording.capture.then((c) => c.abort()).catch(() => undefined);
    this.ctx.afterCapture?.();
    await this.ctx.journal.remove(recording.id).catch(() => undefined);
    return recording.id;
  }

  /** The microphone failed: what was recorded is kept for `retry`, not transcribed. */
  keepPartial(cause: unknown): string | undefined {
    const recording = this.take();
    if (!recording) return undefined;
    recording.dropped = true;
    this.ctx.edit?.drop(recording.id);
    this.ctx.reportError(
      errorId(cause, AUDIO_FAILED),
      `${(cause as Error)?.message ?? 'The microphone failed.'} What was recorded is kept: \`whis retry ${recording.id}\`.`,
      recording.id,
    );
    this.save(recording)
      .then(async () => {
        await this.ctx.journal.failed(recording.id, {
          code: errorId(cause, AUDIO_FAILED).code,
          message: (cause as Error)?.message ?? 'The microphone failed.',
        });
      })
      .catch(() => undefined);
    return recording.id;
  }

  // Stops the microphone and records the finished audio in the journal.
  private async save(recording: CurrentRecording): Promise<CapturedAudio> {
    let captured: CapturedAudio;
    try {
      captured = await (await recording.capture).stop();
    } finally {
      this.ctx.afterCapture?.();
    }
    await this.ctx.journal.captured(recording.id, captured);
    return captured;
  }

  private take(): CurrentRecording | undefined {
    const recording = this.current;
    this.current = undefined;
    return recording;
  }
}
