import type { RetryResult } from '@whis/ipc';
import { HostError } from '../errors.js';
import type { Journal } from '../journal.js';
import type { CapturedAudio, Selection } from '../ports.js';
import type { RecordingEnded, TranscriptionResult } from './recording-ended.js';

export interface TranscriptionJob {
  readonly id: string;
  /** `finished`: the first upload of a recording just stopped; `retry`: an upload `retry` asked for. */
  readonly kind: 'finished' | 'retry';
  readonly abort: AbortController;
  readonly done: Promise<TranscriptionResult>;
}

export interface RegistryContext {
  journal: Journal;
  /** What is done with a recording that ended (and with one tried again). */
  ended: Pick<RecordingEnded, 'finished' | 'again'>;
  /** The id of the recording in progress, which `retry` leaves alone. */
  recording(): string | undefined;
}

/**
 * Every transcription the service runs, one per recording id: a finished recording's first upload
 * and each `retry` go through here, so a recording that is already being transcribed is joined,
 * never uploaded (and delivered) a second time. It alone counts what runs (see `inFlight`).
 */
export class TranscriptionRegistry {
  private readonly jobs = new Map<string, TranscriptionJob>();
  /** First uploads of finished recordings, until they settle or are cancelled. */
  private readonly counted = new Set<TranscriptionJob>();
  private readonly settledListeners = new Set<
    (job: TranscriptionJob, r: TranscriptionResult) => void
  >();

  constructor(private readonly ctx: RegistryContext) {}

  /** Ids of the recordings being transcribed (a `retry` of one of them joins it). */
  get ids(): string[] {
    return [...this.jobs.keys()];
  }

  get running(): TranscriptionJob[] {
    return [...this.jobs.values()];
  }

  /**
   * How many recordings that just finished are being transcribed and were not cancelled: while
   * there is one, the service is `transcribing`. A `retry` runs beside the phase, uncounted.
   */
  get inFlight(): number {
    return this.counted.size;
  }

  /** Called once each transcription has settled (and left the registry and the count). */
  onSettled(listener: (job: TranscriptionJob, result: TranscriptionResult) => void): void {
    this.settledListeners.add(listener);
  }

  /** Aborts every transcription (`cancel`); their audio stays in the journal for `retry`. */
  cancelAll(): void {
    for (const job of this.jobs.values()) {
      this.counted.delete(job);
      job.abort.abort();
    }
  }

  /**
   * A recording that just finished: waits for its audio, then transcribes and delivers it (an
   * edit's: the answer to it, with `selection`, read at its press).
   */
  startFinished(
    id: string,
    audioReady: Promise<CapturedAudio | undefined>,
    selection?: Promise<Selection>,
  ): TranscriptionJob {
    return this.register(id, 'finished', (signal, detach) =>
      this.ctx.ended.finished(id, audioReady, signal, detach, selection),
    );
  }

  /**
   * Transcribes a kept recording (`id`, or the latest one not transcribed) and resolves with its
   * text. A transcription of it already running is joined (`joined: true`); one already stored is
   * answered (`stored: true`); neither is uploaded nor delivered again.
   */
  async retry(id?: string): Promise<Omit<RetryResult, 'protocolVersion'>> {
    const target = await this.target(id);
    const { journal, ended } = this.ctx;
    for (;;) {
      const running = this.jobs.get(target);
      if (running) {
        const result = await running.done;
        // the recording's first upload failed: it is tried again below
        if (running.kind === 'finished' && result.outcome !== 'transcribed') continue;
        return answer(target, result, true);
      }
      const meta = await journal.get(target);
      if (meta?.state === 'transcribed') {
        const stored = await journal.transcript(target);
        if (stored) return { id: target, text: stored.text, stored: true };
      }
      // another retry may have started it while the journal was read
      if (this.jobs.has(target)) continue;
      if (!meta || meta.chunks.length === 0) {
        throw new HostError(
          'not-found',
          `Recording ${target} has no audio left (it was transcribed and its audio deleted).`,
        );
      }
      const job = this.register(target, 'retry', (signal, detach) =>
        ended.again(meta, signal, detach),
      );
      return answer(target, await job.done, false);
    }
  }

  // The recording `retry` is about: not one recorded or transcribed by another whis, nor the one
  // being recorded here.
  private async target(id: string | undefined): Promise<string> {
    const { journal } = this.ctx;
    if (id && this.jobs.has(id)) return id;
    const meta = id ? await journal.get(id) : await journal.latestUntranscribed();
    if (meta?.inProgressBy) {
      throw new HostError(
        'busy-elsewhere',
        `Recording ${meta.id} is still being recorded or transcribed by another whis (pid ${meta.inProgressBy}); its text arrives there. \`whis last\` shows it once it is done.`,
      );
    }
    if (!meta || meta.id === this.ctx.recording()) {
      throw new HostError(
        'not-found',
        id
          ? `No recording ${id}. \`whis last --json\` lists recordings.`
          : 'No recording is waiting for a transcript.',
      );
    }
    return meta.id;
  }

  private register(
    id: string,
    kind: TranscriptionJob['kind'],
    work: (signal: AbortSignal, detach: () => void) => Promise<TranscriptionResult>,
  ): TranscriptionJob {
    const abort = new AbortController();
    const detach = () => {
      if (this.jobs.get(id) === job) this.jobs.delete(id);
    };
    const job: TranscriptionJob = {
      id,
      kind,
      abort,
      done: work(abort.signal, detach).then((result) => {
        detach();
        this.counted.delete(job);
        for (const listener of this.settledListeners) listener(job, result);
        return result;
      }),
    };
    this.jobs.set(id, job);
    if (kind === 'finished') this.counted.add(job);
    return job;
  }
}

function answer(
  id: string,
  result: TranscriptionResult,
  joined: boolean,
): Omit<RetryResult, 'protocolVersion'> {
  if (result.outcome !== 'transcribed') {
    if (result.error instanceof Error) throw result.error;
    throw new HostError('not-found', `Recording ${id} was not transcribed; its audio is kept.`);
  }
  return { id, text: result.text ?? '', ...(joined ? { joined: true } : {}) };
}
