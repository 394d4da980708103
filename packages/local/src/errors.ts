import { WhisError } from '@whis/contracts';

export type LocalErrorCode =
  | 'unknown-model'
  | 'not-installed'
  | 'model-damaged'
  | 'model-failed'
  | 'recognizer-died'
  | 'download-failed'
  | 'hash-mismatch'
  | 'disk-full'
  | 'aborted'
  | 'invalid-folder'
  | 'already-installed';

/** A failure of the offline engine or its models: `code` for programs, a message that says what to do. */
export class LocalError extends WhisError<'local', LocalErrorCode> {
  constructor(code: LocalErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('LocalError', 'local', code, message, options);
  }
}
