import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

/**
 * What a foreground service writes for the person at the terminal: the progress lines and, on a
 * terminal, pretty log lines. Writes never throw and never block the service: once the terminal is
 * gone (SIGHUP, a closed pipe: EIO, EPIPE) they are dropped, and the service goes on stopping
 * gracefully with its log file.
 */
export interface TerminalOutput {
  /** Progress lines ("#1 recording…"), meant for stdout. */
  readonly progress: Writable;
  /** Human-readable log lines, meant for stderr. */
  readonly stderr: Writable;
  /** Stops writing to the terminal (it hung up). */
  detach(): void;
}

function sink(fd: () => number | null): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const target = fd();
      if (target !== null) {
        try {
          writeSync(target, chunk);
        } catch {
          // the terminal went away: the log file keeps everything
        }
      }
      callback();
    },
  });
}

/**
 * PortAudio (through naudiodon) prints diagnostics on the process's stdout that no setting turns
 * off. A foreground service keeps stdout for its own lines: on Linux and macOS it opens a second
 * descriptor on the same stdout (`/dev/fd/1`, which reopens the terminal, pipe or file), then
 * points descriptor 1 at /dev/null, so native code writes into the void and whis's lines still
 * reach the user. Where that cannot be done (Windows, stdout a socket) stdout is used as it is.
 */
export function takeOverTerminal(): TerminalOutput {
  let progressFd = 1;
  if (process.platform !== 'win32') {
    try {
      const regular = fstatSync(1).isFile();
      const own = openSync('/dev/fd/1', constants.O_WRONLY | (regular ? constants.O_APPEND : 0));
      // descriptor 1 is closed and /dev/null opened: the lowest free descriptor, 1, is reused
      closeSync(1);
      const devNull = openSync('/dev/null', 'w');
      if (devNull !== 1) {
        // something else took 1 meanwhile (cannot happen in one thread); keep the reopened stdout
        closeSync(devNull);
      }
      progressFd = own;
    } catch {
      progressFd = 1;
    }
  }
  let attached = true;
  return {
    progress: sink(() => (attached ? progressFd : null)),
    stderr: sink(() => (attached ? 2 : null)),
    detach() {
      attached = false;
    },
  };
}
