// The same meeting as transcribe-file.test.ts, in a file of its own so that the two run side by side.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OPENAI_LIMITS,
  recognizeSpeechOnly,
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
// what the server answers; a test swaps it for a failing one
let handler: TranscriptionHandler = recognizeSpeechOnly;

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

describe('whis transcribe FILE: a recording longer than the endpoint takes, in files and parts', () => {
  it('--format srt and vtt --output FILE: one cue per part that holds speech, at its times', async () => {
    const srt = join(dir, 'meeting.srt');
    const vtt = join(dir, 'meeting.vtt');
    expect((await transcribe(['--format', 'srt', '--output', srt], 'cache-formats')).code).toBe(0);
    // the parts' texts come from the cache the first run left: the format is not part of its key
    const second = await transcribe(['--format', 'vtt', '--output', vtt], 'cache-formats');
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/\(0 sent, \d+ without speech, \d+ from an earlier run\)/);
    const srtText = await readFile(srt, 'utf8');
    expect(srtText).toMatch(
      new RegExp(
        `^1\\n00:00:00,000 --> 00:00:\\d\\d,\\d{3}\\n${FIRST}\\n\\n2\\n00:2\\d:\\d\\d,\\d{3} --> 00:2\\d:\\d\\d,\\d{3}\\n${SECOND}\\n$`,
      ),
    );
    const vttText = await readFile(vtt, 'utf8');
    expect(vttText).toMatch(
      new RegExp(
        `^WEBVTT\\n\\n00:00:00\\.000 --> 00:00:\\d\\d\\.\\d{3}\\n${FIRST}\\n\\n00:2\\d:\\d\\d\\.\\d{3} --> 00:2\\d:\\d\\d\\.\\d{3}\\n${SECOND}\\n$`,
      ),
    );
  }, 240_000);

  it('a part that fails every attempt: the command says which part and when; a rerun sends only it', async () => {
    const cache = 'cache-resume';
    handler = async (request) => {
      const reply = await recognizeSpeechOnly(request);
      return reply.body.includes('five')
        ? { status: 500, body: JSON.stringify({ error: { message: 'the server broke' } }) }
        : reply;
    };
    const before = server.requests.length;
    const failed = await transcribe([], cache);
    expect(failed.code).not.toBe(0);
    const [, from, to] = /part 3 of 4 \((\d+:\d\d)–(\d+:\d\d)\)/i.exec(failed.stderr) ?? [];
    expect(failed.stderr).toMatch(/part 3 of 4/i);
    const seconds = (t: string) => Number(t.split(':')[0]) * 60 + Number(t.split(':')[1]);
    expect(seconds(from!)).toBeLessThan(1500);
    expect(seconds(to!)).toBeGreaterThan(1505);
    // the first part once, the failing one three times (the transcriber's retries)
    expect(server.requests.length - before).toBe(1 + 3);

    handler = recognizeSpeechOnly;
    const again = server.requests.length;
    const rerun = await transcribe([], cache);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toBe(`${FIRST} ${SECOND}\n`);
    // only the part that failed is uploaded again
    expect(server.requests.length - again).toBe(1);
  }, 240_000);
});
