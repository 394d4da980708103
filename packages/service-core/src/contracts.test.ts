// The in-memory twins pass the same contracts as the real adapters.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeAudioSourceContract,
  describeLiveTranscriberContract,
  describeOutputContract,
  describeTranscriberContract,
} from '@whis/testkit/contracts';
import {
  FakeAudioSource,
  FakeLiveTranscriber,
  MemoryOutput,
  ScriptedTranscriber,
} from './testing.js';

describeOutputContract('MemoryOutput', async () => {
  const output = new MemoryOutput();
  return { output, readLast: async () => output.delivered.at(-1) ?? '' };
});

describeTranscriberContract('ScriptedTranscriber', async () => {
  const path = join(tmpdir(), `whis-contract-${process.pid}.mp3`);
  await writeFile(path, 'hello world');
  return {
    transcriber: new ScriptedTranscriber(),
    chunk: { path, mimeType: 'audio/mpeg', startMs: 0, durationMs: 1000, bytes: 11 },
    expected: 'hello world',
  };
});

describeAudioSourceContract('FakeAudioSource', async () => {
  const source = new FakeAudioSource();
  return { source, speak: async () => source.current!.push(Buffer.from('speech')) };
});

describeLiveTranscriberContract('FakeLiveTranscriber', async () => ({
  live: new FakeLiveTranscriber(),
  // the twin hears character codes
  audio: Int16Array.from(Buffer.from('hello world')),
  expected: 'hello world',
}));
