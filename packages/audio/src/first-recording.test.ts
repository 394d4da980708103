// A file of its own: the device list is module state, and here it is not learnt yet, as in a
// service whose first key press comes before the devices are listed, or in the one-shot `whis`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  recognize,
  startVirtualMicrophone,
  synthesize,
  type VirtualMicrophone,
} from '@whis/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMicrophone, type MicrophoneLogger } from './microphone.js';

let mic: VirtualMicrophone;
let dir: string;
let phrase: string;

beforeAll(async () => {
  mic = await startVirtualMicrophone();
  Object.assign(process.env, mic.env);
  dir = await mkdtemp(join(tmpdir(), 'whis-mic-first-'));
  phrase = join(dir, 'phrase.wav');
  await synthesize('one two three four five', phrase);
}, 60_000);
afterAll(async () => {
  await mic?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('the first recording, before any device list: the default microphone is opened first, listed after, and the first word is kept', async () => {
  const said: string[] = [];
  const note = (_fields: unknown, msg?: string) => void said.push(msg ?? String(_fields));
  const logger: MicrophoneLogger = { debug: note, info: note, warn: note };
  // listing the devices (about 150 ms, longer on a loaded machine) must not stand between the
  // key press and the first sample: the word spoken as the key goes down would be lost
  const capture = await createMicrophone({ logger }).start({ directory: dir });
  await mic.play(phrase);
  const result = await capture.stop();
  const opened = said.indexOf('microphone opened');
  expect(opened).toBeGreaterThanOrEqual(0);
  expect(said.slice(0, opened)).not.toContain('input devices listed');
  expect(await recognize(result.chunks[0]!.path)).toBe('one two three four five');
  // and the list is learnt after the recording, for the next one
  await expect.poll(() => said.includes('input devices listed'), { timeout: 5000 }).toBe(true);
}, 60_000);
