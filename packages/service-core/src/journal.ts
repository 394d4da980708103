import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { audioMimeType } from '@whis/contracts';
import { writeFileAtomic } from '@whis/config';
import { z } from 'zod';
import { JournalError } from './errors.js';
import { journalError } from './internal/error-codes.js';
import { isAlive, thisProcess, type ProcessIdentity } from './internal/process-identity.js';
import type { TranscriptEntry } from '@whis/ipc';
import type { AudioChunk, CapturedAudio, Logger } from './ports.js';

export type RecordingState = 'recording' | 'captured' | 'transcribed' | 'failed';

export interface RecordingMeta {
  id: string;
  startedAt: string;
  state: RecordingState;
  durationMs: number;
  chunks: AudioChunk[];
  error?: { code: string; message: string };
  /** The process that records and transcribes it (a service, or a one-shot `whis`). */
  writer?: ProcessIdentity;
  /**
   * Set by the journal when another process that is still running records or transcribes it: it
   * is not crashed, and neither `retry` nor recovery may touch it.
   */
  inProgressBy?: number;
}

/** A stored transcript: the protocol's `TranscriptEntry`, as `last` answers it. */
export type TranscriptRecord = TranscriptEntry;

export interface JournalOptions {
  /** e.g. `$XDG_DATA_HOME/whis/recordings`. */
  directory: string;
  /** What is kept once a transcript is safely stored. Failed recordings always keep their audio. */
  retention?: {
    /** How many of the newest transcribed recordings keep their audio. Default 0. */
    keepAudio?: number;
    /** How many transcribed recordings are kept at all (older ones are deleted). Default: all. */
    keepTranscripts?: number;
  };
  clock?: () => Date;
  /** Told about entries that are skipped because they are damaged or point outside their recording. */
  logger?: Pick<Logger, 'warn'>;
}

/** The recordings journal: every recording on disk from its first frame until its transcript is safe. */
export interface Journal {
  /** Creates the entry for a new recording; the audio source writes into `directory`. */
  create(): Promise<{ id: string; directory: string; startedAt: string }>;
  captured(id: string, audio: CapturedAudio): Promise<void>;
  /**
   * Stores the transcript atomically, then applies retention (deletes audio it no longer needs).
   * `processed`: the recogniser's own text and the post-processing steps, when `text` is the
   * post-processed one (kept beside it, so nothing the recogniser heard is lost).
   */
  transcribed(
    id: string,
    text: string,
    processed?: { raw: string; applied: string[] },
  ): Promise<void>;
  failed(id: string, error: { code: string; message: string }): Promise<void>;
  /** Deletes a recording entirely (cancelled, or empty). */
  remove(id: string): Promise<void>;
  get(id: string): Promise<RecordingMeta | undefined>;
  /** The most recent recording with audio and without a transcript. */
  latestUntranscribed(): Promise<RecordingMeta | undefined>;
  /** Latest transcripts, newest first. */
  last(limit: number): Promise<TranscriptRecord[]>;
  /** The stored transcript of one recording, if it has one. */
  transcript(id: string): Promise<TranscriptRecord | undefined>;
  /** Stores the text of one segment (chunk file) of a recording, so that `retry` skips it. */
  segment(id: string, file: string, text: string): Promise<void>;
  /** The segment texts stored for a recording, by chunk file name. */
  segments(id: string): Promise<Record<string, string>>;
}

const ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

// A chunk is stored by its file name inside the recording's own directory; a name that could
// resolve anywhere else (a path, `..`, a hidden file) is refused, so a planted entry can neither make
// retention delete nor `retry` upload a file outside the journal.
const CHUNK_FILE = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)?$/;

const storedChunk = z.object({
  file: z.string().regex(CHUNK_FILE).optional(),
  /** Entries written before chunk names were relative: accepted only when inside the recording. */
  path: z.string().optional(),
  mimeType: z.string(),
  startMs: z.number().nonnegative(),
  durationMs: z.number().nonnegative(),
  bytes: z.number().int().nonnegative(),
  speech: z.boolean().optional(),
});

const storedMeta = z.object({
  id: z.string().regex(ID),
  startedAt: z.string(),
  state: z.enum(['recording', 'captured', 'transcribed', 'failed']),
  durationMs: z.number().nonnegative(),
  chunks: z.array(storedChunk),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  writer: z.object({ pid: z.number().int().positive(), started: z.string().nullable() }).optional(),
});

const storedTranscript = z.object({
  id: z.string().regex(ID),
  text: z.string(),
  createdAt: z.string(),
  durationMs: z.number().nonnegative(),
  audioKept: z.boolean().optional(),
  raw: z.string().optional(),
  applied: z.array(z.string()).optional(),
});

const storedSegments = z.record(z.string().regex(CHUNK_FILE), z.string());

type StoredMeta = z.infer<typeof storedMeta>;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `20261124-150312-ab12`: sortable, readable, unique enough for one user's recordings. */
export function newRecordingId(date: Date): string {
  const day = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  return `${day}-${time}-${randomBytes(2).toString('hex')}`;
}

