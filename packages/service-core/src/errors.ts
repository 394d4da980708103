export type ServiceErrorCode =
  | 'insecure-dir'
  | 'already-running'
  | 'unresponsive'
  | 'instance-failed'
  | 'not-recording'
  | 'not-found'
  | 'unavailable'
  | 'shutting-down'
  | 'journal-failed'
  | 'disk-full';

/** Errors of @whis/service-core: a `code` for programs, a message that says what to do. */
export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  /** For `already-running` / `unresponsive`: the other daemon's pid, when known. */
  readonly pid: number | undefined;
  constructor(
    code: ServiceErrorCode,
    message: string,
    options: { cause?: unknown; pid?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.pid = options.pid;
  }
}
