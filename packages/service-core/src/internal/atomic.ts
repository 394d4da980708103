import { open, rename, rm } from 'node:fs/promises';
import { InstanceError } from '../errors.js';

// Write to a temp file beside the target, fsync, rename: readers see the old or the new content,
// never a torn one, and a full disk leaves the old file in place.
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw journalError(err, `write ${path}`);
  }
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
