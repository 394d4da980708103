import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus from '@particle/dbus-next';
import { stopChild } from './process.js';

/** A private D-Bus session bus, with nothing auto-started behind the test's back. */
export interface PortalBus {
  /** e.g. `unix:path=/tmp/…/bus`. */
  address: string;
  /** A folder of the bus (runtime dir, home, portal files live under it). */
  dir: string;
  /** Environment for children: the bus address, a private XDG_RUNTIME_DIR and HOME. */
  env: NodeJS.ProcessEnv;
  pid: number;
  /** Resolves once `name` has an owner on the bus (or rejects after `timeoutMs`). */
  waitForName(name: string, timeoutMs?: number): Promise<void>;
  /** Stops the bus and removes its folder. */
  stop(): Promise<void>;
}

const busConfig = (
  serviceDir: string,
  address: string,
) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>${address}</listen>
  <servicedir>${serviceDir}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

/**
 * Starts `dbus-daemon` on a socket in a new temporary folder. Its config names an empty service
 * folder, so no portal or document store starts unless the test starts it.
 */
export async function startPortalBus(): Promise<PortalBus> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-bus-'));
  const runtime = join(dir, 'run');
  const home = join(dir, 'home');
  await mkdir(runtime, { mode: 0o700 });
  await mkdir(home);
  await mkdir(join(dir, 'services'));
  const config = join(dir, 'bus.conf');
  const address = `unix:path=${join(dir, 'bus')}`;
  await writeFile(config, busConfig(join(dir, 'services'), address));
  const child = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', (e) =>
      reject(new Error(`dbus-daemon could not start: ${e.message}. Run ./scripts/setup.sh`)),
    );
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}): ${err.trim()}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve();
    });
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: address,
    XDG_RUNTIME_DIR: runtime,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
  };
  return {
    address,
    dir,
    env,
    pid: child.pid!,
    waitForName: (name, timeoutMs = 15_000) => waitForName(address, name, timeoutMs),
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls the bus until `name` has an owner. */
export async function waitForName(
  address: string,
  name: string,
  timeoutMs = 15_000,
): Promise<void> {
  const bus = dbus.sessionBus({ busAddress: address });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await bus.call(
        new dbus.Message({
          destination: 'org.freedesktop.DBus',
          path: '/org/freedesktop/DBus',
          interface: 'org.freedesktop.DBus',
          member: 'NameHasOwner',
          signature: 's',
          body: [name],
        }),
      );
      if (reply?.body[0] === true) return;
      if (Date.now() > deadline)
        throw new Error(`${name} did not appear on the bus within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    bus.disconnect();
  }
}

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
  bus: PortalBus,
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
