import { describe, expect, it } from 'vitest';
import { LineSplitter, decodeLine } from './framing.js';

function split(chunks: Buffer[], max = 16) {
  const lines: string[] = [];
  let overflows = 0;
  const splitter = new LineSplitter(
    max,
    (l) => lines.push(l.toString('utf8')),
    () => overflows++,
  );
  for (const chunk of chunks) splitter.push(chunk);
  splitter.flush();
  return { lines, overflows };
}

describe('LineSplitter', () => {
  it('splits at newlines across and within chunks', () => {
    expect(split([Buffer.from('ab\ncd'), Buffer.from('e\n\nf')]).lines).toEqual([
      'ab',
      'cde',
      '',
      'f',
    ]);
  });

  it('keeps a character split across chunks whole', () => {
    const bytes = Buffer.from('é€😀\n');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    const { lines } = split(chunks);
    expect(lines).toEqual(['é€😀']);
  });

  it('reports one overflow and then ignores input', () => {
    const { lines, overflows } = split(
      [Buffer.from('0123456789'), Buffer.from('0123456789\nok\n')],
      16,
    );
    expect(overflows).toBe(1);
    expect(lines).toEqual([]);
  });

  it('accepts a line of exactly the cap', () => {
    expect(split([Buffer.from('x'.repeat(16) + '\n')]).lines).toEqual(['x'.repeat(16)]);
  });
});

describe('decodeLine', () => {
  it('decodes valid UTF-8 and rejects invalid bytes', () => {
    expect(decodeLine(Buffer.from('grüß'))).toBe('grüß');
    expect(decodeLine(Buffer.from([0x61, 0xff, 0x62]))).toBeUndefined();
    expect(decodeLine(Buffer.from([0xe2, 0x82]))).toBeUndefined(); // truncated €
  });
});
