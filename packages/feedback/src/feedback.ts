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

/** The feedback the settings ask for. Nothing connects to D-Bus or plays until it is needed. */
export function createFeedback(options: FeedbackOptions = {}): Feedback {
  const logger = options.logger ?? silentLogger;
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const level = options.notify ?? 'errors';
  const cues = new Set(options.sounds ?? []);
  const budgetMs = options.startBudgetMs ?? 500;
  const echoMs = options.echoMs ?? 100;
  const connect = options.connect ?? (() => connectSessionBus({ env, timeoutMs: 1000 }));
  // one connection shared by notifications and media, made on first use
  const shared = keptConnection(connect);
  const sharedBus = () =>
    shared.get().then((bus) => ({ ...bus, close: () => void 0 }) as SessionBus);
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

  // One entry per recording, oldest first: each beforeCapture opens one and each afterCapture
  // closes the oldest, so a recording that starts while the last one's microphone is still
  // closing keeps its own paused players.
  interface Session {
    paused: Promise<PausedMedia | undefined> | undefined;
    recordingId: string | null;
  }
  const sessions: Session[] = [];
  const failed = new Set<string>();
  const resume = (session: Session | undefined) => {
    if (session?.paused) track(session.paused.then((p) => p?.resume()));
  };

  return {
    async beforeCapture() {
      const session: Session = {
        paused: media?.pause().catch((err: unknown) => {
          logger.debug({ err }, 'media players could not be paused');
          return undefined;
        }),
        recordingId: null,
      };
      sessions.push(session);
      // played by the capture once it is live, which filters it out until it is over and back
      // from the speaker
      const startCue: StartCue | undefined =
        player && cues.has('start')
          ? {
              frequencies: cueFrequencies('start'),
              play: () =>
                player.play('start').then(() => new Promise<void>((r) => setTimeout(r, echoMs))),
            }
          : undefined;
      // the players that pause within the budget are quiet before the microphone opens; the rest
      // are not waited for
      if (session.paused)
        await untilAborted(session.paused, deadline(budgetMs)).catch(() => undefined);
      return startCue ? { startCue } : undefined;
    },
    afterCapture() {
      const session = sessions.shift();
      const id = session?.recordingId ?? null;
      // the stop cue once the microphone is closed, so that the tail of the recording cannot hold
      // it; none for a recording that never started or failed (the error cue says it)
      if (id !== null && !failed.has(id)) track(play('stop'));
      if (id !== null) failed.delete(id);
      resume(session);
    },
    handle(event) {
      switch (event.type) {
        case 'state':
          if (event.state === 'recording') {
            const session = sessions.findLast((s) => s.recordingId === null);
            if (session) session.recordingId = event.recordingId;
          }
          return;
        case 'error': {
          const failure = notificationFor(event, 'errors') !== undefined;
          if (failure) {
            track(play('error'));
            if (event.error.recordingId) failed.add(event.error.recordingId);
          }
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
      for (const session of sessions.splice(0)) resume(session);
      await this.settled();
      notifier?.close();
      media?.close();
      await player?.close();
      shared.drop();
    },
  };
}
