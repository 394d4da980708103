// Deepgram's pre-recorded API (`POST /v1/listen`) through its SDK, `@deepgram/sdk`: the audio as the
// body, the model, smart formatting, the language and the keyterms as query parameters. The SDK
// loads with the first upload. Deepgram takes no free-text context: the preceding text is not sent.
import type * as DeepgramSdk from '@deepgram/sdk';
import { lazyModule, type LiveSession, type LiveSessionOptions } from '@whis/contracts';
import {
  createUploadTranscriber,
  TranscribeError,
  type TranscriberOptions,
} from '@whis/transcribe';
import { StreamedLiveSession } from '../internal/streamed-session.js';
import { retryableStatus, sdkError } from './sdk-errors.js';
import { keyHelp, resolveProviderOptions, type ProviderRow } from '../providers.js';

type Sdk = typeof DeepgramSdk;
const lazy = lazyModule<Sdk>(() => import('@deepgram/sdk'));
const load = lazy.load;

// before the SDK is loaded no error is one of its classes
const isSdkError = (err: unknown): err is DeepgramSdk.DeepgramError => {
  const sdk = lazy.loaded();
  return sdk !== undefined && err instanceof sdk.DeepgramError;
};

const KEY = {
  keySetting: 'deepgramApiKey',
  keyVariable: 'DEEPGRAM_API_KEY',
  keyPage: 'https://console.deepgram.com (API Keys)',
  defaultModel: 'nova-3',
} as const;

// Deepgram's error body: `{ err_code, err_msg }`
function detailOf(err: DeepgramSdk.DeepgramError): { code?: string; message: string } {
  const body = err.body as { err_code?: unknown; err_msg?: unknown } | undefined;
  const message = typeof body?.err_msg === 'string' ? body.err_msg : err.message;
  return { ...(typeof body?.err_code === 'string' ? { code: body.err_code } : {}), message };
}

function retryable(err: unknown): boolean {
  return (
    isSdkError(err) &&
    retryableStatus(err.statusCode, err instanceof lazy.loaded()!.DeepgramTimeoutError)
  );
}

function translate(err: unknown, model: string, retried: string): TranscribeError {
  const failure = isSdkError(err)
    ? { status: err.statusCode, ...detailOf(err), cause: err.cause }
    : undefined;
  return sdkError(err, failure, {
    provider: 'Deepgram',
    model,
    defaultModel: KEY.defaultModel,
    limit: 'Deepgram allows 2 GB',
    keyHelp: keyHelp(KEY),
    retried,
    modelRefused: (status, message) =>
      status === 400 && /model/i.test(message) && /not|no such|invalid/i.test(message),
    audioRefused: (status, message) =>
      status === 400 && /audio|media|corrupt|unsupported/i.test(message),
  });
}

/** A Transcriber over Deepgram's pre-recorded API (`listen.v1.media.transcribeFile`). */
export function createDeepgramTranscriber(options: TranscriberOptions) {
  if (!options.apiKey) throw new TranscribeError('no-api-key', `No API key. ${keyHelp(KEY)}`);
  const model = options.model ?? KEY.defaultModel;
  let client: Promise<DeepgramSdk.DeepgramClient> | undefined;
  // the SDK's retries are off: the shared loop retries within the upload's budget
  const connect = () =>
    (client ??= load().then(
      (m) =>
        new m.DeepgramClient({
          apiKey: options.apiKey,
          maxRetries: 0,
          ...(options.baseURL ? { baseUrl: options.baseURL } : {}),
        }),
    ));
  const language = options.language?.split(',')[0]?.trim();
  return createUploadTranscriber(
    {
      async send(file, { signal, timeoutMs }) {
        const answer = await (
          await connect()
        ).listen.v1.media.transcribeFile(
          file,
          {
            model,
            smart_format: true,
            ...(language ? { language } : {}),
            ...(options.keywords?.length ? { keyterm: options.keywords } : {}),
          },
          // the SDK's timeout comes a second after ours: its timer is not cleared when the request
          // fails (SDK 5.13/2.73), and keeps a one-shot command alive until it fires
          { abortSignal: signal, maxRetries: 0, timeoutInSeconds: timeoutMs / 1000 + 1 },
        );
        const results = (answer as DeepgramSdk.ListenV1Response).results;
        return { text: results?.channels?.[0]?.alternatives?.[0]?.transcript };
      },
      retryable,
      headers: (err) => (isSdkError(err) ? err.rawResponse?.headers : undefined),
      describe: (err) =>
        isSdkError(err) && err.statusCode ? `HTTP ${err.statusCode}` : (err as Error).message,
      translate: (err, retried) => translate(err, model, retried),
    },
    options,
  );
}

