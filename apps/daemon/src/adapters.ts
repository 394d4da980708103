import { createMicrophone } from '@whis/audio';
import { hasDisplay } from '@whis/contracts';
import { readSettings, type Settings } from '@whis/config';
import { createFeedback, feedbackSettingsFrom, type Feedback } from '@whis/feedback';
import { createHotkeyTrigger, type HotkeyTrigger } from '@whis/hotkey';
import {
  combineOutputs,
  createClipboardOutput,
  createFileOutput,
  createPasteOutput,
  createStdoutOutput,
  createTypeOutput,
  describeInsertion,
  focusedWindowClass,
  insertOptionsFrom,
} from '@whis/output';
import { chainUses, createTextProcessor, describeChain, prepareLlm } from '@whis/postprocess';
import type {
  AudioSource,
  LiveTranscriber,
  Logger,
  Output,
  TextProcessor,
  Transcriber,
  Trigger,
} from '@whis/service-core';
import {
  createTranscriber,
  openRealtimeSession,
  resolveRealtimeOptions,
  resolveTranscriberOptions,
} from '@whis/transcribe';
import type { DaemonOptions } from './options.js';

export function createAudioSource(settings: Settings, logger: Logger): AudioSource {
  return createMicrophone({
    device: settings.device,
    ...(settings.segmentSeconds ? { cutAtPauseMs: settings.segmentSeconds * 1000 } : {}),
    keepOpen: settings.keepMicrophoneOpen ?? false,
    detectSpeech: settings.speechDetection ?? true,
    logger: logger.child({ component: 'audio' }),
  });
}

