import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import dbus from '@particle/dbus-next';
import { startPortalFrontend, type PortalFrontend } from './portal-bus.js';
import { startSessionBus, type SessionBus } from './session-bus.js';
import { runChecked, stopChild } from './process.js';
import { untilText } from './windows.js';

/** Linux evdev key codes of the keys tests press. */
export const EVDEV_KEYS = {
  ctrl: 29,
  shift: 42,
  alt: 56,
  super: 125,
  e: 18,
  r: 19,
  d: 32,
  f9: 67,
} as const;

/** Qt key codes, to combine (`|`) for `KdeSession.rebind`. */
export const QT_KEYS = {
  shift: 0x02000000,
  ctrl: 0x04000000,
  alt: 0x08000000,
  meta: 0x10000000,
  d: 0x44,
  r: 0x52,
} as const;

/** Presses keys in KWin through its fake-input protocol. */
export interface KeyInjector {
  /** Holds the keys down, in order; resolves once KWin has them. */
  down(...codes: number[]): Promise<void>;
  /** Releases the keys, in reverse order. */
  up(...codes: number[]): Promise<void>;
  /** Down, then up. */
  tap(...codes: number[]): Promise<void>;
  stop(): Promise<void>;
}

/** A headless KDE Plasma 5.27 session: KWin (with kglobalaccel), the KDE portal, the frontend. */
export interface KdeSession {
  bus: SessionBus;
  /** Environment of a program inside the session (bus, WAYLAND_DISPLAY, XDG_CURRENT_DESKTOP=KDE). */
  env: NodeJS.ProcessEnv;
  keys: KeyInjector;
  frontend: PortalFrontend;
  /**
   * Assigns another key to a global shortcut in kglobalaccel, as the user does in System Settings
   * > Shortcuts. `component`: the portal names it after the session token; `qtKeys`: Qt key codes
   * with modifiers (see `QT_KEYS`).
   */
  rebind(component: string, action: string, qtKeys: number): Promise<void>;
  /**
   * Opens a GTK3 text view under KWin (Wayland) and resolves once it has keyboard focus: what is
   * typed or pasted into it can be read back. Closed by `stop` if not before.
   */
  openTextWindow(): Promise<TextWindow>;
  /**
   * Ends every session the KDE portal holds (RemoteDesktop, GlobalShortcuts), as its tray icon's
   * "end session" does; resolves with how many it closed.
   */
  endPortalSessions(): Promise<number>;
  /** Stops everything this call started. */
  stop(): Promise<void>;
}

/** A focused GTK text view whose text is mirrored to a file. */
export interface TextWindow {
  /** Its text now. */
  text(): Promise<string>;
  /**
   * Resolves with its text once `done` holds for it; rejects with the last text once it has not
   * changed for `timeoutMs` (default 10 s): a window still taking keys is waited for.
   */
  waitForText(done: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export interface KdeSessionOptions {
  /**
   * Keyboard layouts written to `kxkbrc` before KWin starts, e.g. `['fr']` (the first is active).
   * Default: none written (KWin's default, US).
   */
  layouts?: string[];
}

const SOURCE = fileURLToPath(new URL('../native/fake-input.c', import.meta.url));
const TEXT_WINDOW = fileURLToPath(new URL('../native/text-window.py', import.meta.url));
const PROTOCOL = '/usr/share/plasma-wayland-protocols/fake-input.xml';

/**
 * Builds the fake-input client (wayland-scanner + gcc) once per version of its source, into a
 * cache folder under the system temp dir, and returns its path.
 */
export async function buildFakeInput(): Promise<string> {
  const source = await readFile(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'whis-testkit-cache', `fake-input-${hash}`);
  const binary = join(dir, 'fake-input');
  if (existsSync(binary)) return binary;
  await mkdir(dir, { recursive: true });
  const header = join(dir, 'fake-input-client-protocol.h');
  const code = join(dir, 'fake-input-protocol.c');
  await runChecked('wayland-scanner', ['client-header', PROTOCOL, header]);
  await runChecked('wayland-scanner', ['private-code', PROTOCOL, code]);
  const flags = (await runChecked('pkg-config', ['--cflags', '--libs', 'wayland-client'])).stdout
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  // built under a temporary name: two suites building at once never run a half-written binary
  const partial = `${binary}.${process.pid}`;
  await runChecked('gcc', ['-O2', `-I${dir}`, '-o', partial, SOURCE, code, ...flags]);
  await rename(partial, binary);
  return binary;
}

async function startInjector(env: NodeJS.ProcessEnv): Promise<KeyInjector> {
  const binary = await buildFakeInput();
  const child = spawn(binary, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<() => void> = [];
  let ready: () => void;
  const readyPromise = new Promise<void>((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) =>
      reject(new Error(`fake-input exited (${code}): ${stderr.trim()}`)),
    );
  });
  lines.on('line', (line) => {
    if (line === 'ready') ready();
    else if (line === 'ok') waiting.shift()?.();
  });
  await readyPromise;
  const send = (action: 'down' | 'up', code: number) =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      child.stdin!.write(`${action} ${code}\n`);
    });
  const injector: KeyInjector = {
    async down(...codes) {
      for (const code of codes) await send('down', code);
    },
    async up(...codes) {
      for (const code of [...codes].reverse()) await send('up', code);
    },
    async tap(...codes) {
      await injector.down(...codes);
      await injector.up(...codes);
    },
    async stop() {
      child.stdin!.end();
      await stopChild(child);
    },
  };
  return injector;
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.once('error', () => undefined);
  (child as ChildProcess & { lastStderr: () => string }).lastStderr = () => stderr;
  return child;
}

