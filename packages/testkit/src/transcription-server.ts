// Owner: the @whis/transcribe work. A local server that speaks the OpenAI transcription API.

export interface TranscriptionRequest {
  model: string;
  language?: string;
  prompt?: string;
  filename: string;
  audio: Buffer;
  authorization: string | undefined;
}

export interface TranscriptionServer {
  /** e.g. `http://127.0.0.1:40123/v1`, for the openai SDK's `baseURL`. */
  baseURL: string;
  requests: TranscriptionRequest[];
  close(): Promise<void>;
}

export type TranscriptionHandler = (
  request: TranscriptionRequest,
) => Promise<{ status: number; body: string; headers?: Record<string, string> }>;

/**
 * Starts `POST /v1/audio/transcriptions` on 127.0.0.1. Without a handler it runs
 * pocketsphinx on the uploaded audio and answers `{"text": …}`.
 */
export async function startTranscriptionServer(
  _handler?: TranscriptionHandler,
): Promise<TranscriptionServer> {
  throw new Error('startTranscriptionServer: not implemented yet');
}
