import type { Duplex } from 'node:stream';
import { RpcError } from './errors.js';
import { answerLegacy, type LegacyRequest } from './legacy.js';
import { classify, type JsonRpcRequest, type JsonRpcResponse, type RequestId } from './messages.js';
import { isMethod, METHOD_NAMES, METHOD_TABLE, validateParams } from './methods.js';
import {
  ErrorCodes,
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  type HelloParams,
  type ServiceEvent,
} from './protocol.js';
import {
  errorReply,
  eventNotification,
  failureReply,
  resultReply,
  type ErrorMapper,
} from './replies.js';
import type { IpcHandlers, IpcLogger, RequestContext } from './server.js';
import { MessageReader, MessageWriter, type Incoming } from './transport.js';

/** Unread output above which a connection's input is paused until the client catches up. */
const PAUSE_WRITABLE_BYTES = 64 * 1024;
/** How long a connection that was told to end (or refused) may keep its half-closed socket. */
export const END_GRACE_MS = 1000;

/** What a connection needs from the server that serves it: handlers, limits, shared slots. */
export interface ConnectionOwner {
  readonly handlers: IpcHandlers;
  readonly serverInfo: { version: string; pid?: number };
  readonly idleTimeoutMs: number;
  readonly maxInFlight: number;
  readonly maxPendingBytes: number;
  readonly maxSubscriptions: number;
  readonly toRpcError: ErrorMapper | undefined;
  readonly logger: IpcLogger;
  forget(connection: Connection): void;
  /** Moves a connection from the control slots to the subscription slots, if one is free. */
  claimSubscription(connection: Connection): boolean;
  releaseSubscription(connection: Connection): void;
}

type Handler = (params: unknown, ctx: RequestContext) => unknown;

/** One client, over any duplex stream: a socket, a pipe, one end of `memoryPair()`. */
export class Connection {
  private readonly reader: MessageReader;
  private readonly writer: MessageWriter;
  private readonly abort = new AbortController();
  /** Closes a connection with nothing in flight and no subscription after a silence. */
  private readonly idleTimer: NodeJS.Timeout;
  private inFlight = 0;
  private readingPaused = false;
  private inputEnded = false;
  /** One subscription per connection: `pending` while the handler runs, so repeats never stack. */
  private subscription: 'none' | 'pending' | 'active' = 'none';
  private draining = false;
  private readonly settledListeners: Array<() => void> = [];
  private readonly ctx: RequestContext;

  constructor(
    readonly stream: Duplex,
    private readonly owner: ConnectionOwner,
  ) {
    this.ctx = { signal: this.abort.signal, notify: (event) => this.notify(event) };
    stream.allowHalfOpen = true;
    this.writer = new MessageWriter(stream);
    this.reader = new MessageReader(
      stream,
      { maxLineBytes: MAX_LINE_BYTES, lenient: true },
      {
        data: () => this.touch(),
        message: (message) => this.onMessage(message),
        overflow: () => this.onOverflow(),
        end: () => {
          this.inputEnded = true;
          this.maybeEnd();
        },
      },
    );
    this.idleTimer = setTimeout(() => {
      if (this.inFlight === 0 && this.subscription === 'none') stream.destroy();
    }, owner.idleTimeoutMs).unref();
    stream.on('drain', () => this.updateFlow());
    // EPIPE, ECONNRESET, …: the client is gone; 'close' follows and cleans up.
    stream.on('error', (err) => owner.logger.debug({ err }, 'ipc connection error'));
    stream.on('close', () => {
      clearTimeout(this.idleTimer);
      this.abort.abort();
      this.reader.stop();
      owner.forget(this);
      this.settle();
    });
  }

  /** Stops taking requests; resolves when the ones in flight have answered. */
  drain(): Promise<void> {
    this.draining = true;
    this.reader.stop();
    this.reader.pause();
    if (this.inFlight === 0 || this.stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.settledListeners.push(resolve));
  }

  /** Ends the connection after what was written is flushed. */
  finish(): void {
    this.abort.abort();
    this.stream.end();
    // a client that never reads would keep a half-closed socket open: bound it
    setTimeout(() => this.stream.destroy(), END_GRACE_MS).unref();
  }

  private settle(): void {
    for (const listener of this.settledListeners.splice(0)) listener();
  }

  private send(message: unknown): void {
    if (!this.writer.open) return;
    // what the client left unread is bounded, not the size of one reply: a large `last` goes out
    if (this.writer.pendingBytes > this.owner.maxPendingBytes) {
      this.owner.logger.warn(
        { pending: this.writer.pendingBytes, limit: this.owner.maxPendingBytes },
        'ipc client left too much output unread; disconnecting it',
      );
      this.stream.destroy();
      return;
    }
    this.writer.write(message);
    this.touch();
    this.updateFlow();
  }

  // Traffic either way restarts the idle timer, as a socket's own timeout does; a subscription has none.
  private touch(): void {
    if (this.subscription !== 'active') this.idleTimer.refresh();
  }

