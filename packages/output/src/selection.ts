import {
  deadline,
  silentLogger,
  type Logger,
  type Selection,
  type SelectionMode,
  type SelectionSource,
} from '@whis/contracts';
import { ProcessError } from '@whis/process';
import { clearClipboard, readClipboard, restoreClipboard } from './clipboard.js';
import { copyChordFor, formatChord } from './chords.js';
import { OutputError } from './errors.js';
import { context, focusedClass, openKeyboard } from './insert.js';
import { runTool } from './internal/run.js';
import type { KeyboardName } from './keyboards/index.js';
import { detectSession } from './session.js';

export interface SelectionOptions {
  /** `primary`, `copy`, or `auto` (the primary selection when it holds text, else the copy chord). */
  mode: SelectionMode;
  /** The longest selection read, in characters (code points); longer rejects. Default 20,000. */
  maxChars?: number;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Force the keyboard that presses the copy chord (a name of `KEYBOARDS`), as `typeTool` does. */
  tool?: KeyboardName;
  /** `ctrl+c` (the default chord) and/or `class=chord` overrides, e.g. `emacs=alt+w`. */
  copyChord?: readonly string[];
  /** Give up on one tool (a selection read, the chord) after this long. Default 2 s. */
  timeoutMs?: number;
  /** How long the focused window has to copy after the chord; nothing by then is no selection. Default 1 s. */
  copyWaitMs?: number;
  logger?: Logger;
}

/** How a selection is read by a program: the command, and what its failures mean. */
interface Reader {
  command: string;
  args: string[];
  install: string;
  /** Whether a failure with this stderr means "nothing selected" rather than a broken tool. */
  nothing(stderr: string): boolean;
}

// xclip exits 1 when nothing owns the selection or the owner offers no text
const xclipNothing = (stderr: string) => /not available|no selection/i.test(stderr);
// wl-paste exits 1 with "No selection", "Nothing is copied" or "No suitable type of content copied";
// a compositor without the primary-selection protocol fails too: all of it is "nothing here"
const wlPasteNothing = () => true;

const readers = {
  primary: {
    wayland: {
      command: 'wl-paste',
      args: ['--primary', '--no-newline', '--type', 'text'],
      install: 'wl-clipboard (apt install wl-clipboard)',
      nothing: wlPasteNothing,
    },
    xclip: {
      command: 'xclip',
      args: ['-selection', 'primary', '-out'],
      install: 'xclip (apt install xclip)',
      nothing: xclipNothing,
    },
    xsel: {
      command: 'xsel',
      args: ['--primary', '--output'],
      install: 'xsel (apt install xsel)',
      nothing: () => true,
    },
  },
  clipboard: {
    wayland: {
      command: 'wl-paste',
      args: ['--no-newline', '--type', 'text'],
      install: 'wl-clipboard (apt install wl-clipboard)',
      nothing: wlPasteNothing,
    },
    xclip: {
      command: 'xclip',
      args: ['-selection', 'clipboard', '-out'],
      install: 'xclip (apt install xclip)',
      nothing: xclipNothing,
    },
    xsel: {
      command: 'xsel',
      args: ['--clipboard', '--output'],
      install: 'xsel (apt install xsel)',
      nothing: () => true,
    },
    macos: {
      command: 'pbpaste',
      args: [],
      install: 'pbpaste (part of macOS)',
      nothing: () => true,
    },
    windows: {
      command: 'powershell.exe',
      args: [
        '-NoProfile',
        '-NonInteractive',
        '-Command',
        '[Console]::OutputEncoding=[Text.Encoding]::UTF8; Get-Clipboard -Raw',
      ],
      install: 'PowerShell (part of Windows)',
      nothing: () => true,
    },
  },
} satisfies Record<string, Record<string, Reader>>;

/**
 * The programs that read the PRIMARY selection (or the clipboard) in this session, in order: on
 * Wayland wl-paste, then the X tools for XWayland; none for PRIMARY on macOS and Windows.
 */
export function selectionReaders(
  which: 'primary' | 'clipboard',
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): Reader[] {
  const session = detectSession(env, platform);
  const set = readers[which];
  const x = [set.xclip, set.xsel];
  switch (session.kind) {
    case 'wayland':
      return [set.wayland, ...(env.DISPLAY ? x : [])];
    case 'x11':
      return x;
    case 'macos':
      return which === 'clipboard' ? [readers.clipboard.macos] : [];
    case 'windows':
      return which === 'clipboard' ? [readers.clipboard.windows] : [];
    default:
      return [];
  }
}

/**
 * Reads with the first installed reader: the text, '' when nothing is selected. A missing tool is
 * tried past; none installed is `missing-tool` naming the packages; a reader that does not finish
 * in `timeoutMs` (an owner that does not answer) is `selection-timeout`.
 */
