import { diskFullMessage, WhisError } from '@whis/contracts';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  type Stats,
  renameSync,
  writeSync,
} from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// O_NOFOLLOW does not exist on Windows; there the flag is 0 and links are not a concern here.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export type FileErrorCode =
  'disk-full' | 'path-blocked' | 'insecure-dir' | 'insecure-file' | 'file-failed';

/**
 * A failure with one of whis's own files, coded in the config domain (the package that owns the
 * files): `disk-full`, `path-blocked` (a link or another file is in the way), `insecure-dir`,
 * `insecure-file`, else `file-failed`. The system's code (`ENOSPC`, `ELOOP`, …) is kept as `errno`.
 */
export class FileError extends WhisError<'config', FileErrorCode> {
  readonly errno: string | undefined;
  constructor(
    code: FileErrorCode,
    message: string,
    options: { cause?: unknown; errno?: string } = {},
  ) {
    super('FileError', 'config', code, message, options);
    this.errno = options.errno;
  }
}

function fileError(err: unknown, action: string): FileError {
  const errno = (err as NodeJS.ErrnoException).code ?? 'EIO';
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new FileError('disk-full', diskFullMessage(action), { cause: err, errno });
  }
  if (errno === 'ELOOP' || errno === 'EEXIST') {
    return new FileError(
      'path-blocked',
      `Cannot ${action}: a symbolic link or another file is in the way; whis does not follow links there.`,
      { cause: err, errno },
    );
  }
  return new FileError('file-failed', `Cannot ${action}: ${(err as Error).message}`, {
    cause: err,
    errno,
  });
}

/**
 * Writes a file atomically and privately: a temp file beside the target with an unguessable name,
 * created with O_EXCL (so a planted file or symlink at that name is never opened), fsynced, then
 * renamed over the target. Readers see the old or the new content, never a torn one, and a full
 * disk leaves the old file in place. The one implementation for all of whis's own files.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW,
      mode,
    );
    created = true;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    if (created) await rm(tmp, { force: true }).catch(() => undefined);
    throw fileError(err, `write ${path}`);
  }
}

/**
 * Why whis would refuse `dir` for its files (a symbolic link, another user's, writable by others),
 * in a message that says the fix; undefined when it is fine or not there yet (made on first use).
 * For `whis doctor`: the same rule the service applies when it opens the directory.
 */
export async function privateDirProblem(dir: string): Promise<string | undefined> {
  const stat = await lstat(dir).catch(() => undefined);
  if (!stat) return undefined;
  try {
    checkPrivateDir(dir, stat);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function checkPrivateDir(dir: string, stat: Stats): void {
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new FileError(
      'insecure-dir',
      `${dir} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; whis keeps its files only in a real directory. Remove it, or point XDG_CONFIG_HOME / XDG_DATA_HOME / XDG_STATE_HOME elsewhere.`,
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new FileError(
      'insecure-dir',
      `${dir} belongs to uid ${stat.uid}, not to you (uid ${uid}). Run \`sudo chown -R $(id -u) ${dir}\`, or point XDG_CONFIG_HOME / XDG_DATA_HOME / XDG_STATE_HOME elsewhere.`,
    );
  }
  if (process.platform !== 'win32' && (stat.mode & 0o022) !== 0) {
    throw new FileError(
      'insecure-dir',
      `${dir} is writable by other users (mode ${(stat.mode & 0o777).toString(8)}). Run \`chmod 700 ${dir}\`.`,
    );
  }
}

/**
 * Checks that a directory of whis's own (config, data, state) is a real directory, owned by this
 * user and not writable by others; creates it 0700 when missing. Throws a FileError that names the fix.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir, await lstat(dir));
}

/** `ensurePrivateDir`, synchronously (for a logger opened at start-up). */
export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir, lstatSync(dir));
}

/** A log file that never follows a symlink, stays private (0600) and is rotated at a size bound. */
export interface LogFile {
  /** Appends; rotates first when the file would exceed the bound. Never throws (a log must not stop the service). */
  write(chunk: string): boolean;
  readonly path: string;
  close(): void;
}

/**
 * Opens a log file for appending and returns its descriptor (for a child process's stdout and
 * stderr): created 0600, never through a symlink, refused when it is not a regular file of this user.
 */
export function openLogDescriptor(path: string): number {
  try {
    return openLog(path);
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw fileError(err, `open the log ${path}`);
  }
}

function openLog(path: string): number {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW,
    0o600,
  );
  const stat = fstatSync(fd);
  const uid = process.getuid?.();
  if (!stat.isFile() || (uid !== undefined && stat.uid !== uid)) {
    closeSync(fd);
    throw new FileError(
      'insecure-file',
      `${path} is not a regular file of yours; whis will not write its log there. Remove it.`,
    );
  }
  return fd;
}

/**
 * Opens (creating 0600) a log file for appending, refusing a symlink or a file of another user.
 * When it grows past `maxBytes` it is renamed to `<path>.1` (the previous `.1` is replaced) and a
 * new file is started: at most about twice `maxBytes` on disk.
 */
export function openLogFile(path: string, options: { maxBytes?: number } = {}): LogFile {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  let fd = openLogDescriptor(path);
  let size = fstatSync(fd).size;
  let closed = false;
  const rotate = () => {
    try {
      closeSync(fd);
      renameSync(path, `${path}.1`);
    } catch {
      // keep appending to whatever is there
    }
    fd = openLog(path);
    size = fstatSync(fd).size;
  };
  if (size > maxBytes) rotate();
  return {
    path,
    write(chunk) {
      if (closed) return false;
      try {
        const bytes = Buffer.byteLength(chunk);
        if (size + bytes > maxBytes && size > 0) rotate();
        writeSync(fd, chunk);
        size += bytes;
      } catch {
        // a full disk or a removed directory: losing a log line is better than stopping
      }
      return true;
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
