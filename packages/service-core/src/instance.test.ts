import { spawn } from 'node:child_process';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectToDaemon } from '@whis/ipc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireInstance, probeInstance } from './instance.js';
import { race, release, plantStaleSocket, type Contender } from './internal/contenders.js';
import { resolveRuntimeDir, type RuntimeDir } from './runtime.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'whis-inst-'));
  await chmod(root, 0o700);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
async function freshRuntime(): Promise<RuntimeDir> {
  return resolveRuntimeDir({ env: { WHIS_RUNTIME_DIR: join(root, `r${n++}`) } });
}

async function checkRound(runtime: RuntimeDir, contenders: Contender[]): Promise<void> {
  const owners = contenders.filter((c) => c.result.owner);
  expect(owners, JSON.stringify(contenders.map((c) => c.result))).toHaveLength(1);
  const owner = owners[0]!;
  for (const c of contenders) {
    if (c !== owner)
      expect(c.result).toMatchObject({
        owner: false,
        code: 'already-running',
        pid: owner.result.pid,
      });
  }
  const client = await connectToDaemon(runtime.socketPath, { timeoutMs: 5000 });
  expect(client.serverInfo.pid).toBe(owner.result.pid);
  client.close();
  expect((await readFile(runtime.pidPath, 'utf8')).trim()).toBe(String(owner.result.pid));
  await release(owner);
  await expect(lstat(runtime.socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
}

describe('32 processes racing for one runtime directory', () => {
  // 640 process starts: on a busy 2-core machine (two CPU-bound processes beside it) they took
  // over 240 s, every round still correct; the assertion is about owners, not time
  it('exactly one owner per round, from a clean directory (10 rounds) and with a stale socket (10 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const runtime = await freshRuntime();
      if (round % 2 === 1) plantStaleSocket(runtime.socketPath);
      const contenders = await race(runtime.dir, 32);
      await checkRound(runtime, contenders);
    }
  }, 900_000);
});

describe('crashed and stopped owners', () => {
  it('after SIGKILL the socket is stale: probe says so and cleans it, and a new start succeeds', async () => {
    const runtime = await freshRuntime();
    const [owner] = await race(runtime.dir, 1);
    owner!.child.kill('SIGKILL');
    await new Promise((r) => owner!.child.once('exit', r));
    expect((await lstat(runtime.socketPath)).isSocket()).toBe(true);
    expect(await probeInstance(runtime)).toEqual({ state: 'stale' });
    expect(await probeInstance(runtime)).toEqual({ state: 'not-running' });
    plantStaleSocket(runtime.socketPath);
    const instance = await acquireInstance(runtime);
    expect(await probeInstance(runtime)).toMatchObject({ state: 'unresponsive' }); // no IPC server attached
    await instance.release();
  });

  it('a SIGSTOPped owner is reported as unresponsive, never removed, and fine after SIGCONT', async () => {
    const runtime = await freshRuntime();
    const [owner] = await race(runtime.dir, 1);
    owner!.child.kill('SIGSTOP');
    try {
      await expect(acquireInstance(runtime, { probeTimeoutMs: 300 })).rejects.toMatchObject({
        code: 'unresponsive',
        pid: owner!.result.pid,
      });
      expect(await probeInstance(runtime, { probeTimeoutMs: 300 })).toEqual({
        state: 'unresponsive',
        pid: owner!.result.pid,
      });
      expect((await lstat(runtime.socketPath)).isSocket()).toBe(true);
    } finally {
      owner!.child.kill('SIGCONT');
    }
    const client = await connectToDaemon(runtime.socketPath, { timeoutMs: 5000 });
    expect(client.serverInfo.pid).toBe(owner!.result.pid);
    client.close();
    await release(owner!);
  });

  it('a PID file naming an unrelated live process does not block a start, and that process is left alone', async () => {
    const runtime = await freshRuntime();
    const bystander = spawn('sleep', ['30']);
    try {
      await writeFile(runtime.pidPath, `${bystander.pid}\n`);
      const instance = await acquireInstance(runtime);
      expect((await readFile(runtime.pidPath, 'utf8')).trim()).toBe(String(process.pid));
      await instance.release();
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
      expect(() => process.kill(bystander.pid!, 0)).not.toThrow();
    } finally {
      bystander.kill();
    }
  });

  it('release() leaves a socket that another daemon put in our place', async () => {
    const runtime = await freshRuntime();
    const instance = await acquireInstance(runtime);
    await rm(runtime.socketPath);
    plantStaleSocket(runtime.socketPath);
    const planted = (await lstat(runtime.socketPath)).ino;
    await instance.release();
    expect((await lstat(runtime.socketPath)).ino).toBe(planted);
  });

  it('notices when its socket file is removed', async () => {
    const runtime = await freshRuntime();
    const instance = await acquireInstance(runtime);
    const lost = new Promise<void>((resolve) => instance.onLost(resolve));
    await rm(runtime.socketPath);
    await lost;
    await instance.release();
  });
});

