import { describe, expect, it } from 'vitest';
import {
  transition,
  type Effect,
  type MachineEvent,
  type MachineState,
  type Phase,
} from './machine.js';

const s = (phase: Phase, transcriptions = 0, stopping = false): MachineState => ({
  phase,
  transcriptions,
  stopping,
});

// Every (state, event) pair: [from, event, to, effects].
const TABLE: Array<[MachineState, MachineEvent, MachineState, Effect[]]> = [
  [s('idle'), 'toggle', s('recording'), ['start-capture']],
  [s('idle'), 'start', s('recording'), ['start-capture']],
  [s('idle'), 'finish', s('idle'), ['reject-not-recording']],
  [s('idle'), 'cancel', s('idle'), ['reject-not-recording']],
  [s('idle'), 'audio-failed', s('idle'), []],
  [s('idle'), 'transcribed', s('idle'), []],
  [s('idle'), 'transcription-failed', s('idle'), []],
  [s('idle'), 'shutdown', s('idle', 0, true), []],

  [s('recording'), 'toggle', s('transcribing', 1), ['finish-capture']],
  [s('recording'), 'start', s('recording'), []],
  [s('recording'), 'finish', s('transcribing', 1), ['finish-capture']],
  [s('recording'), 'cancel', s('idle'), ['discard-capture']],
  [s('recording'), 'audio-failed', s('idle'), ['keep-partial-capture']],
  [s('recording', 1), 'transcribed', s('recording', 0), []],
  [s('recording', 1), 'transcription-failed', s('recording', 0), []],
  [s('recording'), 'shutdown', s('transcribing', 1, true), ['finish-capture']],

  // toggle while transcribing starts a new recording; the transcription continues
  [s('transcribing', 1), 'toggle', s('recording', 1), ['start-capture']],
  [s('transcribing', 1), 'start', s('recording', 1), ['start-capture']],
  [s('transcribing', 1), 'finish', s('transcribing', 1), ['reject-not-recording']],
  [s('transcribing', 2), 'cancel', s('idle', 0), ['abort-transcriptions']],
  [s('transcribing', 1), 'audio-failed', s('transcribing', 1), []],
  [s('transcribing', 1), 'transcribed', s('idle', 0), []],
  [s('transcribing', 2), 'transcribed', s('transcribing', 1), []],
  [s('transcribing', 1), 'transcription-failed', s('idle', 0), []],
  [s('transcribing', 1), 'shutdown', s('transcribing', 1, true), []],

  // while stopping nothing new starts
  [s('idle', 0, true), 'toggle', s('idle', 0, true), ['reject-stopping']],
  [s('transcribing', 1, true), 'start', s('transcribing', 1, true), ['reject-stopping']],
  [s('transcribing', 1, true), 'shutdown', s('transcribing', 1, true), []],
];

describe('transition', () => {
  it.each(TABLE)('%o + %s → %o %o', (from, event, to, effects) => {
    expect(transition(from, event)).toEqual({ state: to, effects });
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
          TABLE.some(([from, e]) => from.phase === phase && !from.stopping && e === event),
          `${phase} + ${event}`,
        ).toBe(true);
      }
    }
  });

  it('is pure: the input state is not modified', () => {
    const from = s('recording', 2);
    const copy = structuredClone(from);
    transition(from, 'toggle');
    expect(from).toEqual(copy);
  });
});
