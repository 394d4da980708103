export type InstanceErrorCode =
  | 'insecure-dir'
  | 'path-too-long'
  | 'already-running'
  | 'unresponsive'
  | 'instance-failed'
  | 'not-recording'
  | 'not-found'
  | 'unavailable'
  | 'shutting-down'
  | 'journal-failed'
  | 'journal-locked'
  | 'already-transcribing'
  | 'disk-full';

/**
 * The one error class of @whis/service-core: a `code` for programs (the CLI maps it to an exit
 * code), a message that says what to do, and the original error as `cause`.
 */
export class InstanceError extends Error {
  readonly code: InstanceErrorCode;
  /** For `already-running` / `unresponsive`: the other daemon's pid, when known. */
  readonly pid: number | undefined;
  constructor(
    code: InstanceErrorCode,
    message: string,
    options: { cause?: unknown; pid?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'InstanceError';
    this.code = code;
    this.pid = options.pid;
  }
}