export function createJournal(options: JournalOptions): Journal {
  const root = options.directory;
  const keepAudio = options.retention?.keepAudio ?? 0;
  const keepTranscripts = options.retention?.keepTranscripts ?? Infinity;
  const clock = options.clock ?? (() => new Date());
  const dirOf = (id: string) => join(root, id);
  const metaPath = (id: string) => join(dirOf(id), 'meta.json');
  const transcriptPath = (id: string) => join(dirOf(id), 'transcript.json');
  const segmentsPath = (id: string) => join(dirOf(id), 'segments.json');

  const warned = new Set<string>();
  const skip = (path: string, reason: string) => {
    if (warned.has(path)) return;
    warned.add(path);
    options.logger?.warn({ path, reason }, 'journal entry skipped');
  };

  // Every entry is checked against its schema when read: a damaged or planted file is skipped (and
  // logged once), never trusted and never a crash of `last` or `retry`.
  async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      skip(path, `not JSON: ${(err as Error).message}`);
      return undefined;
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      skip(path, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return undefined;
    }
    return parsed.data;
  }

  // The stored form (names relative to the recording) as the port's form (absolute paths).
  function toMeta(stored: StoredMeta, path: string): RecordingMeta | undefined {
    const dir = dirOf(stored.id);
    if (basename(dirname(path)) !== stored.id) {
      skip(path, `its id ${stored.id} is not its directory's`);
      return undefined;
    }
    const chunks: AudioChunk[] = [];
    for (const chunk of stored.chunks) {
      const file =
        chunk.file ??
        (chunk.path !== undefined && dirname(chunk.path) === dir ? basename(chunk.path) : '');
      if (!CHUNK_FILE.test(file)) {
        skip(path, `chunk ${JSON.stringify(chunk.file ?? chunk.path)} is outside the recording`);
        return undefined;
      }
      chunks.push({
        path: join(dir, file),
        mimeType: chunk.mimeType,
        startMs: chunk.startMs,
        durationMs: chunk.durationMs,
        bytes: chunk.bytes,
        ...(chunk.speech === undefined ? {} : { speech: chunk.speech }),
      });
    }
    return { ...stored, chunks };
  }

  async function readMeta(id: string): Promise<RecordingMeta | undefined> {
    const stored = await readJson(metaPath(id), storedMeta);
    return stored ? toMeta(stored, metaPath(id)) : undefined;
  }

  async function ids(): Promise<string[]> {
    const names = await readdir(root).catch(() => [] as string[]);
    return names
      .filter((n) => ID.test(n))
      .sort()
      .reverse();
  }

  async function writeMeta({ inProgressBy: _derived, ...meta }: RecordingMeta): Promise<void> {
    const dir = dirOf(meta.id);
    const chunks = meta.chunks.map(({ path, ...rest }) => {
      if (dirname(path) !== dir || !CHUNK_FILE.test(basename(path))) {
        throw new JournalError(
          'journal-failed',
          `Chunk ${path} is not a file of recording ${meta.id}; the journal stores only its own files.`,
        );
      }
      return { file: basename(path), ...rest };
    });
    try {
      await writeFileAtomic(metaPath(meta.id), `${JSON.stringify({ ...meta, chunks }, null, 2)}\n`);
    } catch (err) {
      throw journalError(err, `write ${metaPath(meta.id)}`);
    }
  }

  // Recordings this journal created and that are still being captured.
  const live = new Set<string>();

  const me = thisProcess();
  // Another process sharing this journal (a one-shot `whis` beside the service) that still runs
  // and has not finished with the recording: it is that process's, not crashed.
  const elsewhere = (meta: RecordingMeta) =>
    (meta.state === 'recording' || meta.state === 'captured') &&
    meta.writer !== undefined &&
    meta.writer.pid !== me.pid &&
    isAlive(meta.writer);

  // A recording left in state `recording` that is not one of ours belongs to a process that died
  // mid-capture: its chunk files are on disk, so it becomes a failed recording `retry` can transcribe.
  async function recover(meta: RecordingMeta): Promise<RecordingMeta> {
    if (elsewhere(meta)) return { ...meta, inProgressBy: meta.writer!.pid };
    if (meta.state !== 'recording' || live.has(meta.id)) return meta;
    const files = (await readdir(dirOf(meta.id)).catch(() => [] as string[]))
      .filter((f) => audioMimeType(f) !== undefined)
      .sort();
    const chunks: AudioChunk[] = [];
    for (const file of files) {
      const path = join(dirOf(meta.id), file);
      const bytes = (await stat(path)).size;
      if (bytes > 0)
        chunks.push({
          path,
          mimeType: audioMimeType(file) ?? 'application/octet-stream',
          startMs: 0,
          durationMs: 0,
          bytes,
        });
    }
    return {
      ...meta,
      state: 'failed',
      chunks,
      error: { code: 'interrupted', message: 'The daemon stopped during this recording.' },
    };
  }

  async function get(id: string): Promise<RecordingMeta | undefined> {
    if (!ID.test(id)) return undefined;
    const meta = await readMeta(id);
    return meta ? recover(meta) : undefined;
  }

  async function deleteAudio(meta: RecordingMeta): Promise<void> {
    // the meta first: if it cannot be written, the files it lists are still there
    await writeMeta({ ...meta, chunks: [] });
    for (const chunk of meta.chunks) await rm(chunk.path, { force: true });
  }

  // Only transcribed recordings are touched: their transcripts are already safe on disk.
  async function applyRetention(): Promise<void> {
    let transcribed = 0;
    for (const id of await ids()) {
      const meta = await readMeta(id);
      if (meta?.state !== 'transcribed') continue;
      transcribed++;
      if (transcribed > keepTranscripts) await rm(dirOf(id), { recursive: true, force: true });
      else if (transcribed > keepAudio && meta.chunks.length > 0) await deleteAudio(meta);
    }
  }

  return {
    async create() {
      const startedAt = clock();
      const id = newRecordingId(startedAt);
      try {
        await mkdir(root, { recursive: true, mode: 0o700 });
        await mkdir(dirOf(id), { mode: 0o700 });
      } catch (err) {
        throw journalError(err, `create a recording in ${root}`);
      }
      const meta: RecordingMeta = {
        id,
        startedAt: startedAt.toISOString(),
        state: 'recording',
        durationMs: 0,
        chunks: [],
        writer: me,
      };
      live.add(id);
      try {
        await writeMeta(meta);
      } catch (err) {
        live.delete(id);
        await rm(dirOf(id), { recursive: true, force: true }).catch(() => undefined);
        throw err;
      }
      return { id, directory: dirOf(id), startedAt: meta.startedAt };
    },
    async captured(id, audio) {
      const meta = await get(id);
      if (!meta) throw new JournalError('not-found', `No recording ${id} in ${root}.`);
      await writeMeta({
        ...meta,
        state: 'captured',
        durationMs: audio.durationMs,
        chunks: audio.chunks,
      });
      // only once the entry says `captured`: until then a reader must not take it for a crashed one
      live.delete(id);
    },
    async transcribed(id, text, processed) {
      const meta = await get(id);
      if (!meta) throw new JournalError('not-found', `No recording ${id} in ${root}.`);
      const record: TranscriptRecord = {
        id,
        text,
        createdAt: clock().toISOString(),
        durationMs: meta.durationMs,
        audioKept: true,
        // the raw text only when it differs: an entry without it was delivered as heard
        ...(processed && processed.raw !== text ? { raw: processed.raw } : {}),
        ...(processed && processed.applied.length > 0 ? { applied: processed.applied } : {}),
      };
      // the transcript is safe on disk before any audio is deleted
      try {
        await writeFileAtomic(transcriptPath(id), `${JSON.stringify(record)}\n`);
      } catch (err) {
        throw journalError(err, `write ${transcriptPath(id)}`);
      }
      const { error: _error, ...rest } = meta;
      await writeMeta({ ...rest, state: 'transcribed' });
      // the segment texts served `retry`; the transcript now holds them
      await rm(segmentsPath(id), { force: true }).catch(() => undefined);
      // best effort: retention only frees space, and runs again after the next transcript
      await applyRetention().catch(() => undefined);
    },
    async failed(id, error) {
      const meta = await get(id);
      if (meta) await writeMeta({ ...meta, state: 'failed', error });
      live.delete(id);
    },
    async remove(id) {
      live.delete(id);
      if (ID.test(id)) await rm(dirOf(id), { recursive: true, force: true });
    },
    get,
    async latestUntranscribed() {
      for (const id of await ids()) {
        const meta = await get(id);
        if (meta && meta.state !== 'transcribed' && !meta.inProgressBy && meta.chunks.length > 0)
          return meta;
      }
      return undefined;
    },
    async segment(id, file, text) {
      if (!ID.test(id) || !CHUNK_FILE.test(file)) return;
      const texts = { ...(await readJson(segmentsPath(id), storedSegments)), [file]: text };
      try {
        await writeFileAtomic(segmentsPath(id), `${JSON.stringify(texts)}\n`);
      } catch (err) {
        throw journalError(err, `write ${segmentsPath(id)}`);
      }
    },
    async segments(id) {
      if (!ID.test(id)) return {};
      return (await readJson(segmentsPath(id), storedSegments)) ?? {};
    },
    async transcript(id) {
      if (!ID.test(id)) return undefined;
      const record = await readJson(transcriptPath(id), storedTranscript);
      if (!record || record.id !== id) return undefined;
      const meta = await readMeta(id);
      return { ...record, audioKept: (meta?.chunks.length ?? 0) > 0 };
    },
    async last(limit) {
      const out: TranscriptRecord[] = [];
      for (const id of await ids()) {
        if (out.length >= limit) break;
        const record = await readJson(transcriptPath(id), storedTranscript);
        if (!record || record.id !== id) continue;
        const meta = await readMeta(id);
        out.push({ ...record, audioKept: (meta?.chunks.length ?? 0) > 0 });
      }
      return out;
    },
  };
}
