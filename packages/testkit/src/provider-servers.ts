// Local servers that speak Deepgram's and ElevenLabs' pre-recorded transcription APIs as they are
// documented (the request each SDK sends, the answer and the error bodies each service gives), and
// transcribe for real with pocketsphinx: the words spoken into the virtual microphone come back.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import busboy from 'busboy';
import { wavFile } from '@whis/contracts';
import { WebSocketServer, type WebSocket } from 'ws';
import { recognize } from './speech.js';
import type { ScriptedReply } from './transcription-server.js';

/** One request to a provider's server, as received. */
export interface ProviderRequest {
  /** The query parameters (Deepgram's options), a repeated one as a list. */
  query: Record<string, string | string[]>;
  /** The multipart fields but the file (ElevenLabs' options). */
  fields: Record<string, string>;
  audio: Buffer;
  filename: string;
  contentType: string | undefined;
  /** The key as sent: Deepgram's `Authorization: Token …`, ElevenLabs' `xi-api-key`. */
  key: string | undefined;
}

/** What a provider's server answers: scripted, or (the default) recognised with pocketsphinx. */
export type ProviderHandler = (
  request: ProviderRequest,
  recognized: () => Promise<ScriptedReply>,
) => Promise<ScriptedReply> | ScriptedReply;

/** A running provider server. */
export interface ProviderServer {
  /** e.g. `http://127.0.0.1:40123`, for the `baseURL` setting. */
  baseURL: string;
  /** Every transcription request received, in order. */
  requests: ProviderRequest[];
  close(): Promise<void>;
}

/** Deepgram's streaming endpoint on a {@link startDeepgramServer}: what it took, and a dropped line. */
export interface DeepgramLiveControls {
  /** Each streaming connection: its query (model, encoding, sample_rate, …) and the Finalize count. */
  connections: Array<{ query: Record<string, string>; key: string | undefined; finalized: number }>;
  /** Ends every open connection at once, unanswered (a dropped network). */
  drop(): void;
  /** Drop each connection as soon as this many bytes of audio have come (undefined: never). */
  dropAfterBytes: number | undefined;
}

async function recognizeBuffer(audio: Buffer, filename: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-upload-'));
  try {
    const file = join(dir, `upload${extname(filename) || '.bin'}`);
    await writeFile(file, audio);
    return await recognize(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function multipart(
  req: IncomingMessage,
): Promise<{ fields: Record<string, string>; audio: Buffer; filename: string }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    const parts: Buffer[] = [];
    let filename = '';
    const form = busboy({ headers: req.headers });
    form.on('field', (name, value) => (fields[name] = value));
    form.on('file', (_name, stream, info) => {
      filename = info.filename;
      stream.on('data', (d: Buffer) => parts.push(d));
    });
    form.on('error', reject);
    form.on('close', () => resolve({ fields, audio: Buffer.concat(parts), filename }));
    req.pipe(form);
  });
}

async function serve(
  route: string,
  read: (req: IncomingMessage, url: URL) => Promise<ProviderRequest>,
  answer: (text: string, request: ProviderRequest) => unknown,
  handler: ProviderHandler,
  attach?: (server: ReturnType<typeof createServer>) => () => void,
): Promise<ProviderServer> {
  const requests: ProviderRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'POST' || url.pathname !== route) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: `No route ${req.method} ${url.pathname}` }));
        return;
      }
      try {
        const request = await read(req, url);
        requests.push(request);
        const recognized = async (): Promise<ScriptedReply> => ({
          status: 200,
          body: JSON.stringify(
            answer(await recognizeBuffer(request.audio, request.filename), request),
          ),
        });
        const reply = await handler(request, recognized);
        if (reply.hang) return;
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        if (res.destroyed) return;
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body);
      } catch (err) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: (err as Error).message }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const detach = attach?.(server);
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        detach?.();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const recognizeAll: ProviderHandler = (_request, recognized) => recognized();

