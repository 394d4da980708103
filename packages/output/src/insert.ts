import {
  copyToClipboard,
  readClipboard,
  writeClipboard,
  type ClipboardContent,
} from './clipboard.js';
import { OutputError } from './errors.js';
import { runTool } from './internal/run.js';
import { RemoteDesktopError } from './internal/remote-desktop.js';
import { keysGivenBack } from './internal/x-keymap.js';
import { formatChord, pasteChordFor } from './chords.js';
import { KEYBOARDS, keyboardsFor, type KeyboardName } from './keyboards/index.js';
import type { Command, KeyDriver, Keyboard } from './keyboards/keyboard.js';
import { detectSession, type Session } from './session.js';
import { activeWindowQuery } from './window-class.js';
import type { Output } from './outputs.js';

export interface InsertOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Force a keyboard (a name of `KEYBOARDS`: xdotool, wtype, ydotool, dotool, portal, …) instead of the session's choice. */
  tool?: KeyboardName;
  /** `ctrl+v` (the default chord) and/or `class=chord` overrides, e.g. `kitty=ctrl+shift+v`. */
  pasteChord?: readonly string[];
  /** How long after the paste chord the previous clipboard is given back. Default 1500 ms. */
  restoreDelayMs?: number;
  /** Press Return after the text (type and paste). Default false: nothing is ever submitted. */
  submit?: boolean;
  /** Give up on a tool after this long. Default 10 s. */
  timeoutMs?: number;
  /**
   * X11: how long the keys bound for characters off the keyboard layout stay bound after the text
   * is typed, for a window that reads its keys late. Default 3000 ms.
   */
  keyHoldMs?: number;
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
  const tool = settings.typeTool as KeyboardName | undefined;
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
 * The keyboards for the session (or the one forced), why those, and those whose needs are met
 * (a program on PATH, a session bus), skipping a portal the desktop said it does not have;
 * `missing` says what to install when none is.
 */
function findKeyboards(
  env: NodeJS.ProcessEnv,
  session: Session,
  forced: KeyboardName | undefined,
): { usable: Keyboard[]; keyboards: Keyboard[]; why: string; missing?: string } {
  const { keyboards, why } = forced
    ? { keyboards: [KEYBOARDS[forced]], why: 'the typeTool setting' }
    : keyboardsFor(session);
  const usable = keyboards.filter(
    (k) => k.usable(env) && (forced || !k.describe?.(env)?.unavailable),
  );
  if (usable.length > 0 || keyboards.length === 0) return { usable, keyboards, why };
  return {
    usable,
    keyboards,
    why,
    missing: `${why}: none of ${keyboards.map((k) => k.name).join(', ')} is installed; install ${keyboards[0]!.install}`,
  };
}

/**
 * Which keyboard would type, and why (with what the desktop answered, for the portal); or what to
 * install. For `whis status`, `whis config` and `whis doctor`.
 */
export function describeInsertion(options: InsertOptions = {}): {
  tool: KeyboardName | null;
  /** The next keyboard the session would use when `tool` cannot type (the portal refused). */
  fallback?: KeyboardName;
  why: string;
  /** What the desktop answered the portal, once asked; `problem` when it refused or ended. */
  desktop?: { answer: string; problem?: string };
} {
  const env = options.env ?? process.env;
  const session = detectSession(env, options.platform ?? process.platform);
  const { usable, why, missing } = findKeyboards(env, session, options.tool);
  const keyboard = usable[0];
  const desktop = keyboard?.describe?.(env);
  return {
    tool: (keyboard?.name as KeyboardName | undefined) ?? null,
    ...(usable[1] ? { fallback: usable[1].name as KeyboardName } : {}),
    why: missing ?? (desktop ? `${why}; the desktop answered: ${desktop.answer}` : why),
    ...(desktop ? { desktop } : {}),
  };
}

/** Runs a query such as xprop; its output. */
async function execute(cmd: Command, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  const out = await runTool({ ...cmd, env, timeoutMs, output: true });
  return out.toString('utf8');
}

/** What one output (or the selection source) works with: the session, its limits, its notices. */
export interface Context {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  session: Session;
  timeoutMs: number;
  keyHoldMs?: number;
  notice: (message: string, details?: object) => void;
}

export function context(options: InsertOptions): Context {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  return {
    env,
    platform,
    session: detectSession(env, platform),
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.keyHoldMs !== undefined ? { keyHoldMs: options.keyHoldMs } : {}),
    notice: options.onNotice ?? (() => undefined),
  };
}

/**
 * The first keyboard of the session (or the forced one) that is installed and opens, or an
 * OutputError. A portal the desktop does not have gives way to the next keyboard, unless forced.
 */
