// Structurally the audio ports of @whis/service-core (this package does not import it).

export interface Level {
  rms: number;
  peak: number;
}

export interface AudioChunk {
  path: string;
  mimeType: string;
  startMs: number;
  durationMs: number;
  bytes: number;
}

export interface CapturedAudio {
  chunks: AudioChunk[];
  durationMs: number;
  speechDetected: boolean;
}

export interface Capture {
  onLevel(listener: (level: Level) => void): () => void;
  /** Each chunk once it is closed and decodable, while recording goes on (the last comes from `stop()`). */
  onChunk(listener: (chunk: AudioChunk) => void): () => void;
  onError(listener: (error: Error) => void): () => void;
  stop(): Promise<CapturedAudio>;
  abort(): Promise<void>;
}

export interface AudioSource {
  start(options: { directory: string }): Promise<Capture>;
}