/**
 * Starts a headless KDE Plasma 5.27 session on a private bus: a copy of `kwin_wayland` (the
 * packaged binary carries a file capability that containers refuse; a copy has none) with
 * `--virtual` and `KWIN_WAYLAND_NO_PERMISSION_CHECKS=1` (for fake-input), which hosts
 * kglobalaccel; `xdg-desktop-portal-kde`; the `xdg-desktop-portal` frontend; a key injector.
 */
export async function startKdeSession(options: KdeSessionOptions = {}): Promise<KdeSession> {
  const bus = await startSessionBus();
  const started: ChildProcess[] = [];
  const windows = new Set<TextWindow>();
  let keys: KeyInjector | undefined;
  let frontend: PortalFrontend | undefined;
  const stop = async () => {
    for (const window of windows) await window.close();
    await keys?.stop();
    await frontend?.stop();
    for (const child of started.reverse()) await stopChild(child);
    await bus.stop();
  };
  try {
    const kwin = join(bus.directory, 'kwin_wayland');
    await copyFile('/usr/bin/kwin_wayland', kwin);
    const env: NodeJS.ProcessEnv = {
      ...bus.env,
      XDG_CURRENT_DESKTOP: 'KDE',
      XDG_SESSION_TYPE: 'wayland',
      KDE_FULL_SESSION: 'true',
      KWIN_WAYLAND_NO_PERMISSION_CHECKS: '1',
      QT_QPA_PLATFORM: 'wayland',
    };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.XDG_DESKTOP_PORTAL_DIR;
    if (options.layouts) {
      const config = env.XDG_CONFIG_HOME!;
      await mkdir(config, { recursive: true });
      await writeFile(
        join(config, 'kxkbrc'),
        `[Layout]\nLayoutList=${options.layouts.join(',')}\nUse=true\n`,
      );
    }
    started.push(
      startProcess(
        kwin,
        [
          '--virtual',
          '--width',
          '1280',
          '--height',
          '800',
          '--no-lockscreen',
          '--socket',
          'wayland-kwin',
        ],
        { ...env, QT_QPA_PLATFORM: 'offscreen' },
      ),
    );
    await bus.waitForName('org.kde.kglobalaccel', 30_000);
    env.WAYLAND_DISPLAY = 'wayland-kwin';
    started.push(startProcess('/usr/lib/x86_64-linux-gnu/libexec/xdg-desktop-portal-kde', [], env));
    await bus.waitForName('org.freedesktop.impl.portal.desktop.kde', 30_000);
    frontend = await startPortalFrontend(bus, env);
    keys = await startInjector(env);
    const rebind = async (component: string, action: string, qtKeys: number) => {
      const connection = dbus.sessionBus({ busAddress: bus.address });
      try {
        await connection.call(
          new dbus.Message({
            destination: 'org.kde.kglobalaccel',
            path: '/kglobalaccel',
            interface: 'org.kde.KGlobalAccel',
            member: 'setForeignShortcut',
            signature: 'asai',
            body: [[component, action, component, ''], [qtKeys]],
          }),
        );
      } finally {
        connection.disconnect();
      }
    };
    const openTextWindow = async () => {
      const window = await startTextWindow(env, join(bus.directory, `window-${windows.size}.txt`));
      windows.add(window);
      return window;
    };
    const endPortalSessions = () => endSessions(bus.address);
    return { bus, env, keys, frontend, rebind, openTextWindow, endPortalSessions, stop };
  } catch (err) {
    const why = started
      .map((c) => (c as ChildProcess & { lastStderr: () => string }).lastStderr().trim())
      .filter(Boolean)
      .join('\n---\n');
    await stop();
    throw new Error(`${(err as Error).message}${why ? `\n${why.slice(-3000)}` : ''}`, {
      cause: err,
    });
  }
}

async function startTextWindow(env: NodeJS.ProcessEnv, file: string): Promise<TextWindow> {
  // Debian's python3 has the GTK bindings (gir1.2-gtk-3.0); another python3 on PATH may not
  const child = spawn('/usr/bin/python3', [TEXT_WINDOW, file], {
    env: { ...env, GDK_BACKEND: 'wayland' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
      reject(
        new Error(`the text window exited (${code}): ${stderr.trim()}. Run ./scripts/setup.sh`),
      );
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

async function endSessions(address: string): Promise<number> {
  const connection = dbus.sessionBus({ busAddress: address });
  const backend = 'org.freedesktop.impl.portal.desktop.kde';
  const children = async (path: string): Promise<string[]> => {
    const reply = await connection.call(
      new dbus.Message({
        destination: backend,
        path,
        interface: 'org.freedesktop.DBus.Introspectable',
        member: 'Introspect',
      }),
    );
    const xml = String(reply?.body[0] ?? '');
    return [...xml.matchAll(/<node name="([^"]+)"/g)].map((m) => `${path}/${m[1]}`);
  };
  let closed = 0;
  try {
    for (const sender of await children('/org/freedesktop/portal/desktop/session'))
      for (const session of await children(sender)) {
        await connection.call(
          new dbus.Message({
            destination: backend,
            path: session,
            interface: 'org.freedesktop.impl.portal.Session',
            member: 'Close',
          }),
        );
        closed++;
      }
  } finally {
    connection.disconnect();
  }
  return closed;
}
