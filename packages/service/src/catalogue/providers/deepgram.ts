// Deepgram's pre-recorded API (`POST /v1/listen`) through its SDK, `@deepgram/sdk`: the audio as the
// body, the model, smart formatting, the language and the keyterms as query parameters. The SDK
// loads with the first upload. Deepgram takes no free-text context: the preceding text is not sent.
import type * as DeepgramSdk from '@deepgram/sdk';
import type { LiveSession, LiveSessionOptions, Logger } from '@whis/contracts';
import {
  createUploadTranscriber,
  statusError,
  TranscribeError,
  type TranscriberOptions,
} from '@whis/transcribe';
import { keyHelp, resolveProviderOptions, type ProviderRow } from '../providers.js';

type Sdk = typeof DeepgramSdk;
let sdk: Sdk | undefined;
let loading: Promise<Sdk> | undefined;
const load = () =>
  (loading ??= import('@deepgram/sdk').then((m) => {
    sdk = m;
    return m;
  }));

const isSdkError = (err: unknown): err is DeepgramSdk.DeepgramError =>
  sdk !== undefined && err instanceof sdk.DeepgramError;

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
  if (!isSdkError(err)) return false;
  // no status: the request never got an answer (a refused or dropped connection)
  if (err.statusCode === undefined) return !(err instanceof sdk!.DeepgramTimeoutError);
  const status = err.statusCode;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function translate(err: unknown, model: string, retried: string): TranscribeError {
  if (isSdkError(err) && err.statusCode === undefined) {
    return new TranscribeError(
      'network',
      `Cannot reach Deepgram (${(err.cause as Error)?.message ?? err.message}${retried}). Check the network or baseURL.`,
      { cause: err },
    );
  }
  if (isSdkError(err)) {
    const { code, message } = detailOf(err);
    const status = err.statusCode;
    if (status === 400 && /model/i.test(message) && /not|no such|invalid/i.test(message)) {
      return new TranscribeError(
        'model-unavailable',
        `Deepgram does not serve the model "${model}" (400: ${message}). Switch with \`whis config set model nova-3\`, then \`whis retry\`: the audio is kept.`,
        { cause: err, status },
      );
    }
    if (status === 400 && /audio|media|corrupt|unsupported/i.test(message)) {
      return new TranscribeError(
        'bad-request',
        `Deepgram could not read the audio (400: ${message}). Check the file, or convert it to WAV, MP3 or Ogg first.`,
        { cause: err, status },
      );
    }
    return statusError(status, code ? `${message} (${code})` : message, {
      retried,
      keyHelp: keyHelp(KEY),
      limit: 'Deepgram allows 2 GB',
      cause: err,
    });
  }
  return new TranscribeError(
    'bad-response',
    `Unexpected reply from Deepgram: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
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

type LiveSocket = Awaited<ReturnType<DeepgramSdk.DeepgramClient['listen']['v1']['connect']>>;

/** What a live session is opened with. */
export interface DeepgramLiveOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  language?: string;
  keywords?: string[];
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** How long a finalized segment may take to come back before it is uploaded instead. Default 15 s. */
  segmentTimeoutMs?: number;
}

interface LiveSegment {
  index: number;
  text: Promise<string>;
  pieces: string[];
  resolve(text: string): void;
  reject(error: Error): void;
  socket: LiveSocket | undefined;
  settled: boolean;
  finalized: boolean;
  timer?: NodeJS.Timeout;
}

const liveFailure = (message: string, cause?: unknown) =>
  new TranscribeError('live-failed', message, cause === undefined ? undefined : { cause });

/**
 * One recording streamed to Deepgram's live API (`wss …/v1/listen`, linear16 at 16 kHz) through the
 * SDK's socket, its own reconnects off: each segment's audio as it is recorded, a `Finalize` when
 * it ends; the final `Results` that come back are its deltas, the one `from_finalize` its end. A
 * dropped connection rejects the segments it held (they are uploaded), and the next segment opens
 * a new one.
 */
export class DeepgramLiveSession implements LiveSession {
  readonly segmentMs = 1000;
  private readonly segments: LiveSegment[] = [];
  private current: LiveSegment | undefined;
  private socket: LiveSocket | undefined;
  private opening: Promise<LiveSocket> | undefined;
  private closed = false;

  constructor(
    private readonly options: DeepgramLiveOptions,
    private readonly events: LiveSessionOptions = {},
  ) {}

  append(pcm: Int16Array, segment: number): void {
    if (this.closed) return;
    if (this.current?.index !== segment) this.begin(segment);
    const current = this.current!;
    if (current.settled || current.finalized) return;
    const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength).slice();
    void this.connect().then(
      (socket) => {
        if (current.socket === undefined) current.socket = socket;
        if (current.socket !== socket || current.settled) return;
        socket.sendMedia(bytes);
      },
      (err: unknown) => this.fail(current, 'Deepgram live connection failed', err),
    );
  }

  text(segment: number): Promise<string> {
    const found = this.segments.find((s) => s.index === segment);
    return found ? found.text : Promise.reject(liveFailure(`No live segment ${segment}.`));
  }

  end(): void {
    const current = this.current;
    if (!current || current.finalized || current.settled) return;
    current.finalized = true;
    void this.connect().then(
      (socket) => {
        if (current.settled) return;
        if (current.socket !== socket) {
          this.fail(current, 'the Deepgram connection changed under the segment');
          return;
        }
        socket.sendFinalize({ type: 'Finalize' });
        current.timer = setTimeout(
          () => this.fail(current, 'no final text from Deepgram in time'),
          this.options.segmentTimeoutMs ?? 15_000,
        );
      },
      (err: unknown) => this.fail(current, 'Deepgram live connection failed', err),
    );
  }

  close(): void {
    this.closed = true;
    for (const segment of this.segments) this.fail(segment, 'the live session was closed');
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      try {
        socket.sendCloseStream({ type: 'CloseStream' });
      } catch {
        // already gone
      }
      socket.close();
    }
  }

  private begin(index: number): void {
    // a segment not ended yet is ended by the next one's first audio
    this.end();
    let resolve!: (text: string) => void;
    let reject!: (error: Error) => void;
    const text = new Promise<string>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // the caller may ask later: a rejection here is not unhandled
    text.catch(() => undefined);
    const segment: LiveSegment = {
      index,
      text,
      pieces: [],
      resolve,
      reject,
      socket: undefined,
      settled: false,
      finalized: false,
    };
    this.segments.push(segment);
    this.current = segment;
  }

  private fail(segment: LiveSegment, why: string, cause?: unknown): void {
    if (segment.settled) return;
    segment.settled = true;
    clearTimeout(segment.timer);
    segment.reject(liveFailure(`Segment ${segment.index} not transcribed live: ${why}.`, cause));
  }

  // the segments waiting for this socket's text, oldest first: its results are theirs, in order
  private waiting(socket: LiveSocket): LiveSegment | undefined {
    return this.segments.find((s) => !s.settled && s.socket === socket);
  }

  private connect(): Promise<LiveSocket> {
    if (this.socket) return Promise.resolve(this.socket);
    const language = this.options.language?.split(',')[0]?.trim();
    return (this.opening ??= (async () => {
      const m = await load();
      const client = new m.DeepgramClient({
        apiKey: this.options.apiKey,
        reconnect: false,
        ...(this.options.baseURL ? { baseUrl: this.options.baseURL } : {}),
      });
      const socket = await client.listen.v1.connect({
        model: this.options.model,
        encoding: 'linear16',
        sample_rate: 16_000,
        smart_format: 'true',
        interim_results: 'false',
        ...(language ? { language } : {}),
        ...(this.options.keywords?.length ? { keyterm: this.options.keywords } : {}),
        Authorization: `Token ${this.options.apiKey}`,
        reconnectAttempts: 0,
        connectionTimeoutInSeconds: 10,
      });
      socket.on('message', (message) => this.onMessage(socket, message));
      const dropped = (why: string, cause?: unknown) => {
        if (this.socket === socket) this.socket = undefined;
        for (const segment of this.segments)
          if (segment.socket === socket) this.fail(segment, why, cause);
      };
      socket.on('close', (event) => dropped(`the connection closed (${event.code})`));
      socket.on('error', (err) => dropped('the connection failed', err));
      socket.connect();
      await socket.waitForOpen();
      this.options.logger?.debug({ model: this.options.model }, 'deepgram live connection open');
      this.socket = socket;
      return socket;
    })().finally(() => {
      this.opening = undefined;
    }));
  }

  private onMessage(socket: LiveSocket, message: unknown): void {
    const results = message as {
      type?: string;
      is_final?: boolean;
      from_finalize?: boolean;
      channel?: { alternatives?: Array<{ transcript?: string }> };
    };
    if (results.type !== 'Results') return;
    const segment = this.waiting(socket);
    if (!segment) return;
    const piece = results.channel?.alternatives?.[0]?.transcript?.trim() ?? '';
    if (results.is_final && piece) {
      segment.pieces.push(piece);
      this.events.onDelta?.(segment.index, segment.pieces.length > 1 ? ` ${piece}` : piece);
    }
    if (results.from_finalize && segment.finalized) {
      segment.settled = true;
      clearTimeout(segment.timer);
      segment.resolve(segment.pieces.join(' '));
    }
  }
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
    return new DeepgramLiveSession(
      {
        apiKey,
        model,
        logger,
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
