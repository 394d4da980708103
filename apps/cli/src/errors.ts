import { ExitCode } from '@whis/contracts';

/** Exit codes, documented in the README: one table for the CLI and the service. */
export { ExitCode };

/** An error the CLI prints as a one-line title and a fix, then exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(
    message: string,
    options: { exitCode?: number; hint?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? ExitCode.Failure;
    this.hint = options.hint;
  }
}

interface CodedError extends Error {
  code?: unknown;
  rpcCode?: number;
}

// Every library error class carries a string `code`; this is the one place that turns those codes
// into what the user reads and the exit code scripts test.
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  const e = err instanceof Error ? (err as CodedError) : new Error(String(err));
  switch ((e as CodedError).code) {
    case 'not-running':
      return new CliError('Service: Not running', {
        exitCode: ExitCode.NotRunning,
        hint: 'Start it with `whis listen` (or `whis listen --detach`).',
        cause: e,
      });
    case 'stale':
      return new CliError('Service: Not running (a crashed daemon left its socket behind)', {
        exitCode: ExitCode.NotRunning,
        hint: 'Start it with `whis listen`; it cleans up the stale socket.',
        cause: e,
      });
    case 'unresponsive':
      return new CliError('Service: Not responding', {
        exitCode: ExitCode.Unresponsive,
        hint: 'The daemon holds the socket but does not answer (stopped or busy). Check `whis logs`; if it stays stuck, stop its process.',
        cause: e,
      });
    case 'protocol':
      return new CliError(`Cannot talk to the daemon: ${e.message}`, {
        exitCode: ExitCode.Incompatible,
        hint: 'The running daemon is another version of whis. Restart it: `whis stop && whis listen`.',
        cause: e,
      });
    // a setting refused at the edge (`whis config set`): the input is wrong, as with a bad flag
    case 'invalid-value':
    case 'unknown-key':
      return new CliError(e.message, { exitCode: ExitCode.Usage, cause: e });
    case 'already-running':
      return new CliError(e.message, { exitCode: ExitCode.AlreadyRunning, cause: e });
    default:
      return new CliError(e.message, { cause: e });
  }
}

/** Prints an error as `whis: <title>` and its fix; the stack only with --verbose. Returns the exit code. */
export function reportError(
  err: unknown,
  verbose: boolean,
  stderr: NodeJS.WritableStream = process.stderr,
): number {
  const cliError = toCliError(err);
  stderr.write(`whis: ${cliError.message}\n`);
  if (cliError.hint) stderr.write(`  ${cliError.hint}\n`);
  if (verbose) {
    let cause: unknown = cliError.cause ?? cliError;
    while (cause instanceof Error) {
      stderr.write(`${cause.stack ?? cause.message}\n`);
      cause = cause.cause;
    }
  }
  return cliError.exitCode;
}
