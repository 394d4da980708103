import { silentLogger } from '@whis/contracts';
import type {
  ErrorInfo,
  LastResult,
  RetryResult,
  ServiceEvent,
  ShutdownResult,
  StateChangeResult,
  StatusResult,
} from '@whis/ipc';
import { HostError } from './errors.js';
import type { Journal } from './journal.js';
import {
  INITIAL_STATE,
  transition,
  type Effect,
  type MachineEvent,
  type MachineState,
} from './machine.js';
import { CaptureLifecycle } from './internal/capture.js';
import { TranscriptionRegistry, type Outcome } from './internal/transcriptions.js';
import { TriggerAvailability } from './internal/triggers.js';
import { segmentDelivery } from './internal/segment-output.js';
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
}

/** The service: performs the state machine's effects through the ports; never blocks on a transcription. */
export interface ServiceHost {
  status(): Promise<Omitted<StatusResult>>;
  toggle(): Promise<Omitted<StateChangeResult>>;
  start(): Promise<Omitted<StateChangeResult>>;
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

export function createServiceHost(options: ServiceHostOptions): ServiceHost {
  const { audio, transcriber, output, journal } = options;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? { now: () => Date.now() };
  const startedAt = clock.now();
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  const listeners = new Set<(event: ServiceEvent) => void>();
  const shutdownListeners = new Set<() => void>();
  let state: MachineState = INITIAL_STATE;
  let lastError: ErrorInfo | null = null;
  let shutdownResult: Promise<Omitted<ShutdownResult>> | undefined;
  // aborted by a second Ctrl+C (abortShutdown) or when the shutdown bound runs out
  const stopNow = new AbortController();
  // requests are applied one at a time so that effects see the state they were decided on
  let queue: Promise<unknown> = Promise.resolve();

  const deliverSegment = options.segmentOutput
    ? segmentDelivery(options.segmentOutput, logger, (code, message, id) =>
        reportError(code, message, id),
      )
    : undefined;
  const emit = (event: ServiceEvent) => {
    deliverSegment?.(event);
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        logger.warn({ err }, 'event listener failed');
      }
    }
  };

  const reportError = (code: string, message: string, recordingId?: string): ErrorInfo => {
    lastError = {
      code,
      message,
      at: new Date(clock.now()).toISOString(),
      ...(recordingId ? { recordingId } : {}),
    };
    logger.warn({ code, recordingId }, message);
    emit({ type: 'error', error: lastError });
    return lastError;
  };

  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  const transcriptions = new TranscriptionRegistry({
    journal,
    transcriber,
    ...(options.live ? { live: options.live } : {}),
    output,
    ...(options.processor ? { processor: options.processor } : {}),
    logger,
    emit,
    reportError,
  });
  const captures = new CaptureLifecycle({
    audio,
    journal,
    clock,
    reportError,
    ...(options.hooks?.beforeCapture
      ? {
          beforeCapture: () =>
            options.hooks!.beforeCapture!().catch((err: unknown) => {
              logger.warn({ err }, 'the start of recording feedback failed');
            }),
        }
      : {}),
    ...(options.hooks?.afterCapture
      ? {
          afterCapture: () => {
            try {
              options.hooks!.afterCapture!();
            } catch (err) {
              logger.warn({ err }, 'the end of recording feedback failed');
            }
          },
        }
      : {}),
    openLive: (id) => transcriptions.openLive(id),
    onStartFailed: (id) => transcriptions.dropSegments(id),
    onLevel: (recording, level) =>
      emit({
        type: 'level',
        recordingId: recording.id,
        level,
        durationMs: clock.now() - recording.startedMs,
      }),
    onChunk: (recording, chunk) => transcriptions.segmentClosed(recording.id, chunk),
    onFailure: (recording, err) => {
      logger.error({ err, recordingId: recording.id }, 'audio capture failed');
      void serial(async () => {
        if (captures.current === recording) await apply('audio-failed', err);
      });
    },
  });
  const triggers = new TriggerAvailability(options.triggers ?? [], logger);

  // The machine's state follows the registry: when the last transcription ends, `transcribing` ends.
  transcriptions.onSettled((_job, result) => {
    void serial(async () => {
      await apply(result.outcome === 'transcribed' ? 'transcribed' : 'transcription-failed');
    });
  });

  async function perform(effect: Effect, cause?: unknown): Promise<void> {
    switch (effect) {
      case 'start-capture':
        await captures.start();
        return;
      case 'finish-capture': {
        const finished = await captures.finish();
        if (finished) transcriptions.startFinished(finished.id, finished.audioReady);
        return;
      }
      case 'discard-capture': {
        const id = await captures.discard();
        if (id) transcriptions.dropSegments(id);
        return;
      }
      case 'keep-partial-capture': {
        const id = captures.keepPartial(cause);
        if (id) transcriptions.dropSegments(id);
        return;
      }
      case 'abort-transcriptions':
        transcriptions.abortAll();
        return;
      case 'reject-not-recording':
        throw new HostError(
          'not-recording',
          'Nothing is recording. Start with `whis toggle` or `whis start`.',
        );
      case 'reject-stopping':
        throw new HostError(
          'shutting-down',
          'whis is stopping; start it again with `whis listen`.',
        );
    }
  }

  async function apply(event: MachineEvent, cause?: unknown): Promise<string | null> {
    const before = captures.current;
    const next = transition(state, event);
    if (next.effects.includes('reject-not-recording')) await perform('reject-not-recording');
    if (next.effects.includes('reject-stopping')) await perform('reject-stopping');
    const previous = state;
    state = next.state;
    try {
      for (const effect of next.effects) await perform(effect, cause);
    } catch (err) {
      state = previous;
      throw err;
    }
    const current = captures.current;
    const recordingId = current && current !== before ? current.id : (before?.id ?? null);
    state = next.state;
    if (next.state.phase !== previous.phase)
      emit({ type: 'state', state: next.state.phase, recordingId });
    return recordingId;
  }

  const change = (event: MachineEvent) =>
    serial(async () => {
      const recordingId = await apply(event);
      return { state: state.phase, recordingId };
    });

  triggers.start((event) =>
    change(event).catch((err: unknown) => logger.debug({ err, event }, 'trigger event ignored')),
  );
  const prepared = audio
    .prepare?.()
    .catch((err: unknown) =>
      logger.warn({ err }, 'the microphone is not ready; the next recording tries again'),
    );

  const describeTranscription = async (): Promise<{
    transcription?: string;
    postProcess?: string;
  }> => {
    const transcription = await options.transcription?.();
    const postProcess = await options.postProcess?.();
    return { ...(transcription ? { transcription } : {}), ...(postProcess ? { postProcess } : {}) };
  };

  const host: ServiceHost = {
    async status() {
      const current = captures.current;
      return {
        state: state.phase,
        pid: process.pid,
        version: options.info.version,
        uptimeMs: clock.now() - startedAt,
        hotkey: options.info.hotkey ?? null,
        ...(options.info.output ? { output: options.info.output } : {}),
        ...(options.info.feedback ? { feedback: options.info.feedback } : {}),
        hotkeyProblem: triggers.problem,
        hotkeyActive: triggers.active,
        ...(options.info.hotkey && options.info.hotkeyBackend
          ? { hotkeyBackend: options.info.hotkeyBackend }
          : {}),
        ...(triggers.binding ? { hotkeyBinding: triggers.binding } : {}),
        recording: current
          ? {
              ...(transcriptions.segmentProgress(current.id)
                ? { segments: transcriptions.segmentProgress(current.id) }
                : {}),
              id: current.id,
              startedAt: current.startedAt,
              durationMs: clock.now() - current.startedMs,
              level: current.level,
            }
          : null,
        transcribing: transcriptions.ids,
        uploads: transcriptions.uploads(),
        lastError,
        problems: (await options.problems?.()) ?? [],
        ...(await describeTranscription()),
      };
    },
    toggle: () => change('toggle'),
    start: () => change('start'),
    finish: () => change('finish'),
    cancel: () => change('cancel'),
    async last(limit = 1) {
      return { transcripts: await journal.last(limit) };
    },
    async retry(id) {
      if (shutdownResult) {
        throw new HostError('shutting-down', 'whis is stopping; retry after `whis listen`.');
      }
      const running = id ? transcriptions.get(id) : undefined;
      const meta = running
        ? undefined
        : id
          ? await journal.get(id)
          : await journal.latestUntranscribed();
      const target = running?.id ?? meta?.id;
      if (meta?.inProgressBy) {
        throw new HostError(
          'busy-elsewhere',
          `Recording ${meta.id} is still being recorded or transcribed by another whis (pid ${meta.inProgressBy}); its text arrives there. \`whis last\` shows it once it is done.`,
        );
      }
      if (!target || target === captures.current?.id) {
        throw new HostError(
          'not-found',
          id
            ? `No recording ${id}. \`whis last --json\` lists recordings.`
            : 'No recording is waiting for a transcript.',
        );
      }
      // checked again after the journal read: another retry may have started it meanwhile
      let job = transcriptions.get(target);
      let joined = job !== undefined;
      if (job?.kind === 'finished') {
        // the recording's first upload is still running: wait for it, and retry only if it fails
        const first = await job.done;
        if (first.outcome === 'transcribed') return { id: target, text: first.text ?? '', joined };
        job = transcriptions.get(target);
      }
      if (!job) {
        const fresh = await journal.get(target);
        if (fresh?.state === 'transcribed') {
          const stored = await journal.transcript(target);
          if (stored) return { id: target, text: stored.text, stored: true };
        }
        job = transcriptions.get(target);
        joined = job !== undefined;
        if (!job) {
          if (!fresh || fresh.chunks.length === 0) {
            throw new HostError(
              'not-found',
              `Recording ${target} has no audio left (it was transcribed and its audio deleted).`,
            );
          }
          job = transcriptions.retry(fresh);
        }
      }
      const result = await job.done;
      if (result.outcome !== 'transcribed') {
        if (result.error instanceof Error) throw result.error;
        throw new HostError(
          'not-found',
          `Recording ${target} was not transcribed; its audio is kept.`,
        );
      }
      return { id: target, text: result.text ?? '', ...(joined ? { joined: true } : {}) };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    pending() {
      return { recording: captures.current?.id ?? null, transcribing: transcriptions.ids };
    },
    abortShutdown() {
      stopNow.abort();
      return host.shutdown();
    },
    shutdown() {
      shutdownResult ??= (async () => {
        const recordingId = captures.current?.id;
        await serial(() => apply('shutdown'));
        await triggers.stop();
        const jobs = transcriptions.running;
        const timer = setTimeout(() => stopNow.abort(), shutdownTimeoutMs);
        const stoppedNow = new Promise<void>((resolve) => {
          const abort = () => {
            for (const job of jobs) job.abort.abort();
            resolve();
          };
          if (stopNow.signal.aborted) abort();
          else stopNow.signal.addEventListener('abort', abort, { once: true });
        });
        await Promise.race([Promise.all(jobs.map((j) => j.done)), stoppedNow]);
        const recordings = (await Promise.all(jobs.map((j) => j.done))).map(
          ({ id, outcome, text }): { id: string; outcome: Outcome; text?: string } =>
            text === undefined ? { id, outcome } : { id, outcome, text },
        );
        clearTimeout(timer);
        await prepared;
        await audio
          .close?.()
          .catch((err: unknown) => logger.warn({ err }, 'the microphone did not close cleanly'));
        logger.info(
          { recordings: recordings.map((r) => ({ id: r.id, outcome: r.outcome })), recordingId },
          'shut down',
        );
        for (const listener of shutdownListeners) listener();
        listeners.clear();
        return { recordings };
      })();
      return shutdownResult;
    },
    onShutdown(listener) {
      shutdownListeners.add(listener);
      return () => shutdownListeners.delete(listener);
    },
  };
  return host;
}
