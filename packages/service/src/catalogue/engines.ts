// How speech becomes text: one row per value of `mode`. Loads only the transcription library, so
// `whis transcribe` and `whis doctor` build their transcriber here without the rest of the service.
import type { Settings } from '@whis/config';
import type { EngineName, LiveTranscriber, Transcriber } from '@whis/contracts';
import {
  createTranscriber,
  openRealtimeSession,
  prepareTranscriber,
  resolveRealtimeOptions,
  resolveTranscriberOptions,
  type TranscriberOptions,
  type TranscriberSettings,
} from '@whis/transcribe';
import { currentSettings, type PartContext, type SettingsSource } from './context.js';

/** What one command changes for itself: `whis transcribe --model …`, the doctor's single try. */
export interface FileEngineOverrides {
  /** Settings from the command line: they come before the environment and the file. */
  flags?: TranscriberSettings;
  /** Retries of a failed upload; default the transcriber's. */
  maxRetries?: number;
}

/**
 * The file engine made from settings: its options as resolved (model, endpoint, key) and the
 * transcriber. The one place a transcriber is built; throws `no-api-key` with the fix.
 */
export function fileEngine(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  overrides: FileEngineOverrides = {},
): { options: TranscriberOptions; transcriber: Transcriber } {
  const options = {
    ...resolveTranscriberOptions({ flags: overrides.flags, env, settings }),
    ...(overrides.maxRetries === undefined ? {} : { maxRetries: overrides.maxRetries }),
  };
  return { options, transcriber: createTranscriber(options) };
}

/**
 * Loads the upload client once a recording is under way: an idle service does not hold it, and the
 * first transcription does not wait for it. Not at the very start: compiling the SDK holds the
 * event loop for tens of milliseconds, just when the microphone's first frames come in.
 */
export function prepareEngines(): void {
  setTimeout(() => void prepareTranscriber(), PREPARE_DELAY_MS).unref();
}
const PREPARE_DELAY_MS = 750;

/** A row of the engines: what it does, for `whis config`, and how it is made. */
export interface EngineRow {
  summary: string;
  create(
    context: Pick<PartContext, 'logger' | 'env'>,
    source: SettingsSource,
  ): Transcriber | LiveTranscriber;
}

/** How speech becomes text: the values of `mode`. Both are built; `mode` picks which runs. */
export const ENGINES = {
  file: {
    summary: 'segments uploaded as they close (the transcription endpoint)',
    create(
      { logger, env }: Pick<PartContext, 'logger' | 'env'>,
      source: SettingsSource,
    ): Transcriber {
      if ('fixed' in source) return fileEngine(source.fixed, env).transcriber;
      let cached: { key: string; transcriber: Transcriber } | undefined;
      return {
        async transcribe(chunks, options) {
          const settings = await currentSettings(source);
          const key = JSON.stringify(resolveTranscriberOptions({ env, settings }));
          if (cached?.key !== key) {
            const engine = fileEngine(settings, env);
            cached = { key, transcriber: engine.transcriber };
            logger.info(
              {
                model: engine.options.model,
                baseURL: engine.options.baseURL ?? 'https://api.openai.com/v1',
              },
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
    create(
      { logger, env }: Pick<PartContext, 'logger' | 'env'>,
      source: SettingsSource,
    ): LiveTranscriber {
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
} satisfies Record<EngineName, EngineRow>;

// the names are `@whis/contracts`' list (the settings check them there); the rows above are typed
// against it, so a name without its row, or a row without its name, does not compile
export type { EngineName };

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
