import type { Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavFile } from '@whis/contracts';
import { WebSocketServer, type WebSocket } from 'ws';
import { recognize } from './speech.js';

const RATE = 24_000;

/** What one Realtime connection did, for assertions. */
export interface RealtimeConnectionLog {
  /** The `session.update` sessions received, as sent. */
  updates: unknown[];
  /** Bytes of PCM appended, in total. */
  appendedBytes: number;
  /** Committed buffers and what was recognised in each. */
  items: Array<{
    id: string;
    bytes: number;
    transcript?: string;
    /** `performance.now()` when the commit came, and when the transcript was sent. */
    committedAt: number;
    completedAt?: number;
  }>;
  /** The close code, once closed. */
  closedWith?: number;
}

export interface RealtimeControls {
  /** Every connection, in order. */
  connections: RealtimeConnectionLog[];
  /** While set, a `session.update` is answered with this error (as for a model not served), not `session.updated`. */
  refuseSessions: { code: string; message: string } | null;
  /** Drops every open connection at once (1006 on the client's side, like a network failure). */
  dropAll(): void;
  /** Drops each connection once it has received this many bytes of audio (null: never). */
  dropAfterBytes: number | null;
  /** Delay before each segment's recognition starts, to hold a transcript back. */
  recognitionDelayMs: number;
}

let eventCounter = 0;
const eventId = () => `event_${++eventCounter}`;

