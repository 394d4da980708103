// Spoken punctuation and layout, English: "comma", "period", "new line", "open quote", … become the
// marks, and "scratch that" drops what was said before it. Recognisers often add their own
// punctuation around the spoken word ("Hello, comma, world period."): the mark the user spoke
// replaces the recogniser's guess next to it.

type Kind = 'pause' | 'end' | 'line' | 'open' | 'close';

const MARKS: ReadonlyArray<{ phrases: string[]; mark: string; kind: Kind }> = [
  { phrases: ['comma'], mark: ',', kind: 'pause' },
  { phrases: ['colon'], mark: ':', kind: 'pause' },
  { phrases: ['semicolon', 'semi colon'], mark: ';', kind: 'pause' },
  { phrases: ['period', 'full stop'], mark: '.', kind: 'end' },
  { phrases: ['question mark'], mark: '?', kind: 'end' },
  { phrases: ['exclamation mark', 'exclamation point'], mark: '!', kind: 'end' },
  { phrases: ['new paragraph'], mark: '\n\n', kind: 'line' },
  { phrases: ['new line', 'newline'], mark: '\n', kind: 'line' },
  { phrases: ['open quote', 'begin quote', 'start quote'], mark: '"', kind: 'open' },
  { phrases: ['close quote', 'end quote', 'unquote'], mark: '"', kind: 'close' },
];

const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}_'’]`;
const phrasePattern = (phrase: string) => phrase.split(' ').join(String.raw`[\s-]+`);
const byPhrase = new Map<string, (typeof MARKS)[number]>();
for (const entry of MARKS)
  for (const phrase of entry.phrases) byPhrase.set(phrase.replace(/ /g, ''), entry);

const SPOKEN = new RegExp(
  `(?<!${WORD_CHAR})(?:${MARKS.flatMap((m) => m.phrases)
    .sort((a, b) => b.length - a.length)
    .map(phrasePattern)
    .join('|')})(?!${WORD_CHAR})`,
  'giu',
);
const SCRATCH = new RegExp(
  `(?<!${WORD_CHAR})scratch[\\s-]+that(?!${WORD_CHAR})[\\s,.;:!?…]*`,
  'giu',
);

/** The recogniser's own punctuation at the edge of a piece, replaced by a spoken mark. */
const TRAILING_MARKS = /[\s,.;:!?…]+$/u;
const LEADING_MARKS = /^[\s,.;:!?…]+/u;

// the first word's first letter, when the text begins with a word ("1-2-3 four" stays as it is)
const upperFirst = (text: string) =>
  text.replace(
    /^([^\p{L}\p{N}]*)(\p{L})/u,
    (_all, pre: string, c: string) => pre + c.toUpperCase(),
  );
// After a spoken comma where the recogniser had ended a sentence, its capital goes too ("Hello.
// Comma. World" → "Hello, world"); "I" and words in capitals stay.
const lowerFirst = (text: string) =>
  text.replace(/^(\P{L}*)(\p{Lu}\p{Ll}+)(?!\p{L})/u, (_all, pre: string, word: string) =>
    /^I(['’]|$)/u.test(word) ? `${pre}${word}` : `${pre}${word.toLowerCase()}`,
  );

/**
 * Turns spoken punctuation into marks, with spacing and capitals fixed around them; "scratch
 * that" removes everything said before it in this text.
 */
export function applySpokenPunctuation(input: string): string {
  let text = input;
  let capitalise = false;
  const scratches = [...text.matchAll(SCRATCH)];
  const last = scratches.at(-1);
  if (last) {
    text = text.slice(last.index + last[0].length);
    capitalise = true;
  }
  if (text.search(SPOKEN) < 0) return capitalise ? upperFirst(text.trim()) : text;

  type Item = { piece: string } | { kind: Kind; mark: string };
  const items: Item[] = [];
  let at = 0;
  for (const match of text.matchAll(SPOKEN)) {
    items.push({ piece: text.slice(at, match.index) });
    const entry = byPhrase.get(match[0].toLowerCase().replace(/[\s-]+/gu, ''))!;
    items.push({ kind: entry.kind, mark: entry.mark });
    at = match.index + match[0].length;
  }
  items.push({ piece: text.slice(at) });

  let out = '';
  let glue = true; // no space before the next piece (start, after a line break or an open quote)
  let lower = false;
  items.forEach((item, i) => {
    if ('piece' in item) {
      const before = items[i - 1];
      const after = items[i + 1];
      let piece = item.piece;
      let lowerNext = false;
      if (before && 'kind' in before && before.kind !== 'open')
        piece = piece.replace(LEADING_MARKS, '');
      if (after && 'kind' in after && (after.kind === 'pause' || after.kind === 'end')) {
        const dropped = TRAILING_MARKS.exec(piece)?.[0] ?? '';
        if (after.kind === 'pause' && /[.!?]/u.test(dropped)) lowerNext = true;
        piece = piece.replace(TRAILING_MARKS, '');
      }
      piece = piece.trim();
      if (piece === '') return;
      if (capitalise) piece = upperFirst(piece);
      else if (lower) piece = lowerFirst(piece);
      capitalise = false;
      lower = lowerNext;
      out += glue || out === '' ? piece : ` ${piece}`;
      glue = false;
      return;
    }
    switch (item.kind) {
      case 'pause':
      case 'end':
        out = out.trimEnd() + item.mark;
        if (item.kind === 'end') capitalise = true;
        glue = false;
        break;
      case 'line':
        out = out.replace(/[ \t]+$/u, '') + item.mark;
        capitalise = true;
        glue = true;
        break;
      case 'open':
        out += glue || out === '' ? item.mark : ` ${item.mark}`;
        glue = true;
        break;
      case 'close':
        out = out.trimEnd() + item.mark;
        glue = false;
        break;
    }
  });
  return out;
}
