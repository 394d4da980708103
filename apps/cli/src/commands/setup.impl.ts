import { readSettings, resolvePaths, setSetting, unsetSetting, type Settings } from '@whis/config';
import { CliError, ExitCode } from '../errors.js';
import {
  CUES,
  ENGINE_NAMES,
  silentLogger,
  type EngineName,
  type NotifyLevel,
  type ProviderName,
} from '@whis/contracts';
import type { OutputRow } from '@whis/service/outputs';
import { loadPackage } from '../lazy.js';
import type { SetupArgs } from './setup.js';

type Prompts = typeof import('@inquirer/prompts');

const say = (line = '') => process.stdout.write(`${line}\n`);

function meter(peak: number): string {
  const width = 30;
  const filled = Math.min(width, Math.round(Math.sqrt(Math.min(1, peak)) * width));
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/**
 * The first run. Every answer can come from a flag; without a terminal (or with --yes) nothing is
 * asked: flags, else what the settings already hold, else the defaults.
 */
export async function runSetup(args: SetupArgs): Promise<number> {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY && !args.yes);
  const file = resolvePaths().settingsFile;
  const current: Settings = await readSettings(file);
  // resolved from the bundle the package's CommonJS build loads: its exports may sit on `default`
  const loaded = interactive
    ? await loadPackage<Prompts & { default?: Prompts }>('@inquirer/prompts')
    : undefined;
  const prompts: Prompts | undefined = loaded?.password ? loaded : loaded?.default;
  const save = async (key: keyof Settings, value: string) => {
    await setSetting(key, value, file);
  };

  // 0. where speech becomes text: on this computer first (private, offline), or an API
  const engine = await chooseMode(args, current, prompts);
  await save('mode', engine.name);
  if (engine.needs === 'model') await prepareLocalModel(args, current, save);
  else await chooseEndpoint(args, current, prompts, save);

  // 3. the microphone, with a level meter
  let device = args.device ?? current.device;
  if (args.device === undefined && prompts) {
    const { listInputDevices } = await loadPackage<typeof import('@whis/audio')>('@whis/audio');
    const devices = await listInputDevices().catch(() => []);
    if (devices.length > 0) {
      const chosen = await prompts.select({
        message: 'Microphone',
        choices: [
          { name: 'The system default', value: '' },
          ...devices.map((d) => ({ name: `${d.index}: ${d.name}`, value: String(d.index) })),
        ],
        default: device ?? '',
      });
      device = chosen || undefined;
    }
  }
  say('Checking the microphone: say something for three seconds…');
  // the microphone row in force listens, in a child process, as `whis doctor` checks it
  const { microphoneFor } = await loadPackage<typeof import('@whis/service/microphones')>(
    '@whis/service/microphones',
  );
  const probe = await microphoneFor().listen({
    ms: interactive ? 3000 : 1000,
    ...(device ? { device } : {}),
    onLevel: (peak) => interactive && process.stdout.write(`\r  level ${meter(peak)} `),
  });
  if (interactive) process.stdout.write('\n');
  if (!probe.ok) {
    throw new CliError(`The microphone does not work: ${probe.message}`, {
      hint: 'Check PulseAudio or PipeWire (`pactl info`) and `whis devices`, then run `whis setup` again.',
    });
  }
  say(`  "${probe.device}" works (loudest ${(probe.peak ?? 0).toFixed(2)} of 1).`);
  if (device) await save('device', device);

  // 4. the output: the rows setup offers, each said as `whis status` says it
  const { OUTPUTS, isOutputName } =
    await loadPackage<typeof import('@whis/service/outputs')>('@whis/service/outputs');
  let output = args.output;
  if (output === undefined && prompts) {
    const offered = Object.entries(OUTPUTS).flatMap(([value, row]: [string, OutputRow]) =>
      row.offer ? [{ name: row.offer, value }] : [],
    );
    output = await prompts.select({
      message: 'Where should the text go?',
      choices: offered,
      default: current.outputs?.[0] ?? offered[0]!.value,
    });
  }
  if (output) {
    await save('outputs', output);
    const row: OutputRow | undefined = isOutputName(output) ? OUTPUTS[output] : undefined;
    if (row?.needs.keyboard) {
      const settings = await readSettings(file);
      const problems = row.problems(settings, process.env);
      say(`  ${row.describe(settings, process.env)}.`);
      for (const problem of problems) say(`  Warning: ${problem}`);
    }
  }

  // 5. the hotkey, tried on X11
  let hotkey = args.hotkey;
  if (hotkey === undefined && prompts) {
    hotkey = await prompts.input({
      message: 'Hotkey',
      default: current.hotkey ?? 'ctrl+shift+r',
    });
  }
  if (hotkey) {
    const { parseHotkey } = await loadPackage<typeof import('@whis/hotkey')>('@whis/hotkey');
    try {
      parseHotkey(hotkey);
    } catch (err) {
      throw new CliError((err as Error).message, { exitCode: ExitCode.Usage });
    }
    await save('hotkey', hotkey);
    await tryHotkey({ ...current, hotkey }, hotkey, interactive);
  }

  // what the trigger in force needs of whis on this desktop (GNOME 48's portal: its desktop entry)
  await prepareTrigger(await readSettings(file));

  // 6. feedback: notifications, sounds, media paused while dictating
  let notify = args.notify;
  if (notify === undefined && prompts) {
    notify = await prompts.select({
      message: 'Desktop notifications',
      choices: [
        { name: 'When something fails and needs you', value: 'errors' },
        { name: 'Also each transcript', value: 'all' },
        { name: 'Never', value: 'off' },
      ] satisfies Array<{ name: string; value: NotifyLevel }>,
      default: current.notify ?? 'errors',
    });
  }
  if (notify) await save('notify', notify);
  let sounds = args.sounds;
  if (sounds === undefined && prompts) {
    sounds = (await prompts.confirm({
      message: 'Play a short sound at start, at stop and on failure?',
      default: (current.sounds?.length ?? 0) > 0,
    }))
      ? CUES.join(',')
      : '';
  }
  // '': no sound at all (`--sounds none`, or no to the question)
  if (sounds === '') await unsetSetting('sounds', file);
  else if (sounds) await save('sounds', sounds);
  let pauseMedia = args.pauseMedia;
  if (pauseMedia === undefined && prompts) {
    pauseMedia = await prompts.confirm({
      message: 'Pause music and videos while you dictate?',
      default: current.pauseMedia ?? false,
    });
  }
  if (pauseMedia !== undefined) await save('pauseMedia', String(pauseMedia));

  // 7. where the compositor binds keys itself (sway, Hyprland, river, COSMIC): its bindings; on
  // GNOME 47 and older, a custom shortcut
  if (args.bindings !== 'skip') {
    const { applyBindings, applyGnomeShortcut, planBindings, planGnomeShortcut } =
      await import('./bindings.impl.js');
    const gnome = await planGnomeShortcut(await readSettings(file));
    if (gnome) {
      let mode = args.bindings ?? (prompts ? undefined : 'print');
      if (mode === undefined && prompts) {
        mode = (await prompts.confirm({
          message: `GNOME ${gnome.shell} has no GlobalShortcuts portal. Add custom shortcuts (${gnome.shortcuts.map((k) => `${k.binding} runs whis ${k.verb}`).join(', ')})?`,
          default: true,
        }))
          ? 'write'
          : 'print';
      }
      await applyGnomeShortcut(gnome, mode ?? 'print', say);
    }
    const plan = await planBindings(await readSettings(file));
    if (plan && args.bindings !== 'remove') {
      let mode = args.bindings ?? (prompts ? undefined : 'print');
      if (mode === undefined && prompts) {
        say(`  ${plan.label} binds the hotkey itself; whis would add these lines to ${plan.file}:`);
        for (const line of plan.lines) say(`    ${line}`);
        mode = (await prompts.confirm({
          message: `Write them into ${plan.file}? (the file is backed up first)`,
          default: true,
        }))
          ? 'write'
          : 'print';
      }
      await applyBindings(plan, mode ?? 'print', say);
    }
  }

  say(`\nSaved in ${file}.`);

  // 7. a test dictation, through the same path as `whis`
  if (!args.test) return ExitCode.Ok;
  say(interactive ? '\nA test dictation: speak, then press Enter.' : '\nA test dictation:');
  const { runRecord } = await import('./record.impl.js');
  const code = await runRecord({
    clipboard: false,
    ...(device ? { device } : {}),
    ...(interactive ? {} : { finishAfterMs: args.testSeconds * 1000 }),
  });
  if (code === ExitCode.Ok)
    say('\nAll set: `whis listen` (or `whis service install`) and press the hotkey.');
  return code;
}