// Deepgram's live streaming: `GET /v1/listen` upgraded to a WebSocket, linear16 audio as binary
// messages; `{"type":"Finalize"}` flushes what came since the last one as a `Results` message with
// `is_final`, `speech_final` and `from_finalize` true (recognised with pocketsphinx),
// `{"type":"CloseStream"}` ends the connection after a `Metadata` message.
function attachDeepgramLive(live: DeepgramLiveControls) {
  return (server: ReturnType<typeof createServer>) => {
    const wss = new WebSocketServer({ noServer: true });
    const open = new Set<WebSocket>();
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/v1/listen') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const connection = {
          query: Object.fromEntries(url.searchParams),
          key: req.headers.authorization?.replace(/^Token /, ''),
          finalized: 0,
        };
        live.connections.push(connection);
        open.add(ws);
        ws.on('close', () => open.delete(ws));
        const rate = Number(connection.query.sample_rate ?? 16000);
        let pending: Buffer[] = [];
        let bytes = 0;
        let start = 0;
        // one flush at a time, in order: a Finalize's Results never overtake the one before
        let chain = Promise.resolve();
        ws.on('message', (data, binary) => {
          if (binary) {
            const chunk = data as Buffer;
            pending.push(chunk);
            bytes += chunk.length;
            if (live.dropAfterBytes !== undefined && bytes >= live.dropAfterBytes) ws.terminate();
            return;
          }
          const message = JSON.parse(String(data)) as { type?: string };
          if (message.type === 'Finalize') {
            connection.finalized++;
            const audio = Buffer.concat(pending);
            pending = [];
            chain = chain.then(async () => {
              const samples = new Int16Array(audio.buffer, audio.byteOffset, audio.length >> 1);
              const duration = samples.length / rate;
              const transcript =
                samples.length > rate / 10 ? await recognizePcm(samples, rate) : '';
              if (ws.readyState !== ws.OPEN) return;
              ws.send(
                JSON.stringify({
                  type: 'Results',
                  channel_index: [0, 1],
                  duration,
                  start,
                  is_final: true,
                  speech_final: true,
                  from_finalize: true,
                  channel: { alternatives: [{ transcript, confidence: 0.9, words: [] }] },
                }),
              );
              start += duration;
            });
          } else if (message.type === 'CloseStream') {
            void chain.then(() => {
              if (ws.readyState !== ws.OPEN) return;
              ws.send(JSON.stringify({ type: 'Metadata', request_id: 'local', duration: start }));
              ws.close(1000);
            });
          }
        });
      });
    });
    live.drop = () => {
      for (const ws of open) ws.terminate();
    };
    return () => {
      live.drop();
      wss.close();
    };
  };
}

