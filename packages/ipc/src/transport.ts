import { Duplex, type Readable, type Writable } from 'node:stream';
import { LineSplitter, decodeLine } from './framing.js';

/**
 * One line read off the wire: the JSON value it holds, or why it holds none (`utf8`: the bytes are
 * not UTF-8; `json`: the text is not JSON, with the parser's message).
 */
export type Incoming =
  { ok: true; value: unknown } | { ok: false; why: 'utf8' | 'json'; message: string };

export interface MessageReaderOptions {
  /** Longest line accepted, newline excluded. */
  maxLineBytes: number;
  /**
   * Skip empty lines and a trailing `\r`, and take a last line without `\n` at the end of the
   * input: the server is lenient in what it accepts; the client holds the server to the protocol.
   */
  lenient?: boolean;
}

export interface MessageReaderEvents {
  /** Bytes arrived (before they are split into lines): the peer is active. */
  data?(): void;
  /** A line, decoded (a blank one too, unless the reader is lenient). */
  message(message: Incoming): void;
  /** A line grew past the cap: the reader has stopped; the connection is to be closed. */
  overflow(): void;
  /** The input ended (after the last line was delivered). */
  end(): void;
}

/**
 * Reads newline-delimited JSON messages from any Readable (a socket, a pipe, one end of
 * {@link memoryPair}), as vscode-jsonrpc's MessageReader does for its framing: the protocol code
 * above it never sees bytes, so it runs the same over every transport.
 */
export class MessageReader {
  private readonly splitter: LineSplitter;

  constructor(
    private readonly readable: Readable,
    options: MessageReaderOptions,
    events: MessageReaderEvents,
  ) {
    const lenient = options.lenient === true;
    this.splitter = new LineSplitter(
      options.maxLineBytes,
      (line) => {
        const message = parseLine(line, lenient);
        if (message) events.message(message);
      },
      events.overflow,
    );
    const onData = events.data;
    readable.on('data', (chunk: Buffer) => {
      onData?.();
      this.splitter.push(chunk);
    });
    readable.on('end', () => {
      if (lenient) this.splitter.flush();
      events.end();
    });
  }

  pause(): void {
    this.readable.pause();
  }

  resume(): void {
    this.readable.resume();
  }

  /** Ignores what is still to come (the connection is closing). */
  stop(): void {
    this.splitter.stop();
  }
}

function parseLine(bytes: Buffer, lenient: boolean): Incoming | undefined {
  if (lenient) {
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (bytes.length === 0) return undefined;
  }
  const text = decodeLine(bytes);
  if (text === undefined) return { ok: false, why: 'utf8', message: 'not valid UTF-8' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, why: 'json', message: (err as Error).message };
  }
}

/** Writes one JSON value per line to any Writable: the other half of {@link MessageReader}. */
export class MessageWriter {
  constructor(private readonly writable: Writable) {}

  /** False once the stream is ended or destroyed: a write would be lost. */
  get open(): boolean {
    return !this.writable.destroyed && this.writable.writable;
  }

  /** Bytes written that the peer has not taken yet. */
  get pendingBytes(): number {
    return this.writable.writableLength;
  }

  write(message: unknown): void {
    this.writable.write(`${JSON.stringify(message)}\n`);
  }
}

/** One end of an in-memory connection; what one end writes, the other reads, with backpressure. */
class MemoryEnd extends Duplex {
  peer!: MemoryEnd;
  /** The callback of a write the peer has no room for yet: called when the peer reads again. */
  private blocked: (() => void) | undefined;

  constructor() {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    const blocked = this.peer.blocked;
    this.peer.blocked = undefined;
    blocked?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    if (this.peer.destroyed) return callback();
    if (this.peer.push(chunk)) callback();
    else this.blocked = callback;
  }

  override _final(callback: () => void): void {
    if (!this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(err: Error | null, callback: (err: Error | null) => void): void {
    // like a socket: when one end goes away, the other sees its connection close
    if (!this.peer.destroyed) this.peer.destroy();
    callback(err);
  }
}

/**
 * Two connected in-memory streams, like the two ends of a socket (half-close and backpressure
 * included): a server serves one, a client talks over the other, no socket involved.
 */
export function memoryPair(): [Duplex, Duplex] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
