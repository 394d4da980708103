import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { audioMimeType } from '@whis/contracts';
import { JournalError } from './errors.js';
import { journalError } from './internal/error-codes.js';
import {
  CHUNK_FILE,
  ID,
  JournalFiles,
  newRecordingId,
  storedSegments,
  storedSelection,
  storedTranscript,
} from './internal/journal-files.js';
import { isAlive, thisProcess, type ProcessIdentity } from './internal/process-identity.js';
import type { EditEntry, TranscriptEntry } from '@whis/ipc';
import type { AudioChunk, CapturedAudio, Logger, RecordingAction, Selection } from './ports.js';

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
  /** `edit`: an instruction that changes a selection (see `selection`). Absent: dictation. */
  action?: RecordingAction;
}

/** What `transcribed` keeps beside the text. */
export interface TranscriptDetails {
  /** The recogniser's own text, when `text` is another (post-processed, or an edit's answer). */
  raw?: string;
  /** The post-processing steps that ran. */
  applied?: string[];
  /** An edit by voice: its instruction, selection and outcome; `text` is the answer. */
  edit?: EditEntry;
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
  /**
   * Creates the entry for a new recording; the audio source writes into `directory`. `action`:
   * what it is for (default dictation), kept so that a `retry` treats it the same way.
   */
  create(options?: {
    action?: RecordingAction;
  }): Promise<{ id: string; directory: string; startedAt: string }>;
  /** Keeps what was selected when an edit began (until the recording is deleted). */
  selected(id: string, selection: Selection): Promise<void>;
  /** What was selected when an edit began, if it was kept. */
  selection(id: string): Promise<Selection | undefined>;
  captured(id: string, audio: CapturedAudio): Promise<void>;
  /**
   * Stores the transcript atomically, then applies retention (deletes audio it no longer needs).
   * `details`: the recogniser's own text and the post-processing steps, when `text` is another
   * (kept beside it, so nothing the recogniser heard is lost), and an edit's parts.
   */
  transcribed(id: string, text: string, details?: TranscriptDetails): Promise<void>;
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

export { newRecordingId };

/** The recordings journal in `options.directory`. */
export function createJournal(options: JournalOptions): Journal {
  return new RecordingsJournal(options);
}

// The journal on disk (see `JournalFiles` for the files and how they are read and written).
class RecordingsJournal implements Journal {
  private readonly files: JournalFiles;
  private readonly keepAudio: number;
  private readonly keepTranscripts: number;
  private readonly clock: () => Date;
  // Recordings this journal created and that are still being captured.
  private readonly live = new Set<string>();
  private readonly me = thisProcess();

  constructor(options: JournalOptions) {
    this.files = new JournalFiles(options.directory, options.logger);
    this.keepAudio = options.retention?.keepAudio ?? 0;
    this.keepTranscripts = options.retention?.keepTranscripts ?? Infinity;
    this.clock = options.clock ?? (() => new Date());
  }

