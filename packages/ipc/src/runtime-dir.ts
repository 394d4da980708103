import { lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, win32 } from 'node:path';
import { IpcError } from './errors.js';

export interface RuntimeDirOptions {
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** The system temp dir that holds `whis-<uid>` when no other directory is given. Default `os.tmpdir()`. */
  tmpDir?: string;
}

/**
 * Where the service's runtime directory is, without touching the disk: WHIS_RUNTIME_DIR, else
 * XDG_RUNTIME_DIR, else `<tmp>/whis-<uid>` (`%LOCALAPPDATA%\whis` on Windows). The daemon and every
 * client resolve it here, so they always meet at the same socket.
 */
export function runtimeDirPath(options: RuntimeDirOptions = {}): string {
  const env = options.env ?? process.env;
  if (env.WHIS_RUNTIME_DIR) return env.WHIS_RUNTIME_DIR;
  if ((options.platform ?? process.platform) === 'win32')
    return win32.join(env.LOCALAPPDATA ?? options.tmpDir ?? tmpdir(), 'whis');
  if (env.XDG_RUNTIME_DIR) return env.XDG_RUNTIME_DIR;
  return join(options.tmpDir ?? tmpdir(), `whis-${process.getuid?.() ?? 'user'}`);
}

/**
 * Checks, like tmux, that `dir` is a real directory owned by this user and closed to others, and
 * throws an IpcError (`insecure-dir`, naming the path and the fix) otherwise. The daemon runs it
 * before it listens there and a client before it connects there, so neither trusts a socket that
 * another user could have put in place. A missing directory throws the ENOENT error as it is.
 * Synchronous: one lstat, cheap enough for `whis status`.
 */
export function checkRuntimeDir(dir: string, platform: NodeJS.Platform = process.platform): void {
  if (platform === 'win32') return;
  const stat = lstatSync(dir);
  const fix = 'Remove it, or set WHIS_RUNTIME_DIR to a directory only you can access (mode 0700).';
  if (stat.isSymbolicLink())
    throw new IpcError(
      'insecure-dir',
      `${dir} is a symbolic link; whis will not follow it. ${fix}`,
    );
  if (!stat.isDirectory()) throw new IpcError('insecure-dir', `${dir} is not a directory. ${fix}`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new IpcError(
      'insecure-dir',
      `${dir} belongs to uid ${stat.uid}, not to you (uid ${uid}). ${fix}`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new IpcError(
      'insecure-dir',
      `${dir} is open to other users (mode ${(stat.mode & 0o777).toString(8)}). Run \`chmod 700 ${dir}\`, or set WHIS_RUNTIME_DIR to a private directory.`,
    );
  }
}