describe('planted paths (another user: uid 65534)', () => {
  const NOBODY = 65534;

  it('refuses a directory owned by another user', async () => {
    const dir = join(root, 'theirs');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, NOBODY, NOBODY);
    await expect(resolveRuntimeDir({ env: { WHIS_RUNTIME_DIR: dir } })).rejects.toMatchObject({
      code: 'insecure-dir',
      message: expect.stringContaining(`${dir} belongs to uid ${NOBODY}`),
    });
    expect((await lstat(dir)).uid).toBe(NOBODY);
  });

  it('refuses a symlinked directory, leaving its target unchanged', async () => {
    const target = join(root, 'target');
    await mkdir(target, { mode: 0o700 });
    await chown(target, NOBODY, NOBODY);
    const link = join(root, 'linked');
    await symlink(target, link);
    await expect(resolveRuntimeDir({ env: { WHIS_RUNTIME_DIR: link } })).rejects.toMatchObject({
      code: 'insecure-dir',
      message: expect.stringContaining('is a symbolic link'),
    });
    expect((await lstat(target)).uid).toBe(NOBODY);
  });

  it('refuses a group-writable directory, saying how to fix it', async () => {
    const dir = join(root, 'open');
    await mkdir(dir);
    await chmod(dir, 0o770);
    await expect(resolveRuntimeDir({ env: { WHIS_RUNTIME_DIR: dir } })).rejects.toMatchObject({
      code: 'insecure-dir',
      message: expect.stringContaining(`chmod 700 ${dir}`),
    });
  });

  it('refuses a symlink planted at the socket path, leaving its target unchanged', async () => {
    const runtime = await freshRuntime();
    const target = join(root, 'their-file');
    await writeFile(target, 'precious');
    await chown(target, NOBODY, NOBODY);
    await symlink(target, runtime.socketPath);
    await expect(acquireInstance(runtime)).rejects.toMatchObject({
      code: 'insecure-dir',
      message: expect.stringContaining('is a symbolic link'),
    });
    expect(await readFile(target, 'utf8')).toBe('precious');
    expect((await lstat(runtime.socketPath)).isSymbolicLink()).toBe(true);
  });
});

describe('runtime directories near the socket path limit', () => {
  it('a 90-byte runtime directory starts, and no temporary socket is left beside whis.sock', async () => {
    const base = join(root, 'long-');
    const dir = base + 'd'.repeat(90 - Buffer.byteLength(base));
    expect(Buffer.byteLength(dir)).toBe(90);
    const runtime = await resolveRuntimeDir({ env: { WHIS_RUNTIME_DIR: dir } });
    const instance = await acquireInstance(runtime);
    try {
      expect((await lstat(runtime.socketPath)).isSocket()).toBe(true);
      const names = await readdir(dir);
      expect(names).toContain('whis.pid');
      expect(names.filter((name) => name.startsWith('.'))).toEqual([]);
    } finally {
      await instance.release();
    }
    await expect(lstat(runtime.socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
