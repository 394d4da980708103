import type { FeedbackSettings } from './feedback.js';
import { NOTIFY_LEVELS, type NotifyLevel } from './notify.js';
import { CUES, findSoundCommand, type Cue } from './sounds.js';

/** The settings-file keys feedback reads (a subset of `@whis/config`'s Settings). */
export interface FeedbackSettingsInput {
  notify?: string;
  pauseMedia?: boolean;
  sounds?: readonly string[];
  soundVolume?: number;
}

/** Feedback settings from the settings file; unknown values fall back to the defaults. */
export function feedbackSettingsFrom(settings: FeedbackSettingsInput): FeedbackSettings {
  const notify = NOTIFY_LEVELS.includes(settings.notify as NotifyLevel)
    ? (settings.notify as NotifyLevel)
    : 'errors';
  const sounds = (settings.sounds ?? []).filter((cue): cue is Cue => CUES.includes(cue as Cue));
  return {
    notify,
    pauseMedia: settings.pauseMedia ?? false,
    sounds,
    ...(settings.soundVolume !== undefined ? { soundVolume: settings.soundVolume } : {}),
  };
}

/** The feedback in force, in words, for `whis status`: "notifications: errors; sounds: start, stop (paplay); media paused while recording". */
export function describeFeedback(
  settings: FeedbackSettingsInput,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const resolved = feedbackSettingsFrom(settings);
  const parts = [`notifications: ${resolved.notify}`];
  if (resolved.sounds && resolved.sounds.length > 0) {
    const player = findSoundCommand(platform, env);
    parts.push(
      `sounds: ${resolved.sounds.join(', ')} ${player ? `(${player.command}, volume ${resolved.soundVolume ?? 60})` : '(no player found: install pipewire-bin, pulseaudio-utils or alsa-utils)'}`,
    );
  } else parts.push('sounds: off');
  parts.push(resolved.pauseMedia ? 'media paused while recording' : 'media not paused');
  return parts.join('; ');
}
