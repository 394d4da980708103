import { spawnSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRuntimeDir, runtimeDirPath, validateRuntimeDir } from './runtime.js';

const NOBODY = 65534;
const uid = process.getuid?.() ?? 0;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'whis-rt-'));
  // other users may pass through (to reach the shared dirs below) but not list it
  await chmod(root, 0o711);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// Runs a command as uid/gid 65534, the way another local user would plant something.
function asNobody(...args: string[]): void {
  const result = spawnSync(
    'setpriv',
    ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', ...args],
    { encoding: 'utf8' },
  );
  if (result.error) throw new Error(`setpriv is needed for this test: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`setpriv ${args.join(' ')}: ${result.stderr}`);
}

// A shared, sticky, world-writable directory like /tmp, where other users can plant names.
async function sharedTmp(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  await chmod(dir, 0o1777);
  return dir;
}

describe('where the runtime directory is', () => {
  it('WHIS_RUNTIME_DIR wins over XDG_RUNTIME_DIR, which wins over <tmp>/whis-<uid>', () => {
    expect(
      runtimeDirPath({ env: { WHIS_RUNTIME_DIR: '/a', XDG_RUNTIME_DIR: '/b' }, tmpDir: '/t' }),
    ).toBe('/a');
    expect(runtimeDirPath({ env: { XDG_RUNTIME_DIR: '/b' }, tmpDir: '/t' })).toBe('/b');
    expect(runtimeDirPath({ env: {}, tmpDir: '/t' })).toBe(`/t/whis-${uid}`);
  });

  it('on Windows, files live under %LOCALAPPDATA%\\whis', () => {
    expect(
      runtimeDirPath({ env: { LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' }, platform: 'win32' }),
    ).toBe('C:\\Users\\me\\AppData\\Local\\whis');
  });

  it('XDG_RUNTIME_DIR holds whis.sock and whis.pid directly, as in the original', async () => {
    const xdg = join(root, 'xdg');
    await mkdir(xdg, { mode: 0o700 });
    expect(await resolveRuntimeDir({ env: { XDG_RUNTIME_DIR: xdg } })).toEqual({
      dir: xdg,
      socketPath: join(xdg, 'whis.sock'),
      pidPath: join(xdg, 'whis.pid'),
    });
  });

  it('creates <tmp>/whis-<uid> 0700 when missing, and reuses it', async () => {
    const tmp = await sharedTmp('fresh-tmp');
    const first = await resolveRuntimeDir({ env: {}, tmpDir: tmp });
    expect(first.dir).toBe(join(tmp, `whis-${uid}`));
    const stat = await lstat(first.dir);
    expect(stat.isDirectory()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o700);
    expect(stat.uid).toBe(uid);
    expect(await resolveRuntimeDir({ env: {}, tmpDir: tmp })).toEqual(first);
  });

  it('creates WHIS_RUNTIME_DIR (one level, never its parents)', async () => {
    const dir = join(root, 'mine');
    expect((await resolveRuntimeDir({ env: { WHIS_RUNTIME_DIR: dir } })).dir).toBe(dir);
    expect((await lstat(dir)).mode & 0o777).toBe(0o700);
    const deep = join(root, 'no', 'such', 'parent');
    await expect(resolveRuntimeDir({ env: { WHIS_RUNTIME_DIR: deep } })).rejects.toMatchObject({
      code: 'insecure-dir',
      message: expect.stringContaining(deep),
    });
    await expect(lstat(join(root, 'no'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('does not create a missing XDG_RUNTIME_DIR, and says what to do', async () => {
    const missing = join(root, 'gone');
    await expect(resolveRuntimeDir({ env: { XDG_RUNTIME_DIR: missing } })).rejects.toMatchObject({
      code: 'insecure-dir',
      message: expect.stringContaining('unset XDG_RUNTIME_DIR'),
    });
    await expect(lstat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('says how to fix a socket path longer than Unix sockets allow', async () => {
    const long = join(root, 'x'.repeat(120));
    await expect(resolveRuntimeDir({ env: { WHIS_RUNTIME_DIR: long } })).rejects.toMatchObject({
      code: 'path-too-long',
      message: expect.stringContaining('WHIS_RUNTIME_DIR'),
    });
  });
});

describe('another user (uid 65534) got to <tmp>/whis-<uid> first', () => {
  it('their directory is refused and left as it was', async () => {
    const tmp = await sharedTmp('taken-tmp');
    const planted = join(tmp, `whis-${uid}`);
    asNobody('mkdir', '-m', '700', planted);
    await expect(resolveRuntimeDir({ env: {}, tmpDir: tmp })).rejects.toMatchObject({
      code: 'insecure-dir',
      message: expect.stringContaining(`${planted} belongs to uid ${NOBODY}`),
    });
    const stat = await lstat(planted);
    expect([stat.uid, stat.mode & 0o777]).toEqual([NOBODY, 0o700]);
    expect(await readdir(planted)).toEqual([]);
  });

  it('their symlink to a directory of theirs is refused, the target unchanged', async () => {
    const tmp = await sharedTmp('linked-tmp');
    const target = join(tmp, 'bait');
    asNobody('mkdir', '-m', '777', target);
    asNobody('ln', '-s', target, join(tmp, `whis-${uid}`));
    await expect(resolveRuntimeDir({ env: {}, tmpDir: tmp })).rejects.toMatchObject({
      code: 'insecure-dir',
      message: expect.stringContaining('is a symbolic link'),
    });
    expect(await readdir(target)).toEqual([]);
    expect((await lstat(target)).uid).toBe(NOBODY);
  });

  it('a world-writable directory of theirs is refused', async () => {
    const tmp = await sharedTmp('open-tmp');
    const planted = join(tmp, `whis-${uid}`);
    asNobody('mkdir', '-m', '777', planted);
    await expect(resolveRuntimeDir({ env: {}, tmpDir: tmp })).rejects.toMatchObject({
      code: 'insecure-dir',
    });
    expect(await readdir(planted)).toEqual([]);
  });
});

describe('validateRuntimeDir', () => {
  it('accepts a private directory of ours and refuses a plain file', async () => {
    const dir = join(root, 'ok');
    await mkdir(dir, { mode: 0o700 });
    await expect(validateRuntimeDir(dir)).resolves.toBeUndefined();
    await expect(validateRuntimeDir(join(root, 'ok', '..', '..'))).rejects.toMatchObject({
      code: 'insecure-dir',
    });
  });
});
