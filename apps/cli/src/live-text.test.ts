import { describe, expect, it } from 'vitest';
import { waybarLine } from './format.js';
import { LinePrinter, LiveText } from './live-text.js';

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

describe('LinePrinter', () => {
  const printer = () => {
    let line = '';
    return { line: () => line, printer: new LinePrinter((text) => (line += text)) };
  };

  it('prints deltas as they come, one space between segments, and a segment that came whole', () => {
    const { line, printer: p } = printer();
    p.take(delta(0, ' one'));
    p.take(delta(0, ' two'));
    expect(line()).toBe('one two');
    // the final text of a segment printed from its deltas adds nothing: the line cannot be redone
    p.take(final(0, 'One, two.'));
    p.take(final(1, 'three'));
    p.take(final(2, ''));
    p.take(delta(3, 'four'));
    expect(line()).toBe('one two three four');
    expect(p.printedAny).toBe(true);
  });

  it('holds a segment streamed live until the one before it, uploaded, has come: the words in the order spoken', () => {
    const { line, printer: p } = printer();
    p.take(final(0, 'one two three'));
    // segment 1 is on its way by upload; segment 2 streams live
    p.take(delta(2, 'seven'));
    p.take(delta(2, ' eight'));
    expect(line()).toBe('one two three');
    p.take(final(1, 'four five six'));
    expect(line()).toBe('one two three four five six seven eight');
    p.take(delta(2, ' nine'));
    expect(line()).toBe('one two three four five six seven eight nine');
  });

  it('finish prints what is still held, in segment order', () => {
    const { line, printer: p } = printer();
    p.take(final(2, 'three'));
    p.take(delta(1, 'two'));
    expect(line()).toBe('');
    expect(p.printedAny).toBe(false);
    p.finish();
    expect(line()).toBe('two three');
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

  it('an edit by voice: its own text and alt, the instruction heard in the tooltip', () => {
    expect(
      waybarLine('recording', { durationMs: 3000, words: 'make it formal', edit: true }),
    ).toEqual({
      text: 'EDIT 0:03',
      alt: 'edit',
      class: 'recording',
      tooltip: 'whis: say what to change in the selection\nmake it formal',
    });
  });
});
