import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceEvent } from '@whis/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServiceHost, type ServiceHost } from './host.js';
import { JournalError } from './errors.js';
import { createJournal, type Journal } from './journal.js';
import {
  FakeAudioSource,
  FakeLiveTranscriber,
  ManualTrigger,
  MemoryOutput,
  ScriptedProcessor,
  ScriptedTranscriber,
} from './testing.js';

let dir: string;
let audio: FakeAudioSource;
let transcriber: ScriptedTranscriber;
let output: MemoryOutput;
let journal: Journal;
let trigger: ManualTrigger;
let host: ServiceHost;
let events: ServiceEvent[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-host-'));
  audio = new FakeAudioSource();
  transcriber = new ScriptedTranscriber();
  output = new MemoryOutput();
  journal = createJournal({ directory: join(dir, 'recordings') });
  trigger = new ManualTrigger('test key');
  host = createServiceHost({
    audio,
    transcriber,
    output,
    journal,
    triggers: [trigger],
    info: { version: '9.9.9', hotkey: 'ctrl+shift+r' },
  });
  events = [];
  host.subscribe((e) => events.push(e));
});
afterEach(async () => {
  await host.shutdown();
  await rm(dir, { recursive: true, force: true });
});

async function record(words: string): Promise<string> {
  const started = await host.toggle();
  expect(started.state).toBe('recording');
  await audio.current!.push(Buffer.from(words));
  return started.recordingId!;
}

const transcriptOf = (id: string) =>
  new Promise<string>((resolve) => {
    const dispose = host.subscribe((e) => {
      if (e.type === 'transcript' && e.recordingId === id) {
        dispose();
        resolve(e.text);
      }
    });
  });

