// The catalogue: for each kind of part whis is made of, one table from the name a setting uses to
// how the part is made from the settings, how it is described (`whis status`), and what it needs
// (`whis doctor`, `status` problems). A new output, engine or trigger is a file in its own package
// and one row here; the composition (compose.ts), the checks and the settings' allowed values all
// read these tables.
import { createMicrophone } from '@whis/audio';
import { readSettings, type Settings } from '@whis/config';
import { hasDisplay } from '@whis/contracts';
import { createHotkeyTrigger, type HotkeyBackend, type HotkeyTrigger } from '@whis/hotkey';
import {
  createClipboardOutput,
  createCommandOutput,
  createFileOutput,
  createPasteOutput,
  createStdoutOutput,
  createTypeOutput,
  describeInsertion,
  insertOptionsFrom,
} from '@whis/output';
import type { AudioSource, LiveTranscriber, Logger, Output, Transcriber } from '@whis/service-core';
import {
  createTranscriber,
  openRealtimeSession,
  resolveRealtimeOptions,
  resolveTranscriberOptions,
} from '@whis/transcribe';

/** What every row is made from. */
export interface PartContext {
  settings: Settings;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Where the `file` output writes when `outputFile` is not set. */
  defaultTranscriptFile: string;
}

/** What an output needs of the machine; the checks and `status` problems follow from it. */
export interface OutputNeeds {
  /** A graphical session (DISPLAY or WAYLAND_DISPLAY). */
  display?: boolean;
  /** A clipboard tool (xclip, wl-copy, …). */
  clipboard?: boolean;
  /** A tool that types into the focused window (xdotool, wtype, …). */
  keyboard?: boolean;
}

export interface OutputRow {
  /** What it does, for `whis config`. */
  summary: string;
  needs: OutputNeeds;
  create(context: PartContext): Output;
  /** Why it cannot work with these settings (a setting it needs is missing), or undefined. */
  misconfigured?(settings: Settings): string | undefined;
}

const insertion = (context: PartContext) => {
  const log = context.logger.child({ component: 'output' });
  return insertOptionsFrom(context.settings, (message, details) =>
    log.info(details ?? {}, message),
  );
};

/** Where transcripts go: the values of `outputs`. */
export const OUTPUTS = {
  clipboard: {
    summary: 'copied to the clipboard',
    needs: { display: true, clipboard: true },
    create: () => createClipboardOutput(),
  },
  paste: {
    summary: 'pasted into the focused window, then the clipboard you had is given back',
    needs: { display: true, clipboard: true, keyboard: true },
    create: (context): Output => createPasteOutput(insertion(context)),
  },
  type: {
    summary: 'typed into the focused window',
    needs: { display: true, keyboard: true },
    create: (context): Output => createTypeOutput(insertion(context)),
  },
  stdout: {
    summary: "printed on the service's standard output",
    needs: {},
    create: () => createStdoutOutput(),
  },
  file: {
    summary: 'appended to a file (outputFile)',
    needs: {},
    create: ({ settings, defaultTranscriptFile }) =>
      createFileOutput(settings.outputFile ?? defaultTranscriptFile),
  },
  command: {
    summary: 'given to a command of yours on its stdin (outputCommand)',
    needs: {},
    create: ({ settings, env }) => createCommandOutput(settings.outputCommand ?? '', { env }),
    misconfigured: (settings) =>
      settings.outputCommand
        ? undefined
        : 'The command output has no command: `whis config set outputCommand "tee -a ~/notes.md"`.',
  },
} satisfies Record<string, OutputRow>;

export type OutputName = keyof typeof OUTPUTS;

/** Whether `name` is a row of the outputs catalogue. */
export const isOutputName = (name: string): name is OutputName => Object.hasOwn(OUTPUTS, name);

/** What the outputs named in the settings need, together. */
export function outputNeeds(names: readonly string[]): Required<OutputNeeds> {
  const rows = names.filter(isOutputName).map((name) => OUTPUTS[name].needs as OutputNeeds);
  return {
    display: rows.some((r) => r.display === true),
    clipboard: rows.some((r) => r.clipboard === true),
    keyboard: rows.some((r) => r.keyboard === true),
  };
}

/** The outputs in force, in words, for `whis status`: "clipboard, paste with xdotool (X11 session)". */
export function describeOutputs(settings: Settings): string {
  const names = settings.outputs ?? ['clipboard'];
  if (!outputNeeds(names).keyboard) return names.join(', ');
  const how = describeInsertion(insertOptionsFrom(settings));
  const tool = how.tool ? `with ${how.tool} (${how.why})` : `(${how.why})`;
  return names
    .map((name) =>
      isOutputName(name) && (OUTPUTS[name].needs as OutputNeeds).keyboard
        ? `${name} ${tool}`
        : name,
    )
    .join(', ');
}

/** What the outputs cannot do here, for `whis status` problems (the display is said apart). */
export function outputProblems(settings: Settings): string[] {
  const names = settings.outputs ?? ['clipboard'];
  const problems = names.flatMap((name) => {
    const row: OutputRow | undefined = isOutputName(name) ? OUTPUTS[name] : undefined;
    const problem = row ? row.misconfigured?.(settings) : `Unknown output "${name}".`;
    return problem ? [problem] : [];
  });
  if (outputNeeds(names).keyboard) {
    const how = describeInsertion(insertOptionsFrom(settings));
    if (!how.tool) problems.push(`Cannot type or paste into windows: ${how.why}.`);
    else if (how.desktop?.problem) problems.push(how.desktop.problem);
  }
  return problems;
}

