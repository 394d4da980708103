import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { editHotkeyOf, type Settings } from '@whis/config';
import {
  applyHint,
  bindingLines,
  bindingsFile,
  compositorLabel,
  detectCompositor,
  readBindingBlock,
  writeBindings,
  type Compositor,
} from '../bindings.js';
import type { GnomeShortcutKind, PlannedGnomeKey } from '../gnome-shortcut.js';
import { loadPackage } from '../lazy.js';
import type { Check } from './doctor.impl.js';

/** The bindings whis would write for this session and these settings. */
export interface PlannedBindings {
  compositor: Compositor;
  label: string;
  file: string;
  lines: string[];
  hotkey: string;
  pushToTalk: boolean;
  note?: string;
}

// The node that runs this command and the CLI script it runs, both absolute: a compositor starts
// programs with its own PATH, which may lack a version manager's node.
function whisItself(): string[] {
  const script = process.argv[1] ?? '';
  let resolved = script;
  try {
    resolved = realpathSync(script);
  } catch {
    // not a file (an embedding): the path as given
  }
  return [process.execPath, resolved];
}

/**
 * The compositor bindings for `settings` in the session `env` describes, or undefined where the
 * compositor is not one whis writes bindings for.
 */
export async function planBindings(
  settings: Settings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PlannedBindings | undefined> {
  const compositor = detectCompositor(env);
  if (!compositor) return undefined;
  const { parseHotkey } =
    await loadPackage<typeof import('@whis/hotkey/spec')>('@whis/hotkey/spec');
  const hotkey = settings.hotkey ?? 'ctrl+shift+r';
  const pushToTalk = settings.pushToTalk ?? false;
  const editHotkey = editHotkeyOf(settings);
  const { lines, note } = bindingLines(compositor, {
    hotkey: parseHotkey(hotkey),
    pushToTalk,
    ...(editHotkey ? { editHotkey: parseHotkey(editHotkey) } : {}),
    whis: whisItself(),
  });
  return {
    compositor,
    label: compositorLabel(compositor),
    file: bindingsFile(compositor, env),
    lines,
    hotkey,
    pushToTalk,
    ...(note ? { note } : {}),
  };
}

/** The GNOME custom shortcuts whis would write (GNOME 47 and older: no GlobalShortcuts portal). */
export interface PlannedGnomeShortcut {
  shell: string;
  pushToTalk: boolean;
  /** The hotkey's, then the edit key's when the edit key is on. */
  shortcuts: PlannedGnomeKey[];
  note?: string;
}

const GNOME_KINDS: GnomeShortcutKind[] = ['dictate', 'edit'];
const GNOME_CHECK: Record<GnomeShortcutKind, string> = {
  dictate: 'GNOME custom shortcut',
  edit: 'GNOME custom shortcut (edit key)',
};

/** The GNOME custom shortcuts for `settings`, or undefined unless the session is GNOME 47 or older. */
export async function planGnomeShortcut(
  settings: Settings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PlannedGnomeShortcut | undefined> {
  if (!/gnome/i.test(env.XDG_CURRENT_DESKTOP ?? '')) return undefined;
  const { gnomeWithoutGlobalShortcuts } =
    await loadPackage<typeof import('@whis/hotkey')>('@whis/hotkey');
  const shell = await gnomeWithoutGlobalShortcuts(env);
  if (!shell) return undefined;
  const { gnomeShortcutsFor } = await import('../gnome-shortcut.js');
  const editHotkey = editHotkeyOf(settings);
  return {
    shell,
    pushToTalk: settings.pushToTalk ?? false,
    ...gnomeShortcutsFor(
      { hotkey: settings.hotkey ?? 'ctrl+shift+r', ...(editHotkey ? { editHotkey } : {}) },
      whisItself(),
    ),
  };
}

const PRESSES_ONLY =
  'GNOME binds presses only: push-to-talk needs GNOME 48+ (or X11); the key toggles a recording.';

/**
 * What `whis setup` does with the GNOME custom shortcuts: writes them (gsettings; whis's edit
 * shortcut is removed when the edit key is off), prints them, or removes both.
 */
export async function applyGnomeShortcut(
  plan: PlannedGnomeShortcut,
  mode: 'write' | 'print' | 'remove',
  say: (line?: string) => void,
): Promise<void> {
  const { writeGnomeShortcut, removeGnomeShortcut, GNOME_SHORTCUTS } =
    await import('../gnome-shortcut.js');
  const edit = plan.shortcuts.some((s) => s.kind === 'edit')
    ? ', the edit key another that runs `whis edit`'
    : '';
  say(
    `  GNOME ${plan.shell} has no GlobalShortcuts portal: the hotkey is a GNOME custom shortcut (Settings > Keyboard > Custom Shortcuts) that runs \`whis toggle\`${edit}; \`whis listen\` listens for no key of its own.`,
  );
  if (mode === 'remove') {
    for (const kind of GNOME_KINDS) {
      const removed = await removeGnomeShortcut(process.env, kind);
      say(
        removed
          ? `  Removed the whis custom shortcut "${GNOME_SHORTCUTS[kind].name}".`
          : `  There was no whis custom shortcut "${GNOME_SHORTCUTS[kind].name}".`,
      );
    }
    return;
  }
  if (mode === 'print') {
    say(`  Add them in Settings > Keyboard > Custom Shortcuts, or run:`);
    for (const { kind, command, binding } of plan.shortcuts) {
      const entry = `org.gnome.settings-daemon.plugins.media-keys.custom-keybinding:${GNOME_SHORTCUTS[kind].path}`;
      say(`    gsettings set ${entry} name '${GNOME_SHORTCUTS[kind].name}'`);
      say(`    gsettings set ${entry} command "${command}"`);
      say(`    gsettings set ${entry} binding '${binding}'`);
    }
    say(
      `    (and add ${plan.shortcuts.map((s) => GNOME_SHORTCUTS[s.kind].path).join(' and ')} to org.gnome.settings-daemon.plugins.media-keys custom-keybindings)`,
    );
    say('  (`whis setup --bindings write` writes them for you.)');
  } else {
    for (const shortcut of plan.shortcuts) {
      const changed = await writeGnomeShortcut(process.env, shortcut);
      say(
        changed
          ? `  Wrote the GNOME custom shortcut: ${shortcut.binding} runs ${shortcut.command}`
          : `  The GNOME custom shortcut is already there: ${shortcut.binding} runs ${shortcut.command}`,
      );
    }
    // the edit key turned off (or onto the hotkey's chord): its shortcut goes, the hotkey's stays
    for (const kind of GNOME_KINDS.filter((k) => !plan.shortcuts.some((s) => s.kind === k)))
      if (await removeGnomeShortcut(process.env, kind))
        say(`  Removed the whis custom shortcut "${GNOME_SHORTCUTS[kind].name}": its key is off.`);
    say(
      `  Remove ${plan.shortcuts.length > 1 ? 'them' : 'it'} with \`whis setup --bindings remove\` (your other custom shortcuts are kept).`,
    );
  }
  if (plan.note) say(`  ${plan.note}`);
  if (plan.pushToTalk) say(`  ${PRESSES_ONLY}`);
  else say('  Push-to-talk needs GNOME 48+ (or X11): GNOME binds presses only.');
}

/**
 * Doctor's checks of the GNOME custom shortcuts (GNOME 47 and older): each planned one is there as
 * planned, and none is left for a key that is off.
 */
export async function checkGnomeShortcut(settings: Settings): Promise<Check[]> {
  const plan = await planGnomeShortcut(settings).catch(() => undefined);
  if (!plan) return [];
  const { readGnomeShortcut } = await import('../gnome-shortcut.js');
  const fix =
    '`whis setup --bindings write` writes it (Settings > Keyboard > Custom Shortcuts shows it).';
  const checks: Check[] = [];
  for (const kind of GNOME_KINDS) {
    const name = GNOME_CHECK[kind];
    const now = await readGnomeShortcut(process.env, kind).catch((err: Error) => err);
    if (now instanceof Error)
      return [
        {
          name,
          ok: false,
          required: false,
          detail: now.message,
          fix: 'Install gsettings (libglib2.0-bin).',
        },
      ];
    const want = plan.shortcuts.find((s) => s.kind === kind);
    if (!want) {
      if (now.listed)
        checks.push({
          name,
          ok: false,
          required: false,
          detail: `the whis custom shortcut runs \`${now.command}\` on ${now.binding || 'no key'}, but the ${kind === 'edit' ? 'edit key' : 'hotkey'} is off`,
          fix: '`whis setup --bindings write` removes it (your other custom shortcuts are kept).',
        });
      continue;
    }
    checks.push(
      now.listed && now.command === want.command && now.binding === want.binding
        ? {
            name,
            ok: true,
            required: false,
            detail: `${want.hotkey} runs whis ${want.verb} (GNOME ${plan.shell}: no GlobalShortcuts portal; presses only, push-to-talk needs GNOME 48+ or X11)`,
          }
        : {
            name,
            ok: false,
            required: false,
            detail: now.listed
              ? `the whis custom shortcut runs \`${now.command}\` on ${now.binding || 'no key'}, not ${want.binding}`
              : `GNOME ${plan.shell} has no GlobalShortcuts portal, and no custom shortcut runs whis ${want.verb}`,
            fix,
          },
    );
  }
  return checks;
}

/** What `whis setup` does with the bindings: writes them into the compositor's file, or prints them. */
export async function applyBindings(
  plan: PlannedBindings,
  mode: 'write' | 'print',
  say: (line?: string) => void,
): Promise<void> {
  const what = plan.pushToTalk
    ? `hold ${plan.hotkey} to record, release to transcribe`
    : `${plan.hotkey} starts and finishes a recording`;
  if (mode === 'print') {
    say(`  ${plan.label} binds the hotkey itself (${what}). Add these lines to ${plan.file}:`);
    for (const line of plan.lines) say(`    ${line}`);
    say('  (`whis setup --bindings write` writes them for you.)');
  } else {
    const { changed, backup } = await writeBindings(plan.compositor, plan.file, plan.lines);
    say(
      changed
        ? `  Wrote the ${plan.label} bindings (${what}) into ${plan.file}${backup ? ` (the previous file is in ${backup})` : ''}:`
        : `  ${plan.file} already has these ${plan.label} bindings (${what}):`,
    );
    for (const line of plan.lines) say(`    ${line}`);
    say(`  ${applyHint(plan.compositor)}`);
  }
  if (plan.note) say(`  ${plan.note}`);
}

/** Doctor's check that the compositor's configuration binds the hotkey to whis, as setup would. */
export async function checkBindings(settings: Settings): Promise<Check[]> {
  const plan = await planBindings(settings).catch(() => undefined);
  if (!plan) return [];
  const text = await readFile(plan.file, 'utf8').catch(() => '');
  const written = readBindingBlock(plan.compositor, text);
  const name = `${plan.label} bindings`;
  if (written && written.join('\n') === plan.lines.join('\n'))
    return [
      {
        name,
        ok: true,
        required: false,
        detail: `${plan.file} binds ${plan.hotkey} to whis${plan.pushToTalk ? ' (push-to-talk)' : ''}`,
      },
    ];
  return [
    {
      name,
      ok: false,
      required: false,
      detail: written
        ? `${plan.file} has whis bindings for another hotkey, mode or whis path`
        : `${plan.file} does not bind ${plan.hotkey} to whis`,
      fix: `\`whis setup --bindings write\` writes them, or add these lines yourself: ${plan.lines.join(' ; ')}`,
    },
  ];
}
