export type * from './ports.js';
export { ExitCode, type ExitCodeValue } from './exit-codes.js';
export { WhisError, isWhisError, exitCodeFor, diskFullMessage } from './errors.js';
export { silentLogger } from './logger.js';
export { deadline, isTimeout, untilAborted } from './deadline.js';
export {
  AUDIO_MIME_TYPES,
  audioMimeType,
  isWaylandSession,
  hasDisplay,
  wavFile,
} from './values.js';
export {
  ENGINE_NAMES,
  PROVIDER_NAMES,
  type ProviderName,
  TRIGGER_NAMES,
  OUTPUT_NAMES,
  KEYBOARD_NAMES,
  STEP_NAMES,
  FINAL_PUNCTUATIONS,
  NOTIFY_LEVELS,
  CUES,
  FEEDBACK_NAMES,
  SELECTION_MODES,
  type EngineName,
  type TriggerName,
  type OutputName,
  type KeyboardName,
  type StepName,
  type FinalPunctuation,
  type NotifyLevel,
  type Cue,
  type FeedbackName,
  type SelectionMode,
} from './names.js';
export { lazyModule, type LazyModule } from './lazy.js';
