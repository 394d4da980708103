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

/** The GNOME custom shortcut whis would write (GNOME 47 and older: no GlobalShortcuts portal). */
export interface PlannedGnomeShortcut {
  shell: string;
  hotkey: string;
  binding: string;
  command: string;
  pushToTalk: boolean;
}

/** The GNOME custom shortcut for `settings`, or undefined unless the session is GNOME 47 or older. */
export async function planGnomeShortcut(
  settings: Settings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PlannedGnomeShortcut | undefined> {
  if (!/gnome/i.test(env.XDG_CURRENT_DESKTOP ?? '')) return undefined;
  const { gnomeWithoutGlobalShortcuts } =
    await loadPackage<typeof import('@whis/hotkey')>('@whis/hotkey');
  const shell = await gnomeWithoutGlobalShortcuts(env);
  if (!shell) return undefined;
  const { parseHotkey } =
    await loadPackage<typeof import('@whis/hotkey/spec')>('@whis/hotkey/spec');
  const { gnomeAccelerator, gnomeCommand } = await import('../gnome-shortcut.js');
  const hotkey = settings.hotkey ?? 'ctrl+shift+r';
  return {
    shell,
    hotkey,
    binding: gnomeAccelerator(parseHotkey(hotkey)),
    command: gnomeCommand([...whisItself(), 'toggle']),
    pushToTalk: settings.pushToTalk ?? false,
  };
}

const PRESSES_ONLY =
  'GNOME binds presses only: push-to-talk needs GNOME 48+ (or X11); the key toggles a recording.';

/** What `whis setup` does with the GNOME custom shortcut: writes it (gsettings), prints it, or removes it. */
export async function applyGnomeShortcut(
  plan: PlannedGnomeShortcut,
  mode: 'write' | 'print' | 'remove',
  say: (line?: string) => void,
): Promise<void> {
  const { writeGnomeShortcut, removeGnomeShortcut, GNOME_SHORTCUT_PATH } =
    await import('../gnome-shortcut.js');
  say(
    `  GNOME ${plan.shell} has no GlobalShortcuts portal: the hotkey is a GNOME custom shortcut (Settings > Keyboard > Custom Shortcuts) that runs \`whis toggle\`; \`whis listen\` listens for no key of its own.`,
  );
  if (mode === 'remove') {
    const removed = await removeGnomeShortcut(process.env);
    say(removed ? '  Removed the whis custom shortcut.' : '  There was no whis custom shortcut.');
    return;
  }
  if (mode === 'print') {
    say(`  Add it in Settings > Keyboard > Custom Shortcuts, or run:`);
    say(
      `    gsettings set org.gnome.settings-daemon.plugins.media-keys.custom-keybinding:${GNOME_SHORTCUT_PATH} command "${plan.command}"`,
    );
    say(
      `    gsettings set org.gnome.settings-daemon.plugins.media-keys.custom-keybinding:${GNOME_SHORTCUT_PATH} binding '${plan.binding}'`,
    );
    say(
      `    (and add ${GNOME_SHORTCUT_PATH} to org.gnome.settings-daemon.plugins.media-keys custom-keybindings)`,
    );
    say('  (`whis setup --bindings write` writes it for you.)');
  } else {
    const changed = await writeGnomeShortcut(process.env, plan);
    say(
      changed
        ? `  Wrote the GNOME custom shortcut: ${plan.binding} runs ${plan.command}`
        : `  The GNOME custom shortcut is already there: ${plan.binding} runs ${plan.command}`,
    );
    say('  Remove it with `whis setup --bindings remove` (your other custom shortcuts are kept).');
  }
  if (plan.pushToTalk) say(`  ${PRESSES_ONLY}`);
  else say('  Push-to-talk needs GNOME 48+ (or X11): GNOME binds presses only.');
}

/** Doctor's check of the GNOME custom shortcut (GNOME 47 and older). */
export async function checkGnomeShortcut(settings: Settings): Promise<Check[]> {
  const plan = await planGnomeShortcut(settings).catch(() => undefined);
  if (!plan) return [];
  const { readGnomeShortcut } = await import('../gnome-shortcut.js');
  const name = 'GNOME custom shortcut';
  const now = await readGnomeShortcut(process.env).catch((err: Error) => err);
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
  if (now.listed && now.command === plan.command && now.binding === plan.binding)
    return [
      {
        name,
        ok: true,
        required: false,
        detail: `${plan.hotkey} runs whis toggle (GNOME ${plan.shell}: no GlobalShortcuts portal; presses only, push-to-talk needs GNOME 48+ or X11)`,
      },
    ];
  return [
    {
      name,
      ok: false,
      required: false,
      detail: now.listed
        ? `the whis custom shortcut runs \`${now.command}\` on ${now.binding || 'no key'}, not ${plan.binding}`
        : `GNOME ${plan.shell} has no GlobalShortcuts portal, and no custom shortcut runs whis toggle`,
      fix: '`whis setup --bindings write` writes it (Settings > Keyboard > Custom Shortcuts shows it).',
    },
  ];
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
