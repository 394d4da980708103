import { decodeAudioFile } from '@whis/audio';
import {
  silentLogger,
  type AudioChunk,
  type Logger,
  type TranscribeOptions,
  type Transcriber,
} from '@whis/contracts';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalError } from './errors.js';
import type { ChildReply, ChildRequest } from './internal/recognizer-child.js';
import {
  MAX_SEGMENT_SECONDS,
  recognizerConfig,
  type ModelFiles,
  type ModelType,
} from './models.js';
import { filesByRole, installedProblems, readManifest, repairHint } from './store.js';

// Beside this module once built; from the sources (tests), the built copy.
const BUILT_CHILD = fileURLToPath(new URL('./internal/recognizer-child.js', import.meta.url));
const CHILD = existsSync(BUILT_CHILD)
  ? BUILT_CHILD
  : fileURLToPath(new URL('../dist/internal/recognizer-child.js', import.meta.url));

/** Shorter than this, a segment is not decoded (onnxruntime rejects an empty or tiny input). */
export const MIN_SEGMENT_SECONDS = 0.1;

/** Ten minutes: how long a loaded model waits for the next dictation by default. */
export const DEFAULT_IDLE_MS = 10 * 60_000;

export interface LocalTranscriberOptions {
  /** The model's folder. */
  modelDir: string;
  /** Which sherpa-onnx configuration it needs. */
  type: ModelType;
  /** Its name in messages; default the folder's name. */
  name?: string;
  /**
   * The absolute path of each file by role. Default: read from the folder's manifest at each load,
   * and the files checked by size against it.
   */
  files?: ModelFiles;
  /** Where the model came from (`catalogue` or a folder): which fix the messages name. Default `catalogue`. */
  origin?: string;
  /** Decoder threads. Default: half the cores, 1 to 4. */
  threads?: number;
  /** The child is stopped after this long without a call (ms); 0 keeps it. Default 10 minutes. */
  idleMs?: number;
  logger?: Logger;
  /** A child started (its pid): for monitoring and tests. */
  onChildStart?: (pid: number) => void;
  /** A child ended (after `idleMs`, `close()`, or a crash). */
  onChildExit?: (pid: number, code: number | null, signal: NodeJS.Signals | null) => void;
}

/** The offline engine: the `Transcriber` port, plus PCM segments as they close. */
export interface LocalTranscriber extends Transcriber {
  /** The model's name. */
  readonly name: string;
  /** The longest segment the model decodes (s): the service closes segments before it. */
  readonly maxSegmentSeconds: number;
  /** The child's pid while one runs. */
  readonly pid: number | undefined;
  /**
   * Starts the child and loads the model (about 3 s for a 0.6B model), so that the load overlaps
   * the speech: call it when a recording starts. Rejects as a call would.
   */
  prepare(): Promise<void>;
  /**
   * The text of one segment of audio (mono PCM: Int16 full scale, or Float32 in [-1, 1]); "" for
   * a segment under 0.1 s. Calls are decoded one at a time, in order.
   */
  transcribePcm(
    samples: Int16Array | Float32Array,
    sampleRate: number,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Stops the child; a later call starts it again. */
  close(): Promise<void>;
}

class ChildDied extends Error {
  constructor(
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly reason: string,
  ) {
    super(reason);
  }
}

class ChildRefused extends Error {}

// a request without its id (distributes over the union)
type Outgoing = ChildRequest extends infer R
  ? R extends ChildRequest
    ? Omit<R, 'id'>
    : never
  : never;

// what sherpa-onnx prints before it exits: `/path/file.cc:Function:123 the reason`
const SOURCE_PREFIX = /^\S+:\w+:\d+\s+/;

function toFloat(samples: Int16Array | Float32Array): Float32Array {
  if (samples instanceof Float32Array) return samples;
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] / 32768;
  return out;
}

function aborted(signal?: AbortSignal): Error {
  return signal?.reason instanceof Error
    ? signal.reason
    : new DOMException('The transcription was aborted', 'AbortError');
}

