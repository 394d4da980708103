// A real notification daemon (dunst) on a private session bus, drawing on a virtual X server.
import {
  startNotificationDaemon,
  startSessionBus,
  startXvfb,
  type NotificationDaemon,
  type SessionBus,
  type VirtualDisplay,
} from '@whis/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectSessionBus } from './dbus.js';
import { FeedbackError } from './errors.js';
import { createFeedback } from './feedback.js';
import { createDesktopNotifier } from './notify.js';
import { spawn } from 'node:child_process';

let bus: SessionBus;
let display: VirtualDisplay;
let dunst: NotificationDaemon;

beforeEach(async () => {
  [bus, display] = await Promise.all([startSessionBus(), startXvfb()]);
  dunst = await startNotificationDaemon(bus, display);
});
afterEach(async () => {
  await dunst?.stop();
  await Promise.all([bus?.stop(), display?.stop()]);
});

// What was sent to the service, as dbus-monitor prints it.
function monitor(): { lines: () => string; stop: () => void; ready: Promise<void> } {
  const child = spawn(
    'dbus-monitor',
    [`--address`, bus.address, "interface='org.freedesktop.Notifications',member='Notify'"],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { lines: () => out, stop: () => void child.kill(), ready };
}

describe('desktop notifications', () => {
  it('a failed transcription shows one notification with the retry hint', async () => {
    const watch = monitor();
    await watch.ready;
    const feedback = createFeedback({ env: bus.env, platform: 'linux' });
    feedback.handle({
      type: 'error',
      error: {
        code: 'transcription-failed',
        message:
          'Transcription failed: 503 busy. The recording is kept: `whis retry 2026-12-01-a`.',
        recordingId: '2026-12-01-a',
      },
    });
    // a transcript at the default level (errors) shows nothing
    feedback.handle({ type: 'transcript', recordingId: 'b', text: 'hello' });
    await feedback.settled();
    await expect.poll(() => dunst.displayed()).toBe(1);
    await expect.poll(() => watch.lines()).toContain('whis retry 2026-12-01-a');
    expect(watch.lines()).toContain('string "whis"');
    expect(watch.lines()).toContain('string "Transcription failed"');
    expect(watch.lines()).not.toContain('hello');
    watch.stop();
    await feedback.close();
  });

  it('with notify all each transcript shows, replacing the previous one', async () => {
    const watch = monitor();
    await watch.ready;
    const feedback = createFeedback({ env: bus.env, platform: 'linux', notify: 'all' });
    for (const text of ['first words', 'second words', 'third words']) {
      feedback.handle({ type: 'transcript', recordingId: text, text });
      await feedback.settled();
    }
    await expect.poll(() => watch.lines()).toContain('third words');
    expect(await dunst.displayed()).toBe(1);
    // the second and third Notify carried the id the first got (replaces_id), not 0
    const replaces = [...watch.lines().matchAll(/string "whis"\s+uint32 (\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(replaces).toHaveLength(3);
    expect(replaces[0]).toBe(0);
    expect(replaces[1]).toBeGreaterThan(0);
    expect(replaces[2]).toBe(replaces[1]);
    watch.stop();
    await feedback.close();
  });

  it('a new kind does not replace another kind', async () => {
    const notifier = createDesktopNotifier(() => connectSessionBus({ env: bus.env }));
    await notifier.show({ kind: 'transcript', title: 'Transcribed', body: 'a', urgency: 'low' });
    await notifier.show({
      kind: 'microphone',
      title: 'Microphone problem',
      body: 'b',
      urgency: 'critical',
    });
    await notifier.show({ kind: 'transcript', title: 'Transcribed', body: 'c', urgency: 'low' });
    expect(await dunst.displayed()).toBe(2);
    notifier.close();
  });

  it('reconnects after the notification service restarted', async () => {
    const notifier = createDesktopNotifier(() => connectSessionBus({ env: bus.env }));
    await notifier.show({ kind: 'transcript', title: 'Transcribed', body: 'a', urgency: 'low' });
    await dunst.stop();
    await expect(
      notifier.show({ kind: 'transcript', title: 'Transcribed', body: 'b', urgency: 'low' }),
    ).rejects.toBeInstanceOf(FeedbackError);
    dunst = await startNotificationDaemon(bus, display);
    await notifier.show({ kind: 'transcript', title: 'Transcribed', body: 'c', urgency: 'low' });
    expect(await dunst.displayed()).toBe(1);
    notifier.close();
  });
});

describe('a lost session bus', () => {
  it('is replaced: the next notification goes through a new connection', async () => {
    const feedback = createFeedback({
      platform: 'linux',
      notify: 'all',
      connect: () => connectSessionBus({ env: bus.env, timeoutMs: 1000 }),
    });
    const note = async (text: string) => {
      feedback.handle({ type: 'transcript', recordingId: text, text });
      await feedback.settled();
    };
    await note('a');
    await expect.poll(() => dunst.displayed()).toBe(1);
    // the bus goes away and another comes up (the desktop session restarted)
    await dunst.stop();
    await bus.stop();
    bus = await startSessionBus();
    dunst = await startNotificationDaemon(bus, display);
    // the first notification after the loss is shown: the dead connection is not used again
    await note('b');
    await expect.poll(() => dunst.displayed()).toBe(1);
    await feedback.close();
  });
});

describe('connectSessionBus', () => {
  it('says there is no session bus instead of crashing', async () => {
    await expect(connectSessionBus({ env: {} })).rejects.toMatchObject({ code: 'no-session-bus' });
    await expect(
      connectSessionBus({ address: `unix:path=${bus.directory}/missing` }),
    ).rejects.toMatchObject({ code: 'no-session-bus' });
  });
});
