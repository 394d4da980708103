export type FeedbackErrorCode = 'no-session-bus' | 'dbus-failed' | 'dbus-timeout' | 'no-player';

/** A feedback failure: `code` for programs, a message that says what to do, the original as `cause`. */
export class FeedbackError extends Error {
  readonly code: FeedbackErrorCode;
  constructor(code: FeedbackErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'FeedbackError';
    this.code = code;
  }
}
