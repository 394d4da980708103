import net from 'node:net';
import type { Duplex } from 'node:stream';
import { IpcError } from './errors.js';
import { isPlainObject } from './messages.js';
import {
  ErrorCodes,
  EVENT_METHOD,
  PROTOCOL_VERSION,
  type HelloResult,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type ServiceEvent,
} from './protocol.js';
import { MessageReader, MessageWriter, type Incoming } from './transport.js';

export interface ConnectOptions {
  /** Connect, `hello` and default reply timeout. Default 2000 ms. */
  timeoutMs?: number;
  /** Sent in `hello`, shown in the daemon's log. */
  client?: string;
  /** Longest reply line accepted. Default 64 MiB. */
  maxReplyBytes?: number;
}

export interface RequestOptions {
  /** Reply timeout for this request (long for `retry` or `shutdown`). */
  timeoutMs?: number;
}

/** A connection to the daemon. */
export interface IpcClient {
  /** What the daemon said in `hello`. */
  readonly serverInfo: HelloResult;
  request<M extends MethodName>(
    method: M,
    params?: ParamsOf<M>,
    options?: RequestOptions,
  ): Promise<ResultOf<M>>;
  /** Subscribes to the daemon's events until the connection closes; returns a disposer for the listener. */
  subscribe(onEvent: (event: ServiceEvent) => void): Promise<() => void>;
  /** Called once when the connection closes. Returns a disposer. */
  onClose(listener: () => void): () => void;
  close(): void;
}

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(err: IpcError): void;
  /** `performance.now()` after which the request has timed out. */
  deadline: number;
  timeoutMs: number;
}

function connectError(endpoint: string, err: NodeJS.ErrnoException): IpcError {
  switch (err.code) {
    case 'ENOENT':
      return new IpcError('not-running', `No daemon is listening at ${endpoint}.`, { cause: err });
    case 'ECONNREFUSED':
      return new IpcError(
        'stale',
        `${endpoint} exists but nothing listens on it (a daemon crashed).`,
        { cause: err },
      );
    case 'EAGAIN':
    case 'ETIMEDOUT':
      return new IpcError(
        'unresponsive',
        `The daemon at ${endpoint} does not accept connections.`,
        { cause: err },
      );
    default:
      return new IpcError('connect-failed', `Cannot connect to ${endpoint}: ${err.message}`, {
        cause: err,
      });
  }
}

class Client implements IpcClient {
  serverInfo!: HelloResult;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  // One timer for every request in flight, armed for the earliest deadline and unref'd (the socket
  // keeps the process alive while a reply is awaited): a request costs no timer of its own.
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepAt = Infinity;
  private readonly eventListeners = new Set<(event: ServiceEvent) => void>();
  private readonly closeListeners = new Set<() => void>();
  private closed = false;
  private readonly reader: MessageReader;
  private readonly writer: MessageWriter;

  constructor(
    private readonly stream: Duplex,
    private readonly endpoint: string,
    private readonly timeoutMs: number,
    maxReplyBytes: number,
  ) {
    this.writer = new MessageWriter(stream);
    this.reader = new MessageReader(
      stream,
      { maxLineBytes: maxReplyBytes },
      {
        message: (message) => this.onMessage(message),
        overflow: () =>
          this.fail(
            new IpcError('protocol', `The daemon sent a reply longer than ${maxReplyBytes} bytes.`),
          ),
        // 'close' follows and fails what is pending
        end: () => undefined,
      },
    );
    stream.on('error', (err) =>
      this.fail(
        new IpcError('closed', `Connection to the daemon failed: ${err.message}`, { cause: err }),
      ),
    );
    stream.on('close', () =>
      this.fail(new IpcError('closed', 'The daemon closed the connection.')),
    );
  }

