import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Chord } from '../chords.js';
import { runTool } from '../internal/run.js';

/** A command to run: what, with which arguments, and what goes to its stdin. */
export interface Command {
  command: string;
  args: string[];
  input?: string;
}

/** What a keyboard is given when it is opened. */
export interface KeyboardContext {
  env: NodeJS.ProcessEnv;
  /** Give up on one step (a tool, a desktop call) after this long. */
  timeoutMs: number;
  /** How long keys bound for characters off the layout stay bound after the text is typed. */
  keyHoldMs?: number;
  /** Told what was decided and why. */
  notice: (message: string, details?: object) => void;
}

/** An open keyboard: types text and presses chords in the focused window. */
export interface KeyDriver {
  /** Opens what it needs (the portal's session); fails before anything is typed. */
  ready?(): Promise<void>;
  /**
   * The characters of `text` this keyboard would drop or mistype (a character outside the layout,
   * non-ASCII through a uinput tool), and why; such text is pasted instead.
   */
  untypeable(text: string): Promise<{ characters: string; why: string } | undefined>;
  type(text: string): Promise<void>;
  press(chord: Chord): Promise<void>;
}

/** One row of the keyboards catalogue: a way to type into the focused window. */
export interface Keyboard {
  name: string;
  /** What to install or allow, for messages. */
  install: string;
  /** Types any character; false: ASCII only (non-ASCII text is pasted instead). */
  unicode: boolean;
  /** Whether what it needs is here (its program on PATH, a session bus): a quick local check. */
  usable(env: NodeJS.ProcessEnv): boolean;
  /** Opens it for one delivery (a tool) or for the service's life (the portal's session). */
  open(context: KeyboardContext): KeyDriver;
  /** What the desktop answered last (the portal), for `whis status` and `whis doctor`. */
  describe?(
    env: NodeJS.ProcessEnv,
  ): { answer: string; problem?: string; unavailable?: boolean } | undefined;
}

/** Keys made ready for one text (see `CommandKeyboard.prepare`). */
export interface PreparedKeys {
  /** Every character of the text is now on the keyboard map. */
  onMap: boolean;
  /** Called once the text is typed (or typing failed). */
  done(): void;
}

/** A keyboard that is a program: the commands that type and press chords. */
export interface CommandKeyboard extends Keyboard {
  /** The program it runs (what must be on PATH). */
  command: string;
  /** The commands that type `text` (one or more, run in order); `onMap`: see `prepare`. */
  type(text: string, onMap?: boolean): Command[];
  press(chord: Chord): Command;
  /**
   * Makes `text` typeable before it is typed (xdotool: binds the keys the layout lacks), for the
   * time of the typing and a while after; undefined when it cannot.
   */
  prepare?(text: string, ctx: KeyboardContext): Promise<PreparedKeys | undefined>;
  /** The characters of `text` a keyboard that types any character would still lose, and why. */
  check?(
    text: string,
    ctx: KeyboardContext,
  ): Promise<{ characters: string; why: string } | undefined>;
}

/** Whether `command` is an executable on PATH. */
export function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const names = process.platform === 'win32' ? [command, `${command}.exe`] : [command];
  return dirs.some((dir) =>
    names.some((name) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }),
  );
}

/** Why a keyboard tool failed, when its message shows it: added to the error. */
function keyboardHint(message: string): string {
  if (/permission denied|uinput|ydotoold|socket/i.test(message))
    return ' (uinput tools need the user in the input group: `sudo usermod -aG input $USER`, then log in again)';
  if (/virtual keyboard|not supported/i.test(message))
    return ' (this compositor refuses virtual keyboards: GNOME and KDE need the desktop portal, ydotool or dotool)';
  return '';
}

const CHUNK = 200;

/** A catalogue row for a program: found on PATH, its commands run in order, text in chunks. */
export function commandKeyboard(spec: Omit<CommandKeyboard, 'usable' | 'open'>): CommandKeyboard {
  const keyboard: CommandKeyboard = {
    ...spec,
    usable: (env) => onPath(spec.command, env),
    open(ctx) {
      const execute = (cmd: Command) =>
        runTool({
          ...cmd,
          env: ctx.env,
          timeoutMs: ctx.timeoutMs,
          output: true,
          hint: keyboardHint,
          install: spec.install,
        });
      return {
        async untypeable(text) {
          if (spec.unicode) return spec.check?.(text, ctx);
          const characters = text.replace(/[\x20-\x7e]/g, '');
          return characters ? { characters, why: `${spec.name} types ASCII only` } : undefined;
        },
        async type(text) {
          const keys = await spec.prepare?.(text, ctx);
          try {
            let start = 0;
            while (start < text.length) {
              let end = Math.min(text.length, start + CHUNK);
              // never split a surrogate pair (an emoji) between two calls
              if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end++;
              for (const cmd of keyboard.type(text.slice(start, end), keys?.onMap))
                await execute(cmd);
              start = end;
            }
          } finally {
            keys?.done();
          }
        },
        async press(chord) {
          await execute(keyboard.press(chord));
        },
      };
    },
  };
  return keyboard;
}
