import { mkdtemp, readFile, rm, stat, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWhisError } from '@whis/contracts';
import { chmod, mkdir } from 'node:fs/promises';
import { ensurePrivateDir, openLogFile, writeFileAtomic } from './files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces a file whole, privately, and leaves no temp file', async () => {
    const file = join(dir, 'a.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(await readFile(file, 'utf8')).toBe('two');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['a.json']);
  });
});

describe('openLogFile', () => {
  it('refuses a log path that is a symlink and leaves its target alone', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'keep');
    const log = join(dir, 'whisd.log');
    await symlink(victim, log);
    expect(() => openLogFile(log)).toThrow(/symbolic link/);
    expect(await readFile(victim, 'utf8')).toBe('keep');
  });

  it('appends 0600 and rotates at its size bound', async () => {
    const log = join(dir, 'whisd.log');
    const file = openLogFile(log, { maxBytes: 1000 });
    for (let i = 0; i < 50; i++) file.write(`${'x'.repeat(99)}\n`);
    file.close();
    expect((await stat(log)).mode & 0o777).toBe(0o600);
    expect((await stat(log)).size).toBeLessThanOrEqual(1000);
    expect((await stat(`${log}.1`)).size).toBeLessThanOrEqual(1000);
    expect((await readdir(dir)).sort()).toEqual(['whisd.log', 'whisd.log.1']);
  });
});

describe('a file failure is a coded whis error', () => {
  const caught = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('expected a failure');
  };

  it('a log through a symlink: config/path-blocked, the errno kept', async () => {
    const log = join(dir, 'whisd.log');
    await symlink(join(dir, 'elsewhere'), log);
    const err = caught(() => openLogFile(log));
    expect(isWhisError(err)).toBe(true);
    expect(err).toMatchObject({ name: 'FileError', id: 'config/path-blocked', errno: 'ELOOP' });
  });

  it('a directory open to others: config/insecure-dir', async () => {
    const open = join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    const err = await ensurePrivateDir(open).catch((e: unknown) => e);
    expect(isWhisError(err)).toBe(true);
    expect(err).toMatchObject({ id: 'config/insecure-dir' });
  });

  it('a write that cannot happen: config/file-failed, with the errno', async () => {
    const err = await writeFileAtomic(join(dir, 'missing', 'a.json'), 'x').catch((e: unknown) => e);
    expect(err).toMatchObject({ id: 'config/file-failed', errno: 'ENOENT' });
  });
});