// The key and endpoint are read for every transcription, so `whis config --api-key …` (or a fixed
// settings file) takes effect for the next recording and for `whis retry`, without a restart.
export function createSettingsTranscriber(settingsFile: string, logger: Logger): Transcriber {
  let cached: { key: string; transcriber: Transcriber } | undefined;
  return {
    async transcribe(chunks, options) {
      const resolved = resolveTranscriberOptions({
        env: process.env,
        settings: await readSettings(settingsFile),
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
}

// Like the transcriber, the mode is read when each recording begins: `whis config set mode realtime`
// applies to the next recording. Without a key the file path reports the problem, not this one.
export function createLiveTranscriber(settingsFile: string, logger: Logger): LiveTranscriber {
  const log = logger.child({ component: 'live' });
  return {
    async open(events) {
      let options;
      try {
        options = resolveRealtimeOptions({
          env: process.env,
          settings: await readSettings(settingsFile),
        });
      } catch {
        return null;
      }
      if (!options) return null;
      log.info({ model: options.model, baseURL: options.baseURL }, 'live session opening');
      // the client loads on the first live recording: a service in file mode never loads `ws`
      return openRealtimeSession({ ...options, logger: log }, events);
    },
  };
}

// Like the transcriber, the chain is read from the settings for every transcript: `whis config set
// postProcess …` (or new replacements) applies to the next one without a restart. The focused
// window's class is asked for only when profiles are set.
export function createSettingsTextProcessor(settingsFile: string, logger: Logger): TextProcessor {
  const log = logger.child({ component: 'postprocess' });
  return {
    async process(text, options) {
      let settings: Settings;
      try {
        settings = await readSettings(settingsFile);
      } catch (err) {
        log.warn({ err }, 'settings unreadable; the text is delivered as heard');
        return { text, applied: [], notes: [(err as Error).message] };
      }
      return createTextProcessor({
        settings,
        env: process.env,
        logger: log,
        windowClass: () => focusedWindowClass(),
      }).process(text, options);
    },
  };
}

/**
 * With the llm step configured, loads the HTTP client now, in the background, so that the first
 * tidy-up's budget is not spent compiling it.
 */
export function prepareTextProcessor(settings: Settings): void {
  if (chainUses(settings, 'llm')) void prepareLlm();
}

/** What post-processing does, for `whis status`: read from the settings, as each transcript does. */
export async function describePostProcess(settingsFile: string): Promise<string | undefined> {
  try {
    return describeChain(await readSettings(settingsFile), process.env);
  } catch {
    return undefined;
  }
}

/** How recordings are transcribed, for `whis status`: read from the settings, as each recording does. */
export async function describeTranscription(settingsFile: string): Promise<string | undefined> {
  try {
    const settings = await readSettings(settingsFile);
    const file = resolveTranscriberOptions({ env: process.env, settings });
    const live = resolveRealtimeOptions({ env: process.env, settings });
    return live
      ? `realtime, ${live.model} (missed segments uploaded with ${file.model})`
      : `file, ${file.model}`;
  } catch {
    return undefined; // no key: `problems` says so
  }
}

/** The outputs that put text into the focused window, and so need a typing tool. */
const insertsText = (name: string) => name === 'type' || name === 'paste';

/**
 * The outputs of the whole transcript and, with `typeSegments` and the type output, the one that
 * types each segment as it comes (then left out of the whole transcript's outputs).
 */
export function createOutputs(
  settings: Settings,
  defaultFile: string,
  logger?: Logger,
): { output: Output; segmentOutput?: Output } {
  const names = settings.outputs ?? ['clipboard'];
  if (!settings.typeSegments || !names.includes('type'))
    return { output: outputsOf(names, settings, defaultFile, logger) };
  return {
    output: outputsOf(
      names.filter((name) => name !== 'type'),
      settings,
      defaultFile,
      logger,
    ),
    segmentOutput: outputsOf(['type'], { ...settings, submit: false }, defaultFile, logger),
  };
}

function outputsOf(
  names: readonly string[],
  settings: Settings,
  defaultFile: string,
  logger?: Logger,
): Output {
  if (names.length === 0) return { name: 'none', deliver: async () => undefined };
  const outputs = names.map((name) => {
    if (insertsText(name)) {
      const log = logger?.child({ component: 'output' });
      const options = insertOptionsFrom(settings, (message, details) =>
        log?.info(details ?? {}, message),
      );
      return name === 'type' ? createTypeOutput(options) : createPasteOutput(options);
    }
    if (name === 'stdout') return createStdoutOutput();
    if (name === 'file') return createFileOutput(settings.outputFile ?? defaultFile);
    return createClipboardOutput();
  });
  return outputs.length === 1 ? outputs[0]! : combineOutputs(outputs);
}

export function createTriggers(
  options: DaemonOptions,
  settings: Settings,
  logger: Logger,
): HotkeyTrigger[] {
  if (!options.hotkey) return [];
  return [
    createHotkeyTrigger({
      hotkey: options.hotkey,
      backend: options.hotkeyBackend,
      mode: options.pushToTalk ? 'push-to-talk' : 'toggle',
      ...(settings.tapToToggleMs ? { tapToToggleMs: settings.tapToToggleMs } : {}),
      logger: logger.child({ component: 'hotkey' }),
    }),
  ];
}

/** Where transcripts go, for `whis status`: "clipboard", "paste with xdotool (X11 session)", … */
/** Where transcripts go, for `whis status`: "clipboard", "paste with xdotool (X11 session)", … */
export function describeOutputs(settings: Settings): string {
  const names = settings.outputs ?? ['clipboard'];
  if (!names.some(insertsText)) return names.join(', ');
  const insertion = describeInsertion(insertOptionsFrom(settings));
  const how = insertion.tool ? `with ${insertion.tool} (${insertion.why})` : `(${insertion.why})`;
  return names.map((name) => (insertsText(name) ? `${name} ${how}` : name)).join(', ');
}

/**
 * What would make the next recording fail, for `whis status`. The key is read from the file (a
 * new one takes effect at once); the outputs are those the service started with.
 */
export async function describeProblems(settingsFile: string, running: Settings): Promise<string[]> {
  const problems: string[] = [];
  try {
    resolveTranscriberOptions({ env: process.env, settings: await readSettings(settingsFile) });
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (running.outputs?.some(insertsText)) {
    const insertion = describeInsertion(insertOptionsFrom(running));
    if (!insertion.tool) problems.push(`Cannot type or paste into windows: ${insertion.why}.`);
    else if (insertion.desktop?.problem) problems.push(insertion.desktop.problem);
  }
  if (!hasDisplay(process.env) && process.platform === 'linux') {
    problems.push(
      'No DISPLAY or WAYLAND_DISPLAY: the clipboard cannot be reached; start whis from your graphical session.',
    );
  }
  return problems;
}

/**
 * Sounds, desktop notifications and paused media, as the settings ask: the host runs its
 * `beforeCapture` (start cue, pause) and it follows the host's events and the hotkey's availability.
 */
export function createServiceFeedback(
  settings: Settings,
  triggers: readonly Trigger[],
  logger: Logger,
): Feedback {
  const feedback = createFeedback({
    ...feedbackSettingsFrom(settings),
    logger: logger.child({ component: 'feedback' }),
  });
  for (const trigger of triggers) {
    trigger.onEvent((event) => {
      if (event.type === 'unavailable')
        feedback.handle({ type: 'hotkey-unavailable', reason: event.reason });
    });
  }
  return feedback;
}
