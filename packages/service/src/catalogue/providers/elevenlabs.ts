// ElevenLabs' speech to text (`POST /v1/speech-to-text`, the Scribe models) through its SDK,
// `@elevenlabs/elevenlabs-js`: the audio and `model_id`, the language and the keyterms as multipart
// fields. The SDK loads with the first upload. Scribe takes no free-text context: the preceding
// text is not sent.
import type * as ElevenLabsSdk from '@elevenlabs/elevenlabs-js';
import { lazyModule, type LiveSession, type LiveSessionOptions } from '@whis/contracts';
import {
  createUploadTranscriber,
  TranscribeError,
  type TranscriberOptions,
} from '@whis/transcribe';
import { StreamedLiveSession } from '../internal/streamed-session.js';
import { retryableStatus, sdkError } from './sdk-errors.js';
import { keyHelp, resolveProviderOptions, type ProviderRow } from '../providers.js';

type Sdk = typeof ElevenLabsSdk;
const lazy = lazyModule<Sdk>(() => import('@elevenlabs/elevenlabs-js'));
const load = lazy.load;

// before the SDK is loaded no error is one of its classes
const isSdkError = (err: unknown): err is ElevenLabsSdk.ElevenLabsError => {
  const sdk = lazy.loaded();
  return sdk !== undefined && err instanceof sdk.ElevenLabsError;
};

const KEY = {
  keySetting: 'elevenlabsApiKey',
  keyVariable: 'ELEVENLABS_API_KEY',
  keyPage: 'https://elevenlabs.io/app/settings/api-keys',
  defaultModel: 'scribe_v2',
} as const;

// ElevenLabs' error body: `{ detail: { status, message } }` (or `{ detail: "…" }`)
function detailOf(err: ElevenLabsSdk.ElevenLabsError): { code?: string; message: string } {
  const detail = (err.body as { detail?: unknown } | undefined)?.detail;
  if (typeof detail === 'string') return { message: detail };
  const { status, message } = (detail ?? {}) as { status?: unknown; message?: unknown };
  return {
    ...(typeof status === 'string' ? { code: status } : {}),
    message: typeof message === 'string' ? message : err.message,
  };
}

function retryable(err: unknown): boolean {
  return (
    isSdkError(err) &&
    retryableStatus(err.statusCode, err instanceof lazy.loaded()!.ElevenLabsTimeoutError)
  );
}

function translate(err: unknown, model: string, retried: string): TranscribeError {
  const failure = isSdkError(err)
    ? { status: err.statusCode, ...detailOf(err), cause: err.cause }
    : undefined;
  if (failure) {
    const { status, code, message } = failure;
    // ElevenLabs answers 401 for a spent quota too: it is not the key
    if (code === 'quota_exceeded') {
      return new TranscribeError(
        'rate-limited',
        `Out of ElevenLabs credits (${status}: ${message}). Top up at https://elevenlabs.io/app/subscription, or switch provider with \`whis config set provider …\`; \`whis retry\` then: the audio is kept.`,
        { cause: err, ...(status === undefined ? {} : { status }) },
      );
    }
  }
  return sdkError(err, failure, {
    provider: 'ElevenLabs',
    model,
    defaultModel: KEY.defaultModel,
    limit: 'ElevenLabs allows 3 GB',
    keyHelp: keyHelp(KEY),
    retried,
    modelRefused: (status, message) => (status === 400 || status === 422) && /model/i.test(message),
    audioRefused: (status, message) =>
      status === 400 && /audio|file|format|corrupt|unsupported/i.test(message),
  });
}

