import { WhisError } from '@whis/contracts';
export type FeedbackErrorCode = 'no-session-bus' | 'dbus-failed' | 'dbus-timeout';

/** A feedback failure: `code` for programs, a message that says what to do, the original as `cause`. */
export class FeedbackError extends WhisError<'feedback', FeedbackErrorCode> {
  constructor(code: FeedbackErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('FeedbackError', 'feedback', code, message, options);
  }
}
