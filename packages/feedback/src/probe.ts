import { connectSessionBus, type SessionBus } from './dbus.js';
import { createMediaPauser } from './media.js';
import { feedbackSettingsFrom, type FeedbackSettingsInput } from './settings.js';
import { findSoundCommand } from './sounds.js';

/** One finding of `probeFeedback`: what works, or what is missing and how to fix it. */
export interface FeedbackProbe {
  name: 'Notifications' | 'Media players' | 'Sounds';
  ok: boolean;
  detail: string;
  fix?: string;
}

/**
 * Checks what the feedback settings need, for `whis doctor`: the notification service on the
 * session bus (Linux, unless `notify` is off), the MPRIS players reachable (with `pauseMedia`), a
 * player for the sounds (when any is on). Nothing that is off is checked.
 */
export async function probeFeedback(
  settings: FeedbackSettingsInput,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<FeedbackProbe[]> {
  const resolved = feedbackSettingsFrom(settings);
  const probes: FeedbackProbe[] = [];
  const needsBus = (resolved.notify !== 'off' && platform === 'linux') || resolved.pauseMedia;
  let bus: SessionBus | undefined;
  let busError: Error | undefined;
  if (needsBus) {
    try {
      bus = await connectSessionBus({ env, timeoutMs: 1500 });
    } catch (err) {
      busError = err as Error;
    }
  }
  try {
    if (resolved.notify !== 'off' && platform === 'linux') {
      const names = bus ? await bus.listNames().catch(() => [] as string[]) : [];
      const ok = names.includes('org.freedesktop.Notifications');
      probes.push(
        ok
          ? {
              name: 'Notifications',
              ok,
              detail: `org.freedesktop.Notifications answers (notify ${resolved.notify})`,
            }
          : {
              name: 'Notifications',
              ok,
              detail: busError
                ? busError.message
                : 'no notification service on the session bus (org.freedesktop.Notifications)',
              fix: 'Run a notification daemon (your desktop has one; on a bare window manager: dunst or mako), or `whis config set notify off`.',
            },
      );
    } else if (resolved.notify !== 'off') {
      probes.push({
        name: 'Notifications',
        ok: true,
        detail: `${platform === 'darwin' ? 'osascript' : 'PowerShell toasts'} (notify ${resolved.notify})`,
      });
    }
    if (resolved.pauseMedia) {
      if (!bus) {
        probes.push({
          name: 'Media players',
          ok: false,
          detail: busError?.message ?? 'no session bus',
          fix: 'Start whis from your desktop session (MPRIS players are on its D-Bus session bus).',
        });
      } else {
        const connected = bus;
        const pauser = createMediaPauser(async () => ({ ...connected, close: () => undefined }));
        const players = await pauser.players().catch(() => [] as string[]);
        probes.push({
          name: 'Media players',
          ok: true,
          detail:
            players.length > 0
              ? `${players.length} MPRIS player${players.length === 1 ? '' : 's'} reachable: ${players.map((p) => p.replace('org.mpris.MediaPlayer2.', '')).join(', ')}`
              : 'the session bus is reachable; no MPRIS player runs right now',
        });
      }
    }
    if (resolved.sounds && resolved.sounds.length > 0) {
      const player = findSoundCommand(platform, env);
      probes.push(
        player
          ? {
              name: 'Sounds',
              ok: true,
              detail: `${resolved.sounds.join(', ')} through ${player.command}`,
            }
          : {
              name: 'Sounds',
              ok: false,
              detail: 'no sound player found (pw-play, paplay or aplay)',
              fix: 'Install pipewire-bin, pulseaudio-utils or alsa-utils, or `whis config unset sounds`.',
            },
      );
    }
  } finally {
    bus?.close();
  }
  return probes;
}
