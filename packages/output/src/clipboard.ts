import { isWaylandSession } from '@whis/contracts';
import { OutputError } from './errors.js';
import { runTool } from './internal/run.js';
import { onPath } from './keyboards/keyboard.js';

export interface ClipboardOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Give up on a clipboard tool after this long. Default 5 s. */
  timeoutMs?: number;
}

interface Tool {
  command: string;
  args: string[];
  /** The package that provides the command, for the error message. */
  install: string;
  encode?: (text: string) => Buffer;
}

const WL_COPY: Tool = {
  command: 'wl-copy',
  args: [],
  install: 'wl-clipboard (apt install wl-clipboard)',
};
const XCLIP: Tool = {
  command: 'xclip',
  args: ['-selection', 'clipboard', '-in'],
  install: 'xclip (apt install xclip)',
};
const XSEL: Tool = {
  command: 'xsel',
  args: ['--clipboard', '--input'],
  install: 'xsel (apt install xsel)',
};
const PBCOPY: Tool = { command: 'pbcopy', args: [], install: 'pbcopy (part of macOS)' };
// clip.exe reads its input in the console's code page unless it starts with a UTF-16LE BOM.
const CLIP: Tool = {
  command: 'clip',
  args: [],
  install: 'clip.exe (part of Windows)',
  encode: (text) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
};

/** The clipboard tools to try, in order, for this session. */
export function clipboardTools(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Tool[] {
  if (platform === 'darwin') return [PBCOPY];
  if (platform === 'win32') return [CLIP];
  if (isWaylandSession(env)) return [WL_COPY, XCLIP, XSEL];
  if (env.DISPLAY) return [XCLIP, XSEL];
  return [];
}

/**
 * Writes `text` (or bytes) into one clipboard tool; it forks a server, so its exit ends the run.
 * The server runs in a session of its own and outlives the service (a terminal's Ctrl+C, the end of
 * a systemd unit); it exits when the next copy takes the selection, as the tools do by themselves.
 */
function writeWith(
  tool: Tool,
  text: string | Buffer,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  extraArgs: string[] = [],
): Promise<void> {
  // wl-copy guesses the type of what comes on stdin, and 2.1 offers a garbled name for text: GTK
  // then pastes nothing. Text is offered as UTF-8 text, which also offers the usual aliases.
  const typed =
    tool === WL_COPY && typeof text === 'string' && !extraArgs.includes('--type')
      ? ['--type', 'text/plain;charset=utf-8']
      : [];
  return runTool({
    command: tool.command,
    args: [...tool.args, ...typed, ...extraArgs],
    input: typeof text !== 'string' ? text : tool.encode ? tool.encode(text) : text,
    env,
    timeoutMs,
    install: tool.install,
  }).then(() => undefined);
}

/**
 * Puts `text` on the clipboard: wl-copy on Wayland, xclip (else xsel) on X11, pbcopy on macOS,
 * clip on Windows. A missing tool is an OutputError naming the package to install.
 */
export async function copyToClipboard(text: string, options: ClipboardOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const tools = clipboardTools(env, platform);
  if (tools.length === 0) {
    throw new OutputError(
      'no-clipboard',
      'No clipboard: neither WAYLAND_DISPLAY nor DISPLAY is set. Run whis inside your graphical session, or use the stdout or file output.',
    );
  }
  let missing: OutputError | undefined;
  for (const tool of tools) {
    try {
      await writeWith(tool, text, env, options.timeoutMs ?? 5000);
      await untilServed(tool, text, env);
      return;
    } catch (err) {
      if ((err as OutputError).code !== 'missing-tool') throw err;
      missing ??= err as OutputError;
    }
  }
  throw new OutputError(
    'missing-tool',
    `No clipboard tool found. Install ${tools.map((t) => t.install).join(', or ')}.`,
    { cause: missing },
  );
}

// how a copy is read back: the same tool on X11, wl-paste for wl-copy
const READ_BACK = new Map<Tool, [string, string[]]>([
  [XCLIP, ['xclip', ['-selection', 'clipboard', '-out']]],
  [XSEL, ['xsel', ['--clipboard', '--output']]],
  [WL_COPY, ['wl-paste', ['--no-newline', '--type', 'text/plain;charset=utf-8']]],
]);

/**
 * xclip and xsel claim the selection and then fork the process that serves it; the claim can still
 * sit in the X library's buffer when the first process exits, so on a busy machine a paste (or a
 * read) at that moment gets the previous clipboard. wl-copy can return before its claim is in
 * force too: where the compositor has no data-control protocol (GNOME's mutter), it claims from a
 * small surface of its own once that has keyboard focus, and a paste chord pressed at once pasted
 * what was there before (GNOME 43: two pastes in seven). Reads back until the text is served, for up to
 * `limitMs`; after that the copy is taken as done, as before.
 */
async function untilServed(
  tool: Tool,
  text: string,
  env: NodeJS.ProcessEnv,
  limitMs = 2000,
): Promise<void> {
  const [command, args] = READ_BACK.get(tool) ?? [];
  if (!command || !args) return;
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const served = await read(command, args, env, limitMs);
    if (served?.toString() === text) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What the clipboard held: one type's bytes (text when it offered text). */
export interface ClipboardContent {
  type: string;
  data: Buffer;
}

const TEXT_TYPES = ['UTF8_STRING', 'text/plain;charset=utf-8', 'text/plain', 'STRING', 'TEXT'];
const META_TYPES = new Set(['TARGETS', 'TIMESTAMP', 'MULTIPLE', 'SAVE_TARGETS', 'DELETE']);

/** A clipboard reader's stdout, or undefined when it fails (an empty clipboard, no tool). */
const read = (command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) =>
  runTool({ command, args, env, timeoutMs, output: true }).catch(() => undefined);

/**
 * Reads what the clipboard holds, to give it back later: its text when it offers text, else its
 * first other type (an image, say). Undefined when it is empty or cannot be read.
 */
export async function readClipboard(
  options: ClipboardOptions = {},
): Promise<ClipboardContent | undefined> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? 5000;
  const pick = (types: string[]) =>
    types.find((t) => TEXT_TYPES.includes(t)) ??
    types.find((t) => !META_TYPES.has(t) && !t.startsWith('text/') && t.includes('/'));
  if (platform === 'darwin') {
    const data = await read('pbpaste', [], env, timeoutMs);
    return data ? { type: 'text/plain', data } : undefined;
  }
  if (platform === 'win32') {
    const data = await read(
      'powershell.exe',
      [
        '-NoProfile',
        '-NonInteractive',
        '-Command',
        '[Console]::OutputEncoding=[Text.Encoding]::UTF8; Get-Clipboard -Raw',
      ],
      env,
      timeoutMs,
    );
    return data ? { type: 'text/plain', data } : undefined;
  }
  const wayland = clipboardTools(env, platform)[0] === WL_COPY;
  if (wayland) {
    const types = (await read('wl-paste', ['--list-types'], env, timeoutMs))
      ?.toString()
      .split('\n');
    const type = types && pick(types.map((t) => t.trim()));
    if (!type) return undefined;
    const data = await read('wl-paste', ['--no-newline', '--type', type], env, timeoutMs);
    return data ? { type, data } : undefined;
  }
  if (!env.DISPLAY) return undefined;
  // with xsel alone (copyToClipboard's second choice), the clipboard's text: xsel reads no other type
  if (!onPath('xclip', env) && onPath('xsel', env)) {
    const data = await read('xsel', ['--clipboard', '--output'], env, timeoutMs);
    return data?.length ? { type: 'UTF8_STRING', data } : undefined;
  }
  const targets = (
    await read('xclip', ['-selection', 'clipboard', '-o', '-t', 'TARGETS'], env, timeoutMs)
  )
    ?.toString()
    .split('\n');
  const type = targets && pick(targets.map((t) => t.trim()));
  if (!type) return undefined;
  const data = await read('xclip', ['-selection', 'clipboard', '-o', '-t', type], env, timeoutMs);
  return data ? { type, data } : undefined;
}

/** Puts `content` (of its type) back on the clipboard, or `text` on the PRIMARY selection. */
export async function writeClipboard(
  content: ClipboardContent | { primary: string },
  options: ClipboardOptions = {},
): Promise<void> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? 5000;
  const [tool] = clipboardTools(env, platform);
  if (!tool) throw new OutputError('no-clipboard', 'No clipboard in this session.');
  if ('primary' in content) {
    if (tool === XCLIP)
      return writeWith(
        { ...XCLIP, args: ['-selection', 'primary', '-in'] },
        content.primary,
        env,
        timeoutMs,
      );
    if (tool === WL_COPY) return writeWith(WL_COPY, content.primary, env, timeoutMs, ['--primary']);
    return;
  }
  const typed = TEXT_TYPES.includes(content.type) || platform === 'darwin' || platform === 'win32';
  // through copyToClipboard: its next tool where the first is missing (xsel without xclip)
  if (typed) return copyToClipboard(content.data.toString('utf8'), options);
  if (tool === XCLIP)
    return writeWith(
      { ...XCLIP, args: ['-selection', 'clipboard', '-t', content.type, '-in'] },
      content.data,
      env,
      timeoutMs,
    );
  if (tool === WL_COPY)
    return writeWith(WL_COPY, content.data, env, timeoutMs, ['--type', content.type]);
}