type Save = (key: keyof Settings, value: string) => Promise<void>;

const hasKey = (settings: Settings) =>
  Boolean(
    settings.apiKey ??
    settings.deepgramApiKey ??
    settings.elevenlabsApiKey ??
    process.env.OPENAI_API_KEY ??
    process.env.DEEPGRAM_API_KEY ??
    process.env.ELEVENLABS_API_KEY,
  );

// The engine, as the catalogue's rows offer them (what needs no key first); without a terminal, the
// flag, else what is set, else an API when a key is there (as setup always did), else this computer.
async function chooseMode(
  args: SetupArgs,
  current: Settings,
  prompts: Prompts | undefined,
): Promise<{ name: EngineName; needs: 'key' | 'model' }> {
  const engines =
    await loadPackage<typeof import('@whis/service/engines')>('@whis/service/engines');
  const chosen = (name: EngineName) => ({ name, needs: engines.engineNeeds(name) });
  if (args.mode) return chosen(args.mode);
  const known = ENGINE_NAMES.find((name) => name === current.mode);
  const keyed = Boolean(args.apiKey) || hasKey(current);
  const choices = engines.engineChoices(current, known);
  const fallback = known ?? choices.find((c) => c.needs === (keyed ? 'key' : 'model'))!.name;
  // nobody to ask and nothing chosen: a model download is not started unasked
  if (!prompts && !known && !keyed)
    throw new CliError(
      'Where should speech become text? Nothing is set and there is nobody to ask.',
      {
        exitCode: ExitCode.Usage,
        hint: 'Give --mode local (on this computer, offline: downloads a model), or an API key with --api-key sk-… (or set OPENAI_API_KEY).',
      },
    );
  if (!prompts) return chosen(fallback);
  const name = await prompts.select<EngineName>({
    message: 'Where should speech become text?',
    choices: choices.map((c) => ({ name: c.label, value: c.name })),
    default: fallback,
  });
  return chosen(name);
}

