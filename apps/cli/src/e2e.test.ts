import {
  grabKeyElsewhere,
  openEntry,
  openXterm,
  recognizeUpload,
  run,
  startTranscriptionServer,
  xdotool,
  X_MODIFIERS,
  type TranscriptionServer,
  type VirtualDisplay,
  type VirtualMicrophone,
} from '@whis/testkit';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandbox,
  readClipboard,
  startRig,
  watchOutput,
  type Rig,
  type Sandbox,
} from './internal/harness.js';

const PHRASE = 'one two three four five';
let x: VirtualDisplay;
let mic: VirtualMicrophone;
let server: TranscriptionServer;
let phraseWav: string;
let sandbox: Sandbox | undefined;

let rig: Rig;

beforeAll(async () => {
  rig = await startRig(PHRASE);
  ({ x, mic, server, phraseWav } = rig);
}, 60_000);
afterAll(async () => {
  await rig?.stop();
});
afterEach(async () => {
  if (sandbox) {
    await sandbox.whis(['stop'], { timeoutMs: 60_000 }).catch(() => undefined);
    await sandbox.cleanup();
  }
  sandbox = undefined;
});

async function newSandbox(): Promise<Sandbox> {
  sandbox = await createSandbox({ ...rig.env, OPENAI_API_KEY: 'sk-e2e' });
  return sandbox;
}

