export type OutputErrorCode =
  | 'missing-tool'
  | 'no-clipboard'
  | 'tool-failed'
  | 'write-failed'
  | 'outputs-failed'
  | 'paste-failed'
  | 'type-failed';

/** A delivery failure: `code` for programs, a message naming what to install or fix. */
export class OutputError extends Error {
  readonly code: OutputErrorCode;
  constructor(code: OutputErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'OutputError';
    this.code = code;
  }
}
