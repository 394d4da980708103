import { deadline, untilAborted } from '@whis/contracts';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run, runChecked, stopChild } from './process.js';
import type { VirtualDisplay } from './xvfb.js';

/** A real terminal whose shell writes what it receives into a file (`cat > file`). */
export interface TerminalWindow {
  /** The terminal's process (SIGSTOP it to play a window too busy to read its keys). */
  pid: number;
  /** What the terminal's program has received so far (in raw mode: every key as it comes). */
  read(): Promise<string>;
  /** Ends the line and the input (Return, ctrl+d) and resolves with what the terminal received. */
  finish(): Promise<string>;
  stop(): Promise<void>;
}

/** A GTK text entry (zenity --entry): `submit()` presses Return and resolves with what it held. */
export interface EntryWindow {
  submit(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Resolves with what `read` gives once `done` holds for it; rejects with the last of it once it has
 * not changed for `quietMs`: text still arriving (a loaded machine types slowly) is waited for, a
 * window that has stopped taking keys is not.
 */
export async function untilText(
  read: () => Promise<string>,
  done: (text: string) => boolean,
  quietMs = 10_000,
): Promise<string> {
  let last: string | undefined;
  let changedAt = Date.now();
  for (;;) {
    const now = await read();
    if (done(now)) return now;
    if (now !== last) [last, changedAt] = [now, Date.now()];
    else if (Date.now() - changedAt > quietMs)
      throw new Error(`the text window holds ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/**
 * Waits for the window of `child` and gives it the keyboard focus (no window manager needed). Fails
 * as soon as the program exits; the time limit is only for one that hangs (a program's first
 * window can take many seconds on a machine busy with other suites).
 */
async function focusWindowOf(x: VirtualDisplay, child: ChildProcess): Promise<void> {
  const pid = child.pid!;
  // what the program says when it gives up, for the error
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await run('xdotool', ['search', '--onlyvisible', '--pid', String(pid)], {
      env: x.env,
    });
    const id = found.stdout.trim().split('\n').filter(Boolean).pop();
    if (id) {
      await runChecked('xdotool', ['windowfocus', '--sync', id], { env: x.env });
      return;
    }
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `process ${pid} exited (${child.exitCode ?? child.signalCode}) before its window appeared: ${stderr.trim()}`,
      );
    if (Date.now() > deadline) throw new Error(`no window appeared for process ${pid}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * xterm running `cat > file`, focused. `raw`: the terminal hands each key to cat at once (no line
 * editing), so `read()` shows text the moment it arrives.
 */
export async function openXterm(
  x: VirtualDisplay,
  options: { raw?: boolean } = {},
): Promise<TerminalWindow> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-xterm-'));
  const file = join(dir, 'received.txt');
  const env = { ...x.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  const script = options.raw ? `stty raw -echo; exec cat > '${file}'` : `cat > '${file}'`;
  const child = spawn('xterm', ['-u8', '-e', 'sh', '-c', script], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await focusWindowOf(x, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid!,
    read: () => readFile(file, 'utf8').catch(() => ''),
    async finish() {
      await runChecked('xdotool', ['key', '--clearmodifiers', 'Return', 'ctrl+d'], { env: x.env });
      await untilAborted(exited(child), deadline(5000)).catch(() => undefined);
      return readFile(file, 'utf8');
    },
    stop,
  };
}

/**
 * zenity's text entry, focused. `text`: the entry starts with it, selected (GTK selects an entry's
 * text when it takes the focus), so that it owns PRIMARY and ctrl+c copies it.
 */
export async function openEntry(
  x: VirtualDisplay,
  options: { text?: string } = {},
): Promise<EntryWindow> {
  const initial = options.text !== undefined ? ['--entry-text', options.text] : [];
  const child = spawn('zenity', ['--entry', '--text', 'whis test', ...initial], {
    env: { ...x.env, LANG: 'C.UTF-8', NO_AT_BRIDGE: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  await focusWindowOf(x, child);
  return {
    async submit() {
      await runChecked('xdotool', ['key', '--clearmodifiers', 'Return'], { env: x.env });
      await untilAborted(exited(child), deadline(5000)).catch(() => undefined);
      return out.replace(/\n$/, '');
    },
    stop: () => stopChild(child),
  };
}

/** The unprivileged user the Wayland tests run sway as (sway refuses root). */
export const WAYLAND_TEST_USER = 'whis-test';

interface SwayNode {
  focused?: boolean;
  app_id?: string | null;
  nodes?: SwayNode[];
  floating_nodes?: SwayNode[];
}

function focusedAppId(node: SwayNode): string | undefined {
  if (node.focused) return node.app_id ?? undefined;
  for (const child of [...(node.nodes ?? []), ...(node.floating_nodes ?? [])]) {
    const found = focusedAppId(child);
    if (found) return found;
  }
  return undefined;
}

/** A headless sway with a focused foot terminal running `cat > file`, as an unprivileged user. */
export interface WaylandSession {
  /** Environment for a process of that user in the session (WAYLAND_DISPLAY, SWAYSOCK, …). */
  env: NodeJS.ProcessEnv;
  /** Runs a command as the session's user, with `env`. */
  run(
    command: string,
    args: string[],
    input?: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** A directory that user can read and write, for scripts and copies of code. */
  shared: string;
  /** sway's configuration, `~/.config/sway/config` of the session's HOME (writable by its user). */
  configFile: string;
  /** Ends the terminal's input (Return, ctrl+d) and resolves with what it received. */
  finish(): Promise<string>;
  stop(): Promise<void>;
}

/** The uid and gid of user `name`, created (as a system user) when it does not exist yet. */
export async function testUserIds(name: string): Promise<{ uid: number; gid: number }> {
  let ids = await run('id', ['-u', name]);
  if (ids.code !== 0) {
    if (process.getuid?.() !== 0)
      throw new Error(
        `the Wayland tests need a user "${name}" (create it as root: useradd --system ${name})`,
      );
    // under a lock, checked again inside it: suites that run side by side may get here at once, and
    // useradd does not refuse a name another useradd is adding (both succeed, with different uids)
    await runChecked('flock', [
      join(tmpdir(), 'whis-test-user.lock'),
      'sh',
      '-c',
      'id -u "$1" >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin "$1"',
      'sh',
      name,
    ]);
    ids = await run('id', ['-u', name]);
  }
  const gid = await run('id', ['-g', name]);
  return { uid: Number(ids.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Starts sway headless (`WLR_BACKENDS=headless`, pixman renderer) as WAYLAND_TEST_USER, with foot
 * running `cat > file` as its one, focused window. Must run as root (to switch user) or as that user.
 */
export async function startSway(): Promise<WaylandSession> {
  const user = WAYLAND_TEST_USER;
  const asRoot = process.getuid?.() === 0;
  const { uid, gid } = asRoot
    ? await testUserIds(user)
    : { uid: process.getuid!(), gid: process.getgid!() };
  const shared = await mkdtemp(join(tmpdir(), 'whis-sway-'));
  await chmod(shared, 0o755);
  const runtime = join(shared, 'run');
  await mkdir(runtime, { mode: 0o700 });
  const file = join(shared, 'received.txt');
  await writeFile(file, '');
  // where sway looks for the user's configuration (HOME is `shared`), so that a program that edits
  // it (`whis setup`) edits the file this sway reloads
  const configDir = join(shared, '.config', 'sway');
  await mkdir(configDir, { recursive: true });
  const config = join(configDir, 'config');
  await writeFile(config, `exec foot -e sh -c 'cat > ${file}'\n`);
  if (asRoot) {
    for (const path of [runtime, file, shared, dirname(configDir), configDir, config])
      await chown(path, uid, gid);
  }
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: shared,
    LANG: 'C.UTF-8',
    XDG_RUNTIME_DIR: runtime,
    XDG_SESSION_TYPE: 'wayland',
  };
  let sessionEnv: NodeJS.ProcessEnv = {
    ...base,
    WLR_BACKENDS: 'headless',
    WLR_LIBINPUT_NO_DEVICES: '1',
    WLR_RENDERER: 'pixman',
  };
  // as root, `runuser` switches to the user and `env -i` gives the command exactly sessionEnv
  const asUser = (command: string, args: string[]) =>
    asRoot
      ? {
          command: 'runuser',
          args: [
            '-u',
            user,
            '--',
            'env',
            '-i',
            ...Object.entries(sessionEnv).map(([k, v]) => `${k}=${v}`),
            command,
            ...args,
          ],
        }
      : { command, args };
  const swayCmd = asUser('sway', ['-c', config]);
  const sway = spawn(swayCmd.command, swayCmd.args, {
    env: asRoot ? process.env : sessionEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let log = '';
  sway.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    // runuser forwards the signal to sway; its clients (foot) end with the session
    if (sway.exitCode === null && sway.signalCode === null) {
      try {
        process.kill(-sway.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await untilAborted(exited(sway), deadline(3000)).catch(() => undefined);
      if (sway.exitCode === null && sway.signalCode === null) {
        try {
          process.kill(-sway.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await rm(shared, { recursive: true, force: true });
  };
  const runAs = (command: string, args: string[], input?: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const cmd = asUser(command, args);
      const child = spawn(cmd.command, cmd.args, {
        env: asRoot ? process.env : sessionEnv,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin!.end(input ?? '');
    });
  try {
    // the session is up when sway's socket answers and foot has the focus
    const deadline = Date.now() + 20_000;
    for (;;) {
      const sock = (await readdir(runtime)).find((f) => f.startsWith('sway-ipc.'));
      const display = (await readdir(runtime)).find((f) => /^wayland-\d+$/.test(f));
      if (sock && display) {
        sessionEnv = { ...base, WAYLAND_DISPLAY: display, SWAYSOCK: join(runtime, sock) };
        const tree = await runAs('swaymsg', ['-t', 'get_tree', '--raw']);
        if (tree.code === 0 && focusedAppId(JSON.parse(tree.stdout) as SwayNode) === 'foot') break;
      }
      if (sway.exitCode !== null || Date.now() > deadline)
        throw new Error(`sway did not come up with a focused foot: ${log.trim().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    get env() {
      return sessionEnv;
    },
    run: runAs,
    shared,
    configFile: config,
    async finish() {
      await runAs('wtype', ['-s', '30', '-k', 'Return', '-M', 'ctrl', '-k', 'd', '-m', 'ctrl']);
      await new Promise((r) => setTimeout(r, 500));
      return readFile(file, 'utf8');
    },
    stop,
  };
}
