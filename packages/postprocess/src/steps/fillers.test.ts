import { describe, expect, it } from 'vitest';
import { removeFillers } from './fillers.js';

describe('fillers', () => {
  it.each([
    ['um between words', 'I um think so', 'I think so'],
    ['commas around a filler', 'So, um, I think so.', 'So, I think so.'],
    ['at the start, with its capital handed on', 'Um, the build is green.', 'The build is green.'],
    ['at a sentence start', 'It works. Uh, mostly.', 'It works. Mostly.'],
    ['before a full stop', 'I think, uh.', 'I think.'],
    ['several kinds', 'er hmm umm well uhh erm okay', 'well okay'],
    ['a stutter', 'I I think so', 'I think so'],
    ['a stutter with a comma or hyphen', 'I, I think the-the plan works', 'I think the plan works'],
    ['a triple stutter keeps the first capital', 'The the the end', 'The end'],
    ['"that that" is grammatical', 'I know that that works', 'I know that that works'],
    ['"had had" is grammatical', 'she had had enough', 'she had had enough'],
    ['emphasis stays', 'very very good, no no no', 'very very good, no no no'],
    [
      'real words that look like fillers stay',
      'to err is human; ah, I see; umbrella, her, mummy',
      'to err is human; ah, I see; umbrella, her, mummy',
    ],
    ['Unicode words stay', 'déjà um vu, naïve naïve', 'déjà vu, naïve naïve'],
    ['empty', '', ''],
    ['only a filler', 'Um.', ''],
  ])('%s', (_name, input, expected) => {
    expect(removeFillers(input)).toBe(expected);
  });

  it('handles a very long text', () => {
    const out = removeFillers('so um I I think it works. '.repeat(3000));
    expect(out).toBe('so I think it works. '.repeat(3000).trimEnd() + ' ');
  });
});
