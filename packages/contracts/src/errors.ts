import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/**
 * The base of every whis error: a `domain` (which part failed: `audio`, `journal`, `ipc`, …), a
 * `code` within it, a message that says what to do, and the original error as `cause`. Codes are
 * unique within a domain only: `disk-full` is an audio, a journal and a config code, told apart by
 * `domain`. Programs match on `id` (`journal/disk-full`), never on the bare code.
 */
export abstract class WhisError<
  D extends string = string,
  C extends string = string,
> extends Error {
  readonly domain: D;
  readonly code: C;
  constructor(
    name: string,
    domain: D,
    code: C,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = name;
    this.domain = domain;
    this.code = code;
  }

  /** `domain/code`: what the exit-code table and callers match on. */
  get id(): `${D}/${C}` {
    return `${this.domain}/${this.code}`;
  }
}

/** Whether `err` is a whis error (from any copy of this package: checked by shape, not class). */
export function isWhisError(err: unknown): err is WhisError {
  return (
    err instanceof Error &&
    typeof (err as WhisError).domain === 'string' &&
    typeof (err as WhisError).code === 'string'
  );
}

/**
 * The one table from an error to the exit code of `whis` and of the service: what is not listed
 * exits with Failure (1). The CLI and the service both use it.
 */
const EXIT_CODES: Readonly<Record<string, ExitCodeValue>> = {
  'ipc/not-running': ExitCode.NotRunning,
  'ipc/stale': ExitCode.NotRunning,
  'ipc/unresponsive': ExitCode.Unresponsive,
  'ipc/protocol': ExitCode.Incompatible,
  'instance/already-running': ExitCode.AlreadyRunning,
  'instance/unresponsive': ExitCode.Unresponsive,
  'journal/journal-locked': ExitCode.AlreadyRunning,
  // a setting refused at the edge (`whis config set`): the input is wrong, as with a bad flag
  'config/invalid-value': ExitCode.Usage,
  'config/unknown-key': ExitCode.Usage,
};

/** The exit code for an error: from the table above for a whis error, else Failure. */
export function exitCodeFor(err: unknown): ExitCodeValue {
  return isWhisError(err) ? (EXIT_CODES[err.id] ?? ExitCode.Failure) : ExitCode.Failure;
}

/** What a full disk means for the user, in one wording for every part that writes. */
export function diskFullMessage(action: string): string {
  return `No space left to ${action}. Free some disk space; what was saved before is unchanged.`;
}
