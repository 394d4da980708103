import { silentLogger, type Logger } from '@whis/contracts';
import net from 'node:net';
import { RpcError } from './errors.js';
import { LineSplitter, decodeLine } from './framing.js';
import { answerLegacy, type LegacyRequest } from './legacy.js';
import { classify, errorResponse, type JsonRpcRequest, type RequestId } from './messages.js';
import { isMethod, METHOD_NAMES, METHOD_TABLE, validateParams } from './methods.js';
import {
  ErrorCodes,
  EVENT_METHOD,
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  type HelloParams,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type ServiceEvent,
} from './protocol.js';

/** What a handler gets beside its params. */
export interface RequestContext {
  /** Aborted when the client disconnects or the server closes. */
  signal: AbortSignal;
  /** Pushes an event notification to this client; never blocks (a reader that falls behind is disconnected). */
  notify(event: ServiceEvent): void;
}

/** A handler's result; the server adds `protocolVersion`. */
export type HandlerResult<M extends MethodName> = Omit<ResultOf<M>, 'protocolVersion'>;

/**
 * A handler for every method but `hello` (the server answers that one): leaving one out is a
 * compile error, so a method added to the protocol cannot be forgotten where the service is wired.
 */
export type IpcHandlers = {
  [M in Exclude<MethodName, 'hello'>]: (
    params: ParamsOf<M>,
    ctx: RequestContext,
  ) => HandlerResult<M> | Promise<HandlerResult<M>>;
};

/** The part of the shared Logger (pino-compatible) the server uses. */
export type IpcLogger = Pick<Logger, 'debug' | 'warn' | 'error'>;

export interface IpcServerOptions {
  /** Answered to `hello`. */
  serverInfo: { version: string; pid?: number };
  /**
   * Connections served at once that are not subscriptions (control clients: `status`, `toggle`, …);
   * one more gets an error line and is closed. Default 256.
   */
  maxConnections?: number;
  /**
   * Subscribed connections, counted apart so that status bars never take the slots the control
   * methods need; a `subscribe` over the limit is answered with a Busy error. Default 256.
   */
  maxSubscriptions?: number;
  /** A connection with no request in flight and no subscription is closed after this long. Default 60 s. */
  idleTimeoutMs?: number;
  /** Requests one connection may have in flight before its input is paused. Default 32. */
  maxInFlightPerConnection?: number;
  /**
   * Unread output one connection may leave behind before it is dropped as a slow reader. Checked
   * before each write, so one reply larger than this still goes out to a client that reads it.
   * Default 1 MiB.
   */
  maxPendingBytes?: number;
  /** How long `close()` waits for in-flight requests. Default 30 s. */
  drainTimeoutMs?: number;
  logger?: IpcLogger;
}

export interface IpcServer {
  readonly server: net.Server;
  /** Connections being served. */
  readonly connectionCount: number;
  /** Serves a socket accepted elsewhere (e.g. queued before this server was attached). */
  handleConnection(socket: net.Socket): void;
  /** Stops accepting, lets in-flight requests answer, ends subscriptions, closes every connection. */
  close(): Promise<void>;
}

/** Unread output above which a connection's input is paused until the client catches up. */
const PAUSE_WRITABLE_BYTES = 64 * 1024;
/** How long a connection that was told to end (or refused) may keep its half-closed socket. */
const END_GRACE_MS = 1000;
/** Listen backlog: a deep one absorbs bursts of clients (the kernel caps it at somaxconn). */
const LISTEN_BACKLOG = 4096;

/** The defaults of {@link IpcServerOptions}. */
export const IPC_SERVER_DEFAULTS = {
  maxConnections: 256,
  maxSubscriptions: 256,
  idleTimeoutMs: 60_000,
  maxInFlightPerConnection: 32,
  maxPendingBytes: 1024 * 1024,
  drainTimeoutMs: 30_000,
} as const;

