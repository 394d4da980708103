import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveEndpoint } from '@whis/ipc';

// The daemon's runtime directory, resolved by the same rules as @whis/service-core's
// resolveRuntimeDir (WHIS_RUNTIME_DIR, then XDG_RUNTIME_DIR, then a private dir under the temp
// dir). It is recomputed here without validation so that `whis status` loads only @whis/ipc; the
// daemon validates the directory before it listens, and a client only connects.
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WHIS_RUNTIME_DIR) return env.WHIS_RUNTIME_DIR;
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? tmpdir(), 'whis');
  if (env.XDG_RUNTIME_DIR) return env.XDG_RUNTIME_DIR;
  return join(tmpdir(), `whis-${process.getuid?.() ?? 'user'}`);
}

export function daemonEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return resolveEndpoint({ runtimeDir: runtimeDir(env) });
}
