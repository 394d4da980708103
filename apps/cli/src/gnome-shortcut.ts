import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Hotkey, Modifier } from '@whis/hotkey/spec';
import { keysym } from './bindings.js';

// GNOME 47 and older have no GlobalShortcuts portal: the key is a custom shortcut, written the way
// GNOME Settings writes one (a path in media-keys' `custom-keybindings` list, and that path's
// name, command and binding), which gnome-settings-daemon runs. Presses only: no release.

const SCHEMA = 'org.gnome.settings-daemon.plugins.media-keys';
const LIST = 'custom-keybindings';
/** The path of whis's own entry; the user's entries (`custom0/`, …) are never touched. */
export const GNOME_SHORTCUT_PATH =
  '/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/whis/';
const ENTRY = `${SCHEMA}.custom-keybinding:${GNOME_SHORTCUT_PATH}`;

const run = promisify(execFile);

async function gsettings(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  try {
    return (await run('gsettings', args, { env, timeout: 10_000 })).stdout.trim();
  } catch (err) {
    throw new Error(
      `gsettings ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`,
      { cause: err },
    );
  }
}

// GVariant text: 'a string' with \ and ' escaped; a list of them: ['a', 'b'] or @as []
const gstring = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
function parseStrings(text: string): string[] {
  return [...text.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
}

const ACCELERATOR: Record<Modifier, string> = {
  super: '<Super>',
  ctrl: '<Control>',
  alt: '<Alt>',
  shift: '<Shift>',
};

/** The hotkey as a GTK accelerator, as GNOME Settings stores it: `ctrl+shift+r` → `<Control><Shift>r`. */
export function gnomeAccelerator(hotkey: Hotkey): string {
  const order: Modifier[] = ['super', 'ctrl', 'alt', 'shift'];
  return (
    order
      .filter((m) => hotkey.modifiers[m] !== undefined)
      .map((m) => ACCELERATOR[m])
      .join('') + keysym(hotkey.key)
  );
}

/** A command line GLib's shell parser reads back as `argv` (single quotes where needed). */
export function gnomeCommand(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** What whis's custom shortcut holds now (`listed`: whether GNOME's list names it). */
export interface GnomeShortcut {
  listed: boolean;
  name: string;
  command: string;
  binding: string;
}

export async function readGnomeShortcut(env: NodeJS.ProcessEnv): Promise<GnomeShortcut> {
  const list = parseStrings(await gsettings(env, ['get', SCHEMA, LIST]));
  const [name, command, binding] = await Promise.all(
    ['name', 'command', 'binding'].map(
      async (key) => parseStrings(await gsettings(env, ['get', ENTRY, key]))[0] ?? '',
    ),
  );
  return {
    listed: list.includes(GNOME_SHORTCUT_PATH),
    name: name!,
    command: command!,
    binding: binding!,
  };
}

/**
 * Writes whis's custom shortcut (`binding` runs `command`), adding its path to GNOME's list once and
 * keeping every other entry; resolves with whether anything changed.
 */
export async function writeGnomeShortcut(
  env: NodeJS.ProcessEnv,
  shortcut: { binding: string; command: string },
): Promise<boolean> {
  const now = await readGnomeShortcut(env);
  if (now.listed && now.command === shortcut.command && now.binding === shortcut.binding)
    return false;
  await gsettings(env, ['set', ENTRY, 'name', gstring('whis: dictate')]);
  await gsettings(env, ['set', ENTRY, 'command', gstring(shortcut.command)]);
  await gsettings(env, ['set', ENTRY, 'binding', gstring(shortcut.binding)]);
  if (!now.listed) {
    const list = parseStrings(await gsettings(env, ['get', SCHEMA, LIST]));
    const next = [...list, GNOME_SHORTCUT_PATH];
    await gsettings(env, ['set', SCHEMA, LIST, `[${next.map(gstring).join(', ')}]`]);
  }
  return true;
}

/** Removes whis's custom shortcut (its entry and its place in the list); others stay. */
export async function removeGnomeShortcut(env: NodeJS.ProcessEnv): Promise<boolean> {
  const list = parseStrings(await gsettings(env, ['get', SCHEMA, LIST]));
  if (!list.includes(GNOME_SHORTCUT_PATH)) return false;
  const next = list.filter((p) => p !== GNOME_SHORTCUT_PATH);
  await gsettings(env, [
    'set',
    SCHEMA,
    LIST,
    next.length ? `[${next.map(gstring).join(', ')}]` : '@as []',
  ]);
  for (const key of ['name', 'command', 'binding']) await gsettings(env, ['reset', ENTRY, key]);
  return true;
}
