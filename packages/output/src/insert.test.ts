import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  keycodesWith,
  openEntry,
  openXterm,
  run,
  startXvfb,
  type TerminalWindow,
  type VirtualDisplay,
} from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyToClipboard } from './clipboard.js';
import { createPasteOutput, createTypeOutput, describeInsertion } from './insert.js';

let x: VirtualDisplay;
let dir: string;
const windows: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  x = await startXvfb();
  dir = await mkdtemp(join(tmpdir(), 'whis-insert-'));
});
afterEach(async () => {
  for (const w of windows.splice(0)) await w.stop();
});
afterAll(async () => {
  await x?.stop();
  await rm(dir, { recursive: true, force: true });
});

const clipboard = async (selection = 'clipboard') =>
  (await run('xclip', ['-selection', selection, '-o'], { env: x.env })).stdout;

const clipboardTargets = () =>
  run('xclip', ['-selection', 'clipboard', '-o', '-t', 'TARGETS'], { env: x.env });

async function terminal(options: { raw?: boolean } = {}): Promise<TerminalWindow> {
  const w = await openXterm(x, options);
  windows.push(w);
  return w;
}

/** A PATH holding the real tools except `failing`, which exits 1 with a message. */
async function pathWithFailing(failing: string): Promise<string> {
  const bin = await mkdtemp(join(dir, 'bin-'));
  for (const tool of ['xclip', 'xprop', 'xdotool']) {
    if (tool !== failing) await symlink(`/usr/bin/${tool}`, join(bin, tool));
  }
  await writeFile(join(bin, failing), '#!/bin/sh\necho "cannot open display" >&2\nexit 1\n');
  await chmod(join(bin, failing), 0o755);
  return bin;
}

describe('type, into a real terminal under Xvfb', () => {
  it.each([
    ['ASCII', 'hello from whis, 100% typed (ok)'],
    ['non-ASCII', 'Grüße aus Köln, naïve café, 東京'],
  ])(
    '%s arrives exactly, with no line break typed',
    async (_name, text) => {
      const term = await terminal();
      const notices: string[] = [];
      await createTypeOutput({ env: x.env, onNotice: (m) => notices.push(m) }).deliver(text);
      expect(await term.finish()).toBe(`${text}\n`);
      expect(notices).toContain('typing');
    },
    30_000,
  );

  it('characters off the layout reach a window too busy to read its keys for a second: none is dropped', async () => {
    const term = await terminal();
    const text = 'café, naïve, 東京 and €5';
    // a window that reads its keys late (a busy application, a loaded machine): it takes each key
    // with the keyboard map of the moment it reads it
    process.kill(term.pid, 'SIGSTOP');
    try {
      await createTypeOutput({ env: x.env }).deliver(text);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      process.kill(term.pid, 'SIGCONT');
    }
    expect(await term.finish()).toBe(`${text}\n`);
  }, 30_000);

  it('the keys bound for characters off the layout are given back once the text is typed', async () => {
    const term = await terminal();
    // ŵ: on no layout of this display, and typed by no other test here
    const keysym = 0x1000000 + 'ŵ'.codePointAt(0)!;
    expect(await keycodesWith(x, keysym)).toEqual([]);
    const output = createTypeOutput({ env: x.env, keyHoldMs: 300 });
    await output.deliver('ŵ');
    // held a moment after the text, for a window that reads its keys late
    expect(await keycodesWith(x, keysym)).toHaveLength(1);
    await output.settled();
    expect(await keycodesWith(x, keysym)).toEqual([]);
    expect(await term.finish()).toBe('ŵ\n');
  }, 30_000);

  it('more characters off the layout than spare keys to bind: the text is pasted, whole', async () => {
    const entry = await openEntry(x);
    windows.push(entry);
    // 40 different ideographs; the display has 19 keycodes without a key
    const text = Array.from({ length: 40 }, (_, i) => String.fromCodePoint(0x4e00 + i * 7)).join(
      '',
    );
    const notices: Array<[string, object | undefined]> = [];
    const output = createTypeOutput({
      env: x.env,
      restoreDelayMs: 300,
      onNotice: (m, d) => notices.push([m, d]),
    });
    await output.deliver(text);
    expect(await entry.submit()).toBe(text);
    await output.settled();
    expect(notices).toContainEqual([
      expect.stringMatching(/too few spare keys .*: the text is pasted instead/),
      expect.objectContaining({ tool: 'xdotool' }),
    ]);
  }, 30_000);

  it('a transcript with line breaks is typed as one line: nothing is submitted', async () => {
    const term = await terminal();
    await createTypeOutput({ env: x.env }).deliver('first line\nsecond line\n');
    expect(await term.finish()).toBe('first line second line\n');
  }, 30_000);

  it('segments typed one after another keep the space that joins them', async () => {
    const term = await terminal();
    const typer = createTypeOutput({ env: x.env });
    await typer.deliver('one two');
    await typer.deliver(' three four');
    expect(await term.finish()).toBe('one two three four\n');
  }, 30_000);

  it('a long text is typed in chunks, in order', async () => {
    const term = await terminal();
    const text = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
    await createTypeOutput({ env: x.env }).deliver(text);
    expect(await term.finish()).toBe(`${text}\n`);
  }, 60_000);

  it('a typing tool that fails: the text is on the clipboard and the error says so', async () => {
    const bin = await pathWithFailing('xdotool');
    const output = createTypeOutput({ env: { ...x.env, PATH: bin } });
    await expect(output.deliver('kept for you')).rejects.toMatchObject({
      code: 'type-failed',
      message: expect.stringMatching(/xdotool failed \(1\): cannot open display.*on the clipboard/),
    });
    expect(await clipboard()).toBe('kept for you');
  });
});

