// In-memory twins of every port, for fast tests of hosts and for custom hosts' own tests.
import { writeFile, appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  AudioChunk,
  AudioSource,
  Capture,
  CapturedAudio,
  CaptureOptions,
  EditRequest,
  Level,
  Logger,
  LiveSession,
  LiveSessionOptions,
  LiveTranscriber,
  Output,
  Selection,
  SelectionSource,
  ProcessedText,
  TextEditor,
  TextProcessor,
  TextProcessOptions,
  TranscribeOptions,
  Transcriber,
  Trigger,
  TriggerEvent,
} from './ports.js';

/**
 * A capture you drive: push "frames" (bytes appended to its current chunk file), `cut()` a
 * segment as the pipeline does at a pause, levels and errors.
 */
export class FakeCapture implements Capture {
  /** The chunk being written. */
  path: string;
  private levelListeners = new Set<(level: Level) => void>();
  private errorListeners = new Set<(error: Error) => void>();
  private chunkListeners = new Set<(chunk: AudioChunk) => void>();
  private readonly closed: AudioChunk[] = [];
  private bytes = 0;
  private frames = 0;
  private chunkBytes = 0;
  private chunkFrames = 0;
  stopped = false;
  aborted = false;

  constructor(
    readonly directory: string,
    private readonly source: FakeAudioSource,
    private readonly onPcm?: CaptureOptions['onPcm'],
  ) {
    this.path = this.chunkPath(0);
  }

  private chunkPath(index: number): string {
    return join(this.directory, `${String(index).padStart(3, '0')}.mp3`);
  }

  // the chunk being written, as the port describes a closed one; it holds speech when a frame
  // pushed into it did (as the speech detector judges a chunk)
  private current(): AudioChunk | undefined {
    if (this.chunkBytes === 0) return undefined;
    const startMs = this.closed.reduce((sum, c) => sum + c.durationMs, 0);
    const durationMs = this.source.frameMs * Math.max(this.chunkFrames, 1);
    return {
      path: this.path,
      mimeType: 'audio/mpeg',
      startMs,
      durationMs,
      bytes: this.chunkBytes,
      speech: this.chunkFrames > 0,
    };
  }

  /** Closes the current chunk (announced to `onChunk`) and starts the next file. */
  async cut(): Promise<AudioChunk | undefined> {
    const chunk = this.current();
    if (!chunk) return undefined;
    this.closed.push(chunk);
    for (const listener of this.chunkListeners) listener(chunk);
    this.path = this.chunkPath(this.closed.length);
    this.chunkBytes = 0;
    this.chunkFrames = 0;
    await writeFile(this.path, '');
    return chunk;
  }

  onChunk(listener: (chunk: AudioChunk) => void): () => void {
    this.chunkListeners.add(listener);
    return () => this.chunkListeners.delete(listener);
  }

  /**
   * Appends a frame of `bytes` to the chunk file; `speech` marks it as containing speech. The bytes
   * also go to `onPcm`, one sample each (see FakeLiveTranscriber).
   */
  async push(bytes: Buffer, speech = true): Promise<void> {
    this.onPcm?.(Int16Array.from(bytes), this.closed.length);
    await appendFile(this.path, bytes);
    this.bytes += bytes.length;
    this.chunkBytes += bytes.length;
    if (speech) {
      this.frames++;
      this.chunkFrames++;
    }
  }

  level(level: Level): void {
    for (const listener of this.levelListeners) listener(level);
  }

  fail(error: Error): void {
    for (const listener of this.errorListeners) listener(error);
  }

  onLevel(listener: (level: Level) => void): () => void {
    this.levelListeners.add(listener);
    return () => this.levelListeners.delete(listener);
  }

  onError(listener: (error: Error) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  async stop(): Promise<CapturedAudio> {
    this.stopped = true;
    if (this.source.stopDelayMs > 0)
      await new Promise((r) => setTimeout(r, this.source.stopDelayMs));
    const last = this.current();
    const chunks: AudioChunk[] = [...this.closed, ...(last ? [last] : [])];
    const durationMs = chunks.reduce((sum, c) => sum + c.durationMs, 0);
    return { chunks, durationMs, speechDetected: this.frames > 0 };
  }

  async abort(): Promise<void> {
    this.aborted = true;
    for (const chunk of [...this.closed.map((c) => c.path), this.path])
      await rm(chunk, { force: true });
  }
}

/** An AudioSource whose captures are FakeCaptures; `failNextStart` simulates a missing microphone. */
export class FakeAudioSource implements AudioSource {
  readonly captures: FakeCapture[] = [];
  frameMs = 20;
  stopDelayMs = 0;
  private failure: Error | undefined;
  private waiters: Array<(capture: FakeCapture) => void> = [];

  failNextStart(error: Error): void {
    this.failure = error;
  }

