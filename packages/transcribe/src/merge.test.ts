import { describe, expect, it } from 'vitest';
import { isSilenceHallucination, mergeTranscripts } from './merge.js';

const W16 = Array.from({ length: 16 }, (_, i) => `w${i}`).join(' ');

describe('mergeTranscripts', () => {
  it.each([
    ['no overlap', ['hello there', 'general kenobi'], 'hello there general kenobi'],
    [
      'a repeated seam',
      ['we went to the old mill', 'the old mill was closed'],
      'we went to the old mill was closed',
    ],
    [
      'case and punctuation differences',
      ['and then she said, Hello World.', 'hello world, how are you'],
      'and then she said, Hello World. how are you',
    ],
    ['a short word said twice is kept', ['go to', 'to the shop'], 'go to to the shop'],
    [
      'a long single word repeated at the seam',
      ['the transcription', 'transcription works'],
      'the transcription works',
    ],
    [
      'repeated words inside a chunk are kept',
      ['very very good', 'indeed'],
      'very very good indeed',
    ],
    ['empty chunks are skipped', ['one two', '', '  ', 'three'], 'one two three'],
    ['the longest overlap wins', ['a b c a b c', 'a b c d'], 'a b c a b c d'],
    ['an overlap longer than 15 words is not searched', [W16, `${W16} end`], `${W16} ${W16} end`],
  ])('%s', (_name, chunks, expected) => {
    expect(mergeTranscripts(chunks)).toBe(expected);
  });
});

describe('isSilenceHallucination', () => {
  it.each(['Thank you.', 'Thanks for watching!', '[BLANK_AUDIO]', ' you ', '(silence)', ''])(
    'drops %j',
    (text) => {
      expect(isSilenceHallucination(text)).toBe(true);
    },
  );
  it.each(['Thank you for the report.', 'hello world', 'You know what I mean'])(
    'keeps %j',
    (text) => {
      expect(isSilenceHallucination(text)).toBe(false);
    },
  );
});
