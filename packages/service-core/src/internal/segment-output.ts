import type { ServiceEvent } from '@whis/ipc';
import type { Logger, Output } from '../ports.js';
import { errorId, type ErrorId } from './error-codes.js';

/**
 * Delivers each segment's final text as it comes, in order, one delivery at a time: typing while
 * the speaker goes on. Segments after the first of a recording begin with a space, so that the
 * typed pieces read as the transcript does.
 */
export function segmentDelivery(
  output: Output,
  logger: Logger,
  reportError: (error: ErrorId, message: string, recordingId?: string) => unknown,
): (event: ServiceEvent) => void {
  let queue = Promise.resolve();
  let recording: string | undefined;
  let typedAny = false;
  return (event) => {
    if (event.type !== 'transcript.segment' || event.text.length === 0) return;
    if (event.recordingId !== recording) {
      recording = event.recordingId;
      typedAny = false;
    }
    const text = typedAny ? ` ${event.text}` : event.text;
    typedAny = true;
    queue = queue
      .then(() => output.deliver(text))
      .catch((err: unknown) => {
        logger.warn({ err, recordingId: event.recordingId }, 'segment output failed');
        reportError(
          errorId(err, { domain: 'output', code: 'output-failed' }),
          `Could not deliver a segment: ${(err as Error).message} The transcript is saved: \`whis last\`.`,
          event.recordingId,
        );
      });
  };
}