// The offline model: kept when it is installed, else downloaded with its progress shown (the same
// download as `whis model download`, checked against the published hashes).
async function prepareLocalModel(args: SetupArgs, current: Settings, save: Save): Promise<void> {
  const local = await loadPackage<typeof import('@whis/local')>('@whis/local');
  const name = args.localModel ?? current.localModel ?? local.DEFAULT_MODEL;
  if (args.localModel) await save('localModel', args.localModel);
  if (args.mirror) await save('modelMirror', args.mirror);
  const installed = await local.openInstalledModel(name).then(
    () => true,
    () => false,
  );
  if (installed) {
    say(`The offline model ${name} is installed.`);
    return;
  }
  say(`Downloading the offline model ${name}:`);
  const { runModel } = await import('./model.impl.js');
  const code = await runModel({
    action: 'download',
    target: name,
    ...(args.mirror ? { mirror: args.mirror } : {}),
  });
  if (code !== ExitCode.Ok)
    throw new CliError(`The offline model ${name} could not be downloaded.`, {
      hint: `Run \`whis model download ${name}\` again (it resumes), or \`whis setup --mode file\` for an API.`,
    });
}

// An API: the key, the endpoint and the model.
async function chooseEndpoint(
  args: SetupArgs,
  current: Settings,
  prompts: Prompts | undefined,
  save: Save,
): Promise<void> {
  // 1. the provider, each row with where its key is made
  const { PROVIDERS, providerFor } =
    await loadPackage<typeof import('@whis/service/providers')>('@whis/service/providers');
  let provider = args.provider;
  if (provider === undefined && prompts) {
    provider = await prompts.select<ProviderName>({
      message: 'Whose API?',
      choices: (Object.keys(PROVIDERS) as ProviderName[]).map((name) => ({
        name: `${PROVIDERS[name].summary} (keys: ${PROVIDERS[name].keyPage})`,
        value: name,
      })),
      default: providerFor(current, process.env),
    });
  }
  if (provider) await save('provider', provider);
  const row = PROVIDERS[provider ?? providerFor(current, process.env)];

  // 2. its key, kept in its own setting
  let apiKey = args.apiKey;
  const existing = current[row.keySetting] ?? process.env[row.keyVariable];
  if (apiKey === undefined && prompts) {
    apiKey = await prompts.password({
      message: existing ? 'API key (Enter keeps the one set)' : `API key (from ${row.keyPage})`,
      mask: '*',
      validate: (v) => Boolean(v || existing) || 'whis needs a key for the transcription endpoint',
    });
    if (!apiKey) apiKey = undefined;
  }
  if (apiKey) await save(row.keySetting, apiKey);
  else if (!existing)
    throw new CliError(
      `No API key: give one with --api-key … (or set ${row.keyVariable}; make one at ${row.keyPage}).`,
      { exitCode: ExitCode.Usage },
    );

  // a provider of its own API: its endpoint and model defaults serve
  if (!row.asksEndpoint) {
    if (args.baseUrl) await save('baseURL', args.baseUrl);
    if (args.model) await save('model', args.model);
    return;
  }

  // 3. the endpoint and the model
  let baseURL = args.baseUrl;
  if (baseURL === undefined && prompts) {
    baseURL = await prompts.input({
      message: 'Endpoint (Enter for OpenAI; or e.g. https://api.groq.com/openai/v1)',
      default: current.baseURL ?? '',
    });
  }
  if (baseURL) await save('baseURL', baseURL);
  const { checkModel, DEFAULT_MODEL } =
    await loadPackage<typeof import('@whis/transcribe/models')>('@whis/transcribe/models');
  let model = args.model;
  if (model === undefined && prompts) {
    model = await prompts.input({
      message: 'Model',
      default: current.model ?? DEFAULT_MODEL,
      validate: (v) => checkModel(v).error ?? true,
    });
  }
  if (model) {
    const verdict = checkModel(model);
    if (verdict.error) throw new CliError(verdict.error, { exitCode: ExitCode.Usage });
    if (verdict.warning) say(`Note: ${verdict.warning}`);
    await save('model', model);
  }
}

