import {
  copyToClipboard,
  readClipboard,
  writeClipboard,
  type ClipboardContent,
} from './clipboard.js';
import { OutputError } from './errors.js';
import { runTool } from './internal/run.js';
import {
  activeWindowQuery,
  detectSession,
  formatChord,
  KEYBOARDS,
  keyboardsFor,
  onPath,
  pasteChordFor,
  type Command,
  type Keyboard,
  type Session,
} from './keyboard.js';
import type { Output } from './outputs.js';

export interface InsertOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Force a typing tool (xdotool, wtype, ydotool, dotool) instead of the session's choice. */
  tool?: Keyboard['name'];
  /** `ctrl+v` (the default chord) and/or `class=chord` overrides, e.g. `kitty=ctrl+shift+v`. */
  pasteChord?: readonly string[];
  /** How long after the paste chord the previous clipboard is given back. Default 1500 ms. */
  restoreDelayMs?: number;
  /** Press Return after the text (type and paste). Default false: nothing is ever submitted. */
  submit?: boolean;
  /** Give up on a tool after this long. Default 10 s. */
  timeoutMs?: number;
  /** Told what was decided and why (the tool, the chord, a fallback, a skipped restore). */
  onNotice?: (message: string, details?: object) => void;
}

/** The settings file's keys for typing and pasting (structurally whis's settings). */
export interface InsertSettings {
  typeTool?: string;
  pasteChord?: string[];
  clipboardRestoreMs?: number;
  submit?: boolean;
}

/** InsertOptions from the settings file's keys; `onNotice` (a logger's) added when given. */
export function insertOptionsFrom(
  settings: InsertSettings,
  onNotice?: InsertOptions['onNotice'],
): InsertOptions {
  const tool = settings.typeTool as Keyboard['name'] | undefined;
  if (tool !== undefined && !Object.hasOwn(KEYBOARDS, tool))
    throw new OutputError(
      'missing-tool',
      `typeTool "${tool}" is not one of ${Object.keys(KEYBOARDS).join(', ')}.`,
    );
  return {
    ...(tool ? { tool } : {}),
    ...(settings.pasteChord ? { pasteChord: settings.pasteChord } : {}),
    ...(settings.clipboardRestoreMs !== undefined
      ? { restoreDelayMs: settings.clipboardRestoreMs }
      : {}),
    submit: settings.submit ?? false,
    ...(onNotice ? { onNotice } : {}),
  };
}

/**
 * The keyboards for the session (or the one forced), why those, and the first that is installed;
 * `missing` says what to install when none is.
 */
function findKeyboard(
  env: NodeJS.ProcessEnv,
  session: Session,
  forced: Keyboard['name'] | undefined,
): { keyboard: Keyboard | undefined; keyboards: Keyboard[]; why: string; missing?: string } {
  const { keyboards, why } = forced
    ? { keyboards: [KEYBOARDS[forced]], why: 'the typeTool setting' }
    : keyboardsFor(session);
  const keyboard = keyboards.find((k) => onPath(k.command, env));
  if (keyboard || keyboards.length === 0) return { keyboard, keyboards, why };
  return {
    keyboard,
    keyboards,
    why,
    missing: `${why}: none of ${keyboards.map((k) => k.name).join(', ')} is installed; install ${keyboards[0]!.install}`,
  };
}

/** Which tool would type, and why; or what to install. For `whis status` and `whis config`. */
export function describeInsertion(options: InsertOptions = {}): {
  tool: Keyboard['name'] | null;
  why: string;
} {
  const env = options.env ?? process.env;
  const session = detectSession(env, options.platform ?? process.platform);
  const { keyboard, why, missing } = findKeyboard(env, session, options.tool);
  return { tool: keyboard?.name ?? null, why: missing ?? why };
}

/** Why a keyboard tool failed, when its message shows it: added to the error. */
function keyboardHint(message: string): string {
  if (/permission denied|uinput|ydotoold|socket/i.test(message))
    return ' (uinput tools need the user in the input group: `sudo usermod -aG input $USER`, then log in again)';
  if (/virtual keyboard|not supported/i.test(message))
    return ' (this compositor refuses virtual keyboards: GNOME and KDE need ydotool or dotool)';
  return '';
}

/** Runs one command of a keyboard tool (or, without `keyboard`, a query such as xprop). */
async function execute(
  cmd: Command,
  keyboard: Keyboard | undefined,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<string> {
  const out = await runTool({
    ...cmd,
    env,
    timeoutMs,
    output: true,
    hint: keyboardHint,
    ...(keyboard ? { install: keyboard.install } : {}),
  });
  return out.toString('utf8');
}

interface Context {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  session: Session;
  timeoutMs: number;
  notice: (message: string, details?: object) => void;
}

function context(options: InsertOptions): Context {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  return {
    env,
    platform,
    session: detectSession(env, platform),
    timeoutMs: options.timeoutMs ?? 10_000,
    notice: options.onNotice ?? (() => undefined),
  };
}

/** The first keyboard of the session (or the forced one) that is installed, or an OutputError. */
function chooseKeyboard(ctx: Context, forced: Keyboard['name'] | undefined): Keyboard {
  const { keyboard, keyboards, why } = findKeyboard(ctx.env, ctx.session, forced);
  if (keyboard) return keyboard;
  if (keyboards.length === 0)
    throw new OutputError(
      'no-clipboard',
      `Cannot type: ${why}. Run whis inside your graphical session, or use the clipboard output.`,
    );
  throw new OutputError(
    'missing-tool',
    `Cannot type into windows (${why}): install ${keyboards.map((k) => k.install).join(', or ')}.`,
  );
}

/** Presses Return when the `submit` setting asks for it: never otherwise. */
async function submitIfAsked(keyboard: Keyboard, ctx: Context, submit: boolean | undefined) {
  if (submit)
    await execute(
      keyboard.press({ modifiers: [], key: 'Return' }),
      keyboard,
      ctx.env,
      ctx.timeoutMs,
    );
}

/**
 * Text as it may be typed: no line breaks (a Return would submit a terminal's line). A leading
 * space is kept as one: it joins a segment typed while speaking to the one before it.
 */
const oneLine = (text: string) =>
  (/^[ \t]/.test(text) ? ' ' : '') + text.replace(/\s*\r?\n\s*/g, ' ').trim();

const CHUNK = 200;

async function typeWith(keyboard: Keyboard, text: string, ctx: Context): Promise<void> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + CHUNK);
    // never split a surrogate pair (an emoji) between two calls
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end++;
    for (const cmd of keyboard.type(text.slice(start, end)))
      await execute(cmd, keyboard, ctx.env, ctx.timeoutMs);
    start = end;
  }
}

