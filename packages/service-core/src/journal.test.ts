import { execFileSync, spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStart } from './internal/process-identity.js';
import { createJournal, newRecordingId, type Journal } from './journal.js';
import type { CapturedAudio } from './ports.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A clock one second later on every call, so ids and order are deterministic.
function ticking(start = Date.UTC(2026, 10, 24, 15, 3, 12)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

// Writes a chunk file the way an audio source would, and describes it.
async function capture(
  journal: Journal,
  words: string,
): Promise<{ id: string; audio: CapturedAudio }> {
  const { id, directory } = await journal.create();
  const path = join(directory, '000.mp3');
  await writeFile(path, words);
  const audio: CapturedAudio = {
    chunks: [{ path, mimeType: 'audio/mpeg', startMs: 0, durationMs: 1000, bytes: words.length }],
    durationMs: 1000,
    speechDetected: true,
  };
  await journal.captured(id, audio);
  return { id, audio };
}

describe('recording ids', () => {
  it('are readable, sortable by time and distinct within a second', () => {
    const at = new Date(2026, 10, 24, 15, 3, 12);
    const id = newRecordingId(at);
    expect(id).toMatch(/^20261124-150312-[0-9a-f]{4}$/);
    const later = newRecordingId(new Date(2026, 10, 24, 15, 3, 13));
    expect([later, id].sort()).toEqual([id, later]);
    const same = new Set(Array.from({ length: 50 }, () => newRecordingId(at)));
    expect(same.size).toBeGreaterThan(40);
  });
});

describe('a recording’s life in the journal', () => {
  it('is on disk from the start, keeps its audio until the transcript is stored, then drops the audio', async () => {
    const journal = createJournal({ directory: join(dir, 'recordings'), clock: ticking() });
    const { id, directory } = await journal.create();
    expect(directory).toBe(join(dir, 'recordings', id));
    expect((await lstat(directory)).mode & 0o777).toBe(0o700);
    expect(await journal.get(id)).toMatchObject({ id, state: 'recording', chunks: [] });

    await writeFile(join(directory, '000.mp3'), 'hello');
    await journal.captured(id, {
      chunks: [
        {
          path: join(directory, '000.mp3'),
          mimeType: 'audio/mpeg',
          startMs: 0,
          durationMs: 900,
          bytes: 5,
        },
      ],
      durationMs: 900,
      speechDetected: true,
    });
    expect(await journal.get(id)).toMatchObject({ state: 'captured', durationMs: 900 });
    expect((await journal.latestUntranscribed())?.id).toBe(id);

    await journal.transcribed(id, 'hello');
    expect(await readdir(directory)).toEqual(['meta.json', 'transcript.json']);
    expect(JSON.parse(await readFile(join(directory, 'transcript.json'), 'utf8'))).toMatchObject({
      id,
      text: 'hello',
      durationMs: 900,
    });
    expect(await journal.get(id)).toMatchObject({ state: 'transcribed', chunks: [] });
    expect(await journal.latestUntranscribed()).toBeUndefined();
    expect(await journal.last(5)).toMatchObject([{ id, text: 'hello', audioKept: false }]);
  });

  it('keeps whether each chunk held speech, so that a retry skips the ones without', async () => {
    const journal = createJournal({ directory: join(dir, 'recordings'), clock: ticking() });
    const { id, directory } = await journal.create();
    const chunk = (n: number, speech?: boolean) => ({
      path: join(directory, `00${n}.mp3`),
      mimeType: 'audio/mpeg',
      startMs: n * 1000,
      durationMs: 1000,
      bytes: 5,
      ...(speech === undefined ? {} : { speech }),
    });
    for (const n of [0, 1, 2]) await writeFile(join(directory, `00${n}.mp3`), 'audio');
    await journal.captured(id, {
      chunks: [chunk(0, true), chunk(1, false), chunk(2)],
      durationMs: 3000,
      speechDetected: true,
    });
    expect((await journal.get(id))?.chunks).toEqual([chunk(0, true), chunk(1, false), chunk(2)]);
  });

  it('lists transcripts newest first, and keeps audio and transcripts as retention says', async () => {
    const journal = createJournal({
      directory: dir,
      clock: ticking(),
      retention: { keepAudio: 1, keepTranscripts: 3 },
    });
    const ids: string[] = [];
    for (const words of ['one', 'two', 'three', 'four']) {
      const { id } = await capture(journal, words);
      await journal.transcribed(id, words);
      ids.push(id);
    }
    expect((await journal.last(10)).map((t) => [t.text, t.audioKept])).toEqual([
      ['four', true],
      ['three', false],
      ['two', false],
    ]);
    expect((await journal.last(2)).map((t) => t.text)).toEqual(['four', 'three']);
    await expect(lstat(join(dir, ids[0] as string))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a failed recording keeps its audio and is what retry finds', async () => {
    const journal = createJournal({ directory: dir, clock: ticking() });
    const { id: older } = await capture(journal, 'older');
    await journal.failed(older, { code: 'server', message: 'HTTP 500' });
    const { id: done } = await capture(journal, 'done');
    await journal.transcribed(done, 'done');
    const found = await journal.latestUntranscribed();
    expect(found).toMatchObject({ id: older, state: 'failed', error: { code: 'server' } });
    expect(await readFile(found?.chunks[0]?.path ?? '', 'utf8')).toBe('older');
  });

  it('a recording interrupted by a crash comes back as a failed one, with its chunk files', async () => {
    const journal = createJournal({ directory: dir, clock: ticking() });
    const { id, directory } = await journal.create();
    await writeFile(join(directory, '000.mp3'), 'first part');
    await writeFile(join(directory, '001.mp3'), 'second');
    // a new process (the daemon restarted) reads the same directory
    const again = createJournal({ directory: dir });
    expect(await again.get(id)).toMatchObject({
      state: 'failed',
      error: { code: 'interrupted' },
      chunks: [
        { path: join(directory, '000.mp3'), bytes: 10 },
        { path: join(directory, '001.mp3'), bytes: 6 },
      ],
    });
    expect((await again.latestUntranscribed())?.id).toBe(id);
  });

  it('a recording another live process writes (a one-shot `whis`) is its own: neither recovered nor offered to retry, until that process is gone', async () => {
    const journal = createJournal({ directory: dir, clock: ticking() });
    const { id, directory } = await journal.create();
    await writeFile(join(directory, '000.mp3'), 'half written');
    // the entry names another process as its writer, as a one-shot's entry does
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise((r) => other.once('exit', r));
    try {
      const meta = JSON.parse(await readFile(join(directory, 'meta.json'), 'utf8'));
      expect(meta.writer).toEqual({ pid: process.pid, started: expect.any(String) });
      const writer = { pid: other.pid!, started: processStart(other.pid!) };
      await writeFile(join(directory, 'meta.json'), JSON.stringify({ ...meta, writer }));
      const service = createJournal({ directory: dir });
      expect(await service.get(id)).toMatchObject({
        state: 'recording',
        chunks: [],
        inProgressBy: other.pid,
      });
      expect(await service.latestUntranscribed()).toBeUndefined();
      // a pid that names another process now (reused) is not the writer
      await writeFile(
        join(directory, 'meta.json'),
        JSON.stringify({ ...meta, writer: { ...writer, started: '1' } }),
      );
      expect((await service.get(id))?.state).toBe('failed');
      await writeFile(join(directory, 'meta.json'), JSON.stringify({ ...meta, writer }));
    } finally {
      other.kill('SIGKILL');
      await exited;
    }
    // the writer died mid-recording: a crashed recording, kept for retry
    const after = createJournal({ directory: dir });
    expect(await after.get(id)).toMatchObject({ state: 'failed', error: { code: 'interrupted' } });
    expect((await after.get(id))?.inProgressBy).toBeUndefined();
    expect((await after.latestUntranscribed())?.id).toBe(id);
  });

  it('remove deletes a recording, and ignores names that are not recording ids', async () => {
    const journal = createJournal({ directory: dir, clock: ticking() });
    const { id } = await capture(journal, 'gone');
    await mkdir(join(dir, 'keep-me'));
    await journal.remove(id);
    await journal.remove('../keep-me');
    await journal.remove('keep-me');
    expect(await readdir(dir)).toEqual(['keep-me']);
    expect(await journal.get('../keep-me')).toBeUndefined();
  });

  it('readers never see a torn file while transcripts are rewritten', async () => {
    const journal = createJournal({ directory: dir, clock: ticking() });
    const { id } = await capture(journal, 'x');
    const path = join(dir, id, 'transcript.json');
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 100; i++) await journal.transcribed(id, `${i} `.repeat(2000));
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        expect(() => JSON.parse(text)).not.toThrow();
        reads++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect((await readdir(join(dir, id))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('a full disk (a 64 KiB tmpfs)', () => {
  it('is reported as disk-full and leaves what was stored readable', async () => {
    const mnt = join(dir, 'mnt');
    await mkdir(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=700', 'tmpfs', mnt]);
    } catch (err) {
      throw new Error(
        `This test mounts a tiny tmpfs to fill it, which needs root (CI runs as root): ${(err as Error).message}`,
      );
    }
    try {
      const journal = createJournal({ directory: join(mnt, 'recordings'), clock: ticking() });
      const { id: stored } = await capture(journal, 'safe words');
      await journal.transcribed(stored, 'safe words');
      const { id: pending } = await capture(journal, 'pending words');
      const before = await readFile(join(mnt, 'recordings', pending, 'meta.json'), 'utf8');

      // fill the file system to the last byte
      await expect(writeFile(join(mnt, 'filler'), Buffer.alloc(128 * 1024))).rejects.toMatchObject({
        code: 'ENOSPC',
      });

      await expect(journal.transcribed(pending, 'x'.repeat(8192))).rejects.toMatchObject({
        name: 'JournalError',
        code: 'disk-full',
        message: expect.stringContaining('Free some disk space'),
      });
      await expect(journal.create()).rejects.toMatchObject({ code: 'disk-full' });

      // the previous state is intact and readable
      expect(await readFile(join(mnt, 'recordings', pending, 'meta.json'), 'utf8')).toBe(before);
      expect(await journal.last(5)).toMatchObject([{ id: stored, text: 'safe words' }]);
      expect(await journal.latestUntranscribed()).toMatchObject({ id: pending, state: 'captured' });
      expect(await readFile(join(mnt, 'recordings', pending, '000.mp3'), 'utf8')).toBe(
        'pending words',
      );
      const leftovers = (await readdir(join(mnt, 'recordings'), { recursive: true })).filter((f) =>
        String(f).endsWith('.tmp'),
      );
      expect(leftovers).toEqual([]);

      // once space is freed, the same call succeeds
      await rm(join(mnt, 'filler'), { force: true });
      await journal.transcribed(pending, 'pending words');
      expect((await journal.last(1))[0]).toMatchObject({ id: pending, text: 'pending words' });
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

describe('entries of the wrong shape or pointing outside the journal', () => {
  it('are skipped and logged, never a crash of last, get or latestUntranscribed', async () => {
    const warnings: unknown[] = [];
    const journal = createJournal({
      directory: join(dir, 'recordings'),
      clock: ticking(),
      logger: { warn: (obj: unknown) => warnings.push(obj) },
    });
    const good = await capture(journal, 'kept audio');
    await journal.failed(good.id, { code: 'x', message: 'y' });
    const odd = ['{}', '{"state":"failed"}', '[]', 'null', '{"id":1}', 'not json'];
    for (const [i, text] of odd.entries()) {
      const id = `20991231-2359${String(i).padStart(2, '0')}-abcd`;
      await mkdir(join(dir, 'recordings', id));
      await writeFile(join(dir, 'recordings', id, 'meta.json'), text);
      await writeFile(join(dir, 'recordings', id, 'transcript.json'), text);
      expect(await journal.get(id)).toBeUndefined();
    }
    expect(await journal.last(50)).toEqual([]);
    expect((await journal.latestUntranscribed())?.id).toBe(good.id);
    expect(warnings.length).toBeGreaterThanOrEqual(odd.length);
  });

  it('refuse chunk paths outside their recording: retention deletes and retry reads only its own files', async () => {
    const victim = join(dir, 'precious.txt');
    await writeFile(victim, 'the user’s file');
    const journal = createJournal({ directory: join(dir, 'recordings'), clock: ticking() });
    const { id } = await capture(journal, 'audio');
    const metaFile = join(dir, 'recordings', id, 'meta.json');
    for (const chunk of [{ path: victim }, { file: '../../precious.txt' }, { file: '.hidden' }]) {
      const meta = JSON.parse(await readFile(metaFile, 'utf8'));
      meta.chunks = [{ mimeType: 'audio/mpeg', startMs: 0, durationMs: 1, bytes: 1, ...chunk }];
      meta.state = 'failed';
      await writeFile(metaFile, JSON.stringify(meta));
      expect(await journal.get(id)).toBeUndefined();
    }
    // a transcript stored for it triggers retention, which must not touch the victim
    const other = await capture(journal, 'more audio');
    await journal.transcribed(other.id, 'text');
    expect(await readFile(victim, 'utf8')).toBe('the user’s file');
  });

  it('stores chunk names relative to the recording, and still reads entries written with absolute paths', async () => {
    const journal = createJournal({ directory: join(dir, 'recordings'), clock: ticking() });
    const { id, audio } = await capture(journal, 'audio');
    const metaFile = join(dir, 'recordings', id, 'meta.json');
    const stored = JSON.parse(await readFile(metaFile, 'utf8'));
    expect(stored.chunks[0]).toMatchObject({ file: '000.mp3' });
    expect(stored.chunks[0].path).toBeUndefined();
    stored.chunks = [{ ...audio.chunks[0] }];
    await writeFile(metaFile, JSON.stringify(stored));
    expect((await journal.get(id))?.chunks[0]?.path).toBe(audio.chunks[0]!.path);
  });
});

describe('lockJournal', () => {
  it('lets one service own a journal, names the owner to a second, and passes on after release', async () => {
    const { lockJournal } = await import('./journal-lock.js');
    const recordings = join(dir, 'recordings');
    const first = await lockJournal(recordings, { socketPath: '/run/a/whis.sock' });
    // a second service is another process: the owner file names a live pid that is not ours
    const owner = JSON.parse(await readFile(first.path, 'utf8'));
    await writeFile(first.path, JSON.stringify({ ...owner, pid: process.ppid, started: null }));
    await expect(lockJournal(recordings, { socketPath: '/tmp/b/whis.sock' })).rejects.toThrow(
      `pid ${process.ppid}, socket /run/a/whis.sock`,
    );
    // an owner that died (a pid that no longer runs) is replaced
    await writeFile(first.path, JSON.stringify({ ...owner, pid: 2 ** 22 + 7 }));
    const second = await lockJournal(recordings, { socketPath: '/tmp/b/whis.sock' });
    await second.release();
    await expect(lstat(second.path)).rejects.toThrow();
  });
});
