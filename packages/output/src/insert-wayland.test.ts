import { cp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSway, type WaylandSession } from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// sway refuses to run as root, so the session, its terminal and whis's output all run as an
// unprivileged user; the output package (built) and the ones it imports are copied where that user
// can read them (the D-Bus library itself loads only for the portal, which this session lacks)
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const imported = ['contracts', 'dbus', 'process'].map((name) => ({
  name,
  root: fileURLToPath(new URL(`../../${name}`, import.meta.url)),
}));
let session: WaylandSession | undefined;
let script: string;

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.js')))
    throw new Error(`${dist} is missing: build first (npx nx run @whis/output:build)`);
}, 10_000);

async function startSession(): Promise<WaylandSession> {
  session = await startSway();
  await cp(dist, join(session.shared, 'output'), { recursive: true });
  for (const { name, root } of imported) {
    const installed = join(session.shared, 'node_modules', '@whis', name);
    await cp(join(root, 'dist'), join(installed, 'dist'), { recursive: true });
    await cp(join(root, 'package.json'), join(installed, 'package.json'));
  }
  script = join(session.shared, 'deliver.mjs');
  await writeFile(
    script,
    `import { createPasteOutput, createTypeOutput, describeInsertion } from './output/index.js';
const [mode, text] = process.argv.slice(2);
const notices = [];
const options = { restoreDelayMs: 300, onNotice: (m, d) => notices.push({ m, d }) };
const output = mode === 'type' ? createTypeOutput(options) : createPasteOutput(options);
try {
  await output.deliver(text);
  await output.settled();
  console.log(JSON.stringify({ ok: true, notices, describe: describeInsertion() }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, code: err.code, message: err.message }));
}
`,
  );
  return session;
}

afterEach(async () => {
  await session?.stop();
  session = undefined;
});
afterAll(async () => {
  await session?.stop();
});

async function deliver(s: WaylandSession, mode: 'type' | 'paste', text: string) {
  const result = await s.run(process.execPath, [script, mode, text]);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`the delivery script failed: ${result.stderr}`);
  return JSON.parse(line) as {
    ok: boolean;
    notices?: Array<{ m: string; d?: object }>;
    describe?: object;
    message?: string;
  };
}

describe('Wayland, a real headless sway with foot focused', () => {
  it('type through wtype: ASCII and non-ASCII arrive exactly', async () => {
    const s = await startSession();
    const result = await deliver(s, 'type', 'hello from whis, Grüße 東京');
    expect(result).toMatchObject({
      ok: true,
      describe: { tool: 'wtype', why: expect.stringMatching(/wlroots compositor \(sway\)/) },
    });
    expect(await s.finish()).toBe('hello from whis, Grüße 東京\n');
  }, 60_000);

  it('paste through wl-copy and the terminal chord; the previous clipboard is back', async () => {
    const s = await startSession();
    // wl-copy leaves a child serving the selection: it must not hold our pipes
    expect((await s.run('sh', ['-c', "wl-copy 'what I had' >/dev/null 2>&1"])).code).toBe(0);
    const result = await deliver(s, 'paste', 'pasted on Wayland');
    expect(result.ok).toBe(true);
    expect(result.notices?.[0]).toMatchObject({
      m: 'pasting',
      d: { tool: 'wtype', chord: 'ctrl+shift+v', window: 'foot' },
    });
    expect(await s.finish()).toBe('pasted on Wayland\n');
    expect((await s.run('wl-paste', ['--no-newline'])).stdout).toBe('what I had');
  }, 60_000);
});
