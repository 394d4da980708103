import { WhisError } from '@whis/contracts';
export type PostProcessErrorCode =
  'invalid-replacements' | 'invalid-settings' | 'unknown-step' | 'command-failed';

/** A post-processing failure: `code` for programs, a message that says what to fix. */
export class PostProcessError extends WhisError<'postprocess', PostProcessErrorCode> {
  constructor(code: PostProcessErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('PostProcessError', 'postprocess', code, message, options);
  }
}
