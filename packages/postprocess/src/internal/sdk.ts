import type OpenAI from 'openai';

// The SDK loads with the first request to a model (or `prepareLlm`): an idle service that never asks
// one does not hold it (about 10 MB). Its error classes are known from then on: an error from
// before the first request is never the SDK's.
let loaded: typeof OpenAI | undefined;
let loading: Promise<typeof OpenAI> | undefined;

/** The openai SDK's client class, imported on the first call. */
export const loadSdk = (): Promise<typeof OpenAI> =>
  (loading ??= import('openai').then((m) => (loaded = m.default)));

/** The SDK, if it is loaded already. */
export const loadedSdk = (): typeof OpenAI | undefined => loaded;
