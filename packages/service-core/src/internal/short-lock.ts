import { join } from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * A short mutex between processes around a read-check-write in `directory` (a lock file named
 * `name` there): waits up to about 10 s for another holder, and takes over a lock left by a
 * process that died holding it (10 s stale). Resolves with the release.
 */
export function shortLock(directory: string, name: string): Promise<() => Promise<void>> {
  return lockfile.lock(directory, {
    lockfilePath: join(directory, name),
    realpath: false,
    stale: 10_000,
    retries: { retries: 50, minTimeout: 20, maxTimeout: 200 },
  });
}