async function recognizePcm(samples: Int16Array, rate: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-live-'));
  try {
    const file = join(dir, 'segment.wav');
    await writeFile(file, wavFile(samples, rate));
    return await recognize(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Deepgram's pre-recorded API: `POST /v1/listen?model=…&smart_format=…&language=…`, the audio as
 * the body, `Authorization: Token <key>`; answers `results.channels[0].alternatives[0].transcript`.
 * Its live streaming endpoint (`wss …/v1/listen`) answers on the same port: `live`.
 */
export async function startDeepgramServer(
  handler: ProviderHandler = recognizeAll,
): Promise<ProviderServer & { live: DeepgramLiveControls }> {
  const live: DeepgramLiveControls = {
    connections: [],
    drop: () => undefined,
    dropAfterBytes: undefined,
  };
  const server = await serve(
    '/v1/listen',
    async (req, url) => {
      const query: Record<string, string | string[]> = {};
      for (const [name, value] of url.searchParams) {
        const had = query[name];
        query[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
      }
      const auth = req.headers.authorization;
      return {
        query,
        fields: {},
        audio: await body(req),
        filename: '',
        contentType: req.headers['content-type'],
        key: auth?.replace(/^Token /, ''),
      };
    },
    (transcript) => ({
      metadata: { request_id: 'local', channels: 1, models: ['local'] },
      results: {
        channels: [{ alternatives: [{ transcript, confidence: 0.9, words: [] }] }],
      },
    }),
    handler,
    attachDeepgramLive(live),
  );
  return { ...server, live };
}

/** ElevenLabs' realtime endpoint on a {@link startElevenLabsServer}: what it took, and a dropped line. */
export interface ElevenLabsLiveControls {
  /** Each connection: its query (model_id, audio_format, commit_strategy, …) and the commit count. */
  connections: Array<{ query: Record<string, string>; key: string | undefined; commits: number }>;
  /** Ends every open connection at once, unanswered (a dropped network). */
  drop(): void;
  /** Drop each connection as soon as this many bytes of audio have come (undefined: never). */
  dropAfterBytes: number | undefined;
}

// ElevenLabs' realtime speech to text: `GET /v1/speech-to-text/realtime` upgraded to a WebSocket,
// `session_started` first; `input_audio_chunk` messages carry base64 PCM (`audio_base_64`), and one
// with `commit: true` has what came since the last commit recognised (pocketsphinx) and answered
// as a `committed_transcript`.
function attachElevenLabsLive(live: ElevenLabsLiveControls) {
  return (server: ReturnType<typeof createServer>) => {
    const wss = new WebSocketServer({ noServer: true });
    const open = new Set<WebSocket>();
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/v1/speech-to-text/realtime') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const key = req.headers['xi-api-key'];
        const connection = {
          query: Object.fromEntries(url.searchParams),
          key: Array.isArray(key) ? key[0] : key,
          commits: 0,
        };
        live.connections.push(connection);
        open.add(ws);
        ws.on('close', () => open.delete(ws));
        ws.send(
          JSON.stringify({
            message_type: 'session_started',
            session_id: `local-${live.connections.length}`,
            config: { model_id: connection.query.model_id, sample_rate: 16000 },
          }),
        );
        let pending: Buffer[] = [];
        let bytes = 0;
        let chain = Promise.resolve();
        ws.on('message', (data) => {
          const message = JSON.parse(String(data)) as {
            message_type?: string;
            audio_base_64?: string;
            commit?: boolean;
            sample_rate?: number;
          };
          if (message.message_type !== 'input_audio_chunk') return;
          const chunk = Buffer.from(message.audio_base_64 ?? '', 'base64');
          pending.push(chunk);
          bytes += chunk.length;
          if (live.dropAfterBytes !== undefined && bytes >= live.dropAfterBytes) {
            ws.terminate();
            return;
          }
          if (!message.commit) return;
          connection.commits++;
          const audio = Buffer.concat(pending);
          pending = [];
          const rate = message.sample_rate ?? 16000;
          chain = chain.then(async () => {
            const samples = new Int16Array(audio.buffer, audio.byteOffset, audio.length >> 1);
            const text = samples.length > rate / 10 ? await recognizePcm(samples, rate) : '';
            if (ws.readyState !== ws.OPEN) return;
            ws.send(JSON.stringify({ message_type: 'committed_transcript', text }));
          });
        });
      });
    });
    live.drop = () => {
      for (const ws of open) ws.terminate();
    };
    return () => {
      live.drop();
      wss.close();
    };
  };
}

/** Deepgram's error body, as its API answers (`err_code`, `err_msg`). */
export const deepgramError = (
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): ScriptedReply => ({
  status,
  body: JSON.stringify({ err_code: code, err_msg: message, request_id: 'local' }),
  ...(headers ? { headers } : {}),
});

/**
 * ElevenLabs' speech to text: `POST /v1/speech-to-text`, multipart with `file` and `model_id`
 * (`language_code`, …), `xi-api-key: <key>`; answers `{ language_code, text, words }`. Its
 * realtime endpoint (`wss …/v1/speech-to-text/realtime`) answers on the same port: `live`.
 */
export async function startElevenLabsServer(
  handler: ProviderHandler = recognizeAll,
): Promise<ProviderServer & { live: ElevenLabsLiveControls }> {
  const live: ElevenLabsLiveControls = {
    connections: [],
    drop: () => undefined,
    dropAfterBytes: undefined,
  };
  const server = await serve(
    '/v1/speech-to-text',
    async (req) => {
      const { fields, audio, filename } = await multipart(req);
      const key = req.headers['xi-api-key'];
      return {
        query: {},
        fields,
        audio,
        filename,
        contentType: req.headers['content-type'],
        key: Array.isArray(key) ? key[0] : key,
      };
    },
    (text, request) => ({
      language_code: request.fields.language_code ?? 'eng',
      language_probability: 0.9,
      text,
      words: [],
    }),
    handler,
    attachElevenLabsLive(live),
  );
  return { ...server, live };
}

/** ElevenLabs' error body, as its API answers (`detail.status`, `detail.message`). */
export const elevenLabsError = (
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): ScriptedReply => ({
  status,
  body: JSON.stringify({ detail: { status: code, message } }),
  ...(headers ? { headers } : {}),
});
