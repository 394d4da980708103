import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AudioChunk, Transcriber as ContractTranscriber } from '@whis/contracts';
import { TranscribeError } from './errors.js';

/** One piece of a long recording, encoded on disk (what `@whis/audio`'s `cutPieces` yields). */
export interface Piece extends AudioChunk {
  /** 0, 1, 2, … in the order of the recording. */
  index: number;
}

/** What became of one piece. */
export interface PieceResult {
  index: number;
  startMs: number;
  endMs: number;
  text: string;
  /** Not sent: the speech detector heard nothing in it. */
  skipped: boolean;
  /** Its text came from the store: transcribed by an earlier run. */
  stored: boolean;
}

/** Texts of pieces already transcribed, so that a rerun sends only the others. */
export interface PieceStore {
  get(piece: Piece): string | undefined;
  set(piece: Piece, text: string): Promise<void>;
}

export interface PieceProgress {
  /** Pieces finished (transcribed, skipped or taken from the store). */
  done: number;
  /** Pieces cut so far; `final` once the recording has been cut to its end. */
  total: number;
  final: boolean;
  /** Audio of the finished pieces, ms. */
  doneMs: number;
  /** The piece that just finished. */
  piece: PieceResult;
}

export interface TranscribePiecesOptions {
  /** Pieces uploaded at once. Default 3. */
  jobs?: number;
  store?: PieceStore;
  signal?: AbortSignal;
  onProgress?: (progress: PieceProgress) => void;
}

const clock = (ms: number) => {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
};

/** `12:05` or `1:02:05`: a time in a recording as the messages show it. */
export const formatClock = clock;

/**
 * Transcribes the pieces of a long recording through any Transcriber (one piece a call), at most
 * `jobs` at once, as they come: the next piece is taken only when an upload slot is free, so the
 * cutting never runs far ahead. A piece without speech is not sent; one in the store is not sent
 * again. Each piece is sent with the text of the one before it as context when that is known
 * already (always with `jobs: 1`). Each piece's file is deleted once it is done with.
 *
 * One piece that fails (after the transcriber's own retries) stops further uploads; those under
 * way finish and are stored, the rest of the recording is still cut (to count it), and the call
 * rejects with `TranscribeError` `piece-failed` naming the piece and its time range.
 */
export async function transcribePieces(
  pieces: AsyncIterable<Piece>,
  transcriber: ContractTranscriber,
  options: TranscribePiecesOptions = {},
): Promise<PieceResult[]> {
  const jobs = Math.max(1, options.jobs ?? 3);
  const results: PieceResult[] = [];
  const inFlight = new Set<Promise<void>>();
  let total = 0;
  let final = false;
  let done = 0;
  let doneMs = 0;
  let failure: { piece: Piece; error: unknown } | undefined;
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const finish = (result: PieceResult) => {
    results[result.index] = result;
    done++;
    doneMs += result.endMs - result.startMs;
    options.onProgress?.({ done, total, final, doneMs, piece: result });
  };
  const resultOf = (piece: Piece, text: string, extra: Partial<PieceResult> = {}) => ({
    index: piece.index,
    startMs: piece.startMs,
    endMs: piece.startMs + piece.durationMs,
    text,
    skipped: false,
    stored: false,
    ...extra,
  });

  async function upload(piece: Piece): Promise<void> {
    try {
      const context = results[piece.index - 1]?.text;
      const { text } = await transcriber.transcribe([piece], {
        signal: stop.signal,
        ...(context ? { context } : {}),
      });
      const clean = text.trim();
      // best effort: a stored text is one a rerun need not send again
      await options.store?.set(piece, clean).catch(() => undefined);
      finish(resultOf(piece, clean));
    } catch (error) {
      failure ??= { piece, error };
    } finally {
      await rm(piece.path, { force: true });
    }
  }

  try {
    for await (const piece of pieces) {
      total++;
      if (options.signal?.aborted) throw options.signal.reason;
      const stored = options.store?.get(piece);
      if (failure || piece.speech === false || stored !== undefined) {
        await rm(piece.path, { force: true });
        if (piece.speech === false) finish(resultOf(piece, '', { skipped: true }));
        else if (stored !== undefined) finish(resultOf(piece, stored, { stored: true }));
        continue;
      }
      while (inFlight.size >= jobs) await Promise.race(inFlight);
      if (failure) {
        await rm(piece.path, { force: true });
        continue;
      }
      const running = upload(piece).finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    final = true;
    await Promise.all(inFlight);
  } finally {
    await Promise.all(inFlight);
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (failure) {
    const { piece, error } = failure;
    const range = `${clock(piece.startMs)}–${clock(piece.startMs + piece.durationMs)}`;
    const code = error instanceof TranscribeError ? error.code : undefined;
    if (code === 'aborted') throw error;
    throw new TranscribeError(
      'piece-failed',
      `Part ${piece.index + 1} of ${total} (${range}) could not be transcribed: ${(error as Error)?.message ?? String(error)}`,
      { cause: error, ...(error instanceof TranscribeError ? { status: error.status } : {}) },
    );
  }
  return results;
}

/** A file's identity: where it is, its size and when it was last written. */
export interface FileIdentity {
  path: string;
  bytes: number;
  mtimeMs: number;
}

/**
 * A PieceStore in one small JSON file under `directory`, named by a hash of `key` (the file's
 * identity and everything that changes the cuts or the text: the engine's options, the piece
 * length): a rerun of the same command on the same file finds it, any other does not. Written
 * (atomically) after each piece; files not used for `maxAgeDays` (default 30) are removed when a
 * cache is opened.
 */
export async function openPieceCache(
  directory: string,
  key: unknown,
  options: { maxAgeDays?: number } = {},
): Promise<PieceStore & { path: string }> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const serialised = JSON.stringify(key);
  const name = `${createHash('sha256').update(serialised).digest('hex').slice(0, 32)}.json`;
  const path = join(directory, name);
  const maxAgeMs = (options.maxAgeDays ?? 30) * 86_400_000;
  for (const entry of await readdir(directory).catch(() => [])) {
    if (!entry.endsWith('.json') || entry === name) continue;
    const file = join(directory, entry);
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > maxAgeMs) await rm(file, { force: true });
  }
  let texts: Record<string, string> = {};
  try {
    const saved = JSON.parse(await readFile(path, 'utf8')) as {
      key?: string;
      pieces?: Record<string, string>;
    };
    if (saved.key === serialised && saved.pieces && typeof saved.pieces === 'object')
      texts = saved.pieces;
  } catch {
    // none yet, or unreadable: start afresh
  }
  // a piece is known by its place and its extent, so that other cuts never match
  const id = (piece: Piece) => `${piece.index}:${piece.startMs}:${piece.durationMs}`;
  let writing = Promise.resolve();
  return {
    path,
    get: (piece) => {
      const text = texts[id(piece)];
      return typeof text === 'string' ? text : undefined;
    },
    set(piece, text) {
      texts[id(piece)] = text;
      const body = JSON.stringify({ key: serialised, pieces: texts });
      // one write at a time, each replacing the file whole
      writing = writing
        .catch(() => undefined)
        .then(async () => {
          const temporary = `${path}.${process.pid}.tmp`;
          await writeFile(temporary, body, { mode: 0o600 });
          await rename(temporary, path);
        });
      return writing;
    },
  };
}
