export type PostProcessErrorCode =
  'invalid-replacements' | 'invalid-settings' | 'unknown-step' | 'llm-failed' | 'command-failed';

/** A post-processing failure: `code` for programs, a message that says what to fix. */
export class PostProcessError extends Error {
  readonly code: PostProcessErrorCode;
  constructor(code: PostProcessErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PostProcessError';
    this.code = code;
  }
}