/**
 * Empties the clipboard, so that the next thing copied can be told from what was there: no owner
 * on X11 (`xsel --clear`; with xclip alone, an empty text), `wl-copy --clear` on Wayland, an empty
 * text on macOS and Windows.
 */
export async function clearClipboard(options: ClipboardOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? 5000;
  const [tool] = clipboardTools(env, platform);
  if (!tool) throw new OutputError('no-clipboard', 'No clipboard in this session.');
  if (tool === WL_COPY) return writeWith(WL_COPY, '', env, timeoutMs, ['--clear']);
  if (tool === XCLIP || tool === XSEL) {
    try {
      // the clipboard without an owner, as it is before anything is copied
      return await writeWith({ ...XSEL, args: ['--clipboard', '--clear'] }, '', env, timeoutMs);
    } catch (err) {
      if ((err as OutputError).code !== 'missing-tool') throw err;
    }
  }
  await writeWith(tool, '', env, timeoutMs);
}

/**
 * Gives the clipboard back as `readClipboard` saw it (empty again when it was empty), and waits
 * until it is served, so that a paste or a read that follows gets it.
 */
export async function restoreClipboard(
  previous: ClipboardContent | undefined,
  options: ClipboardOptions = {},
): Promise<void> {
  if (!previous) return clearClipboard(options);
  await writeClipboard(previous, options);
  // text went through copyToClipboard, which waits until it is served; other types are read back
  const platform = options.platform ?? process.platform;
  if (TEXT_TYPES.includes(previous.type) || platform === 'darwin' || platform === 'win32') return;
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const now = await readClipboard(options).catch(() => undefined);
    if (now?.data.equals(previous.data)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
