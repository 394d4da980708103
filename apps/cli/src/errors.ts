import { ExitCode, exitCodeFor, isWhisError } from '@whis/contracts';

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

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

// The one place that turns library errors into what the user reads; the exit code comes from the
// one table in @whis/contracts (`exitCodeFor`), which the service uses too. Errors are matched by
// `domain/code`, so that two parts' codes of the same name cannot be confused.
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const exitCode = exitCodeFor(e);
  switch (isWhisError(e) ? e.id : undefined) {
    case 'ipc/not-running':
      return new CliError('Service: Not running', {
        exitCode,
        hint: 'Start it with `whis listen` (or `whis listen --detach`).',
        cause: e,
      });
    case 'ipc/stale':
      return new CliError('Service: Not running (a crashed daemon left its socket behind)', {
        exitCode,
        hint: 'Start it with `whis listen`; it cleans up the stale socket.',
        cause: e,
      });
    case 'ipc/unresponsive':
      // what was waited for, and how long: a greeting, or the request a busy service was given
      return new CliError(`Service: Not responding: ${lowerFirst(e.message)}`, {
        exitCode,
        hint: 'The daemon holds the socket but does not answer (stopped or busy). Check `whis logs`; if it stays stuck, stop its process.',
        cause: e,
      });
    case 'ipc/protocol':
      return new CliError(`Cannot talk to the daemon: ${e.message}`, {
        exitCode,
        hint: 'The running daemon is another version of whis. Restart it: `whis stop && whis listen`.',
        cause: e,
      });
    default:
      return new CliError(e.message, { exitCode, cause: e });
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
