import { NOTIFY_LEVELS, type NotifyLevel } from '@whis/contracts';
import { runProcess, type ProcessError } from '@whis/process';
import { keptConnection, loadDBus, type SessionBus } from './dbus.js';

// The levels (errors, the default; all; off) are `@whis/contracts`' list, which the settings check
// without loading this package; notificationFor below is what each means.
export { NOTIFY_LEVELS, type NotifyLevel };

/**
 * What a notification is about. A new notification of a kind replaces the one of that kind still
 * on screen, so that repeated failures or transcripts do not pile up.
 */
export type NotificationKind =
  'transcription' | 'microphone' | 'hotkey' | 'output' | 'journal' | 'transcript' | 'edit';

export type Urgency = 'low' | 'normal' | 'critical';

export interface Notification {
  kind: NotificationKind;
  title: string;
  body: string;
  urgency: Urgency;
}

/** Shows desktop notifications. */
export interface Notifier {
  /** e.g. `org.freedesktop.Notifications`, `osascript`. */
  readonly name: string;
  show(notification: Notification): Promise<void>;
  close(): void;
}

const URGENCY: Record<Urgency, number> = { low: 0, normal: 1, critical: 2 };

/**
 * Notifications through the freedesktop Notifications service on the session bus (dunst, GNOME
 * Shell, KDE Plasma, mako, …). The bus is connected on the first notification (and again after it
 * was lost); each kind keeps the id of its last notification and passes it as `replaces_id`.
 */
export function createDesktopNotifier(connect: () => Promise<SessionBus>): Notifier {
  const bus = keptConnection(connect);
  const last = new Map<NotificationKind, number>();
  return {
    name: 'org.freedesktop.Notifications',
    async show({ kind, title, body, urgency }) {
      const connected = await bus.get();
      const dbus = await loadDBus();
      try {
        const [id] = await connected.call({
          destination: 'org.freedesktop.Notifications',
          path: '/org/freedesktop/Notifications',
          interface: 'org.freedesktop.Notifications',
          member: 'Notify',
          signature: 'susssasa{sv}i',
          body: [
            'whis',
            last.get(kind) ?? 0,
            'audio-input-microphone',
            title,
            body,
            [],
            {
              urgency: new dbus.Variant('y', URGENCY[urgency]),
              category: new dbus.Variant(
                's',
                kind === 'transcript' ? 'transfer.complete' : 'device.error',
              ),
              'desktop-entry': new dbus.Variant('s', 'whis'),
            },
            -1,
          ],
        });
        last.set(kind, id as number);
      } catch (err) {
        // the next notification reconnects (the bus or the notification service may have restarted)
        bus.drop();
        throw err;
      }
    },
    close() {
      bus.drop();
    },
  };
}

/** A program and its arguments, run without a shell. */
export interface Command {
  command: string;
  args: string[];
}

// AppleScript string literal: backslashes and double quotes escaped.
const appleString = (text: string) => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
// PowerShell single-quoted literal: a quote is doubled, nothing else is special.
const psString = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The Windows PowerShell app id, registered on every Windows 10/11: a toast needs a registered one. */
export const POWERSHELL_APP_ID =
  '{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\\WindowsPowerShell\\v1.0\\powershell.exe';

/**
 * The command that shows `notification` on macOS (`osascript`'s `display notification`) or Windows
 * (a PowerShell toast whose tag is the kind, so that a new one of the kind replaces the last), or
 * undefined on other platforms (they use the D-Bus service).
 */
export function notificationCommand(
  platform: NodeJS.Platform,
  { kind, title, body }: Notification,
): Command | undefined {
  if (platform === 'darwin') {
    return {
      command: 'osascript',
      args: [
        '-e',
        `display notification ${appleString(body)} with title "whis" subtitle ${appleString(title)}`,
      ],
    };
  }
  if (platform === 'win32') {
    const script = [
      "$ErrorActionPreference = 'Stop'",
      '[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] | Out-Null',
      '$xml = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)',
      '$text = $xml.GetElementsByTagName("text")',
      `$text.Item(0).AppendChild($xml.CreateTextNode(${psString(title)})) | Out-Null`,
      `$text.Item(1).AppendChild($xml.CreateTextNode(${psString(body)})) | Out-Null`,
      '$toast = [Windows.UI.Notifications.ToastNotification]::new($xml)',
      `$toast.Tag = ${psString(kind)}`,
      "$toast.Group = 'whis'",
      `[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier(${psString(POWERSHELL_APP_ID)}).Show($toast)`,
    ].join('; ');
    return {
      command: 'powershell.exe',
      args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script],
    };
  }
  return undefined;
}

