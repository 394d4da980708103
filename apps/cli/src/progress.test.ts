import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  run,
  runChecked,
  startTranscriptionServer,
  synthesize,
  type TranscriptionServer,
} from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, createSandbox, type Sandbox } from './internal/harness.js';

let server: TranscriptionServer;
let dir: string;
let wav: string;
let sandbox: Sandbox;

beforeAll(async () => {
  // a slow provider: the answer comes after 2.5 s
  server = await startTranscriptionServer(() => ({
    status: 200,
    body: JSON.stringify({ text: 'the file said this' }),
    delayMs: 2500,
  }));
  dir = await mkdtemp(join(tmpdir(), 'whis-progress-'));
  wav = join(dir, 'speech.wav');
  await synthesize('a file to transcribe', wav);
  sandbox = await createSandbox({ OPENAI_API_KEY: 'sk-progress', OPENAI_BASE_URL: server.baseURL });
}, 60_000);
afterAll(async () => {
  await sandbox?.cleanup();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('whis transcribe shows what it is doing on a terminal, and nothing when piped', () => {
  it('in a real terminal (tmux): a line with the file, the model and the elapsed time, then the text', async () => {
    const session = `whis-progress-${process.pid}`;
    // a tmux server of its own (-L), started with this environment
    const env = { ...sandbox.env, TMUX: '' };
    const tmux = ['-L', session, '-f', '/dev/null'];
    const command = [process.execPath, CLI, 'transcribe', wav].map((a) => `'${a}'`).join(' ');
    await runChecked(
      'tmux',
      [
        ...tmux,
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '200',
        '-y',
        '20',
        `${command}; sleep 30`,
      ],
      { env },
    );
    try {
      const pane = async () =>
        (await run('tmux', [...tmux, 'capture-pane', '-p', '-t', session], { env })).stdout;
      let during = '';
      const deadline = Date.now() + 10_000;
      while (
        !/Transcribing speech\.wav \([\d.]+ MB\) with gpt-transcribe: uploading… \d+\.\d s/.test(
          during,
        )
      ) {
        if (Date.now() > deadline) throw new Error(`no progress line; the pane:\n${during}`);
        await new Promise((r) => setTimeout(r, 100));
        during = await pane();
      }
      let after = '';
      while (!after.includes('the file said this')) {
        if (Date.now() > deadline + 10_000) throw new Error(`no text; the pane:\n${after}`);
        await new Promise((r) => setTimeout(r, 100));
        after = await pane();
      }
      // the progress line is cleared once the text is there
      expect(after).not.toContain('Transcribing');
    } finally {
      await run('tmux', [...tmux, 'kill-server'], { env });
    }
  }, 40_000);

  it('a file in parts, in a real terminal: parts done of the total and the time left, then the text', async () => {
    // three phrases 4 s apart, in parts of at most 5 s: three uploads of 2.5 s, one at a time
    const padded = join(dir, 'spaced.wav');
    await runChecked('sox', [wav, join(dir, 'one.wav'), 'pad', '0', '4']);
    await runChecked('sox', [
      join(dir, 'one.wav'),
      join(dir, 'one.wav'),
      join(dir, 'one.wav'),
      padded,
    ]);
    const session = `whis-parts-${process.pid}`;
    const env = { ...sandbox.env, TMUX: '' };
    const tmux = ['-L', session, '-f', '/dev/null'];
    const command = [
      process.execPath,
      CLI,
      'transcribe',
      padded,
      '--part-length',
      '5s',
      '--jobs',
      '1',
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    await runChecked(
      'tmux',
      [
        ...tmux,
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '200',
        '-y',
        '20',
        `${command}; sleep 30`,
      ],
      { env },
    );
    try {
      const pane = async () =>
        (await run('tmux', [...tmux, 'capture-pane', '-p', '-t', session], { env })).stdout;
      let during = '';
      const deadline = Date.now() + 30_000;
      // one part done, the others to go: the count and an estimate of the time left
      while (
        !/Transcribing spaced\.wav \(0:17\): 1 of ~?\d parts done, about \d+ s left/.test(during)
      ) {
        if (Date.now() > deadline) throw new Error(`no progress line; the pane:\n${during}`);
        await new Promise((r) => setTimeout(r, 100));
        during = await pane();
      }
      let after = '';
      // (every part answers the same: the words repeated at a seam are joined once)
      while (!after.includes('the file said this')) {
        if (Date.now() > deadline + 10_000) throw new Error(`no text; the pane:\n${after}`);
        await new Promise((r) => setTimeout(r, 100));
        after = await pane();
      }
      expect(after).not.toContain('Transcribing');
    } finally {
      await run('tmux', [...tmux, 'kill-server'], { env });
    }
  }, 60_000);

  it('piped: stdout holds only the text, stderr nothing', async () => {
    const result = await sandbox.whis(['transcribe', wav], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('the file said this\n');
    expect(result.stderr).toBe('');
  }, 40_000);
});
