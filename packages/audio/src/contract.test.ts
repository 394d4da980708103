import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAudioSourceContract } from '@whis/testkit/contracts';
import { startVirtualMicrophone, synthesize } from '@whis/testkit';
import { afterAll, beforeAll } from 'vitest';
import { createMicrophone } from './microphone.js';
import { createPcmSource } from './pcm-source.js';

let wav: string;
let speech: Buffer;
let mic: Awaited<ReturnType<typeof startVirtualMicrophone>>;

beforeAll(async () => {
  wav = join(tmpdir(), `whis-contract-${process.pid}.wav`);
  await synthesize('one two three four five', wav);
  speech = (await readFile(wav)).subarray(44);
  mic = await startVirtualMicrophone();
  // naudiodon loads on first use: this process records from the virtual microphone
  Object.assign(process.env, mic.env);
}, 60_000);
afterAll(async () => {
  await mic?.stop();
});

describeAudioSourceContract('PCM source', async () => {
  let drained: Promise<void> = Promise.resolve();
  const source = createPcmSource({
    sampleRate: 16_000,
    channels: 1,
    open: async function* () {
      yield speech;
    },
  });
  return {
    source: {
      start: async (o) => {
        const capture = await source.start(o);
        drained = capture.drained;
        return capture;
      },
    },
    // the stream "speaks" the phrase as fast as it can; wait until it has all been read
    speak: () => drained,
  };
});

describeAudioSourceContract('microphone (PulseAudio virtual microphone)', async () => ({
  source: createMicrophone(),
  speak: () => mic.play(wav),
}));
