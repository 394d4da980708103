import type { Level } from '../types.js';

/** The level and error listeners of one capture, with the `onLevel`/`onError` the port exposes. */
export function captureListeners() {
  const levels = new Set<(level: Level) => void>();
  const errors = new Set<(error: Error) => void>();
  return {
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
