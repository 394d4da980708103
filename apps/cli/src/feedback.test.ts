// Feedback through the whole chain: the service with a real notification daemon (dunst), a real
// MPRIS player (mpv) on a private session bus, and the cues played into the virtual microphone's
// sink, so that the recogniser would hear them if they were recorded.
import {
  decodeAudio,
  recognizeUpload,
  recordSink,
  startMediaPlayer,
  startNotificationDaemon,
  startSessionBus,
  strongestTone,
  type MediaPlayer,
  type NotificationDaemon,
  type SessionBus,
} from '@whis/testkit';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, startRig, type Rig, type Sandbox } from './internal/harness.js';

const PHRASE = 'one two three four five';
let rig: Rig;
let bus: SessionBus;
let dunst: NotificationDaemon;
let refuse = false;
let sandbox: Sandbox | undefined;
const players: MediaPlayer[] = [];

beforeAll(async () => {
  rig = await startRig(PHRASE, (request) =>
    refuse
      ? {
          status: 400,
          body: JSON.stringify({
            error: { message: 'this upload is refused', type: 'invalid_request_error' },
          }),
        }
      : recognizeUpload(request),
  );
  bus = await startSessionBus();
  dunst = await startNotificationDaemon(bus, rig.x);
}, 60_000);
afterAll(async () => {
  await dunst?.stop();
  await bus?.stop();
  await rig?.stop();
});
afterEach(async () => {
  refuse = false;
  await Promise.all(players.splice(0).map((p) => p.stop()));
  if (sandbox) {
    await sandbox.whis(['stop'], { timeoutMs: 60_000 }).catch(() => undefined);
    await sandbox.cleanup();
  }
  sandbox = undefined;
});

async function newSandbox(settings: Record<string, string>): Promise<Sandbox> {
  sandbox = await createSandbox({
    ...rig.env,
    OPENAI_API_KEY: 'sk-feedback',
    DBUS_SESSION_BUS_ADDRESS: bus.address,
  });
  for (const [key, value] of Object.entries(settings))
    expect((await sandbox.whis(['config', 'set', key, value])).code).toBe(0);
  await sandbox.listen(['--no-hotkey']);
  return sandbox;
}

async function until(s: Sandbox, state: string) {
  await expect.poll(async () => (await s.status()).state, { timeout: 60_000 }).toBe(state);
}

/** One dictation of the phrase through `whis toggle`; resolves once the service is idle again. */
async function dictate(s: Sandbox, during?: () => Promise<void>) {
  // on a loaded machine the 2 s reply timeout (exit 4) can pass while the microphone opens: the
  // state says whether the recording started
  expect([0, 4]).toContain((await s.whis(['toggle'])).code);
  await until(s, 'recording');
  await rig.mic.play(rig.phraseWav);
  await during?.();
  expect((await s.whis(['toggle'])).code).toBe(0);
  await until(s, 'idle');
}

// What was sent to the notification service, as dbus-monitor prints it.
async function watchNotify() {
  const child = spawn(
    'dbus-monitor',
    ['--address', bus.address, "interface='org.freedesktop.Notifications',member='Notify'"],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { text: () => out, stop: () => void child.kill() };
}

describe('notifications', () => {
  it('a failed transcription shows one notification with the retry hint', async () => {
    const before = await dunst.shown();
    const watch = await watchNotify();
    try {
      const s = await newSandbox({});
      refuse = true;
      await dictate(s);
      const id = ((await s.status()).lastError as { recordingId: string }).recordingId;
      await expect.poll(() => watch.text(), { timeout: 10_000 }).toContain(`whis retry ${id}`);
      expect(watch.text()).toContain('string "Transcription failed"');
      expect(watch.text().match(/member=Notify/g)).toHaveLength(1);
      expect(await dunst.shown()).toBe(before + 1);
    } finally {
      watch.stop();
    }
  }, 120_000);

  it('with notify all each transcript shows, replacing the previous one', async () => {
    const watch = await watchNotify();
    try {
      const s = await newSandbox({ notify: 'all' });
      await dictate(s);
      await expect.poll(() => watch.text(), { timeout: 10_000 }).toContain(PHRASE);
      const first = await dunst.displayed();
      await dictate(s);
      await expect.poll(() => watch.text().split(PHRASE).length - 1, { timeout: 10_000 }).toBe(2);
      // the second carried the first one's id as replaces_id: still one transcript on screen
      const replaces = [...watch.text().matchAll(/string "whis"\s+uint32 (\d+)/g)].map((m) =>
        Number(m[1]),
      );
      expect(replaces).toHaveLength(2);
      expect(replaces[1]).toBeGreaterThan(0);
      expect(await dunst.displayed()).toBe(first);
    } finally {
      watch.stop();
    }
  }, 120_000);
});

describe('media paused while dictating', () => {
  it('pauses what plays, resumes it after, leaves alone what the user paused', async () => {
    const s = await newSandbox({ pauseMedia: 'true', notify: 'off' });
    const playing = await startMediaPlayer(bus);
    const userPaused = await startMediaPlayer(bus, { paused: true });
    const touched = await startMediaPlayer(bus);
    players.push(playing, userPaused, touched);
    await dictate(s, async () => {
      expect(await playing.status()).toBe('Paused');
      expect(await touched.status()).toBe('Paused');
      // the user plays and pauses one of them during the dictation: it is theirs now. As a
      // person does it, with a moment of music between: mpv reports a property's changes at its
      // own pace, and a pause within that moment of the play can reach D-Bus as no change at all
      await touched.play();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await touched.pause();
    });
    await expect.poll(() => playing.status(), { timeout: 10_000 }).toBe('Playing');
    expect(await userPaused.status()).toBe('Paused');
    expect(await touched.status()).toBe('Paused');
    // the status names the feedback in force
    expect((await s.status()).feedback).toMatch(/media paused while recording/);
  }, 120_000);

  it('a player that quits mid-dictation does no harm', async () => {
    const s = await newSandbox({ pauseMedia: 'true', notify: 'off' });
    const quits = await startMediaPlayer(bus);
    const stays = await startMediaPlayer(bus);
    players.push(stays);
    await dictate(s, () => quits.stop());
    await expect.poll(() => stays.status(), { timeout: 10_000 }).toBe('Playing');
    expect((await s.status()).lastError).toBeNull();
  }, 120_000);
});

describe('sounds', () => {
  it('the cues reach the output device, and the recording never holds them', async () => {
    const s = await newSandbox({ sounds: 'start,stop', notify: 'off' });
    const uploads = rig.server.requests.length;
    const output = recordSink(rig.mic.env);
    await dictate(s);
    await new Promise((r) => setTimeout(r, 500)); // the stop cue
    const heard = await output.stop();
    // the sink played both notes of the cues (660 and 990 Hz)
    expect(strongestTone(heard, 16_000, 990).share).toBeGreaterThan(0.5);
    expect(strongestTone(heard, 16_000, 660).share).toBeGreaterThan(0.5);
    // what was sent for transcription: the phrase, and no window of it is the cue
    const sent = rig.server.requests.slice(uploads);
    expect(sent.length).toBeGreaterThan(0);
    const recorded = await decodeAudio(sent[0]!.audio);
    expect(strongestTone(recorded, 16_000, 990).share).toBeLessThan(0.3);
    expect(strongestTone(recorded, 16_000, 660).share).toBeLessThan(0.3);
    const last = JSON.parse((await s.whis(['last', '--json'])).stdout) as Array<{ text: string }>;
    expect(last[0]!.text).toBe(PHRASE);
  }, 120_000);
});
