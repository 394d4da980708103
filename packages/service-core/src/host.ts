import type {
  ErrorInfo,
  LastResult,
  Level,
  RetryResult,
  ServiceEvent,
  ShutdownResult,
  StateChangeResult,
  StatusResult,
} from '@whis/ipc';
import { InstanceError } from './errors.js';
import type { Journal } from './journal.js';
import {
  INITIAL_STATE,
  transition,
  type Effect,
  type MachineEvent,
  type MachineState,
} from './machine.js';
import type {
  AudioSource,
  Capture,
  CapturedAudio,
  Clock,
  Logger,
  Output,
  Transcriber,
  Trigger,
} from './ports.js';

type Omitted<T> = Omit<T, 'protocolVersion'>;

export interface ServiceHostOptions {
  audio: AudioSource;
  transcriber: Transcriber;
  output: Output;
  journal: Journal;
  triggers?: Trigger[];
  logger?: Logger;
  clock?: Clock;
  info: { version: string; hotkey?: string | null };
  /** What is missing for a recording to succeed (no API key, …), shown in `status`. */
  problems?: () => string[] | Promise<string[]>;
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
  /** Transcribes a kept recording again and delivers the text. */
  retry(id?: string): Promise<Omitted<RetryResult>>;
  /** Events until the returned disposer is called. */
  subscribe(listener: (event: ServiceEvent) => void): () => void;
  /** Stops: finishes or keeps the work in progress and says what happened to it. Idempotent. */
  shutdown(): Promise<Omitted<ShutdownResult>>;
  /** Called once when shutdown completes. */
  onShutdown(listener: () => void): () => void;
}

interface CurrentRecording {
  id: string;
  directory: string;
  startedAt: string;
  startedMs: number;
  capture: Promise<Capture>;
  level: Level | null;
}

interface InFlight {
  id: string;
  abort: AbortController;
  done: Promise<{ id: string; outcome: 'transcribed' | 'kept' | 'discarded'; text?: string }>;
}

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

function errorCode(err: unknown, fallback: string): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : fallback;
}

