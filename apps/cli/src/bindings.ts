import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { KEYSYMS as X_KEYSYMS, type Hotkey, type Modifier } from '@whis/hotkey/spec';

// Compositors that offer no GlobalShortcuts portal bind keys in their own configuration: whis
// writes the lines there, in a marked block that a later `whis setup` replaces.

/** A compositor whose own configuration binds whis's hotkey. */
export type Compositor = 'sway' | 'hyprland' | 'river' | 'cosmic';

const LABELS: Record<Compositor, string> = {
  sway: 'sway',
  hyprland: 'Hyprland',
  river: 'river',
  cosmic: 'COSMIC',
};

/** The compositor of the session `env` describes, when it is one whis writes bindings for. */
export function detectCompositor(env: NodeJS.ProcessEnv): Compositor | undefined {
  if (env.SWAYSOCK) return 'sway';
  if (env.HYPRLAND_INSTANCE_SIGNATURE) return 'hyprland';
  const desktops = (env.XDG_CURRENT_DESKTOP ?? '').toLowerCase().split(':');
  for (const name of ['sway', 'hyprland', 'river', 'cosmic'] as const)
    if (desktops.includes(name)) return name;
  return undefined;
}

export function compositorLabel(compositor: Compositor): string {
  return LABELS[compositor];
}

/** The file whis writes the compositor's bindings into. */
export function bindingsFile(compositor: Compositor, env: NodeJS.ProcessEnv): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  switch (compositor) {
    case 'sway':
      return join(config, 'sway', 'config');
    case 'hyprland':
      return join(config, 'hypr', 'hyprland.conf');
    case 'river':
      return join(config, 'river', 'init');
    case 'cosmic':
      return join(config, 'cosmic', 'com.system76.CosmicSettings.Shortcuts', 'v1', 'custom');
  }
}

// the binding files use the older names of the two page keys
const KEYSYMS: Record<string, string> = { ...X_KEYSYMS, PageUp: 'Prior', PageDown: 'Next' };

/** The X keysym name of a parsed hotkey's key: `R` → `r`, `F9` → `F9`, `PageUp` → `Prior`. */
export function keysym(key: string): string {
  if (/^[A-Z]$/.test(key)) return key.toLowerCase();
  if (/^([0-9]|F[0-9]{1,2})$/.test(key)) return key;
  const name = KEYSYMS[key];
  if (!name) throw new Error(`no keysym for the key "${key}"`);
  return name;
}

const MODIFIER_ORDER: Modifier[] = ['super', 'ctrl', 'alt', 'shift'];
const MODIFIER_NAMES: Record<Compositor, Record<Modifier, string>> = {
  sway: { super: 'Mod4', ctrl: 'Ctrl', alt: 'Mod1', shift: 'Shift' },
  hyprland: { super: 'SUPER', ctrl: 'CTRL', alt: 'ALT', shift: 'SHIFT' },
  river: { super: 'Mod4', ctrl: 'Control', alt: 'Mod1', shift: 'Shift' },
  cosmic: { super: 'Super', ctrl: 'Ctrl', alt: 'Alt', shift: 'Shift' },
};

// compositors bind a modifier whichever side it is on: `rctrl+r` binds ctrl+r
function modifiersOf(hotkey: Hotkey, compositor: Compositor): string[] {
  return MODIFIER_ORDER.filter((m) => hotkey.modifiers[m] !== undefined).map(
    (m) => MODIFIER_NAMES[compositor][m],
  );
}

/** The hotkey in the compositor's own syntax: `ctrl+shift+r` → sway `Ctrl+Shift+r`, Hyprland `CTRL SHIFT, r`. */
export function compositorKey(hotkey: Hotkey, compositor: Compositor): string {
  const mods = modifiersOf(hotkey, compositor);
  const key = keysym(hotkey.key);
  switch (compositor) {
    case 'sway':
      return [...mods, key].join('+');
    case 'hyprland':
      return `${mods.join(' ')}, ${key}`;
    case 'river':
      return `${mods.length ? mods.join('+') : 'None'} ${key}`;
    case 'cosmic':
      return `(modifiers: [${mods.join(', ')}], key: "${key}")`;
  }
}

