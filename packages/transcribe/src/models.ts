// What whis knows of OpenAI's transcription models. This module loads nothing heavy, so the CLI can
// check `whis config set model …` without the SDK.
import { ENGINE_NAMES, type EngineName } from '@whis/contracts';

/** The model used when none is configured. */
export const DEFAULT_MODEL = 'gpt-transcribe';

/** OpenAI's model for a Realtime transcription session (`mode realtime`). */
export const LIVE_MODEL = 'gpt-live-transcribe';

/**
 * `file`: each segment is uploaded as it closes. `realtime`: the audio is streamed as it is recorded.
 * The engines of the catalogue, by the names `@whis/contracts` lists for the `mode` setting.
 */
export type TranscriptionMode = EngineName;
export const TRANSCRIPTION_MODES: readonly TranscriptionMode[] = ENGINE_NAMES;

/**
 * What `mode` and `model` settings mean together. A live model chooses `realtime`, and the segments
 * the session misses are uploaded with {@link DEFAULT_MODEL}; in `realtime` mode an OpenAI file model
 * has the session use {@link LIVE_MODEL}, and another endpoint's model name is used for both.
 */
export function resolveModels(settings: { mode?: string; model?: string }): {
  mode: TranscriptionMode;
  fileModel: string;
  liveModel?: string;
} {
  const model = settings.model ?? DEFAULT_MODEL;
  const family = modelFamily(model);
  if (family === 'live') return { mode: 'realtime', fileModel: DEFAULT_MODEL, liveModel: model };
  if (settings.mode === 'realtime')
    return {
      mode: 'realtime',
      fileModel: model,
      liveModel: family === 'other' ? model : LIVE_MODEL,
    };
  return { mode: 'file', fileModel: model };
}

/** OpenAI shuts the legacy transcription models down on this day (notice of 2026-08-26). */
export const LEGACY_SHUTDOWN = '2027-02-26';

/**
 * - `current`: OpenAI's file transcription model; takes `prompt`, `keywords` and `languages`.
 * - `live`: OpenAI's Realtime (WebSocket) model; no file uploads.
 * - `legacy`: OpenAI's models that shut down on {@link LEGACY_SHUTDOWN}; take `language` + `prompt`.
 * - `other`: a name OpenAI does not use, for an OpenAI-compatible server (Groq, speaches,
 *   LocalAI); sent with the legacy parameters those servers implement.
 */
export type ModelFamily = 'current' | 'live' | 'legacy' | 'other';

const FAMILIES: Readonly<Record<string, ModelFamily>> = {
  'gpt-transcribe': 'current',
  'gpt-live-transcribe': 'live',
  'whisper-1': 'legacy',
  'gpt-4o-transcribe': 'legacy',
  'gpt-4o-mini-transcribe': 'legacy',
  'gpt-4o-transcribe-diarize': 'legacy',
};

export function modelFamily(model: string): ModelFamily {
  return FAMILIES[model] ?? 'other';
}

/** What a setting of `model` means: refused (`error`), accepted with a `warning`, or accepted. */
export function checkModel(model: string): { error?: string; warning?: string } {
  if (model.trim() === '' || /\s/.test(model)) {
    return { error: `"${model}" is not a model name. OpenAI's is ${DEFAULT_MODEL}.` };
  }
  switch (modelFamily(model)) {
    case 'live':
      return {
        warning: `${model} transcribes over a Realtime session while you speak (mode realtime); what the session misses is uploaded with ${DEFAULT_MODEL}.`,
      };
    case 'legacy':
      return {
        warning: `OpenAI shuts ${model} down on ${LEGACY_SHUTDOWN}; ${DEFAULT_MODEL} replaces it (\`whis config set model ${DEFAULT_MODEL}\`). Other endpoints may keep serving the name.`,
      };
    default:
      return {};
  }
}

export interface ModelHints {
  /** ISO-639-1 codes of the speech; a `current` model takes several, a legacy one the first. */
  languages?: readonly string[];
  /** Free-text context. */
  prompt?: string;
  /** Words and names to expect. */
  keywords?: readonly string[];
}

/**
 * The request fields beside `file` and `model` for this model's family. Lists become repeated
 * `name[]` multipart fields through the openai SDK, as its own list parameters do.
 */
export function requestFields(model: string, hints: ModelHints): Record<string, unknown> {
  const languages = hints.languages?.filter(Boolean) ?? [];
  const keywords = hints.keywords?.filter(Boolean) ?? [];
  if (modelFamily(model) === 'current') {
    return {
      ...(hints.prompt ? { prompt: hints.prompt } : {}),
      ...(keywords.length > 0 ? { keywords } : {}),
      ...(languages.length > 0 ? { languages } : {}),
    };
  }
  // legacy parameters: one language; keywords go into the prompt, which whisper reads as vocabulary
  const prompt = [hints.prompt, keywords.join(', ')].filter(Boolean).join(' ');
  return {
    response_format: 'json',
    ...(languages[0] ? { language: languages[0] } : {}),
    ...(prompt ? { prompt } : {}),
  };
}
