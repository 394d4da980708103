import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { readSettings, resolvePaths } from '@whis/config';
import { AUDIO_MIME_TYPES, audioMimeType } from '@whis/contracts';
import { CliError, ExitCode } from '../errors.js';
import { startProgress } from '../internal/progress.js';
import { loadPackage } from '../lazy.js';
import type { TranscribeArgs } from './transcribe.js';

const LIMIT = 25 * 1024 * 1024;

export async function runTranscribe(args: TranscribeArgs): Promise<number> {
  const mimeType = audioMimeType(args.file);
  if (!mimeType) {
    throw new CliError(`${args.file}: unsupported format.`, {
      exitCode: ExitCode.Usage,
      hint: `Use one of ${Object.keys(AUDIO_MIME_TYPES).join(' ')}; convert with e.g. \`ffmpeg -i in.xyz -ac 1 -ar 16000 -b:a 32k out.mp3\`.`,
    });
  }
  let bytes: number;
  try {
    bytes = (await stat(args.file)).size;
  } catch (err) {
    throw new CliError(`Cannot read ${args.file}: ${(err as Error).message}`, { cause: err });
  }
  if (bytes > LIMIT) {
    throw new CliError(
      `${args.file} is ${(bytes / 1024 / 1024).toFixed(1)} MB; the API takes 25 MB at most.`,
      {
        hint: 'Re-encode it smaller: `ffmpeg -i in -ac 1 -ar 16000 -b:a 32k out.mp3` (about 15 MB an hour).',
      },
    );
  }
  const { fileEngine } =
    await loadPackage<typeof import('@whis/service/engines')>('@whis/service/engines');
  const settings = await readSettings(resolvePaths().settingsFile);
  const { options, transcriber } = fileEngine(settings, process.env, {
    flags: { model: args.model, language: args.language, prompt: args.prompt },
  });
  const progress = startProgress(
    `Transcribing ${basename(args.file)} (${(bytes / 1024 / 1024).toFixed(1)} MB) with ${options.model}: uploading…`,
  );
  try {
    const { text } = await transcriber.transcribe(
      [{ path: args.file, mimeType, startMs: 0, durationMs: 0, bytes }],
      {
        onProgress: ({ done, total }) =>
          total > 1 &&
          progress.update(`Transcribing ${basename(args.file)}: ${done} of ${total} parts done`),
      },
    );
    progress.stop();
    process.stdout.write(`${text}\n`);
  } catch (err) {
    progress.stop();
    throw err;
  }
  return ExitCode.Ok;
}
