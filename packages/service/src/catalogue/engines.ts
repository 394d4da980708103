// How speech becomes text: one row per value of `mode`. Loads only the transcription library, so
// `whis transcribe` and `whis doctor` build their transcriber here without the rest of the service.
import type { Settings } from '@whis/config';
import type { EngineName, LiveTranscriber, Transcriber } from '@whis/contracts';
import { resolveModels, type TranscriberOptions, type TranscriberSettings } from '@whis/transcribe';
import { currentSettings, type PartContext, type SettingsSource } from './context.js';
import { probeUpload } from './internal/engine-probes.js';
import { local } from './local-engine.js';
import { PROVIDERS, providerFor, type ProviderName, type ProviderRow } from './providers.js';
import type { Row } from './row.js';

/** What one command changes for itself: `whis transcribe --model …`, the doctor's single try. */
export interface FileEngineOverrides {
  /** Settings from the command line: they come before the environment and the file. */
  flags?: TranscriberSettings;
  /** Retries of a failed upload; default the transcriber's. */
  maxRetries?: number;
}

/**
 * The file engine made from settings: the provider in force (`provider`), its options as resolved
 * (model, endpoint, key) and its transcriber. The one place a transcriber is built; throws
 * `no-api-key` with the fix.
 */
export function fileEngine(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  overrides: FileEngineOverrides = {},
): {
  provider: ProviderName;
  endpoint: string;
  /** The provider's model when none is set, for the fix of a model it does not serve. */
  defaultModel: string;
  options: TranscriberOptions & { model: string };
  transcriber: Transcriber;
} {
  const provider = providerFor(settings, env);
  const row: ProviderRow = PROVIDERS[provider];
  const options = {
    ...row.resolve({ flags: overrides.flags, env, settings }),
    ...(overrides.maxRetries === undefined ? {} : { maxRetries: overrides.maxRetries }),
  };
  return {
    provider,
    endpoint: options.baseURL ?? row.endpoint,
    defaultModel: row.defaultModel,
    options,
    transcriber: row.createTranscriber(options),
  };
}

// what a provider's engine is called in `whis status`: OpenAI's by its model alone, as before
const named = (provider: ProviderName, model: string) =>
  provider === 'openai' ? model : `${provider} ${model}`;

/**
 * Loads the upload client of the provider in force once a recording is under way: an idle service
 * does not hold it, and the first transcription does not wait for it. Not at the very start:
 * compiling an SDK holds the event loop for tens of milliseconds (ElevenLabs' for over a second on
 * a slow machine), just when the microphone's first frames come in.
 */
export function prepareEngines(
  settings: () => Promise<Settings> = async () => ({}),
  env: NodeJS.ProcessEnv = process.env,
): void {
  setTimeout(() => {
    void settings()
      .then((current) => PROVIDERS[providerFor(current, env)].prepare?.())
      .catch(() => undefined);
  }, PREPARE_DELAY_MS).unref();
}
const PREPARE_DELAY_MS = 750;

/** What an engine makes: the transcriber the host uploads with, and a live session where it streams. */
export interface EngineParts {
  transcriber: Transcriber;
  /** Streams the audio while it is recorded; what it misses goes to `transcriber`. */
  live?: LiveTranscriber;
  /** Ends what the engine runs (the local engine's recognizer process); called when the service stops. */
  close?(): Promise<void>;
}

/** A row of the engines: what it does, for `whis config`, how it is made, described and checked. */
export interface EngineRow extends Row {
  create(context: Pick<PartContext, 'logger' | 'env'>, source: SettingsSource): EngineParts;
  /** What it needs before a dictation: an API key (and an endpoint, a model), or a model here. */
  needs: 'key' | 'model';
  /** How `whis setup` offers it, when it does (realtime is not: the same key as the uploads). */
  offer?(settings: Settings): string;
}

// The file engine made from settings: read once (the one-shot), or read again for each
// transcription (the service), building a new transcriber when the model, endpoint or key changed.
function uploader(
  { logger, env }: Pick<PartContext, 'logger' | 'env'>,
  source: SettingsSource,
): Transcriber {
  if ('fixed' in source) return fileEngine(source.fixed, env).transcriber;
  let cached: { key: string; transcriber: Transcriber } | undefined;
  return {
    async transcribe(chunks, options) {
      const settings = await currentSettings(source);
      const provider = providerFor(settings, env);
      const key = JSON.stringify([provider, PROVIDERS[provider].resolve({ env, settings })]);
      if (cached?.key !== key) {
        const engine = fileEngine(settings, env);
        cached = { key, transcriber: engine.transcriber };
        logger.info(
          { provider, model: engine.options.model, baseURL: engine.endpoint },
          'transcriber configured',
        );
      }
      return cached.transcriber.transcribe(chunks, options);
    },
  };
}