/** What a live session is opened with. */
export interface DeepgramLiveOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  language?: string;
  keywords?: string[];
}

/**
 * One recording streamed to Deepgram's live API (`wss …/v1/listen`, linear16 at 16 kHz) through the
 * SDK's socket, its own reconnects off (a dropped segment is uploaded, the next one reconnects):
 * each segment's audio as it is recorded, a `Finalize` at its end; the final `Results` are its
 * pieces, the one `from_finalize` its end.
 */
export function openDeepgramLive(
  options: DeepgramLiveOptions,
  events?: LiveSessionOptions,
): LiveSession {
  const language = options.language?.split(',')[0]?.trim();
  return new StreamedLiveSession(
    'Deepgram',
    async (link) => {
      const m = await load();
      const client = new m.DeepgramClient({
        apiKey: options.apiKey,
        reconnect: false,
        ...(options.baseURL ? { baseUrl: options.baseURL } : {}),
      });
      const socket = await client.listen.v1.connect({
        model: options.model,
        encoding: 'linear16',
        sample_rate: 16_000,
        smart_format: 'true',
        ...(language ? { language } : {}),
        ...(options.keywords?.length ? { keyterm: options.keywords } : {}),
        Authorization: `Token ${options.apiKey}`,
        reconnectAttempts: 0,
        connectionTimeoutInSeconds: 10,
      });
      socket.on('message', (message) => {
        const results = message as {
          type?: string;
          is_final?: boolean;
          from_finalize?: boolean;
          channel?: { alternatives?: Array<{ transcript?: string }> };
        };
        if (results.type !== 'Results') return;
        if (results.is_final) link.piece(results.channel?.alternatives?.[0]?.transcript ?? '');
        if (results.from_finalize) link.committed();
      });
      socket.on('close', (event) => link.dropped(`the connection closed (${event.code})`));
      socket.on('error', (err) => link.dropped('the connection failed', err));
      socket.connect();
      await socket.waitForOpen();
      return {
        send: (pcm) => socket.sendMedia(pcm),
        commit: () => socket.sendFinalize({ type: 'Finalize' }),
        close() {
          try {
            socket.sendCloseStream({ type: 'CloseStream' });
          } catch {
            // already gone
          }
          socket.close();
        },
      };
    },
    events,
  );
}

/** The Deepgram row of the providers. */
export const deepgram: ProviderRow = {
  summary: 'Deepgram (nova-3), with a Deepgram key',
  ...KEY,
  endpoint: 'https://api.deepgram.com',
  knowsModel: (model) => /^(nova|enhanced|base|whisper)(-|$)/.test(model),
  resolve: (sources) => resolveProviderOptions(KEY, sources),
  async openLive(sources, logger, events) {
    const { apiKey, baseURL, model, language, keywords } = resolveProviderOptions(KEY, sources);
    logger.info({ provider: 'deepgram', model, baseURL }, 'live session opening');
    return openDeepgramLive(
      {
        apiKey,
        model,
        ...(baseURL ? { baseURL } : {}),
        ...(language ? { language } : {}),
        ...(keywords ? { keywords } : {}),
      },
      events,
    );
  },
  liveModel: (sources) => resolveProviderOptions(KEY, sources).model,
  prepare: async () => {
    await load().catch(() => undefined);
  },
  createTranscriber: createDeepgramTranscriber,
};
