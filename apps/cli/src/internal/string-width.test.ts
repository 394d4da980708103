import { expect, it } from 'vitest';
import stringWidth from './string-width.js';

it('measures the visible length of help text, ignoring colour codes', () => {
  expect(stringWidth('whis listen')).toBe(11);
  expect(stringWidth('\x1b[1mwhis\x1b[22m — voice…')).toBe(13);
  expect(stringWidth('')).toBe(0);
});
