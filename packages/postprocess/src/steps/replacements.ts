import { PostProcessError } from '../errors.js';

/** The user's fixes: what the recogniser writes (any casing) → what the user wants (as written). */
export type Replacements = Readonly<Record<string, string>>;

// A letter, a digit or a joiner of words (apostrophe, underscore) next to a match means the match
// is inside a longer word: `cat` never becomes a replacement inside `concatenate` or `cat's`.
const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}_'’]`;
const normalise = (phrase: string) => phrase.trim().replace(/\s+/gu, ' ').toLowerCase();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * Parses the command-line and file forms: `from=to` pairs separated by `;` or line breaks
 * (`kuber netties=Kubernetes;pie torch=PyTorch`). Blank lines and lines starting with `#` are
 * skipped; a pair without `=` or with nothing before it throws, naming it.
 */
export function parseReplacements(text: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of text.split(/[;\n]/)) {
    const line = item.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const from = eq < 0 ? '' : normalise(line.slice(0, eq));
    if (from === '')
      throw new PostProcessError(
        'invalid-replacements',
        `"${line}" is not a replacement: write what is heard, =, and what to write instead, e.g. kuber netties=Kubernetes.`,
      );
    pairs[from] = line.slice(eq + 1).trim();
  }
  return pairs;
}

/**
 * Replaces whole words and phrases, case-insensitively, with the user's text as written. The
 * longest phrase wins where two start at the same place; words inside longer words are never
 * touched; any run of spaces between a phrase's words matches.
 */
export function createReplacer(replacements: Replacements): (text: string) => string {
  const table = new Map<string, string>();
  for (const [from, to] of Object.entries(replacements)) {
    const key = normalise(from);
    if (key) table.set(key, to);
  }
  if (table.size === 0) return (text) => text;
  const alternatives = [...table.keys()]
    .sort((a, b) => b.length - a.length)
    .map((key) =>
      key
        .split(' ')
        .map(escape)
        .join(String.raw`\s+`),
    );
  const pattern = new RegExp(
    `(?<!${WORD_CHAR})(?:${alternatives.join('|')})(?!${WORD_CHAR})`,
    'giu',
  );
  return (text) => text.replace(pattern, (match) => table.get(normalise(match)) ?? match);
}
