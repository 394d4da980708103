/** The service's phase, as `status` reports it. */
import type { ServiceState } from '@whis/ipc';

/** The service's phase: the protocol's `ServiceState`. */
export type Phase = ServiceState;

export interface MachineState {
  phase: Phase;
  /** Set once shutdown began: nothing new starts. */
  stopping: boolean;
}

export type MachineEvent =
  | 'toggle'
  | 'start'
  | 'finish'
  | 'cancel'
  | 'audio-failed'
  | 'transcribed'
  | 'transcription-failed'
  | 'shutdown';

export type Effect =
  /** Open the microphone and a journal entry. */
  | 'start-capture'
  /** Stop the capture (keeping the tail) and transcribe it in the background. */
  | 'finish-capture'
  /** Stop the capture and delete what it wrote. */
  | 'discard-capture'
  /** Abort the transcriptions in flight; their audio stays in the journal for `retry`. */
  | 'abort-transcriptions'
  /** The capture failed: keep what it wrote and report the error. */
  | 'keep-partial-capture'
  /** Answer the request with an error: there is no recording to act on. */
  | 'reject-not-recording'
  /** Answer the request with an error: the service is stopping. */
  | 'reject-stopping';

export interface Transition {
  state: MachineState;
  effects: Effect[];
}

export const INITIAL_STATE: MachineState = { phase: 'idle', stopping: false };

// Once the microphone stopped: `transcribing` while transcriptions run, else `idle`.
function afterCapture(state: MachineState, transcriptions: number): MachineState {
  return { ...state, phase: transcriptions > 0 ? 'transcribing' : 'idle' };
}

/**
 * The whole behaviour of the service as a pure function. `toggle` while transcribing starts a new
 * recording: the transcription continues in the background and its text arrives when ready, so a
 * user who talks again right away loses nothing and never waits. `cancel` while transcribing aborts
 * the upload and keeps the audio for `retry`.
 *
 * `transcriptions` is how many transcriptions of finished recordings run now: the machine asks the
 * registry that runs them rather than counting them itself.
 */
export function transition(
  state: MachineState,
  event: MachineEvent,
  transcriptions = 0,
): Transition {
  const same = (effects: Effect[] = []): Transition => ({ state, effects });
  // finishing a capture starts its transcription
  const finishing = (): Transition => ({
    state: { ...state, phase: 'transcribing' },
    effects: ['finish-capture'],
  });
  switch (event) {
    case 'toggle':
    case 'start':
      if (state.stopping) return same(['reject-stopping']);
      if (state.phase === 'recording') return event === 'toggle' ? finishing() : same();
      return { state: { ...state, phase: 'recording' }, effects: ['start-capture'] };
    case 'finish':
      if (state.phase !== 'recording') return same(['reject-not-recording']);
      return finishing();
    case 'cancel':
      if (state.phase === 'recording')
        return { state: afterCapture(state, transcriptions), effects: ['discard-capture'] };
      if (state.phase === 'transcribing')
        return { state: { ...state, phase: 'idle' }, effects: ['abort-transcriptions'] };
      return same(['reject-not-recording']);
    case 'audio-failed':
      if (state.phase !== 'recording') return same();
      return { state: afterCapture(state, transcriptions), effects: ['keep-partial-capture'] };
    case 'transcribed':
    case 'transcription-failed':
      // one has settled and left the count
      if (state.phase === 'recording') return same();
      return { state: afterCapture(state, transcriptions), effects: [] };
    case 'shutdown':
      if (state.stopping) return same();
      if (state.phase === 'recording')
        return { state: { ...finishing().state, stopping: true }, effects: ['finish-capture'] };
      return { state: { ...state, stopping: true }, effects: [] };
  }
}