describe('the whole chain on real components', () => {
  it('hotkey, speech, hotkey: the words are on the clipboard and in `whis last`', async () => {
    const s = await newSandbox();
    const { output } = await s.listen();
    expect(output.text()).toContain('Listening for hotkey: ctrl+shift+r');
    await s.waitForStatus((st) => st.hotkeyActive === true);
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await s.waitForStatus((st) => st.state === 'recording' && st.recording !== null);
    await mic.play(phraseWav);
    await xdotool(x, ['key', 'ctrl+shift+r']);
    expect(await s.transcript()).toBe(PHRASE);
    // the transcript is stored before it is delivered: the clipboard follows a moment later
    await expect.poll(() => readClipboard(x.env), { timeout: 10_000 }).toBe(PHRASE);
    await output.waitFor(/#1 done/);
    const progress = output
      .text()
      .split('\n')
      .filter((line) => line.startsWith('#'));
    expect(progress).toEqual(['#1 recording…', '#1 transcribing…', '#1 done']);
    expect(output.text()).not.toMatch(/ALSA lib|PortAudio/);
  }, 120_000);

  it('outputs type: hotkey, speech, hotkey, and the words are typed into the focused terminal', async () => {
    const s = await newSandbox();
    expect((await s.whis(['config', 'set', 'outputs', 'type'])).code).toBe(0);
    const terminal = await openXterm(x);
    try {
      await s.listen();
      const st = await s.waitForStatus((st) => st.hotkeyActive === true);
      // status says where the text goes, with which tool and why
      expect(st.output).toBe('type with xdotool (X11 session)');
      const human = (await s.whis(['status'])).stdout;
      expect(human).toContain('Output: type with xdotool (X11 session)');
      expect(human).toContain('Transcription: file, gpt-transcribe');
      await xdotool(x, ['key', 'ctrl+shift+r']);
      await s.waitForStatus((st) => st.state === 'recording' && st.recording !== null);
      await mic.play(phraseWav);
      await xdotool(x, ['key', 'ctrl+shift+r']);
      expect(await s.transcript()).toBe(PHRASE);
      await s.waitForStatus((st) => st.state === 'idle');
      expect(await terminal.finish()).toBe(`${PHRASE}\n`);
      // and `whis last --paste` puts it into another window, bound to a key in the desktop
      const entry = await openEntry(x);
      try {
        expect((await s.whis(['last', '--paste'])).code).toBe(0);
        expect(await entry.submit()).toBe(PHRASE);
      } finally {
        await entry.stop();
      }
    } finally {
      await terminal.stop();
    }
  }, 120_000);

  it('push-to-talk: hold to record, release to transcribe', async () => {
    const s = await newSandbox();
    await s.listen(['--push-to-talk']);
    await s.waitForStatus((st) => st.hotkeyActive === true);
    await xdotool(x, ['keydown', 'ctrl+shift+r']);
    await s.waitForStatus((st) => st.state === 'recording' && st.recording !== null);
    await mic.play(phraseWav);
    await xdotool(x, ['keyup', 'ctrl+shift+r']);
    expect(await s.transcript()).toBe(PHRASE);
    // the transcript is stored before it is delivered: the clipboard follows a moment later
    await expect.poll(() => readClipboard(x.env), { timeout: 10_000 }).toBe(PHRASE);
  }, 120_000);

  it('a hotkey another program holds: status and the log say it is taken, with the fix; whis takes it once free', async () => {
    const other = await grabKeyElsewhere(x, 'r', X_MODIFIERS.control | X_MODIFIERS.shift);
    let released = false;
    try {
      expect(other.granted).toBe(true);
      const s = await newSandbox();
      await s.listen();
      const st = await s.waitForStatus((st) => typeof st.hotkeyProblem === 'string');
      expect(st.hotkeyActive).toBe(false);
      expect(st.hotkeyProblem).toMatch(/ctrl\+shift\+r is taken.*whis config set hotkey/);
      const human = (await s.whis(['status'])).stdout;
      expect(human).toMatch(/Hotkey: off \(The hotkey ctrl\+shift\+r is taken/);
      const log = await readFile(join(s.root, 'state', 'whis', 'whisd.log'), 'utf8');
      expect(log).toMatch(/ctrl\+shift\+r is taken.*whis config set hotkey/);
      // the desktop lets go of it: whis grabs it on its next try, and the key works
      await other.release();
      released = true;
      await s.waitForStatus((st) => st.hotkeyActive === true, 60_000);
      await xdotool(x, ['key', 'ctrl+shift+r']);
      await s.waitForStatus((st) => st.state === 'recording');
      await s.whis(['cancel']);
    } finally {
      if (!released) await other.release();
    }
  }, 120_000);

  it('push-to-talk with tapToToggleMs: a tap keeps recording until the next press', async () => {
    const s = await newSandbox();
    expect((await s.whis(['config', 'set', 'tapToToggleMs', '400'])).code).toBe(0);
    await s.listen(['--push-to-talk']);
    await s.waitForStatus((st) => st.hotkeyActive === true);
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await s.waitForStatus((st) => st.state === 'recording' && st.recording !== null);
    await mic.play(phraseWav);
    // released long ago, still recording
    expect((await s.status()).state).toBe('recording');
    await xdotool(x, ['key', 'ctrl+shift+r']);
    expect(await s.transcript()).toBe(PHRASE);
  }, 120_000);

  it('--no-hotkey with `whis toggle`, and `whis toggle --wait` prints the text', async () => {
    const s = await newSandbox();
    await s.listen(['--no-hotkey']);
    const started = await s.whis(['toggle']);
    expect(started.stdout).toMatch(/^Recording \d{8}-\d{6}-[0-9a-f]{4}…/);
    await mic.play(phraseWav);
    const finished = await s.whis(['toggle', '--wait'], { timeoutMs: 60_000 });
    expect(finished.stdout.trim()).toBe(PHRASE);
    // the transcript is stored before it is delivered: the clipboard follows a moment later
    await expect.poll(() => readClipboard(x.env), { timeout: 10_000 }).toBe(PHRASE);
  }, 120_000);

  it('outputs command: each transcript goes to your command on stdin', async () => {
    const s = await newSandbox();
    const notes = join(s.root, 'notes.md');
    expect((await s.whis(['config', 'set', 'outputs', 'command'])).code).toBe(0);
    expect((await s.whis(['config', 'set', 'outputCommand', `tee -a '${notes}'`])).code).toBe(0);
    await s.listen(['--no-hotkey']);
    await s.whis(['toggle']);
    await mic.play(phraseWav);
    expect((await s.whis(['toggle', '--wait'], { timeoutMs: 60_000 })).stdout.trim()).toBe(PHRASE);
    // the command gets the text as it is, with no newline added
    await expect
      .poll(() => readFile(notes, 'utf8').catch(() => ''), { timeout: 10_000 })
      .toBe(PHRASE);
  }, 120_000);

  it('one-shot `whis`: Enter on stdin stops, the text goes to stdout and the clipboard', async () => {
    const s = await newSandbox();
    const child = s.spawnWhis([]);
    const output = watchOutput(child);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    await output.waitFor(/Recording… press Enter/);
    await mic.play(phraseWav);
    child.stdin!.write('\n');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code, output.text()).toBe(0);
    expect(stdout.trim()).toBe(PHRASE);
    // the transcript is stored before it is delivered: the clipboard follows a moment later
    await expect.poll(() => readClipboard(x.env), { timeout: 10_000 }).toBe(PHRASE);
  }, 120_000);
});

describe('nothing is lost', () => {
  it('speech that starts as the hotkey goes down, and a stop key the moment it ends: every word, 10 of 10', async () => {
    const s = await newSandbox();
    await s.listen();
    await s.waitForStatus((st) => st.hotkeyActive === true);
    const texts: string[] = [];
    for (let i = 1; i <= 10; i++) {
      // the key, then the speech at once, without waiting for the recording to start: what is
      // measured is whis's own way from the key to the first sample (xdotool returns once the X
      // server has the key; started together, a loaded machine could play the first word before
      // the key was down, a user speaking before pressing it)
      await xdotool(x, ['key', 'ctrl+shift+r']);
      await mic.play(phraseWav);
      // and the stop key the moment the last word has been played
      await xdotool(x, ['key', 'ctrl+shift+r']);
      texts.push(await s.transcript(i));
    }
    expect(texts).toEqual(Array(10).fill(PHRASE));
  }, 240_000);

  it('keepMicrophoneOpen: speech that began before the hotkey is in the recording', async () => {
    const s = await newSandbox();
    expect((await s.whis(['config', 'set', 'keepMicrophoneOpen', 'true'])).code).toBe(0);
    await s.listen();
    await s.waitForStatus((st) => st.hotkeyActive === true);
    await new Promise((r) => setTimeout(r, 800)); // the pre-roll fills
    const playing = mic.play(phraseWav);
    await new Promise((r) => setTimeout(r, 300)); // "one" is being spoken
    await xdotool(x, ['key', 'ctrl+shift+r']);
    await playing;
    await xdotool(x, ['key', 'ctrl+shift+r']);
    expect(await s.transcript(1)).toBe(PHRASE);
  }, 120_000);

  it('phrases with pauses: segments are transcribed while recording, after stop only the last', async () => {
    const s = await newSandbox();
    // a segment closes at the first pause after 2 s
    expect((await s.whis(['config', 'set', 'segmentSeconds', '2'])).code).toBe(0);
    // the phrase the offline recogniser hears reliably, three times: a word lost or doubled at a
    // seam shows in the joined text
    const phrases = [PHRASE, PHRASE, PHRASE];
    const wavs = phrases.map(() => phraseWav);
    await s.listen(['--no-hotkey']);
    const before = server.requests.length;
    const started = await s.whis(['toggle']);
    const id = /Recording (\S+)…/.exec(started.stdout)![1]!;
    for (const wav of wavs) {
      await mic.play(wav);
      await new Promise((r) => setTimeout(r, 1200));
    }
    // the first two phrases went out while the recording ran
    await expect.poll(() => server.requests.length - before, { timeout: 20_000 }).toBe(2);
    const st = await s.status();
    expect(st.state).toBe('recording');
    const stopped = await s.whis(['finish', '--wait'], { timeoutMs: 60_000 });
    expect(stopped.stdout.trim()).toBe(phrases.join(' '));
    expect(server.requests.length - before).toBe(3);
    expect((await s.whis(['last', '--json'])).stdout).toContain(id);
  }, 120_000);

  it('the server fails (500, then down): the recording is kept, status shows the error, `whis retry` recovers it', async () => {
    let mode: 'fail' | 'ok' = 'fail';
    const handler = (request: Parameters<typeof recognizeUpload>[0]) =>
      mode === 'fail'
        ? {
            status: 500,
            body: JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } }),
          }
        : recognizeUpload(request);
    let own = await startTranscriptionServer(handler);
    const port = Number(new URL(own.baseURL).port);
    try {
      sandbox = await createSandbox({
        ...x.env,
        ...mic.env,
        OPENAI_API_KEY: 'sk-e2e',
        OPENAI_BASE_URL: own.baseURL,
      });
      const s = sandbox;
      await s.listen(['--no-hotkey']);
      await s.whis(['toggle']);
      await mic.play(phraseWav);
      await s.whis(['toggle']);
      const st = await s.waitForStatus(
        (v) => (v.lastError as { code?: string } | null)?.code === 'server',
        60_000,
      );
      const id = (st.lastError as { recordingId: string }).recordingId;
      const human = await s.whis(['status']);
      expect(human.stdout).toContain('Last error: Transcription failed');
      expect(human.stdout).toContain(`recording ${id} kept`);
      // the server goes down: retry says so, and the audio is still kept
      await own.close();
      const down = await s.whis(['retry'], { timeoutMs: 90_000 });
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/Cannot reach the transcription service/);
      // back up and working
      mode = 'ok';
      own = await startTranscriptionServer(handler, { port });
      const retried = await s.whis(['retry'], { timeoutMs: 60_000 });
      expect(retried.stdout.trim()).toBe(PHRASE);
      // the transcript is stored before it is delivered: the clipboard follows a moment later
      await expect.poll(() => readClipboard(x.env), { timeout: 10_000 }).toBe(PHRASE);
      expect((await s.whis(['last', '--json'])).stdout).toContain(PHRASE);
    } finally {
      await own.close();
    }
  }, 240_000);

  it('`whis stop` during a recording says what happened to it', async () => {
    const s = await newSandbox();
    const { daemon } = await s.listen(['--no-hotkey']);
    const started = await s.whis(['toggle']);
    const id = /Recording (\S+)…/.exec(started.stdout)![1]!;
    await mic.play(phraseWav);
    const stop = await s.whis(['stop'], { timeoutMs: 60_000 });
    expect(stop.stdout).toContain(`Recording ${id} transcribed: ${PHRASE}`);
    expect(stop.stdout).toContain('Service stopped.');
    expect(await new Promise((r) => daemon.once('exit', r))).toBe(0);
  }, 120_000);
});

