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
  | 'invalid-chord'
  /** The selection an edit would send is longer than the limit. */
  | 'selection-too-large'
  /** The application that owns the selection did not hand it over in time. */
  | 'selection-timeout'
  /** The primary selection was asked for where there is none (macOS, Windows). */
  | 'no-primary-selection';

/** A delivery failure: `code` for programs, a message naming what to install or fix. */
export class OutputError extends WhisError<'output', OutputErrorCode> {
  constructor(code: OutputErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('OutputError', 'output', code, message, options);
  }
}