export async function openKeyboard(
  ctx: Context,
  forced: KeyboardName | undefined,
): Promise<{ keyboard: Keyboard; driver: KeyDriver }> {
  const { usable, keyboards, why } = findKeyboards(ctx.env, ctx.session, forced);
  if (keyboards.length === 0)
    throw new OutputError(
      'no-clipboard',
      `Cannot type: ${why}. Run whis inside your graphical session, or use the clipboard output.`,
    );
  for (const [i, keyboard] of usable.entries()) {
    const driver = keyboard.open({
      env: ctx.env,
      timeoutMs: ctx.timeoutMs,
      ...(ctx.keyHoldMs !== undefined ? { keyHoldMs: ctx.keyHoldMs } : {}),
      notice: ctx.notice,
    });
    try {
      await driver.ready?.();
      return { keyboard, driver };
    } catch (err) {
      if (
        !forced &&
        err instanceof RemoteDesktopError &&
        err.unavailable &&
        i < usable.length - 1
      ) {
        ctx.notice(`${keyboard.name} is not available: trying ${usable[i + 1]!.name}`, {
          reason: err.message,
        });
        continue;
      }
      throw new OutputError(
        'type-failed',
        err instanceof RemoteDesktopError ? err.message : (err as Error).message,
        { cause: err },
      );
    }
  }
  throw new OutputError(
    'missing-tool',
    `Cannot type into windows (${why}): install ${keyboards.map((k) => k.install).join(', or ')}.`,
  );
}

/** Presses Return when the `submit` setting asks for it: never otherwise. */
async function submitIfAsked(driver: KeyDriver, submit: boolean | undefined) {
  if (submit) await driver.press({ modifiers: [], key: 'Return' });
}

/** An error's message as a sentence: ending with one full stop. */
const sentence = (err: unknown) => (err as Error).message.replace(/\.?\s*$/, '.');

/** An OutputError saying the text is on the clipboard (put there now) after `err`. */
async function keptOnClipboard(
  ctx: Context,
  text: string,
  code: 'type-failed' | 'paste-failed',
  err: unknown,
): Promise<OutputError> {
  const kept = await copyToClipboard(text, { env: ctx.env, platform: ctx.platform }).then(
    () => true,
    () => false,
  );
  return new OutputError(
    code,
    kept ? `${sentence(err)} The text is on the clipboard; paste it yourself.` : sentence(err),
    { cause: err },
  );
}

/**
 * Opens the keyboard; a desktop that refused or ended the session leaves the text on the
 * clipboard. A missing tool is reported as it is (nothing was tried).
 */
async function openOrKeep(
  ctx: Context,
  forced: KeyboardName | undefined,
  text: string,
  code: 'type-failed' | 'paste-failed',
): Promise<{ keyboard: Keyboard; driver: KeyDriver }> {
  try {
    return await openKeyboard(ctx, forced);
  } catch (err) {
    if (err instanceof OutputError && err.cause instanceof RemoteDesktopError)
      throw await keptOnClipboard(ctx, text, code, err.cause);
    throw err;
  }
}

/**
 * Text as it may be typed: no line breaks (a Return would submit a terminal's line). A leading
 * space is kept as one: it joins a segment typed while speaking to the one before it.
 */
const oneLine = (text: string) =>
  (/^[ \t]/.test(text) ? ' ' : '') + text.replace(/\s*\r?\n\s*/g, ' ').trim();

/** The focused window's class, or undefined where it cannot be read. */
export async function focusedClass(ctx: Context): Promise<string | undefined> {
  const query = activeWindowQuery(ctx.session, ctx.env);
  if (!query) return undefined;
  try {
    let out = await execute(query.command, ctx.env, ctx.timeoutMs);
    if (query.then) out = await execute(query.then(out), ctx.env, ctx.timeoutMs);
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
export function createPasteOutput(options: InsertOptions = {}): Output & {
  settled(): Promise<void>;
  /** Pastes with a keyboard already open (the type output's, when its keyboard cannot type the text). */
  paste(text: string, keyboard: Keyboard, driver: KeyDriver): Promise<void>;
} {
  const ctx = context(options);
  const restoreDelayMs = options.restoreDelayMs ?? 1500;
  const pending = new Set<Promise<void>>();
  const clip = { env: ctx.env, platform: ctx.platform };

  async function paste(text: string, keyboard: Keyboard, driver: KeyDriver): Promise<void> {
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
      await driver.press(chord);
      await submitIfAsked(driver, options.submit);
    } catch (err) {
      throw new OutputError(
        'paste-failed',
        `The text is on the clipboard, but pasting it failed: ${sentence(err)} Paste it yourself (${formatChord(chord)}).`,
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
      const { keyboard, driver } = await openOrKeep(ctx, options.tool, text, 'paste-failed');
      await paste(text, keyboard, driver);
    },
    paste,
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
      const { keyboard, driver } = await openOrKeep(ctx, options.tool, raw, 'type-failed');
      const text = oneLine(raw);
      let cannot;
      try {
        cannot = await driver.untypeable(text);
      } catch (err) {
        throw await keptOnClipboard(ctx, raw, 'type-failed', err);
      }
      if (cannot) {
        ctx.notice(`${cannot.why}: the text is pasted instead`, {
          tool: keyboard.name,
          characters: cannot.characters,
        });
        return paster.paste(text, keyboard, driver);
      }
      ctx.notice('typing', { tool: keyboard.name, characters: text.length });
      try {
        await driver.type(text);
        await submitIfAsked(driver, options.submit);
      } catch (err) {
        await copyToClipboard(raw, { env: ctx.env, platform: ctx.platform }).catch(() => undefined);
        throw new OutputError(
          'type-failed',
          `Typing failed: ${sentence(err)} The text is on the clipboard; paste it yourself.`,
          { cause: err },
        );
      }
    },
    // the clipboard given back after a paste, and the keys bound for typing after their hold
    settled: async () => {
      await Promise.all([paster.settled(), keysGivenBack()]);
    },
  };
}