// a word the shell takes as is, else single-quoted
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What a binding runs, as a shell command: `'<node>' '<whis>' <verb>`. */
export function whisCommand(whis: readonly string[], verb: string): string {
  return [...whis.map(shellWord), verb].join(' ');
}

export interface BindingOptions {
  hotkey: Hotkey;
  pushToTalk: boolean;
  /** The edit key (edit by voice): `whis edit`, or `whis start --edit` and `whis finish`. */
  editHotkey?: Hotkey;
  /**
   * How to run whis: absolute paths, e.g. [process.execPath, the CLI script] (a compositor's PATH
   * may lack the node of a version manager).
   */
  whis: readonly string[];
}

// What a key runs: toggled, or started on press and finished on release (push-to-talk).
interface KeyVerbs {
  toggle: string;
  start: string;
  finish: string;
}

function keyLines(
  compositor: Compositor,
  key: string,
  verbs: KeyVerbs,
  run: (verb: string) => string,
  ptt: boolean,
): string[] {
  switch (compositor) {
    case 'sway':
      return ptt
        ? [
            `bindsym --no-repeat ${key} exec ${run(verbs.start)}`,
            `bindsym --release ${key} exec ${run(verbs.finish)}`,
          ]
        : [`bindsym --no-repeat ${key} exec ${run(verbs.toggle)}`];
    case 'hyprland':
      return ptt
        ? [`bind = ${key}, exec, ${run(verbs.start)}`, `bindr = ${key}, exec, ${run(verbs.finish)}`]
        : [`bind = ${key}, exec, ${run(verbs.toggle)}`];
    case 'river': {
      const spawn = (verb: string) => shellWord(run(verb));
      return ptt
        ? [
            `riverctl map normal ${key} spawn ${spawn(verbs.start)}`,
            `riverctl map -release normal ${key} spawn ${spawn(verbs.finish)}`,
          ]
        : [`riverctl map normal ${key} spawn ${spawn(verbs.toggle)}`];
    }
    case 'cosmic':
      return [`${key}: Spawn(${JSON.stringify(run(verbs.toggle))}),`];
  }
}

/**
 * The lines that bind the hotkey in the compositor's configuration: one press binding to `whis
 * toggle`, or for push-to-talk `whis start` on press and `whis finish` on release; the edit key
 * likewise with `whis edit` (`whis start --edit`). COSMIC binds presses only: push-to-talk there
 * falls back to toggle (the returned `note` says so).
 */
export function bindingLines(
  compositor: Compositor,
  options: BindingOptions,
): { lines: string[]; note?: string } {
  const run = (verb: string) => whisCommand(options.whis, verb);
  const ptt = options.pushToTalk && compositor !== 'cosmic';
  const lines = keyLines(
    compositor,
    compositorKey(options.hotkey, compositor),
    { toggle: 'toggle', start: 'start', finish: 'finish' },
    run,
    ptt,
  );
  if (options.editHotkey)
    lines.push(
      ...keyLines(
        compositor,
        compositorKey(options.editHotkey, compositor),
        { toggle: 'edit', start: 'start --edit', finish: 'finish' },
        run,
        ptt,
      ),
    );
  return {
    lines,
    ...(options.pushToTalk && compositor === 'cosmic'
      ? {
          note: 'COSMIC binds key presses only, not releases: the key toggles recording (press once to start, again to finish).',
        }
      : {}),
  };
}

const comment = (compositor: Compositor) => (compositor === 'cosmic' ? '//' : '#');
const BEGIN = '>>> whis: written by `whis setup`; running it again replaces this block >>>';
const END = '<<< whis <<<';

