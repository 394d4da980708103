export type {
  Level,
  AudioChunk,
  CaptureOptions,
  CapturedAudio,
  Capture,
  AudioSource,
  TranscribeOptions,
  Transcriber,
  Output,
  TriggerEvent,
  Trigger,
  Logger,
  Clock,
} from './ports.js';
export { ExitCode, type ExitCodeValue } from './exit-codes.js';
export { silentLogger } from './logger.js';