describe('paste, into real windows under Xvfb', () => {
  it('into a GTK entry with ctrl+v; the previous clipboard is back afterwards', async () => {
    await copyToClipboard('what the user had copied', { env: x.env });
    const entry = await openEntry(x);
    windows.push(entry);
    const notices: Array<[string, object | undefined]> = [];
    const output = createPasteOutput({
      env: x.env,
      restoreDelayMs: 300,
      onNotice: (m, d) => notices.push([m, d]),
    });
    await output.deliver('pasted by whis, Grüße');
    expect(await entry.submit()).toBe('pasted by whis, Grüße');
    await output.settled();
    expect(await clipboard()).toBe('what the user had copied');
    expect(notices[0]).toEqual([
      'pasting',
      expect.objectContaining({ tool: 'xdotool', chord: 'ctrl+v', window: 'Zenity' }),
    ]);
  }, 30_000);

  it('into xterm: shift+Insert and the PRIMARY selection', async () => {
    // raw: cat gets each key as it comes, so the pasted text is seen as it lands
    const term = await terminal({ raw: true });
    const output = createPasteOutput({ env: x.env, restoreDelayMs: 300 });
    await output.deliver('into the terminal');
    // xterm asks the selection's owner for the text after the key press: it lands a moment later
    // (a Return pressed at once could arrive before it)
    await expect.poll(() => term.read(), { timeout: 10_000 }).toBe('into the terminal');
    expect(await clipboard('primary')).toBe('into the terminal');
    await output.settled();
  }, 30_000);

  it('the user copies something new before the restore: their new clipboard is kept', async () => {
    await copyToClipboard('old clipboard', { env: x.env });
    const entry = await openEntry(x);
    windows.push(entry);
    const notices: string[] = [];
    const output = createPasteOutput({
      env: x.env,
      restoreDelayMs: 800,
      onNotice: (m) => notices.push(m),
    });
    await output.deliver('dictated');
    await copyToClipboard('copied just now', { env: x.env });
    await output.settled();
    expect(await clipboard()).toBe('copied just now');
    expect(notices).toContain('the clipboard changed after the paste: not restored');
    expect(await entry.submit()).toBe('dictated');
  }, 30_000);

  it('an image on the clipboard comes back as an image', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    );
    const file = join(dir, 'pixel.png');
    await writeFile(file, png);
    await run(
      'sh',
      ['-c', `xclip -selection clipboard -t image/png -i '${file}' >/dev/null 2>&1`],
      {
        env: x.env,
      },
    );
    // xclip's first process can exit before its claim reaches the X server: the image is the
    // clipboard once it is served
    await expect
      .poll(async () => (await clipboardTargets()).stdout, { timeout: 10_000 })
      .toContain('image/png');
    const entry = await openEntry(x);
    windows.push(entry);
    const output = createPasteOutput({ env: x.env, restoreDelayMs: 300 });
    await output.deliver('over an image');
    await output.settled();
    const targets = await clipboardTargets();
    expect(targets.stdout).toContain('image/png');
    const back = await run(
      'sh',
      ['-c', 'xclip -selection clipboard -o -t image/png | base64 -w0'],
      {
        env: x.env,
      },
    );
    expect(Buffer.from(back.stdout, 'base64').equals(png)).toBe(true);
    expect(await entry.submit()).toBe('over an image');
  }, 30_000);

  it('a paste chord that fails: the transcript stays on the clipboard and the error says so', async () => {
    await copyToClipboard('before', { env: x.env });
    const bin = await pathWithFailing('xdotool');
    const output = createPasteOutput({ env: { ...x.env, PATH: bin }, restoreDelayMs: 100 });
    await expect(output.deliver('do not lose me')).rejects.toMatchObject({
      code: 'paste-failed',
      message: expect.stringMatching(/The text is on the clipboard.*Paste it yourself \(ctrl\+v\)/),
    });
    await output.settled();
    expect(await clipboard()).toBe('do not lose me');
  });
});

describe('no tool', () => {
  it('names the package to install, and describeInsertion says the same', async () => {
    const empty = await mkdtemp(join(dir, 'empty-'));
    const env = { ...x.env, PATH: empty };
    await expect(createTypeOutput({ env }).deliver('x')).rejects.toMatchObject({
      code: 'missing-tool',
      message: expect.stringContaining('install xdotool (apt install xdotool)'),
    });
    expect(describeInsertion({ env })).toEqual({
      tool: null,
      why: expect.stringContaining('install xdotool'),
    });
    expect(describeInsertion({ env: x.env })).toEqual({ tool: 'xdotool', why: 'X11 session' });
  });
});
