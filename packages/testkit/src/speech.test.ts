import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recognize, synthesize, wordEdits } from './speech.js';
import { startXvfb, xdotool, type VirtualDisplay } from './xvfb.js';
import { run } from './process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-testkit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('speaks a phrase and recognises it back', async () => {
  const wav = join(dir, 'hello.wav');
  await synthesize('hello world', wav);
  expect(await recognize(wav)).toBe('hello world');
});

it('starts a virtual display that accepts clients, and stops it', async () => {
  const x: VirtualDisplay = await startXvfb();
  try {
    expect(x.display).toMatch(/^:\d+$/);
    await xdotool(x, ['getmouselocation']);
  } finally {
    await x.stop();
  }
  const after = await run('xdotool', ['getmouselocation'], { env: x.env });
  expect(after.code).not.toBe(0);
});

it('counts the words to insert, remove or replace between what was heard and what was said', () => {
  const said = 'one two three four five six seven eight nine ten';
  expect(wordEdits(said, said)).toBe(0);
  expect(wordEdits('one two three four five six seventy nine ten', said)).toBe(2);
  // a lost phrase
  expect(wordEdits('one two three four five', said)).toBe(5);
  expect(wordEdits('', said)).toBe(10);
  expect(wordEdits('one', '')).toBe(1);
  expect(wordEdits('two one', 'one two')).toBe(2);
});
