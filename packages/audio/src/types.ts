import type { AudioChunk, Capture as CapturePort } from '@whis/contracts';

export type { Level, AudioChunk, CapturedAudio, AudioSource } from '@whis/contracts';

/** The port's Capture, whose `onChunk` and `onPcm` this package always provides. */
export interface Capture extends CapturePort {
  /** Each chunk once it is closed and decodable, while recording goes on (the last comes from `stop()`). */
  onChunk(listener: (chunk: AudioChunk) => void): () => void;
  /** The kept audio, 16 kHz mono, with the index of the chunk it goes into. */
  onPcm(listener: (pcm: Int16Array, segment: number) => void): () => void;
}
