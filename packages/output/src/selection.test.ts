import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  hangSelection,
  openCopyWindow,
  openEntry,
  openXterm,
  pressKey,
  run,
  runChecked,
  startXvfb,
  type VirtualDisplay,
} from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyToClipboard, writeClipboard } from './clipboard.js';
import { createSelectionSource, selectionReaders, type SelectionOptions } from './selection.js';

let x: VirtualDisplay;
let dir: string;
const opened: Array<{ stop(): Promise<void> } | { release(): Promise<void> }> = [];

beforeAll(async () => {
  x = await startXvfb();
  dir = await mkdtemp(join(tmpdir(), 'whis-selection-'));
});
afterEach(async () => {
  for (const w of opened.splice(0)) await ('stop' in w ? w.stop() : w.release());
  // the next test starts with nothing selected and nothing copied
  await runChecked('xsel', ['--primary', '--clear'], { env: x.env });
  await runChecked('xsel', ['--clipboard', '--clear'], { env: x.env });
});
afterAll(async () => {
  await x?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** What a selection holds now; undefined when nothing owns it. */
async function holds(selection: 'clipboard' | 'primary'): Promise<string | undefined> {
  const result = await run('xclip', ['-selection', selection, '-o'], { env: x.env });
  return result.code === 0 ? result.stdout : undefined;
}

const source = (options: Partial<SelectionOptions> & Pick<SelectionOptions, 'mode'>) =>
  createSelectionSource({ env: x.env, ...options });

async function entry(text?: string) {
  const w = await openEntry(x, text === undefined ? {} : { text });
  opened.push(w);
  return w;
}

async function copier(options: Parameters<typeof openCopyWindow>[1] = {}) {
  const w = await openCopyWindow(x, options);
  opened.push(w);
  return w;
}

describe('primary: the PRIMARY selection of a real X server', () => {
  it("reads a GTK entry's selected text", async () => {
    await entry('Grüße, the selected words');
    await expect(source({ mode: 'primary' }).read()).resolves.toEqual({
      text: 'Grüße, the selected words',
      source: 'primary',
    });
  });

  it('nothing selected: empty text', async () => {
    await expect(source({ mode: 'primary' }).read()).resolves.toEqual({
      text: '',
      source: 'primary',
    });
  });

  it('an application that holds it and never answers: selection-timeout once the limit passes', async () => {
    opened.push(await hangSelection(x, 'PRIMARY'));
    await expect(source({ mode: 'primary', timeoutMs: 300 }).read()).rejects.toMatchObject({
      code: 'selection-timeout',
      message: expect.stringMatching(/did not hand it over within 300 ms.*editSelection to copy/),
    });
  });

  it('over maxChars: selection-too-large, saying the size, the limit and what to do', async () => {
    await entry('x'.repeat(1234));
    await expect(source({ mode: 'primary', maxChars: 1000 }).read()).rejects.toMatchObject({
      code: 'selection-too-large',
      message:
        'The selection is 1,234 characters; an edit takes at most 1,000. Select less and edit it in parts.',
    });
  });

  it('characters, not UTF-16 units, are counted against maxChars', async () => {
    await entry('🎙️🎙️');
    // two emoji of two code points each: 4 characters, 6 UTF-16 units
    await expect(source({ mode: 'primary', maxChars: 4 }).read()).resolves.toMatchObject({
      text: '🎙️🎙️',
    });
  });

  it('no tool to read it: missing-tool naming the packages', async () => {
    await expect(
      source({ mode: 'primary', env: { ...x.env, PATH: join(dir, 'empty') } }).read(),
    ).rejects.toMatchObject({
      code: 'missing-tool',
      message:
        'Reading the primary selection needs xclip (apt install xclip), or xsel (apt install xsel).',
    });
  });
});

describe('copy: the copy chord, then the clipboard', () => {
  it("a GTK entry copies its selection on ctrl+c; the user's clipboard is back afterwards", async () => {
    await copyToClipboard('what the user had copied', { env: x.env });
    await entry('Grüße, the words to edit');
    await expect(source({ mode: 'copy' }).read()).resolves.toEqual({
      text: 'Grüße, the words to edit',
      source: 'copy',
    });
    expect(await holds('clipboard')).toBe('what the user had copied');
  });

  it('the same text as the clipboard already held is still read as copied', async () => {
    await copyToClipboard('same words', { env: x.env });
    const w = await copier({ text: 'same words' });
    await expect(source({ mode: 'copy' }).read()).resolves.toEqual({
      text: 'same words',
      source: 'copy',
    });
    expect(w.chords).toEqual(['ctrl+c']);
    expect(await holds('clipboard')).toBe('same words');
  });

  it('a window that copies nothing: empty text, and the clipboard as it was', async () => {
    await copyToClipboard('kept for the user', { env: x.env });
    const w = await copier();
    await expect(source({ mode: 'copy', copyWaitMs: 300 }).read()).resolves.toEqual({
      text: '',
      source: 'copy',
    });
    expect(w.chords).toEqual(['ctrl+c']);
    expect(await holds('clipboard')).toBe('kept for the user');
  });

  it('an image on the clipboard comes back as the same image', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    );
    const file = join(dir, 'pixel.png');
    await writeFile(file, png);
    await runChecked(
      'sh',
      ['-c', `xclip -selection clipboard -t image/png -i '${file}' >/dev/null 2>&1`],
      { env: x.env },
    );
    const image = () =>
      run('sh', ['-c', 'xclip -selection clipboard -o -t image/png | base64 -w0'], {
        env: x.env,
      }).then((r) => r.stdout);
    await expect.poll(image, { timeout: 10_000 }).toBe(png.toString('base64'));
    await copier({ text: 'over an image' });
    await expect(source({ mode: 'copy' }).read()).resolves.toMatchObject({
      text: 'over an image',
    });
    expect(await image()).toBe(png.toString('base64'));
  });

  it('an empty clipboard is empty again afterwards', async () => {
    await copier({ text: 'selected' });
    await expect(source({ mode: 'copy' }).read()).resolves.toMatchObject({ text: 'selected' });
    expect(await holds('clipboard')).toBeUndefined();
  });

  it("the edit chord's shift still held: the window gets plain ctrl+c", async () => {
    const w = await copier({ text: 'held' });
    await pressKey(x, 'Shift_L', 'down');
    try {
      await expect(source({ mode: 'copy' }).read()).resolves.toMatchObject({ text: 'held' });
    } finally {
      await pressKey(x, 'Shift_L', 'up');
    }
    expect(w.chords).toEqual(['ctrl+c']);
  });

  it('a terminal (foot) gets ctrl+shift+c, never ctrl+c', async () => {
    const w = await copier({ text: 'ls -la', chord: 'ctrl+shift+c', windowClass: 'foot' });
    await expect(source({ mode: 'copy' }).read()).resolves.toMatchObject({ text: 'ls -la' });
    expect(w.chords).toEqual(['ctrl+shift+c']);
  });

  it('xterm: no chord at all (ctrl+c would interrupt its program); its selection is PRIMARY', async () => {
    const w = await copier({ windowClass: 'xterm' });
    await writeClipboard({ primary: 'in the terminal' }, { env: x.env });
    await expect.poll(() => holds('primary')).toBe('in the terminal');
    await expect(source({ mode: 'copy' }).read()).resolves.toEqual({
      text: 'in the terminal',
      source: 'primary',
    });
    expect(w.chords).toEqual([]);
  });

  it('a real xterm: a word selected by double-click is read, and its program is not interrupted', async () => {
    const term = await openXterm(x);
    opened.push(term);
    await runChecked('xdotool', ['type', 'selectme please'], { env: x.env });
    const id = (await runChecked('xdotool', ['getwindowfocus'], { env: x.env })).stdout.trim();
    // a double-click on the first word of the first line, through XTEST as a mouse does it
    await expect
      .poll(
        async () => {
          await runChecked(
            'xdotool',
            [
              'mousemove',
              '--window',
              id,
              '20',
              '8',
              'click',
              '--repeat',
              '2',
              '--delay',
              '50',
              '1',
            ],
            { env: x.env },
          );
          return holds('primary');
        },
        // apart by more than xterm's multi-click time, so that a retry is a new double-click
        { timeout: 10_000, interval: 500 },
      )
      .toBe('selectme');
    await expect(source({ mode: 'copy' }).read()).resolves.toEqual({
      text: 'selectme',
      source: 'primary',
    });
    expect(await term.finish()).toBe('selectme please\n');
  });

  it('the copyChord setting: a per-class chord', async () => {
    const w = await copier({
      text: 'from the editor',
      chord: 'ctrl+shift+c',
      windowClass: 'Editor',
    });
    await expect(
      source({ mode: 'copy', copyChord: ['editor=ctrl+shift+c'] }).read(),
    ).resolves.toMatchObject({ text: 'from the editor' });
    expect(w.chords).toEqual(['ctrl+shift+c']);
  });

  it('over maxChars: the error, and the clipboard as it was', async () => {
    await copyToClipboard('before', { env: x.env });
    await copier({ text: 'y'.repeat(101) });
    await expect(source({ mode: 'copy', maxChars: 100 }).read()).rejects.toMatchObject({
      code: 'selection-too-large',
    });
    expect(await holds('clipboard')).toBe('before');
  });

  it('aborted while waiting for the copy: rejects with the reason, the clipboard as it was', async () => {
    await copyToClipboard('before the abort', { env: x.env });
    const w = await copier();
    const stop = new AbortController();
    const reading = source({ mode: 'copy', copyWaitMs: 60_000 }).read({ signal: stop.signal });
    await expect.poll(() => w.chords.length).toBe(1);
    stop.abort(new Error('the user cancelled'));
    await expect(reading).rejects.toThrow('the user cancelled');
    expect(await holds('clipboard')).toBe('before the abort');
  });

  it("xsel without xclip: the user's clipboard is saved and back afterwards", async () => {
    await copyToClipboard('saved by xsel', { env: x.env });
    await copier({ text: 'selected' });
    const bin = join(dir, 'xsel-only');
    await runChecked('mkdir', ['-p', bin]);
    await runChecked('ln', ['-sf', '/usr/bin/xsel', '/usr/bin/xdotool', '/usr/bin/xprop', bin]);
    await expect(source({ mode: 'copy', env: { ...x.env, PATH: bin } }).read()).resolves.toEqual({
      text: 'selected',
      source: 'copy',
    });
    expect(await holds('clipboard')).toBe('saved by xsel');
  });

  it('no keyboard tool: missing-tool, and the clipboard untouched', async () => {
    await copyToClipboard('untouched', { env: x.env });
    await copier({ text: 'selected' });
    const bin = join(dir, 'no-xdotool');
    await runChecked('mkdir', ['-p', bin]);
    await runChecked('ln', ['-sf', '/usr/bin/xclip', '/usr/bin/xsel', bin]);
    await expect(
      source({ mode: 'copy', env: { ...x.env, PATH: bin } }).read(),
    ).rejects.toMatchObject({
      code: 'missing-tool',
      message: expect.stringContaining('xdotool (apt install xdotool)'),
    });
    expect(await holds('clipboard')).toBe('untouched');
  });
});