/** Where recordings come from. One row today: the system's microphone (PortAudio). */
export const MICROPHONES = {
  microphone: {
    summary: 'the microphone, through PortAudio (naudiodon)',
    create: ({ settings, logger }: PartContext, device = settings.device): AudioSource =>
      createMicrophone({
        device,
        ...(settings.segmentSeconds ? { cutAtPauseMs: settings.segmentSeconds * 1000 } : {}),
        keepOpen: settings.keepMicrophoneOpen ?? false,
        detectSpeech: settings.speechDetection ?? true,
        logger: logger.child({ component: 'audio' }),
      }),
  },
};

/**
 * Where the settings come from for the engines: the file, read again for every transcription (the
 * service: `whis config set model …` or a new key applies to the next recording without a
 * restart), or the settings read once (the one-shot `whis`: a missing key fails before recording).
 */
export type SettingsSource = { file: string } | { fixed: Settings };

/** The settings as they are now: read from the file, or the fixed ones. */
export const currentSettings = async (source: SettingsSource): Promise<Settings> =>
  'file' in source ? readSettings(source.file) : source.fixed;

/** How speech becomes text: the values of `mode`. Both are built; `mode` picks which runs. */
export const ENGINES = {
  file: {
    summary: 'segments uploaded as they close (the transcription endpoint)',
    create({ logger, env }: PartContext, source: SettingsSource): Transcriber {
      if ('fixed' in source)
        return createTranscriber(resolveTranscriberOptions({ env, settings: source.fixed }));
      let cached: { key: string; transcriber: Transcriber } | undefined;
      return {
        async transcribe(chunks, options) {
          const resolved = resolveTranscriberOptions({
            env,
            settings: await currentSettings(source),
          });
          const key = JSON.stringify(resolved);
          if (cached?.key !== key) {
            cached = { key, transcriber: createTranscriber(resolved) };
            logger.info(
              { model: resolved.model, baseURL: resolved.baseURL ?? 'https://api.openai.com/v1' },
              'transcriber configured',
            );
          }
          return cached.transcriber.transcribe(chunks, options);
        },
      };
    },
  },
  realtime: {
    summary: 'the audio streamed to a Realtime session, the text while you speak',
    // the mode is read when each recording begins; without a key the file engine reports it
    create({ logger, env }: PartContext, source: SettingsSource): LiveTranscriber {
      const log = logger.child({ component: 'live' });
      return {
        async open(events) {
          let options;
          try {
            options = resolveRealtimeOptions({ env, settings: await currentSettings(source) });
          } catch {
            return null;
          }
          if (!options) return null;
          log.info({ model: options.model, baseURL: options.baseURL }, 'live session opening');
          // the client loads on the first live recording: a service in file mode never loads `ws`
          return openRealtimeSession({ ...options, logger: log }, events);
        },
      };
    },
  },
};

/** How recordings are transcribed, for `whis status`; undefined without a key (`problems` says so). */
export async function describeTranscription(
  source: SettingsSource,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  try {
    const settings = await currentSettings(source);
    const file = resolveTranscriberOptions({ env, settings });
    const live = resolveRealtimeOptions({ env, settings });
    return live
      ? `realtime, ${live.model} (missed segments uploaded with ${file.model})`
      : `file, ${file.model}`;
  } catch {
    return undefined;
  }
}

/** What the engines cannot do with the current settings (no key), for `whis status` problems. */
export async function engineProblems(
  source: SettingsSource,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  try {
    resolveTranscriberOptions({ env, settings: await currentSettings(source) });
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/** How a trigger is started: the hotkey and its mode come from the command line or the settings. */
export interface TriggerOptions {
  hotkey: string;
  pushToTalk: boolean;
}

export interface TriggerRow {
  summary: string;
  /** undefined: no trigger (the desktop binds `whis toggle`). */
  create(context: PartContext, options: TriggerOptions): HotkeyTrigger | undefined;
}

const hotkeyRow = (backend: HotkeyBackend, summary: string): TriggerRow => ({
  summary,
  create: ({ settings, logger }, { hotkey, pushToTalk }) =>
    createHotkeyTrigger({
      hotkey,
      backend,
      mode: pushToTalk ? 'push-to-talk' : 'toggle',
      ...(settings.tapToToggleMs ? { tapToToggleMs: settings.tapToToggleMs } : {}),
      logger: logger.child({ component: 'hotkey' }),
    }),
});

/** Where a press comes from: the values of `hotkeyBackend`. */
export const TRIGGERS = {
  auto: hotkeyRow('auto', "the desktop's GlobalShortcuts portal on Wayland, the X display on X11"),
  x11: hotkeyRow('x11', 'the X display (uiohook), X11 and XWayland'),
  portal: hotkeyRow('portal', "the desktop's GlobalShortcuts portal (KDE, GNOME 48+, Hyprland)"),
  none: {
    summary: 'none: your desktop binds `whis toggle` (or `whis start` and `whis finish`)',
    create: () => undefined,
  },
} satisfies Record<HotkeyBackend | 'none', TriggerRow>;

export type TriggerName = keyof typeof TRIGGERS;

/** The display problem every graphical output shares, for `whis status`. */
export function displayProblem(settings: Settings, env: NodeJS.ProcessEnv): string | undefined {
  if (!outputNeeds(settings.outputs ?? ['clipboard']).display) return undefined;
  if (hasDisplay(env) || process.platform !== 'linux') return undefined;
  return 'No DISPLAY or WAYLAND_DISPLAY: the clipboard cannot be reached; start whis from your graphical session.';
}
