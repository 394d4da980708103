import { TranscribeError } from './errors.js';
import { DEFAULT_MODEL } from './models.js';
import type { TranscriberOptions } from './transcriber.js';

export interface TranscriberSettings {
  apiKey?: string;
  baseURL?: string;
  model?: string;
  language?: string;
  prompt?: string;
  keywords?: string[];
}

/**
 * Resolves the transcriber's options: command-line flag, then environment (`OPENAI_API_KEY`,
 * `OPENAI_BASE_URL`, `WHIS_MODEL`, `WHIS_LANGUAGE`, `WHIS_PROMPT`, `WHIS_KEYWORDS`), then the settings file, then
 * the default. Throws `no-api-key` with the fix when no key is found anywhere.
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
  const options: TranscriberOptions = {
    apiKey,
    model: pick(flags.model, env.WHIS_MODEL, file.model) ?? DEFAULT_MODEL,
  };
  const baseURL = pick(flags.baseURL, env.OPENAI_BASE_URL, file.baseURL);
  const language = pick(flags.language, env.WHIS_LANGUAGE, file.language);
  const prompt = pick(flags.prompt, env.WHIS_PROMPT, file.prompt);
  if (baseURL) options.baseURL = baseURL;
  if (language) options.language = language;
  if (prompt) options.prompt = prompt;
  const keywords = flags.keywords ?? env.WHIS_KEYWORDS?.split(',') ?? file.keywords;
  const cleaned = keywords?.map((k) => k.trim()).filter(Boolean) ?? [];
  if (cleaned.length > 0) options.keywords = cleaned;
  return options;
}