describe('auto', () => {
  it('the primary selection when it holds text', async () => {
    const w = await copier({ text: 'not this' });
    await writeClipboard({ primary: 'the primary' }, { env: x.env });
    await expect.poll(() => holds('primary')).toBe('the primary');
    await expect(source({ mode: 'auto' }).read()).resolves.toEqual({
      text: 'the primary',
      source: 'primary',
    });
    expect(w.chords).toEqual([]);
  });

  it('nothing in PRIMARY: the copy chord', async () => {
    await copyToClipboard('the user had this', { env: x.env });
    await copier({ text: 'copied instead' });
    await expect(source({ mode: 'auto' }).read()).resolves.toEqual({
      text: 'copied instead',
      source: 'copy',
    });
    expect(await holds('clipboard')).toBe('the user had this');
  });

  it('an application that holds PRIMARY and never answers: the copy chord', async () => {
    opened.push(await hangSelection(x, 'PRIMARY'));
    await copier({ text: 'copied past the hang' });
    await expect(source({ mode: 'auto', timeoutMs: 300 }).read()).resolves.toEqual({
      text: 'copied past the hang',
      source: 'copy',
    });
  });
});

describe('other sessions', () => {
  it('macOS and Windows have no primary selection: a coded error saying what to set', async () => {
    for (const platform of ['darwin', 'win32'] as const)
      await expect(
        createSelectionSource({ mode: 'primary', platform, env: {} }).read(),
      ).rejects.toMatchObject({
        code: 'no-primary-selection',
        message: expect.stringMatching(/has no primary selection: set editSelection to copy/),
      });
  });

  it('Wayland reads with wl-paste --primary, then the X tools for XWayland', () => {
    const wayland = { WAYLAND_DISPLAY: 'wayland-1', DISPLAY: ':0' };
    expect(
      selectionReaders('primary', wayland, 'linux').map((r) => [r.command, ...r.args].join(' ')),
    ).toEqual([
      'wl-paste --primary --no-newline --type text',
      'xclip -selection primary -out',
      'xsel --primary --output',
    ]);
    expect(
      selectionReaders('clipboard', { WAYLAND_DISPLAY: 'wayland-1' }, 'linux').map(
        (r) => r.command,
      ),
    ).toEqual(['wl-paste']);
    expect(selectionReaders('primary', {}, 'darwin')).toEqual([]);
  });
});