/** A child process that has loaded (or is loading) the model, and the calls it owes. */
interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  pending: Map<number, { resolve: (reply: ChildReply) => void; reject: (err: Error) => void }>;
  lastLine: string;
  exited: boolean;
}

/**
 * The offline engine: a child process that loads a sherpa-onnx model (Parakeet TDT, Whisper,
 * Moonshine) and decodes segments one at a time. A model that crashes the recognizer ends the
 * child, never the caller. The child stays while dictations follow and is stopped after `idleMs`;
 * one that dies mid-decode is restarted once and the call retried.
 */
export function createLocalTranscriber(options: LocalTranscriberOptions): LocalTranscriber {
  const name = options.name ?? basename(options.modelDir);
  const origin = options.origin ?? 'catalogue';
  const threads =
    options.threads ?? Math.min(4, Math.max(1, Math.floor(availableParallelism() / 2)));
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const logger = (options.logger ?? silentLogger).child({ component: 'local', model: name });
  let worker: Worker | undefined;
  let nextId = 1;
  let tail: Promise<unknown> = Promise.resolve();
  let queued = 0;
  let idleTimer: NodeJS.Timeout | undefined;

  const fix = (): string => repairHint({ name, origin });

  async function modelFiles(): Promise<ModelFiles> {
    if (options.files) return options.files;
    const installed = await readManifest(options.modelDir);
    if (!installed) {
      throw new LocalError(
        'not-installed',
        `The local model "${name}" is not installed in ${options.modelDir}. Run \`whis model download ${name}\`.`,
      );
    }
    const problems = await installedProblems(installed);
    if (problems.length > 0) {
      throw new LocalError(
        'model-damaged',
        `The local model "${name}" is damaged (${problems.join('; ')}). ${fix()}`,
      );
    }
    return filesByRole(installed);
  }

  function request(w: Worker, message: Outgoing): Promise<ChildReply> {
    if (w.exited) return Promise.reject(new ChildDied(null, null, w.lastLine));
    const id = nextId++;
    return new Promise<ChildReply>((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.child.send({ ...message, id } as ChildRequest);
    }).then((reply) => {
      if (reply.error !== undefined) throw new ChildRefused(reply.error);
      return reply;
    });
  }

  function start(): Worker {
    // none of this process's flags (a test runner's loaders, an inspector): a plain Node
    const child = fork(CHILD, [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [],
      serialization: 'advanced',
    });
    const w: Worker = {
      child,
      ready: Promise.resolve(),
      pending: new Map(),
      lastLine: '',
      exited: false,
    };
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-4096);
      const lines = stderr
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      if (lines.length > 0) w.lastLine = lines[lines.length - 1].replace(SOURCE_PREFIX, '');
    });
    child.on('message', (reply: ChildReply) => {
      const call = w.pending.get(reply.id);
      w.pending.delete(reply.id);
      call?.resolve(reply);
    });
    child.on('error', (err) => logger.warn({ err }, 'the recognizer process failed'));
    // 'close' comes after the process ended and its stderr was read to the end: the last line,
    // the reason sherpa-onnx gives before it exits, is in by then
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      w.exited = true;
      if (worker === w) worker = undefined;
      const pid = child.pid ?? 0;
      logger.debug({ pid, code, signal, reason: w.lastLine }, 'the recognizer process ended');
      for (const call of w.pending.values()) call.reject(new ChildDied(code, signal, w.lastLine));
      w.pending.clear();
      options.onChildExit?.(pid, code, signal);
    });
    if (child.pid !== undefined) options.onChildStart?.(child.pid);
    logger.debug({ pid: child.pid, threads }, 'the recognizer process started');
    w.ready = (async () => {
      const files = await modelFiles();
      await request(w, { op: 'load', config: recognizerConfig(options.type, files, threads) });
    })();
    w.ready.catch(() => undefined);
    return w;
  }

  function stop(w: Worker): Promise<void> {
    if (w.exited) return Promise.resolve();
    return new Promise((resolve) => {
      w.child.once('close', () => resolve());
      w.child.kill('SIGKILL');
    });
  }

  function loadError(err: unknown): LocalError {
    if (err instanceof LocalError) return err;
    const reason =
      err instanceof ChildDied
        ? `the recognizer exited${err.code !== null ? ` with ${err.code}` : ` on ${err.signal}`}${err.reason ? `: ${err.reason}` : ''}`
        : (err as Error).message;
    return new LocalError(
      'model-failed',
      `The local model "${name}" could not be loaded (${reason}). ${fix()}`,
      { cause: err },
    );
  }

  async function ready(): Promise<Worker> {
    worker ??= start();
    const w = worker;
    try {
      await w.ready;
    } catch (err) {
      // a load that fails leaves no child behind
      await stop(w);
      throw loadError(err);
    }
    return w;
  }

  async function decode(samples: Float32Array, sampleRate: number): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const w = await ready();
      try {
        const reply = await request(w, { op: 'decode', samples, sampleRate });
        return (reply.text ?? '').trim();
      } catch (err) {
        if (err instanceof ChildRefused) {
          throw new LocalError(
            'model-failed',
            `The local model "${name}" could not decode a segment (${err.message}).`,
            { cause: err },
          );
        }
        const died = err as ChildDied;
        const how = died.code !== null ? `exit ${died.code}` : `${died.signal}`;
        if (attempt >= 2) {
          throw new LocalError(
            'recognizer-died',
            `The local model "${name}" stopped the recognizer twice (${how}${died.reason ? `: ${died.reason}` : ''}); the recording is kept for \`whis retry\`. ${fix()}`,
            { cause: err },
          );
        }
        logger.warn({ code: died.code, signal: died.signal }, 'the recognizer died; restarting it');
      }
    }
  }

  function armIdle(): void {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    if (idleMs <= 0 || queued > 0 || !worker) return;
    const w = worker;
    idleTimer = setTimeout(() => {
      logger.debug({ idleMs }, 'no dictation for a while: unloading the model');
      void stop(w);
    }, idleMs);
    idleTimer.unref();
  }

  // one decoder: calls run in order, each after the one before has settled
  function enqueue<T>(job: () => Promise<T>): Promise<T> {
    queued++;
    clearTimeout(idleTimer);
    const run = tail.then(job, job);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      queued--;
      armIdle();
    });
  }

  async function transcribePcm(
    samples: Int16Array | Float32Array,
    sampleRate: number,
    signal?: AbortSignal,
  ): Promise<string> {
    if (signal?.aborted) throw aborted(signal);
    if (samples.length < sampleRate * MIN_SEGMENT_SECONDS) return '';
    const floats = toFloat(samples);
    return enqueue(async () => {
      if (signal?.aborted) throw aborted(signal);
      const text = await decode(floats, sampleRate);
      if (signal?.aborted) throw aborted(signal);
      return text;
    });
  }

  async function pcmOf(chunk: AudioChunk, signal?: AbortSignal): Promise<Int16Array> {
    const parts: Buffer[] = [];
    for await (const part of decodeAudioFile(chunk.path, { signal })) parts.push(part);
    const all = Buffer.concat(parts);
    return new Int16Array(all.buffer, all.byteOffset, Math.floor(all.length / 2));
  }

  return {
    name,
    maxSegmentSeconds: MAX_SEGMENT_SECONDS[options.type],
    get pid() {
      return worker?.child.pid;
    },
    async prepare() {
      await enqueue(async () => {
        await ready();
      });
    },
    transcribePcm,
    async transcribe(chunks: readonly AudioChunk[], callOptions: TranscribeOptions = {}) {
      const { signal, onProgress } = callOptions;
      const texts: string[] = [];
      let done = 0;
      for (const chunk of chunks) {
        if (chunk.speech !== false) {
          const text = await transcribePcm(await pcmOf(chunk, signal), 16_000, signal);
          if (text) texts.push(text);
        }
        onProgress?.({ done: ++done, total: chunks.length });
      }
      return { text: texts.join(' ') };
    },
    async close() {
      clearTimeout(idleTimer);
      if (worker) await stop(worker);
    },
  };
}
