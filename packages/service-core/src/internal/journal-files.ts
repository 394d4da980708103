import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '@whis/config';
// zod's mini build, as @whis/config's: one copy of the library in the service, the smaller one
import * as z from 'zod/mini';
import { JournalError } from '../errors.js';
import type { RecordingMeta } from '../journal.js';
import type { AudioChunk, Logger } from '../ports.js';
import { journalError } from './error-codes.js';

/** A recording's id, which is also its directory's name: `20261124-150312-ab12`. */
export const ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

// A chunk is stored by its file name inside the recording's own directory; a name that could
// resolve anywhere else (a path, `..`, a hidden file) is refused, so a planted entry can neither make
// retention delete nor `retry` upload a file outside the journal.
export const CHUNK_FILE = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)?$/;

const storedChunk = z.object({
  file: z.optional(z.string().check(z.regex(CHUNK_FILE))),
  /** Entries written before chunk names were relative: accepted only when inside the recording. */
  path: z.optional(z.string()),
  mimeType: z.string(),
  startMs: z.number().check(z.nonnegative()),
  durationMs: z.number().check(z.nonnegative()),
  bytes: z.int().check(z.nonnegative()),
  speech: z.optional(z.boolean()),
});

const storedMeta = z.object({
  id: z.string().check(z.regex(ID)),
  startedAt: z.string(),
  state: z.enum(['recording', 'captured', 'transcribed', 'failed']),
  durationMs: z.number().check(z.nonnegative()),
  chunks: z.array(storedChunk),
  error: z.optional(z.object({ code: z.string(), message: z.string() })),
  writer: z.optional(
    z.object({ pid: z.int().check(z.positive()), started: z.nullable(z.string()) }),
  ),
  action: z.optional(z.enum(['dictate', 'edit'])),
});

/** A stored `transcript.json`. */
export const storedTranscript = z.object({
  id: z.string().check(z.regex(ID)),
  text: z.string(),
  createdAt: z.string(),
  durationMs: z.number().check(z.nonnegative()),
  audioKept: z.optional(z.boolean()),
  raw: z.optional(z.string()),
  applied: z.optional(z.array(z.string())),
  edit: z.optional(
    z.object({
      instruction: z.string(),
      selection: z.string(),
      outcome: z.enum(['replaced', 'written', 'saved', 'failed']),
      error: z.optional(z.string()),
    }),
  ),
});

/** A stored `selection.json`: what was selected when an edit began. */
export const storedSelection = z.object({
  text: z.string(),
  source: z.enum(['primary', 'copy']),
});

/** A stored `segments.json`: segment texts by chunk file name. */
export const storedSegments = z.record(z.string().check(z.regex(CHUNK_FILE)), z.string());

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

/**
 * The journal's files under its root: `<id>/meta.json`, `transcript.json` and `segments.json`.
 * Every entry is checked against its schema when read: a damaged or planted file is skipped (and
 * logged once), never trusted and never a crash of `last` or `retry`. Writes are atomic.
 */
export class JournalFiles {
  private readonly warned = new Set<string>();

  constructor(
    readonly root: string,
    private readonly logger: Pick<Logger, 'warn'> | undefined,
  ) {}

  dirOf(id: string): string {
    return join(this.root, id);
  }

  metaPath(id: string): string {
    return join(this.dirOf(id), 'meta.json');
  }

  transcriptPath(id: string): string {
    return join(this.dirOf(id), 'transcript.json');
  }

  segmentsPath(id: string): string {
    return join(this.dirOf(id), 'segments.json');
  }

  // apart from meta.json: the selection is read at the press while the capture writes the meta
  selectionPath(id: string): string {
    return join(this.dirOf(id), 'selection.json');
  }

  /** The recordings' ids, newest first. */
  async ids(): Promise<string[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    return names
      .filter((n) => ID.test(n))
      .sort()
      .reverse();
  }

  async readJson<T>(path: string, schema: z.ZodMiniType<T>): Promise<T | undefined> {
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
      this.passOver(path, `not JSON: ${(err as Error).message}`);
      return undefined;
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      this.passOver(
        path,
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
      return undefined;
    }
    return parsed.data;
  }

  /** Writes `data` as JSON atomically; a failure is a JournalError (`disk-full` says what to do). */
  async writeJson(path: string, data: unknown, pretty = false): Promise<void> {
    try {
      await writeFileAtomic(path, `${JSON.stringify(data, null, pretty ? 2 : undefined)}\n`);
    } catch (err) {
      throw journalError(err, `write ${path}`);
    }
  }

  async readMeta(id: string): Promise<RecordingMeta | undefined> {
    const stored = await this.readJson(this.metaPath(id), storedMeta);
    return stored ? this.toMeta(stored, this.metaPath(id)) : undefined;
  }

  async writeMeta({ inProgressBy: _derived, ...meta }: RecordingMeta): Promise<void> {
    const dir = this.dirOf(meta.id);
    const chunks = meta.chunks.map(({ path, ...rest }) => {
      if (dirname(path) !== dir || !CHUNK_FILE.test(basename(path))) {
        throw new JournalError(
          'journal-failed',
          `Chunk ${path} is not a file of recording ${meta.id}; the journal stores only its own files.`,
        );
      }
      return { file: basename(path), ...rest };
    });
    await this.writeJson(this.metaPath(meta.id), { ...meta, chunks }, true);
  }

  // The stored form (names relative to the recording) as the port's form (absolute paths).
  private toMeta(stored: StoredMeta, path: string): RecordingMeta | undefined {
    const dir = this.dirOf(stored.id);
    if (basename(dirname(path)) !== stored.id) {
      this.passOver(path, `its id ${stored.id} is not its directory's`);
      return undefined;
    }
    const chunks: AudioChunk[] = [];
    for (const chunk of stored.chunks) {
      const file =
        chunk.file ??
        (chunk.path !== undefined && dirname(chunk.path) === dir ? basename(chunk.path) : '');
      if (!CHUNK_FILE.test(file)) {
        this.passOver(
          path,
          `chunk ${JSON.stringify(chunk.file ?? chunk.path)} is outside the recording`,
        );
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

  private passOver(path: string, reason: string): void {
    if (this.warned.has(path)) return;
    this.warned.add(path);
    this.logger?.warn({ path, reason }, 'journal entry skipped');
  }
}
