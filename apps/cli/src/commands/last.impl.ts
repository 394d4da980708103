import { withDaemon } from '../daemon.js';
import { CliError, ExitCode } from '../errors.js';
import { readSettings, resolvePaths } from '@whis/config';
import { silentLogger } from '@whis/contracts';
import { loadPackage } from '../lazy.js';
import type { TranscriptEntry } from '@whis/ipc';
import { EDIT_OUTCOMES } from '../format.js';
import type { LastArgs } from './last.js';

// An edit's three parts, each under its name (a selection may span lines: they are indented).
function describeEdit(entry: TranscriptEntry & { edit: NonNullable<TranscriptEntry['edit']> }) {
  const block = (name: string, text: string) =>
    `${name}:${text.includes('\n') ? `\n  ${text.replace(/\n/g, '\n  ')}` : ` ${text}`}\n`;
  const { instruction, selection, outcome, error } = entry.edit;
  return [
    `Edit (${EDIT_OUTCOMES[outcome]}${error ? `: ${error}` : ''})\n`,
    block('Instruction', instruction),
    block('Selected', selection === '' ? '(nothing)' : selection),
    ...(outcome === 'failed' ? [] : [block('Answer', entry.text)]),
  ].join('');
}

// What `--original` acts on: the selection an edit replaced.
function original(entry: TranscriptEntry | undefined): string | undefined {
  if (!entry) return undefined;
  if (!entry.edit)
    throw new CliError(
      `${entry.id} is a dictation, not an edit: --original is the text an edit by voice replaced.`,
      { exitCode: ExitCode.Usage },
    );
  if (entry.edit.selection === '')
    throw new CliError(`Nothing was selected when ${entry.id} was made: there is no original.`, {
      exitCode: ExitCode.Failure,
    });
  return entry.edit.selection;
}

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
  const chosen = transcripts[args.n - 1];
  if (args.original && !args.json) {
    const text = original(chosen);
    if (args.paste) return paste(text);
    if (text === undefined) process.stderr.write('No transcripts yet.\n');
    else process.stdout.write(`${text}\n`);
    return ExitCode.Ok;
  }
  if (args.paste) {
    if (chosen?.edit?.outcome === 'failed')
      throw new CliError(
        `The edit ${chosen.id} has no answer to paste (${chosen.edit.error ?? 'it failed'}).`,
        { exitCode: ExitCode.Failure },
      );
    return paste(chosen?.text);
  }
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
    if (entry.edit && !args.raw) process.stdout.write(describeEdit({ ...entry, edit: entry.edit }));
    else process.stdout.write(`${args.raw ? (entry.raw ?? entry.text) : entry.text}\n`);
  }
  return ExitCode.Ok;
}
