// The one composition: every part of the service made from the settings through the catalogue.
// The background service (run.ts) and the one-shot `whis` both use it, so a part added to the
// catalogue reaches both, and an unknown name is an error rather than a quiet fallback.
import { ConfigError, type Settings } from '@whis/config';
import { combineFeedback, createFeedbackShared, type Feedback } from '@whis/feedback';
import { closeRemoteDesktops, focusedWindowClass } from '@whis/output';
import { createTextProcessor, describeChain, prepareChain } from '@whis/postprocess';
import type {
  AudioSource,
  EditParts,
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
  feedbackFor,
  describeOutputs,
  EDIT,
  engineFor,
  ENGINES,
  prepareEngines,
  isOutputName,
  microphoneFor,
  OUTPUTS,
  DEFAULT_OUTPUTS,
  outputNamesFor,
  outputProblems,
  type OutputName,
  TRIGGERS,
  type EngineName,
  type PartContext,
  type SettingsSource,
  type TriggerName,
  type TriggerOptions,
} from './catalogue/index.js';
import { combineOutputs } from '@whis/output';
import { HotkeyError, type HotkeyTrigger } from '@whis/hotkey';

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
  /** Edit by voice (the service; the one-shot dictates only): its key joins the trigger's. */
  edit?: boolean;
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
  /** Edit by voice: the selection reader and the chat model (absent: the one-shot). */
  edit?: EditParts;
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
  const names = options.outputs ?? outputNamesFor(settings);
  const unknown = names.filter((name) => !isOutputName(name));
  if (unknown.length > 0)
    throw new ConfigError(
      'invalid-settings',
      `Unknown output ${unknown.map((n) => `"${n}"`).join(', ')}: outputs takes ${Object.keys(OUTPUTS).join(', ')} (\`whis config set outputs ${DEFAULT_OUTPUTS.join(',')}\`).`,
    );
  const combined = (made: Output[]): Output | undefined =>
    made.length <= 1 ? made[0] : combineOutputs(made);
  // a row may take each segment as it comes (the type output with typeSegments): it is then left
  // out of the whole transcript's outputs
  const rows = names.map((name) => OUTPUTS[name as OutputName]);
  const bySegment = rows.map((row) => row.segments?.(context));
  const output = combined(
    rows.filter((_row, i) => bySegment[i] === undefined).map((row) => row.create(context)),
  ) ?? { name: 'no output', deliver: async () => undefined };
  const segmentOutput = combined(bySegment.filter((o): o is Output => o !== undefined));

  const made = options.edit ? EDIT.create(context) : undefined;
  const { trigger, editKeyProblem } = makeTrigger(context, options.trigger, made?.hotkey);
  const edit: EditParts | undefined = made && {
    ...made,
    // the key the service listens for, as the trigger spells it; without a trigger the desktop
    // binds `whis edit`
    ...(trigger?.edit ? { hotkey: trigger.edit.hotkey } : editKeyProblem ? {} : { hotkey: null }),
    key: () => {
      if (editKeyProblem) return { problem: editKeyProblem };
      const status = trigger?.edit;
      if (!status) return undefined;
      return {
        ...(status.state === 'unavailable' && status.reason ? { problem: status.reason } : {}),
        ...(status.binding ? { binding: status.binding } : {}),
      };
    },
  };
  const triggers = trigger ? [trigger] : [];

  // each kind the settings turn on makes its own part; they share one session bus connection
  const shared = createFeedbackShared({ env, logger: logger.child({ component: 'feedback' }) });
  const feedback = combineFeedback(
    feedbackFor(settings).map((row) => row.create(context, shared)),
    shared,
  );
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
    ...(edit ? { edit } : {}),
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
      // a step's first run must not pay for loading what it needs (the llm's HTTP client)
      void prepareChain(settings);
    },
    prepareRecording: () => prepareEngines(latest, env),
    async close() {
      await engineParts.close?.();
      await feedback.close();
      // the typing session with the desktop (RemoteDesktop portal), when one was opened
      await closeRemoteDesktops();
    },
  };
}

// The hotkey and, beside it, the edit key. An edit key the trigger refuses (the dictation key's own
// chord: `editHotkey` left at its default by a user whose hotkey is that chord) costs the edit key
// only, never the dictation key; `status` says why.
function makeTrigger(
  context: PartContext,
  options: (TriggerOptions & { backend: TriggerName }) | undefined,
  editHotkey: string | null | undefined,
): { trigger?: HotkeyTrigger; editKeyProblem?: string } {
  if (!options) return {};
  const row = TRIGGERS[options.backend];
  if (!editHotkey) return { trigger: row.create(context, options) };
  try {
    return { trigger: row.create(context, { ...options, editHotkey }) };
  } catch (err) {
    if (!(err instanceof HotkeyError)) throw err;
    context.logger.warn({ err }, 'the edit key is off');
    return { trigger: row.create(context, options), editKeyProblem: err.message };
  }
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
