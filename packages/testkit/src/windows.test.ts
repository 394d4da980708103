import { expect, it } from 'vitest';
import { run } from './process.js';
import { testUserIds } from './windows.js';

// Suites run side by side (nx --parallel, vitest workers): on a fresh machine two of them may
// create the Wayland test user at the same moment
it.runIf(process.getuid?.() === 0)(
  'two suites that create the test user at once both get its ids',
  async () => {
    const name = `whis-race-${process.pid}`;
    try {
      const [a, b] = await Promise.all([testUserIds(name), testUserIds(name)]);
      expect(a.uid).toBeGreaterThan(0);
      expect(b).toEqual(a);
    } finally {
      await run('userdel', ['--remove', name]);
    }
  },
);
