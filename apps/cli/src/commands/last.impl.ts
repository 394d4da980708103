import { withDaemon } from '../daemon.js';
import { CliError, ExitCode } from '../errors.js';
import { readSettings, resolvePaths } from '@whis/config';
import { silentLogger } from '@whis/contracts';
import { loadPackage } from '../lazy.js';
import type { LastArgs } from './last.js';

/** Pastes `text` into the focused window as the paste output does, and gives the clipboard back. */
async function paste(text: string | undefined): Promise<number> {
  if (text === undefined) {
    process.stderr.write('No transcript to paste.\n');
    return ExitCode.Failure;
  }
  const { OUTPUTS } =
    await loadPackage<typeof import('@whis/service/outputs')>('@whis/service/outputs');
  const paths = resolvePaths();
  const output = OUTPUTS.paste.create({
    settings: await readSettings(paths.settingsFile),
    logger: silentLogger,
    env: process.env,
    defaultTranscriptFile: paths.transcriptFile,
  });
  try {
    await output.deliver(text);
  } catch (err) {
    throw new CliError((err as Error).message, { exitCode: ExitCode.Failure });
  }
  await output.settled();
  return ExitCode.Ok;
}

export async function runLast(args: LastArgs): Promise<number> {
  if (!Number.isInteger(args.n) || args.n < 1) {
    throw new CliError(`-n takes a whole number ≥ 1, not ${args.n}.`, { exitCode: ExitCode.Usage });
  }
  const { transcripts } = await withDaemon((client) => client.request('last', { limit: args.n }));
  if (args.paste) return paste(transcripts[args.n - 1]?.text);
  if (args.json) {
    // both texts, always: `raw` is the text itself when post-processing changed nothing
    const both = transcripts.map((entry) => ({ ...entry, raw: entry.raw ?? entry.text }));
    process.stdout.write(`${JSON.stringify(both)}\n`);
    return ExitCode.Ok;
  }
  if (transcripts.length === 0) {
    process.stderr.write('No transcripts yet.\n');
    return ExitCode.Ok;
  }
  // newest last, so the most recent text is what stays on screen
  for (const entry of [...transcripts].reverse()) {
    if (args.n > 1) process.stdout.write(`# ${entry.id} (${entry.createdAt})\n`);
    process.stdout.write(`${args.raw ? (entry.raw ?? entry.text) : entry.text}\n`);
  }
  return ExitCode.Ok;
}