async function recognizePcm(pcm: Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'whis-live-'));
  try {
    const file = join(dir, 'item.wav');
    await writeFile(
      file,
      wavFile(new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2), RATE),
    );
    return await recognize(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a `session.update` is not the current transcription shape, or undefined when it is. */
function invalidSession(session: unknown): { param: string; message: string } | undefined {
  if (!isObject(session)) return { param: 'session', message: 'Missing session.' };
  if (session.type !== 'transcription')
    return {
      param: 'session.type',
      message: `Expected "transcription", got ${JSON.stringify(session.type)}.`,
    };
  const input =
    isObject(session.audio) && isObject(session.audio.input) ? session.audio.input : undefined;
  if (!input) return { param: 'session.audio.input', message: 'Missing audio.input.' };
  const format = input.format;
  if (!isObject(format) || format.type !== 'audio/pcm' || format.rate !== RATE)
    return {
      param: 'session.audio.input.format',
      message: 'Only {"type":"audio/pcm","rate":24000} is supported.',
    };
  if (!isObject(input.transcription) || typeof input.transcription.model !== 'string')
    return {
      param: 'session.audio.input.transcription.model',
      message: 'Missing the transcription model.',
    };
  if (input.turn_detection !== null)
    return {
      param: 'session.audio.input.turn_detection',
      message: 'This server expects turn_detection: null.',
    };
  return undefined;
}

/**
 * Serves `GET <base>/realtime?intent=transcription` (WebSocket) on an HTTP server: the subset of
 * OpenAI's Realtime transcription protocol whis uses, in its current (non-beta) shapes. It
 * validates `session.update`, decodes the appended PCM16 (24 kHz), recognises each committed
 * buffer with pocketsphinx and streams the words as deltas, then the completion. A client that
 * speaks the beta shapes (the `OpenAI-Beta: realtime=v1` header, `transcription_session.update`,
 * `input_audio_format`) is closed with 4000 `beta_api_shape_disabled`, as the real API does.
 */
export function attachRealtime(
  server: Server,
  basePath = '/v1',
): RealtimeControls & { close(): void } {
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  const controls: RealtimeControls & { close(): void } = {
    connections: [],
    refuseSessions: null,
    dropAfterBytes: null,
    recognitionDelayMs: 0,
    dropAll() {
      for (const socket of sockets) socket.terminate();
    },
    close() {
      for (const socket of sockets) socket.terminate();
      wss.close();
    },
  };

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (
      url.pathname !== `${basePath}/realtime` ||
      url.searchParams.get('intent') !== 'transcription'
    ) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    if (!req.headers.authorization?.startsWith('Bearer ')) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    const beta = String(req.headers['openai-beta'] ?? '').includes('realtime=v1');
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, beta));
  });

  function serve(ws: WebSocket, beta: boolean): void {
    sockets.add(ws);
    const log: RealtimeConnectionLog = { updates: [], appendedBytes: 0, items: [] };
    controls.connections.push(log);
    const send = (event: Record<string, unknown>) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event_id: eventId(), ...event }));
    };
    const rejectBeta = () => ws.close(4000, 'beta_api_shape_disabled');
    ws.on('close', (code) => {
      log.closedWith = code;
      sockets.delete(ws);
    });
    if (beta) {
      rejectBeta();
      return;
    }
    send({
      type: 'session.created',
      session: {
        object: 'realtime.session',
        type: 'transcription',
        id: `sess_${controls.connections.length}`,
      },
    });
    let buffer: Buffer[] = [];
    let buffered = 0;
    let previous: string | null = null;
    let recognitions = Promise.resolve();
    ws.on('message', (data) => {
      let event: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(data.toString());
        if (!isObject(parsed)) throw new Error('not an object');
        event = parsed;
      } catch {
        send({
          type: 'error',
          error: { type: 'invalid_request_error', code: 'invalid_json', message: 'Invalid JSON.' },
        });
        return;
      }
      const fail = (code: string, message: string, param?: string) =>
        send({
          type: 'error',
          error: {
            type: 'invalid_request_error',
            code,
            message,
            param: param ?? null,
            event_id: event.event_id ?? null,
          },
        });
      switch (event.type) {
        case 'transcription_session.update':
          rejectBeta();
          return;
        case 'session.update': {
          log.updates.push(event.session);
          if (
            isObject(event.session) &&
            ('input_audio_format' in event.session || 'input_audio_transcription' in event.session)
          ) {
            rejectBeta();
            return;
          }
          const invalid = invalidSession(event.session);
          if (invalid) return fail('invalid_value', invalid.message, invalid.param);
          if (controls.refuseSessions)
            return fail(controls.refuseSessions.code, controls.refuseSessions.message);
          send({
            type: 'session.updated',
            session: { object: 'realtime.session', ...(event.session as Record<string, unknown>) },
          });
          return;
        }
        case 'input_audio_buffer.append': {
          if (typeof event.audio !== 'string')
            return fail('invalid_value', 'audio must be base64.', 'audio');
          const pcm = Buffer.from(event.audio, 'base64');
          buffer.push(pcm);
          buffered += pcm.length;
          log.appendedBytes += pcm.length;
          if (controls.dropAfterBytes !== null && log.appendedBytes >= controls.dropAfterBytes)
            ws.terminate();
          return;
        }
        case 'input_audio_buffer.commit': {
          if (buffered === 0)
            return fail(
              'input_audio_buffer_commit_empty',
              'Error committing input audio buffer: buffer is empty.',
            );
          const pcm = Buffer.concat(buffer);
          buffer = [];
          buffered = 0;
          const itemId = `item_${controls.connections.length}_${log.items.length + 1}`;
          const item: RealtimeConnectionLog['items'][number] = {
            id: itemId,
            bytes: pcm.length,
            committedAt: performance.now(),
          };
          log.items.push(item);
          send({
            type: 'input_audio_buffer.committed',
            item_id: itemId,
            previous_item_id: previous,
          });
          previous = itemId;
          // recognised one after another, so the items complete in order, as the API's do
          recognitions = recognitions
            .then(async () => {
              if (controls.recognitionDelayMs > 0)
                await new Promise((r) => setTimeout(r, controls.recognitionDelayMs));
              const transcript = await recognizePcm(pcm);
              const words = transcript.split(' ').filter(Boolean);
              words.forEach((word, i) =>
                send({
                  type: 'conversation.item.input_audio_transcription.delta',
                  item_id: itemId,
                  content_index: 0,
                  delta: i === 0 ? word : ` ${word}`,
                }),
              );
              item.transcript = transcript;
              item.completedAt = performance.now();
              send({
                type: 'conversation.item.input_audio_transcription.completed',
                item_id: itemId,
                content_index: 0,
                transcript,
                usage: { type: 'duration', seconds: pcm.length / 2 / RATE },
              });
            })
            .catch((err: unknown) =>
              send({
                type: 'conversation.item.input_audio_transcription.failed',
                item_id: itemId,
                content_index: 0,
                error: { type: 'server_error', message: (err as Error).message },
              }),
            );
          return;
        }
        default:
          fail('invalid_event', `Unknown event type ${JSON.stringify(event.type)}.`);
      }
    });
  }

  return controls;
}