/** A Transcriber over ElevenLabs' speech to text (`speechToText.convert`). */
export function createElevenLabsTranscriber(options: TranscriberOptions) {
  if (!options.apiKey) throw new TranscribeError('no-api-key', `No API key. ${keyHelp(KEY)}`);
  const model = options.model ?? KEY.defaultModel;
  let client: Promise<ElevenLabsSdk.ElevenLabsClient> | undefined;
  // the SDK's retries are off: the shared loop retries within the upload's budget
  const connect = () =>
    (client ??= load().then(
      (m) =>
        new m.ElevenLabsClient({
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
        ).speechToText.convert(
          {
            file,
            modelId: model,
            ...(language ? { languageCode: language } : {}),
            ...(options.keywords?.length ? { keyterms: options.keywords } : {}),
          },
          // the SDK's timeout comes a second after ours: its timer is not cleared when the request
          // fails (SDK 5.13/2.73), and keeps a one-shot command alive until it fires
          { abortSignal: signal, maxRetries: 0, timeoutInSeconds: timeoutMs / 1000 + 1 },
        );
        return { text: answer.text };
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

/** ElevenLabs' realtime model: Scribe's file models do not stream. */
const LIVE_MODEL = 'scribe_v2_realtime';

/** What a live session is opened with. */
export interface ElevenLabsLiveOptions {
  apiKey: string;
  baseURL?: string;
  /** Default `scribe_v2_realtime`. */
  model?: string;
  language?: string;
  keywords?: string[];
}

/**
 * One recording streamed to ElevenLabs' realtime speech to text (`wss …/v1/speech-to-text/realtime`,
 * PCM at 16 kHz, commits by hand) through the SDK's connection: each segment's audio as it is
 * recorded, a commit at its end, the `committed_transcript` its text.
 */
export function openElevenLabsLive(
  options: ElevenLabsLiveOptions,
  events?: LiveSessionOptions,
): LiveSession {
  const language = options.language?.split(',')[0]?.trim();
  return new StreamedLiveSession(
    'ElevenLabs',
    async (link) => {
      const m = await load();
      const client = new m.ElevenLabsClient({
        apiKey: options.apiKey,
        ...(options.baseURL ? { baseUrl: options.baseURL } : {}),
      });
      const connection = await client.speechToText.realtime.connect({
        modelId: options.model ?? LIVE_MODEL,
        audioFormat: m.AudioFormat.PCM_16000,
        sampleRate: 16_000,
        commitStrategy: m.CommitStrategy.MANUAL,
        ...(language ? { languageCode: language } : {}),
        ...(options.keywords?.length ? { keyterms: options.keywords } : {}),
      });
      const { RealtimeEvents } = m;
      await new Promise<void>((resolve, reject) => {
        connection.on(RealtimeEvents.SESSION_STARTED, () => resolve());
        connection.on(RealtimeEvents.ERROR, (err: unknown) =>
          reject(new Error(`ElevenLabs refused the session: ${JSON.stringify(err)}`)),
        );
        connection.on(RealtimeEvents.CLOSE, () => reject(new Error('the connection closed')));
      });
      connection.on(RealtimeEvents.COMMITTED_TRANSCRIPT, (data: unknown) => {
        link.piece((data as { text?: string }).text ?? '');
        link.committed();
      });
      connection.on(RealtimeEvents.ERROR, (err: unknown) =>
        link.dropped(`ElevenLabs answered an error (${JSON.stringify(err)})`),
      );
      connection.on(RealtimeEvents.CLOSE, () => link.dropped('the connection closed'));
      return {
        send: (pcm) => connection.send({ audioBase64: Buffer.from(pcm).toString('base64') }),
        commit: () => connection.commit(),
        close: () => connection.close(),
      };
    },
    events,
  );
}

/** The ElevenLabs row of the providers. */
export const elevenlabs: ProviderRow = {
  summary: 'ElevenLabs (Scribe), with an ElevenLabs key',
  ...KEY,
  endpoint: 'https://api.elevenlabs.io',
  knowsModel: (model) => /^scribe_v\d+$/.test(model),
  resolve: (sources) => resolveProviderOptions(KEY, sources),
  async openLive(sources, logger, events) {
    const { apiKey, baseURL, language, keywords } = resolveProviderOptions(KEY, sources);
    logger.info({ provider: 'elevenlabs', model: LIVE_MODEL, baseURL }, 'live session opening');
    return openElevenLabsLive(
      {
        apiKey,
        ...(baseURL ? { baseURL } : {}),
        ...(language ? { language } : {}),
        ...(keywords ? { keywords } : {}),
      },
      events,
    );
  },
  liveModel: () => LIVE_MODEL,
  prepare: async () => {
    await load().catch(() => undefined);
  },
  createTranscriber: createElevenLabsTranscriber,
};