// The trigger row the settings name readies the desktop for itself and says what it did; a file it
// could not write is said, and the setup goes on (`whis listen` tries again when it binds the key)
async function prepareTrigger(settings: Settings): Promise<void> {
  const { triggerFor } =
    await loadPackage<typeof import('@whis/service/triggers')>('@whis/service/triggers');
  try {
    const lines = (await triggerFor(settings).prepare?.({ settings, env: process.env })) ?? [];
    for (const line of lines) say(`  ${line}`);
  } catch (err) {
    say(`  Warning: ${(err as Error).message}`);
  }
}

// The trigger row the settings name says whether it can work here (as `whis doctor` asks it); when
// it can, and a person is there, the key is tried with the trigger the service would start.
async function tryHotkey(settings: Settings, hotkey: string, interactive: boolean): Promise<void> {
  const { triggerFor } =
    await loadPackage<typeof import('@whis/service/triggers')>('@whis/service/triggers');
  const row = triggerFor(settings);
  const checks = await row.probe({ settings, env: process.env });
  for (const check of checks) {
    say(`  Hotkey backend: ${check.detail}`);
    if (!check.ok && check.fix) say(`  ${check.fix}`);
  }
  if (!interactive || !checks.every((c) => c.ok)) return;
  const trigger = row.create({ settings, logger: silentLogger }, { hotkey, pushToTalk: false });
  if (!trigger) return;
  let binding: string | undefined;
  let problem: string | undefined;
  // "Press now" only once the key is listened for (the listener started, the desktop bound it)
  const seen = await new Promise<boolean>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    trigger.onEvent((event) => {
      if (event.type === 'available') {
        binding = event.binding;
        const shown = binding && binding.toLowerCase().replace(/\s/g, '') !== hotkey.toLowerCase();
        say(
          `  Press ${shown ? `${binding} (what the desktop bound)` : hotkey} now to try it (15 s)…`,
        );
        timer ??= setTimeout(() => resolve(false), 15_000);
      } else if (event.type === 'unavailable') {
        problem = event.reason;
        clearTimeout(timer);
        resolve(false);
      } else if (event.type === 'toggle') {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void trigger.start();
  });
  await trigger.stop();
  say(
    seen
      ? `  The hotkey works${binding ? ` (the desktop bound ${binding})` : ''}.`
      : problem
        ? `  ${problem}`
        : `  ${binding ?? hotkey} was not seen. Another program may take it; choose another with \`whis setup --hotkey …\`${binding ? " or change it in your desktop's keyboard shortcut settings" : ''}.`,
  );
}
