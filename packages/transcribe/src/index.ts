export {
  createTranscriber,
  prepareTranscriber,
  type Transcriber,
  type TranscriberOptions,
  type TranscribeCallOptions,
  type AudioChunkInput,
  type UploadAttempt,
} from './transcriber.js';
export { uploadBudget, type UploadBudget } from './budget.js';
// the shared upload loop, for the providers of other APIs (Deepgram, ElevenLabs)
export {
  createUploadTranscriber,
  statusError,
  CONTEXT_CHARS,
  type UploadProvider,
  type UploadLoopOptions,
  type Tries,
} from './uploads.js';
// the Realtime client (and `ws`) load with the first session, or from `@whis/transcribe/realtime`
export type { RealtimeOptions } from './realtime.js';
export { openRealtimeSession } from './live.js';
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
export {
  transcribePieces,
  openPieceCache,
  formatClock,
  type Piece,
  type PieceResult,
  type PieceStore,
  type PieceProgress,
  type TranscribePiecesOptions,
  type FileIdentity,
} from './pieces.js';
export { formatSubtitles, type SubtitleFormat } from './subtitles.js';
