// What whis does besides delivering the text: one row per kind of feedback. Each row makes its own
// part (`combineFeedback` in the composition hands every host event to the parts made), says
// whether the settings turn it on, what it is, and checks what it needs.
import type { Settings } from '@whis/config';
import type { FeedbackName } from '@whis/contracts';
import {
  createCues,
  createMediaPause,
  createNotifications,
  feedbackSettingsFrom,
  findSoundCommand,
  probeFeedback,
  type FeedbackPart,
  type FeedbackShared,
} from '@whis/feedback';
import type { PartContext } from './context.js';
import { optional, type Row } from './row.js';

export interface FeedbackRow extends Row {
  /** Whether the settings turn it on; a kind that is off is neither described as on nor checked. */
  on(settings: Settings): boolean;
  /** Its part of the service's feedback; `shared` holds the session bus the kinds share. */
  create(context: PartContext, shared: FeedbackShared): FeedbackPart | undefined;
}

const OFF = { notify: 'off', pauseMedia: false, sounds: [] } as const;

// each kind probed alone: the settings of the others turned off
const probeOnly =
  (only: (settings: Settings) => object): Row['probe'] =>
  async ({ settings, env }) =>
    (await probeFeedback({ ...OFF, ...only(settings) }, env)).map((probe) => optional(probe));

/** What whis does besides delivering the text: the kinds of feedback. */
export const FEEDBACK = {
  notifications: {
    summary:
      'a desktop notification when something fails (notify errors) or for each transcript (all)',
    on: (settings) => feedbackSettingsFrom(settings).notify !== 'off',
    describe: (settings) => `notifications: ${feedbackSettingsFrom(settings).notify}`,
    problems: () => [],
    probe: probeOnly((settings) => ({ notify: settings.notify })),
    create: ({ settings }, shared) => createNotifications(feedbackSettingsFrom(settings), shared),
  },
  cues: {
    summary: 'a short sound at start, at stop and on failure (sounds, soundVolume)',
    on: (settings) => (feedbackSettingsFrom(settings).sounds?.length ?? 0) > 0,
    describe(settings, env) {
      const resolved = feedbackSettingsFrom(settings);
      if (!resolved.sounds?.length) return 'sounds: off';
      const player = findSoundCommand(process.platform, env);
      return `sounds: ${resolved.sounds.join(', ')} ${player ? `(${player.command}, volume ${resolved.soundVolume ?? 60})` : '(no player found: install pipewire-bin, pulseaudio-utils or alsa-utils)'}`;
    },
    problems: () => [],
    probe: probeOnly((settings) => ({
      sounds: settings.sounds ?? [],
      ...(settings.soundVolume !== undefined ? { soundVolume: settings.soundVolume } : {}),
    })),
    create: ({ settings }, shared) => createCues(feedbackSettingsFrom(settings), shared),
  },
  media: {
    summary: 'music and videos (MPRIS players) paused while you dictate (pauseMedia)',
    on: (settings) => feedbackSettingsFrom(settings).pauseMedia === true,
    describe: (settings) =>
      feedbackSettingsFrom(settings).pauseMedia
        ? 'media paused while recording'
        : 'media not paused',
    problems: () => [],
    probe: probeOnly(() => ({ pauseMedia: true })),
    create: ({ settings }, shared) => createMediaPause(feedbackSettingsFrom(settings), shared),
  },
} satisfies Record<FeedbackName, FeedbackRow>;

const rows = (): FeedbackRow[] => Object.values(FEEDBACK);

/** The feedback in force, in words, for `whis status`: "notifications: errors; sounds: off; …". */
export const describeFeedbackRows = (settings: Settings, env: NodeJS.ProcessEnv): string =>
  rows()
    .map((row) => row.describe(settings, env))
    .join('; ');

/** The kinds the settings turn on. */
export const feedbackFor = (settings: Settings): FeedbackRow[] =>
  rows().filter((row) => row.on(settings));