/** Notifications through a command per notification (macOS, Windows). */
export function createCommandNotifier(
  platform: NodeJS.Platform,
  runCommand: (command: Command) => Promise<void> = runToEnd,
): Notifier {
  return {
    name: platform === 'darwin' ? 'osascript' : 'powershell',
    async show(notification) {
      const command = notificationCommand(platform, notification);
      if (command) await runCommand(command);
    },
    close: () => undefined,
  };
}

// notify-send or PowerShell, ended with what it started if it hangs (a notification daemon that
// never answers)
async function runToEnd({ command, args }: Command): Promise<void> {
  try {
    await runProcess({ command, args, timeoutMs: 10_000 });
  } catch (err) {
    const { stderr, message } = err as ProcessError;
    throw new Error(`${command} failed: ${stderr?.trim() || message}`, { cause: err });
  }
}

/** The events the notifications follow: the service's `error` and `transcript` events (structurally). */
export type NotifiableEvent =
  | {
      type: 'transcript';
      recordingId: string;
      text: string;
      /** An edit by voice: what was done with its answer. */
      edit?: { outcome: 'replaced' | 'written' };
    }
  | {
      type: 'error';
      error: { domain?: string; code: string; message: string; recordingId?: string };
    }
  /** The hotkey could not be bound (the trigger reported itself unavailable). */
  | { type: 'hotkey-unavailable'; reason: string };

const MICROPHONE = new Set([
  'no-device',
  'device-not-found',
  'device-busy',
  'device-failed',
  'device-lost',
  'native-unavailable',
  'audio-failed',
]);
const OUTPUT = new Set([
  'type-failed',
  'paste-failed',
  'output-failed',
  'outputs-failed',
  'missing-tool',
  'no-clipboard',
  'tool-failed',
]);
// Not failures that need the user: a silent recording, a cancel they asked for.
const QUIET = new Set(['no-speech', 'cancelled', 'not-recording', 'shutting-down']);

const shorten = (text: string, max = 240) =>
  text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;

/** The notification an event calls for at `level`, or undefined. */
export function notificationFor(
  event: NotifiableEvent,
  level: NotifyLevel,
): Notification | undefined {
  if (level === 'off') return undefined;
  if (event.type === 'hotkey-unavailable') {
    return {
      kind: 'hotkey',
      title: 'Hotkey not available',
      body: `${event.reason} \`whis toggle\` still works.`,
      urgency: 'normal',
    };
  }
  if (event.type === 'transcript') {
    if (level !== 'all' || event.text.trim() === '') return undefined;
    const title = !event.edit
      ? 'Transcribed'
      : event.edit.outcome === 'replaced'
        ? 'Replaced the selection'
        : 'Nothing selected: written at the cursor';
    return { kind: 'transcript', title, body: shorten(event.text), urgency: 'low' };
  }
  const { domain, code, message } = event.error;
  if (QUIET.has(code) && (domain === undefined || domain === 'host')) return undefined;
  // an edit by voice that was not made: the selection is as it was (the message says why)
  if (domain === 'edit' || (domain === 'output' && code.startsWith('selection-')))
    return { kind: 'edit', title: 'Selection not changed', body: message, urgency: 'normal' };
  // the part that failed decides; the bare code only for a service too old to name it
  const part =
    domain === 'audio' || (domain === undefined && MICROPHONE.has(code))
      ? 'microphone'
      : domain === 'output' || (domain === undefined && OUTPUT.has(code))
        ? 'output'
        : 'transcription';
  // the journal fails with a recording's id only while storing its transcript (the text went on to
  // the outputs); without one, no new recording could be started
  if (domain === 'journal')
    return {
      kind: 'journal',
      title: event.error.recordingId ? 'Transcript not saved' : 'Recording not started',
      body: message,
      urgency: event.error.recordingId ? 'normal' : 'critical',
    };
  if (part === 'microphone')
    return { kind: 'microphone', title: 'Microphone problem', body: message, urgency: 'critical' };
  if (part === 'output')
    return {
      kind: 'output',
      title: /clipboard/i.test(message)
        ? 'Text not typed: it is on the clipboard'
        : 'Text not delivered',
      body: message,
      urgency: 'normal',
    };
  return {
    kind: 'transcription',
    title: 'Transcription failed',
    body: message.replace(/^Transcription failed: /, ''),
    urgency: 'critical',
  };
}
