import { WhisError } from '@whis/contracts';
// One error class per concern of @whis/service-core, each with its own codes: a `code` for
// programs (the CLI maps it to an exit code, the socket to a JSON-RPC error), a message that says
// what to do, and the original error as `cause`.

/** What the three share: a code of their own, a message that says what to do, the cause. */

export type InstanceErrorCode =
  'insecure-dir' | 'path-too-long' | 'already-running' | 'unresponsive' | 'instance-failed';

/** The single instance and its runtime directory: another daemon runs, the directory is unsafe, … */
export class InstanceError extends WhisError<'instance', InstanceErrorCode> {
  /** For `already-running` / `unresponsive`: the other daemon's pid, when known. */
  readonly pid: number | undefined;
  constructor(
    code: InstanceErrorCode,
    message: string,
    options: { cause?: unknown; pid?: number } = {},
  ) {
    super('InstanceError', 'instance', code, message, options);
    this.pid = options.pid;
  }
}

export type JournalErrorCode = 'journal-failed' | 'journal-locked' | 'disk-full' | 'not-found';

/** The recordings on disk: a write failed, the disk is full, another service owns them, … */
export class JournalError extends WhisError<'journal', JournalErrorCode> {
  /** For `journal-locked`: the pid of the service that owns the recordings. */
  readonly pid: number | undefined;
  constructor(
    code: JournalErrorCode,
    message: string,
    options: { cause?: unknown; pid?: number } = {},
  ) {
    super('JournalError', 'journal', code, message, options);
    this.pid = options.pid;
  }
}

export type HostErrorCode =
  | 'not-recording'
  | 'not-found'
  | 'unavailable'
  | 'shutting-down'
  | 'busy-elsewhere'
  | 'edit-unavailable';

/** A request the service cannot do now: nothing records, no such recording, no microphone, stopping. */
export class HostError extends WhisError<'host', HostErrorCode> {
  constructor(code: HostErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('HostError', 'host', code, message, options);
  }
}
