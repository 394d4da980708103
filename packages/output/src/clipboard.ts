import { spawn } from 'node:child_process';
import { OutputError } from './errors.js';

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
  if (env.WAYLAND_DISPLAY || env.XDG_SESSION_TYPE === 'wayland') return [WL_COPY, XCLIP, XSEL];
  if (env.DISPLAY) return [XCLIP, XSEL];
  return [];
}

// Clipboard tools on X11 and Wayland fork a child that keeps serving the selection, holding the
// pipes it inherited: wait for the tool's own exit, never for its output to close.
function runTool(
  tool: Tool,
  text: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool.command, tool.args, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new OutputError('tool-failed', `${tool.command} did not finish within ${timeoutMs} ms.`),
      );
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new OutputError(
              'missing-tool',
              `${tool.command} is not installed. Install ${tool.install}.`,
              { cause: err },
            )
          : new OutputError('tool-failed', `${tool.command} could not start: ${err.message}`, {
              cause: err,
            }),
      );
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      child.stderr!.destroy();
      if (code === 0) resolve();
      else
        reject(
          new OutputError(
            'tool-failed',
            `${tool.command} failed (${code ?? signal}): ${stderr.trim() || 'no message'}`,
          ),
        );
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(tool.encode ? tool.encode(text) : Buffer.from(text, 'utf8'));
  });
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
      await runTool(tool, text, env, options.timeoutMs ?? 5000);
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
