import { userInfo } from 'node:os';
import { join } from 'node:path';
import { IpcError } from './errors.js';

/** The socket's file name inside the runtime directory, as in the original. */
export const SOCKET_NAME = 'whis.sock';

// sun_path holds 108 bytes on Linux and 104 on macOS, each with a terminating NUL.
const MAX_SOCKET_PATH: Partial<Record<NodeJS.Platform, number>> = { linux: 107, darwin: 103 };

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
  const bytes = Buffer.byteLength(path);
  if (bytes > limit) {
    throw new IpcError(
      'endpoint-too-long',
      `The socket path ${path} is ${bytes} bytes; Unix sockets allow ${limit} here. ` +
        'Set WHIS_RUNTIME_DIR (or XDG_RUNTIME_DIR) to a shorter directory, e.g. /tmp/whis-$(id -u).',
    );
  }
  return path;
}
