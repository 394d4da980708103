import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import dbus from '@particle/dbus-next';
import { run, runChecked, stopChild } from './process.js';
import type { TextWindow } from './kde-session.js';
import { untilText } from './windows.js';

/** X keysyms of the keys tests press through mutter. */
export const KEYSYMS = {
  ctrl: 0xffe3,
  shift: 0xffe1,
  alt: 0xffe9,
  super: 0xffeb,
  tab: 0xff09,
  space: 0x20,
  enter: 0xff0d,
  escape: 0xff1b,
  a: 0x61,
  e: 0x65,
  i: 0x69,
  r: 0x72,
  s: 0x73,
} as const;

/** Presses keys in mutter through its own RemoteDesktop API (no dialog, no portal). */
export interface GnomeKeys {
  /** Holds the keys (X keysyms, see `KEYSYMS`) down, in order. */
  down(...keysyms: number[]): Promise<void>;
  /** Releases the keys, in reverse order. */
  up(...keysyms: number[]): Promise<void>;
  /** Down, then up. */
  tap(...keysyms: number[]): Promise<void>;
}

/** A headless GNOME session (gnome-shell with mutter, the portal and its GNOME backend). */
export interface GnomeSession {
  /** The major version of gnome-shell: 43 on Debian 12, 48 in the Debian 13 tree. */
  version: number;
  /** Environment of a program on the host inside the session (bus, XDG_CURRENT_DESKTOP=GNOME). */
  env: NodeJS.ProcessEnv;
  /** The session's folder as the host sees it (under the tree's `/tmp` for GNOME 48). */
  directory: string;
  /** The same folder as the desktop's programs see it. */
  innerDirectory: string;
  /** The tree the desktop runs in (`/` for the host's GNOME). */
  root: string;
  keys: GnomeKeys;
  /** Runs `gsettings` inside the desktop (its dconf, on its bus); resolves with its stdout. */
  gsettings(...args: string[]): Promise<string>;
  /** Whether `name` has an owner on the session bus now. */
  hasOwner(name: string): Promise<boolean>;
  /** Resolves once `name` has an owner on the session bus. */
  waitForName(name: string, timeoutMs?: number): Promise<void>;
  /** Opens a GTK3 text view under mutter and resolves once it has keyboard focus. */
  openTextWindow(): Promise<TextWindow>;
  /** Runs JavaScript in gnome-shell (`org.gnome.Shell.Eval`, unsafe mode) and returns its result. */
  evaluate(code: string): Promise<string>;
  /** The titles of the windows on screen, the focused one first. */
  windowTitles(): Promise<string[]>;
  /** Resolves with the title of the focused window once `match` holds for it. */
  waitForFocus(match: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Answers a dialog: waits until a window whose title matches `title` has focus, presses the
   * chords in turn (e.g. `[[alt, i], [alt, s]]`), and resolves once it is gone (pressing the last
   * chord again while it stays).
   */
  answerDialog(title: RegExp, chords: number[][]): Promise<void>;
  /** Starts gnome-settings-daemon's media-keys plugin (custom shortcuts); stopped by `stop`. */
  startMediaKeys(): Promise<void>;
  /**
   * Makes `path` (a file of the host) exist at the same path inside the desktop's tree, for a
   * desktop entry whose `Exec` names it: GLib drops entries whose program is missing. A no-op on
   * the host's GNOME.
   */
  mirrorFile(path: string): Promise<void>;
  /** Stops everything this call started. */
  stop(): Promise<void>;
}

export interface GnomeSessionOptions {
  /**
   * The file tree of the desktop: `undefined` for the host's own GNOME (43 on Debian 12), or the
   * Debian 13 tree with GNOME 48 that `gnome48Root()` builds (run in a chroot).
   */
  root?: string;
  /**
   * The portal backends the frontend may use. Default `['gnome', 'gtk']`: the host's
   * `kde.portal` is hidden, as on a GNOME-only system (`'kde'` adds it).
   */
  portals?: Array<'gnome' | 'gtk' | 'kde'>;
  /** Start the portal frontend and its backends. Default true. */
  portal?: boolean;
}

const TEXT_WINDOW = fileURLToPath(new URL('../native/text-window.py', import.meta.url));
const EXTENSION_UUID = 'whis-test@whis.invalid';
/** Where `scripts/gnome48-root.sh` builds the GNOME 48 tree by default. */
export const GNOME48_ROOT = process.env.WHIS_GNOME48_ROOT ?? '/var/cache/whis-test/gnome48';
const GNOME48_SCRIPT = fileURLToPath(new URL('../../../scripts/gnome48-root.sh', import.meta.url));

/**
 * The Debian 13 tree with GNOME 48, built once per machine by `scripts/gnome48-root.sh` (about two
 * minutes on first use; later calls find its stamp at once). Resolves with its path.
 */
export async function gnome48Root(): Promise<string> {
  await runChecked('bash', [GNOME48_SCRIPT, GNOME48_ROOT], { stdio: ['ignore', 'pipe', 'pipe'] });
  return GNOME48_ROOT;
}

// An empty <servicedir> of our own: only what the desktop needs is started on demand (dconf, the
// permission store, GNOME Settings' shortcuts provider), nothing else behind a test's back.
const busConfig = (dir: string, type: 'session' | 'system') => `<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>${type}</type>
  <keep_umask/>
  <listen>unix:path=${dir}/${type}-bus</listen>
  ${type === 'session' ? `<servicedir>${dir}/services</servicedir>` : ''}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <allow user="*"/>
  </policy>
</busconfig>
`;

// services the private bus may start on demand: [bus name, program]
const ACTIVATABLE: Array<[string, string]> = [
  ['ca.desrt.dconf', '/usr/libexec/dconf-service'],
  ['org.freedesktop.impl.portal.PermissionStore', '/usr/libexec/xdg-permission-store'],
  [
    'org.gnome.Settings.GlobalShortcutsProvider',
    '/usr/libexec/gnome-control-center-global-shortcuts-provider',
  ],
];

// A shell extension for tests: no overview at start-up (keys would go to its search), and
// unsafe mode (org.gnome.Shell.Eval) on GNOME 43, which has no --unsafe-mode flag.
const extension43 = `const Main = imports.ui.main;
function init() {
  return {
    enable() {
      global.context.unsafe_mode = true;
      if (Main.layoutManager._startingUp) {
        Main.sessionMode.hasOverview = false;
        Main.layoutManager.connect('startup-complete', () => (Main.sessionMode.hasOverview = true));
      }
    },
    disable() {},
  };
}
`;
const extension48 = `import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import { Extension } from 'resource:///org/gnome/shell/extensions/extension.js';
export default class WhisTest extends Extension {
  enable() {
    global.context.unsafe_mode = true;
    if (Main.layoutManager._startingUp) {
      Main.sessionMode.hasOverview = false;
      Main.layoutManager.connect('startup-complete', () => (Main.sessionMode.hasOverview = true));
    }
  }
  disable() {}
}
`;

interface Started extends ChildProcess {
  lastStderr: () => string;
}

/**
 * Starts a headless GNOME session for tests: two private buses (a session bus, and a system bus
 * so that gnome-shell does not die looking for logind), `gnome-shell --headless` with a virtual
 * monitor, the test extension, the xdg-desktop-portal frontend with the GNOME backend, and a key
 * injector on mutter's own `org.gnome.Mutter.RemoteDesktop`. With `root`, the desktop runs in that
 * tree (chroot) and the host's programs reach it through its bus socket.
 */
export async function startGnomeSession(options: GnomeSessionOptions = {}): Promise<GnomeSession> {
  const root = options.root ?? '/';
  const inTree = root !== '/';
  const tmp = inTree ? join(root, 'tmp') : tmpdir();
  const directory = await mkdtemp(join(tmp, 'whis-gnome-'));
  const inner = inTree ? `/tmp/${directory.slice(tmp.length + 1)}` : directory;
  const started: Started[] = [];
  const windows = new Set<TextWindow>();
  let keysBus: dbus.MessageBus | undefined;
  const stop = async () => {
    for (const window of windows) await window.close();
    keysBus?.disconnect();
    for (const child of started.reverse()) await stopChild(child);
    await rm(directory, { recursive: true, force: true });
  };
  const spawnIn = (command: string, args: string[], env: NodeJS.ProcessEnv): Started => {
    const [file, argv] = inTree ? ['chroot', [root, command, ...args]] : [command, args];
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] }) as Started;
    let stderr = '';
    child.stdout!.resume();
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-6000)));
    child.once('error', () => undefined);
    child.lastStderr = () => stderr;
    started.push(child);
    return child;
  };
  try {
    // the tree's own /proc: dbus-daemon reads a peer's pid from its pidfd there, and the portal
    // knows a host program by it. Left mounted for other sessions (scripts/gnome48-root.sh
    // unmounts it before it removes a tree).
    if (inTree && (await run('mountpoint', ['-q', join(root, 'proc')])).code !== 0)
      await runChecked('mount', ['-t', 'proc', 'proc', join(root, 'proc')]);
    for (const sub of ['services', 'home', 'data', 'portals']) await mkdir(join(directory, sub));
    await mkdir(join(directory, 'run'), { mode: 0o700 });
    for (const [name, exec] of ACTIVATABLE) {
      await writeFile(
        join(directory, 'services', `${name}.service`),
        `[D-BUS Service]\nName=${name}\nExec=${exec}\n`,
      );
    }
    for (const type of ['session', 'system'] as const)
      await writeFile(join(directory, `${type}.conf`), busConfig(inner, type));
    const shared: NodeJS.ProcessEnv = {
      XDG_CURRENT_DESKTOP: 'GNOME',
      XDG_SESSION_DESKTOP: 'gnome',
      XDG_SESSION_TYPE: 'wayland',
      LANG: 'C.UTF-8',
    };
    // the desktop's own environment, with its paths as its programs see them
    const inside: NodeJS.ProcessEnv = {
      ...(inTree
        ? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }
        : process.env),
      ...shared,
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${inner}/session-bus`,
      DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${inner}/system-bus`,
      XDG_RUNTIME_DIR: `${inner}/run`,
      HOME: `${inner}/home`,
      XDG_CONFIG_HOME: `${inner}/home/.config`,
      XDG_DATA_HOME: `${inner}/data`,
      XDG_CACHE_HOME: `${inner}/home/.cache`,
      XDG_DESKTOP_PORTAL_DIR: `${inner}/portals`,
      GSETTINGS_BACKEND: 'dconf',
      NO_AT_BRIDGE: '1',
      LIBGL_ALWAYS_SOFTWARE: '1',
    };
    for (const name of ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_DATA_DIRS', 'GIO_USE_VFS'])
      delete inside[name];
    const sessionBusAddress = `unix:path=${directory}/session-bus`;
    for (const type of ['system', 'session'] as const) {
      const bus = spawnIn('dbus-daemon', ['--config-file', `${inner}/${type}.conf`, '--nofork'], {
        ...inside,
      });
      const socket = join(directory, `${type}-bus`);
      await waitFor(
        () => existsSync(socket),
        10_000,
        () => `dbus-daemon (${type}) did not start: ${bus.lastStderr()}`,
      );
    }
    const hasOwner = (name: string) => nameHasOwner(sessionBusAddress, name);
    const waitForName = async (name: string, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await hasOwner(name).catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`${name} did not appear on the GNOME bus`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const exec = async (command: string, args: string[]) => {
      const [file, argv] = inTree ? ['chroot', [root, command, ...args]] : [command, args];
      return (await runChecked(file, argv, { env: inside })).stdout;
    };
    const version = Number(/(\d+)\./.exec(await exec('gnome-shell', ['--version']))?.[1] ?? 0);

    // the test extension, enabled before the shell starts
    const extensionDir = join(directory, 'data', 'gnome-shell', 'extensions', EXTENSION_UUID);
    await mkdir(extensionDir, { recursive: true });
    await writeFile(
      join(extensionDir, 'metadata.json'),
      JSON.stringify({
        uuid: EXTENSION_UUID,
        name: 'whis tests',
        description: 'No overview at start-up; unsafe mode',
        'shell-version': [String(version)],
      }),
    );
    await writeFile(join(extensionDir, 'extension.js'), version >= 45 ? extension48 : extension43);
    await exec('dconf', ['write', '/org/gnome/shell/enabled-extensions', `['${EXTENSION_UUID}']`]);
    await exec('dconf', ['write', '/org/gnome/shell/welcome-dialog-last-shown-version', "'999'"]);

    const shell = spawnIn(
      'gnome-shell',
      ['--headless', '--wayland', '--no-x11', '--virtual-monitor', '1280x800'],
      inside,
    );
    const shellExited = new Promise<never>((_, reject) =>
      shell.once('exit', (code, signal) =>
        reject(new Error(`gnome-shell exited (${code ?? signal}): ${shell.lastStderr()}`)),
      ),
    );
    shellExited.catch(() => undefined);
    await Promise.race([waitForName('org.gnome.Mutter.RemoteDesktop', 60_000), shellExited]);
    await Promise.race([waitForName('org.gnome.Shell', 60_000), shellExited]);
    inside.WAYLAND_DISPLAY = 'wayland-0';

    keysBus = dbus.sessionBus({ busAddress: sessionBusAddress });
    const keys = await mutterKeys(keysBus);
    // a headless mutter has no keyboard until a session sends a key: press Shift once, so that a
    // client that binds the keyboard later gets its keys
    await keys.tap(KEYSYMS.shift);

    if (options.portal ?? true) {
      const portals = options.portals ?? ['gnome', 'gtk'];
      for (const name of portals) {
        const file = `/usr/share/xdg-desktop-portal/portals/${name}.portal`;
        if (existsSync(join(root, file)))
          await copyFile(join(root, file), join(directory, 'portals', `${name}.portal`));
      }
      const conf = join(root, '/usr/share/xdg-desktop-portal/gnome-portals.conf');
      if (existsSync(conf) && !portals.includes('kde'))
        await copyFile(conf, join(directory, 'portals', 'gnome-portals.conf'));
      spawnIn('/usr/libexec/xdg-desktop-portal-gnome', [], inside);
      await waitForName('org.freedesktop.impl.portal.desktop.gnome');
      if (portals.includes('kde')) {
        spawnIn('/usr/lib/x86_64-linux-gnu/libexec/xdg-desktop-portal-kde', [], {
          ...inside,
          QT_QPA_PLATFORM: 'offscreen',
        });
        await waitForName('org.freedesktop.impl.portal.desktop.kde');
      }
      spawnIn('/usr/libexec/xdg-desktop-portal', ['--replace'], inside);
      await waitForName('org.freedesktop.portal.Desktop');
    }

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...shared,
      DBUS_SESSION_BUS_ADDRESS: sessionBusAddress,
      XDG_RUNTIME_DIR: join(directory, 'run'),
      HOME: join(directory, 'home'),
      XDG_CONFIG_HOME: join(directory, 'home', '.config'),
      XDG_DATA_HOME: join(directory, 'data'),
      XDG_CACHE_HOME: join(directory, 'home', '.cache'),
      // an absolute socket path reaches the desktop's compositor from the host too
      WAYLAND_DISPLAY: join(directory, 'run', 'wayland-0'),
    };
    delete env.DISPLAY;
    delete env.XDG_DESKTOP_PORTAL_DIR;

    const openTextWindow = async () => {
      const file = `window-${windows.size}.txt`;
      if (inTree) await copyFile(TEXT_WINDOW, join(directory, 'text-window.py'));
      const script = inTree ? `${inner}/text-window.py` : TEXT_WINDOW;
      const [command, argv] = inTree
        ? ['chroot', [root, '/usr/bin/python3', script, `${inner}/${file}`]]
        : ['/usr/bin/python3', [script, join(directory, file)]];
      const window = await startTextWindow(
        command,
        argv,
        { ...inside, GDK_BACKEND: 'wayland' },
        join(directory, file),
      );
      windows.add(window);
      return window;
    };
    const startMediaKeys = async () => {
      spawnIn('/usr/libexec/gsd-media-keys', [], inside);
      await waitForName('org.gnome.SettingsDaemon.MediaKeys');
    };
    const mirrorFile = async (path: string) => {
      if (!inTree) return;
      const target = join(root, path);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(path, target);
      await chmod(target, 0o755);
    };
    const evaluate = async (code: string) => {
      const reply = await keysBus!.call(
        new dbus.Message({
          destination: 'org.gnome.Shell',
          path: '/org/gnome/Shell',
          interface: 'org.gnome.Shell',
          member: 'Eval',
          signature: 's',
          body: [code],
        }),
      );
      const [ok, result] = (reply?.body ?? [false, 'no reply']) as [boolean, string];
      if (!ok) throw new Error(`gnome-shell could not evaluate ${code}: ${result}`);
      return result;
    };
    const windowTitles = async () =>
      JSON.parse(
        await evaluate(
          `const f = global.display.focus_window; [f ? f.get_title() : '', ...global.get_window_actors().map(a => a.meta_window.get_title()).filter(t => t !== (f && f.get_title()))]`,
        ),
      ) as string[];
    const waitForFocus = async (match: RegExp, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const titles = await windowTitles();
        if (titles[0] && match.test(titles[0])) return titles[0];
        if (Date.now() > deadline)
          throw new Error(`no focused window matched ${match}; windows: ${JSON.stringify(titles)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const answerDialog = async (title: RegExp, chords: number[][]) => {
      await waitForFocus(title);
      // a GTK dialog takes keys a moment after it has focus (keys sent at once were lost; no
      // signal marks the moment), and a pause between keys, as a person leaves
      for (const chord of chords) {
        await pause(300);
        await keys.tap(...chord);
      }
      const deadline = Date.now() + 15_000;
      for (let n = 1; (await windowTitles()).some((t) => title.test(t)); n++) {
        if (Date.now() > deadline) throw new Error(`the dialog ${title} stayed open`);
        await pause(100);
        if (n % 10 === 0) await keys.tap(...chords.at(-1)!);
      }
    };
    return {
      version,
      evaluate,
      answerDialog,
      windowTitles,
      waitForFocus,
      env,
      directory,
      innerDirectory: inner,
      root,
      keys,
      gsettings: (...args) => exec('gsettings', args),
      hasOwner,
      waitForName,
      openTextWindow,
      startMediaKeys,
      mirrorFile,
      stop,
    };
  } catch (err) {
    const why = started
      .map((c) => c.lastStderr().trim())
      .filter(Boolean)
      .join('\n---\n');
    await stop();
    throw new Error(`${(err as Error).message}${why ? `\n${why.slice(-3000)}` : ''}`, {
      cause: err,
    });
  }
}

async function waitFor(check: () => boolean, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, 20));
  }
}

const MUTTER = 'org.gnome.Mutter.RemoteDesktop';

async function mutterKeys(bus: dbus.MessageBus): Promise<GnomeKeys> {
  const call = async (
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
  ) =>
    (
      await bus.call(
        new dbus.Message({ destination: MUTTER, path, interface: iface, member, signature, body }),
      )
    )?.body ?? [];
  const [session] = (await call('/org/gnome/Mutter/RemoteDesktop', MUTTER, 'CreateSession')) as [
    string,
  ];
  await call(session, `${MUTTER}.Session`, 'Start');
  const send = (keysym: number, down: boolean) =>
    call(session, `${MUTTER}.Session`, 'NotifyKeyboardKeysym', 'ub', [keysym, down]);
  const keys: GnomeKeys = {
    async down(...keysyms) {
      for (const k of keysyms) await send(k, true);
    },
    async up(...keysyms) {
      for (const k of [...keysyms].reverse()) await send(k, false);
    },
    async tap(...keysyms) {
      await keys.down(...keysyms);
      await keys.up(...keysyms);
    },
  };
  return keys;
}

async function startTextWindow(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  file: string,
): Promise<TextWindow> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the text window never got focus: ${stderr}`)),
      30_000,
    );
    child.once('error', (e) => reject(new Error(`python3 could not start: ${e.message}`)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the text window exited (${code}): ${stderr.trim()}`));
    });
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const text = () => readFile(file, 'utf8').catch(() => '');
  return {
    text,
    waitForText: (done, timeoutMs) => untilText(text, done, timeoutMs),
    close: () => stopChild(child),
  };
}

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