export function createServiceHost(options: ServiceHostOptions): ServiceHost {
  const { audio, transcriber, output, journal } = options;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? { now: () => Date.now() };
  const startedAt = clock.now();
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  const listeners = new Set<(event: ServiceEvent) => void>();
  const shutdownListeners = new Set<() => void>();
  const inFlight = new Map<string, InFlight>();
  let state: MachineState = INITIAL_STATE;
  let current: CurrentRecording | undefined;
  let lastError: ErrorInfo | null = null;
  let hotkeyProblem: string | null = null;
  let hotkeyActive = false;
  let shutdownResult: Promise<Omitted<ShutdownResult>> | undefined;
  // requests are applied one at a time so that effects see the state they were decided on
  let queue: Promise<unknown> = Promise.resolve();

  const emit = (event: ServiceEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        logger.warn({ err }, 'event listener failed');
      }
    }
  };

  const reportError = (code: string, message: string, recordingId?: string) => {
    lastError = {
      code,
      message,
      at: new Date(clock.now()).toISOString(),
      ...(recordingId ? { recordingId } : {}),
    };
    logger.warn({ code, recordingId }, message);
    emit({ type: 'error', error: lastError });
  };

  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  // Opens a journal entry and the microphone. Resolves once recording really runs; on failure
  // (no microphone, device busy, …) the entry is removed, the state restored, and the error thrown.
  async function startCapture(): Promise<void> {
    let created: Awaited<ReturnType<Journal['create']>>;
    try {
      created = await journal.create();
    } catch (err) {
      reportError(errorCode(err, 'journal-failed'), (err as Error).message);
      throw err instanceof InstanceError
        ? err
        : new InstanceError('journal-failed', (err as Error).message, { cause: err });
    }
    const recording: CurrentRecording = {
      ...created,
      startedMs: clock.now(),
      level: null,
      capture: audio.start({ directory: created.directory }),
    };
    current = recording;
    let capture: Capture;
    try {
      capture = await recording.capture;
    } catch (err) {
      current = undefined;
      await journal.remove(created.id).catch(() => undefined);
      reportError(errorCode(err, 'audio-failed'), (err as Error).message);
      throw new InstanceError('unavailable', (err as Error).message, { cause: err });
    }
    capture.onLevel((level) => {
      if (current !== recording) return;
      recording.level = level;
      emit({
        type: 'level',
        recordingId: recording.id,
        level,
        durationMs: clock.now() - recording.startedMs,
      });
    });
    capture.onError((err) => {
      logger.error({ err, recordingId: recording.id }, 'audio capture failed');
      void serial(async () => {
        if (current === recording) await apply('audio-failed', err);
      });
    });
  }

  function transcribeInBackground(
    id: string,
    audioReady: Promise<CapturedAudio | undefined>,
  ): void {
    const abort = new AbortController();
    const done = (async (): Promise<{
      id: string;
      outcome: 'transcribed' | 'kept' | 'discarded';
      text?: string;
    }> => {
      let captured: CapturedAudio | undefined;
      try {
        captured = await audioReady;
      } catch (err) {
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
      if (!captured) return { id, outcome: 'kept' };
      if (!captured.speechDetected || captured.chunks.length === 0) {
        await journal.remove(id).catch(() => undefined);
        reportError('no-speech', 'The recording held no speech; nothing was sent.');
        return { id, outcome: 'discarded' };
      }
      try {
        const text = await runTranscription(id, captured, abort.signal);
        return { id, outcome: 'transcribed', text };
      } catch {
        return { id, outcome: 'kept' };
      }
    })();
    const entry: InFlight = { id, abort, done };
    inFlight.set(id, entry);
    void done.then((result) =>
      serial(async () => {
        inFlight.delete(id);
        await apply(result.outcome === 'transcribed' ? 'transcribed' : 'transcription-failed');
      }),
    );
  }

  async function runTranscription(
    id: string,
    captured: CapturedAudio,
    signal: AbortSignal,
  ): Promise<string> {
    let text: string;
    try {
      const result = await transcriber.transcribe(captured.chunks, {
        signal,
        onProgress: ({ done, total }) => emit({ type: 'progress', recordingId: id, done, total }),
      });
      text = result.text.trim();
    } catch (err) {
      const message = signal.aborted
        ? `Transcription of ${id} was cancelled; the audio is kept: \`whis retry ${id}\`.`
        : `Transcription failed: ${(err as Error).message} The recording is kept: \`whis retry ${id}\`.`;
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
    try {
      await journal.transcribed(id, text);
    } catch (err) {
      reportError(
        errorCode(err, 'journal-failed'),
        `${(err as Error).message} (the transcript is still delivered)`,
        id,
      );
    }
    emit({ type: 'transcript', recordingId: id, text });
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

  async function perform(effect: Effect, cause?: unknown): Promise<void> {
    switch (effect) {
      case 'start-capture':
        await startCapture();
        return;
      case 'finish-capture': {
        const recording = current;
        current = undefined;
        if (!recording) return;
        const audioReady = recording.capture.then(
          async (capture) => {
            const captured = await capture.stop();
            await journal.captured(recording.id, captured);
            return captured;
          },
          () => undefined,
        );
        await recording.capture.then(
          () => undefined,
          () => undefined,
        );
        transcribeInBackground(recording.id, audioReady);
        return;
      }
      case 'discard-capture': {
        const recording = current;
        current = undefined;
        if (!recording) return;
        await recording.capture.then((c) => c.abort()).catch(() => undefined);
        if (recording.id) await journal.remove(recording.id).catch(() => undefined);
        return;
      }
      case 'keep-partial-capture': {
        const recording = current;
        current = undefined;
        if (!recording) return;
        reportError(
          errorCode(cause, 'audio-failed'),
          `${(cause as Error)?.message ?? 'The microphone failed.'} What was recorded is kept: \`whis retry ${recording.id}\`.`,
          recording.id,
        );
        const audioReady = recording.capture.then(async (capture) => {
          const captured = await capture.stop();
          await journal.captured(recording.id, captured);
          return captured;
        });
        // the recording is kept, not transcribed: the user decides with `whis retry`
        audioReady.catch(() => undefined);
        return;
      }
      case 'abort-transcriptions':
        for (const job of inFlight.values()) job.abort.abort();
        return;
      case 'reject-not-recording':
        throw new InstanceError(
          'not-recording',
          'Nothing is recording. Start with `whis toggle` or `whis start`.',
        );
      case 'reject-stopping':
        throw new InstanceError(
          'shutting-down',
          'whis is stopping; start it again with `whis listen`.',
        );
    }
  }

  async function apply(event: MachineEvent, cause?: unknown): Promise<string | null> {
    const before = current;
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

  for (const trigger of options.triggers ?? []) {
    trigger.onEvent((event) => {
      if (event.type === 'unavailable') {
        hotkeyProblem = event.reason;
        hotkeyActive = false;
        logger.warn({ trigger: trigger.description, reason: event.reason }, 'trigger unavailable');
      } else if (event.type === 'available') {
        hotkeyProblem = null;
        hotkeyActive = true;
      } else {
        change(event.type).catch((err: unknown) =>
          logger.debug({ err, event: event.type }, 'trigger event ignored'),
        );
      }
    });
    trigger.start().catch((err: unknown) => {
      hotkeyProblem = (err as Error).message;
      logger.warn({ err }, 'trigger failed to start');
    });
  }

  return {
    async status() {
      return {
        state: state.phase,
        pid: process.pid,
        version: options.info.version,
        uptimeMs: clock.now() - startedAt,
        hotkey: options.info.hotkey ?? null,
        hotkeyProblem,
        hotkeyActive,
        recording: current?.id
          ? {
              id: current.id,
              startedAt: current.startedAt,
              durationMs: clock.now() - current.startedMs,
              level: current.level,
            }
          : null,
        transcribing: [...inFlight.keys()],
        lastError,
        problems: (await options.problems?.()) ?? [],
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
      const meta = id ? await journal.get(id) : await journal.latestUntranscribed();
      if (!meta || meta.id === current?.id) {
        throw new InstanceError(
          'not-found',
          id
            ? `No recording ${id}. \`whis last --json\` lists recordings.`
            : 'No recording is waiting for a transcript.',
        );
      }
      if (meta.chunks.length === 0) {
        throw new InstanceError(
          'not-found',
          `Recording ${meta.id} has no audio left (it was transcribed and its audio deleted).`,
        );
      }
      const abort = new AbortController();
      const text = await runTranscription(
        meta.id,
        { chunks: meta.chunks, durationMs: meta.durationMs, speechDetected: true },
        abort.signal,
      );
      return { id: meta.id, text };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    shutdown() {
      shutdownResult ??= (async () => {
        const recordingId = current?.id;
        await serial(() => apply('shutdown'));
        for (const trigger of options.triggers ?? []) await trigger.stop().catch(() => undefined);
        const jobs = [...inFlight.values()];
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            for (const job of jobs) job.abort.abort();
            resolve();
          }, shutdownTimeoutMs);
        });
        await Promise.race([Promise.all(jobs.map((j) => j.done)), timeout]);
        const recordings = await Promise.all(jobs.map((j) => j.done));
        clearTimeout(timer);
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
}
