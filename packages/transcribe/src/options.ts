import { TranscribeError } from './errors.js';
import { resolveModels } from './models.js';
import type { RealtimeOptions } from './realtime.js';
import type { TranscriberOptions } from './transcriber.js';

export interface TranscriberSettings {
  apiKey?: string;
  baseURL?: string;
  model?: string;
  /** `file` (default) or `realtime`; a live model name chooses `realtime`. */
  mode?: string;
  language?: string;
  prompt?: string;
  keywords?: string[];
  /** Multiplies every upload's time budget (slow self-hosted servers); default 1. */
  uploadTimeoutScale?: number;
}

/**
 * Resolves the transcriber's options: command-line flag, then environment (`OPENAI_API_KEY`,
 * `OPENAI_BASE_URL`, `WHIS_MODEL`, `WHIS_LANGUAGE`, `WHIS_PROMPT`, `WHIS_KEYWORDS`, `WHIS_UPLOAD_TIMEOUT_SCALE`), then
 * the settings file, then the default. Throws `no-api-key` with the fix when no key is found anywhere.
 */
export function resolveTranscriberOptions(
  sources: {
    flags?: TranscriberSettings;
    env?: NodeJS.ProcessEnv;
    settings?: TranscriberSettings;
  } = {},
): TranscriberOptions {
  const flags = sources.flags ?? {};
  const env = sources.env ?? process.env;
  const file = sources.settings ?? {};
  const pick = (
    flag: string | undefined,
    envValue: string | undefined,
    fileValue: string | undefined,
  ) => [flag, envValue, fileValue].find((v) => v !== undefined && v !== '');
  const apiKey = pick(flags.apiKey, env.OPENAI_API_KEY, file.apiKey);
  if (!apiKey) {
    throw new TranscribeError(
      'no-api-key',
      'No API key. Set it with `whis config --api-key sk-…` or the OPENAI_API_KEY environment variable.',
    );
  }
  const models = resolveModels({
    model: pick(flags.model, env.WHIS_MODEL, file.model),
    mode: pick(flags.mode, env.WHIS_MODE, file.mode),
  });
  const options: TranscriberOptions = { apiKey, model: models.fileModel };
  const baseURL = pick(flags.baseURL, env.OPENAI_BASE_URL, file.baseURL);
  const language = pick(flags.language, env.WHIS_LANGUAGE, file.language);
  const prompt = pick(flags.prompt, env.WHIS_PROMPT, file.prompt);
  if (baseURL) options.baseURL = baseURL;
  if (language) options.language = language;
  if (prompt) options.prompt = prompt;
  const keywords = flags.keywords ?? env.WHIS_KEYWORDS?.split(',') ?? file.keywords;
  const cleaned = keywords?.map((k) => k.trim()).filter(Boolean) ?? [];
  if (cleaned.length > 0) options.keywords = cleaned;
  const envScale = env.WHIS_UPLOAD_TIMEOUT_SCALE
    ? Number(env.WHIS_UPLOAD_TIMEOUT_SCALE)
    : undefined;
  const scale = [flags.uploadTimeoutScale, envScale, file.uploadTimeoutScale].find(
    (v) => v !== undefined,
  );
  if (scale !== undefined) {
    if (!(Number.isFinite(scale) && scale > 0))
      throw new TranscribeError(
        'invalid-setting',
        `uploadTimeoutScale must be a number above 0 (e.g. 3 for a slow server), not "${scale}".`,
      );
    if (scale !== 1) options.timeoutScale = scale;
  }
  return options;
}

/**
 * The live session's options when `realtime` mode is chosen (by `mode` or a live model name), else
 * null; the same sources and order as {@link resolveTranscriberOptions}, which it also checks.
 */
export function resolveRealtimeOptions(
  sources: Parameters<typeof resolveTranscriberOptions>[0] = {},
): RealtimeOptions | null {
  const file = resolveTranscriberOptions(sources);
  const env = sources.env ?? process.env;
  const pick = (...values: Array<string | undefined>) =>
    values.find((v) => v !== undefined && v !== '');
  const models = resolveModels({
    model: pick(sources.flags?.model, env.WHIS_MODEL, sources.settings?.model),
    mode: pick(sources.flags?.mode, env.WHIS_MODE, sources.settings?.mode),
  });
  if (models.mode !== 'realtime') return null;
  const { apiKey, baseURL, language, prompt } = file;
  return {
    apiKey,
    model: models.liveModel,
    ...(baseURL ? { baseURL } : {}),
    ...(language ? { language: language.split(',')[0]! } : {}),
    ...(prompt ? { prompt } : {}),
  };
}
