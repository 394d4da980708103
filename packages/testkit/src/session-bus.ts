import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus from '@particle/dbus-next';
import { stopChild } from './process.js';

export interface SessionBus {
  /** e.g. `unix:path=/tmp/whis-bus-xyz/bus`. */
  address: string;
  /** `process.env` with this bus as the session bus (and a private `XDG_RUNTIME_DIR` and `HOME`). */
  env: NodeJS.ProcessEnv;
  /** The folder of this bus (its socket, config, runtime and home folders). */
  directory: string;
  pid: number;
  /** Resolves once `name` has an owner on this bus; rejects after `timeoutMs`. */
  waitForName(name: string, timeoutMs?: number): Promise<void>;
  /** Whether `name` has an owner now. */
  hasOwner(name: string): Promise<boolean>;
  /** Stops the dbus-daemon this call started and removes its folder. */
  stop(): Promise<void>;
}

// An empty <servicedir>: nothing is started on demand behind a test's back (the system's session
// config would start xdg-document-portal, notification daemons, …).
const config = (
  dir: string,
) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=${dir}/bus</listen>
  <servicedir>${dir}/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

/**
 * Starts a private D-Bus session bus (`dbus-daemon`) for one test: its own socket, no services
 * started on demand. Resolves once it accepts connections.
 */
export async function startSessionBus(): Promise<SessionBus> {
  const directory = await mkdtemp(join(tmpdir(), 'whis-bus-'));
  await mkdir(join(directory, 'services'));
  await mkdir(join(directory, 'run'), { mode: 0o700 });
  await mkdir(join(directory, 'home'));
  await writeFile(join(directory, 'session.conf'), config(directory));
  const child = spawn(
    'dbus-daemon',
    ['--config-file', join(directory, 'session.conf'), '--nofork', '--print-address=1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    child.once('error', (e) =>
      reject(new Error(`dbus-daemon could not start: ${e.message}. Run ./scripts/setup.sh.`)),
    );
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}): ${err.trim()}`)));
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: address,
    XDG_RUNTIME_DIR: join(directory, 'run'),
    HOME: join(directory, 'home'),
    XDG_CONFIG_HOME: join(directory, 'home', '.config'),
    XDG_DATA_HOME: join(directory, 'home', '.local/share'),
    XDG_CACHE_HOME: join(directory, 'home', '.cache'),
  };
  const hasOwner = (name: string) => nameHasOwner(address, name);
  return {
    address,
    env,
    directory,
    pid: child.pid!,
    hasOwner,
    async waitForName(name, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await hasOwner(name))) {
        if (Date.now() > deadline) throw new Error(`${name} did not appear on the bus`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await stopChild(child);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Whether `name` has an owner on the bus at `address` now. */
async function nameHasOwner(address: string, name: string): Promise<boolean> {
  const bus = dbus.sessionBus({ busAddress: address });
  try {
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
    return reply?.body[0] === true;
  } finally {
    bus.disconnect();
  }
}
