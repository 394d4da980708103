import { InstanceError } from '../errors.js';

/** An error's string `code` (InstanceError, FileError, errno, the SDK's), or `fallback`. */
export function errorCode(err: unknown, fallback: string): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : fallback;
}

/** A file system failure as an InstanceError: `disk-full` (with what to do) or `journal-failed`. */
export function journalError(err: unknown, action: string): InstanceError {
  if (err instanceof InstanceError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new InstanceError(
      'disk-full',
      `No space left to ${action}. Free some disk space; what was saved before is unchanged.`,
      { cause: err },
    );
  }
  return new InstanceError('journal-failed', `Cannot ${action}: ${(err as Error).message}`, {
    cause: err,
  });
}
