import { watch, type FSWatcher } from 'node:fs';
import { link, lstat, readFile, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { basename } from 'node:path';
import { writeFileAtomic } from '@whis/config';
import { connectToDaemon, tempSocketPath, type IpcServer, type StatusResult } from '@whis/ipc';
import { InstanceError } from './errors.js';
import type { RuntimeDir } from './runtime.js';
import { shortLock } from './internal/short-lock.js';

/** This process's claim on the runtime directory: the listening socket and the PID file. */
export interface Instance {
  readonly server: net.Server;
  readonly socketPath: string;
  readonly pidPath: string;
  /** Passes connections accepted so far, and all later ones, to the IPC server. */
  handOver(ipc: IpcServer): void;
  /** Called once if our socket file is removed or replaced while we run. Returns a disposer. */
  onLost(listener: () => void): () => void;
  /** Closes the socket and removes our files (only ours: checked by inode and by content). */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long a probe of an existing socket may take before that daemon counts as unresponsive. */
  probeTimeoutMs?: number;
}

type Probe =
  | { kind: 'alive'; pid: number }
  | { kind: 'refused' }
  | { kind: 'absent' }
  | { kind: 'unresponsive' };

async function probe(path: string, timeoutMs: number): Promise<Probe> {
  try {
    const client = await connectToDaemon(path, { timeoutMs, client: 'whis-instance-probe' });
    const pid = client.serverInfo.pid;
    client.close();
    return { kind: 'alive', pid };
  } catch (err) {
    switch ((err as { code?: string }).code) {
      case 'stale':
        return { kind: 'refused' };
      case 'not-running':
        return { kind: 'absent' };
      default:
        // a busy or stopped daemon, or something that is not whis: never ours to remove
        return { kind: 'unresponsive' };
    }
  }
}

async function readPid(pidPath: string): Promise<number | undefined> {
  const text = await readFile(pidPath, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

// Stale removal happens under a lock, and only after two refusals: two starting daemons cannot
// both decide a socket is stale, and a socket that a live daemon just linked is never removed.
async function removeIfStale(runtime: RuntimeDir, timeoutMs: number): Promise<boolean> {
  const release = await shortLock(runtime.dir, 'whis.lock');
  try {
    const before = await lstat(runtime.socketPath).catch(() => undefined);
    if (!before) return true;
    for (let i = 0; i < 2; i++) {
      if ((await probe(runtime.socketPath, timeoutMs)).kind !== 'refused') return false;
    }
    const after = await lstat(runtime.socketPath).catch(() => undefined);
    if (!after) return true;
    if (after.ino !== before.ino) return false;
    await unlink(runtime.socketPath).catch(() => undefined);
    return true;
  } finally {
    await release();
  }
}

function listenPrivately(server: net.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // bind happens synchronously inside listen(): the socket file is created 0600 under this umask
    const previous = process.umask(0o077);
    try {
      server.listen({ path, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
}

/**
 * Claims the runtime directory for this process, race-free: listen on a unique temporary name,
 * then `link()` it to `whis.sock`, which fails if any socket is there. An existing socket that
 * answers means `already-running` (with that daemon's pid, read over the socket); one that does not
 * answer is `unresponsive` and left alone; only one that refuses connections twice, under a lock,
 * is stale and removed.
 */
export async function acquireInstance(
  runtime: RuntimeDir,
  options: AcquireOptions = {},
): Promise<Instance> {
  const timeoutMs = options.probeTimeoutMs ?? 2000;
  const server = net.createServer({ allowHalfOpen: true });
  const queued: net.Socket[] = [];
  const queue = (socket: net.Socket) => {
    socket.on('error', () => undefined);
    queued.push(socket);
  };
  server.on('connection', queue);

  const tmp = await listenOnTemporaryName(server, runtime.dir);
  const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  try {
    await linkSocket(tmp, runtime, timeoutMs);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    for (const socket of queued) socket.destroy();
    await closeServer();
    if (err instanceof InstanceError) throw err;
    throw new InstanceError(
      'instance-failed',
      `Cannot create ${runtime.socketPath}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  await unlink(tmp).catch(() => undefined);
  const ino = (await stat(runtime.socketPath)).ino;

  // informational only: nothing signals a pid read from this file
  await writeFileAtomic(runtime.pidPath, `${process.pid}\n`);

  const lostListeners = new Set<() => void>();
  let lost = false;
  // inotify, not polling: an idle daemon must not wake up to look at its socket
  let watcher: FSWatcher | undefined;
  const check = () => {
    if (lost) return;
    lstat(runtime.socketPath).then(
      (s) => s.ino !== ino && markLost(),
      () => markLost(),
    );
  };
  const markLost = () => {
    if (lost) return;
    lost = true;
    for (const listener of lostListeners) listener();
  };
  if (process.platform !== 'win32') {
    watcher = watch(runtime.dir, { persistent: false }, (_event, name) => {
      if (name === null || name === basename(runtime.socketPath)) check();
    });
    watcher.on('error', () => undefined);
  }

  let released: Promise<void> | undefined;
  return {
    server,
    socketPath: runtime.socketPath,
    pidPath: runtime.pidPath,
    handOver(ipc) {
      server.off('connection', queue);
      for (const socket of queued.splice(0)) ipc.handleConnection(socket);
    },
    onLost(listener) {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
    release() {
      released ??= (async () => {
        watcher?.close();
        lost = true;
        const current = await lstat(runtime.socketPath).catch(() => undefined);
        if (current?.ino === ino) await unlink(runtime.socketPath).catch(() => undefined);
        if ((await readPid(runtime.pidPath)) === process.pid)
          await unlink(runtime.pidPath).catch(() => undefined);
        for (const socket of queued.splice(0)) socket.destroy();
        if (server.listening) await closeServer();
      })();
      return released;
    },
  };
}

// Listens on a short random name (see tempSocketPath): should two starting daemons draw the same
// one, the second bind fails with EADDRINUSE and draws again.
async function listenOnTemporaryName(server: net.Server, dir: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const tmp = tempSocketPath(dir);
    try {
      await listenPrivately(server, tmp);
      return tmp;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) {
        throw new InstanceError(
          'instance-failed',
          `Cannot listen in ${dir}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  }
}

// Links the listening socket to `whis.sock`. A socket already there is a running daemon or an
// unresponsive one (an error each), or a stale one: removed, and the link tried again.
async function linkSocket(tmp: string, runtime: RuntimeDir, timeoutMs: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await link(tmp, runtime.socketPath);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw err;
    }
    const existing = await lstat(runtime.socketPath).catch(() => undefined);
    if (existing && !existing.isSocket()) {
      throw new InstanceError(
        'insecure-dir',
        `${runtime.socketPath} is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a socket'}; whis will not use or remove it. Remove it yourself if it is not needed.`,
      );
    }
    const found = await probe(runtime.socketPath, timeoutMs);
    if (found.kind === 'alive') {
      throw new InstanceError(
        'already-running',
        `whis is already running (pid ${found.pid}). Stop it with \`whis stop\`.`,
        { pid: found.pid },
      );
    }
    if (found.kind === 'unresponsive') {
      const pid = await readPid(runtime.pidPath);
      throw new InstanceError(
        'unresponsive',
        `A whis daemon${pid ? ` (pid ${pid}, from ${runtime.pidPath})` : ''} holds ${runtime.socketPath} but does not answer. ` +
          'It may be stopped (SIGSTOP) or stuck; check it, and end it yourself if it is stuck. whis will not remove a live socket.',
        { pid },
      );
    }
    if (found.kind === 'refused') await removeIfStale(runtime, timeoutMs);
  }
}

export type ProbeResult =
  | { state: 'running'; status: StatusResult }
  | { state: 'not-running' }
  | { state: 'stale' }
  | { state: 'unresponsive'; pid: number | undefined };

/** What is at the runtime directory: a running daemon (with its status), nothing, a stale socket (now cleaned), or an unresponsive daemon. */
export async function probeInstance(
  runtime: RuntimeDir,
  options: AcquireOptions = {},
): Promise<ProbeResult> {
  const timeoutMs = options.probeTimeoutMs ?? 2000;
  try {
    const client = await connectToDaemon(runtime.socketPath, { timeoutMs, client: 'whis-probe' });
    try {
      return { state: 'running', status: await client.request('status') };
    } finally {
      client.close();
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'not-running') return { state: 'not-running' };
    if (code === 'stale') {
      if (await removeIfStale(runtime, timeoutMs)) {
        const pid = await readPid(runtime.pidPath);
        // the PID file is ours to remove only when no socket is left to vouch for it
        if (pid !== undefined) await unlink(runtime.pidPath).catch(() => undefined);
        return { state: 'stale' };
      }
      return probeInstance(runtime, options);
    }
    return { state: 'unresponsive', pid: await readPid(runtime.pidPath) };
  }
}