  async create(
    options: { action?: RecordingAction } = {},
  ): Promise<{ id: string; directory: string; startedAt: string }> {
    const { files, live } = this;
    const startedAt = this.clock();
    const id = newRecordingId(startedAt);
    try {
      await mkdir(files.root, { recursive: true, mode: 0o700 });
      await mkdir(files.dirOf(id), { mode: 0o700 });
    } catch (err) {
      throw journalError(err, `create a recording in ${files.root}`);
    }
    const meta: RecordingMeta = {
      id,
      startedAt: startedAt.toISOString(),
      state: 'recording',
      durationMs: 0,
      chunks: [],
      writer: this.me,
      ...(options.action === 'edit' ? { action: 'edit' as const } : {}),
    };
    live.add(id);
    try {
      await files.writeMeta(meta);
    } catch (err) {
      live.delete(id);
      await rm(files.dirOf(id), { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
    return { id, directory: files.dirOf(id), startedAt: meta.startedAt };
  }

  async captured(id: string, audio: CapturedAudio): Promise<void> {
    const meta = await this.existing(id);
    await this.files.writeMeta({
      ...meta,
      state: 'captured',
      durationMs: audio.durationMs,
      chunks: audio.chunks,
    });
    // only once the entry says `captured`: until then a reader must not take it for a crashed one
    this.live.delete(id);
  }

  async selected(id: string, selection: Selection): Promise<void> {
    if (!ID.test(id)) return;
    const { files } = this;
    await files.writeJson(files.selectionPath(id), {
      text: selection.text,
      source: selection.source,
    });
  }

  async selection(id: string): Promise<Selection | undefined> {
    if (!ID.test(id)) return undefined;
    return this.files.readJson(this.files.selectionPath(id), storedSelection);
  }

  async transcribed(id: string, text: string, details: TranscriptDetails = {}): Promise<void> {
    const { files } = this;
    const meta = await this.existing(id);
    const record: TranscriptRecord = {
      id,
      text,
      createdAt: this.clock().toISOString(),
      durationMs: meta.durationMs,
      audioKept: true,
      // the raw text only when it differs: an entry without it was delivered as heard
      ...(details.raw !== undefined && details.raw !== text ? { raw: details.raw } : {}),
      ...(details.applied && details.applied.length > 0 ? { applied: details.applied } : {}),
      ...(details.edit ? { edit: details.edit } : {}),
    };
    // the transcript is safe on disk before any audio is deleted
    await files.writeJson(files.transcriptPath(id), record);
    const { error: _error, ...rest } = meta;
    await files.writeMeta({ ...rest, state: 'transcribed' });
    // the segment texts served `retry`; the transcript now holds them
    await rm(files.segmentsPath(id), { force: true }).catch(() => undefined);
    // best effort: retention only frees space, and runs again after the next transcript
    await this.applyRetention().catch(() => undefined);
  }

  async failed(id: string, error: { code: string; message: string }): Promise<void> {
    const meta = await this.get(id);
    if (meta) await this.files.writeMeta({ ...meta, state: 'failed', error });
    this.live.delete(id);
  }

  async remove(id: string): Promise<void> {
    this.live.delete(id);
    if (ID.test(id)) await rm(this.files.dirOf(id), { recursive: true, force: true });
  }

  async get(id: string): Promise<RecordingMeta | undefined> {
    if (!ID.test(id)) return undefined;
    const meta = await this.files.readMeta(id);
    return meta ? this.recover(meta) : undefined;
  }

  async latestUntranscribed(): Promise<RecordingMeta | undefined> {
    for (const id of await this.files.ids()) {
      const meta = await this.get(id);
      if (meta && meta.state !== 'transcribed' && !meta.inProgressBy && meta.chunks.length > 0)
        return meta;
    }
    return undefined;
  }

  async segment(id: string, file: string, text: string): Promise<void> {
    const { files } = this;
    if (!ID.test(id) || !CHUNK_FILE.test(file)) return;
    const path = files.segmentsPath(id);
    await files.writeJson(path, { ...(await files.readJson(path, storedSegments)), [file]: text });
  }

  async segments(id: string): Promise<Record<string, string>> {
    if (!ID.test(id)) return {};
    return (await this.files.readJson(this.files.segmentsPath(id), storedSegments)) ?? {};
  }

  async transcript(id: string): Promise<TranscriptRecord | undefined> {
    if (!ID.test(id)) return undefined;
    return this.storedTranscript(id);
  }

  async last(limit: number): Promise<TranscriptRecord[]> {
    const out: TranscriptRecord[] = [];
    for (const id of await this.files.ids()) {
      if (out.length >= limit) break;
      const record = await this.storedTranscript(id);
      if (record) out.push(record);
    }
    return out;
  }

  private async existing(id: string): Promise<RecordingMeta> {
    const meta = await this.get(id);
    if (!meta) throw new JournalError('not-found', `No recording ${id} in ${this.files.root}.`);
    return meta;
  }

  private async storedTranscript(id: string): Promise<TranscriptRecord | undefined> {
    const record = await this.files.readJson(this.files.transcriptPath(id), storedTranscript);
    if (!record || record.id !== id) return undefined;
    const meta = await this.files.readMeta(id);
    return { ...record, audioKept: (meta?.chunks.length ?? 0) > 0 };
  }

  // Another process sharing this journal (a one-shot `whis` beside the service) that still runs
  // and has not finished with the recording: it is that process's, not crashed.
  private elsewhere(meta: RecordingMeta): meta is RecordingMeta & { writer: ProcessIdentity } {
    return (
      (meta.state === 'recording' || meta.state === 'captured') &&
      meta.writer !== undefined &&
      meta.writer.pid !== this.me.pid &&
      isAlive(meta.writer)
    );
  }

  // A recording left in state `recording` that is not one of ours belongs to a process that died
  // mid-capture: its chunk files are on disk, so it becomes a failed recording `retry` can transcribe.
  private async recover(meta: RecordingMeta): Promise<RecordingMeta> {
    if (this.elsewhere(meta)) return { ...meta, inProgressBy: meta.writer.pid };
    if (meta.state !== 'recording' || this.live.has(meta.id)) return meta;
    const dir = this.files.dirOf(meta.id);
    const names = (await readdir(dir).catch(() => [] as string[]))
      .filter((f) => audioMimeType(f) !== undefined)
      .sort();
    const chunks: AudioChunk[] = [];
    for (const file of names) {
      const path = join(dir, file);
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

  // Only transcribed recordings are touched: their transcripts are already safe on disk.
  private async applyRetention(): Promise<void> {
    let transcribed = 0;
    for (const id of await this.files.ids()) {
      const meta = await this.files.readMeta(id);
      if (meta?.state !== 'transcribed') continue;
      transcribed++;
      if (transcribed > this.keepTranscripts)
        await rm(this.files.dirOf(id), { recursive: true, force: true });
      else if (transcribed > this.keepAudio && meta.chunks.length > 0) await this.deleteAudio(meta);
    }
  }

  private async deleteAudio(meta: RecordingMeta): Promise<void> {
    // the meta first: if it cannot be written, the files it lists are still there
    await this.files.writeMeta({ ...meta, chunks: [] });
    for (const chunk of meta.chunks) await rm(chunk.path, { force: true });
  }
}