describe('talking to a daemon that is not there', () => {
  it('no daemon: "Service: Not running", exit 3, for status, stop and toggle', async () => {
    const s = await newSandbox();
    const st = await s.whis(['status']);
    expect(st).toMatchObject({ code: 3, stdout: 'Service: Not running\n' });
    for (const command of ['stop', 'toggle']) {
      const r = await s.whis([command]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('whis: Service: Not running');
      expect(r.stderr).toContain('whis listen');
    }
  });

  it('a stale socket: not running, exit 3, and `whis listen` starts anyway', async () => {
    const s = await newSandbox();
    await run(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(join(s.env.WHIS_RUNTIME_DIR!, 'whis.sock'))}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    const st = await s.whis(['status']);
    expect(st.code).toBe(3);
    expect(st.stdout).toContain('Service: Not running (a crashed daemon left its socket behind)');
    expect((await s.whis(['toggle'])).code).toBe(3);
    await s.listen(['--no-hotkey']);
    expect((await s.whis(['status'])).stdout).toContain('Service: Running (Idle)');
  }, 60_000);

  it('a stopped (SIGSTOP) daemon: "Not responding", exit 4, and it is never removed', async () => {
    const s = await newSandbox();
    await s.listen(['--no-hotkey']);
    const pid = (await s.status()).pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      // side by side: each waits out its own budget (a key press's is the longest, 15 s)
      const commands = ['status', 'toggle', 'stop'];
      const [second, ...results] = await Promise.all([
        s.whis(['listen', '--no-hotkey'], { timeoutMs: 30_000 }),
        ...commands.map((command) => s.whis([command], { timeoutMs: 30_000 })),
      ]);
      for (const [i, r] of results.entries()) {
        const command = commands[i]!;
        expect(r.code, command).toBe(4);
        // what it waited for, and how long (a key press's budget is the longest)
        expect(r.stderr + r.stdout).toMatch(
          command === 'toggle'
            ? /Not responding: the daemon did not answer "hello" within 15000 ms/
            : /Not responding: the daemon did not answer "hello" within 3000 ms/,
        );
      }
      expect(second.code).toBe(4);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect((await s.whis(['status'])).stdout).toContain('Service: Running (Idle)');
  }, 120_000);
});

it('`whis listen` twice: the second says it is already running, exit 6', async () => {
  const s = await newSandbox();
  await s.listen(['--no-hotkey']);
  const second = await s.whis(['listen', '--no-hotkey']);
  expect(second.code).toBe(6);
  expect(second.stderr).toMatch(/already running \(pid \d+\)/);
}, 60_000);

it('`whis listen --detach` while one runs: the new daemon exits at start, exit 6', async () => {
  const s = await newSandbox();
  await s.listen(['--no-hotkey']);
  const second = await s.whis(['listen', '--detach', '--no-hotkey']);
  expect(second.code).toBe(6);
  expect(second.stderr).toMatch(/exited at start \(code 6\)/);
}, 60_000);

it('`whis listen --detach` returns once the daemon answers', async () => {
  const s = await newSandbox();
  const r = await s.whis(['listen', '--detach', '--no-hotkey']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/listening in the background \(pid (\d+)\)/);
  const status = await s.whis(['status']);
  expect(status.stdout, `exit ${status.code}: ${status.stderr}`).toContain(
    'Service: Running (Idle)',
  );
}, 60_000);

it('`whis status --follow --format waybar` follows the daemon, including a restart', async () => {
  const s = await newSandbox();
  const follower = s.spawnWhis(['status', '--follow', '--format', 'waybar']);
  const lines: Array<{ alt: string; class: string; text: string; tooltip: string }> = [];
  let buffered = '';
  follower.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const part of parts) lines.push(JSON.parse(part));
  });
  const alts = () => lines.map((l) => l.alt);
  await expect.poll(alts, { timeout: 15_000 }).toEqual(['stopped']);
  await s.listen(['--no-hotkey']);
  await expect.poll(alts, { timeout: 15_000 }).toEqual(['stopped', 'idle']);
  await s.whis(['toggle']);
  await expect.poll(() => alts().at(-1), { timeout: 15_000 }).toBe('recording');
  expect(lines.find((l) => l.alt === 'recording')).toMatchObject({
    class: 'recording',
    text: expect.stringMatching(/^REC/),
  });
  await s.whis(['cancel']);
  await expect.poll(() => alts().at(-1), { timeout: 15_000 }).toBe('idle');
  await s.whis(['stop']);
  await expect.poll(() => alts().at(-1), { timeout: 15_000 }).toBe('stopped');
  await s.listen(['--no-hotkey']);
  await expect.poll(() => alts().at(-1), { timeout: 15_000 }).toBe('idle');
  follower.kill('SIGTERM');
  expect(await new Promise((r) => follower.once('exit', (code) => r(code)))).toBe(0);
}, 90_000);
