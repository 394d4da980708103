import { withDaemon } from '../daemon.js';
import { CliError, ExitCode } from '../errors.js';
import type { LastArgs } from './last.js';

export async function runLast(args: LastArgs): Promise<number> {
  if (!Number.isInteger(args.n) || args.n < 1) {
    throw new CliError(`-n takes a whole number ≥ 1, not ${args.n}.`, { exitCode: ExitCode.Usage });
  }
  const { transcripts } = await withDaemon((client) => client.request('last', { limit: args.n }));
  if (args.json) {
    process.stdout.write(`${JSON.stringify(transcripts)}\n`);
    return ExitCode.Ok;
  }
  if (transcripts.length === 0) {
    process.stderr.write('No transcripts yet.\n');
    return ExitCode.Ok;
  }
  // newest last, so the most recent text is what stays on screen
  for (const entry of [...transcripts].reverse()) {
    if (args.n > 1) process.stdout.write(`# ${entry.id} (${entry.createdAt})\n`);
    process.stdout.write(`${entry.text}\n`);
  }
  return ExitCode.Ok;
}
