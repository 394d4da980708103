import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Settings } from '@whis/config';
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
  const { lines, note } = bindingLines(compositor, {
    hotkey: parseHotkey(hotkey),
    pushToTalk,
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
