import { describe, expect, it } from 'vitest';
import { applySpokenPunctuation } from './spoken.js';

describe('spoken punctuation', () => {
  it.each([
    ['comma and period', 'hello comma world period', 'hello, world.'],
    ['the recogniser’s own marks give way', 'Hello, comma, world period.', 'Hello, world.'],
    ['a sentence end capitalises', 'done period next thing', 'done. Next thing'],
    [
      'question and exclamation',
      'is it ready question mark yes exclamation mark',
      'is it ready? Yes!',
    ],
    ['exclamation point, full stop', 'wow exclamation point the end full stop', 'wow! The end.'],
    [
      'colon and semicolon',
      'note colon one semicolon two semi-colon three',
      'note: one; two; three',
    ],
    ['new line', 'first line new line second line', 'first line\nSecond line'],
    ['new paragraph', 'one period new paragraph two', 'one.\n\nTwo'],
    ['quotes', 'he said open quote hi close quote and left', 'he said "hi" and left'],
    [
      'quotes with a spoken period inside',
      'she wrote begin quote done period end quote',
      'she wrote "done."',
    ],
    [
      'a recogniser sentence end before a spoken comma',
      'Hello. Comma. World is here.',
      'Hello, world is here.',
    ],
    ['"I" keeps its capital after a comma', 'Yes. Comma. I think so', 'Yes, I think so'],
    ['case of the spoken word does not matter', 'Stop PERIOD Go Period', 'Stop. Go.'],
    [
      'never inside a word',
      'the periodic table and a commander',
      'the periodic table and a commander',
    ],
    ['Unicode around marks', 'café comma naïve period élan', 'café, naïve. Élan'],
    ['scratch that drops what came before', 'buy milk scratch that buy bread period', 'Buy bread.'],
    [
      'scratch that with recogniser punctuation',
      'Buy milk. Scratch that. Buy bread.',
      'Buy bread.',
    ],
    ['the last scratch that wins', 'a scratch that b scratch that c', 'C'],
    ['scratch that at the end leaves nothing', 'never mind scratch that', ''],
    ['a sentence starting with a number keeps its case', 'done period 3 apples', 'done. 3 apples'],
    [
      'a quoted sentence start is capitalised',
      'done period "yes" she said',
      'done. "Yes" she said',
    ],
    ['no spoken marks: unchanged', 'Nothing to do here.', 'Nothing to do here.'],
    ['empty', '', ''],
  ])('%s', (_name, input, expected) => {
    expect(applySpokenPunctuation(input)).toBe(expected);
  });

  it('handles a very long text', () => {
    const out = applySpokenPunctuation('this is a sentence period '.repeat(3000));
    expect(out.startsWith('this is a sentence. This is a sentence.')).toBe(true);
    expect(out.endsWith('This is a sentence.')).toBe(true);
    expect(out.split('.').length - 1).toBe(3000);
  });
});
