import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import type OpenAI from 'openai';
import type {
  Transcriber as ContractTranscriber,
  TranscribeOptions,
  UploadAttempt as ContractAttempt,
} from '@whis/contracts';
import { retryDelayMs, uploadBudget } from './budget.js';
import { TranscribeError } from './errors.js';
import { isSilenceHallucination, mergeTranscripts } from './merge.js';
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

/** How much of the preceding text goes into the prompt (the models read a few hundred tokens). */
const CONTEXT_CHARS = 800;

const KEY_HELP =
  'Set it with `whis config --api-key sk-…` or the OPENAI_API_KEY environment variable.';

/** An attempt that got no answer within its share of the budget. */
class AttemptTimeout extends Error {}

/** What an upload's attempts came to, for the message of the error that ends it. */
interface Tries {
  attempts: number;
  elapsedMs: number;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

// The SDK (about 10 MB) loads with the first upload, so an idle service does not hold it. Its error
// classes are known from then on: an error from before the first upload is never the SDK's.
let Sdk: typeof OpenAI | undefined;
let loading: Promise<typeof OpenAI> | undefined;
const loadSdk = () =>
  (loading ??= import('openai').then((m) => {
    Sdk = m.default;
    return Sdk;
  }));
const isSdkError = <
  K extends 'APIError' | 'APIUserAbortError' | 'APIConnectionError' | 'APIConnectionTimeoutError',
>(
  err: unknown,
  kind: K,
): err is InstanceType<(typeof OpenAI)[K]> => Sdk !== undefined && err instanceof Sdk[kind];

/**
 * Loads the openai SDK ahead of the first upload (the service calls it when a recording starts, so
 * the first transcription does not wait for the import). Never rejects: the upload reports failures.
 */
export async function prepareTranscriber(): Promise<void> {
  await loadSdk().catch(() => undefined);
}

// The SDK's errors become TranscribeErrors that say what to do. Retries are ours (the SDK's are off):
// exactly 408, 409, 429 (honouring retry-after), 5xx, connection errors and timeouts, with the SDK's
// backoff, within the upload's time budget; never 400/401/403/413.
function translate(
  err: unknown,
  signal: AbortSignal | undefined,
  model: string,
  tries?: Tries,
): TranscribeError {
  if (err instanceof TranscribeError) return err;
  if (signal?.aborted || isSdkError(err, 'APIUserAbortError')) {
    return new TranscribeError('aborted', 'The transcription was cancelled.', { cause: err });
  }
  const retried = tries && tries.attempts > 1 ? `, ${tries.attempts} attempts` : '';
  if (err instanceof AttemptTimeout || isSdkError(err, 'APIConnectionTimeoutError')) {
    return new TranscribeError(
      'timeout',
      `The transcription service did not answer (gave up after ${seconds(tries?.elapsedMs ?? 0)}${retried}). ` +
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
    switch (status) {
      case 401:
        return new TranscribeError('auth', `The API key was refused (401). ${KEY_HELP}`, {
          cause: err,
          status,
        });
      case 403:
        return new TranscribeError(
          'forbidden',
          `The API key may not use this model or endpoint (403): ${detail}`,
          { cause: err, status },
        );
      case 413:
        return new TranscribeError(
          'too-large',
          'The audio chunk is over the provider’s upload limit (413; OpenAI allows 25 MB). Lower the chunk size or duration.',
          { cause: err, status },
        );
      case 429:
        return new TranscribeError(
          'rate-limited',
          `Rate limited or out of quota (429${retried}): ${detail}`,
          { cause: err, status },
        );
      case 400:
        return new TranscribeError(
          'bad-request',
          `The provider rejected the request (400): ${detail}`,
          { cause: err, status },
        );
      default:
        if (status !== undefined && status >= 500) {
          return new TranscribeError(
            'server',
            `The transcription service failed (HTTP ${status}${retried}): ${detail}`,
            { cause: err, status },
          );
        }
        return new TranscribeError(
          'bad-response',
          `Unexpected reply from the transcription service (HTTP ${status}): ${detail}`,
          { cause: err, status },
        );
    }
  }
  return new TranscribeError(
    'bad-response',
    `Unexpected reply from the transcription service: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}

/** Runs `work` over `items` with at most `limit` at once; results in input order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(runners);
  return results;
}

/** Is this failure worth another attempt? The SDK's own rule (its retries are off). */
function retryable(err: unknown): boolean {
  if (err instanceof AttemptTimeout || isSdkError(err, 'APIConnectionError')) return true;
  if (!isSdkError(err, 'APIError') || isSdkError(err, 'APIUserAbortError')) return false;
  const should = err.headers?.get('x-should-retry');
  if (should === 'true' || should === 'false') return should === 'true';
  const status = err.status ?? 0;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function describeFailure(err: unknown): string {
  if (err instanceof AttemptTimeout) return err.message;
  if (isSdkError(err, 'APIError') && err.status) return `HTTP ${err.status}`;
  return (err as Error)?.message ?? String(err);
}

/** Waits `ms`, or rejects at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve();
    }, ms);
    signal.addEventListener('abort', done, { once: true });
  });
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
  const concurrency = Math.max(1, options.maxConcurrency ?? 3);
  const attempts = Math.max(0, options.maxRetries ?? 2) + 1;
  const fieldsFor = (context: string | undefined) =>
    requestFields(model, {
      languages: options.language?.split(',').map((l) => l.trim()),
      prompt: [options.prompt, context?.slice(-CONTEXT_CHARS)].filter(Boolean).join(' '),
      keywords: options.keywords,
    });

  // One attempt, ended by its own timer, by the caller's signal or by a failing sibling.
  async function attempt(
    params: OpenAI.Audio.TranscriptionCreateParamsNonStreaming,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<{ text?: unknown }> {
    const own = new AbortController();
    const timer = setTimeout(
      () => own.abort(new AttemptTimeout(`no answer in ${seconds(timeoutMs)}`)),
      timeoutMs,
    );
    const forward = () => own.abort(signal.reason);
    if (signal.aborted) forward();
    signal.addEventListener('abort', forward, { once: true });
    try {
      return await (
        await connect()
      ).audio.transcriptions.create(params, {
        signal: own.signal,
        // the SDK's timeout stays out of the way of ours
        timeout: timeoutMs + 60_000,
      });
    } catch (err) {
      if (!signal.aborted && own.signal.reason instanceof AttemptTimeout) throw own.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', forward);
    }
  }

  async function one(
    chunk: AudioChunkInput,
    index: number,
    signal: AbortSignal,
    call: TranscribeCallOptions,
  ): Promise<string> {
    if (chunk.speech === false) return '';
    // a File over a file-backed Blob: the SDK streams it from disk as it uploads, so the first
    // byte leaves at once whatever the recording's length (toFile would read it all first)
    const blob = await openAsBlob(chunk.path, { type: chunk.mimeType });
    const file = new File([blob], basename(chunk.path), { type: chunk.mimeType });
    // fields the typed client of SDK 6 does not know yet (`keywords`, `languages`) travel in the
    // same body: the SDK turns every property into a multipart field, lists as `name[]`
    const params = {
      file,
      model,
      ...fieldsFor(call.context),
    } as OpenAI.Audio.TranscriptionCreateParamsNonStreaming;
    const budget = uploadBudget(
      { durationMs: chunk.durationMs, bytes: blob.size },
      options.timeoutScale,
    );
    const started = Date.now();
    const deadline = started + budget.totalMs;
    let previousError: string | undefined;
    for (let n = 1; ; n++) {
      const timeoutMs = Math.min(budget.attemptMs, deadline - Date.now());
      call.onAttempt?.({
        chunk: index,
        attempt: n,
        attempts,
        timeoutMs,
        ...(previousError ? { previousError } : {}),
      });
      let result: { text?: unknown };
      try {
        result = await attempt(params, signal, timeoutMs);
      } catch (err) {
        const tries = { attempts: n, elapsedMs: Date.now() - started };
        if (signal.aborted || n >= attempts || !retryable(err))
          throw translate(err, signal, model, tries);
        const wait = retryDelayMs(n, isSdkError(err, 'APIError') ? err.headers : undefined);
        // another attempt needs time to send the audio and hear back: a second at least
        if (Date.now() + wait + 1000 > deadline) throw translate(err, signal, model, tries);
        previousError = describeFailure(err);
        try {
          await pause(wait, signal);
        } catch {
          throw translate(err, signal, model, tries);
        }
        continue;
      }
      if (typeof result?.text !== 'string')
        throw new TranscribeError(
          'bad-response',
          'The transcription service answered without a "text" field.',
        );
      // only audio nobody judged is filtered by its text: a reply heard as speech is kept
      return chunk.speech !== true && isSilenceHallucination(result.text) ? '' : result.text.trim();
    }
  }

  return {
    async transcribe(chunks, call = {}) {
      // one failed chunk cancels its siblings: the recording is kept and retried as a whole
      const abort = new AbortController();
      const onAbort = () => abort.abort();
      call.signal?.addEventListener('abort', onAbort, { once: true });
      if (call.signal?.aborted) abort.abort();
      let done = 0;
      call.onProgress?.({ done, total: chunks.length });
      try {
        const texts = await mapBounded(chunks, concurrency, async (chunk, index) => {
          try {
            const text = await one(chunk, index, abort.signal, call);
            call.onProgress?.({ done: ++done, total: chunks.length });
            return text;
          } catch (err) {
            abort.abort();
            throw err;
          }
        });
        return { text: mergeTranscripts(texts) };
      } catch (err) {
        throw translate(err, call.signal, model);
      } finally {
        call.signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}
