export { FeedbackError, type FeedbackErrorCode } from './errors.js';
export {
  connectSessionBus,
  loadDBus,
  type SessionBus,
  type SessionBusOptions,
  type MethodCall,
} from './dbus.js';
export {
  createDesktopNotifier,
  createCommandNotifier,
  notificationCommand,
  notificationFor,
  NOTIFY_LEVELS,
  POWERSHELL_APP_ID,
  type Command,
  type NotifiableEvent,
  type Notification,
  type NotificationKind,
  type Notifier,
  type NotifyLevel,
  type Urgency,
} from './notify.js';
export { createMediaPauser, type MediaPauser, type PausedMedia } from './media.js';
export {
  createSoundPlayer,
  findSoundCommand,
  findSoundCommands,
  soundCommandLine,
  synthesizeCue,
  cueWav,
  cueDurationMs,
  cueFrequencies,
  CUES,
  CUE_RATE,
  type Cue,
  type SoundCommand,
  type SoundPlayer,
  type SoundPlayerOptions,
} from './sounds.js';
export {
  createFeedback,
  createFeedbackShared,
  createNotifications,
  createCues,
  createMediaPause,
  combineFeedback,
  type Feedback,
  type FeedbackPart,
  type FeedbackShared,
  type FeedbackEvent,
  type FeedbackOptions,
  type FeedbackSettings,
} from './feedback.js';
export { feedbackSettingsFrom, describeFeedback, type FeedbackSettingsInput } from './settings.js';
export { probeFeedback, type FeedbackProbe } from './probe.js';
