// The ports live in @whis/contracts, at the bottom of the graph, so adapters share them without
// importing the service; they are re-exported here as part of this package's public API.
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
} from '@whis/contracts';
