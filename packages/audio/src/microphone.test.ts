import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  notesWav,
  recognize,
  run,
  startVirtualMicrophone,
  strongestTone,
  synthesize,
  toneAmplitude,
  type VirtualMicrophone,
} from '@whis/testkit';
import { wavFile } from '@whis/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMicrophone, listInputDevices } from './microphone.js';

let mic: VirtualMicrophone;
let dir: string;
let phrase: string;

beforeAll(async () => {
  mic = await startVirtualMicrophone();
  // naudiodon is loaded on first use: from here on this process records from the virtual microphone
  Object.assign(process.env, mic.env);
  dir = await mkdtemp(join(tmpdir(), 'whis-mic-'));
  phrase = join(dir, 'phrase.wav');
  await synthesize('one two three four five', phrase);
}, 60_000);
afterAll(async () => {
  await mic?.stop();
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const wav = (pcm: Int16Array) => wavFile(pcm, 16_000);

describe('a real capture through the virtual microphone', () => {
  it('lists the input devices, the default marked', async () => {
    const devices = await listInputDevices();
    expect(devices.length).toBeGreaterThan(0);
    expect(devices.filter((d) => d.isDefault).length).toBeLessThanOrEqual(1);
    expect(devices[0]).toMatchObject({
      index: expect.any(Number),
      name: expect.any(String),
      defaultSampleRate: expect.any(Number),
    });
  });

  it('hears the phrase spoken right after start(), in the raw 16 kHz stream and in the encoded file', async () => {
    const raw: Int16Array[] = [];
    const directory = join(dir, 'rec');
    await (await import('node:fs/promises')).mkdir(directory);
    const capture = await createMicrophone({ onFrame: (pcm) => raw.push(pcm) }).start({
      directory,
    });
    const levels: number[] = [];
    capture.onLevel((l) => levels.push(l.rms));
    // no waiting for the first frame: words spoken at once must not be lost
    await mic.play(phrase);
    const result = await capture.stop();
    expect(result.speechDetected).toBe(true);
    expect(result.chunks).toHaveLength(1);
    expect(await recognize(result.chunks[0]!.path)).toBe('one two three four five');
    const rawWav = join(dir, 'raw.wav');
    await writeFile(rawWav, wav(Int16Array.from(raw.flatMap((f) => [...f]))));
    expect(await recognize(rawWav)).toBe('one two three four five');
    expect(Math.max(...levels)).toBeGreaterThan(0.01);
    expect(capture.stats.firstFrameMs).toBeGreaterThan(0);
    expect(capture.stats.tailComplete).toBe(true);
  }, 60_000);

  it('keeps the last word spoken before stop()', async () => {
    const directory = join(dir, 'tail');
    await (await import('node:fs/promises')).mkdir(directory);
    const capture = await createMicrophone().start({ directory });
    await mic.play(phrase);
    // stop the moment playback ends: "five" is the last word
    const result = await capture.stop();
    expect((await recognize(result.chunks[0]!.path)).split(' ').at(-1)).toBe('five');
  }, 60_000);

  it('a process that falls behind loses no audio: stop() waits while the backlog comes in', async () => {
    const directory = join(dir, 'behind');
    await (await import('node:fs/promises')).mkdir(directory);
    // as on a loaded machine: each read costs half its length to process, so a backlog drains slowly
    const slow = () => {
      const until = performance.now() + 10;
      while (performance.now() < until);
    };
    const capture = await createMicrophone({ onFrame: slow }).start({ directory });
    const playing = mic.play(phrase);
    await expect.poll(() => capture.stats.startLagMs, { timeout: 10_000 }).toBeDefined();
    // and this thread runs nothing else for a second and a half while the phrase plays
    const busyUntil = performance.now() + 1500;
    while (performance.now() < busyUntil);
    await playing;
    const result = await capture.stop();
    expect(capture.stats.tailComplete).toBe(true);
    expect(await recognize(result.chunks[0]!.path)).toBe('one two three four five');
  }, 60_000);

  it('kept open: a recording begins with the half second before start(), so a word spoken as the key goes down is kept', async () => {
    const source = createMicrophone({ keepOpen: true });
    try {
      await source.prepare();
      await sleep(600); // the pre-roll fills
      const texts: string[] = [];
      for (const name of ['first', 'second']) {
        const directory = join(dir, `kept-${name}`);
        await (await import('node:fs/promises')).mkdir(directory);
        // the phrase is already playing when the recording starts: "one" is spoken before it
        const playing = mic.play(phrase);
        await sleep(350);
        const capture = await source.start({ directory });
        await playing;
        const result = await capture.stop();
        expect(capture.stats.startLagMs).toBeLessThan(-400);
        expect(capture.stats.tailComplete).toBe(true);
        texts.push(await recognize(result.chunks[0]!.path));
      }
      expect(texts).toEqual(['one two three four five', 'one two three four five']);
    } finally {
      await source.close();
    }
  }, 60_000);

  it('opened for each recording: the first sample comes after start() (what keepOpen is for)', async () => {
    const directory = join(dir, 'lag');
    await (await import('node:fs/promises')).mkdir(directory);
    const capture = await createMicrophone().start({ directory });
    await sleep(300);
    await capture.stop();
    expect(capture.stats.startLagMs).toBeGreaterThan(0);
    expect(capture.stats.firstFrameMs).toBeGreaterThan(0);
  }, 30_000);

  it('names the device and the fix when it does not exist', async () => {
    await expect(
      createMicrophone({ device: 'no such microphone' }).start({ directory: dir }),
    ).rejects.toMatchObject({
      code: 'device-not-found',
      message: expect.stringMatching(
        /No input device "no such microphone". `whis devices` lists them/,
      ),
    });
  });
});

describe('the start cue, played into the virtual microphone (as a speaker is heard by a microphone)', () => {
  // the start cue's shape: 660 Hz then 990 Hz, soft edges
  let cue: string;
  beforeAll(async () => {
    cue = join(dir, 'cue.wav');
    await writeFile(
      cue,
      notesWav([
        { hz: 660, ms: 50 },
        { hz: 990, ms: 60 },
      ]),
    );
  });

  /** Records while `during` runs; the 16 kHz frames before trimming, and the capture's timing. */
  async function record(
    name: string,
    options: { startCue?: { frequencies: number[]; play(): Promise<void> } },
    during: () => Promise<void>,
  ) {
    const raw: Int16Array[] = [];
    const directory = join(dir, name);
    await (await import('node:fs/promises')).mkdir(directory);
    const startedAt = performance.now();
    const capture = await createMicrophone({ onFrame: (pcm) => raw.push(pcm) }).start({
      directory,
      ...options,
    });
    await during();
    await capture.stop();
    const firstSampleAt = startedAt + capture.stats.startLagMs!;
    return { pcm: Int16Array.from(raw.flatMap((f) => [...f])), firstSampleAt };
  }

  // how loud each note of the cue is in a recording that holds it: the reference for the next test
  const heard = { 660: 0, 990: 0 };

  it('control: a cue the capture is not told of is in the recording (so the next test can fail)', async () => {
    const { pcm } = await record('cue-control', {}, () => mic.play(cue));
    expect(strongestTone(pcm, 16_000, 660).share).toBeGreaterThan(0.5);
    expect(strongestTone(pcm, 16_000, 990).share).toBeGreaterThan(0.5);
    heard[660] = toneAmplitude(pcm, 16_000, 660);
    heard[990] = toneAmplitude(pcm, 16_000, 990);
    expect(Math.min(heard[660], heard[990])).toBeGreaterThan(1000);
  }, 30_000);

  it('the capture plays it once the first sample is in, and no window of the recording holds it', async () => {
    let playedAt = 0;
    let played: Promise<void> | undefined;
    const startCue = {
      frequencies: [660, 990],
      play: () => {
        playedAt = performance.now();
        played = mic.play(cue).then(() => sleep(100));
        return played;
      },
    };
    const { pcm, firstSampleAt } = await record('cue-filtered', { startCue }, async () => {
      await expect.poll(() => playedAt, { timeout: 10_000 }).toBeGreaterThan(0);
      await played;
    });
    expect(playedAt).toBeGreaterThan(firstSampleAt);
    // each note at least 20 dB below where it is when the capture is not told of it: what is
    // left is a faint remainder under any speech, not a sound a recogniser could hear
    expect(toneAmplitude(pcm, 16_000, 660)).toBeLessThan(heard[660] / 10);
    expect(toneAmplitude(pcm, 16_000, 990)).toBeLessThan(heard[990] / 10);
  }, 30_000);

  it('words spoken over the cue are kept', async () => {
    let played: Promise<void> | undefined;
    const startCue = {
      frequencies: [660, 990],
      play: () => (played = mic.play(cue).then(() => sleep(100))),
    };
    const { pcm } = await record('cue-speech', { startCue }, async () => {
      await mic.play(phrase);
      await played;
    });
    const wavPath = join(dir, 'cue-speech.wav');
    await writeFile(wavPath, wav(pcm));
    expect(await recognize(wavPath)).toBe('one two three four five');
  }, 30_000);
});

describe('start() on a microphone that is slow to deliver', () => {
  // a source suspended by the user: the stream opens at once, and no audio flows until it resumes
  const suspend = (on: boolean) =>
    run('pactl', ['suspend-source', 'virtmic', on ? '1' : '0'], { env: mic.env });

  it('resolves once the first audio is in, so that "recording" is never said before it is true', async () => {
    const directory = await mkdtemp(join(dir, 'slow-'));
    await suspend(true);
    let resumed = false;
    try {
      const starting = createMicrophone()
        .start({ directory })
        .then((capture) => ({ capture, resumed }));
      await sleep(1500);
      resumed = true;
      await suspend(false);
      const { capture, resumed: resumedFirst } = await starting;
      await capture.abort();
      expect(resumedFirst).toBe(true);
    } finally {
      await suspend(false);
    }
  }, 30_000);

  it('a device that delivers nothing in `startLimitMs`: the recording starts anyway, saying so', async () => {
    const directory = await mkdtemp(join(dir, 'silent-'));
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (_: unknown, m: string) => warnings.push(m),
    };
    await suspend(true);
    try {
      const began = performance.now();
      const capture = await createMicrophone({ startLimitMs: 1000, logger }).start({ directory });
      expect(performance.now() - began).toBeGreaterThanOrEqual(900);
      await capture.abort();
      expect(warnings).toContainEqual(expect.stringMatching(/no audio within 1 s/));
    } finally {
      await suspend(false);
    }
  }, 30_000);
});

it('with no sound server running, a clear error (in a process of its own)', async () => {
  const script = fileURLToPath(new URL('../test/capture-without-pulse.mjs', import.meta.url));
  const noServer = await mkdtemp(join(tmpdir(), 'whis-nopulse-'));
  const { stdout } = await run(process.execPath, [script], {
    env: {
      ...process.env,
      PULSE_SERVER: `unix:${join(noServer, 'none')}`,
      XDG_RUNTIME_DIR: noServer,
      HOME: noServer,
    },
  });
  const result = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(result.ok).toBe(false);
  expect(['no-device', 'device-failed', 'device-busy']).toContain(result.code);
  expect(result.message).toMatch(/microphone/i);
  await rm(noServer, { recursive: true, force: true });
}, 30_000);