  get current(): FakeCapture | undefined {
    return this.captures.at(-1);
  }

  /** Resolves with the next capture to start (or the current one if it is already running). */
  nextCapture(): Promise<FakeCapture> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async start(options: CaptureOptions): Promise<Capture> {
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
    const capture = new FakeCapture(options.directory, this, options.onPcm);
    await writeFile(capture.path, '');
    this.captures.push(capture);
    // live at once: the start cue plays now, as the contract asks
    void options.startCue?.play();
    for (const waiter of this.waiters.splice(0)) waiter(capture);
    return capture;
  }
}

type Script =
  | { text: string }
  | { error: Error }
  | { hang: true }
  | { gate: Promise<void>; retries?: { attempt: number; attempts: number } };

/** A Transcriber that answers from a script, in order; with an empty script it reads the chunk files back as text. */
export class ScriptedTranscriber implements Transcriber {
  readonly calls: Array<{
    chunks: readonly AudioChunk[];
    signal?: AbortSignal;
    context?: string;
  }> = [];
  private readonly script: Script[] = [];

  succeed(text: string): this {
    this.script.push({ text });
    return this;
  }

  fail(error: Error): this {
    this.script.push({ error });
    return this;
  }

  /**
   * The next call waits until the returned function is called (or it is aborted), then answers
   * with the chunks' text: for tests of what happens while an upload is in flight.
   */
  hold(): () => void {
    let open: () => void = () => undefined;
    this.script.push({ gate: new Promise<void>((resolve) => (open = resolve)) });
    return open;
  }

  /**
   * Like `hold()`, but the call first reports its attempts up to `attempt` of `attempts` (each
   * after the one before got no answer), as a transcriber retrying a silent endpoint does.
   */
  retrying(attempt: number, attempts: number): () => void {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    this.script.push({ gate, retries: { attempt, attempts } });
    return open;
  }

  /** The next call never answers until aborted. */
  hang(): this {
    this.script.push({ hang: true });
    return this;
  }

  async transcribe(
    chunks: readonly AudioChunk[],
    options: TranscribeOptions = {},
  ): Promise<{ text: string }> {
    this.calls.push({ chunks, signal: options.signal, context: options.context });
    if (options.signal?.aborted) throw Object.assign(new Error('aborted'), { code: 'aborted' });
    const step = this.script.shift();
    options.onProgress?.({ done: 0, total: chunks.length });
    if (step && 'hang' in step) {
      await new Promise<void>((_resolve, reject) => {
        const abort = () => reject(Object.assign(new Error('aborted'), { code: 'aborted' }));
        if (options.signal?.aborted) abort();
        options.signal?.addEventListener('abort', abort, { once: true });
      });
    }
    if (step && 'gate' in step) {
      for (let n = 1; n <= (step.retries?.attempt ?? 0); n++)
        options.onAttempt?.({
          chunk: 0,
          attempt: n,
          attempts: step.retries!.attempts,
          ...(n > 1 ? { previousError: 'no answer in 13 s' } : {}),
        });
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(Object.assign(new Error('aborted'), { code: 'aborted' }));
        options.signal?.addEventListener('abort', abort, { once: true });
        void step.gate.then(resolve);
      });
    }
    if (step && 'error' in step) throw step.error;
    const { readFile } = await import('node:fs/promises');
    const text =
      step && 'text' in step
        ? step.text
        : (await Promise.all(chunks.map((c) => readFile(c.path, 'utf8')))).join(' ');
    options.onProgress?.({ done: chunks.length, total: chunks.length });
    return { text };
  }
}

/**
 * A LiveTranscriber whose sessions "recognise" the samples as character codes (what FakeCapture
 * streams: the pushed bytes), word by word as deltas. `failSegment` has a segment's text reject,
 * as a dropped connection does; `disabled` has `open` answer null (live not configured).
 */
export class FakeLiveTranscriber implements LiveTranscriber {
  readonly sessions: FakeLiveSession[] = [];
  readonly failing = new Set<number>();
  disabled = false;

  failSegment(segment: number): this {
    this.failing.add(segment);
    return this;
  }

  async open(options: LiveSessionOptions = {}): Promise<LiveSession | null> {
    if (this.disabled) return null;
    const session = new FakeLiveSession(options, this.failing);
    this.sessions.push(session);
    return session;
  }
}

export class FakeLiveSession implements LiveSession {
  readonly audio = new Map<number, string>();
  readonly committed: number[] = [];
  closed = false;
  private current: number | undefined;
  private readonly texts = new Map<number, Promise<string>>();

  constructor(
    private readonly options: LiveSessionOptions,
    private readonly failing: ReadonlySet<number>,
  ) {}

