import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { IpcError } from './errors.js';

/** The socket's file name inside the runtime directory, as in the original. */
export const SOCKET_NAME = 'whis.sock';

// sun_path holds 108 bytes on Linux and 104 on macOS, each with a terminating NUL.
const MAX_SOCKET_PATH: Partial<Record<NodeJS.Platform, number>> = { linux: 107, darwin: 103 };

/**
 * The daemon first listens on a temporary name beside the socket and links it into place (so two
 * starting daemons never both win). That name is kept shorter than `whis.sock`, so every directory
 * whose `whis.sock` fits the limit also fits it; the limit is checked against the longer of the two.
 */
const TEMP_SOCKET_NAME_BYTES = '.w'.length + 6;
const LONGEST_NAME_BYTES = Math.max(SOCKET_NAME.length, TEMP_SOCKET_NAME_BYTES);

/** A fresh temporary socket name in `runtimeDir` (24 random bits; a collision fails the bind and is retried). */
export function tempSocketPath(runtimeDir: string): string {
  return join(runtimeDir, `.w${randomBytes(3).toString('hex')}`);
}

export interface EndpointOptions {
  /** The daemon's runtime directory (see `resolveRuntimeDir` in @whis/service-core). */
  runtimeDir: string;
  platform?: NodeJS.Platform;
  /** Windows: the user the pipe belongs to (default: the current user). */
  username?: string;
}

/**
 * The address the daemon listens on: `<runtimeDir>/whis.sock` on Unix (its length checked against
 * the platform's limit), `\\.\pipe\whis-<user>` on Windows.
 */
export function resolveEndpoint(options: EndpointOptions): string {
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') {
    const user = (options.username ?? userInfo().username).replace(/[^A-Za-z0-9._-]/g, '_');
    return `\\\\.\\pipe\\whis-${user}`;
  }
  const path = join(options.runtimeDir, SOCKET_NAME);
  const limit = MAX_SOCKET_PATH[platform] ?? 103;
  // the longest name bound in that directory, whichever it is
  const bytes = Buffer.byteLength(join(options.runtimeDir, 'x'.repeat(LONGEST_NAME_BYTES)));
  if (bytes > limit) {
    throw new IpcError(
      'endpoint-too-long',
      `The socket path ${path} is ${bytes} bytes; Unix sockets allow ${limit} here. ` +
        'Set WHIS_RUNTIME_DIR to a shorter private directory, e.g. `mkdir -m 700 /tmp/whis-$(id -u)` and `export WHIS_RUNTIME_DIR=/tmp/whis-$(id -u)`.',
    );
  }
  return path;
}