type Handler = (params: unknown, ctx: RequestContext) => unknown;

class Connection {
  private readonly splitter: LineSplitter;
  private readonly abort = new AbortController();
  private inFlight = 0;
  private readingPaused = false;
  private inputEnded = false;
  /** One subscription per connection: `pending` while the handler runs, so repeats never stack. */
  private subscription: 'none' | 'pending' | 'active' = 'none';
  private draining = false;
  private readonly settledListeners: Array<() => void> = [];
  private readonly ctx: RequestContext;

  constructor(
    readonly socket: net.Socket,
    private readonly owner: ServerCore,
  ) {
    this.ctx = { signal: this.abort.signal, notify: (event) => this.notify(event) };
    this.splitter = new LineSplitter(
      MAX_LINE_BYTES,
      (line) => this.onLine(line),
      () => this.onOverflow(),
    );
    socket.allowHalfOpen = true;
    socket.setTimeout(owner.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.splitter.push(chunk));
    socket.on('end', () => {
      this.inputEnded = true;
      this.splitter.flush();
      this.maybeEnd();
    });
    socket.on('timeout', () => {
      if (this.inFlight === 0 && this.subscription === 'none') socket.destroy();
    });
    socket.on('drain', () => this.updateFlow());
    // EPIPE, ECONNRESET, …: the client is gone; 'close' follows and cleans up.
    socket.on('error', (err) => owner.logger.debug({ err }, 'ipc connection error'));
    socket.on('close', () => {
      this.abort.abort();
      this.splitter.stop();
      owner.forget(this);
      this.settle();
    });
  }

  /** Stops taking requests; resolves when the ones in flight have answered. */
  drain(): Promise<void> {
    this.draining = true;
    this.splitter.stop();
    this.socket.pause();
    if (this.inFlight === 0 || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.settledListeners.push(resolve));
  }

  /** Ends the connection after what was written is flushed. */
  finish(): void {
    this.abort.abort();
    this.socket.end();
    // a client that never reads would keep a half-closed socket open: bound it
    setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
  }

  private settle(): void {
    for (const listener of this.settledListeners.splice(0)) listener();
  }

