// How a provider SDK's failure becomes whis's coded error, the same for every provider with an SDK
// of its own: no answer at all, a model it does not serve, audio it cannot read, else by status
// (`statusError`, shared with OpenAI's transcriber). Each provider says how to read its own body.
import { statusError, TranscribeError } from '@whis/transcribe';

/** What a provider's error said: its HTTP status (none: no answer came), its code and message. */
export interface SdkFailure {
  status: number | undefined;
  code?: string;
  message: string;
  /** The connection's own reason, when no answer came. */
  cause?: unknown;
}

export interface SdkErrorContext {
  provider: string;
  model: string;
  /** The provider's current model, for the fix of a refused one. */
  defaultModel: string;
  /** e.g. "Deepgram allows 2 GB", for a file over the upload limit. */
  limit: string;
  keyHelp: string;
  /** ", 3 attempts" when it was tried more than once. */
  retried: string;
  modelRefused(status: number, message: string): boolean;
  audioRefused(status: number, message: string): boolean;
}

/** The SDK's own rule for another attempt (its retries are off): no answer, 408, 409, 429, 5xx. */
export function retryableStatus(status: number | undefined, timedOut: boolean): boolean {
  if (status === undefined) return !timedOut;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The coded error for `err`; `failure` undefined: not the SDK's error (an unexpected reply). */
export function sdkError(
  err: unknown,
  failure: SdkFailure | undefined,
  context: SdkErrorContext,
): TranscribeError {
  const { provider, model } = context;
  if (!failure) {
    return new TranscribeError(
      'bad-response',
      `Unexpected reply from ${provider}: ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    );
  }
  const { status, code, message } = failure;
  if (status === undefined) {
    return new TranscribeError(
      'network',
      `Cannot reach ${provider} (${(failure.cause as Error)?.message ?? message}${context.retried}). Check the network or baseURL.`,
      { cause: err },
    );
  }
  if (context.modelRefused(status, message)) {
    return new TranscribeError(
      'model-unavailable',
      `${provider} does not serve the model "${model}" (${status}: ${message}). Switch with \`whis config set model ${context.defaultModel}\`, then \`whis retry\`: the audio is kept.`,
      { cause: err, status },
    );
  }
  if (context.audioRefused(status, message)) {
    return new TranscribeError(
      'bad-request',
      `${provider} could not read the audio (${status}: ${message}). Check the file, or convert it to WAV, MP3 or Ogg first.`,
      { cause: err, status },
    );
  }
  return statusError(status, code ? `${message} (${code})` : message, {
    retried: context.retried,
    keyHelp: context.keyHelp,
    limit: context.limit,
    cause: err,
  });
}
