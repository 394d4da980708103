import type { Logger } from '@whis/contracts';
import { silentLogger } from '@whis/contracts';
import { connectSessionBus, type SessionBus } from './dbus.js';
import { createMediaPauser, type MediaPauser, type PausedMedia } from './media.js';
import {
  createCommandNotifier,
  createDesktopNotifier,
  notificationFor,
  type NotifiableEvent,
  type Notifier,
  type NotifyLevel,
} from './notify.js';
import { createSoundPlayer, type Cue, type SoundPlayer } from './sounds.js';

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
  /** The longest a recording's start waits for the start cue and the pause of media. Default 500 ms. */
  startBudgetMs?: number;
}

/** Sounds, notifications and paused media around the service's recordings. */
export interface Feedback {
  /**
   * Before the microphone opens: plays the start cue to its end (so it is not recorded) while the
   * playing media are paused. Waits at most `startBudgetMs`; never rejects.
   */
  beforeCapture(): Promise<void>;
  /** Every service event: stop and error cues, media resumed when the recording ends, notifications. */
  handle(event: FeedbackEvent): void;
  /** Resolves once the cues, notifications and resumes started so far are done (tests, shutdown). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** The feedback the settings ask for. Nothing connects to D-Bus or plays until it is needed. */
export function createFeedback(options: FeedbackOptions = {}): Feedback {
  const logger = options.logger ?? silentLogger;
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const level = options.notify ?? 'errors';
  const cues = new Set(options.sounds ?? []);
  const budgetMs = options.startBudgetMs ?? 500;
  const connect = options.connect ?? (() => connectSessionBus({ env, timeoutMs: 1000 }));
  // one connection shared by notifications and media, made on first use
  let shared: Promise<SessionBus> | undefined;
  const sharedBus = () => {
    shared ??= connect().catch((err: unknown) => {
      shared = undefined;
      throw err;
    });
    return shared.then((bus) => ({ ...bus, close: () => void 0 }) as SessionBus);
  };
  const notifier =
    level === 'off'
      ? undefined
      : (options.notifier ??
        (platform === 'darwin' || platform === 'win32'
          ? createCommandNotifier(platform)
          : createDesktopNotifier(sharedBus)));
  const media: MediaPauser | undefined = options.pauseMedia
    ? createMediaPauser(sharedBus, { logger })
    : undefined;
  const player: SoundPlayer | undefined =
    cues.size > 0
      ? (options.player ??
        createSoundPlayer({
          env,
          ...(options.soundVolume !== undefined ? { volume: options.soundVolume } : {}),
          onError: (err) => logger.debug({ err }, 'a sound could not be played'),
        }))
      : undefined;

  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  const play = (cue: Cue) => (player && cues.has(cue) ? player.play(cue) : Promise.resolve());
  let warned = false;
  const show = (event: NotifiableEvent) => {
    const notification = notifier && notificationFor(event, level);
    if (!notification) return;
    track(
      notifier.show(notification).catch((err: unknown) => {
        // said once at warn level: a desktop without a notification service is not an error
        logger[warned ? 'debug' : 'warn']({ err }, 'a desktop notification could not be shown');
        warned = true;
      }),
    );
  };

  let paused: Promise<PausedMedia | undefined> | undefined;
  let recording: string | null = null;
  const failed = new Set<string>();
  const resume = () => {
    const was = paused;
    paused = undefined;
    if (was) track(was.then((p) => p?.resume()));
  };

  return {
    async beforeCapture() {
      paused = media?.pause().catch((err: unknown) => {
        logger.debug({ err }, 'media players could not be paused');
        return undefined;
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([play('start'), paused]),
        new Promise((resolve) => (timer = setTimeout(resolve, budgetMs))),
      ]);
      clearTimeout(timer);
    },
    handle(event) {
      switch (event.type) {
        case 'state':
          if (event.state === 'recording') {
            recording = event.recordingId;
            return;
          }
          if (recording !== null) {
            if (!failed.has(recording)) track(play('stop'));
            failed.delete(recording);
            recording = null;
          }
          resume();
          return;
        case 'error': {
          const failure = notificationFor(event, 'errors') !== undefined;
          if (failure) {
            track(play('error'));
            if (event.error.recordingId) failed.add(event.error.recordingId);
          }
          // the microphone did not start: no state change comes, the media paused for it resume now
          if (recording === null) resume();
          show(event);
          return;
        }
        case 'transcript':
        case 'hotkey-unavailable':
          show(event);
          return;
        default:
          return;
      }
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      resume();
      await this.settled();
      notifier?.close();
      media?.close();
      await player?.close();
      const bus = shared;
      shared = undefined;
      await bus?.then((b) => b.close()).catch(() => undefined);
    },
  };
}