  private send(message: unknown): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    // what the client left unread is bounded, not the size of one reply: a large `last` goes out
    if (this.socket.writableLength > this.owner.maxPendingBytes) {
      this.owner.logger.warn(
        { pending: this.socket.writableLength, limit: this.owner.maxPendingBytes },
        'ipc client left too much output unread; disconnecting it',
      );
      this.socket.destroy();
      return;
    }
    this.socket.write(`${JSON.stringify(message)}\n`);
    this.updateFlow();
  }

  private notify(event: ServiceEvent): void {
    this.send({ jsonrpc: '2.0', method: EVENT_METHOD, params: event });
  }

  // Reading pauses while the client has too many requests in flight or does not read its replies,
  // so one hostile client costs bounded memory and never delays another.
  private updateFlow(): void {
    const shouldPause =
      this.inFlight >= this.owner.maxInFlight || this.socket.writableLength > PAUSE_WRITABLE_BYTES;
    if (shouldPause && !this.readingPaused) {
      this.readingPaused = true;
      this.socket.pause();
    } else if (!shouldPause && this.readingPaused && !this.draining) {
      this.readingPaused = false;
      this.socket.resume();
    }
  }

  // After the client's input ends (a half-close, or a full close we cannot tell apart on a Unix
  // socket) the pending replies are still sent; then the connection and any subscription end.
  private maybeEnd(): void {
    if (this.inputEnded && this.inFlight === 0 && !this.socket.destroyed) {
      this.abort.abort();
      this.socket.end();
    }
  }

  private onOverflow(): void {
    this.send(
      errorResponse(
        null,
        ErrorCodes.LineTooLong,
        `Line too long: requests are limited to ${MAX_LINE_BYTES} bytes. Closing the connection.`,
      ),
    );
    this.finish();
  }

  private onLine(bytes: Buffer): void {
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (bytes.length === 0) return;
    const text = decodeLine(bytes);
    if (text === undefined) {
      this.send(
        errorResponse(null, ErrorCodes.ParseError, 'Parse error: the line is not valid UTF-8'),
      );
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.send(
        errorResponse(null, ErrorCodes.ParseError, `Parse error: ${(err as Error).message}`),
      );
      return;
    }
    const message = classify(value);
    if (message.kind === 'invalid')
      this.send(errorResponse(message.id, message.code, message.message));
    else if (message.kind === 'legacy') this.track(this.legacy(message.request));
    else this.track(this.dispatch(message.request, message.notification));
  }

  private track(work: Promise<void>): void {
    this.inFlight++;
    this.updateFlow();
    void work.finally(() => {
      this.inFlight--;
      this.updateFlow();
      if (this.inFlight === 0) this.settle();
      this.maybeEnd();
    });
  }

  private async dispatch(request: JsonRpcRequest, notification: boolean): Promise<void> {
    const id: RequestId = request.id ?? null;
    const reply = (message: unknown) => {
      if (!notification) this.send(message);
    };
    const method = request.method;
    if (!isMethod(method)) {
      reply(
        errorResponse(
          id,
          ErrorCodes.MethodNotFound,
          `Method not found: "${method.slice(0, 100)}". Methods: ${METHOD_NAMES.join(', ')}`,
        ),
      );
      return;
    }
    const checked = validateParams(method, request.params);
    if (!checked.ok) {
      reply(errorResponse(id, ErrorCodes.InvalidParams, checked.message));
      return;
    }
    if (method === 'hello') {
      reply(this.hello(id, checked.params as HelloParams));
      return;
    }
    const handler = this.owner.handlers[method] as Handler | undefined;
    const subscription = METHOD_TABLE[method].subscription === true;
    if (!handler) {
      reply(
        errorResponse(
          id,
          ErrorCodes.MethodNotFound,
          `Method not supported by this server: "${method}"`,
        ),
      );
      return;
    }
    if (subscription) {
      if (this.subscription !== 'none') {
        // already subscribed (or subscribing): one listener per connection, however often asked
        reply({
          jsonrpc: '2.0',
          id,
          result: { protocolVersion: PROTOCOL_VERSION, subscribed: true },
        });
        return;
      }
      if (!this.owner.claimSubscription(this)) {
        reply(
          errorResponse(
            id,
            ErrorCodes.Busy,
            `Too many subscribers (${this.owner.maxSubscriptions}); close one (a status bar?) and try again.`,
          ),
        );
        return;
      }
      this.subscription = 'pending';
    }
    try {
      const result = await handler(checked.params, this.ctx);
      if (subscription) {
        this.subscription = 'active';
        this.socket.setTimeout(0);
      }
      reply({
        jsonrpc: '2.0',
        id,
        result: { protocolVersion: PROTOCOL_VERSION, ...(result as object) },
      });
    } catch (err) {
      if (subscription) {
        this.subscription = 'none';
        this.owner.releaseSubscription(this);
      }
      if (err instanceof RpcError) {
        reply(errorResponse(id, err.code, err.message, err.data));
      } else {
        this.owner.logger.error({ err, method }, 'ipc handler failed');
        reply(
          errorResponse(
            id,
            ErrorCodes.InternalError,
            `Internal error in "${method}": ${(err as Error)?.message ?? String(err)}`,
          ),
        );
      }
    }
  }

  private hello(id: RequestId, params: HelloParams): unknown {
    if (params.protocolVersion !== PROTOCOL_VERSION) {
      return errorResponse(
        id,
        ErrorCodes.IncompatibleProtocol,
        `Incompatible protocol: the client speaks version ${params.protocolVersion}, this daemon ${PROTOCOL_VERSION}. Use a client and daemon of the same whis release.`,
        { serverProtocolVersion: PROTOCOL_VERSION },
      );
    }
    const info = this.owner.serverInfo;
    return {
      jsonrpc: '2.0',
      id,
      result: {
        protocolVersion: PROTOCOL_VERSION,
        server: 'whis',
        version: info.version,
        pid: info.pid ?? process.pid,
      },
    };
  }

  // The original's clients send a bare JSON string and read one JSON value back.
  private async legacy(request: LegacyRequest): Promise<void> {
    this.send(await answerLegacy(request, this.owner.handlers, this.ctx));
  }
}

