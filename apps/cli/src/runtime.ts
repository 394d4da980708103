import { checkRuntimeDir, resolveEndpoint, runtimeDirPath } from '@whis/ipc';

/**
 * The daemon's socket, in the runtime directory resolved and checked by the same functions the
 * daemon uses (from @whis/ipc, so `whis status` loads nothing heavier): a directory another user
 * owns or can write to is refused before anything connects to a socket in it. A missing directory
 * is no error here: nothing listens there, and connecting says "not running".
 */
export function daemonEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const runtimeDir = runtimeDirPath({ env });
  try {
    checkRuntimeDir(runtimeDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return resolveEndpoint({ runtimeDir });
}
