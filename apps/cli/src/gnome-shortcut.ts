import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseHotkey, type Hotkey, type Modifier } from '@whis/hotkey/spec';
import { keysym } from './bindings.js';

// GNOME 47 and older have no GlobalShortcuts portal: the key is a custom shortcut, written the way
// GNOME Settings writes one (a path in media-keys' `custom-keybindings` list, and that path's
// name, command and binding), which gnome-settings-daemon runs: one for the hotkey, one for the edit
// key. Presses only: no release.

const SCHEMA = 'org.gnome.settings-daemon.plugins.media-keys';
const LIST = 'custom-keybindings';
const DIRECTORY = '/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings';

/** Which of whis's custom shortcuts: the hotkey's (`whis toggle`) or the edit key's (`whis edit`). */
export type GnomeShortcutKind = 'dictate' | 'edit';

/**
 * whis's own entries, one per key: their paths and the names GNOME Settings shows. The user's
 * entries (`custom0/`, …) are never touched.
 */
export const GNOME_SHORTCUTS: Record<GnomeShortcutKind, { path: string; name: string }> = {
  dictate: { path: `${DIRECTORY}/whis/`, name: 'whis: dictate' },
  edit: { path: `${DIRECTORY}/whis-edit/`, name: 'whis: edit the selection' },
};

const entry = (kind: GnomeShortcutKind) =>
  `${SCHEMA}.custom-keybinding:${GNOME_SHORTCUTS[kind].path}`;

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

/** One custom shortcut whis would write: a key and the whis command it runs. */
export interface PlannedGnomeKey {
  kind: GnomeShortcutKind;
  /** The key as the settings spell it. */
  hotkey: string;
  /** The key as a GTK accelerator. */
  binding: string;
  verb: 'toggle' | 'edit';
  command: string;
}

/**
 * whis's custom shortcuts for these keys, running `whis` (absolute paths): the hotkey's
 * (`whis toggle`), then the edit key's (`whis edit`) unless it is off or on the hotkey's own chord,
 * which `note` then explains.
 */
export function gnomeShortcutsFor(
  keys: { hotkey: string; editHotkey?: string },
  whis: readonly string[],
): { shortcuts: PlannedGnomeKey[]; note?: string } {
  const key = (kind: GnomeShortcutKind, hotkey: string, verb: PlannedGnomeKey['verb']) => ({
    kind,
    hotkey,
    binding: gnomeAccelerator(parseHotkey(hotkey)),
    verb,
    command: gnomeCommand([...whis, verb]),
  });
  const dictate = key('dictate', keys.hotkey, 'toggle');
  if (!keys.editHotkey) return { shortcuts: [dictate] };
  const edit = key('edit', keys.editHotkey, 'edit');
  // GNOME would run one of the two on that chord: the hotkey keeps it
  if (edit.binding === dictate.binding)
    return {
      shortcuts: [dictate],
      note: `The edit key (${keys.editHotkey}) is the hotkey's chord: it gets no custom shortcut. Choose another with \`whis config set editHotkey …\` (or \`none\`).`,
    };
  return { shortcuts: [dictate, edit] };
}

/** What one of whis's custom shortcuts holds now (`listed`: whether GNOME's list names it). */
export interface GnomeShortcut {
  listed: boolean;
  name: string;
  command: string;
  binding: string;
}

export async function readGnomeShortcut(
  env: NodeJS.ProcessEnv,
  kind: GnomeShortcutKind,
): Promise<GnomeShortcut> {
  const list = parseStrings(await gsettings(env, ['get', SCHEMA, LIST]));
  const [name, command, binding] = await Promise.all(
    ['name', 'command', 'binding'].map(
      async (key) => parseStrings(await gsettings(env, ['get', entry(kind), key]))[0] ?? '',
    ),
  );
  return {
    listed: list.includes(GNOME_SHORTCUTS[kind].path),
    name: name!,
    command: command!,
    binding: binding!,
  };
}

/**
 * Writes one of whis's custom shortcuts (`binding` runs `command`),
 * adding its path to GNOME's list once and keeping every other entry; resolves with whether
 * anything changed. The list is read, changed and written back: write one shortcut at a time.
 */
export async function writeGnomeShortcut(
  env: NodeJS.ProcessEnv,
  shortcut: { kind: GnomeShortcutKind; binding: string; command: string },
): Promise<boolean> {
  const { kind } = shortcut;
  const now = await readGnomeShortcut(env, kind);
  if (now.listed && now.command === shortcut.command && now.binding === shortcut.binding)
    return false;
  await gsettings(env, ['set', entry(kind), 'name', gstring(GNOME_SHORTCUTS[kind].name)]);
  await gsettings(env, ['set', entry(kind), 'command', gstring(shortcut.command)]);
  await gsettings(env, ['set', entry(kind), 'binding', gstring(shortcut.binding)]);
  if (!now.listed) {
    const list = parseStrings(await gsettings(env, ['get', SCHEMA, LIST]));
    const next = [...list, GNOME_SHORTCUTS[kind].path];
    await gsettings(env, ['set', SCHEMA, LIST, `[${next.map(gstring).join(', ')}]`]);
  }
  return true;
}

/** Removes one of whis's custom shortcuts (its entry and its place in the list); others stay. */
export async function removeGnomeShortcut(
  env: NodeJS.ProcessEnv,
  kind: GnomeShortcutKind,
): Promise<boolean> {
  const { path } = GNOME_SHORTCUTS[kind];
  const list = parseStrings(await gsettings(env, ['get', SCHEMA, LIST]));
  if (!list.includes(path)) return false;
  const next = list.filter((p) => p !== path);
  await gsettings(env, [
    'set',
    SCHEMA,
    LIST,
    next.length ? `[${next.map(gstring).join(', ')}]` : '@as []',
  ]);
  for (const key of ['name', 'command', 'binding'])
    await gsettings(env, ['reset', entry(kind), key]);
  return true;
}
