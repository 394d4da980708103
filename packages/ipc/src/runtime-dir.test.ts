import { chmod, chown, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEndpoint } from './endpoint.js';
import { checkRuntimeDir, runtimeDirPath } from './runtime-dir.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'whis-rt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('runtimeDirPath', () => {
  it('WHIS_RUNTIME_DIR, then XDG_RUNTIME_DIR, then <tmp>/whis-<uid>', () => {
    expect(runtimeDirPath({ env: { WHIS_RUNTIME_DIR: '/a', XDG_RUNTIME_DIR: '/b' } })).toBe('/a');
    expect(runtimeDirPath({ env: { XDG_RUNTIME_DIR: '/b' }, platform: 'linux' })).toBe('/b');
    expect(runtimeDirPath({ env: {}, platform: 'linux', tmpDir: '/t' })).toBe(
      `/t/whis-${process.getuid!()}`,
    );
  });
});

describe('checkRuntimeDir', () => {
  it('accepts a private directory of this user', async () => {
    const dir = join(root, 'own');
    await mkdir(dir, { mode: 0o700 });
    expect(() => checkRuntimeDir(dir)).not.toThrow();
  });

  it('refuses a directory another user owns (uid 65534), naming the owner and the fix', async () => {
    const dir = join(root, 'foreign');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 65534, 65534);
    expect(() => checkRuntimeDir(dir)).toThrow(/belongs to uid 65534.*WHIS_RUNTIME_DIR/);
  });

  it('refuses a symlink and a directory others can enter', async () => {
    const open = join(root, 'open');
    await mkdir(open);
    await chmod(open, 0o755);
    expect(() => checkRuntimeDir(open)).toThrow(/open to other users \(mode 755\).*chmod 700/);
    const link = join(root, 'link');
    await symlink(open, link);
    expect(() => checkRuntimeDir(link)).toThrow(/symbolic link/);
  });

  it('throws ENOENT as it is for a missing directory (nothing listens there)', () => {
    expect(() => checkRuntimeDir(join(root, 'missing'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});

describe('socket path limit', () => {
  it('every directory whose whis.sock fits also fits the temporary name bound before it', () => {
    // 97 + "/whis.sock" = 107 bytes, the Linux limit
    const dir = `/${'d'.repeat(96)}`;
    expect(resolveEndpoint({ runtimeDir: dir, platform: 'linux' })).toHaveLength(107);
    expect(() => resolveEndpoint({ runtimeDir: `${dir}x`, platform: 'linux' })).toThrow(
      /allow 107 here.*WHIS_RUNTIME_DIR/,
    );
  });
});
