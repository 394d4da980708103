import { mkdir } from 'node:fs/promises';
import { join, win32 } from 'node:path';
import {
  checkRuntimeDir,
  IpcError,
  resolveEndpoint,
  runtimeDirPath,
  type RuntimeDirOptions,
} from '@whis/ipc';
import { InstanceError } from './errors.js';

export interface RuntimeDir {
  dir: string;
  socketPath: string;
  pidPath: string;
}

export type { RuntimeDirOptions } from '@whis/ipc';
export { runtimeDirPath };

/**
 * Checks, like tmux, that `dir` is a real directory owned by this user and closed to others;
 * throws an InstanceError (`insecure-dir`) naming the path and the fix otherwise. The same check
 * as every client's (`checkRuntimeDir` of @whis/ipc).
 */
export async function validateRuntimeDir(dir: string): Promise<void> {
  try {
    checkRuntimeDir(dir);
  } catch (err) {
    if (err instanceof IpcError)
      throw new InstanceError('insecure-dir', err.message, { cause: err });
    throw err;
  }
}

/**
 * The daemon's runtime directory, created 0700 when it is whis's own and missing, and validated
 * before anything is put in it. Socket `whis.sock` and PID file `whis.pid`, as in the original.
 */
export async function resolveRuntimeDir(options: RuntimeDirOptions = {}): Promise<RuntimeDir> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const dir = runtimeDirPath({ env, platform, tmpDir: options.tmpDir });
  if (platform !== 'win32') {
    // only whis's own directories are created, one level, never `mkdir -p` into unvalidated parents
    if (env.WHIS_RUNTIME_DIR || !env.XDG_RUNTIME_DIR) {
      await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') {
          throw new InstanceError(
            'insecure-dir',
            `Cannot create the runtime directory ${dir}: ${err.message}`,
            { cause: err },
          );
        }
      });
    }
    try {
      await validateRuntimeDir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new InstanceError(
          'insecure-dir',
          `The runtime directory ${dir} does not exist. Create it (mode 0700) or unset XDG_RUNTIME_DIR.`,
          { cause: err },
        );
      }
      throw err;
    }
  } else {
    await mkdir(dir, { recursive: true });
  }
  let socketPath: string;
  try {
    socketPath = resolveEndpoint({ runtimeDir: dir, platform });
  } catch (err) {
    throw new InstanceError('path-too-long', (err as Error).message, { cause: err });
  }
  return {
    dir,
    socketPath,
    pidPath: platform === 'win32' ? win32.join(dir, 'whis.pid') : join(dir, 'whis.pid'),
  };
}
