import { deadline, silentLogger, untilAborted, type Logger } from '@whis/contracts';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Connection, END_GRACE_MS, type ConnectionOwner } from './connection.js';
import {
  ErrorCodes,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type ServiceEvent,
} from './protocol.js';
import { errorReply, type ErrorMapper } from './replies.js';
import { MessageWriter } from './transport.js';

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
  /** How long `close()` waits for in-flight requests. Default 30 s; `Infinity`: as long as they take. */
  drainTimeoutMs?: number;
  /**
   * Turns a domain error a handler throws into the JSON-RPC error it answers (an RpcError always
   * answers as given); an error it leaves (`undefined`) answers -32603 and is logged.
   */
  toRpcError?: ErrorMapper;
  logger?: IpcLogger;
}

/** Serves the protocol on connections handed to it: any duplex stream (socket, pipe, in memory). */
export interface IpcConnections {
  /** Connections being served. */
  readonly connectionCount: number;
  /** Serves one connection: a socket accepted elsewhere, one end of `memoryPair()`, … */
  handleConnection(stream: Duplex): void;
  /** Stops accepting, lets in-flight requests answer, ends subscriptions, closes every connection. */
  close(): Promise<void>;
}

export interface IpcServer extends IpcConnections {
  readonly server: net.Server;
  /** Stops accepting, lets in-flight requests answer, ends subscriptions, closes every connection. */
  close(): Promise<void>;
}

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

class ServerCore implements IpcServer, ConnectionOwner {
  readonly maxConnections: number;
  readonly maxSubscriptions: number;
  readonly idleTimeoutMs: number;
  readonly maxInFlight: number;
  readonly maxPendingBytes: number;
  readonly drainTimeoutMs: number;
  readonly logger: IpcLogger;
  readonly serverInfo: { version: string; pid?: number };
  readonly toRpcError: ErrorMapper | undefined;
  private readonly connections = new Set<Connection>();
  private readonly subscribers = new Set<Connection>();
  private closing: Promise<void> | undefined;
  private readonly onConnection = (socket: net.Socket) => this.handleConnection(socket);

  constructor(
    readonly handlers: IpcHandlers,
    options: IpcServerOptions,
    /** The listener whose connections are served; none when they are handed in one by one. */
    private readonly listener?: net.Server,
  ) {
    this.serverInfo = options.serverInfo;
    const d = IPC_SERVER_DEFAULTS;
    this.maxConnections = options.maxConnections ?? d.maxConnections;
    this.maxSubscriptions = options.maxSubscriptions ?? d.maxSubscriptions;
    this.idleTimeoutMs = options.idleTimeoutMs ?? d.idleTimeoutMs;
    this.maxInFlight = options.maxInFlightPerConnection ?? d.maxInFlightPerConnection;
    this.maxPendingBytes = options.maxPendingBytes ?? d.maxPendingBytes;
    this.drainTimeoutMs = options.drainTimeoutMs ?? d.drainTimeoutMs;
    this.toRpcError = options.toRpcError;
    this.logger = options.logger ?? silentLogger;
    listener?.on('connection', this.onConnection);
  }

  get server(): net.Server {
    // only reachable through createIpcServer, which always passes one
    if (!this.listener) throw new Error('This IPC server has no listener.');
    return this.listener;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  handleConnection(stream: Duplex): void {
    if (this.closing) {
      this.refuse(stream, 'The daemon is shutting down.');
      return;
    }
    if (this.connections.size - this.subscribers.size >= this.maxConnections) {
      this.refuse(stream, `Too many connections (${this.maxConnections}); try again.`);
      setTimeout(() => stream.destroy(), END_GRACE_MS).unref();
      return;
    }
    this.connections.add(new Connection(stream, this));
  }

  private refuse(stream: Duplex, why: string): void {
    stream.on('error', () => undefined);
    new MessageWriter(stream).write(errorReply(null, ErrorCodes.Busy, why));
    stream.end();
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
    const listener = this.listener;
    listener?.off('connection', this.onConnection);
    const closed = new Promise<void>((resolve) => {
      if (!listener?.listening) resolve();
      else listener.close(() => resolve());
    });
    const connections = [...this.connections];
    // what is still answering gets drainTimeoutMs (Infinity: as long as it takes), then is cut off
    await untilAborted(
      Promise.all(connections.map((c) => c.drain())),
      deadline(this.drainTimeoutMs),
    ).catch(() => undefined);
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
  if (typeof target !== 'string') return new ServerCore(handlers, options, target);
  const server = net.createServer({ allowHalfOpen: true });
  const core = new ServerCore(handlers, options, server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: target, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return core;
}

/**
 * Serves the whis protocol on the connections handed to `handleConnection`, with no listener of
 * its own: the transport is the caller's (one end of `memoryPair()`, a pipe, stdio).
 */
export function serveConnections(handlers: IpcHandlers, options: IpcServerOptions): IpcConnections {
  return new ServerCore(handlers, options);
}
