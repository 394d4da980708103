// Whose service transcribes: one row per value of `provider`, each in a file of its own. The `file`
// and `realtime` engines ask the row in force for its transcriber and live session; the commands
// (`whis status`, `doctor`, `setup`, `config`) read the rows, never a provider by name. A provider's
// SDK loads inside its file, with its first upload: an idle service does not hold it.
import type { Settings } from '@whis/config';
import type { LiveSession, LiveSessionOptions, Logger, ProviderName } from '@whis/contracts';
import {
  modelFamily,
  TranscribeError,
  type Transcriber,
  type TranscriberOptions,
  type TranscriberSettings,
} from '@whis/transcribe';
import type { Check } from './row.js';
import { deepgram } from './providers/deepgram.js';
import { elevenlabs } from './providers/elevenlabs.js';
import { openai } from './providers/openai.js';

/** Where a provider's options come from, first to last: the command's flags, the environment, the file. */
export interface ProviderSources {
  flags?: TranscriberSettings;
  env: NodeJS.ProcessEnv;
  settings: Settings;
}

/** A row of the providers: its key, its endpoint and models, how its transcriber and live session are made. */
export interface ProviderRow {
  /** What it is, in a line, for `whis config` and `whis setup`. */
  summary: string;
  /** The setting that stores its key (`whis config --api-key` writes it there; masked when shown). */
  keySetting: 'apiKey' | 'deepgramApiKey' | 'elevenlabsApiKey';
  /** The environment variable its users already have the key in. */
  keyVariable: string;
  /** Where a key is made, for `whis setup` and the fix of a refused key. */
  keyPage: string;
  /** Whether `whis setup` asks for an endpoint and a model (an OpenAI-compatible one is anywhere). */
  asksEndpoint?: boolean;
  /** Its endpoint when `baseURL` is not set. */
  endpoint: string;
  /** Its model when none is set. */
  defaultModel: string;
  /** Whether `model` names one of its models, for `whis doctor` and `status` problems. */
  knowsModel(model: string): boolean;
  /** Its options from the sources; throws `no-api-key` with the fix when no key is found. */
  resolve(sources: ProviderSources): TranscriberOptions & { model: string };
  /** Loads its SDK ahead of the first upload (a recording is under way); never rejects. */
  prepare?(): Promise<void>;
  /** Its upload transcriber (retries, budgets and error codes are the shared loop's). */
  createTranscriber(options: TranscriberOptions): Transcriber;
  /**
   * Its live session for `mode realtime`, when it has one; without, `realtime` uploads each
   * segment as it closes.
   */
  openLive?(
    sources: ProviderSources,
    logger: Logger,
    events: LiveSessionOptions | undefined,
  ): Promise<LiveSession | null>;
  /** Its live session tried for `whis doctor` (optional checks). */
  probeLive?(settings: Settings, env: NodeJS.ProcessEnv): Promise<Check[]>;
  /** What its live session is with these sources, for `whis status`; undefined when it has none. */
  liveModel?(sources: ProviderSources): string | undefined;
}

/** The providers: the values of `provider`; `openai` is the default. */
export const PROVIDERS = { openai, deepgram, elevenlabs } satisfies Record<
  ProviderName,
  ProviderRow
>;

export type { ProviderName };

/** The provider in force: `WHIS_PROVIDER`, then the `provider` setting, then `openai`. */
export function providerFor(settings: Settings, env: NodeJS.ProcessEnv): ProviderName {
  const name = [env.WHIS_PROVIDER, settings.provider].find((v) => v);
  return name && name in PROVIDERS ? (name as ProviderName) : 'openai';
}

/** How to set a provider's key, for its messages. */
export const keyHelp = (row: Pick<ProviderRow, 'keyVariable' | 'keyPage'>) =>
  `Set it with \`whis config --api-key …\` or the ${row.keyVariable} environment variable (make one at ${row.keyPage}).`;

/**
 * A provider's options the way every provider but OpenAI reads them: its key from the flag, its
 * variable or its setting; `baseURL`, the language, the keywords and the time scale as OpenAI's
 * are read; the model unless it is one of OpenAI's (a `model` left from OpenAI is not sent to
 * another provider), else the provider's default.
 */
export function resolveProviderOptions(
  row: Pick<ProviderRow, 'keySetting' | 'keyVariable' | 'keyPage' | 'defaultModel'>,
  { flags = {}, env, settings }: ProviderSources,
): TranscriberOptions & { model: string } {
  const pick = (...values: Array<string | undefined>) =>
    values.find((v) => v !== undefined && v !== '');
  const apiKey = pick(flags.apiKey, env[row.keyVariable], settings[row.keySetting]);
  if (!apiKey) throw new TranscribeError('no-api-key', `No API key. ${keyHelp(row)}`);
  const named = pick(flags.model, env.WHIS_MODEL, settings.model);
  const model = named && modelFamily(named) === 'other' ? named : row.defaultModel;
  const options: TranscriberOptions & { model: string } = { apiKey, model };
  const baseURL = pick(flags.baseURL, env.WHIS_BASE_URL, settings.baseURL);
  const language = pick(flags.language, env.WHIS_LANGUAGE, settings.language);
  if (baseURL) options.baseURL = baseURL;
  if (language) options.language = language;
  const keywords = flags.keywords ?? env.WHIS_KEYWORDS?.split(',') ?? settings.keywords;
  const cleaned = keywords?.map((k) => k.trim()).filter(Boolean) ?? [];
  if (cleaned.length > 0) options.keywords = cleaned;
  const scale =
    flags.uploadTimeoutScale ??
    (env.WHIS_UPLOAD_TIMEOUT_SCALE ? Number(env.WHIS_UPLOAD_TIMEOUT_SCALE) : undefined) ??
    settings.uploadTimeoutScale;
  if (scale !== undefined && Number.isFinite(scale) && scale > 0 && scale !== 1)
    options.timeoutScale = scale;
  return options;
}
