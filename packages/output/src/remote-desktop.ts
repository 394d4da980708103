import { existsSync } from 'node:fs';
import {
  closeRemoteDesktops,
  defaultTokenFile,
  RemoteDesktop,
  RemoteDesktopError,
} from './internal/remote-desktop.js';

export { closeRemoteDesktops };

/**
 * Asks the desktop portal on `env`'s session bus what its RemoteDesktop offers, without starting a
 * session (no dialog, no notification): for `whis doctor`.
 */
export async function probeRemoteDesktop(
  env: NodeJS.ProcessEnv,
): Promise<
  | { ok: true; version: number; keyboard: boolean; remembered: boolean; detail: string }
  | { ok: false; reason: string }
> {
  const desktop = new RemoteDesktop({ env });
  try {
    const { version, keyboard } = await desktop.probe();
    const remembered = existsSync(defaultTokenFile(env));
    const detail = `RemoteDesktop version ${version}, ${keyboard ? 'keyboard offered' : 'no keyboard'}${
      version >= 2
        ? remembered
          ? ', permission remembered'
          : ', asks once and remembers'
        : ', no remembered permission (version 1)'
    }`;
    return { ok: true, version, keyboard, remembered, detail };
  } catch (err) {
    return {
      ok: false,
      reason: err instanceof RemoteDesktopError ? err.message : (err as Error).message,
    };
  } finally {
    await desktop.close();
  }
}
