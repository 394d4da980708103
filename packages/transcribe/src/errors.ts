import { WhisError } from '@whis/contracts';
export type TranscribeErrorCode =
  | 'no-api-key'
  | 'auth'
  | 'forbidden'
  | 'bad-request'
  | 'too-large'
  | 'rate-limited'
  | 'server'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'bad-response'
  | 'model-unavailable'
  /** A setting the transcriber reads has a value it cannot use. */
  | 'invalid-setting'
  /** A segment could not be transcribed live (dropped connection, refused session): it is uploaded. */
  | 'live-failed'
  /** A piece of a long recording failed after its retries; the message names it and its time range. */
  | 'piece-failed';

/** A transcription failure: `code` for programs, a message that says what to do, the SDK's error as `cause`. */
export class TranscribeError extends WhisError<'transcribe', TranscribeErrorCode> {
  readonly status: number | undefined;
  constructor(
    code: TranscribeErrorCode,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super('TranscribeError', 'transcribe', code, message, options);
    this.status = options.status;
  }
}