async function focusedClass(ctx: Context): Promise<string | undefined> {
  const query = activeWindowQuery(ctx.session, ctx.env);
  if (!query) return undefined;
  try {
    let out = await execute(query.command, undefined, ctx.env, ctx.timeoutMs);
    if (query.then) out = await execute(query.then(out), undefined, ctx.env, ctx.timeoutMs);
    return query.parse(out);
  } catch {
    return undefined;
  }
}

/**
 * The focused window's class (`xterm`, `kitty`, `zenity`, …) on X11, sway and Hyprland, as the
 * paste chord is chosen; undefined elsewhere or when it cannot be read.
 */
export function focusedWindowClass(
  options: Pick<InsertOptions, 'env' | 'platform' | 'timeoutMs'> = {},
): Promise<string | undefined> {
  return focusedClass(context({ timeoutMs: 2000, ...options }));
}

/**
 * The paste output: the text goes on the clipboard, the focused window's paste chord is pressed,
 * and the clipboard the user had is given back once the paste has been taken, unless they copied
 * something new in between. A failed chord leaves the text on the clipboard and says so.
 */
export function createPasteOutput(
  options: InsertOptions = {},
): Output & { settled(): Promise<void> } {
  const ctx = context(options);
  const restoreDelayMs = options.restoreDelayMs ?? 1500;
  const pending = new Set<Promise<void>>();
  const clip = { env: ctx.env, platform: ctx.platform };

  async function paste(text: string, keyboard: Keyboard): Promise<void> {
    const previous = await readClipboard(clip).catch(() => undefined);
    await copyToClipboard(text, clip);
    const windowClass = await focusedClass(ctx);
    const { chord, primary, why } = pasteChordFor(windowClass, options.pasteChord);
    if (primary) await writeClipboard({ primary: text }, clip).catch(() => undefined);
    ctx.notice('pasting', {
      tool: keyboard.name,
      chord: formatChord(chord),
      window: windowClass ?? null,
      why,
    });
    try {
      await execute(keyboard.press(chord), keyboard, ctx.env, ctx.timeoutMs);
      await submitIfAsked(keyboard, ctx, options.submit);
    } catch (err) {
      throw new OutputError(
        'paste-failed',
        `The text is on the clipboard, but pasting it failed: ${(err as Error).message}. Paste it yourself (${formatChord(chord)}).`,
        { cause: err },
      );
    }
    if (previous) scheduleRestore(previous, text);
  }

  function scheduleRestore(previous: ClipboardContent, text: string) {
    const restore = (async () => {
      await new Promise((resolve) => setTimeout(resolve, restoreDelayMs));
      const now = await readClipboard(clip).catch(() => undefined);
      if (now?.data.toString('utf8') !== text) {
        ctx.notice('the clipboard changed after the paste: not restored');
        return;
      }
      await writeClipboard(previous, clip).catch((err: unknown) =>
        ctx.notice('the previous clipboard could not be restored', { err }),
      );
    })();
    pending.add(restore);
    void restore.finally(() => pending.delete(restore));
  }

  return {
    name: 'paste',
    async deliver(text) {
      const keyboard = chooseKeyboard(ctx, options.tool);
      await paste(text, keyboard);
    },
    async settled() {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}

/**
 * The type output: the text is typed into the focused window, in chunks, without line breaks.
 * Text the tool cannot type (non-ASCII through a uinput tool) is pasted instead, and a tool that
 * fails leaves the text on the clipboard and says so.
 */
export function createTypeOutput(
  options: InsertOptions = {},
): Output & { settled(): Promise<void> } {
  const ctx = context(options);
  const paster = createPasteOutput({ ...options, onNotice: ctx.notice });
  return {
    name: 'type',
    async deliver(raw) {
      const keyboard = chooseKeyboard(ctx, options.tool);
      const text = oneLine(raw);
      if (!keyboard.unicode && /[^\x20-\x7e]/.test(text)) {
        ctx.notice(`${keyboard.name} types ASCII only: the text is pasted instead`, {
          tool: keyboard.name,
        });
        return paster.deliver(text);
      }
      ctx.notice('typing', { tool: keyboard.name, characters: text.length });
      try {
        await typeWith(keyboard, text, ctx);
        await submitIfAsked(keyboard, ctx, options.submit);
      } catch (err) {
        await copyToClipboard(raw, { env: ctx.env, platform: ctx.platform }).catch(() => undefined);
        throw new OutputError(
          'type-failed',
          `Typing failed: ${(err as Error).message}. The text is on the clipboard; paste it yourself.`,
          { cause: err },
        );
      }
    },
    settled: () => paster.settled(),
  };
}
