import type { CapturePrelude, Logger, StartCue } from '@whis/contracts';
import { deadline, silentLogger, untilAborted } from '@whis/contracts';
import { connectSessionBus, keptConnection, type SessionBus } from './dbus.js';
import { createMediaPauser, type MediaPauser, type PausedMedia } from './media.js';
import {
  createCommandNotifier,
  createDesktopNotifier,
  notificationFor,
  type NotifiableEvent,
  type Notifier,
  type NotifyLevel,
} from './notify.js';
import { createSoundPlayer, cueFrequencies, type Cue, type SoundPlayer } from './sounds.js';

/** The feedback settings (the keys of the same names in the settings file). */
export interface FeedbackSettings {
  /** Default `errors`. */
  notify?: NotifyLevel;
  /** Pause the playing media players while recording. Default false. */
  pauseMedia?: boolean;
  /** The cues to play. Default none. */
  sounds?: readonly Cue[];
  /** 0..100. Default 60. */
  soundVolume?: number;
}

/** The service's events, as far as feedback follows them (the service's events fit it structurally). */
export type FeedbackEvent =
  | NotifiableEvent
  | { type: 'state'; state: string; recordingId: string | null }
  | { type: 'level' | 'progress' | 'attempt' | 'transcript.delta' | 'transcript.segment' };

export interface FeedbackOptions extends FeedbackSettings {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  logger?: Logger;
  /** The session bus for notifications and media players; default: `connectSessionBus({ env })`. */
  connect?: () => Promise<SessionBus>;
  /** Replaces the platform's notifier (tests). */
  notifier?: Notifier;
  /** Replaces the desktop's sound player (tests). */
  player?: SoundPlayer;
  /** The longest a recording's start waits for the media to pause. Default 500 ms. */
  startBudgetMs?: number;
  /**
   * How long after the start cue has drained the capture still filters it out: the way from the
   * speaker back into the microphone (device and sound-server buffers). Default 100 ms.
   */
  echoMs?: number;
}