describe('a recording', () => {
  it('goes idle → recording → transcribing → idle, delivers the text and stores it', async () => {
    const id = await record('hello world');
    const text = transcriptOf(id);
    const finished = await host.toggle();
    expect(finished).toEqual({ state: 'transcribing', recordingId: id });
    expect(await text).toBe('hello world');
    await expect.poll(async () => (await host.status()).state).toBe('idle');
    expect(output.delivered).toEqual(['hello world']);
    expect((await host.last(5)).transcripts).toMatchObject([
      { id, text: 'hello world', audioKept: false },
    ]);
    expect(
      events.filter((e) => e.type === 'state').map((e) => (e as { state: string }).state),
    ).toEqual(['recording', 'transcribing', 'idle']);
    // the audio is gone once the transcript is safe (default retention)
    expect(await readdir(join(dir, 'recordings', id))).toEqual(['meta.json', 'transcript.json']);
  });

  it('is driven by trigger events too, and reports the hotkey in status', async () => {
    const next = audio.nextCapture();
    trigger.fire({ type: 'toggle' });
    await (await next).push(Buffer.from('from the key'));
    const status = await host.status();
    expect(status).toMatchObject({
      state: 'recording',
      hotkey: 'ctrl+shift+r',
      version: '9.9.9',
      recording: { id: expect.any(String) },
    });
    trigger.fire({ type: 'unavailable', reason: 'no display' });
    expect((await host.status()).hotkeyProblem).toBe('no display');
    const text = transcriptOf(status.recording!.id);
    trigger.fire({ type: 'finish' });
    expect(await text).toBe('from the key');
  });

  it('keeps the recording when the provider fails, and retry recovers the text', async () => {
    transcriber.fail(Object.assign(new Error('HTTP 500 from the provider.'), { code: 'server' }));
    const id = await record('kept words');
    await host.finish();
    await expect.poll(async () => (await host.status()).lastError?.code).toBe('server');
    const status = await host.status();
    expect(status.state).toBe('idle');
    expect(status.lastError).toMatchObject({
      recordingId: id,
      message: expect.stringContaining(`whis retry ${id}`),
    });
    expect(output.delivered).toEqual([]);
    // the audio is on disk
    const meta = JSON.parse(await readFile(join(dir, 'recordings', id, 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({
      state: 'failed',
      chunks: [expect.objectContaining({ bytes: 10 })],
    });
    expect(await host.retry()).toEqual({ id, text: 'kept words' });
    expect(output.delivered).toEqual(['kept words']);
    await expect(host.retry()).rejects.toMatchObject({ code: 'not-found' });
  });

  it('an output that fails keeps its domain and code: the transcript was delivered elsewhere, not lost', async () => {
    class OutputError extends Error {
      readonly domain = 'output';
      readonly code = 'write-failed';
    }
    output.failNext(new OutputError('Cannot append to /x/notes.txt: EACCES'));
    const id = await record('some words');
    await host.finish();
    await expect.poll(async () => (await host.status()).lastError?.code).toBe('write-failed');
    expect((await host.status()).lastError).toMatchObject({ domain: 'output', recordingId: id });
    expect(events.find((e) => e.type === 'error')).toMatchObject({
      error: { domain: 'output', code: 'write-failed' },
    });
  });

  it('a transcript the journal cannot store is delivered and reported as not saved, in the journal domain', async () => {
    journal.transcribed = () =>
      Promise.reject(new JournalError('disk-full', 'No space left to store the transcript.'));
    const id = await record('unsaved words');
    await host.finish();
    await expect.poll(async () => (await host.status()).lastError?.code).toBe('disk-full');
    expect(output.delivered).toEqual(['unsaved words']);
    const { lastError } = await host.status();
    expect(lastError).toMatchObject({ domain: 'journal', recordingId: id });
    // the truth, told once the delivery is known: delivered, not kept for `whis last`
    expect(lastError!.message).toMatch(/delivered/);
    expect(lastError!.message).toMatch(/not saved/);
  });

  it('a transcript neither stored nor delivered is not said to be saved', async () => {
    journal.transcribed = () =>
      Promise.reject(new JournalError('disk-full', 'No space left to store the transcript.'));
    output.failNext(new Error('xclip failed'));
    await record('lost words');
    await host.finish();
    await expect.poll(async () => (await host.status()).lastError?.domain).toBe('output');
    const errors = events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    const { message } = (await host.status()).lastError!;
    expect(message).not.toMatch(/whis last/);
    expect(message).toMatch(/not saved either/);
  });

  it("the service's own errors say so: no speech is the host's", async () => {
    const started = await host.toggle();
    await host.finish();
    await expect.poll(async () => (await host.status()).lastError?.code).toBe('no-speech');
    expect((await host.status()).lastError).toMatchObject({
      domain: 'host',
      recordingId: started.recordingId,
    });
  });

  it('cancel discards the recording', async () => {
    const id = await record('never mind');
    expect(await host.cancel()).toEqual({ state: 'idle', recordingId: id });
    expect(transcriber.calls).toHaveLength(0);
    await expect(readdir(join(dir, 'recordings', id))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a silent recording is not sent', async () => {
    await host.toggle();
    await audio.current!.push(Buffer.alloc(100), false);
    await host.toggle();
    await expect.poll(async () => (await host.status()).lastError?.code).toBe('no-speech');
    expect(transcriber.calls).toHaveLength(0);
  });

  it('rejects finish when nothing records, and reports a missing microphone on start', async () => {
    await expect(host.finish()).rejects.toMatchObject({ code: 'not-recording' });
    audio.failNextStart(
      Object.assign(new Error('No microphone found. Plug one in.'), { code: 'no-device' }),
    );
    await expect(host.toggle()).rejects.toMatchObject({
      code: 'unavailable',
      message: 'No microphone found. Plug one in.',
    });
    const status = await host.status();
    expect(status).toMatchObject({ state: 'idle', lastError: { code: 'no-device' } });
    expect(await readdir(join(dir, 'recordings'))).toEqual([]);
  });

  it('a microphone that fails mid-recording keeps what was captured', async () => {
    const id = await record('half a sent');
    audio.current!.fail(
      Object.assign(new Error('The device was unplugged.'), { code: 'device-lost' }),
    );
    await expect.poll(async () => (await host.status()).state).toBe('idle');
    await expect.poll(async () => (await journal.get(id))?.chunks.length).toBe(1);
    expect((await host.status()).lastError).toMatchObject({ code: 'device-lost', recordingId: id });
    expect((await host.retry(id)).text).toBe('half a sent');
  });
});

describe('never blocking on a transcription', () => {
  it('answers status and starts a new recording while a transcription hangs; cancel aborts it and keeps the audio', async () => {
    transcriber.hang();
    const first = await record('first');
    await host.toggle();
    expect((await host.status()).transcribing).toEqual([first]);
    const second = await host.toggle();
    expect(second.state).toBe('recording');
    expect(second.recordingId).not.toBe(first);
    await audio.current!.push(Buffer.from('second'));
    const text = transcriptOf(second.recordingId!);
    await host.toggle();
    expect(await text).toBe('second');
    expect(transcriber.calls[0]!.signal!.aborted).toBe(false);
    await host.cancel();
    await expect.poll(() => transcriber.calls[0]!.signal!.aborted).toBe(true);
    await expect.poll(async () => (await journal.get(first))?.state).toBe('failed');
    expect((await host.retry(first)).text).toBe('first');
  });
});

describe('shutdown', () => {
  it('during a recording: finishes it, transcribes it, and says so', async () => {
    const id = await record('last words');
    expect(await host.shutdown()).toEqual({
      recordings: [{ id, outcome: 'transcribed', text: 'last words' }],
    });
    await expect(host.toggle()).rejects.toMatchObject({ code: 'shutting-down' });
  });

  it('during a transcription that does not finish in time: keeps the audio for retry', async () => {
    const slow = createServiceHost({
      audio,
      transcriber: transcriber.hang(),
      output,
      journal,
      info: { version: '1' },
      shutdownTimeoutMs: 200,
    });
    const { recordingId } = await slow.toggle();
    await audio.current!.push(Buffer.from('slow words'));
    await slow.toggle();
    expect(await slow.shutdown()).toEqual({ recordings: [{ id: recordingId, outcome: 'kept' }] });
    expect((await journal.get(recordingId!))?.chunks).toHaveLength(1);
  });
});

describe('the audio source', () => {
  it('is prepared when the service starts and closed after shutdown, once each, a failure only logged', async () => {
    const calls: string[] = [];
    const prepared = createServiceHost({
      audio: {
        start: (options) => audio.start(options),
        prepare: async () => {
          calls.push('prepare');
          throw new Error('no microphone yet');
        },
        close: async () => void calls.push('close'),
      },
      transcriber,
      output,
      journal,
      info: { version: '1' },
    });
    expect(calls).toEqual(['prepare']);
    // a failed prepare does not stop recordings: start() is where the user hears of a problem
    const { recordingId } = await prepared.toggle();
    await audio.current!.push(Buffer.from('prepared words'));
    await prepared.toggle();
    expect(await prepared.shutdown()).toEqual({
      recordings: [{ id: recordingId, outcome: 'transcribed', text: 'prepared words' }],
    });
    await prepared.shutdown();
    expect(calls).toEqual(['prepare', 'close']);
  });
});

describe('status', () => {
  it('reports problems, the trigger becoming unavailable and available again', async () => {
    const problems = ['no OPENAI_API_KEY: run `whis config key`'];
    const withProblems = createServiceHost({
      audio,
      transcriber,
      output,
      journal,
      triggers: [trigger],
      info: { version: '1.2.3', hotkey: null },
      problems: () => problems,
    });
    try {
      expect(await withProblems.status()).toMatchObject({
        state: 'idle',
        pid: process.pid,
        version: '1.2.3',
        hotkey: null,
        problems,
        recording: null,
        lastError: null,
      });
      trigger.fire({ type: 'unavailable', reason: 'Wayland: bind `whis toggle` instead' });
      expect(await withProblems.status()).toMatchObject({
        hotkeyProblem: 'Wayland: bind `whis toggle` instead',
        hotkeyActive: false,
      });
      trigger.fire({ type: 'available' });
      expect(await withProblems.status()).toMatchObject({
        hotkeyProblem: null,
        hotkeyActive: true,
      });
    } finally {
      await withProblems.shutdown();
    }
  });
});

describe('an upload tried again', () => {
  it('status names the attempt in progress, an event and the log say why, and it clears when the upload ends', async () => {
    const lines: Array<{ details: object; message: string }> = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (details: object, message: string) => lines.push({ details, message }),
      child: () => logger,
    };
    await host.shutdown();
    host = createServiceHost({
      audio,
      transcriber,
      output,
      journal,
      logger,
      info: { version: '1' },
    });
    host.subscribe((e) => events.push(e));
    const release = transcriber.retrying(2, 3);
    const id = await record('hello again');
    await host.toggle();
    await expect
      .poll(async () => (await host.status()).uploads)
      .toEqual([{ recordingId: id, segment: 0, attempt: 2, attempts: 3 }]);
    expect(events).toContainEqual({
      type: 'attempt',
      recordingId: id,
      segment: 0,
      attempt: 2,
      attempts: 3,
      previousError: 'no answer in 13 s',
    });
    expect(lines).toContainEqual({
      details: expect.objectContaining({ recordingId: id, attempt: 2 }),
      message: 'upload attempt 2 of 3 (the one before: no answer in 13 s)',
    });
    release();
    await expect.poll(async () => (await host.status()).state).toBe('idle');
    expect((await host.status()).uploads).toEqual([]);
  });
});

describe('retry', () => {
  it('finds the latest failed recording while a new one is being recorded', async () => {
    transcriber.fail(new Error('HTTP 503.'));
    const failed = await record('try again');
    await host.finish();
    await expect.poll(async () => (await journal.get(failed))?.state).toBe('failed');
    await record('in progress');
    expect(await host.retry()).toEqual({ id: failed, text: 'try again' });
    expect((await host.status()).state).toBe('recording');
  });
});

describe('how many transcriptions run', () => {
  it('a retry that ends first leaves the service transcribing until the recording it finished is transcribed', async () => {
    transcriber.fail(new Error('HTTP 503.'));
    const kept = await record('kept before');
    await host.finish();
    await expect.poll(async () => (await journal.get(kept))?.state).toBe('failed');
    await expect.poll(async () => (await host.status()).state).toBe('idle');
    const release = transcriber.hold();
    const fresh = await record('said now');
    await host.finish();
    await expect.poll(() => transcriber.calls.length).toBe(2);
    expect(await host.retry(kept)).toEqual({ id: kept, text: 'kept before' });
    // a request goes through the queue behind the retry's end
    await expect(host.finish()).rejects.toMatchObject({ code: 'not-recording' });
    expect((await host.status()).state).toBe('transcribing');
    release();
    expect(await transcriptOf(fresh)).toBe('said now');
    await expect.poll(async () => (await host.status()).state).toBe('idle');
    expect(
      events.filter((e) => e.type === 'state').map((e) => (e as { state: string }).state),
    ).toEqual(['recording', 'transcribing', 'idle', 'recording', 'transcribing', 'idle']);
  });
});

describe('shutdown during a transcription that finishes', () => {
  it('waits for it and reports it transcribed', async () => {
    audio.stopDelayMs = 50;
    const id = await record('just in time');
    await host.finish();
    expect(await host.shutdown()).toEqual({
      recordings: [{ id, outcome: 'transcribed', text: 'just in time' }],
    });
    expect(output.delivered).toEqual(['just in time']);
  });
});

describe('a full disk (a 64 KiB tmpfs under the journal)', () => {
  it('a new recording is refused with disk-full in the answer and in status; the journal stays readable', async () => {
    const mnt = join(dir, 'mnt');
    await mkdir(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=700', 'tmpfs', mnt]);
    } catch (err) {
      throw new Error(
        `This test mounts a tiny tmpfs, which needs root (CI runs as root): ${(err as Error).message}`,
      );
    }
    const small = createJournal({ directory: join(mnt, 'recordings') });
    const full = createServiceHost({
      audio,
      transcriber,
      output,
      journal: small,
      info: { version: '1' },
    });
    try {
      const { recordingId } = await full.toggle();
      await audio.current!.push(Buffer.from('before it filled'));
      await full.toggle();
      await expect.poll(async () => (await full.last(1)).transcripts.length).toBe(1);
      // the journal's own writes after the transcript (its state, the segments it frees) are over
      // once the text is delivered: filling the disk before then, they could free what the filler
      // took, and the next recording would find room
      await expect.poll(() => output.delivered).toEqual(['before it filled']);
      await expect(writeFile(join(mnt, 'filler'), Buffer.alloc(128 * 1024))).rejects.toMatchObject({
        code: 'ENOSPC',
      });
      await expect(full.toggle()).rejects.toMatchObject({
        code: 'disk-full',
        message: expect.stringContaining('Free some disk space'),
      });
      expect(await full.status()).toMatchObject({
        state: 'idle',
        lastError: { code: 'disk-full' },
      });
      expect((await full.last(5)).transcripts).toMatchObject([
        { id: recordingId, text: 'before it filled' },
      ]);
      await rm(join(mnt, 'filler'));
      expect((await full.toggle()).state).toBe('recording');
      await full.cancel();
    } finally {
      await full.shutdown();
      execFileSync('umount', [mnt]);
    }
  });
});

describe('retry is idempotent', () => {
  it('three simultaneous retries of one recording upload and deliver it once', async () => {
    transcriber.fail(new Error('HTTP 503.'));
    const id = await record('once only');
    await host.finish();
    await expect.poll(async () => (await journal.get(id))?.state).toBe('failed');
    const callsBefore = transcriber.calls.length;
    const release = transcriber.hold();
    const retries = [host.retry(id), host.retry(id), host.retry()];
    await expect.poll(() => transcriber.calls.length).toBe(callsBefore + 1);
    release();
    const results = await Promise.all(retries);
    expect(results.map((r) => r.text)).toEqual(['once only', 'once only', 'once only']);
    expect(results.filter((r) => r.joined)).toHaveLength(2);
    expect(transcriber.calls.length).toBe(callsBefore + 1);
    expect(output.delivered).toEqual(['once only']);
  });

  it('a retry while the first transcription still runs joins it; after it, answers the stored text', async () => {
    const release = transcriber.hold();
    const id = await record('in flight');
    await host.finish();
    await expect.poll(() => transcriber.calls.length).toBe(1);
    const joined = host.retry(id);
    release();
    expect(await joined).toEqual({ id, text: 'in flight', joined: true });
    expect(await host.retry(id)).toEqual({ id, text: 'in flight', stored: true });
    expect(transcriber.calls).toHaveLength(1);
    expect(output.delivered).toEqual(['in flight']);
  });
});

describe('every outcome of a recording names it', () => {
  it('no speech: the error event carries the recording id', async () => {
    const { recordingId } = await host.toggle();
    await host.toggle();
    await expect
      .poll(() => events.find((e) => e.type === 'error'))
      .toMatchObject({ error: { code: 'no-speech', recordingId } });
  });
});

describe('abortShutdown (a second Ctrl-C)', () => {
  it('stops at once during a hanging upload and during a recording, keeping both recordings', async () => {
    transcriber.hang();
    const first = await record('uploading');
    await host.finish();
    const second = await record('still talking');
    expect(host.pending()).toEqual({ recording: second, transcribing: [first] });
    const graceful = host.shutdown();
    const result = await host.abortShutdown();
    expect(await graceful).toBe(result);
    expect(result.recordings.map((r) => [r.id, r.outcome]).sort()).toEqual(
      [
        [first, 'kept'],
        [second, 'kept'],
      ].sort(),
    );
    expect((await journal.get(first))?.chunks).toHaveLength(1);
    expect((await journal.get(second))?.chunks).toHaveLength(1);
  });
});

describe('segments transcribed while recording', () => {
  it('each closed segment is sent at once with the text before it; after stop only the last', async () => {
    const id = await record('one two');
    const capture = audio.current!;
    await capture.cut();
    await expect.poll(() => transcriber.calls.length).toBe(1);
    await capture.push(Buffer.from('three four'));
    await capture.cut();
    await expect.poll(() => transcriber.calls.length).toBe(2);
    await expect
      .poll(async () => (await host.status()).recording?.segments)
      .toEqual({
        done: 2,
        total: 2,
      });
    await capture.push(Buffer.from('five'));
    const text = transcriptOf(id);
    await host.toggle();
    expect(await text).toBe('one two three four five');
    // three uploads in all, one segment each, in order, each with what came before as context
    expect(transcriber.calls.map((c) => c.chunks.map((chunk) => chunk.path.slice(-7)))).toEqual([
      ['000.mp3'],
      ['001.mp3'],
      ['002.mp3'],
    ]);
    expect(transcriber.calls.map((c) => c.context)).toEqual(['', 'one two', 'three four']);
    expect(output.delivered).toEqual(['one two three four five']);
  });

  it('a segment without speech (noise between two replies) is not uploaded, and its place stays empty', async () => {
    const id = await record('thank you');
    const capture = audio.current!;
    await capture.cut();
    await capture.push(Buffer.from('keyboard clicks'), false);
    await capture.cut();
    await capture.push(Buffer.from('bye'));
    const text = transcriptOf(id);
    await host.toggle();
    expect(await text).toBe('thank you bye');
    expect(transcriber.calls.map((c) => c.chunks.map((chunk) => chunk.path.slice(-7)))).toEqual([
      ['000.mp3'],
      ['002.mp3'],
    ]);
  });

  it('a segment that fails keeps the recording; retry sends only the segments without text', async () => {
    const id = await record('one two');
    const capture = audio.current!;
    transcriber.succeed('one two');
    await capture.cut();
    await capture.push(Buffer.from('three four'));
    transcriber.fail(Object.assign(new Error('server down'), { code: 'server' }));
    await capture.cut();
    await expect.poll(() => transcriber.calls.length).toBe(2);
    await capture.push(Buffer.from('five'));
    await host.toggle();
    await expect.poll(async () => (await host.status()).state).toBe('idle');
    expect(output.delivered).toEqual([]);
    expect((await journal.get(id))?.state).toBe('failed');
    const before = transcriber.calls.length;
    const retried = await host.retry(id);
    expect(retried.text).toBe('one two three four five');
    // the first segment's text was stored: only the failed one and the rest are sent again
    const sent = transcriber.calls.slice(before).map((c) => c.chunks[0]!.path.slice(-7));
    expect(sent).not.toContain('000.mp3');
    expect(sent).toContain('001.mp3');
  });

  it('a recording given up stops the uploads of its other segments (no attempts left running)', async () => {
    const id = await record('one two');
    const capture = audio.current!;
    transcriber.fail(Object.assign(new Error('no answer'), { code: 'timeout' }));
    await capture.cut();
    await capture.push(Buffer.from('three four'));
    transcriber.hang();
    await capture.cut();
    await expect.poll(() => transcriber.calls.length).toBe(2);
    await capture.push(Buffer.from('five'));
    await host.toggle();
    await expect.poll(async () => (await host.status()).state).toBe('idle');
    expect((await journal.get(id))?.state).toBe('failed');
    expect(transcriber.calls[1]!.signal?.aborted).toBe(true);
  });

  it('cancel during the recording stops the segment uploads in flight', async () => {
    await record('one two');
    transcriber.hang();
    await audio.current!.cut();
    await expect.poll(() => transcriber.calls.length).toBe(1);
    await host.cancel();
    expect(transcriber.calls[0]!.signal?.aborted).toBe(true);
    expect(output.delivered).toEqual([]);
  });
});

describe('live transcription while recording', () => {
  let live: FakeLiveTranscriber;
  let liveHost: ServiceHost;
  let liveEvents: ServiceEvent[];

  beforeEach(async () => {
    // the suite's host shares the fake microphone: this one records with its own
    await host.shutdown();
    live = new FakeLiveTranscriber();
    liveHost = createServiceHost({
      audio,
      transcriber,
      live,
      output,
      journal,
      info: { version: '9.9.9' },
    });
    liveEvents = [];
    liveHost.subscribe((e) => liveEvents.push(e));
  });
  afterEach(async () => {
    await liveHost.shutdown();
  });

  async function liveRecording(words: string): Promise<string> {
    const started = await liveHost.toggle();
    await audio.current!.push(Buffer.from(words));
    return started.recordingId!;
  }

  it('each segment comes from the session, its words pushed as they come; nothing is uploaded', async () => {
    const id = await liveRecording('one two');
    const capture = audio.current!;
    await capture.cut();
    await capture.push(Buffer.from('three four'));
    // the first segment's text arrives while the recording goes on
    await expect
      .poll(() => liveEvents.find((e) => e.type === 'transcript.segment'))
      .toEqual({ type: 'transcript.segment', recordingId: id, segment: 0, text: 'one two' });
    expect((await liveHost.status()).state).toBe('recording');
    await capture.cut();
    await capture.push(Buffer.from('five'));
    await liveHost.toggle();
    await expect.poll(() => output.delivered).toEqual(['one two three four five']);
    expect(transcriber.calls).toEqual([]);
    const deltas = liveEvents.filter((e) => e.type === 'transcript.delta');
    expect(deltas.map((e) => [e.segment, e.text])).toEqual([
      [0, 'one'],
      [0, ' two'],
      [1, 'three'],
      [1, ' four'],
      [2, 'five'],
    ]);
    expect(
      liveEvents.filter((e) => e.type === 'transcript.segment').map((e) => [e.segment, e.text]),
    ).toEqual([
      [0, 'one two'],
      [1, 'three four'],
      [2, 'five'],
    ]);
    expect(live.sessions[0]!.closed).toBe(true);
    // the transcript is stored as in file mode
    expect((await liveHost.last()).transcripts[0]!.text).toBe('one two three four five');
  });

  it('a segment the session misses is uploaded, with the text before it as context', async () => {
    live.failSegment(1);
    await liveRecording('one two');
    const capture = audio.current!;
    await capture.cut();
    await capture.push(Buffer.from('three four'));
    await capture.cut();
    await capture.push(Buffer.from('five'));
    await liveHost.toggle();
    await expect.poll(() => output.delivered).toEqual(['one two three four five']);
    expect(transcriber.calls.map((c) => [c.chunks[0]!.path.slice(-7), c.context])).toEqual([
      ['001.mp3', 'one two'],
    ]);
  });

  it('live not configured (open answers null): every segment is uploaded as in file mode', async () => {
    live.disabled = true;
    await liveRecording('one two');
    await audio.current!.cut();
    await audio.current!.push(Buffer.from('three'));
    await liveHost.toggle();
    await expect.poll(() => output.delivered).toEqual(['one two three']);
    expect(transcriber.calls).toHaveLength(2);
    expect(liveEvents.some((e) => e.type === 'transcript.delta')).toBe(false);
  });

  it('a segment output gets each final segment as it comes, spaced; the whole transcript still goes to the output', async () => {
    await liveHost.shutdown();
    const typed = new MemoryOutput();
    liveHost = createServiceHost({
      audio,
      transcriber,
      live,
      output,
      segmentOutput: typed,
      journal,
      info: { version: '9.9.9' },
    });
    await liveRecording('one two');
    await audio.current!.cut();
    // typed while the recording goes on
    await expect.poll(() => typed.delivered).toEqual(['one two']);
    await audio.current!.push(Buffer.from('three'));
    await liveHost.toggle();
    await expect.poll(() => output.delivered).toEqual(['one two three']);
    expect(typed.delivered).toEqual(['one two', ' three']);
    // the next recording starts without a space
    await liveRecording('four');
    await liveHost.toggle();
    await expect.poll(() => typed.delivered.at(-1)).toBe('four');
  });

  it('cancel closes the session', async () => {
    await liveRecording('one two');
    await liveHost.cancel();
    await expect.poll(() => live.sessions[0]?.closed).toBe(true);
    expect(output.delivered).toEqual([]);
  });
});

describe('recording hooks', () => {
  it('runs beforeCapture before the microphone opens, and the capture waits for it', async () => {
    await host.shutdown();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const start = audio.start.bind(audio);
    audio.start = (options) => {
      order.push('microphone');
      return start(options);
    };
    host = createServiceHost({
      audio,
      transcriber,
      output,
      journal,
      hooks: {
        beforeCapture: async () => {
          order.push('hook');
          await gate;
          order.push('hook done');
        },
      },
      info: { version: '9.9.9' },
    });
    const started = host.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(['hook']);
    release();
    expect((await started).state).toBe('recording');
    expect(order).toEqual(['hook', 'hook done', 'microphone']);
  });

  it("passes beforeCapture's start cue on to the capture", async () => {
    await host.shutdown();
    const startCue = { frequencies: [660], play: async () => undefined };
    const seen: unknown[] = [];
    const start = audio.start.bind(audio);
    audio.start = (options) => {
      seen.push(options.startCue);
      return start(options);
    };
    host = createServiceHost({
      audio,
      transcriber,
      output,
      journal,
      hooks: { beforeCapture: async () => ({ startCue }) },
      info: { version: '9.9.9' },
    });
    await host.start();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(startCue);
  });

  it('runs afterCapture once the microphone has stopped: finished, cancelled, or never started', async () => {
    await host.shutdown();
    const after: string[] = [];
    host = createServiceHost({
      audio,
      transcriber,
      output,
      journal,
      hooks: { afterCapture: () => after.push(audio.current?.stopped ? 'stopped' : 'open') },
      info: { version: '9.9.9' },
    });
    await host.start();
    await audio.current!.push(Buffer.from('hello'));
    await host.finish();
    await expect.poll(() => after).toEqual(['stopped']);
    await host.start();
    await host.cancel();
    expect(after).toHaveLength(2);
    audio.failNextStart(new Error('no microphone'));
    await expect(host.start()).rejects.toThrow('no microphone');
    expect(after).toHaveLength(3);
  });

  it('a recording the journal cannot create: afterCapture still runs, once', async () => {
    await host.shutdown();
    const hooks: string[] = [];
    host = createServiceHost({
      audio,
      transcriber,
      output,
      journal,
      hooks: {
        beforeCapture: async () => void hooks.push('before'),
        afterCapture: () => void hooks.push('after'),
      },
      info: { version: '9.9.9' },
    });
    const create = journal.create.bind(journal);
    journal.create = () => Promise.reject(new Error('disk full'));
    await expect(host.start()).rejects.toThrow('disk full');
    journal.create = create;
    // media paused by the first recording's start is resumed: the cues stay in step
    expect(hooks).toEqual(['before', 'after']);
    await host.start();
    await host.cancel();
    expect(hooks).toEqual(['before', 'after', 'before', 'after']);
  });

  it('a failing beforeCapture does not stop the recording', async () => {
    await host.shutdown();
    host = createServiceHost({
      audio,
      transcriber,
      output,
      journal,
      hooks: { beforeCapture: () => Promise.reject(new Error('no sound')) },
      info: { version: '9.9.9' },
    });
    expect((await host.start()).state).toBe('recording');
  });
});

describe('post-processing', () => {
  let processor: ScriptedProcessor;
  let processed: ServiceHost;
  let seen: ServiceEvent[];
  beforeEach(async () => {
    await host.shutdown();
    processor = new ScriptedProcessor();
    processed = createServiceHost({
      audio,
      transcriber,
      output,
      processor,
      journal,
      info: { version: '9.9.9' },
      postProcess: () => 'upper',
    });
    seen = [];
    processed.subscribe((e) => seen.push(e));
  });
  afterEach(() => processed.shutdown());

  async function dictate(words: string): Promise<string> {
    const { recordingId } = await processed.toggle();
    await audio.current!.push(Buffer.from(words));
    await processed.toggle();
    await expect.poll(async () => (await processed.status()).state).toBe('idle');
    return recordingId!;
  }

  it('delivers and announces the processed text; the journal keeps the raw one beside it', async () => {
    const id = await dictate('hello world');
    expect(output.delivered).toEqual(['HELLO WORLD']);
    expect(seen.find((e) => e.type === 'transcript')).toEqual({
      type: 'transcript',
      recordingId: id,
      text: 'HELLO WORLD',
      raw: 'hello world',
    });
    expect((await processed.last(1)).transcripts).toMatchObject([
      { id, text: 'HELLO WORLD', raw: 'hello world', applied: ['upper'] },
    ]);
    expect(processor.calls.map((c) => c.text)).toEqual(['hello world']);
    expect((await processed.status()).postProcess).toBe('upper');
  });

  it('segments are announced as heard; the whole transcript is processed once', async () => {
    const { recordingId } = await processed.toggle();
    await audio.current!.push(Buffer.from('first'));
    await audio.current!.cut();
    await audio.current!.push(Buffer.from('second'));
    await processed.toggle();
    await expect.poll(() => output.delivered).toEqual(['FIRST SECOND']);
    expect(
      seen.filter((e) => e.type === 'transcript.segment').map((e) => (e as { text: string }).text),
    ).toEqual(['first', 'second']);
    expect(processor.calls).toHaveLength(1);
    expect(recordingId).toBeDefined();
  });

  it('keeps no raw copy when processing changed nothing', async () => {
    processor = new ScriptedProcessor((text) => ({ text, applied: [], notes: ['llm: slow'] }));
    await processed.shutdown();
    processed = createServiceHost({
      audio,
      transcriber,
      output,
      processor,
      journal,
      info: { version: '1' },
    });
    const id = await dictate('as heard');
    const [entry] = (await processed.last(1)).transcripts;
    expect(entry).toMatchObject({ id, text: 'as heard' });
    expect(entry!.raw).toBeUndefined();
  });

  it('a processor that fails never costs the text: it is delivered as heard', async () => {
    processor.failNext(new Error('model exploded'));
    const id = await dictate('still here');
    expect(output.delivered).toEqual(['still here']);
    expect((await processed.last(1)).transcripts).toMatchObject([{ id, text: 'still here' }]);
  });

  it('retry delivers the processed text', async () => {
    transcriber.fail(new Error('network down'));
    const id = await dictate('try again');
    expect(output.delivered).toEqual([]);
    const retried = await processed.retry(id);
    expect(retried).toMatchObject({ id, text: 'TRY AGAIN' });
    expect(output.delivered).toEqual(['TRY AGAIN']);
  });
});
