import { rmSync } from 'node:fs';
import { mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readSettings, resolvePaths } from '@whis/config';
import {
  AUDIO_MIME_TYPES,
  audioMimeType,
  isWhisError,
  silentLogger,
  type Transcriber,
} from '@whis/contracts';
import type { PieceProgress, PieceResult, TranscriberOptions } from '@whis/transcribe';
import { CliError, ExitCode } from '../errors.js';
import { startProgress, type Progress } from '../internal/progress.js';
import { loadPackage } from '../lazy.js';
import type { TranscribeArgs, TranscriptFormat } from './transcribe.js';

/** What the endpoint takes in one upload (OpenAI: 25 MB). */
const LIMIT = 25 * 1024 * 1024;
/** The gpt-4o-transcribe family takes 1500 s at most: parts stay under it. */
const MAX_PART_MS = 1_500_000;
const DEFAULT_PART_MS = 600_000;
/** Subtitles are timed by part: short parts give cues a reader can follow. */
const SUBTITLE_PART_MS = 30_000;

type Audio = typeof import('@whis/audio');
type Transcribe = typeof import('@whis/transcribe');

/** `600`, `90s`, `10m`, `1m30s` → ms. */
export function parsePartLength(value: string): number | undefined {
  const match = /^\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$/.exec(value);
  if (!match || (!match[1] && !match[2])) return undefined;
  return Math.round((Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 1000);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function timeLeft(ms: number): string {
  if (ms < 60_000) return `about ${Math.max(1, Math.round(ms / 1000))} s left`;
  return `about ${Math.round(ms / 60_000)} min left`;
}

function usage(message: string, hint?: string): CliError {
  return new CliError(message, { exitCode: ExitCode.Usage, ...(hint ? { hint } : {}) });
}

export async function runTranscribe(args: TranscribeArgs): Promise<number> {
  const format: TranscriptFormat = args.json ? 'json' : (args.format ?? 'text');
  if (args.json && args.format && args.format !== 'json')
    throw usage(`--json and --format ${args.format} disagree.`, 'Give one of them.');
  const subtitles = format === 'srt' || format === 'vtt';
  let partMs = subtitles ? SUBTITLE_PART_MS : DEFAULT_PART_MS;
  if (args.partLength !== undefined) {
    const parsed = parsePartLength(args.partLength);
    if (parsed === undefined || parsed < 5000 || parsed > MAX_PART_MS)
      throw usage(
        `--part-length ${args.partLength}: give a length from 5s to 25m, e.g. 10m or 90s.`,
      );
    partMs = parsed;
  }
  const jobs = args.jobs ?? 3;
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16)
    throw usage(`--jobs ${args.jobs}: give a number from 1 to 16.`);

  let info: { size: number; mtimeMs: number };
  try {
    info = await stat(args.file);
  } catch (err) {
    throw new CliError(`Cannot read ${args.file}: ${(err as Error).message}`, { cause: err });
  }
  const audio = await loadPackage<Audio>('@whis/audio');
  const mimeType = audioMimeType(args.file);
  let durationMs: number | undefined;
  try {
    ({ durationMs } = await audio.probeAudioFile(args.file));
  } catch (err) {
    const code = isWhisError(err) ? err.id : undefined;
    // without ffmpeg a file the endpoint takes as it is still goes, as it always did
    if (code !== 'audio/ffmpeg-missing' || !mimeType || info.size > LIMIT) throw readError(err);
  }

  const engines =
    await loadPackage<typeof import('@whis/service/engines')>('@whis/service/engines');
  const settings = await readSettings(resolvePaths().settingsFile);
  // on this machine (`mode local`): the model decodes any format ffmpeg reads, in short parts
  const local =
    engines.engineFor(settings, process.env) === 'local' && args.model === undefined
      ? await engines.localCommandEngine(settings, silentLogger)
      : undefined;
  const { options, transcriber } = local
    ? { options: { model: local.model } as EngineNames, transcriber: local.transcriber }
    : engines.fileEngine(settings, process.env, {
        flags: { model: args.model, language: args.language, prompt: args.prompt },
      });
  if (local && args.partLength === undefined)
    partMs = Math.min(partMs, SUBTITLE_PART_MS, engines.segmentMsFor(local.maxSegmentSeconds));
  const name = basename(args.file);
  const whole = local
    ? durationMs !== undefined && durationMs <= partMs
    : mimeType && info.size <= LIMIT && (durationMs ?? 0) <= partMs;
  try {
    return await transcribeAndPrint({
      args,
      audio,
      transcriber,
      options,
      info,
      durationMs,
      partMs,
      jobs: local ? 1 : jobs,
      whole: Boolean(whole),
      name,
      mimeType,
      format,
      subtitles,
    });
  } finally {
    await local?.close();
  }
}

/** What names the engine in messages and in the cache's key. */
type EngineNames = Pick<
  TranscriberOptions,
  'model' | 'baseURL' | 'language' | 'prompt' | 'keywords'
>;

/** One file's transcription: what it is, what transcribes it, in parts of what length. */
interface FileRun {
  args: TranscribeArgs;
  audio: Audio;
  transcriber: Transcriber;
  options: EngineNames;
  info: { size: number; mtimeMs: number };
  durationMs: number | undefined;
  partMs: number;
  jobs: number;
}

async function transcribeAndPrint(
  run: FileRun & {
    whole: boolean;
    name: string;
    mimeType: string | undefined;
    format: TranscriptFormat;
    subtitles: boolean;
  },
): Promise<number> {
  const { args, transcriber, options, info, durationMs, whole, name, mimeType, format, subtitles } =
    run;

  let parts: PieceResult[];
  if (whole) {
    // a file the endpoint takes as it is: one upload of the file itself
    const progress = startProgress(
      `Transcribing ${name} (${mb(info.size)}) with ${options.model}: uploading…`,
    );
    try {
      const { text } = await transcriber.transcribe([
        {
          path: args.file,
          mimeType: mimeType ?? 'application/octet-stream',
          startMs: 0,
          durationMs: durationMs ?? 0,
          bytes: info.size,
        },
      ]);
      const endMs = durationMs ?? 0;
      parts = [{ index: 0, startMs: 0, endMs, text, skipped: false, stored: false }];
    } finally {
      progress.stop();
    }
  } else {
    parts = await transcribeInParts(run);
  }

  const { formatSubtitles, mergeTranscripts } = await loadPackage<Transcribe>('@whis/transcribe');
  const text = mergeTranscripts(parts.map((p) => p.text));
  let out: string;
  if (format === 'json') {
    out = `${JSON.stringify(
      {
        file: args.file,
        model: options.model,
        durationMs: durationMs ?? parts.at(-1)?.endMs ?? 0,
        text,
        parts: parts.map((p) => ({
          index: p.index + 1,
          start: p.startMs / 1000,
          end: p.endMs / 1000,
          text: p.text,
          skipped: p.skipped,
        })),
      },
      null,
      2,
    )}\n`;
  } else if (subtitles && format !== 'text') out = formatSubtitles(parts, format);
  else out = `${text}\n`;
  if (args.output) {
    try {
      await writeFile(args.output, out);
    } catch (err) {
      throw new CliError(`Cannot write ${args.output}: ${(err as Error).message}`, { cause: err });
    }
  } else process.stdout.write(out);
  return ExitCode.Ok;
}

function readError(err: unknown): CliError {
  const code = isWhisError(err) ? err.id : undefined;
  if (code === 'audio/ffmpeg-missing') return new CliError((err as Error).message, { cause: err });
  if (code === 'audio/unreadable-file')
    return new CliError((err as Error).message, {
      exitCode: ExitCode.Usage,
      hint: `whis reads what ffmpeg reads (e.g. ${Object.keys(AUDIO_MIME_TYPES).join(' ')}, and the audio of videos).`,
      cause: err,
    });
  return new CliError((err as Error)?.message ?? String(err), { cause: err });
}

// A file longer than a part, or larger than an upload: decoded by ffmpeg as a stream, cut at
// pauses into MP3 parts in a temporary folder, the silent ones skipped, at most `jobs` uploaded at
// once, each part's text kept in the cache as it comes so that a rerun sends only what is missing.
async function transcribeInParts(run: FileRun): Promise<PieceResult[]> {
  const { args, audio, info, durationMs, partMs } = run;
  const { transcribePieces, openPieceCache, formatClock } =
    await loadPackage<Transcribe>('@whis/transcribe');
  const name = basename(args.file);
  const cache = await openPieceCache(join(resolvePaths().cacheDir, 'transcribe'), {
    version: 1,
    file: await realpath(args.file),
    bytes: info.size,
    mtimeMs: info.mtimeMs,
    model: run.options.model,
    baseURL: run.options.baseURL,
    language: run.options.language,
    prompt: run.options.prompt,
    keywords: run.options.keywords,
    partMs,
  });
  const estimate = durationMs ? Math.ceil(durationMs / partMs) : undefined;
  const of = (p: Pick<PieceProgress, 'total' | 'final'>) =>
    p.final ? `${p.total}` : `~${Math.max(p.total, estimate ?? 0)}`;
  const started = performance.now();
  const left = (p: PieceProgress) => {
    const elapsed = performance.now() - started;
    const { doneMs } = p;
    if (!durationMs || doneMs <= 0 || doneMs >= durationMs || (p.final && p.done === p.total))
      return '';
    return `, ${timeLeft(((durationMs - doneMs) / doneMs) * elapsed)}`;
  };
  const length = durationMs ? `, ${formatClock(durationMs)}` : '';
  const tty = process.stderr.isTTY;
  const progress: Progress | undefined = tty
    ? startProgress(
        `Transcribing ${name} (${mb(info.size)}${length}) with ${run.options.model}: cutting it into parts…`,
      )
    : undefined;
  const onProgress = (p: PieceProgress) => {
    const range = `${formatClock(p.piece.startMs)}–${formatClock(p.piece.endMs)}`;
    const how = p.piece.skipped ? ', no speech' : p.piece.stored ? ', from an earlier run' : '';
    if (progress)
      progress.update(
        `Transcribing ${name}${length ? ` (${formatClock(durationMs!)})` : ''}: ${p.done} of ${of(p)} parts done${left(p)}`,
      );
    else
      process.stderr.write(
        `whis: ${p.done} of ${of(p)} parts done (part ${p.piece.index + 1}, ${range}${how})${left(p)}\n`,
      );
  };
  const directory = await mkdtemp(join(tmpdir(), 'whis-transcribe-'));
  // Ctrl+C: the parts on disk go with the process (the finished ones are in the cache already)
  const onInterrupt = () => {
    progress?.stop();
    rmSync(directory, { recursive: true, force: true });
    process.exit(ExitCode.Interrupted);
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  let speechWarning: string | undefined;
  try {
    const parts = await transcribePieces(
      audio.cutPieces(audio.decodeAudioFile(args.file), {
        directory,
        maxPieceMs: partMs,
        onSpeechUnavailable: (err) => (speechWarning = err.message),
      }),
      run.transcriber,
      { jobs: run.jobs, store: cache, onProgress },
    );
    progress?.stop();
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    const skipped = parts.filter((p) => p.skipped).length;
    const stored = parts.filter((p) => p.stored).length;
    if (!tty)
      process.stderr.write(
        `whis: ${parts.length} of ${parts.length} parts done in ${seconds} s (${parts.length - skipped - stored} sent, ${skipped} without speech, ${stored} from an earlier run)\n`,
      );
    if (speechWarning) process.stderr.write(`whis: ${speechWarning}\n`);
    return parts;
  } catch (err) {
    progress?.stop();
    const code = isWhisError(err) ? err.id : undefined;
    if (code === 'transcribe/piece-failed')
      throw new CliError((err as Error).message, {
        hint: 'The parts transcribed are kept: run the same command again to send only the rest.',
        cause: err,
      });
    if (code?.startsWith('audio/')) throw readError(err);
    throw err;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await rm(directory, { recursive: true, force: true });
  }
}
