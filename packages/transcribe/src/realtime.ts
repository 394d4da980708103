import type { LiveSession, LiveSessionOptions, LiveTranscriber, Logger } from '@whis/contracts';
import type {
  InputAudioBufferAppendEvent,
  InputAudioBufferCommitEvent,
  RealtimeServerEvent,
  SessionUpdateEvent,
} from 'openai/resources/realtime/realtime';
import WebSocket from 'ws';
import { TranscribeError } from './errors.js';
import { LIVE_MODEL } from './models.js';

/** The Realtime API takes PCM16 at this rate only. */
export const REALTIME_RATE = 24_000;

export interface RealtimeOptions {
  apiKey: string;
  /** The endpoint the file uploads go to; the session is at `<baseURL>/realtime`. Default: OpenAI. */
  baseURL?: string;
  /** The transcription model of the session. Default `gpt-live-transcribe`. */
  model?: string;
  /** ISO-639-1 language of the speech. */
  language?: string;
  prompt?: string;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** How long a committed segment may take to come back before it is uploaded instead. Default 20 s. */
  segmentTimeoutMs?: number;
  /** A segment is cut at the first pause after this long, and its text comes then. Default 1000 ms. */
  segmentMs?: number;
  /** Connections that fail before the session is set up, in a row, before the session gives up. Default 3. */
  maxFailedConnections?: number;
}

/** `wss://api.openai.com/v1/realtime?intent=transcription` for the default endpoint. */
export function realtimeURL(baseURL = 'https://api.openai.com/v1'): string {
  const url = new URL(baseURL.replace(/\/+$/, '') + '/realtime');
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  url.searchParams.set('intent', 'transcription');
  return url.toString();
}

/** Linear-interpolating 16 kHz → 24 kHz upsampler (two samples in, three out) that carries its phase across calls. */
export class Upsampler {
  private last = 0;
  /** The next output's position in thirds of an input sample, in [last, ...input]. */
  private thirds = 3;

  push(input: Int16Array): Int16Array {
    const n = input.length;
    if (n === 0) return new Int16Array(0);
    const out = new Int16Array(Math.floor((3 * n - this.thirds) / 2) + 1);
    const at = (i: number) => (i === 0 ? this.last : input[i - 1]!);
    let written = 0;
    for (; this.thirds <= 3 * n; this.thirds += 2) {
      const i = Math.floor(this.thirds / 3);
      const f = (this.thirds % 3) / 3;
      const a = at(i);
      out[written++] = f === 0 ? a : Math.round(a + (at(i + 1) - a) * f);
    }
    this.thirds -= 3 * n;
    this.last = input[n - 1]!;
    return out.subarray(0, written);
  }
}

interface Segment {
  readonly index: number;
  readonly text: Promise<string>;
  resolve(text: string): void;
  reject(error: Error): void;
  connection: Connection | undefined;
  settled: boolean;
  committed: boolean;
  timer?: NodeJS.Timeout;
}

interface Connection {
  socket: WebSocket;
  /** Set up (`session.updated` seen). */
  ready: boolean;
  /** Committed segments waiting for their `input_audio_buffer.committed`, in order. */
  awaitingItem: Segment[];
  items: Map<string, Segment>;
  closed: boolean;
  /** What was sent before the handshake completed, sent in order once it does. */
  unsent: string[];
}

const failure = (message: string, cause?: unknown) =>
  new TranscribeError('live-failed', message, cause === undefined ? undefined : { cause });

/**
 * One recording streamed to a Realtime transcription session (the current, non-beta shapes):
 * `session.update` with the model, `audio/pcm` at 24 kHz and no turn detection; the audio appended
 * as it is recorded; a commit at the end of each segment, whose deltas and final text come back
 * as the item's transcription events. A segment whose connection dropped (or was never set up)
 * rejects, and the next segment opens a new connection.
 */
export class RealtimeSession implements LiveSession {
  private readonly segments = new Map<number, Segment>();
  private current: Segment | undefined;
  private connection: Connection | undefined;
  private failedConnections = 0;
  private closed = false;
  private upsampler = new Upsampler();
  private readonly url: string;
  readonly segmentMs: number;

  constructor(
    private readonly options: RealtimeOptions,
    private readonly events: LiveSessionOptions = {},
  ) {
    this.url = realtimeURL(options.baseURL);
    this.segmentMs = options.segmentMs ?? 1000;
  }

