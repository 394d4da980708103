import { cp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSway, type WaylandSession } from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// as in insert-wayland.test.ts: sway runs as an unprivileged user, and so does the code under test,
// from a copy of the built package that user can read
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const imported = ['contracts', 'dbus', 'process'].map((name) => ({
  name,
  root: fileURLToPath(new URL(`../../${name}`, import.meta.url)),
}));
let session: WaylandSession;
let script: string;

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.js')))
    throw new Error(`${dist} is missing: build first (npx nx run @whis/output:build)`);
  session = await startSway();
  await cp(dist, join(session.shared, 'output'), { recursive: true });
  for (const { name, root } of imported) {
    const installed = join(session.shared, 'node_modules', '@whis', name);
    await cp(join(root, 'dist'), join(installed, 'dist'), { recursive: true });
    await cp(join(root, 'package.json'), join(installed, 'package.json'));
  }
  script = join(session.shared, 'select.mjs');
  await writeFile(
    script,
    `import { createSelectionSource } from './output/index.js';
const logged = [];
const note = (obj, msg) => logged.push({ msg, ...obj });
const logger = { debug: note, info: note, warn: note, error: note, child: () => logger };
try {
  const source = createSelectionSource({ mode: process.argv[2], copyWaitMs: 500, logger });
  console.log(JSON.stringify({ ok: true, ...(await source.read()), logged }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, code: err.code, message: err.message }));
}
`,
  );
}, 60_000);
afterAll(async () => {
  await session?.stop();
});

async function read(mode: 'primary' | 'copy' | 'auto') {
  const result = await session.run(process.execPath, [script, mode]);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`the selection script failed: ${result.stderr}`);
  return JSON.parse(line) as {
    ok: boolean;
    text?: string;
    source?: string;
    code?: string;
    logged?: Array<{ msg: string }>;
  };
}

// wl-copy leaves a child serving the selection: it must not hold our pipes
const wlCopy = (...args: string[]) =>
  session.run('sh', ['-c', 'wl-copy "$@" >/dev/null 2>&1', 'sh', ...args]);

describe('Wayland, a real headless sway with foot focused', () => {
  it('primary: what a client offers as the primary selection, through wl-paste --primary', async () => {
    expect((await wlCopy('--primary', 'Grüße from the primary selection')).code).toBe(0);
    expect(await read('primary')).toMatchObject({
      ok: true,
      text: 'Grüße from the primary selection',
      source: 'primary',
    });
  }, 30_000);

  it('primary, nothing selected: empty text', async () => {
    expect((await wlCopy('--primary', '--clear')).code).toBe(0);
    expect(await read('primary')).toMatchObject({ ok: true, text: '', source: 'primary' });
  }, 30_000);

  it('auto with nothing selected: foot gets ctrl+shift+c (nothing typed, nothing copied) and the clipboard is back', async () => {
    expect((await wlCopy('--primary', '--clear')).code).toBe(0);
    expect((await wlCopy('what I had copied')).code).toBe(0);
    const result = await read('auto');
    expect(result).toMatchObject({ ok: true, text: '', source: 'copy' });
    expect(result.logged).toContainEqual(
      expect.objectContaining({
        msg: 'selection: pressing the copy chord',
        tool: 'wtype',
        chord: 'ctrl+shift+c',
        window: 'foot',
      }),
    );
    expect((await session.run('wl-paste', ['--no-newline'])).stdout).toBe('what I had copied');
    // the terminal's program got no key: ctrl+c would have ended it, a stray c been typed
    expect(await session.finish()).toBe('\n');
  }, 30_000);
});
