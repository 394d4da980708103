// What every upload engine shares, whatever the provider: chunks uploaded a few at once, each within
// its time budget, retried when the provider's failure is worth it (honouring retry-after), a
// failed chunk cancelling its siblings, silence hallucinations dropped, texts merged in order. A
// provider says only how one attempt is sent and what its failures mean.
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { retryDelayMs, uploadBudget } from './budget.js';
import { TranscribeError } from './errors.js';
import { isSilenceHallucination, mergeTranscripts } from './merge.js';
import type { AudioChunkInput, TranscribeCallOptions, Transcriber } from './transcriber.js';

/** What an upload's attempts came to, for the message of the error that ends it. */
export interface Tries {
  attempts: number;
  elapsedMs: number;
}

/** How one provider uploads a chunk and reads its failures (see {@link createUploadTranscriber}). */
export interface UploadProvider {
  /**
   * One attempt at one chunk: the answer, its text in `text`. `signal` ends it (its own time, the caller, a failed
   * sibling); `timeoutMs` is its share of the budget, for a client that wants a timeout of its own.
   */
  send(
    file: File,
    request: { context: string | undefined; signal: AbortSignal; timeoutMs: number },
  ): Promise<{ text?: unknown }>;
  /** Whether the failure is worth another attempt (408, 409, 429, 5xx, a connection error). */
  retryable(err: unknown): boolean;
  /** The headers of the failed answer, for its retry-after. */
  headers?(err: unknown): Headers | undefined;
  /** The failure in a few words, for the next attempt's `previousError` (`HTTP 429`). */
  describe(err: unknown): string;
  /**
   * The provider's failure as a coded error with the fix in its message; `retried` is `, 3
   * attempts` after retries, else empty. Timeouts and cancellations are handled before it is asked.
   */
  translate(err: unknown, retried: string, tries: Tries | undefined): TranscribeError;
  /** Whether the provider's client reports this failure as a cancellation. */
  aborted?(err: unknown): boolean;
}

/** The options the shared loop reads (a provider's own options extend them). */
export interface UploadLoopOptions {
  /** Multiplies every upload's time budget; default 1. */
  timeoutScale?: number;
  /** Chunks uploaded at once. Default 3. */
  maxConcurrency?: number;
  /** Retries within the upload's time budget. Default 2 (three attempts). */
  maxRetries?: number;
}

/** How much of the preceding text goes into the context (the models read a few hundred tokens). */
export const CONTEXT_CHARS = 800;

/** An attempt that got no answer within its share of the budget. */
export class AttemptTimeout extends Error {}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * The coded error of an HTTP status a provider answered, with the fix: `keyHelp` says how to set
 * the key, `limit` names the provider's upload limit. Shared so every provider says the same.
 */
export function statusError(
  status: number | undefined,
  detail: string,
  {
    retried,
    keyHelp,
    limit,
    cause,
  }: { retried: string; keyHelp: string; limit: string; cause: unknown },
): TranscribeError {
  const options = { cause, ...(status === undefined ? {} : { status }) };
  switch (status) {
    case 401:
      return new TranscribeError('auth', `The API key was refused (401). ${keyHelp}`, options);
    case 402:
      return new TranscribeError(
        'rate-limited',
        `Out of credit or quota (402${retried}): ${detail}. Top up the account, or switch provider with \`whis config set provider …\`.`,
        options,
      );
    case 403:
      return new TranscribeError(
        'forbidden',
        `The API key may not use this model or endpoint (403): ${detail}`,
        options,
      );
    case 413:
      return new TranscribeError(
        'too-large',
        `The audio chunk is over the provider’s upload limit (413; ${limit}). Lower the chunk size or duration.`,
        options,
      );
    case 429:
      return new TranscribeError(
        'rate-limited',
        `Rate limited or out of quota (429${retried}): ${detail}`,
        options,
      );
    case 400:
    case 415:
    case 422:
      return new TranscribeError(
        'bad-request',
        `The provider rejected the request (${status}): ${detail}`,
        options,
      );
    default:
      if (status !== undefined && status >= 500) {
        return new TranscribeError(
          'server',
          `The transcription service failed (HTTP ${status}${retried}): ${detail}`,
          options,
        );
      }
      return new TranscribeError(
        'bad-response',
        `Unexpected reply from the transcription service (HTTP ${status}): ${detail}`,
        options,
      );
  }
}

// What every provider's failure becomes before the provider is asked: its own coded errors pass,
// a cancellation and a timeout read the same whoever uploaded.
function translate(
  provider: UploadProvider,
  err: unknown,
  signal: AbortSignal | undefined,
  tries?: Tries,
): TranscribeError {
  if (err instanceof TranscribeError) return err;
  if (signal?.aborted || provider.aborted?.(err)) {
    return new TranscribeError('aborted', 'The transcription was cancelled.', { cause: err });
  }
  const retried = tries && tries.attempts > 1 ? `, ${tries.attempts} attempts` : '';
  if (err instanceof AttemptTimeout) {
    return new TranscribeError(
      'timeout',
      `The transcription service did not answer (gave up after ${seconds(tries?.elapsedMs ?? 0)}${retried}). ` +
        'Check the network and the endpoint; for a slow self-hosted server give it more time: `whis config set uploadTimeoutScale 3`.',
      { cause: err },
    );
  }
  return provider.translate(err, retried, tries);
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

/**
 * A Transcriber whose uploads go through `provider`: the retries, budgets, concurrency, merging
 * and error codes of every upload engine, the provider's wire alone its own.
 */
export function createUploadTranscriber(
  provider: UploadProvider,
  options: UploadLoopOptions = {},
): Transcriber {
  const concurrency = Math.max(1, options.maxConcurrency ?? 3);
  const attempts = Math.max(0, options.maxRetries ?? 2) + 1;

  // One attempt, ended by its own timer, by the caller's signal or by a failing sibling.
  async function attempt(
    file: File,
    context: string | undefined,
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
      return await provider.send(file, { context, signal: own.signal, timeoutMs });
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
    // a File over a file-backed Blob: the client streams it from disk as it uploads, so the first
    // byte leaves at once whatever the recording's length
    const blob = await openAsBlob(chunk.path, { type: chunk.mimeType });
    const file = new File([blob], basename(chunk.path), { type: chunk.mimeType });
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
      let text: unknown;
      try {
        ({ text } = await attempt(file, call.context, signal, timeoutMs));
      } catch (err) {
        const tries = { attempts: n, elapsedMs: Date.now() - started };
        const again = err instanceof AttemptTimeout || provider.retryable(err);
        if (signal.aborted || n >= attempts || !again)
          throw translate(provider, err, signal, tries);
        const wait = retryDelayMs(n, provider.headers?.(err));
        // another attempt needs time to send the audio and hear back: a second at least
        if (Date.now() + wait + 1000 > deadline) throw translate(provider, err, signal, tries);
        previousError = err instanceof AttemptTimeout ? err.message : provider.describe(err);
        try {
          await pause(wait, signal);
        } catch {
          throw translate(provider, err, signal, tries);
        }
        continue;
      }
      if (typeof text !== 'string')
        throw new TranscribeError(
          'bad-response',
          'The transcription service answered without a "text" field.',
        );
      // only audio nobody judged is filtered by its text: a reply heard as speech is kept
      return chunk.speech !== true && isSilenceHallucination(text) ? '' : text.trim();
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
        throw translate(provider, err, call.signal);
      } finally {
        call.signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}
