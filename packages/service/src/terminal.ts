import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

/**
 * What a foreground service writes for the person at the terminal: the progress lines and, on a
 * terminal, pretty log lines. Writes never throw and never block the service: once the terminal is
 * gone (SIGHUP, a closed pipe: EIO, EPIPE) they are dropped, and the service goes on stopping
 * gracefully with its log file; while it takes nothing (Ctrl+S, a pipe nobody reads) they are left
 * out, and the next line it takes says how many were.
 */
export interface TerminalOutput {
  /** Progress lines ("#1 recording…"), meant for stdout. */
  readonly progress: Writable;
  /** Human-readable log lines, meant for stderr. */
  readonly stderr: Writable;
  /** Stops writing to the terminal (it hung up). */
  detach(): void;
}

/** Bytes of `bytes` written to `fd` now: 0 where it takes nothing without waiting (EAGAIN). */
function writeNow(fd: number, bytes: Uint8Array): number {
  try {
    return writeSync(fd, bytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
    throw err;
  }
}

function sink(fd: () => number | null): Writable {
  // writes left out while the terminal took nothing, and whether one stopped in the middle
  let left = 0;
  let cut = false;
  // Writes `bytes` whole; false (counted as left out) when the terminal did not take them all.
  const put = (target: number, bytes: Uint8Array): boolean => {
    const written = writeNow(target, bytes);
    cut ||= written > 0 && written < bytes.length;
    return written === bytes.length;
  };
  const notice = () =>
    `${cut ? '\n' : ''}whis: ${left} ${left === 1 ? 'line was' : 'lines were'} not shown ` +
    '(the terminal took no output); `whis logs` has what happened.\n';
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const target = fd();
      if (target !== null) {
        try {
          if (left > 0 && put(target, Buffer.from(notice()))) [left, cut] = [0, false];
          if (left > 0 || !put(target, chunk)) left++;
        } catch {
          // the terminal went away: the log file keeps everything
        }
      }
      callback();
    },
  });
}

// A second descriptor on what `fd` points at (`/dev/fd/N` reopens a terminal, a pipe or a file),
// after which `fd` itself is pointed at /dev/null. Returns the new descriptor, or `fd` unchanged
// where that cannot be done (Windows; a socket, which cannot be reopened by path).
function divert(fd: number): number {
  if (process.platform === 'win32') return fd;
  let own: number;
  try {
    const regular = fstatSync(fd).isFile();
    // non-blocking (a description of its own: the shell's stays as it was), so that a terminal
    // that takes nothing never holds the service
    const flags = regular ? constants.O_APPEND : constants.O_NONBLOCK;
    own = openSync(`/dev/fd/${fd}`, constants.O_WRONLY | flags);
  } catch {
    return fd;
  }
  // closed, then /dev/null opened at once: the lowest free descriptor, `fd`, is the one reused
  closeSync(fd);
  const devNull = openSync('/dev/null', 'w');
  if (devNull !== fd) closeSync(devNull);
  return own;
}

/**
 * PortAudio and ALSA (through naudiodon) print diagnostics on the process's stdout and stderr that
 * no setting turns off. A foreground service keeps both for its own lines: it takes a second
 * descriptor on each and points 1 and 2 at /dev/null, so native code writes into the void and
 * whis's lines still reach the user. Where a stream cannot be reopened it is used as it is.
 */
export function takeOverTerminal(): TerminalOutput {
  const outFd = divert(1);
  const errFd = divert(2);
  let attached = true;
  const stderr = sink(() => (attached ? errFd : null));
  // Node prints an uncaught exception on descriptor 2, now /dev/null: say it where the user looks
  process.on('uncaughtExceptionMonitor', (err) => {
    stderr.write(`whis: ${(err as Error)?.stack ?? String(err)}\n`);
  });
  return {
    progress: sink(() => (attached ? outFd : null)),
    stderr,
    detach() {
      attached = false;
    },
  };
}
