// The in-memory twins pass the same contracts as the real adapters.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeLiveTranscriberContract,
  describeOutputContract,
  describeTranscriberContract,
} from '@whis/testkit/contracts';
import { FakeLiveTranscriber, MemoryOutput, ScriptedTranscriber } from './testing.js';

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

// FakeAudioSource is not run through the AudioSource contract: its chunks hold the words as text
// for ScriptedTranscriber, not audio, and the contract decodes what a source writes. The real
// sources (@whis/audio's microphone and PCM source) run it.

describeLiveTranscriberContract('FakeLiveTranscriber', async () => ({
  live: new FakeLiveTranscriber(),
  // the twin hears character codes
  audio: Int16Array.from(Buffer.from('hello world')),
  expected: 'hello world',
}));
