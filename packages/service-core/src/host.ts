import { silentLogger } from '@whis/contracts';
import type {
  ActionParams,
  LastResult,
  RetryResult,
  ServiceEvent,
  ShutdownResult,
  StateChangeResult,
  StatusResult,
} from '@whis/ipc';
import { HostError } from './errors.js';
import type { Journal } from './journal.js';
import { CaptureLifecycle, type CaptureContext } from './internal/capture.js';
import { EditFlow, type EditParts } from './internal/edit.js';
import { errorId } from './internal/error-codes.js';
import { ServiceEvents } from './internal/events.js';
import { Phases } from './internal/phases.js';
import { RecordingEnded } from './internal/recording-ended.js';
import { TranscriptionRegistry } from './internal/registry.js';
import { SegmentTranscription } from './internal/segments.js';
import { ServiceShutdown } from './internal/shutdown.js';
import { describeStatus } from './internal/status.js';
import { TriggerAvailability } from './internal/triggers.js';
import type {
  AudioSource,
  Clock,
  LiveTranscriber,
  Logger,
  Output,
  RecordingHooks,
  TextProcessor,
  Transcriber,
  Trigger,
} from './ports.js';

type Omitted<T> = Omit<T, 'protocolVersion'>;

export interface ServiceHostOptions {
  audio: AudioSource;
  transcriber: Transcriber;
  /**
   * Transcribes while recording (a Realtime session): each segment's text is taken from it, and
   * only the segments it misses are uploaded with `transcriber`. Optional.
   */
  live?: LiveTranscriber;
  output: Output;
  /**
   * Also gets each segment's final text as soon as it is known, while the recording may go on
   * (typing as the user speaks); `output` still gets the whole transcript. Optional.
   */
  segmentOutput?: Output;
  /**
   * Tidies each whole transcript between "transcribed" and "delivered" (replacements, spoken
   * punctuation, a language model, …); the journal keeps the text as heard beside it. Segments
   * (`transcript.segment` events, `segmentOutput`) stay as heard. Optional: default, as heard.
   */
  processor?: TextProcessor;
  journal: Journal;
  triggers?: Trigger[];
  /**
   * Runs before each recording's microphone opens (a start sound, pausing media) and once it has
   * stopped (a stop sound, resuming media). Optional.
   */
  hooks?: RecordingHooks;
  logger?: Logger;
  clock?: Clock;
  /** `output`: where transcripts go, described for `status` (see StatusResult.output). */
  /** `feedback`: the sounds, notifications and media pausing in force, for `status`. */
  info: {
    version: string;
    hotkey?: string | null;
    hotkeyBackend?: string;
    output?: string;
    feedback?: string;
  };
  /** What is missing for a recording to succeed (no API key, …), shown in `status`. */
  problems?: () => string[] | Promise<string[]>;
  /** How recordings are transcribed, for `status` (see StatusResult.transcription); read at each call. */
  transcription?: () => string | undefined | Promise<string | undefined>;
  /** What post-processing does, for `status` (see StatusResult.postProcess); read at each call. */
  postProcess?: () => string | undefined | Promise<string | undefined>;
  /** How long shutdown waits for a transcription before keeping its audio for `retry`. Default 30 s. */
  shutdownTimeoutMs?: number;
  /**
   * Edit by voice (the `edit` action): the selection is read at the press, the recording is the
   * instruction, a chat model's answer replaces the selection through `output`. Absent: an edit is
   * refused and the user told why.
   */
  edit?: EditParts;
}

export type { EditParts };

/** The service: performs the state machine's effects through the ports; never blocks on a transcription. */
export interface ServiceHost {
  status(): Promise<Omitted<StatusResult>>;
  /** Starts a recording (for `params.action`, default dictation) or finishes the one in progress. */
  toggle(params?: ActionParams): Promise<Omitted<StateChangeResult>>;
  start(params?: ActionParams): Promise<Omitted<StateChangeResult>>;
  finish(): Promise<Omitted<StateChangeResult>>;
  cancel(): Promise<Omitted<StateChangeResult>>;
  last(limit?: number): Promise<Omitted<LastResult>>;
  /**
   * Transcribes a kept recording and delivers the text. A recording already being transcribed is
   * joined (`joined: true`), one already transcribed answers its stored text (`stored: true`):
   * neither uploads nor delivers it again.
   */
  retry(id?: string): Promise<Omitted<RetryResult>>;
  /** Events until the returned disposer is called. */
  subscribe(listener: (event: ServiceEvent) => void): () => void;
  /** Stops: finishes or keeps the work in progress and says what happened to it. Idempotent. */
  shutdown(): Promise<Omitted<ShutdownResult>>;
  /**
   * Stops at once (a second Ctrl-C): the recording in progress is kept unfinished-but-saved, the
   * uploads in flight are aborted and their audio kept for `retry`. Resolves when `shutdown()` does.
   */
  abortShutdown(): Promise<Omitted<ShutdownResult>>;
  /** Ids of what is still pending: the recording in progress and the transcriptions in flight. */
  pending(): { recording: string | null; transcribing: string[] };
  /** Called once when shutdown completes. */
  onShutdown(listener: () => void): () => void;
}

