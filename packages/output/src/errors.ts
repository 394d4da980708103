import { WhisError } from '@whis/contracts';
export type OutputErrorCode =
  | 'missing-tool'
  | 'no-clipboard'
  | 'tool-failed'
  | 'write-failed'
  | 'outputs-failed'
  | 'paste-failed'
  | 'type-failed'
  /** A paste chord that is not modifiers and one key. */
  | 'invalid-chord';

/** A delivery failure: `code` for programs, a message naming what to install or fix. */
export class OutputError extends WhisError<'output', OutputErrorCode> {
  constructor(code: OutputErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('OutputError', 'output', code, message, options);
  }
}
