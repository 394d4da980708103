// The one composition: every part of the service made from the settings through the catalogue.
// The background service (run.ts) and the one-shot `whis` both use it, so a part added to the
// catalogue reaches both, and an unknown name is an error rather than a quiet fallback.
import { ConfigError, type Settings } from '@whis/config';
import { createFeedback, feedbackSettingsFrom, type Feedback } from '@whis/feedback';
import { closeRemoteDesktops, focusedWindowClass } from '@whis/output';
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
import { silentLogger } from '@whis/contracts';
import {
  currentSettings,
  describeFeedbackRows,
  describeOutputs,
  engineFor,
  ENGINES,
  prepareEngines,
  isOutputName,
  microphoneFor,
  OUTPUTS,
  outputProblems,
  TRIGGERS,
  type EngineName,
  type PartContext,
  type SettingsSource,
  type TriggerName,
  type TriggerOptions,
} from './catalogue/index.js';
import { combineOutputs } from '@whis/output';

export interface CompositionOptions {
  settings: Settings;
  /** See SettingsSource: the service reads the file for each transcription, the one-shot does not. */
  source: SettingsSource;
  /** Where the `file` output writes without `outputFile`. */
  defaultTranscriptFile: string;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** The hotkey, or undefined for none (`--no-hotkey`, backend `none`, the one-shot). */
  trigger?: TriggerOptions & { backend: TriggerName };
  /** The outputs; default the `outputs` setting. `[]`: none (the one-shot's parent delivers). */
  outputs?: readonly string[];
  /** The microphone; default the `device` setting. */
  device?: string;
}

/** Everything the service host is made of, and what `status` says of it. */
export interface Composition {
  audio: AudioSource;
  /** The engine in force (`mode`): the row that made `transcriber` and `live`. */
  engine: EngineName;
  transcriber: Transcriber;
  /** The realtime engine's live session; its misses go to `transcriber`. */
  live?: LiveTranscriber;
  output: Output;
  /** With `typeSegments` and the type output: types each segment as it comes. */
  segmentOutput?: Output;
  processor: TextProcessor;
  triggers: Trigger[];
  /** Sounds, notifications, paused media: the host's `hooks`, and it follows the host's events. */
  feedback: Feedback;
  /** The parts of `status` that the settings decide. */
  info: { output: string; feedback: string; hotkeyBackend?: string };
  problems(): Promise<string[]>;
  transcription(): Promise<string | undefined>;
  postProcess(): Promise<string | undefined>;
  /** Loads, in the background, what the first dictation would otherwise wait for (the llm client). */
  prepare(): void;
  /** Loads, when a recording starts, what its transcription will need (the upload client). */
  prepareRecording(): void;
  close(): Promise<void>;
}

/** The service's parts, from the settings. Throws a ConfigError for an output no row has. */
export function composeService(options: CompositionOptions): Composition {
  const { settings, source } = options;
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const context: PartContext = {
    settings,
    logger,
    env,
    defaultTranscriptFile: options.defaultTranscriptFile,
  };
  const names = options.outputs ?? settings.outputs ?? ['clipboard'];
  const unknown = names.filter((name) => !isOutputName(name));
  if (unknown.length > 0)
    throw new ConfigError(
      'invalid-settings',
      `Unknown output ${unknown.map((n) => `"${n}"`).join(', ')}: outputs takes ${Object.keys(OUTPUTS).join(', ')} (\`whis config set outputs clipboard\`).`,
    );
  const outputsOf = (list: readonly string[], context: PartContext): Output => {
    const made = list.map((name) => OUTPUTS[name as keyof typeof OUTPUTS].create(context));
    if (made.length === 0) return { name: 'none', deliver: async () => undefined };
    return made.length === 1 ? made[0]! : combineOutputs(made);
  };
  // with typeSegments, the type output types each segment as it comes (never pressing Return),
  // and is left out of the whole transcript's outputs
  const bySegment = settings.typeSegments === true && names.includes('type');
  const output = outputsOf(bySegment ? names.filter((n) => n !== 'type') : names, context);
  const segmentOutput = bySegment
    ? outputsOf(['type'], { ...context, settings: { ...settings, submit: false } })
    : undefined;

  const trigger =
    options.trigger && TRIGGERS[options.trigger.backend].create(context, options.trigger);
  const triggers = trigger ? [trigger] : [];

  const feedback = createFeedback({
    ...feedbackSettingsFrom(settings),
    logger: logger.child({ component: 'feedback' }),
  });
  for (const t of triggers)
    t.onEvent((event) => {
      if (event.type === 'unavailable')
        feedback.handle({ type: 'hotkey-unavailable', reason: event.reason });
    });

  const latest = () => currentSettings(source);
  // the engine `mode` names, and only it: realtime brings the file engine along for what it misses
  const engine = engineFor(settings, env);
  const engineParts = ENGINES[engine].create(context, source);
  const { transcriber, live } = engineParts;

  return {
    audio: microphoneFor().create(context, options.device ?? settings.device),
    engine,
    transcriber,
    ...(live ? { live } : {}),
    output,
    ...(segmentOutput ? { segmentOutput } : {}),
    processor: createProcessor(latest, env, logger),
    triggers,
    feedback,
    info: {
      // described at each read: the desktop portal's answer (typing) changes while the service runs
      get output() {
        return describeOutputs(settings, env);
      },
      feedback: describeFeedbackRows(settings, env),
      ...(trigger ? { hotkeyBackend: trigger.backend } : {}),
    },
    async problems() {
      let current: Settings;
      try {
        current = await latest();
      } catch (err) {
        return [(err as Error).message];
      }
      return [...ENGINES[engine].problems(current, env), ...outputProblems(settings, env)];
    },
    async transcription() {
      return ENGINES[engine].describe(await latest().catch(() => settings), env);
    },
    async postProcess() {
      try {
        return describeChain(await latest(), env);
      } catch {
        return undefined;
      }
    },
    prepare() {
      // the llm step's first request must not pay for loading the HTTP client
      if (chainUses(settings, 'llm')) void prepareLlm();
    },
    prepareRecording: prepareEngines,
    async close() {
      await engineParts.close?.();
      await feedback.close();
      // the typing session with the desktop (RemoteDesktop portal), when one was opened
      await closeRemoteDesktops();
    },
  };
}

// Like the transcriber, the chain is read from the settings for every transcript: `whis config set
// postProcess …` (or new replacements) applies to the next one without a restart. The focused
// window's class is asked for only when profiles are set.
function createProcessor(
  latest: () => Promise<Settings>,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): TextProcessor {
  const log = logger.child({ component: 'postprocess' });
  return {
    async process(text, options) {
      let settings: Settings;
      try {
        settings = await latest();
      } catch (err) {
        log.warn({ err }, 'settings unreadable; the text is delivered as heard');
        return { text, applied: [], notes: [(err as Error).message] };
      }
      return createTextProcessor({
        settings,
        env,
        logger: log,
        windowClass: () => focusedWindowClass(),
      }).process(text, options);
    },
  };
}