  append(pcm: Int16Array, segment: number): void {
    if (this.closed || this.segments.get(segment)?.committed) return;
    if (this.current?.index !== segment) this.begin(segment);
    const current = this.current!;
    if (current.settled || !current.connection || current.connection.closed) return;
    const audio = this.upsampler.push(pcm);
    if (audio.length === 0) return;
    const append: InputAudioBufferAppendEvent = {
      type: 'input_audio_buffer.append',
      audio: Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength).toString('base64'),
    };
    this.send(current.connection, append);
  }

  text(segment: number): Promise<string> {
    const known = this.segments.get(segment);
    if (known) return known.text;
    return Promise.reject(failure(`Segment ${segment} was not streamed live.`));
  }

  end(): void {
    this.commitCurrent();
    this.current = undefined;
  }

  close(): void {
    this.closed = true;
    for (const segment of this.segments.values())
      this.settle(segment, failure('The live session was closed before this segment came back.'));
    if (this.connection && !this.connection.closed) this.connection.socket.close(1000, 'done');
    this.connection = undefined;
  }

  private begin(index: number): void {
    this.commitCurrent();
    let resolve!: (text: string) => void;
    let reject!: (error: Error) => void;
    const text = new Promise<string>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    text.catch(() => undefined);
    const segment: Segment = {
      index,
      text,
      resolve,
      reject,
      connection: undefined,
      settled: false,
      committed: false,
    };
    this.segments.set(index, segment);
    this.current = segment;
    // the audio resampled for the new segment starts afresh, as its chunk file does
    this.upsampler = new Upsampler();
    if (!this.connection || this.connection.closed) {
      if (this.failedConnections >= (this.options.maxFailedConnections ?? 3)) {
        this.settle(
          segment,
          failure(
            `The live session could not be set up ${this.failedConnections} times; uploading instead.`,
          ),
        );
        return;
      }
      this.connection = this.connect();
    }
    segment.connection = this.connection;
  }

  private commitCurrent(): void {
    const segment = this.current;
    if (!segment || segment.committed) return;
    segment.committed = true;
    const connection = segment.connection;
    if (segment.settled || !connection || connection.closed) return;
    const commit: InputAudioBufferCommitEvent = { type: 'input_audio_buffer.commit' };
    this.send(connection, commit);
    connection.awaitingItem.push(segment);
    segment.timer = setTimeout(
      () => this.settle(segment, failure('The live transcription of this segment timed out.')),
      this.options.segmentTimeoutMs ?? 20_000,
    );
    segment.timer.unref?.();
  }

  private connect(): Connection {
    const socket = new WebSocket(this.url, {
      headers: { Authorization: `Bearer ${this.options.apiKey}` },
      handshakeTimeout: 10_000,
    });
    const connection: Connection = {
      socket,
      ready: false,
      awaitingItem: [],
      items: new Map(),
      closed: false,
      unsent: [],
    };
    const update: SessionUpdateEvent = {
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: REALTIME_RATE },
            transcription: {
              model: this.options.model ?? LIVE_MODEL,
              ...(this.options.language ? { language: this.options.language } : {}),
              ...(this.options.prompt ? { prompt: this.options.prompt } : {}),
            },
            turn_detection: null,
          },
        },
      },
    };
    this.send(connection, update);
    socket.once('open', () => {
      for (const line of connection.unsent.splice(0)) socket.send(line);
    });
    socket.on('message', (data) => this.receive(connection, data.toString()));
    socket.on('error', (err) => this.lose(connection, err.message));
    socket.on('close', (code, reason) =>
      this.lose(
        connection,
        `the connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`,
      ),
    );
    return connection;
  }

  private send(connection: Connection, event: object): void {
    const line = JSON.stringify(event);
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.send(line);
    else connection.unsent.push(line);
  }

  private receive(connection: Connection, raw: string): void {
    let event: RealtimeServerEvent;
    try {
      event = JSON.parse(raw) as RealtimeServerEvent;
    } catch {
      this.options.logger?.warn({ raw: raw.slice(0, 200) }, 'unreadable realtime event');
      return;
    }
    switch (event.type) {
      case 'session.updated':
        connection.ready = true;
        this.failedConnections = 0;
        return;
      case 'input_audio_buffer.committed': {
        const segment = connection.awaitingItem.shift();
        if (segment) connection.items.set(event.item_id, segment);
        return;
      }
      case 'conversation.item.input_audio_transcription.delta': {
        const segment = connection.items.get(event.item_id);
        if (segment && !segment.settled && event.delta)
          this.events.onDelta?.(segment.index, event.delta);
        return;
      }
      case 'conversation.item.input_audio_transcription.completed': {
        const segment = connection.items.get(event.item_id);
        if (segment) this.settle(segment, event.transcript.trim());
        return;
      }
      case 'conversation.item.input_audio_transcription.failed': {
        const segment = connection.items.get(event.item_id);
        if (segment)
          this.settle(
            segment,
            failure(`Live transcription failed: ${event.error.message ?? 'no reason given'}`),
          );
        return;
      }
      case 'error': {
        const message = `The live session reported: ${event.error.message}${event.error.code ? ` (${event.error.code})` : ''}`;
        this.options.logger?.warn({ code: event.error.code }, message);
        // an error before the session is set up means it was refused: nothing on it can work
        if (!connection.ready) this.lose(connection, message);
        else {
          const segment = connection.awaitingItem.shift();
          if (segment) this.settle(segment, failure(message));
        }
        return;
      }
      default:
        return;
    }
  }

  private lose(connection: Connection, why: string): void {
    if (connection.closed) return;
    connection.closed = true;
    if (!connection.ready) this.failedConnections++;
    this.options.logger?.info({ why }, 'live session lost; the next segment reconnects');
    for (const segment of this.segments.values())
      if (segment.connection === connection)
        this.settle(segment, failure(`The live session was lost: ${why}`));
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.close(1000, 'lost');
    else if (connection.socket.readyState === WebSocket.CONNECTING) connection.socket.terminate();
    if (this.connection === connection) this.connection = undefined;
  }

  private settle(segment: Segment, result: string | Error): void {
    if (segment.settled) return;
    segment.settled = true;
    if (segment.timer) clearTimeout(segment.timer);
    if (typeof result === 'string') segment.resolve(result);
    else segment.reject(result);
  }
}

/** A LiveTranscriber that opens a {@link RealtimeSession} per recording. */
export function createRealtimeTranscriber(options: RealtimeOptions): LiveTranscriber {
  return {
    open: (events) => Promise.resolve(new RealtimeSession(options, events)),
  };
}
