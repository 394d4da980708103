import { diskFullMessage } from '@whis/contracts';
import { JournalError } from '../errors.js';

/** An error's string `code` (JournalError, HostError, FileError, errno, the SDK's), or `fallback`. */
export function errorCode(err: unknown, fallback: string): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : fallback;
}

/** A file system failure as a JournalError: `disk-full` (with what to do) or `journal-failed`. */
export function journalError(err: unknown, action: string): JournalError {
  if (err instanceof JournalError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new JournalError('disk-full', diskFullMessage(action), { cause: err });
  }
  return new JournalError('journal-failed', `Cannot ${action}: ${(err as Error).message}`, {
    cause: err,
  });
}
