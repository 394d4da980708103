import { describe, expect, it } from 'vitest';
import { keyKeysym, keysymOf, untypeableOn } from './keysyms.js';

describe('keysyms', () => {
  it('Latin-1 is its own code, other characters 0x01000000 + the code point', () => {
    expect(keysymOf('a')).toBe(0x61);
    expect(keysymOf('é')).toBe(0xe9);
    expect(keysymOf('€')).toBe(0x10020ac);
    expect(keysymOf('東')).toBe(0x1006771);
    expect(keysymOf('\n')).toBe(0xff0d);
  });

  it('chord keys: a letter, Insert, Return, F5; an unknown name is refused', () => {
    expect(keyKeysym('v')).toBe(0x76);
    expect(keyKeysym('V')).toBe(0x76);
    expect(keyKeysym('Insert')).toBe(0xff63);
    expect(keyKeysym('Return')).toBe(0xff0d);
    expect(keyKeysym('F5')).toBe(0xffc2);
    expect(() => keyKeysym('Hyper')).toThrow(/cannot press the key "Hyper"/);
  });
});

describe('what the portal would drop on a layout', () => {
  it('US: printable ASCII types, the rest is pasted', () => {
    expect(untypeableOn('us', 'hello, world! 100% {ok}')).toBe('');
    expect(untypeableOn('us', 'café')).toBe('é');
  });

  it('another Latin layout, or one that cannot be read: letters, digits, space, . and ,', () => {
    expect(untypeableOn('fr', 'wayland 42, ok.')).toBe('');
    expect(untypeableOn('fr', 'mail@example')).toBe('@');
    expect(untypeableOn(undefined, 'a-b')).toBe('-');
  });

  it('a non-Latin layout: every letter', () => {
    expect(untypeableOn('ru', 'hi 2')).toBe('hi');
  });
});
