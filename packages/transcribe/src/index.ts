export {
  createTranscriber,
  type Transcriber,
  type TranscriberOptions,
  type TranscribeCallOptions,
  type AudioChunkInput,
} from './transcriber.js';
export {
  RealtimeSession,
  Upsampler,
  REALTIME_RATE,
  realtimeURL,
  createRealtimeTranscriber,
  type RealtimeOptions,
} from './realtime.js';
export {
  DEFAULT_MODEL,
  LIVE_MODEL,
  TRANSCRIPTION_MODES,
  resolveModels,
  type TranscriptionMode,
  LEGACY_SHUTDOWN,
  checkModel,
  modelFamily,
  requestFields,
  type ModelFamily,
  type ModelHints,
} from './models.js';
export {
  resolveTranscriberOptions,
  resolveRealtimeOptions,
  type TranscriberSettings,
} from './options.js';
export { mergeTranscripts, isSilenceHallucination } from './merge.js';
export { TranscribeError, type TranscribeErrorCode } from './errors.js';