/**
 * The service, composed of parts with one job each: the capture (the recording in progress), the
 * segments (their texts while recording), what happens when a recording ended (store, announce,
 * deliver: `internal/recording-ended.ts`), the registry of transcriptions (joining, `retry`, and
 * how many run), and the phases (the state machine's transitions and effects).
 */
export function createServiceHost(options: ServiceHostOptions): ServiceHost {
  const { audio, journal } = options;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? { now: () => Date.now() };
  const startedAt = clock.now();
  // an edit's instruction is shown as it is heard, never typed where the selection is
  const events = new ServiceEvents(logger, clock, options.segmentOutput, (id) => edits.has(id));
  const { emit, reportError } = events;
  const edits: EditFlow = new EditFlow({
    parts: options.edit,
    journal,
    output: options.output,
    logger,
    clock,
    emit,
    reportError,
  });

  const segments = new SegmentTranscription({
    journal,
    transcriber: options.transcriber,
    ...(options.live ? { live: options.live } : {}),
    logger,
    emit,
  });
  // what happens when a recording ended: transcribed, stored, announced, delivered
  const ended = new RecordingEnded({
    journal,
    segments,
    output: options.output,
    ...(options.processor ? { processor: options.processor } : {}),
    edits,
    logger,
    emit,
    reportError,
  });
  const captures: CaptureLifecycle = new CaptureLifecycle({
    audio,
    journal,
    clock,
    reportError,
    ...recordingHooks(options.hooks, logger),
    openLive: (id) => segments.openLive(id),
    onStartFailed: (id) => segments.drop(id),
    onLevel: (recording, level) =>
      emit({
        type: 'level',
        recordingId: recording.id,
        level,
        durationMs: clock.now() - recording.startedMs,
      }),
    onChunk: (recording, chunk) => segments.closed(recording.id, chunk),
    onFailure: (recording, err) => {
      logger.error({ err, recordingId: recording.id }, 'audio capture failed');
      void phases.serial(async () => {
        if (captures.current === recording) await phases.apply('audio-failed', err);
      });
    },
    edit: edits,
    // the edit cannot be made (the selection is too large, …): its recording ends at once
    onSelectionFailed: (recording, err) =>
      void phases.serial(async () => {
        if (captures.current !== recording) return;
        reportError(
          errorId(err, { domain: 'edit', code: 'edit-failed' }),
          // the reader's message says what to do ("select less", "install wl-clipboard")
          err.message,
          recording.id,
        );
        await phases.apply('cancel');
      }),
  });
  const transcriptions = new TranscriptionRegistry({
    journal,
    ended,
    recording: () => captures.current?.id,
  });
  const phases = new Phases({ captures, transcriptions, segments, emit });
  const triggers = new TriggerAvailability(options.triggers ?? [], logger);
  triggers.start((event) =>
    phases
      .change(event.type, 'action' in event ? event.action : undefined)
      .catch((err: unknown) => logger.debug({ err, event }, 'trigger event ignored')),
  );
  const prepared = audio
    .prepare?.()
    .catch((err: unknown) =>
      logger.warn({ err }, 'the microphone is not ready; the next recording tries again'),
    );
  const stopping = new ServiceShutdown({
    phases,
    triggers,
    transcriptions,
    audio,
    prepared,
    timeoutMs: options.shutdownTimeoutMs ?? 30_000,
    logger,
    onStopped: () => events.clear(),
  });

  const host: ServiceHost = {
    status: () =>
      describeStatus(options, {
        phase: phases.phase,
        now: clock.now(),
        startedAt,
        triggers,
        recording: captures.current,
        segments,
        transcriptions,
        lastError: events.lastError,
        edit: edits.status(),
      }),
    toggle: (params) => phases.change('toggle', params?.action),
    start: (params) => phases.change('start', params?.action),
    finish: () => phases.change('finish'),
    cancel: () => phases.change('cancel'),
    async last(limit = 1) {
      return { transcripts: await journal.last(limit) };
    },
    async retry(id) {
      if (stopping.begun)
        throw new HostError('shutting-down', 'whis is stopping; retry after `whis listen`.');
      return transcriptions.retry(id);
    },
    subscribe: (listener) => events.subscribe(listener),
    pending: () => ({ recording: captures.current?.id ?? null, transcribing: transcriptions.ids }),
    abortShutdown() {
      stopping.now();
      return host.shutdown();
    },
    shutdown: () => stopping.run(captures.current?.id),
    onShutdown: (listener) => stopping.onDone(listener),
  };
  return host;
}

// The recording hooks, each failure logged: feedback never stops a recording.
function recordingHooks(
  hooks: RecordingHooks | undefined,
  logger: Logger,
): Pick<CaptureContext, 'beforeCapture' | 'afterCapture'> {
  const before = hooks?.beforeCapture?.bind(hooks);
  const after = hooks?.afterCapture?.bind(hooks);
  const beforeCapture = async () =>
    before?.().catch((err: unknown) => {
      logger.warn({ err }, 'the start of recording feedback failed');
    });
  const afterCapture = () => {
    try {
      after?.();
    } catch (err) {
      logger.warn({ err }, 'the end of recording feedback failed');
    }
  };
  return {
    ...(before ? { beforeCapture } : {}),
    ...(after ? { afterCapture } : {}),
  };
}
