import { withDaemon } from '../daemon.js';
import { ExitCode } from '../errors.js';
import type { RetryArgs } from './retry.js';

export async function runRetry(args: RetryArgs): Promise<number> {
  const params = args.id ? { id: args.id } : {};
  // A retry uploads the whole recording again: wait as long as a transcription may take.
  const result = await withDaemon((client) =>
    client.request('retry', params, { timeoutMs: 600_000 }),
  );
  process.stdout.write(`${result.text}\n`);
  return ExitCode.Ok;
}