  request<M extends MethodName>(
    method: M,
    params?: ParamsOf<M>,
    options: RequestOptions = {},
  ): Promise<ResultOf<M>> {
    if (this.closed)
      return Promise.reject(new IpcError('closed', 'The connection to the daemon is closed.'));
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      this.pending.set(id, {
        method,
        resolve: resolve as (r: unknown) => void,
        reject,
        deadline,
        timeoutMs,
      });
      if (deadline < this.sweepAt) this.armSweep(deadline);
      const message =
        params === undefined
          ? { jsonrpc: '2.0', id, method }
          : { jsonrpc: '2.0', id, method, params };
      this.writer.write(message);
    });
  }

  async subscribe(onEvent: (event: ServiceEvent) => void): Promise<() => void> {
    this.eventListeners.add(onEvent);
    try {
      await this.request('subscribe');
    } catch (err) {
      this.eventListeners.delete(onEvent);
      throw err;
    }
    return () => this.eventListeners.delete(onEvent);
  }

  onClose(listener: () => void): () => void {
    if (this.closed) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.fail(new IpcError('closed', 'The connection to the daemon was closed by the client.'));
  }

  private fail(err: IpcError): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.stop();
    this.stream.destroy();
    clearTimeout(this.sweepTimer);
    this.sweepAt = Infinity;
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
    for (const listener of this.closeListeners) listener();
    this.closeListeners.clear();
  }

  private protocolError(why: string): void {
    this.fail(
      new IpcError('protocol', `The daemon at ${this.endpoint} sent an invalid reply: ${why}.`),
    );
  }

  private armSweep(at: number): void {
    clearTimeout(this.sweepTimer);
    this.sweepAt = at;
    // Node runs due timers before it reads the sockets: after a stretch in which this process did
    // not run (a loaded machine), a reply may be waiting unread. The sweep runs after the reads
    // (setImmediate), so a reply that came in time is taken.
    this.sweepTimer = setTimeout(
      () => setImmediate(() => this.sweep()),
      Math.max(0, at - performance.now()),
    );
    this.sweepTimer.unref();
  }

  // Rejects the requests past their deadline, then waits for the next one's.
  private sweep(): void {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [id, pending] of this.pending) {
      if (pending.deadline <= now) {
        this.pending.delete(id);
        pending.reject(
          new IpcError(
            'unresponsive',
            `The daemon did not answer "${pending.method}" within ${pending.timeoutMs} ms.`,
          ),
        );
      } else next = Math.min(next, pending.deadline);
    }
    if (next < Infinity) this.armSweep(next);
  }

  private onMessage(incoming: Incoming): void {
    if (!incoming.ok) return this.protocolError(incoming.why === 'utf8' ? 'not UTF-8' : 'not JSON');
    const message = incoming.value;
    if (!isPlainObject(message) || message.jsonrpc !== '2.0')
      return this.protocolError('not JSON-RPC 2.0');
    if (message.method === EVENT_METHOD && message.id === undefined) {
      for (const listener of this.eventListeners) listener(message.params as ServiceEvent);
      return;
    }
    if (typeof message.id !== 'number') {
      // id null: the daemon refused the connection or the line (busy, too long, …)
      if (isPlainObject(message.error)) {
        const error = message.error as { code: number; message: string; data?: unknown };
        return this.fail(
          new IpcError('remote', error.message, { rpcCode: error.code, data: error.data }),
        );
      }
      return this.protocolError('a reply without an id');
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (isPlainObject(message.error)) {
      const error = message.error as { code: number; message: string; data?: unknown };
      const code = error.code === ErrorCodes.IncompatibleProtocol ? 'protocol' : 'remote';
      pending.reject(
        new IpcError(code, String(error.message), { rpcCode: error.code, data: error.data }),
      );
    } else if ('result' in message) {
      pending.resolve(message.result);
    } else {
      this.protocolError(`a reply to "${pending.method}" with neither result nor error`);
    }
  }

  async hello(client: string | undefined): Promise<void> {
    const params =
      client === undefined
        ? { protocolVersion: PROTOCOL_VERSION }
        : { protocolVersion: PROTOCOL_VERSION, client };
    const info = await this.request('hello', params);
    if (!isPlainObject(info) || info.server !== 'whis' || typeof info.pid !== 'number') {
      throw new IpcError('protocol', `${this.endpoint} is not a whis daemon.`);
    }
    this.serverInfo = info;
  }
}

/**
 * Speaks the protocol over a stream already connected to a whis server (one end of `memoryPair()`,
 * a pipe, a socket connected elsewhere): says `hello`, and resolves once the server answered it.
 * `name` stands for the endpoint in error messages. Errors as {@link connectToDaemon}'s.
 */
export async function connectOverStream(
  stream: Duplex,
  options: ConnectOptions & { name?: string } = {},
): Promise<IpcClient> {
  const client = new Client(
    stream,
    options.name ?? 'the stream',
    options.timeoutMs ?? 2000,
    options.maxReplyBytes ?? 64 * 1024 * 1024,
  );
  try {
    await client.hello(options.client);
  } catch (err) {
    client.close();
    throw err;
  }
  return client;
}

/**
 * Connects to the daemon at `endpoint` and checks that it speaks this protocol version. Errors are
 * `IpcError`s: `not-running` (no socket), `stale` (a socket nobody listens on), `unresponsive`
 * (no answer within the timeout), `protocol` (not whis, or another major version).
 */
export function connectToDaemon(
  endpoint: string,
  options: ConnectOptions = {},
): Promise<IpcClient> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const deadline = Date.now() + timeoutMs;
  return new Promise<IpcClient>((resolve, reject) => {
    // EAGAIN means the daemon's accept backlog is full: a burst of clients, or a daemon that
    // stopped accepting. Retry with a short backoff until the deadline, then call it unresponsive.
    const attempt = (backoffMs: number) => {
      const socket = net.createConnection(endpoint);
      let answered = false;
      // (after the reads, as the request sweep: a connection made in time is taken)
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            if (answered) return;
            socket.destroy();
            reject(
              new IpcError(
                'unresponsive',
                `The daemon at ${endpoint} did not accept the connection within ${timeoutMs} ms.`,
              ),
            );
          }),
        Math.max(0, deadline - Date.now()),
      );
      const onError = (err: NodeJS.ErrnoException) => {
        answered = true;
        clearTimeout(timer);
        if (err.code === 'EAGAIN' && Date.now() + backoffMs < deadline) {
          setTimeout(() => attempt(Math.min(backoffMs * 2, 100)), backoffMs);
        } else {
          reject(connectError(endpoint, err));
        }
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        answered = true;
        clearTimeout(timer);
        socket.off('error', onError);
        connectOverStream(socket, { ...options, timeoutMs, name: endpoint }).then(resolve, reject);
      });
    };
    attempt(5);
  });
}