/** The marked block of `lines`, as written into the compositor's configuration. */
export function bindingBlock(compositor: Compositor, lines: readonly string[]): string {
  const c = comment(compositor);
  return [`${c} ${BEGIN}`, ...lines, `${c} ${END}`].join('\n');
}

/** The lines of the whis block in `text`, or undefined when there is none. */
export function readBindingBlock(compositor: Compositor, text: string): string[] | undefined {
  const lines = text.split('\n');
  const c = comment(compositor);
  const begin = lines.findIndex((l) => l.trim() === `${c} ${BEGIN}`);
  if (begin < 0) return undefined;
  const end = lines.findIndex((l, i) => i > begin && l.trim() === `${c} ${END}`);
  return end < 0 ? undefined : lines.slice(begin + 1, end);
}

// What a configuration without the block gets it inserted into: COSMIC's file is one RON map, the
// block goes inside its braces; river's init is a script, the block goes before an `exec` that would
// end it; elsewhere, at the end.
function insertBlock(compositor: Compositor, text: string, block: string): string {
  if (compositor === 'cosmic') {
    const close = text.lastIndexOf('}');
    if (close < 0) return `{\n${block}\n}\n`;
    return `${text.slice(0, close).replace(/\s*$/, '\n')}${block}\n${text.slice(close)}`;
  }
  if (compositor === 'river') {
    const lines = text.split('\n');
    const exec = lines.findIndex((l) => /^exec\s/.test(l));
    if (exec >= 0) return [...lines.slice(0, exec), block, ...lines.slice(exec)].join('\n');
  }
  const gap = text === '' ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  return `${text}${gap}${block}\n`;
}

/** `text` with the whis block set to `lines`: replaced where it is, else inserted. */
export function withBindingBlock(
  compositor: Compositor,
  text: string,
  lines: readonly string[],
): string {
  const block = bindingBlock(compositor, lines);
  const all = text.split('\n');
  const c = comment(compositor);
  const begin = all.findIndex((l) => l.trim() === `${c} ${BEGIN}`);
  const end = all.findIndex((l, i) => i > begin && l.trim() === `${c} ${END}`);
  if (begin >= 0 && end > begin)
    return [...all.slice(0, begin), block, ...all.slice(end + 1)].join('\n');
  return insertBlock(compositor, text, block);
}

// What a new configuration file starts with, so that writing whis's block does not drop the
// compositor's defaults (sway reads /etc/sway/config only when the user has no file).
function newFile(compositor: Compositor): string {
  switch (compositor) {
    case 'sway':
      return existsSync('/etc/sway/config') ? 'include /etc/sway/config\n' : '';
    case 'river':
      return '#!/bin/sh\n';
    default:
      return '';
  }
}

/**
 * Writes the whis block into the compositor's configuration `file` (replacing an earlier one), after
 * copying the file as it was to `<file>.whis-backup`. Returns whether it changed and the backup.
 */
export async function writeBindings(
  compositor: Compositor,
  file: string,
  lines: readonly string[],
): Promise<{ changed: boolean; backup?: string }> {
  const existing = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  const next = withBindingBlock(compositor, existing ?? newFile(compositor), lines);
  if (next === existing) return { changed: false };
  let backup: string | undefined;
  if (existing !== undefined) {
    backup = `${file}.whis-backup`;
    await copyFile(file, backup);
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, next);
  // river runs its init as a program
  if (compositor === 'river') await chmod(file, 0o755);
  return backup ? { changed: true, backup } : { changed: true };
}

/** How the written lines take effect. */
export function applyHint(compositor: Compositor): string {
  switch (compositor) {
    case 'sway':
      return 'Reload sway to use them: `swaymsg reload` (or your reload key, usually Mod+Shift+c).';
    case 'hyprland':
      return 'Hyprland reloads its configuration by itself when the file changes.';
    case 'river':
      return 'river reads its init when it starts: log in again, or run the riverctl lines above once now.';
    case 'cosmic':
      return 'COSMIC picks the shortcut up at once; it shows under Settings → Keyboard → Custom shortcuts.';
  }
}
