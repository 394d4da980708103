import { WhisError } from '@whis/contracts';
export type PostProcessErrorCode =
  'invalid-replacements' | 'invalid-settings' | 'unknown-step' | 'command-failed';

/** A post-processing failure: `code` for programs, a message that says what to fix. */
export class PostProcessError extends WhisError<'postprocess', PostProcessErrorCode> {
  constructor(code: PostProcessErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('PostProcessError', 'postprocess', code, message, options);
  }
}

export type EditErrorCode =
  /** Nothing was said: no instruction to apply. */
  | 'no-instruction'
  /** No connection to the endpoint (nothing listens, a refused or dropped connection, DNS). */
  | 'unreachable'
  /** No answer within the edit's budget. */
  | 'timeout'
  /** The caller cancelled the edit. */
  | 'cancelled'
  /** The model said no (the `refusal` field). */
  | 'refused'
  /** An answer that cannot replace the selection (empty, the instruction echoed, cut off); `message` says why. */
  | 'rejected'
  /** 401: the API key was refused. */
  | 'auth'
  /** 404: the endpoint has no such model (or no chat completions at that URL). */
  | 'model-unavailable'
  /** 429: rate limited or out of quota. */
  | 'rate-limited'
  /** Any other HTTP error, or a reply that is not a completion. */
  | 'failed';

/**
 * An edit by voice that did not happen: `code` for programs, a message that says what to do and
 * that the selection was left as it was, the SDK's error as `cause`, the HTTP `status` if any.
 */
export class EditError extends WhisError<'edit', EditErrorCode> {
  readonly status: number | undefined;
  constructor(
    code: EditErrorCode,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super('EditError', 'edit', code, message, options);
    this.status = options.status;
  }
}
