import { open, rename, rm } from 'node:fs/promises';
import { ServiceError } from '../errors.js';

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
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new ServiceError(
        'disk-full',
        `No space left to write ${path}. Free some disk space; the previous version is unchanged.`,
        { cause: err },
      );
    }
    throw new ServiceError('journal-failed', `Cannot write ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
