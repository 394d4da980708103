// OpenAI's API, and every endpoint that speaks it (Groq, Mistral, a self-hosted server) through
// `baseURL`: uploads to the transcription endpoint, a Realtime session in `mode realtime`.
import {
  createTranscriber,
  modelFamily,
  openRealtimeSession,
  prepareTranscriber,
  resolveRealtimeOptions,
  resolveTranscriberOptions,
} from '@whis/transcribe';
import { probeLiveSession } from '../internal/engine-probes.js';
import type { ProviderRow } from '../providers.js';

/** The OpenAI row of the providers (the default). */
export const openai: ProviderRow = {
  summary: 'OpenAI, or any OpenAI-compatible endpoint with baseURL (Groq, Mistral, self-hosted)',
  keySetting: 'apiKey',
  keyVariable: 'OPENAI_API_KEY',
  keyPage: 'https://platform.openai.com/api-keys',
  asksEndpoint: true,
  endpoint: 'https://api.openai.com/v1',
  defaultModel: 'gpt-transcribe',
  // another endpoint's models are its own: only a retired or live name is not a file model
  knowsModel: (model) => modelFamily(model) !== 'live',
  resolve: ({ flags, env, settings }) => {
    const options = resolveTranscriberOptions({ flags, env, settings });
    return { ...options, model: options.model ?? 'gpt-transcribe' };
  },
  prepare: prepareTranscriber,
  createTranscriber,
  async openLive({ flags, env, settings }, logger, events) {
    const options = resolveRealtimeOptions({ flags, env, settings });
    if (!options) return null;
    logger.info({ model: options.model, baseURL: options.baseURL }, 'live session opening');
    // the client loads on the first live recording: a service in file mode never loads `ws`
    return openRealtimeSession({ ...options, logger }, events);
  },
  probeLive: probeLiveSession,
  liveModel: ({ flags, env, settings }) => resolveRealtimeOptions({ flags, env, settings })?.model,
};
