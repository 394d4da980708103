import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@whis/config';
import { JournalError } from './errors.js';
import { isAlive, thisProcess, type ProcessIdentity } from './internal/process-identity.js';
import { shortLock } from './internal/short-lock.js';

/** The claim of one service on a recordings journal, held for the service's lifetime. */
export interface JournalLock {
  readonly path: string;
  /** Removes the owner file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** The owning process (its start time too, so a reused pid is not mistaken for it) and its socket. */
interface Owner extends ProcessIdentity {
  socket: string;
}

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as Partial<Owner>;
    if (typeof data.pid !== 'number' || !Number.isInteger(data.pid) || data.pid <= 0)
      return undefined;
    return {
      pid: data.pid,
      started: typeof data.started === 'string' ? data.started : null,
      socket: typeof data.socket === 'string' ? data.socket : 'unknown socket',
    };
  } catch {
    return undefined;
  }
}

/**
 * Makes this process the only service that writes the recordings journal in `directory`: a second
 * service on the same data directory (started, say, with another XDG_RUNTIME_DIR and so another
 * socket) is refused with an error naming the owner's pid and socket. The owner file names the
 * pid and that process's start time; an owner that is no longer alive (SIGKILL) is replaced.
 * Nothing runs while the lock is held: no timer, no polling.
 */
export async function lockJournal(
  directory: string,
  options: { socketPath: string },
): Promise<JournalLock> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const path = join(directory, 'owner.json');
  // a short mutex around read-check-write, so two services starting together cannot both win
  const unlock = await shortLock(directory, 'owner.lock');
  const me: Owner = { ...thisProcess(), socket: options.socketPath };
  try {
    const owner = await readOwner(path);
    if (owner && owner.pid !== process.pid && isAlive(owner)) {
      throw new JournalError(
        'journal-locked',
        `Another whis service (pid ${owner.pid}, socket ${owner.socket}) already uses the recordings in ${directory}. ` +
          'Stop it with `whis stop` (with the same XDG_RUNTIME_DIR it was started with), or give this one its own XDG_DATA_HOME.',
        { pid: owner.pid },
      );
    }
    await writeFileAtomic(path, `${JSON.stringify(me)}\n`);
  } finally {
    await unlock();
  }
  let released: Promise<void> | undefined;
  return {
    path,
    release() {
      released ??= (async () => {
        const owner = await readOwner(path);
        if (owner?.pid === me.pid && owner.started === me.started)
          await rm(path, { force: true }).catch(() => undefined);
      })();
      return released;
    },
  };
}
