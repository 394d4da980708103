import { describe, expect, it } from 'vitest';
import { resolveEndpoint } from './endpoint.js';
import { IpcError } from './errors.js';

describe('resolveEndpoint', () => {
  it('puts whis.sock in the runtime directory', () => {
    expect(resolveEndpoint({ runtimeDir: '/run/user/1000', platform: 'linux' })).toBe(
      '/run/user/1000/whis.sock',
    );
  });

  it('uses a per-user named pipe on Windows', () => {
    expect(
      resolveEndpoint({ runtimeDir: 'ignored', platform: 'win32', username: 'Ada Lovelace' }),
    ).toBe('\\\\.\\pipe\\whis-Ada_Lovelace');
  });

  it('refuses a path longer than sun_path allows, saying how to fix it', () => {
    const dir = `/tmp/${'d'.repeat(100)}`;
    expect(() => resolveEndpoint({ runtimeDir: dir, platform: 'linux' })).toThrow(IpcError);
    expect(() => resolveEndpoint({ runtimeDir: dir, platform: 'linux' })).toThrow(
      /allow 107 here\. Set WHIS_RUNTIME_DIR/,
    );
    // 95 + "/whis.sock" = 105 bytes: fine on Linux, too long on macOS
    const edge = `/${'e'.repeat(94)}`;
    expect(resolveEndpoint({ runtimeDir: edge, platform: 'linux' })).toHaveLength(105);
    expect(() => resolveEndpoint({ runtimeDir: edge, platform: 'darwin' })).toThrow(/allow 103/);
  });
});
