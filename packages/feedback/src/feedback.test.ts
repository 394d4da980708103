import { describe, expect, it } from 'vitest';
import { createFeedback } from './feedback.js';
import type { Notification, Notifier } from './notify.js';
import type { Cue, SoundPlayer } from './sounds.js';

function twins() {
  const shown: Notification[] = [];
  const played: Cue[] = [];
  const notifier: Notifier = {
    name: 'memory',
    show: async (n) => void shown.push(n),
    close: () => undefined,
  };
  const player: SoundPlayer = {
    command: 'memory',
    play: async (cue) => void played.push(cue),
    close: async () => undefined,
  };
  return { shown, played, notifier, player };
}

const state = (s: string, recordingId: string | null = 'r1') =>
  ({ type: 'state', state: s, recordingId }) as const;

describe('createFeedback', () => {
  it('start when the capture plays it, stop once the microphone stopped, error on a failure', async () => {
    const t = twins();
    const feedback = createFeedback({ ...t, sounds: ['start', 'stop', 'error'], echoMs: 0 });
    const prelude = await feedback.beforeCapture();
    await prelude?.startCue?.play(); // what the capture does once live
    feedback.handle(state('recording'));
    feedback.handle(state('transcribing'));
    feedback.afterCapture();
    feedback.handle({
      type: 'error',
      error: { code: 'transcription-failed', message: 'x', recordingId: 'r1' },
    });
    await feedback.settled();
    expect(t.played).toEqual(['start', 'stop', 'error']);
    expect(t.shown.map((n) => n.kind)).toEqual(['transcription']);
  });

  it('plays only the cues that are on, and no stop cue for a recording that failed', async () => {
    const t = twins();
    const feedback = createFeedback({ ...t, sounds: ['stop', 'error'] });
    await feedback.beforeCapture();
    feedback.handle(state('recording'));
    feedback.handle({
      type: 'error',
      error: { code: 'device-lost', message: 'gone', recordingId: 'r1' },
    });
    feedback.handle(state('idle'));
    feedback.afterCapture();
    await feedback.settled();
    expect(t.played).toEqual(['error']);
  });

  it('plays nothing and shows nothing for a silent recording or a cancel', async () => {
    const t = twins();
    const feedback = createFeedback({ ...t, sounds: ['error'], notify: 'all' });
    feedback.handle({
      type: 'error',
      error: { code: 'no-speech', message: 'x', recordingId: 'r' },
    });
    feedback.handle({
      type: 'error',
      error: { code: 'cancelled', message: 'x', recordingId: 'r' },
    });
    await feedback.settled();
    expect(t.played).toEqual([]);
    expect(t.shown).toEqual([]);
  });

  it('a transcript delivered but not stored is told as not saved, not as a failed transcription', async () => {
    const t = twins();
    const feedback = createFeedback({ ...t, sounds: ['error'] });
    // as the service reports it: the journal's domain and code, the recording it belongs to
    feedback.handle({
      type: 'error',
      error: {
        domain: 'journal',
        code: 'disk-full',
        message:
          'The transcript was delivered but not saved: No space left to store it. It will not be in `whis last`.',
        recordingId: 'r1',
      },
    });
    await feedback.settled();
    expect(t.shown).toMatchObject([
      { kind: 'journal', title: 'Transcript not saved', urgency: 'normal' },
    ]);
    expect(t.shown[0]!.body).toMatch(/delivered/);
  });

  it('shows transcripts only with notify all, and nothing with off', async () => {
    for (const [notify, expected] of [
      ['errors', 0],
      ['all', 1],
      ['off', 0],
    ] as const) {
      const t = twins();
      const feedback = createFeedback({ ...t, notify });
      feedback.handle({ type: 'transcript', recordingId: 'r', text: 'hello' });
      feedback.handle({ type: 'hotkey-unavailable', reason: 'No display.' });
      await feedback.settled();
      expect(t.shown.filter((n) => n.kind === 'transcript')).toHaveLength(expected);
      expect(t.shown.filter((n) => n.kind === 'hotkey')).toHaveLength(notify === 'off' ? 0 : 1);
    }
  });

  it('beforeCapture plays nothing itself: it hands the start cue to the capture, which plays it once live', async () => {
    const t = twins();
    const played: string[] = [];
    let over!: () => void;
    t.player.play = (cue) => {
      played.push(cue);
      return new Promise((r) => (over = r));
    };
    const feedback = createFeedback({ ...t, sounds: ['start'], echoMs: 0 });
    const prelude = await feedback.beforeCapture();
    expect(played).toEqual([]);
    expect(prelude!.startCue!.frequencies).toEqual([660, 990]);
    let done = false;
    void prelude!.startCue!.play().then(() => (done = true));
    expect(played).toEqual(['start']);
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    over();
    await expect.poll(() => done).toBe(true);
  });

  it('without a start cue there is nothing to hand over', async () => {
    const t = twins();
    expect(await createFeedback({ ...t, sounds: ['stop'] }).beforeCapture()).toBeUndefined();
  });
});
