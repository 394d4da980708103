import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OPENAI_LIMITS,
  recognizeSpeechOnly,
  runChecked,
  startTranscriptionServer,
  type TranscriptionHandler,
  type TranscriptionServer,
} from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from './internal/harness.js';
import { FIRST, SECOND, writeMeeting } from './internal/meeting.js';

let server: TranscriptionServer;
let dir: string;
let meeting: string;
let sandbox: Sandbox;
// what the server answers
const handler: TranscriptionHandler = recognizeSpeechOnly;

interface JsonPart {
  index: number;
  start: number;
  end: number;
  text: string;
  skipped?: boolean;
}

beforeAll(async () => {
  // the real endpoint's limits: 25 MB an upload, 1500 s of audio
  server = await startTranscriptionServer((request) => handler(request), {
    limits: OPENAI_LIMITS,
  });
  dir = await mkdtemp(join(tmpdir(), 'whis-long-'));
  meeting = await writeMeeting(dir);
  sandbox = await createSandbox({ OPENAI_API_KEY: 'sk-long', OPENAI_BASE_URL: server.baseURL });
}, 60_000);
afterAll(async () => {
  await sandbox?.cleanup();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

// each run with a cache of its own unless it says otherwise
let runs = 0;
const transcribe = (args: string[], cache = `cache-${++runs}`) =>
  sandbox.whis(['transcribe', meeting, ...args], {
    timeoutMs: 120_000,
    env: { XDG_CACHE_HOME: join(sandbox.root, cache) },
  });

describe('whis transcribe FILE: a recording longer than the endpoint takes', () => {
  it('a 31-minute WAV over 25 MB: cut at pauses, silent parts not sent, the text in order', async () => {
    expect((await stat(meeting)).size).toBeGreaterThan(25 * 1024 * 1024);
    const before = server.requests.length;
    const result = await transcribe([]);
    expect(result.stderr).not.toMatch(/25 MB at most|longer than 1500 seconds/);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${FIRST} ${SECOND}\n`);
    // two parts hold speech: two uploads, each under the endpoint's limits
    const uploads = server.requests.slice(before);
    expect(uploads).toHaveLength(2);
    for (const upload of uploads) expect(upload.audio.length).toBeLessThan(25 * 1024 * 1024);
    // piped: plain progress lines on stderr, the last with every part done
    expect(result.stderr).toMatch(/4 of 4 parts done/);
  }, 180_000);

  it('the same meeting re-encoded to a 7 MB MP3 (under 25 MB, over 1500 s): parts the endpoint takes', async () => {
    const mp3 = join(dir, 'meeting.mp3');
    await runChecked('ffmpeg', ['-v', 'error', '-i', meeting, '-b:a', '32k', mp3]);
    expect((await stat(mp3)).size).toBeLessThan(25 * 1024 * 1024);
    const before = server.requests.length;
    const result = await sandbox.whis(['transcribe', mp3], { timeoutMs: 120_000 });
    expect(result.stderr).not.toMatch(/longer than 1500 seconds/);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${FIRST} ${SECOND}\n`);
    expect(server.requests.length - before).toBe(2);
  }, 180_000);

  it('a file ffmpeg cannot read, and no ffmpeg: what is wrong and what to do', async () => {
    const notAudio = join(dir, 'notes.mp3');
    await writeFile(notAudio, 'not audio at all');
    const bad = await sandbox.whis(['transcribe', notAudio]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`ffmpeg cannot read ${notAudio} as audio`);
    // a PATH without ffmpeg: a long file needs it, and the message says what to install
    const emptyBin = await mkdtemp(join(dir, 'bin-'));
    const noFfmpeg = await sandbox.whis(['transcribe', meeting], { env: { PATH: emptyBin } });
    expect(noFfmpeg.code).toBe(1);
    expect(noFfmpeg.stderr).toMatch(/ffprobe is not installed.*sudo apt install ffmpeg/);
  });

  it('--json: the parts with their times, the silent ones marked skipped', async () => {
    const result = await transcribe(['--json']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { text: string; parts: JsonPart[] };
    expect(out.text).toBe(`${FIRST} ${SECOND}`);
    expect(out.parts).toHaveLength(4);
    expect(out.parts[0]!.start).toBe(0);
    // the parts follow each other without gap, each 10 minutes at most
    out.parts.forEach((part, i) => {
      expect(part.index).toBe(i + 1);
      if (i > 0) expect(part.start).toBe(out.parts[i - 1]!.end);
      expect(part.end - part.start).toBeLessThanOrEqual(600);
    });
    expect(out.parts.at(-1)!.end).toBeCloseTo(1500 + 360 + 2 * 1.5, -1);
    expect(out.parts.map((p) => [p.text, Boolean(p.skipped)])).toEqual([
      [FIRST, false],
      ['', true],
      [SECOND, false],
      ['', true],
    ]);
    // the second phrase, said 25 minutes in, is in the part that covers that time
    expect(out.parts[2]!.start).toBeLessThan(1500);
    expect(out.parts[2]!.end).toBeGreaterThan(1505);
  }, 180_000);
});
