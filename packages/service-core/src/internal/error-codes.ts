import { diskFullMessage, isWhisError } from '@whis/contracts';
import { JournalError } from '../errors.js';

/** An error's string `code` (JournalError, HostError, FileError, errno, the SDK's), or `fallback`. */
export function errorCode(err: unknown, fallback: string): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : fallback;
}

/** Which part failed (`audio`, `transcribe`, `output`, `journal`, `host`, …) and how: an error's identity. */
export interface ErrorId {
  domain: string;
  code: string;
}

/**
 * A whis error's own domain and code; another error's string code (an errno, the SDK's) in the
 * domain of the part that was running; else `fallback`. Notifications and scripts tell a failed
 * delivery from a failed transcription by the domain, never by the bare code.
 */
export function errorId(err: unknown, fallback: ErrorId): ErrorId {
  if (isWhisError(err)) return { domain: err.domain, code: err.code };
  return { domain: fallback.domain, code: errorCode(err, fallback.code) };
}

/** A file system failure as a JournalError: `disk-full` (with what to do) or `journal-failed`. */
export function journalError(err: unknown, action: string): JournalError {
  if (err instanceof JournalError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  // an errno from the file system, or @whis/config's FileError, which keeps it as `errno`
  const errno = (err as { errno?: unknown }).errno;
  if (code === 'ENOSPC' || code === 'EDQUOT' || errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new JournalError('disk-full', diskFullMessage(action), { cause: err });
  }
  return new JournalError('journal-failed', `Cannot ${action}: ${(err as Error).message}`, {
    cause: err,
  });
}
