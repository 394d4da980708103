import type OpenAI from 'openai';
import {
  lazyModule,
  type Transcriber as ContractTranscriber,
  type TranscribeOptions,
  type UploadAttempt as ContractAttempt,
} from '@whis/contracts';
import { TranscribeError } from './errors.js';
import { CONTEXT_CHARS, createUploadTranscriber, statusError } from './uploads.js';
import { DEFAULT_MODEL, LEGACY_SHUTDOWN, modelFamily, requestFields } from './models.js';

/** One encoded piece of a recording (structurally the AudioChunk port of @whis/contracts). */
export interface AudioChunkInput {
  path: string;
  mimeType: string;
  durationMs: number;
  /**
   * Whether a speech detector heard speech in it (`AudioChunk.speech`). `false`: not uploaded, its
   * text is empty. `true`: its text is kept whatever it says, "Thank you." included. Absent: a
   * text that is only a known silence hallucination is dropped.
   */
  speech?: boolean;
}

/** An attempt at uploading one chunk; this transcriber always says its `timeoutMs`. */
export type UploadAttempt = ContractAttempt & { timeoutMs: number };

/** The options of one `transcribe` call: the TranscribeOptions port of @whis/contracts. */
export type TranscribeCallOptions = Omit<TranscribeOptions, 'onAttempt'> & {
  onAttempt?: (attempt: UploadAttempt) => void;
};

export interface TranscriberOptions {
  apiKey: string;
  /** Any OpenAI-compatible endpoint (Groq, a self-hosted server, …). Default: OpenAI. */
  baseURL?: string;
  /** `gpt-transcribe` (default), a legacy OpenAI model, or the endpoint's own (see `modelFamily`). */
  model?: string;
  /** ISO-639-1 language of the speech; several, comma separated, for `gpt-transcribe`. */
  language?: string;
  /** Context for the model (for legacy models: a vocabulary hint). */
  prompt?: string;
  /** Words and names to expect (for legacy models: added to the prompt). */
  keywords?: string[];
  /**
   * Multiplies every upload's time budget (see `uploadBudget`: a floor plus a multiple of the
   * audio's length), for slow self-hosted servers. Default 1.
   */
  timeoutScale?: number;
  /** Chunks uploaded at once. Default 3. */
  maxConcurrency?: number;
  /**
   * Retries on 408, 409, 429, 5xx, connection errors and timeouts, within the upload's time
   * budget. Default 2 (three attempts).
   */
  maxRetries?: number;
}

/** The Transcriber port of @whis/contracts, taking files that are not a recording's chunks too. */
export interface Transcriber extends ContractTranscriber {
  transcribe(
    chunks: readonly AudioChunkInput[],
    options?: TranscribeCallOptions,
  ): Promise<{ text: string }>;
}

const KEY_HELP =
  'Set it with `whis config --api-key sk-…` or the OPENAI_API_KEY environment variable.';

// The SDK (about 10 MB) loads with the first upload, so an idle service does not hold it. Its error
// classes are known from then on: an error from before the first upload is never the SDK's.
const sdk = lazyModule(() => import('openai').then((m) => m.default));
const loadSdk = sdk.load;
const isSdkError = <
  K extends 'APIError' | 'APIUserAbortError' | 'APIConnectionError' | 'APIConnectionTimeoutError',
>(
  err: unknown,
  kind: K,
): err is InstanceType<(typeof OpenAI)[K]> => {
  const Sdk = sdk.loaded();
  return Sdk !== undefined && err instanceof Sdk[kind];
};

/**
 * Loads the openai SDK ahead of the first upload (the service calls it when a recording starts, so
 * the first transcription does not wait for the import). Never rejects: the upload reports failures.
 */
export async function prepareTranscriber(): Promise<void> {
  await loadSdk().catch(() => undefined);
}

