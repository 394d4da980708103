import type { ServiceEvent } from '@whis/ipc';
import { HostError } from '../errors.js';
import {
  INITIAL_STATE,
  transition,
  type Effect,
  type MachineEvent,
  type MachineState,
  type Phase,
} from '../machine.js';
import type { RecordingAction } from '../ports.js';
import type { CaptureLifecycle } from './capture.js';
import type { TranscriptionRegistry } from './registry.js';
import type { SegmentTranscription } from './segments.js';

export interface PhasesContext {
  captures: CaptureLifecycle;
  transcriptions: TranscriptionRegistry;
  segments: SegmentTranscription;
  emit(event: ServiceEvent): void;
}

/**
 * Drives the state machine: applies its transitions one at a time (so that effects see the state
 * they were decided on), performs their effects on the capture and the transcriptions, and
 * announces each change of phase. How many transcriptions run it asks the registry.
 */
export class Phases {
  private state: MachineState = INITIAL_STATE;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: PhasesContext) {
    // when the last transcription ends, `transcribing` ends
    ctx.transcriptions.onSettled((_job, result) => {
      void this.serial(() =>
        this.apply(result.outcome === 'transcribed' ? 'transcribed' : 'transcription-failed'),
      );
    });
  }

  get phase(): Phase {
    return this.state.phase;
  }

  /** Runs `work` after every request before it. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A request (or a trigger's press): the phase after it and the recording it concerns. `action`:
   * what a recording it starts is for.
   */
  change(
    event: MachineEvent,
    action?: RecordingAction,
  ): Promise<{ state: Phase; recordingId: string | null }> {
    return this.serial(async () => {
      const recordingId = await this.apply(event, undefined, action);
      return { state: this.state.phase, recordingId };
    });
  }

  /** Applies one event now (call it inside `serial`); resolves with the recording it concerns. */
  async apply(
    event: MachineEvent,
    cause?: unknown,
    action?: RecordingAction,
  ): Promise<string | null> {
    const { captures, transcriptions, emit } = this.ctx;
    const before = captures.current;
    const previous = this.state;
    const next = transition(previous, event, transcriptions.inFlight);
    if (next.effects.includes('reject-not-recording')) await this.perform('reject-not-recording');
    if (next.effects.includes('reject-stopping')) await this.perform('reject-stopping');
    // the new phase holds while its effects run (a `status` meanwhile reports it)
    this.state = next.state;
    try {
      for (const effect of next.effects) await this.perform(effect, cause, action);
    } catch (err) {
      this.state = previous;
      throw err;
    }
    const current = captures.current;
    const recordingId = current && current !== before ? current.id : (before?.id ?? null);
    if (next.state.phase !== previous.phase)
      emit({
        type: 'state',
        state: next.state.phase,
        recordingId,
        ...(next.state.phase === 'recording' && current?.action === 'edit'
          ? { action: 'edit' as const }
          : {}),
      });
    return recordingId;
  }

  private async perform(effect: Effect, cause?: unknown, action?: RecordingAction): Promise<void> {
    const { captures, transcriptions, segments } = this.ctx;
    switch (effect) {
      case 'start-capture':
        await captures.start(action);
        return;
      case 'finish-capture': {
        const finished = await captures.finish();
        if (finished)
          transcriptions.startFinished(finished.id, finished.audioReady, finished.selection);
        return;
      }
      case 'discard-capture': {
        const id = await captures.discard();
        if (id) segments.drop(id);
        return;
      }
      case 'keep-partial-capture': {
        const id = captures.keepPartial(cause);
        if (id) segments.drop(id);
        return;
      }
      case 'abort-transcriptions':
        transcriptions.cancelAll();
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
}
