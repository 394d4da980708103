import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import busboy from 'busboy';
import { attachRealtime, type RealtimeControls } from './realtime-server.js';
import { runChecked } from './process.js';
import { recognize } from './speech.js';

export interface TranscriptionRequest {
  model: string;
  language?: string;
  prompt?: string;
  /** `languages[]` and `keywords[]`, the list fields of the current models. */
  languages?: string[];
  keywords?: string[];
  responseFormat?: string;
  /** Every multipart field but the file, as sent (a repeated `name[]` field as a list). */
  fields: Record<string, string | string[]>;
  filename: string;
  audio: Buffer;
  authorization: string | undefined;
}

export interface TranscriptionServer {
  /** e.g. `http://127.0.0.1:40123/v1`, for the openai SDK's `baseURL`. */
  baseURL: string;
  /** Every transcription request received, in order. */
  requests: TranscriptionRequest[];
  /** The Realtime transcription endpoint at `<baseURL>/realtime` (WebSocket): its log and controls. */
  realtime: RealtimeControls;
  close(): Promise<void>;
}

export interface ScriptedReply {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to test timeouts). */
  delayMs?: number;
  /**
   * Take the upload and never answer (a proxy that swallows requests, a half-dead server): the
   * connection stays open until the client gives up or the server closes.
   */
  hang?: boolean;
}

/** A reply that never comes: the server takes the upload and keeps the connection open, silent. */
export const HANG: ScriptedReply = { status: 0, body: '', hang: true };

export { recognizeUpload, recognizeSpeechOnly };

export type TranscriptionHandler = (
  request: TranscriptionRequest,
) => Promise<ScriptedReply> | ScriptedReply;

const text = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value.join(',') : value;
const list = (value: string | string[] | undefined) =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

function parse(req: IncomingMessage): Promise<TranscriptionRequest> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string | string[]> = {};
    let filename = '';
    const parts: Buffer[] = [];
    // (a larger file is taken whole: the limits below answer it as the real endpoint does)
    const form = busboy({ headers: req.headers, limits: { fileSize: 200 * 1024 * 1024 } });
    form.on('field', (name, value) => {
      if (name.endsWith('[]')) {
        const list = fields[name];
        fields[name] = Array.isArray(list) ? [...list, value] : [value];
      } else fields[name] = value;
    });
    form.on('file', (_name, stream, info) => {
      filename = info.filename;
      stream.on('data', (d: Buffer) => parts.push(d));
    });
    form.on('error', reject);
    form.on('close', () =>
      resolve({
        model: text(fields.model) ?? '',
        language: text(fields.language),
        prompt: text(fields.prompt),
        languages: list(fields['languages[]']),
        keywords: list(fields['keywords[]']),
        responseFormat: text(fields.response_format),
        fields,
        filename,
        audio: Buffer.concat(parts),
        authorization: req.headers.authorization,
      }),
    );
    req.pipe(form);
  });
}

