// Hesitations (um, uh, er, hmm) and stutters ("I I think", "the the") go; real words stay.
//
// A repeated word is removed only when it is one that never repeats in a correct sentence
// (pronouns, articles, conjunctions, common prepositions). Words that may repeat on purpose keep
// both copies: "that that" ("I know that that works"), "had had", "is is" ("what it is is …"),
// "do do", and emphasis ("very very", "no no", "bye bye").

const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}_'’-]`;
// not "err" (a word), nor "ah" and "oh" (interjections that carry meaning)
const FILLER = String.raw`(?:u+m+|u+h+m*|erm?|h+m+|m{2,})`;
const STUTTER_WORDS = [
  'i',
  "i'm",
  'we',
  'he',
  'she',
  'it',
  "it's",
  'they',
  'me',
  'my',
  'our',
  'your',
  'the',
  'a',
  'an',
  'and',
  'or',
  'but',
  'to',
  'of',
  'in',
  'on',
  'at',
  'for',
  'with',
  'if',
  'this',
  'what',
  'when',
  'where',
  'how',
  'why',
];

/** A filler with the comma or space before it and the marks after it. */
const FILLERS = new RegExp(String.raw`(^|,?\s+|,)(${FILLER})(?!${WORD_CHAR})([,.…!?]*)`, 'giu');
const STUTTERS = new RegExp(
  String.raw`(?<!${WORD_CHAR})(${STUTTER_WORDS.join('|')})(?:(?:,?\s+|-)\1(?!${WORD_CHAR}))+`,
  'giu',
);
const CAPITAL = '\u0001';

/** Removes hesitation sounds and stuttered words, keeping punctuation and capitals right. */
export function removeFillers(text: string): string {
  if (text === '') return text;
  let out = text.replace(
    FILLERS,
    (_all, before: string, filler: string, after: string, offset: number) => {
      // a filler that began a sentence hands its capital to the next word
      const capital = /^\p{Lu}/u.test(filler) ? CAPITAL : '';
      const end = /[.!?…]/u.exec(after)?.[0];
      if (end) return offset === 0 && before === '' ? capital : `${end}${capital}`;
      if (before.includes(',') && after.includes(',')) return `,${capital}`;
      if (before.includes(',')) return `,${capital}`;
      return capital;
    },
  );
  out = out.replace(STUTTERS, '$1');
  out = out.replace(
    new RegExp(`${CAPITAL}(\\P{L}*)(\\p{L})`, 'gu'),
    (_all, gap: string, letter: string) => `${gap}${letter.toUpperCase()}`,
  );
  out = out.replaceAll(CAPITAL, '');
  // what a removal left at the very start: a comma or spaces
  return out.replace(/^[\s,]+/u, '').replace(/ {2,}/gu, ' ');
}