  private notify(event: ServiceEvent): void {
    this.send(eventNotification(event));
  }

  // Reading pauses while the client has too many requests in flight or does not read its replies,
  // so one hostile client costs bounded memory and never delays another.
  private updateFlow(): void {
    const shouldPause =
      this.inFlight >= this.owner.maxInFlight || this.writer.pendingBytes > PAUSE_WRITABLE_BYTES;
    if (shouldPause && !this.readingPaused) {
      this.readingPaused = true;
      this.reader.pause();
    } else if (!shouldPause && this.readingPaused && !this.draining) {
      this.readingPaused = false;
      this.reader.resume();
    }
  }

  // After the client's input ends (a half-close, or a full close we cannot tell apart on a Unix
  // socket) the pending replies are still sent; then the connection and any subscription end.
  private maybeEnd(): void {
    if (this.inputEnded && this.inFlight === 0 && !this.stream.destroyed) {
      this.abort.abort();
      this.stream.end();
    }
  }

  private onOverflow(): void {
    this.send(
      errorReply(
        null,
        ErrorCodes.LineTooLong,
        `Line too long: requests are limited to ${MAX_LINE_BYTES} bytes. Closing the connection.`,
      ),
    );
    this.finish();
  }

  private onMessage(incoming: Incoming): void {
    if (!incoming.ok) {
      const why = incoming.why === 'utf8' ? 'the line is not valid UTF-8' : incoming.message;
      this.send(errorReply(null, ErrorCodes.ParseError, `Parse error: ${why}`));
      return;
    }
    const message = classify(incoming.value);
    if (message.kind === 'invalid')
      this.send(errorReply(message.id, message.code, message.message));
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

  // Every answer to a JSON-RPC request, result or error, is built here and only here.
  private async dispatch(request: JsonRpcRequest, notification: boolean): Promise<void> {
    const id: RequestId = request.id ?? null;
    let reply: JsonRpcResponse;
    try {
      reply = resultReply(id, await this.run(request));
    } catch (err) {
      const failure = failureReply(id, request.method, err, this.owner.toRpcError);
      if (failure.unexpected)
        this.owner.logger.error({ err, method: request.method }, 'ipc handler failed');
      reply = failure.reply;
    }
    if (!notification) this.send(reply);
  }

  /** The result of a request, or an RpcError saying why there is none (thrown, or rejected). */
  private run(request: JsonRpcRequest): object | Promise<object> {
    const method = request.method;
    if (!isMethod(method)) {
      throw new RpcError(
        ErrorCodes.MethodNotFound,
        `Method not found: "${method.slice(0, 100)}". Methods: ${METHOD_NAMES.join(', ')}`,
      );
    }
    const checked = validateParams(method, request.params);
    if (!checked.ok) throw new RpcError(ErrorCodes.InvalidParams, checked.message);
    if (method === 'hello') return this.hello(checked.params as HelloParams);
    // required by the type, but a JavaScript caller may still leave one out
    const handler = this.owner.handlers[method] as Handler | undefined;
    if (!handler) {
      throw new RpcError(
        ErrorCodes.MethodNotFound,
        `Method not supported by this server: "${method}"`,
      );
    }
    if (METHOD_TABLE[method].subscription === true) return this.subscribe(handler, checked.params);
    return handler(checked.params, this.ctx) as object | Promise<object>;
  }

  private async subscribe(handler: Handler, params: unknown): Promise<object> {
    // already subscribed (or subscribing): one listener per connection, however often asked
    if (this.subscription !== 'none') return { subscribed: true };
    if (!this.owner.claimSubscription(this)) {
      throw new RpcError(
        ErrorCodes.Busy,
        `Too many subscribers (${this.owner.maxSubscriptions}); close one (a status bar?) and try again.`,
      );
    }
    this.subscription = 'pending';
    try {
      const result = (await handler(params, this.ctx)) as object;
      this.subscription = 'active';
      clearTimeout(this.idleTimer);
      return result;
    } catch (err) {
      this.subscription = 'none';
      this.owner.releaseSubscription(this);
      throw err;
    }
  }

  private hello(params: HelloParams): object {
    if (params.protocolVersion !== PROTOCOL_VERSION) {
      throw new RpcError(
        ErrorCodes.IncompatibleProtocol,
        `Incompatible protocol: the client speaks version ${params.protocolVersion}, this daemon ${PROTOCOL_VERSION}. Use a client and daemon of the same whis release.`,
        { serverProtocolVersion: PROTOCOL_VERSION },
      );
    }
    const info = this.owner.serverInfo;
    return { server: 'whis', version: info.version, pid: info.pid ?? process.pid };
  }

  // The original's clients send a bare JSON string and read one JSON value back.
  private async legacy(request: LegacyRequest): Promise<void> {
    this.send(await answerLegacy(request, this.owner.handlers, this.ctx));
  }
}
