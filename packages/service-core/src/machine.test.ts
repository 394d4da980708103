import { describe, expect, it } from 'vitest';
import {
  transition,
  type Effect,
  type MachineEvent,
  type MachineState,
  type Phase,
} from './machine.js';

const s = (phase: Phase, stopping = false): MachineState => ({ phase, stopping });

// Every (state, transcriptions running, event) triple: [from, running, event, to, effects].
// `running` is the registry's count when the event is applied (a settled one has left it).
const TABLE: Array<[MachineState, number, MachineEvent, MachineState, Effect[]]> = [
  [s('idle'), 0, 'toggle', s('recording'), ['start-capture']],
  [s('idle'), 0, 'start', s('recording'), ['start-capture']],
  [s('idle'), 0, 'finish', s('idle'), ['reject-not-recording']],
  [s('idle'), 0, 'cancel', s('idle'), ['reject-not-recording']],
  [s('idle'), 0, 'audio-failed', s('idle'), []],
  [s('idle'), 0, 'transcribed', s('idle'), []],
  [s('idle'), 0, 'transcription-failed', s('idle'), []],
  [s('idle'), 0, 'shutdown', s('idle', true), []],

  [s('recording'), 0, 'toggle', s('transcribing'), ['finish-capture']],
  [s('recording'), 0, 'start', s('recording'), []],
  [s('recording'), 0, 'finish', s('transcribing'), ['finish-capture']],
  [s('recording'), 0, 'cancel', s('idle'), ['discard-capture']],
  [s('recording'), 1, 'cancel', s('transcribing'), ['discard-capture']],
  [s('recording'), 0, 'audio-failed', s('idle'), ['keep-partial-capture']],
  [s('recording'), 1, 'audio-failed', s('transcribing'), ['keep-partial-capture']],
  [s('recording'), 0, 'transcribed', s('recording'), []],
  [s('recording'), 0, 'transcription-failed', s('recording'), []],
  [s('recording'), 0, 'shutdown', s('transcribing', true), ['finish-capture']],

  // toggle while transcribing starts a new recording; the transcription continues
  [s('transcribing'), 1, 'toggle', s('recording'), ['start-capture']],
  [s('transcribing'), 1, 'start', s('recording'), ['start-capture']],
  [s('transcribing'), 1, 'finish', s('transcribing'), ['reject-not-recording']],
  [s('transcribing'), 2, 'cancel', s('idle'), ['abort-transcriptions']],
  [s('transcribing'), 1, 'audio-failed', s('transcribing'), []],
  [s('transcribing'), 0, 'transcribed', s('idle'), []],
  [s('transcribing'), 1, 'transcribed', s('transcribing'), []],
  [s('transcribing'), 0, 'transcription-failed', s('idle'), []],
  [s('transcribing'), 1, 'shutdown', s('transcribing', true), []],

  // while stopping nothing new starts
  [s('idle', true), 0, 'toggle', s('idle', true), ['reject-stopping']],
  [s('transcribing', true), 1, 'start', s('transcribing', true), ['reject-stopping']],
  [s('transcribing', true), 1, 'shutdown', s('transcribing', true), []],
];

describe('transition', () => {
  it.each(TABLE)('%o (%i running) + %s → %o %o', (from, running, event, to, effects) => {
    expect(transition(from, event, running)).toEqual({ state: to, effects });
  });

  it('covers every (phase, event) pair', () => {
    const events: MachineEvent[] = [
      'toggle',
      'start',
      'finish',
      'cancel',
      'audio-failed',
      'transcribed',
      'transcription-failed',
      'shutdown',
    ];
    for (const phase of ['idle', 'recording', 'transcribing'] as Phase[]) {
      for (const event of events) {
        expect(
          TABLE.some(([from, , e]) => from.phase === phase && !from.stopping && e === event),
          `${phase} + ${event}`,
        ).toBe(true);
      }
    }
  });

  it('is pure: the input state is not modified', () => {
    const from = s('recording');
    const copy = structuredClone(from);
    transition(from, 'toggle', 2);
    expect(from).toEqual(copy);
  });
});
