import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { writeFileAtomic } from '@whis/config';
import { JournalError } from './errors.js';

/** The claim of one service on a recordings journal, held for the service's lifetime. */
export interface JournalLock {
  readonly path: string;
  /** Removes the owner file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

interface Owner {
  pid: number;
  /** The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for the owner. */
  started: string | null;
  socket: string;
}

// Field 22 of /proc/<pid>/stat; the command name before it may hold spaces and parentheses.
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // where the start time is known, it must match: a pid reused by an unrelated process is not the owner
  return owner.started === null || processStart(owner.pid) === owner.started;
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
  const unlock = await lockfile.lock(directory, {
    lockfilePath: join(directory, 'owner.lock'),
    realpath: false,
    stale: 10_000,
    retries: { retries: 50, minTimeout: 20, maxTimeout: 200 },
  });
  const me: Owner = {
    pid: process.pid,
    started: processStart(process.pid),
    socket: options.socketPath,
  };
  try {
    const owner = await readOwner(path);
    if (owner && owner.pid !== process.pid && alive(owner)) {
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
