/** How long one upload of a piece of audio may take. */
export interface UploadBudget {
  /** One attempt: from the first byte sent to the answer. */
  attemptMs: number;
  /** Every attempt of the upload together, the waits between them included. */
  totalMs: number;
}

/** An attempt: 10 s, plus 1 s per second of audio (the upload and the model's time both grow with it). */
const ATTEMPT_FLOOR_MS = 10_000;
const ATTEMPT_PER_AUDIO_SECOND_MS = 1000;
/** All attempts: 25 s plus 2 s per second of audio, so about two and a half attempts' worth. */
const TOTAL_FLOOR_MS = 25_000;
const TOTAL_PER_AUDIO_SECOND_MS = 2000;

/**
 * Audio of unknown length (a file given to `whis transcribe`) is taken to be as long as its size
 * at 32 kbit/s, the rate whis records at: a file of a higher rate gets more time than its length, a
 * 16 kbit/s voice message half its length (plus the floor, still far more than a cloud endpoint
 * takes; `uploadTimeoutScale` is there for slow servers).
 */
const ASSUMED_BYTES_PER_SECOND = 4000;

/**
 * The time budget of an upload of `audioMs` of audio (or, when that is unknown, of `bytes` of it):
 * a floor plus a multiple of the audio's length, times `scale` (the `uploadTimeoutScale` setting,
 * for slow self-hosted servers). A 3 s dictation gets 13 s an attempt and 31 s in all; a 25 s
 * segment 35 s and 75 s; a 10-minute file 610 s and 1225 s.
 */
export function uploadBudget(
  audio: { durationMs?: number; bytes?: number },
  scale = 1,
): UploadBudget {
  const seconds =
    audio.durationMs && audio.durationMs > 0
      ? audio.durationMs / 1000
      : (audio.bytes ?? 0) / ASSUMED_BYTES_PER_SECOND;
  const factor = scale > 0 && Number.isFinite(scale) ? scale : 1;
  return {
    attemptMs: Math.round(factor * (ATTEMPT_FLOOR_MS + ATTEMPT_PER_AUDIO_SECOND_MS * seconds)),
    totalMs: Math.round(factor * (TOTAL_FLOOR_MS + TOTAL_PER_AUDIO_SECOND_MS * seconds)),
  };
}

/**
 * The wait before attempt `attempt + 1`: what the server asked for (`retry-after-ms`,
 * `retry-after` in seconds or as a date), else 0.5 s doubling up to 8 s, less up to a quarter of
 * jitter (the openai SDK's own policy).
 */
export function retryDelayMs(attempt: number, headers?: Headers): number {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const after = headers?.get('retry-after');
  if (after) {
    const seconds = Number.parseFloat(after);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(after);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  const base = Math.min(500 * 2 ** (attempt - 1), 8000);
  return base * (1 - Math.random() * 0.25);
}
