export {
  createTranscriber,
  DEFAULT_MODEL,
  type Transcriber,
  type TranscriberOptions,
  type TranscribeCallOptions,
  type AudioChunkInput,
} from './transcriber.js';
export { resolveTranscriberOptions, type TranscriberSettings } from './options.js';
export { mergeTranscripts, isSilenceHallucination } from './merge.js';
export { TranscribeError, type TranscribeErrorCode } from './errors.js';
