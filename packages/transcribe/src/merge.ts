const MAX_OVERLAP_WORDS = 15;

function normalise(word: string): string {
  return word.toLowerCase().replace(/[^\p{L}\p{N}']/gu, '');
}

/**
 * Joins the transcripts of consecutive chunks, dropping words repeated across a seam: the longest
 * run of up to 15 words that ends one chunk and starts the next, compared without case and
 * punctuation. A one-word overlap counts only for words of four letters or more, so that
 * "… to" + "to the …" is not mistaken for a seam repeat when both were said.
 */
export function mergeTranscripts(texts: readonly string[]): string {
  let words: string[] = [];
  for (const text of texts) {
    const next = text.trim().split(/\s+/).filter(Boolean);
    if (next.length === 0) continue;
    const tail = words.slice(-MAX_OVERLAP_WORDS).map(normalise);
    const head = next.slice(0, MAX_OVERLAP_WORDS).map(normalise);
    let overlap = 0;
    for (let k = Math.min(tail.length, head.length); k >= 1; k--) {
      const a = tail.slice(tail.length - k);
      const b = head.slice(0, k);
      if (a.every((w, i) => w !== '' && w === b[i]) && (k > 1 || (a[0]?.length ?? 0) >= 4)) {
        overlap = k;
        break;
      }
    }
    words = words.concat(next.slice(overlap));
  }
  return words.join(' ');
}

// What Whisper-family models say when given silence or noise.
const HALLUCINATIONS = new Set(
  [
    'thank you',
    'thank you very much',
    'thanks for watching',
    'thank you for watching',
    'thanks for watching and see you next time',
    'please subscribe',
    'subscribe to my channel',
    'subtitles by the amaraorg community',
    'you',
    'bye',
    'blankaudio',
    'silence',
    'music',
    'inaudible',
  ].map((s) => s.replace(/[^a-z ]/g, '')),
);

/** True when a chunk's whole transcript is a known silence hallucination ("Thank you.", "[BLANK_AUDIO]", …). */
export function isSilenceHallucination(text: string): boolean {
  const key = text
    .toLowerCase()
    .replace(/[^a-z ]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return key === '' || HALLUCINATIONS.has(key);
}
