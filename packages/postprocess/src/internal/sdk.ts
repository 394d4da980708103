import { lazyModule } from '@whis/contracts';
import type OpenAI from 'openai';

// The SDK loads with the first request to a model (or `prepareLlm`): an idle service that never asks
// one does not hold it (about 10 MB). Its error classes are known from then on: an error from
// before the first request is never the SDK's.
const sdk = lazyModule(() => import('openai').then((m) => m.default));

/** The openai SDK's client class, imported on the first call. */
export const loadSdk = sdk.load;

/** The SDK, if it is loaded already. */
export const loadedSdk = sdk.loaded;

/**
 * A chat client made on first use (the SDK loaded then), with no retries: a retry would spend the
 * caller's budget twice; each caller says what happens instead.
 */
export function lazyChatClient(options: {
  apiKey: string;
  baseURL?: string;
  timeoutMs: number;
}): () => Promise<OpenAI> {
  let client: Promise<OpenAI> | undefined;
  return () =>
    (client ??= loadSdk().then(
      (Sdk) =>
        new Sdk({
          apiKey: options.apiKey,
          ...(options.baseURL ? { baseURL: options.baseURL } : {}),
          timeout: options.timeoutMs,
          maxRetries: 0,
        }),
    ));
}
