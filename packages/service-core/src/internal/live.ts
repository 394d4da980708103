import type { LiveSession, LiveTranscriber, Logger } from '../ports.js';

/**
 * Opens a recording's live transcription, or answers undefined when none is configured or it
 * cannot start (the segments are then uploaded as in file mode). Opening reads settings; it does
 * not wait for the network: the session connects as the first audio arrives.
 */
export async function openLive(
  live: LiveTranscriber,
  onDelta: (segment: number, delta: string) => void,
  logger: Logger,
): Promise<LiveSession | undefined> {
  try {
    return (await live.open({ onDelta })) ?? undefined;
  } catch (err) {
    logger.warn({ err }, 'the live transcription did not start; segments are uploaded instead');
    return undefined;
  }
}