const file: EngineRow = {
  summary: 'segments uploaded as they close (the transcription endpoint)',
  needs: 'key',
  offer: () =>
    'Through an API (OpenAI or a compatible endpoint, Deepgram, ElevenLabs; needs a key)',
  create: (context, source) => ({ transcriber: uploader(context, source) }),
  describe(settings, env) {
    const provider = providerFor(settings, env);
    try {
      return `file, ${named(provider, PROVIDERS[provider].resolve({ env, settings }).model)}`;
    } catch {
      return undefined;
    }
  },
  problems(settings, env) {
    const provider = providerFor(settings, env);
    const row: ProviderRow = PROVIDERS[provider];
    try {
      const { model } = row.resolve({ env, settings });
      if (row.knowsModel(model)) return [];
      return [
        `"${model}" is not a ${provider} model: \`whis config set model ${row.defaultModel}\`.`,
      ];
    } catch (err) {
      return [(err as Error).message];
    }
  },
  // one try, no retries: the doctor reports what the endpoint answers the first time
  probe: ({ settings, env }) => probeUpload(() => fileEngine(settings, env, { maxRetries: 0 })),
};

// The realtime engine is the file engine plus a live session: a segment the session misses (a
// dropped connection, a late answer) is uploaded by the file row's transcriber.
const realtime: EngineRow = {
  summary: 'the audio streamed to a Realtime session, the text while you speak',
  needs: 'key',
  create(context, source) {
    const log = context.logger.child({ component: 'live' });
    const { env } = context;
    return {
      transcriber: file.create(context, source).transcriber,
      live: {
        async open(events) {
          const settings = await currentSettings(source);
          const row: ProviderRow = PROVIDERS[providerFor(settings, env)];
          try {
            row.resolve({ env, settings });
          } catch {
            // without a key the file engine reports it
            return null;
          }
          // a provider without a live session uploads each segment as it closes
          return row.openLive ? row.openLive({ env, settings }, log, events) : null;
        },
      },
    };
  },
  describe(settings, env) {
    const upload = file.describe(settings, env);
    if (!upload) return undefined;
    const row: ProviderRow = PROVIDERS[providerFor(settings, env)];
    const live = row.liveModel?.({ env, settings });
    return live
      ? `realtime, ${live} (missed segments uploaded with ${upload.replace(/^file, /, '')})`
      : upload;
  },
  problems: (settings, env) => file.problems(settings, env),
  async probe(context) {
    const upload = await file.probe(context);
    // the live session is worth checking only with a key that works
    if (!upload.every((c) => c.ok)) return upload;
    const row: ProviderRow = PROVIDERS[providerFor(context.settings, context.env)];
    return [...upload, ...((await row.probeLive?.(context.settings, context.env)) ?? [])];
  },
};

/** How speech becomes text: the values of `mode`; the composition builds the one in force. */
export const ENGINES = { file, realtime, local } satisfies Record<EngineName, EngineRow>;

// the names are `@whis/contracts`' list (the settings check them there); the rows above are typed
// against it, so a name without its row, or a row without its name, does not compile
export type { EngineName };

/** An engine `whis setup` offers, by its name. */
export interface EngineChoice {
  name: EngineName;
  label: string;
  needs: EngineRow['needs'];
}

/**
 * What `whis setup` offers, what needs no key first. An engine the settings name that setup does not
 * offer by itself (realtime) takes the place of the one with its need, so that setup keeps it.
 */
export function engineChoices(settings: Settings, current?: EngineName): EngineChoice[] {
  const rows = Object.entries(ENGINES) as Array<[EngineName, EngineRow]>;
  const choices = rows.flatMap(([name, row]) =>
    row.offer ? [{ name, label: row.offer(settings), needs: row.needs }] : [],
  );
  if (current && !ENGINES[current].offer) {
    const same = choices.find((c) => c.needs === ENGINES[current].needs);
    if (same) same.name = current;
  }
  return choices.sort((a, b) => Number(a.needs === 'key') - Number(b.needs === 'key'));
}

/** What an engine needs before a dictation (`whis setup` asks for it). */
export const engineNeeds = (name: EngineName): EngineRow['needs'] => ENGINES[name].needs;

/**
 * The engine in force: `mode` (or WHIS_MODE), and realtime for a live model whatever the mode says,
 * as the transcription library reads them.
 */
export function engineFor(settings: Settings, env: NodeJS.ProcessEnv): EngineName {
  const pick = (...values: Array<string | undefined>) => values.find((v) => v);
  // on this machine: no endpoint, no model name of the endpoint's to read
  if (pick(env.WHIS_MODE, settings.mode) === 'local') return 'local';
  return resolveModels({
    mode: pick(env.WHIS_MODE, settings.mode),
    model: pick(env.WHIS_MODEL, settings.model),
  }).mode;
}

// the local engine for a command of its own (`whis transcribe FILE` in `mode local`)
export { localCommandEngine, segmentMsFor } from './local-engine.js';
