import type { AudioChunk, Level } from '../types.js';

/** The level, chunk and error listeners of one capture, with the `on…` methods the port exposes. */
export function captureListeners() {
  const levels = new Set<(level: Level) => void>();
  const errors = new Set<(error: Error) => void>();
  const chunks = new Set<(chunk: AudioChunk) => void>();
  return {
    emitChunk: (chunk: AudioChunk) => chunks.forEach((listener) => listener(chunk)),
    onChunk(listener: (chunk: AudioChunk) => void): () => void {
      chunks.add(listener);
      return () => chunks.delete(listener);
    },
    emitLevel: (level: Level) => levels.forEach((listener) => listener(level)),
    emitError: (error: Error) => errors.forEach((listener) => listener(error)),
    onLevel(listener: (level: Level) => void): () => void {
      levels.add(listener);
      return () => levels.delete(listener);
    },
    onError(listener: (error: Error) => void): () => void {
      errors.add(listener);
      return () => errors.delete(listener);
    },
  };
}
