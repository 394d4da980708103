import { WhisError } from '@whis/contracts';

export type ProcessErrorCode = 'missing' | 'not-started' | 'failed' | 'timeout' | 'aborted';

/**
 * A program that did not run to a clean exit: `missing` (not installed), `not-started`, `failed`
 * (a non-zero exit or a signal), `timeout`, `aborted`. The packages that run one tell the user
 * what it was for in their own error (`OutputError`, `PostProcessError`), this one as its `cause`.
 */
export class ProcessError extends WhisError<'process', ProcessErrorCode> {
  /** The program that was run. */
  readonly command: string;
  /** What it wrote to stderr (the first few KiB). */
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly exitSignal: string | null;
  constructor(
    code: ProcessErrorCode,
    message: string,
    options: {
      command: string;
      stderr?: string;
      exitCode?: number | null;
      exitSignal?: string | null;
      cause?: unknown;
    },
  ) {
    super('ProcessError', 'process', code, message, options);
    this.command = options.command;
    this.stderr = options.stderr ?? '';
    this.exitCode = options.exitCode ?? null;
    this.exitSignal = options.exitSignal ?? null;
  }
}