// The SDK's errors become TranscribeErrors that say what to do. Retries are the shared loop's (the
// SDK's are off): exactly 408, 409, 429 (honouring retry-after), 5xx, connection errors and
// timeouts, with the SDK's backoff, within the upload's time budget; never 400/401/403/413.
function translate(err: unknown, model: string, retried: string): TranscribeError {
  if (isSdkError(err, 'APIConnectionTimeoutError')) {
    return new TranscribeError(
      'timeout',
      `The transcription service did not answer${retried ? ` (${retried.slice(2)})` : ''}. ` +
        'Check the network and the endpoint; for a slow self-hosted server give it more time: `whis config set uploadTimeoutScale 3`.',
      { cause: err },
    );
  }
  if (isSdkError(err, 'APIConnectionError')) {
    return new TranscribeError(
      'network',
      `Cannot reach the transcription service (${(err.cause as Error)?.message ?? err.message}${retried}). Check the network or baseURL.`,
      { cause: err },
    );
  }
  if (isSdkError(err, 'APIError')) {
    const detail =
      err.error && typeof err.error === 'object' && 'message' in err.error
        ? String((err.error as { message: unknown }).message)
        : err.message;
    const status = err.status;
    const code = (err.error as { code?: unknown } | undefined)?.code ?? err.code;
    if (
      code === 'model_not_found' ||
      (typeof code === 'string' && /deprecat|decommission|retired/.test(code)) ||
      /deprecated|decommissioned|shut down/i.test(detail)
    ) {
      const retired =
        modelFamily(model) === 'legacy' ? ` OpenAI shut it down on ${LEGACY_SHUTDOWN}.` : '';
      return new TranscribeError(
        'model-unavailable',
        `The endpoint does not serve the model "${model}" (HTTP ${status}: ${detail}).${retired} ` +
          `Switch with \`whis config set model ${DEFAULT_MODEL}\` (or a model your endpoint lists), then \`whis retry\`: the audio is kept.`,
        { cause: err, status },
      );
    }
    return statusError(status, detail, {
      retried,
      keyHelp: KEY_HELP,
      limit: 'OpenAI allows 25 MB',
      cause: err,
    });
  }
  return new TranscribeError(
    'bad-response',
    `Unexpected reply from the transcription service: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}

/** Is this failure worth another attempt? The SDK's own rule (its retries are off). */
function retryable(err: unknown): boolean {
  if (isSdkError(err, 'APIConnectionError')) return true;
  if (!isSdkError(err, 'APIError') || isSdkError(err, 'APIUserAbortError')) return false;
  const should = err.headers?.get('x-should-retry');
  if (should === 'true' || should === 'false') return should === 'true';
  const status = err.status ?? 0;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function describeFailure(err: unknown): string {
  if (isSdkError(err, 'APIError') && err.status) return `HTTP ${err.status}`;
  return (err as Error)?.message ?? String(err);
}

/** A Transcriber over the openai SDK's `audio.transcriptions.create`. */
export function createTranscriber(options: TranscriberOptions): Transcriber {
  if (!options.apiKey) throw new TranscribeError('no-api-key', `No API key. ${KEY_HELP}`);
  // the SDK neither times out nor retries on its own: each upload's attempts follow its budget
  let client: Promise<OpenAI> | undefined;
  const connect = () =>
    (client ??= loadSdk().then(
      (Sdk) => new Sdk({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0 }),
    ));
  const model = options.model ?? DEFAULT_MODEL;
  const fieldsFor = (context: string | undefined) =>
    requestFields(model, {
      languages: options.language?.split(',').map((l) => l.trim()),
      prompt: [options.prompt, context?.slice(-CONTEXT_CHARS)].filter(Boolean).join(' '),
      keywords: options.keywords,
    });
  return createUploadTranscriber(
    {
      async send(file, { context, signal, timeoutMs }) {
        // fields the typed client of SDK 6 does not know yet (`keywords`, `languages`) travel in
        // the same body: the SDK turns every property into a multipart field, lists as `name[]`
        const params = {
          file,
          model,
          ...fieldsFor(context),
        } as OpenAI.Audio.TranscriptionCreateParamsNonStreaming;
        return (await connect()).audio.transcriptions.create(params, {
          signal,
          // the SDK's timeout stays out of the way of ours
          timeout: timeoutMs + 60_000,
        });
      },
      retryable,
      headers: (err) => (isSdkError(err, 'APIError') ? err.headers : undefined),
      describe: describeFailure,
      translate: (err, retried) => translate(err, model, retried),
      aborted: (err) => isSdkError(err, 'APIUserAbortError'),
    },
    options,
  );
}