async function readWith(
  list: Reader[],
  what: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  for (const reader of list) {
    try {
      const out = await runTool({
        command: reader.command,
        args: reader.args,
        env,
        timeoutMs,
        output: true,
        install: reader.install,
        ...(signal ? { signal } : {}),
      });
      return out.toString('utf8');
    } catch (err) {
      if (!(err instanceof OutputError)) throw err;
      if (err.code === 'missing-tool') continue;
      const cause = err.cause instanceof ProcessError ? err.cause : undefined;
      if (cause?.code === 'timeout')
        throw new OutputError(
          'selection-timeout',
          `The application that holds the ${what} did not hand it over within ${timeoutMs} ms. Select the text again and retry, or set editSelection to ${what === 'primary selection' ? 'copy' : 'primary'}.`,
          { cause: err },
        );
      if (cause?.code === 'failed' && reader.nothing(cause.stderr)) return '';
      throw err;
    }
  }
  throw new OutputError(
    'missing-tool',
    `Reading the ${what} needs ${list.map((r) => r.install).join(', or ')}.`,
  );
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

const count = (text: string) => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

/**
 * Reads the user's selection, the input of an edit by voice:
 * - `primary`: the PRIMARY selection (xclip, else xsel, on X11; `wl-paste --primary` on Wayland,
 *   where a compositor without it gives ''). macOS and Windows have none: `no-primary-selection`.
 * - `copy`: the clipboard is saved and emptied, the focused window's copy chord pressed (ctrl+c;
 *   ctrl+shift+c in terminals; xterm's selection is read from PRIMARY instead), the clipboard read
 *   as soon as the window has put something on it (polled until `copyWaitMs`; nothing by then is
 *   ''), and the saved clipboard put back as it was, whatever happened.
 * - `auto`: the primary selection when it holds text, else the copy chord.
 *
 * Over `maxChars` rejects with `selection-too-large`; a missing tool with `missing-tool` naming the
 * package; an owner that does not answer with `selection-timeout`; an aborted signal with its reason.
 */
export function createSelectionSource(options: SelectionOptions): SelectionSource {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? 2000;
  const copyWaitMs = options.copyWaitMs ?? 1000;
  const maxChars = options.maxChars ?? 20_000;
  const log = options.logger ?? silentLogger;
  const clip = { env, platform, timeoutMs };

  const primaryReaders = selectionReaders('primary', env, platform);

  function readPrimary(signal: AbortSignal | undefined): Promise<string> {
    if (primaryReaders.length === 0)
      return Promise.reject(
        new OutputError(
          'no-primary-selection',
          platform === 'darwin' || platform === 'win32'
            ? `${platform === 'darwin' ? 'macOS' : 'Windows'} has no primary selection: set editSelection to copy (or auto), which copies the selection with the copy chord.`
            : 'No primary selection: neither WAYLAND_DISPLAY nor DISPLAY is set. Run whis inside your graphical session.',
        ),
      );
    return readWith(primaryReaders, 'primary selection', env, timeoutMs, signal);
  }

  async function readByCopy(
    signal: AbortSignal | undefined,
  ): Promise<{ text: string; source: Selection['source'] }> {
    const ctx = context({
      env,
      platform,
      timeoutMs,
      ...(options.tool ? { tool: options.tool } : {}),
      onNotice: (message, details) => log.debug(details ?? {}, message),
    });
    // both are a tool or two each, and independent: read side by side
    const [windowClass, previous] = await Promise.all([
      focusedClass(ctx),
      readClipboard(clip).catch(() => undefined),
    ]);
    const { chord, why } = copyChordFor(windowClass, options.copyChord, platform);
    if (!chord) {
      log.debug({ window: windowClass, why }, 'selection: no copy chord, reading PRIMARY');
      return { text: await readPrimary(signal), source: 'primary' };
    }
    // the keyboard before anything changes: a missing tool fails with the clipboard untouched
    const { keyboard, driver } = await openKeyboard(ctx, options.tool);
    const clipboardReaders = selectionReaders('clipboard', env, platform);
    try {
      // emptied, so that the window's copy shows (the same text as before included)
      await clearClipboard(clip);
      signal?.throwIfAborted();
      log.debug(
        { tool: keyboard.name, chord: formatChord(chord), window: windowClass ?? null, why },
        'selection: pressing the copy chord',
      );
      await driver.press(chord);
      const wait = deadline(copyWaitMs, signal);
      for (;;) {
        const text = await readWith(clipboardReaders, 'clipboard', env, timeoutMs, signal);
        if (text !== '') return { text, source: 'copy' };
        signal?.throwIfAborted();
        if (wait.aborted) {
          log.debug({ waitedMs: copyWaitMs }, 'selection: nothing was copied');
          return { text: '', source: 'copy' };
        }
        await sleep(10, wait);
      }
    } finally {
      await restoreClipboard(previous, clip).catch((err: unknown) =>
        log.warn({ err }, 'selection: the previous clipboard could not be put back'),
      );
    }
  }

  return {
    async read(readOptions = {}) {
      const { signal } = readOptions;
      signal?.throwIfAborted();
      const started = Date.now();
      let selection: Selection;
      if (options.mode === 'primary') {
        selection = { text: await readPrimary(signal), source: 'primary' };
      } else if (options.mode === 'copy') {
        selection = await readByCopy(signal);
      } else {
        let text = '';
        if (primaryReaders.length > 0) {
          try {
            text = await readPrimary(signal);
          } catch (err) {
            // a primary selection that cannot be read (its owner hangs) leaves the copy chord
            if (!(err instanceof OutputError) || err.code !== 'selection-timeout') throw err;
            log.warn({ err }, 'selection: the primary selection did not arrive, copying instead');
          }
        }
        selection = text !== '' ? { text, source: 'primary' } : await readByCopy(signal);
      }
      const chars = count(selection.text);
      log.debug(
        { mode: options.mode, source: selection.source, chars, ms: Date.now() - started },
        'selection read',
      );
      if (chars > maxChars)
        throw new OutputError(
          'selection-too-large',
          `The selection is ${chars.toLocaleString('en')} characters; an edit takes at most ${maxChars.toLocaleString('en')}. Select less and edit it in parts.`,
        );
      return selection;
    },
  };
}
