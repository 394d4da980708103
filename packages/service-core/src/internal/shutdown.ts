import { deadline, untilAborted } from '@whis/contracts';
import type { ShutdownResult } from '@whis/ipc';
import type { AudioSource, Logger } from '../ports.js';
import type { Phases } from './phases.js';
import type { Outcome } from './recording-ended.js';
import type { TranscriptionRegistry } from './registry.js';
import type { TriggerAvailability } from './triggers.js';

export interface ShutdownContext {
  phases: Phases;
  triggers: TriggerAvailability;
  transcriptions: TranscriptionRegistry;
  audio: AudioSource;
  /** The microphone's preparation, awaited before it is closed. */
  prepared: Promise<unknown> | undefined;
  /** How long the transcriptions in flight are waited for before they are aborted. */
  timeoutMs: number;
  logger: Logger;
  /** Called last: the subscribers are dropped. */
  onStopped(): void;
}

type Result = Omit<ShutdownResult, 'protocolVersion'>;

/**
 * Stops the service, once: the recording in progress is finished (the machine's `shutdown`), the
 * triggers stop, the transcriptions in flight are waited for (or aborted at once or when the bound
 * runs out, their audio kept for `retry`), the microphone closes.
 */
export class ServiceShutdown {
  private result: Promise<Result> | undefined;
  private readonly listeners = new Set<() => void>();
  // aborted by a second Ctrl+C (`now`) or when the bound runs out
  private readonly stopNow = new AbortController();

  constructor(private readonly ctx: ShutdownContext) {}

  /** Shutdown has begun. */
  get begun(): boolean {
    return this.result !== undefined;
  }

  /** Begins (or joins) the shutdown; `recordingId` (the recording in progress) is logged. */
  run(recordingId: string | undefined): Promise<Result> {
    this.result ??= this.stop(recordingId).then((result) => {
      for (const listener of this.listeners) listener();
      this.ctx.onStopped();
      return result;
    });
    return this.result;
  }

  /** Aborts the uploads in flight (now, or as soon as shutdown waits for them). */
  now(): void {
    this.stopNow.abort();
  }

  /** Called once when shutdown completes. */
  onDone(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async stop(recordingId: string | undefined): Promise<Result> {
    const { phases, transcriptions, logger } = this.ctx;
    const { stopNow } = this;
    await phases.serial(() => phases.apply('shutdown'));
    await this.ctx.triggers.stop();
    const jobs = transcriptions.running;
    // the transcriptions in flight finish, unless the time is up or the stop is made urgent
    await untilAborted(
      Promise.all(jobs.map((j) => j.done)),
      deadline(this.ctx.timeoutMs, stopNow.signal),
    ).catch(() => {
      for (const job of jobs) job.abort.abort();
    });
    const recordings = (await Promise.all(jobs.map((j) => j.done))).map(
      ({ id, outcome, text }): { id: string; outcome: Outcome; text?: string } =>
        text === undefined ? { id, outcome } : { id, outcome, text },
    );
    await this.ctx.prepared;
    await this.ctx.audio
      .close?.()
      .catch((err: unknown) => logger.warn({ err }, 'the microphone did not close cleanly'));
    logger.info(
      { recordings: recordings.map((r) => ({ id: r.id, outcome: r.outcome })), recordingId },
      'shut down',
    );
    return { recordings };
  }
}
