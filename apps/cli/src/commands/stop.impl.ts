import { withDaemon } from '../daemon.js';
import { ExitCode } from '../errors.js';

export async function runStop(): Promise<number> {
  // Shutting down may first finish a transcription in flight: allow for it.
  const result = await withDaemon((client) =>
    client.request('shutdown', undefined, { timeoutMs: 120_000 }),
  );
  for (const recording of result.recordings) {
    if (recording.outcome === 'transcribed') {
      process.stdout.write(`Recording ${recording.id} transcribed: ${recording.text ?? ''}\n`);
    } else if (recording.outcome === 'kept') {
      process.stdout.write(
        `Recording ${recording.id} kept: run \`whis retry ${recording.id}\` after the next start.\n`,
      );
    } else {
      process.stdout.write(`Recording ${recording.id} discarded (no speech).\n`);
    }
  }
  process.stdout.write('Service stopped.\n');
  return ExitCode.Ok;
}
