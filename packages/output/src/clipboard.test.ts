import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startXvfb, type VirtualDisplay } from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOutputContract } from '@whis/testkit/contracts';
import { clipboardTools, copyToClipboard, readClipboard } from './clipboard.js';
import { combineOutputs, createClipboardOutput, createFileOutput } from './outputs.js';

let x: VirtualDisplay;
let dir: string;
beforeAll(async () => {
  x = await startXvfb();
  dir = await mkdtemp(join(tmpdir(), 'whis-out-'));
});
afterAll(async () => {
  await x.stop();
  await rm(dir, { recursive: true, force: true });
});

async function clipboard(env: NodeJS.ProcessEnv): Promise<string> {
  const result = await run('xclip', ['-selection', 'clipboard', '-o'], { env });
  return result.stdout;
}

describe('the X11 clipboard, for real under Xvfb', () => {
  it.each([
    ['ASCII', 'hello world'],
    ['non-ASCII', 'Grüße, 東京, naïve — 🎙️ ok'],
    ['1 MB', 'x'.repeat(1024 * 1024 - 3) + 'end'],
  ])('reads back %s text exactly', async (_name, text) => {
    await copyToClipboard(text, { env: x.env });
    expect(await clipboard(x.env)).toBe(text);
  });

  it('falls back to xsel when xclip is missing', async () => {
    const bin = join(dir, 'bin');
    const { mkdir, symlink } = await import('node:fs/promises');
    await mkdir(bin, { recursive: true });
    await symlink('/usr/bin/xsel', join(bin, 'xsel'));
    await copyToClipboard('via xsel', { env: { ...x.env, PATH: bin } });
    expect(await clipboard(x.env)).toBe('via xsel');
  });

  it('with xsel alone (no xclip), what the clipboard holds is read too', async () => {
    const bin = join(dir, 'xsel-only');
    const { mkdir, symlink } = await import('node:fs/promises');
    await mkdir(bin, { recursive: true });
    await symlink('/usr/bin/xsel', join(bin, 'xsel'));
    await copyToClipboard('Grüße, held by the user', { env: x.env });
    const held = await readClipboard({ env: { ...x.env, PATH: bin } });
    expect(held?.data.toString('utf8')).toBe('Grüße, held by the user');
  });

  it('names the package to install when no tool is there', async () => {
    await expect(
      copyToClipboard('x', { env: { ...x.env, PATH: join(dir, 'empty') } }),
    ).rejects.toMatchObject({
      code: 'missing-tool',
      message:
        'No clipboard tool found. Install xclip (apt install xclip), or xsel (apt install xsel).',
    });
  });

  it('says what to do without any display', async () => {
    await expect(copyToClipboard('x', { env: { PATH: process.env.PATH } })).rejects.toMatchObject({
      code: 'no-clipboard',
    });
  });
});

it('chooses wl-copy on Wayland, xclip on X11, pbcopy and clip elsewhere', () => {
  expect(
    clipboardTools({ WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' }, 'linux').map((t) => t.command),
  ).toEqual(['wl-copy', 'xclip', 'xsel']);
  expect(clipboardTools({ DISPLAY: ':0' }, 'linux').map((t) => t.command)).toEqual([
    'xclip',
    'xsel',
  ]);
  expect(clipboardTools({}, 'darwin').map((t) => t.command)).toEqual(['pbcopy']);
  const clip = clipboardTools({}, 'win32')[0]!;
  expect(clip.encode!('é')).toEqual(Buffer.from([0xff, 0xfe, 0xe9, 0x00]));
});

it('combined outputs: one failing does not stop the others, and the error names it', async () => {
  const file = join(dir, 'transcripts.txt');
  const outputs = combineOutputs([
    createClipboardOutput({ env: { PATH: '' } }),
    createFileOutput(file),
  ]);
  await expect(outputs.deliver('kept in the file')).rejects.toThrow(/^clipboard: No clipboard/);
  expect(await readFile(file, 'utf8')).toBe('kept in the file\n');
});

describeOutputContract('clipboard (xclip under Xvfb)', async () => ({
  output: createClipboardOutput({ env: x.env }),
  readLast: () => clipboard(x.env),
}));
