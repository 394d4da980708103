export {
  createTranscriber,
  type Transcriber,
  type TranscriberOptions,
  type TranscribeCallOptions,
  type AudioChunkInput,
} from './transcriber.js';
export {
  DEFAULT_MODEL,
  LEGACY_SHUTDOWN,
  checkModel,
  modelFamily,
  requestFields,
  type ModelFamily,
  type ModelHints,
} from './models.js';
export { resolveTranscriberOptions, type TranscriberSettings } from './options.js';
export { mergeTranscripts, isSilenceHallucination } from './merge.js';
export { TranscribeError, type TranscribeErrorCode } from './errors.js';
