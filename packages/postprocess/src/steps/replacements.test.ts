import { describe, expect, it } from 'vitest';
import { PostProcessError } from '../errors.js';
import { createReplacer, parseReplacements } from './replacements.js';

describe('replacements', () => {
  const replace = createReplacer({
    'kuber netties': 'Kubernetes',
    'pie torch': 'PyTorch',
    whis: 'whis',
    cat: 'dog',
    'c plus plus': 'C++',
    café: 'Café Müller',
    東京: 'Tokyo',
    'new york': 'New York',
    'new york city': 'NYC',
  });

  it.each([
    ['casing in, the user’s casing out', 'I deploy on Kuber Netties.', 'I deploy on Kubernetes.'],
    ['every occurrence', 'pie torch and PIE TORCH', 'PyTorch and PyTorch'],
    ['any spaces between the words', 'kuber  \t netties now', 'Kubernetes now'],
    ['the user’s casing even when it is lower case', 'Whis is great', 'whis is great'],
    ['never inside another word', 'concatenate the cats, bobcat', 'concatenate the cats, bobcat'],
    ['not before an apostrophe', "the cat's toy", "the cat's toy"],
    ['next to punctuation', '(cat), "cat"; cat.', '(dog), "dog"; dog.'],
    ['symbols in the replacement', 'I write c plus plus daily', 'I write C++ daily'],
    ['accented words (Unicode)', 'un CAFÉ au lait', 'un Café Müller au lait'],
    ['an accented letter is part of the word', 'cafés', 'cafés'],
    ['scripts without spaces are matched as words', '東京 is big', 'Tokyo is big'],
    ['the longest phrase wins', 'new york city and new york', 'NYC and New York'],
    ['empty text', '', ''],
    ['nothing to replace', 'hello world', 'hello world'],
  ])('%s', (_name, input, expected) => {
    expect(replace(input)).toBe(expected);
  });

  it('keeps a very long text intact apart from the replacements', () => {
    const long = 'we use kuber netties every day. '.repeat(2000);
    const out = replace(long);
    expect(out).toBe('we use Kubernetes every day. '.repeat(2000));
  });

  it('is the identity with no pairs', () => {
    expect(createReplacer({})('cat')).toBe('cat');
  });

  it.each([
    [
      'kuber netties=Kubernetes;pie torch=PyTorch',
      { 'kuber netties': 'Kubernetes', 'pie torch': 'PyTorch' },
    ],
    [
      '# my words\nKuber  Netties = Kubernetes\n\nwhis=whis\n',
      { 'kuber netties': 'Kubernetes', whis: 'whis' },
    ],
    ['e g=e.g.,', { 'e g': 'e.g.,' }],
    ['um=', { um: '' }],
  ])('parses %j', (text, pairs) => {
    expect(parseReplacements(text)).toEqual(pairs);
  });

  it.each(['Kubernetes', '=Kubernetes'])('refuses %j, saying what a pair looks like', (text) => {
    expect(() => parseReplacements(text)).toThrow(PostProcessError);
    expect(() => parseReplacements(text)).toThrow(/kuber netties=Kubernetes/);
  });
});