class ServerCore implements IpcServer {
  readonly maxConnections: number;
  readonly maxSubscriptions: number;
  readonly idleTimeoutMs: number;
  readonly maxInFlight: number;
  readonly maxPendingBytes: number;
  readonly drainTimeoutMs: number;
  readonly logger: IpcLogger;
  readonly serverInfo: { version: string; pid?: number };
  private readonly connections = new Set<Connection>();
  private readonly subscribers = new Set<Connection>();
  private closing: Promise<void> | undefined;
  private readonly onConnection = (socket: net.Socket) => this.handleConnection(socket);

  constructor(
    readonly server: net.Server,
    readonly handlers: IpcHandlers,
    options: IpcServerOptions,
  ) {
    this.serverInfo = options.serverInfo;
    const d = IPC_SERVER_DEFAULTS;
    this.maxConnections = options.maxConnections ?? d.maxConnections;
    this.maxSubscriptions = options.maxSubscriptions ?? d.maxSubscriptions;
    this.idleTimeoutMs = options.idleTimeoutMs ?? d.idleTimeoutMs;
    this.maxInFlight = options.maxInFlightPerConnection ?? d.maxInFlightPerConnection;
    this.maxPendingBytes = options.maxPendingBytes ?? d.maxPendingBytes;
    this.drainTimeoutMs = options.drainTimeoutMs ?? d.drainTimeoutMs;
    this.logger = options.logger ?? silentLogger;
    server.on('connection', this.onConnection);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  handleConnection(socket: net.Socket): void {
    if (this.closing) {
      socket.on('error', () => undefined);
      socket.end(
        `${JSON.stringify(errorResponse(null, ErrorCodes.Busy, 'The daemon is shutting down.'))}\n`,
      );
      return;
    }
    if (this.connections.size - this.subscribers.size >= this.maxConnections) {
      socket.on('error', () => undefined);
      socket.end(
        `${JSON.stringify(errorResponse(null, ErrorCodes.Busy, `Too many connections (${this.maxConnections}); try again.`))}\n`,
      );
      setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
      return;
    }
    this.connections.add(new Connection(socket, this));
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
    this.subscribers.delete(connection);
  }

  /** Moves a connection from the control slots to the subscription slots, if one is free. */
  claimSubscription(connection: Connection): boolean {
    if (this.subscribers.size >= this.maxSubscriptions) return false;
    this.subscribers.add(connection);
    return true;
  }

  releaseSubscription(connection: Connection): void {
    this.subscribers.delete(connection);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.server.off('connection', this.onConnection);
    const closed = new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
    const connections = [...this.connections];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(connections.map((c) => c.drain())),
      new Promise((resolve) => (timer = setTimeout(resolve, this.drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.finish();
    await closed;
  }
}

/**
 * Serves the whis protocol on `target`: a socket path or pipe name to listen on, or a `net.Server`
 * that already listens (its sockets are made half-open-capable here).
 */
export async function createIpcServer(
  target: string | net.Server,
  handlers: IpcHandlers,
  options: IpcServerOptions,
): Promise<IpcServer> {
  if (typeof target !== 'string') return new ServerCore(target, handlers, options);
  const server = net.createServer({ allowHalfOpen: true });
  const core = new ServerCore(server, handlers, options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: target, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return core;
}
