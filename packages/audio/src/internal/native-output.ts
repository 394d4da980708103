import {
  closeSync,
  constants,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A synchronous call's result, and what native code printed on descriptors 1 and 2 meanwhile. */
export interface Captured<T> {
  value: T;
  /** What PortAudio, ALSA or JACK printed (diagnostics nobody asked for); '' when nothing. */
  output: string;
}

// A second descriptor on what `fd` points at (a terminal, a pipe or a file: `/dev/fd/N` reopens
// each), or undefined where that cannot be done (a socket, as under systemd; Windows).
function reopen(fd: number): number | undefined {
  try {
    const regular = fstatSync(fd).isFile();
    return openSync(`/dev/fd/${fd}`, constants.O_WRONLY | (regular ? constants.O_APPEND : 0));
  } catch {
    return undefined;
  }
}

// Points `fd` at `path` (or at what `from` points at). Relies on open() taking the lowest free
// descriptor: right after `fd` is closed, that is `fd` itself whenever 0…fd−1 are open. Where it
// is not, the descriptor is given back and false says that nothing moved.
function moveTo(fd: number, path: string): boolean {
  try {
    closeSync(fd);
  } catch {
    // already closed (a move that did not take)
  }
  const got = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  if (got === fd) return true;
  closeSync(got);
  return false;
}

/**
 * Runs `fn` (a synchronous call into a native library) with descriptors 1 and 2 pointed at a
 * private file, and gives back what was printed there: PortAudio, ALSA and JACK write diagnostics
 * straight to the process's stdout and stderr (178 lines of them for `whis devices` on a machine
 * without a sound server), which no setting turns off. The caller logs them at debug level. No
 * JavaScript runs during `fn`, so nothing of whis's own can land in the file. On Windows, or where
 * a descriptor cannot be reopened, that descriptor is left as it is.
 */
export function captureNativeOutput<T>(fn: () => T): Captured<T> {
  if (process.platform === 'win32') return { value: fn(), output: '' };
  const dir = mkdtempSync(join(tmpdir(), 'whis-native-'));
  const file = join(dir, 'output');
  const saved = new Map<number, number>();
  try {
    for (const fd of [1, 2]) {
      const copy = reopen(fd);
      if (copy === undefined) continue;
      if (moveTo(fd, file)) saved.set(fd, copy);
      else {
        // nothing moved: `fd` is closed now; put it back where it pointed
        moveTo(fd, `/dev/fd/${copy}`);
        closeSync(copy);
      }
    }
    const value = fn();
    return { value, output: saved.size > 0 ? readFileSync(file, 'utf8') : '' };
  } finally {
    for (const [fd, copy] of saved) {
      moveTo(fd, `/dev/fd/${copy}`);
      closeSync(copy);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
