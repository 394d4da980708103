import { describe, expect, it } from 'vitest';
import { waybarLine } from './format.js';
import { LiveText } from './live-text.js';

const delta = (segment: number, text: string, recordingId = 'r1') =>
  ({ type: 'transcript.delta', recordingId, segment, text }) as const;
const final = (segment: number, text: string, recordingId = 'r1') =>
  ({ type: 'transcript.segment', recordingId, segment, text }) as const;

describe('LiveText', () => {
  it('grows with deltas, takes each final text over its deltas, in segment order', () => {
    const live = new LiveText();
    expect(live.apply(delta(0, 'one'))).toBe(true);
    live.apply(delta(0, ' two'));
    expect(live.text).toBe('one two');
    live.apply(delta(1, 'three'));
    expect(live.text).toBe('one two three');
    // the final text of a segment replaces what its deltas said
    live.apply(final(0, 'One, two.'));
    expect(live.text).toBe('One, two. three');
    // a late delta of a finished segment changes nothing
    expect(live.apply(delta(0, ' extra'))).toBe(false);
    expect(live.apply(final(0, 'One, two.'))).toBe(false);
    // a segment uploaded instead of streamed arrives whole
    live.apply(final(2, 'four'));
    expect(live.text).toBe('One, two. three four');
  });

  it('starts over for another recording, and ignores other events', () => {
    const live = new LiveText();
    live.apply(delta(0, 'old words'));
    live.apply(delta(0, 'new', 'r2'));
    expect(live.text).toBe('new');
    expect(live.recordingId).toBe('r2');
    expect(live.apply({ type: 'state', state: 'idle', recordingId: null })).toBe(false);
  });

  it('tail: the last words, cut at a word, for a tooltip', () => {
    const live = new LiveText();
    live.apply(final(0, 'alpha beta gamma delta epsilon'));
    expect(live.tail(100)).toBe('alpha beta gamma delta epsilon');
    expect(live.tail(16)).toBe('…delta epsilon');
  });
});

describe('waybarLine', () => {
  it('puts the words heard under the state in the tooltip while recording and transcribing', () => {
    expect(waybarLine('recording', { durationMs: 5000, words: 'one two' })).toEqual({
      text: 'REC 0:05',
      alt: 'recording',
      class: 'recording',
      tooltip: 'whis: recording\none two',
    });
    expect(waybarLine('transcribing', { words: 'one two' }).tooltip).toBe(
      'whis: transcribing\none two',
    );
    expect(waybarLine('recording').tooltip).toBe('whis: recording');
  });
});
