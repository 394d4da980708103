export type * from './ports.js';
export { ExitCode, type ExitCodeValue } from './exit-codes.js';
export { WhisError, isWhisError, exitCodeFor, diskFullMessage } from './errors.js';
export { silentLogger } from './logger.js';
export {
  AUDIO_MIME_TYPES,
  audioMimeType,
  isWaylandSession,
  hasDisplay,
  wavFile,
  KEYBOARD_NAMES,
  type KeyboardName,
} from './values.js';
