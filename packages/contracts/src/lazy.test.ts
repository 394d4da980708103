import { describe, expect, it } from 'vitest';
import { lazyModule } from './lazy.js';

describe('lazyModule', () => {
  it('imports on the first load only, and says it is loaded once it is', async () => {
    let imports = 0;
    const lazy = lazyModule(async () => ({ n: ++imports }));
    expect(imports).toBe(0);
    expect(lazy.loaded()).toBeUndefined();
    const [a, b] = await Promise.all([lazy.load(), lazy.load()]);
    expect(a).toBe(b);
    expect(imports).toBe(1);
    expect(lazy.loaded()).toBe(a);
  });
});
