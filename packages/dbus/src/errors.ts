import { WhisError } from '@whis/contracts';

/**
 * `no-session-bus`: no bus to reach (not set, not listening, no answer to the greeting);
 * `timeout`: a call or a portal request had no answer in time; `failed`: the peer answered with
 * an error, or the connection is closed.
 */
export type DBusErrorCode = 'no-session-bus' | 'timeout' | 'failed';

/**
 * A D-Bus failure: `code` for programs, a message that says what to do, the original as `cause`.
 * `detail` is the bare reason (for a caller that words its own message around it) and `dbusName`
 * the error name the peer answered with (`org.freedesktop.DBus.Error.ServiceUnknown`), if any.
 */
export class DBusError extends WhisError<'dbus', DBusErrorCode> {
  readonly detail: string;
  readonly dbusName: string;
  constructor(
    code: DBusErrorCode,
    message: string,
    options: { cause?: unknown; detail?: string; dbusName?: string } = {},
  ) {
    super('DBusError', 'dbus', code, message, options);
    this.detail = options.detail ?? message;
    this.dbusName = options.dbusName ?? '';
  }
}

/** The D-Bus error name of a failed call (`DBusError.dbusName`, or the library's `type`), or ''. */
export function dbusErrorName(err: unknown): string {
  if (err instanceof DBusError) return err.dbusName;
  return (err as { type?: string } | undefined)?.type ?? '';
}

/** What went wrong, without the call's name: `DBusError.detail`, or another error's message. */
export function dbusErrorDetail(err: unknown): string {
  return err instanceof DBusError ? err.detail : (err as Error).message;
}

/** The shortest account of a failed call: its D-Bus error name, else what went wrong. */
export function dbusErrorReason(err: unknown): string {
  if (err instanceof DBusError) return err.dbusName || err.detail;
  return dbusErrorName(err) || (err as Error).message;
}

/**
 * Whether a call failed because nobody answers at its destination: the name has no owner, or it
 * did not reply in time (the bus's `NoReply` or our own timeout).
 */
export function isServiceMissing(err: unknown): boolean {
  if (err instanceof DBusError && err.code === 'timeout') return true;
  const name = dbusErrorName(err);
  return (
    name.endsWith('ServiceUnknown') || name.endsWith('NameHasNoOwner') || name.endsWith('NoReply')
  );
}