// The default: transcribe for real with pocketsphinx, as the OpenAI API would with Whisper.
async function recognizeUpload(request: TranscriptionRequest): Promise<ScriptedReply> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-upload-'));
  try {
    const file = join(dir, `upload${extname(request.filename) || '.bin'}`);
    await writeFile(file, request.audio);
    const text = await recognize(file);
    if (request.responseFormat === 'text')
      return { status: 200, body: text, headers: { 'content-type': 'text/plain' } };
    return { status: 200, body: JSON.stringify({ text }) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The length of an uploaded file in seconds, as ffprobe reads it. */
async function uploadSeconds(request: TranscriptionRequest): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-upload-'));
  try {
    const file = join(dir, `upload${extname(request.filename) || '.bin'}`);
    await writeFile(file, request.audio);
    const { stdout } = await runChecked('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'default=noprint_wrappers=1:nokey=1',
      file,
    ]);
    return Number(stdout.trim());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The limits the real endpoint enforces on an upload, when set: OpenAI's answers to uploads past them. */
async function overLimits(
  request: TranscriptionRequest,
  limits: UploadLimits,
): Promise<ScriptedReply | undefined> {
  if (limits.maxBytes !== undefined && request.audio.length > limits.maxBytes)
    return {
      status: 413,
      body: JSON.stringify({
        error: {
          message: `Maximum content size limit (${limits.maxBytes}) exceeded (${request.audio.length} bytes read)`,
          type: 'server_error',
          param: null,
          code: null,
        },
      }),
    };
  if (limits.maxDurationSeconds !== undefined) {
    const seconds = await uploadSeconds(request);
    if (seconds > limits.maxDurationSeconds)
      return {
        status: 400,
        body: JSON.stringify({
          error: {
            message: `audio duration ${seconds.toFixed(1)} seconds is longer than ${limits.maxDurationSeconds} seconds which is the maximum for this model`,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_value',
          },
        }),
      };
  }
  return undefined;
}

/** What the real endpoint refuses: OpenAI takes 25 MB, and the gpt-4o-transcribe family 1500 s. */
export interface UploadLimits {
  /** Larger uploads are answered 413, as OpenAI answers. */
  maxBytes?: number;
  /** Longer audio (measured with ffprobe) is answered 400 with OpenAI's message. */
  maxDurationSeconds?: number;
}

/** OpenAI's limits: 25 MB an upload, 1500 s of audio for the gpt-4o-transcribe family. */
export const OPENAI_LIMITS: UploadLimits = {
  maxBytes: 25 * 1024 * 1024,
  maxDurationSeconds: 1500,
};

/**
 * Like the default, for long uploads that are mostly silence (a meeting's pauses): the silence is
 * cut out first (ffmpeg `silenceremove`), so that pocketsphinx hears only the words, in seconds.
 */
async function recognizeSpeechOnly(request: TranscriptionRequest): Promise<ScriptedReply> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-upload-'));
  try {
    const file = join(dir, `upload${extname(request.filename) || '.bin'}`);
    const words = join(dir, 'words.wav');
    await writeFile(file, request.audio);
    await runChecked('ffmpeg', [
      '-v',
      'error',
      '-i',
      file,
      '-af',
      'silenceremove=stop_periods=-1:stop_duration=1:stop_threshold=-50dB:stop_silence=0.5,apad=pad_dur=0.5',
      '-ar',
      '16000',
      '-ac',
      '1',
      words,
    ]);
    return { status: 200, body: JSON.stringify({ text: await recognize(words) }) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// OpenAI's answer for a model it does not (or no longer) serve
function modelNotFound(model: string): ScriptedReply {
  return {
    status: 404,
    body: JSON.stringify({
      error: {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    }),
  };
}

/**
 * Starts `POST /v1/audio/transcriptions` on 127.0.0.1 (multipart, field `file`). Without a handler
 * it runs pocketsphinx on the upload and answers `{"text": …}`; a handler scripts the replies.
 */
export async function startTranscriptionServer(
  handler: TranscriptionHandler = recognizeUpload,
  options: {
    port?: number;
    /** Models answered with 404 `model_not_found`, as OpenAI answers for a shut-down model. */
    retiredModels?: readonly string[];
    /** Refuse uploads past these limits before the handler sees them, as the real endpoint does. */
    limits?: UploadLimits;
  } = {},
): Promise<TranscriptionServer> {
  const requests: TranscriptionRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/audio/transcriptions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { message: `No route ${req.method} ${req.url}`, type: 'invalid_request_error' },
          }),
        );
        return;
      }
      try {
        const request = await parse(req);
        requests.push(request);
        const reply = options.retiredModels?.includes(request.model)
          ? modelNotFound(request.model)
          : ((options.limits && (await overLimits(request, options.limits))) ??
            (await handler(request)));
        if (reply.hang) return;
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        if (res.destroyed) return;
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body);
      } catch (err) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: (err as Error).message, type: 'server_error' } }),
        );
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const realtime = attachRealtime(server);
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    realtime,
    close: () =>
      new Promise<void>((resolve) => {
        realtime.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
