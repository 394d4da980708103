// The process that owns the recognizer. sherpa-onnx ends the process that loads a malformed model
// with `_Exit(-1)` (no JS handler runs), so the model is loaded here, never in the caller: the
// caller sees this child exit with 255 and the reason on its last line of stderr.
import { createRequire } from 'node:module';

interface Stream {
  acceptWaveform(input: { samples: Float32Array; sampleRate: number }): void;
}
interface Recognizer {
  createStream(): Stream;
  decodeAsync(stream: Stream): Promise<{ text: string }>;
}
interface Sherpa {
  OfflineRecognizer: { createAsync(config: unknown): Promise<Recognizer> };
}

export type ChildRequest =
  | { id: number; op: 'load'; config: unknown }
  | { id: number; op: 'decode'; samples: Float32Array; sampleRate: number };

export type ChildReply = { id: number; text?: string; error?: string };

const sherpa = createRequire(import.meta.url)('sherpa-onnx-node') as Sherpa;
let recognizer: Recognizer | undefined;

async function handle(request: ChildRequest): Promise<ChildReply> {
  if (request.op === 'load') {
    recognizer = await sherpa.OfflineRecognizer.createAsync(request.config);
    return { id: request.id };
  }
  if (!recognizer) throw new Error('no model is loaded');
  const stream = recognizer.createStream();
  stream.acceptWaveform({ samples: request.samples, sampleRate: request.sampleRate });
  const { text } = await recognizer.decodeAsync(stream);
  return { id: request.id, text };
}

process.on('message', (request: ChildRequest) => {
  handle(request).then(
    (reply) => process.send?.(reply),
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${message}\n`);
      process.send?.({ id: request.id, error: message });
    },
  );
});
// the caller went away (or closed us): nothing is left to do
process.on('disconnect', () => process.exit(0));
