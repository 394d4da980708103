import type { AudioChunk, Capture as CapturePort } from '@whis/contracts';

export type {
  Level,
  AudioChunk,
  CapturedAudio,
  CaptureOptions,
  AudioSource,
} from '@whis/contracts';

/** The port's Capture, whose `onChunk` this package always provides. */
export interface Capture extends CapturePort {
  /** Each chunk once it is closed and decodable, while recording goes on (the last comes from `stop()`). */
  onChunk(listener: (chunk: AudioChunk) => void): () => void;
}
