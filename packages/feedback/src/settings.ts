import type { FeedbackSettings } from './feedback.js';
import { NOTIFY_LEVELS, type NotifyLevel } from './notify.js';
import { CUES, findSoundCommand, type Cue } from './sounds.js';

/** The settings-file keys feedback reads (a subset of `@whis/config`'s Settings). */
export interface FeedbackSettingsInput {
  notify?: string;
  pauseMedia?: boolean;
  sounds?: readonly string[];
  soundVolume?: number;
  /** With the microphone kept open, a recording begins with the audio before the press. */
  keepMicrophoneOpen?: boolean;
}

/**
 * Feedback settings from the settings file. With `keepMicrophoneOpen` the start cue is left out:
 * the recording then begins with the half second before the press, taken from a microphone that is
 * already listening, and a cue that began before that audio was taken would be in it.
 */
export function feedbackSettingsFrom(settings: FeedbackSettingsInput): FeedbackSettings {
  const notify = NOTIFY_LEVELS.includes(settings.notify as NotifyLevel)
    ? (settings.notify as NotifyLevel)
    : 'errors';
  const sounds = (settings.sounds ?? []).filter(
    (cue): cue is Cue =>
      CUES.includes(cue as Cue) && !(cue === 'start' && settings.keepMicrophoneOpen),
  );
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
  if (settings.keepMicrophoneOpen && settings.sounds?.includes('start'))
    parts.push('no start sound with keepMicrophoneOpen');
  parts.push(resolved.pauseMedia ? 'media paused while recording' : 'media not paused');
  return parts.join('; ');
}
