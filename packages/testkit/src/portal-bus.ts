import { spawn, type ChildProcess } from 'node:child_process';
import { stopChild } from './process.js';
import type { SessionBus } from './session-bus.js';

/** The xdg-desktop-portal frontend, running on a test bus. */
export interface PortalFrontend {
  pid: number;
  /** Stops it (its name leaves the bus). */
  stop(): Promise<void>;
  /** Stops it and starts a new one, as a desktop does when the service crashes or is updated. */
  restart(): Promise<void>;
}

const FRONTEND = '/usr/libexec/xdg-desktop-portal';

/**
 * Starts the real `xdg-desktop-portal` frontend on `bus`, with the environment given (backends are
 * chosen by `XDG_CURRENT_DESKTOP` and the `.portal` files in `XDG_DESKTOP_PORTAL_DIR`), and
 * resolves once it owns `org.freedesktop.portal.Desktop`.
 */
export async function startPortalFrontend(
  bus: SessionBus,
  env: NodeJS.ProcessEnv,
): Promise<PortalFrontend> {
  let child: ChildProcess;
  const start = async () => {
    const proc = spawn(FRONTEND, ['--replace'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (e) =>
        reject(new Error(`${FRONTEND} could not start: ${e.message}. Run ./scripts/setup.sh`)),
      );
      proc.once('exit', (code, signal) =>
        reject(new Error(`xdg-desktop-portal exited (${code ?? signal}): ${err.trim()}`)),
      );
    });
    exited.catch(() => undefined);
    await Promise.race([bus.waitForName('org.freedesktop.portal.Desktop'), exited]);
  };
  await start();
  return {
    get pid() {
      return child.pid!;
    },
    stop: () => stopChild(child),
    async restart() {
      await stopChild(child);
      await start();
    },
  };
}