  append(pcm: Int16Array, segment: number): void {
    if (this.texts.has(segment)) return;
    if (this.current !== undefined && this.current !== segment) this.commit(this.current);
    this.current = segment;
    this.audio.set(segment, (this.audio.get(segment) ?? '') + String.fromCharCode(...pcm));
  }

  text(segment: number): Promise<string> {
    return this.texts.get(segment) ?? Promise.reject(new Error(`segment ${segment} not streamed`));
  }

  end(): void {
    if (this.current !== undefined) this.commit(this.current);
    this.current = undefined;
  }

  close(): void {
    this.closed = true;
  }

  private commit(segment: number): void {
    if (this.texts.has(segment)) return;
    this.committed.push(segment);
    const text = (this.audio.get(segment) ?? '').trim();
    const result = new Promise<string>((resolve, reject) =>
      setImmediate(() => {
        if (this.failing.has(segment)) {
          reject(new Error('the live session was lost'));
          return;
        }
        text
          .split(/\s+/)
          .filter(Boolean)
          .forEach((word, i) => this.options.onDelta?.(segment, i === 0 ? word : ` ${word}`));
        resolve(text);
      }),
    );
    result.catch(() => undefined);
    this.texts.set(segment, result);
  }
}

/** An Output that remembers what it was given; `failNext` simulates a missing clipboard tool. */
export class MemoryOutput implements Output {
  readonly name = 'memory';
  readonly delivered: string[] = [];
  private failure: Error | undefined;

  failNext(error: Error): void {
    this.failure = error;
  }

  async deliver(text: string): Promise<void> {
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
    this.delivered.push(text);
  }
}

/**
 * A TextProcessor that applies `edit` (default: upper case) and remembers what it was given;
 * `failNext` makes the next call reject, as a broken processor would.
 */
export class ScriptedProcessor implements TextProcessor {
  readonly calls: Array<{ text: string; options: TextProcessOptions }> = [];
  private failure: Error | undefined;

  constructor(
    private readonly edit: (text: string) => ProcessedText = (text) => ({
      text: text.toUpperCase(),
      applied: ['upper'],
      notes: [],
    }),
  ) {}

  failNext(error: Error): void {
    this.failure = error;
  }

  async process(text: string, options: TextProcessOptions = {}): Promise<ProcessedText> {
    this.calls.push({ text, options });
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
    return this.edit(text);
  }
}

/**
 * A SelectionSource that answers `text` (set it at will; '' is "nothing selected"), or rejects
 * with `failNext`'s error; `reads` counts the calls.
 */
export class FixedSelection implements SelectionSource {
  reads = 0;
  private failure: Error | undefined;

  constructor(public text = '') {}

  failNext(error: Error): void {
    this.failure = error;
  }

  async read(): Promise<Selection> {
    this.reads++;
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
    return { text: this.text, source: 'primary' };
  }
}

/**
 * A TextEditor that answers `answer(request)` (default: the instruction and the selection in
 * brackets) and remembers each request; `failNext` makes the next call reject, as a model that is
 * down would.
 */
export class ScriptedEditor implements TextEditor {
  readonly describe = 'scripted editor';
  readonly requests: EditRequest[] = [];
  private failure: Error | undefined;

  constructor(
    private readonly answer: (request: EditRequest) => string = ({ instruction, selection }) =>
      selection ? `[${instruction}] ${selection}` : `[${instruction}]`,
  ) {}

  failNext(error: Error): void {
    this.failure = error;
  }

  async edit(request: EditRequest): Promise<{ text: string }> {
    this.requests.push(request);
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
    return { text: this.answer(request) };
  }
}

/** A Trigger you fire by hand. */
export class ManualTrigger implements Trigger {
  readonly description: string;
  started = false;
  private listeners = new Set<(event: TriggerEvent) => void>();

  constructor(description = 'manual') {
    this.description = description;
  }

  fire(event: TriggerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  async start(): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  onEvent(listener: (event: TriggerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** One line a MemoryLogger was given. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  /** The object logged with it, the child loggers' bindings merged in. */
  fields: Record<string, unknown>;
}

/**
 * A Logger that keeps what it is told, children included, so that a test can assert the log lines
 * a user or an operator relies on (`lines`, `find`).
 */
export class MemoryLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  private log(level: LogLine['level'], obj: object | string, msg?: string): void {
    const fields = typeof obj === 'string' ? {} : { ...obj };
    this.lines.push({
      level,
      msg: typeof obj === 'string' ? obj : (msg ?? ''),
      fields: { ...this.bindings, ...fields },
    });
  }

  debug(obj: object | string, msg?: string): void {
    this.log('debug', obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.log('info', obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.log('warn', obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.log('error', obj, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new MemoryLogger(this.lines, { ...this.bindings, ...bindings });
  }

  /** The lines with this message. */
  find(msg: string): LogLine[] {
    return this.lines.filter((line) => line.msg === msg);
  }
}
