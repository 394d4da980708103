/**
 * The exit codes of `whis` and of the service (`whisd`, `whis listen`): one table, so that what
 * the service exits with is what the CLI documents and relies on.
 */
export const ExitCode = {
  Ok: 0,
  /** The message says what to do. */
  Failure: 1,
  /** A bad flag or value. */
  Usage: 2,
  /** The service is not running (or left a stale socket). */
  NotRunning: 3,
  /** The service does not answer (stopped or stuck). */
  Unresponsive: 4,
  /** The service speaks another protocol version. */
  Incompatible: 5,
  /** A service already runs on this socket, or owns the same recordings. */
  AlreadyRunning: 6,
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