/** Sounds, notifications and paused media around the service's recordings. */
export interface Feedback {
  /**
   * Before the microphone opens: pauses the playing media (waiting at most `startBudgetMs`);
   * returns the start cue, for the capture to play once it is live. Never rejects.
   */
  beforeCapture(): Promise<CapturePrelude | undefined>;
  /** The microphone has stopped: the stop cue (unless the recording failed), the paused media resumed. */
  afterCapture(): void;
  /** Every service event: the error cue, notifications. */
  handle(event: FeedbackEvent): void;
  /** Resolves once the cues, notifications and resumes started so far are done (tests, shutdown). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One kind of feedback (notifications, cues, paused media): the hooks it takes part in. Each kind
 * is made on its own (`createNotifications`, `createCues`, `createMediaPause`) and
 * `combineFeedback` makes them one Feedback, so that a kind that is off is never made.
 */
export interface FeedbackPart {
  /** Before the microphone opens; what it returns is merged into the capture's prelude. */
  beforeCapture?(): Promise<CapturePrelude | undefined>;
  afterCapture?(): void;
  handle?(event: FeedbackEvent): void;
  /** Resolves once what it started so far is done. */
  settled?(): Promise<void>;
  close?(): Promise<void>;
}

/** What the kinds share: one session bus connection (notifications and media), made on first use. */
export interface FeedbackShared {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  logger: Logger;
  /** The kept connection (not to be closed by a kind: `close()` here does). */
  bus(): Promise<SessionBus>;
  close(): void;
}

export function createFeedbackShared(
  options: Pick<FeedbackOptions, 'env' | 'platform' | 'logger' | 'connect'> = {},
): FeedbackShared {
  const env = options.env ?? process.env;
  const connect = options.connect ?? (() => connectSessionBus({ env, timeoutMs: 1000 }));
  const shared = keptConnection(connect);
  return {
    env,
    platform: options.platform ?? process.platform,
    logger: options.logger ?? silentLogger,
    bus: () => shared.get().then((bus) => ({ ...bus, close: () => void 0 }) as SessionBus),
    close: () => shared.drop(),
  };
}

// the work a kind has started (a cue, a notification, a resume), for `settled`
function tracker() {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work: Promise<unknown>) {
      pending.add(work);
      void work.finally(() => pending.delete(work));
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

/** Desktop notifications at `notify` (errors, all); with `off`, no part. */
export function createNotifications(
  options: Pick<FeedbackOptions, 'notify' | 'notifier'>,
  shared: FeedbackShared,
): FeedbackPart | undefined {
  const level = options.notify ?? 'errors';
  if (level === 'off') return undefined;
  const { logger, platform } = shared;
  const notifier =
    options.notifier ??
    (platform === 'darwin' || platform === 'win32'
      ? createCommandNotifier(platform)
      : createDesktopNotifier(shared.bus));
  const work = tracker();
  let warned = false;
  const show = (event: NotifiableEvent) => {
    const notification = notificationFor(event, level);
    if (!notification) return;
    work.track(
      notifier.show(notification).catch((err: unknown) => {
        // said once at warn level: a desktop without a notification service is not an error
        logger[warned ? 'debug' : 'warn']({ err }, 'a desktop notification could not be shown');
        warned = true;
      }),
    );
  };
  return {
    handle(event) {
      if (
        event.type === 'error' ||
        event.type === 'transcript' ||
        event.type === 'hotkey-unavailable'
      )
        show(event);
    },
    settled: work.settled,
    async close() {
      await work.settled();
      notifier.close();
    },
  };
}

/** The cues: start (played by the capture once it is live), stop, error; none: no part. */
export function createCues(
  options: Pick<FeedbackOptions, 'sounds' | 'soundVolume' | 'player' | 'echoMs'>,
  shared: FeedbackShared,
): FeedbackPart | undefined {
  const cues = new Set(options.sounds ?? []);
  if (cues.size === 0) return undefined;
  const echoMs = options.echoMs ?? 100;
  const player =
    options.player ??
    createSoundPlayer({
      env: shared.env,
      ...(options.soundVolume !== undefined ? { volume: options.soundVolume } : {}),
      onError: (err) => shared.logger.debug({ err }, 'a sound could not be played'),
    });
  const work = tracker();
  const play = (cue: Cue) => (cues.has(cue) ? player.play(cue) : Promise.resolve());
  // One entry per recording, oldest first: each beforeCapture opens one and each afterCapture
  // closes the oldest, so a recording that starts while the last one's microphone is still
  // closing keeps its own id.
  const recordings: Array<{ id: string | null }> = [];
  const failed = new Set<string>();
  return {
    async beforeCapture() {
      recordings.push({ id: null });
      // played by the capture once it is live, which filters it out until it is over and back
      // from the speaker
      if (!cues.has('start')) return undefined;
      const startCue: StartCue = {
        frequencies: cueFrequencies('start'),
        play: () =>
          player.play('start').then(() => new Promise<void>((r) => setTimeout(r, echoMs))),
      };
      return { startCue };
    },
    afterCapture() {
      const id = recordings.shift()?.id ?? null;
      // the stop cue once the microphone is closed, so that the tail of the recording cannot hold
      // it; none for a recording that never started or failed (the error cue says it)
      if (id !== null && !failed.has(id)) work.track(play('stop'));
      if (id !== null) failed.delete(id);
    },
    handle(event) {
      if (event.type === 'state' && event.state === 'recording') {
        const recording = recordings.findLast((r) => r.id === null);
        if (recording) recording.id = event.recordingId;
      } else if (event.type === 'error' && notificationFor(event, 'errors') !== undefined) {
        work.track(play('error'));
        if (event.error.recordingId) failed.add(event.error.recordingId);
      }
    },
    settled: work.settled,
    async close() {
      await work.settled();
      await player.close();
    },
  };
}

/** Media players (MPRIS) paused while recording, resumed after; off: no part. */
export function createMediaPause(
  options: Pick<FeedbackOptions, 'pauseMedia' | 'startBudgetMs'>,
  shared: FeedbackShared,
): FeedbackPart | undefined {
  if (!options.pauseMedia) return undefined;
  const { logger } = shared;
  const budgetMs = options.startBudgetMs ?? 500;
  const media: MediaPauser = createMediaPauser(shared.bus, { logger });
  const work = tracker();
  // one per recording, oldest first (see createCues)
  const sessions: Array<Promise<PausedMedia | undefined>> = [];
  const resume = (paused: Promise<PausedMedia | undefined> | undefined) => {
    if (paused) work.track(paused.then((p) => p?.resume()));
  };
  return {
    async beforeCapture() {
      const paused = media.pause().catch((err: unknown) => {
        logger.debug({ err }, 'media players could not be paused');
        return undefined;
      });
      sessions.push(paused);
      // the players that pause within the budget are quiet before the microphone opens; the rest
      // are not waited for
      await untilAborted(paused, deadline(budgetMs)).catch(() => undefined);
      return undefined;
    },
    afterCapture() {
      resume(sessions.shift());
    },
    settled: work.settled,
    async close() {
      for (const paused of sessions.splice(0)) resume(paused);
      await work.settled();
      media.close();
    },
  };
}

/** The kinds as one Feedback; `shared`'s connection is closed with it. */
export function combineFeedback(
  parts: ReadonlyArray<FeedbackPart | undefined>,
  shared?: FeedbackShared,
): Feedback {
  const made = parts.filter((p): p is FeedbackPart => p !== undefined);
  return {
    async beforeCapture() {
      const preludes = await Promise.all(made.map((p) => p.beforeCapture?.()));
      const startCue = preludes.find((p) => p?.startCue)?.startCue;
      return startCue ? { startCue } : undefined;
    },
    afterCapture() {
      for (const part of made) part.afterCapture?.();
    },
    handle(event) {
      for (const part of made) part.handle?.(event);
    },
    async settled() {
      await Promise.all(made.map((p) => p.settled?.()));
    },
    async close() {
      await Promise.all(made.map((p) => p.close?.()));
      shared?.close();
    },
  };
}

/**
 * The feedback the settings ask for, every kind at once (the service's catalogue makes each kind
 * from its own row instead). Nothing connects to D-Bus or plays until it is needed.
 */
export function createFeedback(options: FeedbackOptions = {}): Feedback {
  const shared = createFeedbackShared(options);
  return combineFeedback(
    [
      createMediaPause(options, shared),
      createCues(options, shared),
      createNotifications(options, shared),
    ],
    shared,
  );
}
