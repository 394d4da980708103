import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, win32 } from 'node:path';
import { resolveEndpoint } from '@whis/ipc';
import { InstanceError } from './errors.js';

export interface RuntimeDir {
  dir: string;
  socketPath: string;
  pidPath: string;
}

export interface RuntimeDirOptions {
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** The system temp dir that holds `whis-<uid>` when no other directory is given. Default `os.tmpdir()`. */
  tmpDir?: string;
}

/** Where the runtime directory is, without touching the disk: WHIS_RUNTIME_DIR, else XDG_RUNTIME_DIR, else `<tmp>/whis-<uid>`. */
export function runtimeDirPath(options: RuntimeDirOptions = {}): string {
  const env = options.env ?? process.env;
  if (env.WHIS_RUNTIME_DIR) return env.WHIS_RUNTIME_DIR;
  if ((options.platform ?? process.platform) === 'win32')
    return win32.join(env.LOCALAPPDATA ?? options.tmpDir ?? tmpdir(), 'whis');
  if (env.XDG_RUNTIME_DIR) return env.XDG_RUNTIME_DIR;
  return join(options.tmpDir ?? tmpdir(), `whis-${process.getuid?.() ?? 'user'}`);
}

/**
 * Checks, like tmux, that `dir` is a real directory owned by this user and closed to others;
 * throws a InstanceError naming the path and the fix otherwise. Uses lstat: a symlink is refused.
 */
export async function validateRuntimeDir(dir: string): Promise<void> {
  const stat = await lstat(dir);
  const fix = 'Remove it, or set WHIS_RUNTIME_DIR to a directory only you can access (mode 0700).';
  if (stat.isSymbolicLink()) {
    throw new InstanceError(
      'insecure-dir',
      `${dir} is a symbolic link; whis will not follow it. ${fix}`,
    );
  }
  if (!stat.isDirectory())
    throw new InstanceError('insecure-dir', `${dir} is not a directory. ${fix}`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new InstanceError(
      'insecure-dir',
      `${dir} belongs to uid ${stat.uid}, not to you (uid ${uid}). ${fix}`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new InstanceError(
      'insecure-dir',
      `${dir} is open to other users (mode ${(stat.mode & 0o777).toString(8)}). Run \`chmod 700 ${dir}\`, or set WHIS_RUNTIME_DIR to a private directory.`,
    );
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
