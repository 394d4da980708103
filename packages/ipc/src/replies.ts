import { RpcError } from './errors.js';
import {
  isPlainObject,
  type JsonRpcErrorObject,
  type JsonRpcResponse,
  type RequestId,
} from './messages.js';
import {
  ERROR_INFO_CODES,
  ERROR_INFO_DOMAINS,
  ErrorCodes,
  EVENT_METHOD,
  PROTOCOL_VERSION,
  type ErrorInfo,
  type ServiceEvent,
} from './protocol.js';

/**
 * The one place replies and events are built, so that what crosses the wire is what the protocol
 * documents: every result carries `protocolVersion`, every error a documented JSON-RPC code, and
 * every whis error code (`ErrorInfo.code`, an error's `data.code`) is one of
 * {@link ERROR_INFO_CODES} — anything else goes out as `failed`, its detail in the message (and,
 * for an error reply, the original code as `data.cause`).
 */

// pure: a bundle of only the client (the CLI's fast path) leaves them out
const RPC_CODES = /* @__PURE__ */ new Set<number>(Object.values(ErrorCodes));
const INFO_CODES = /* @__PURE__ */ new Set<string>(ERROR_INFO_CODES);
const INFO_DOMAINS = /* @__PURE__ */ new Set<string>(ERROR_INFO_DOMAINS);

/** The code as documented, or `failed`. */
export function wireCode(code: string): string {
  return INFO_CODES.has(code) ? code : 'failed';
}

function wireErrorInfo<T extends Pick<ErrorInfo, 'code' | 'domain'>>(info: T): T {
  const known = INFO_CODES.has(info.code) ? info : { ...info, code: 'failed' };
  if (known.domain === undefined || INFO_DOMAINS.has(known.domain)) return known;
  const { domain: _undocumented, ...rest } = known;
  return rest as T;
}

function wireData(data: unknown): unknown {
  if (!isPlainObject(data) || typeof data.code !== 'string' || INFO_CODES.has(data.code))
    return data;
  return { ...data, code: 'failed', cause: data.code };
}

/** A result reply; `protocolVersion` first, then the handler's fields. */
export function resultReply(id: RequestId, result: object): JsonRpcResponse {
  const body: Record<string, unknown> = { protocolVersion: PROTOCOL_VERSION, ...result };
  const lastError = body.lastError as ErrorInfo | null | undefined;
  if (lastError) body.lastError = wireErrorInfo(lastError);
  return { jsonrpc: '2.0', id, result: body };
}

/** An error reply; a code the protocol does not document goes out as -32603. */
export function errorReply(
  id: RequestId,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcResponse {
  const error: JsonRpcErrorObject = {
    code: RPC_CODES.has(code) ? code : ErrorCodes.InternalError,
    message,
  };
  if (data !== undefined) error.data = wireData(data);
  return { jsonrpc: '2.0', id, error };
}

/** Turns what a handler threw into the JSON-RPC error it answers; `undefined`: not one it knows. */
export type ErrorMapper = (err: unknown) => RpcError | undefined;

// A mapper that throws must not take the connection down: its error is then an unexpected one.
function mapSafely(toRpc: ErrorMapper | undefined, err: unknown): RpcError | undefined {
  try {
    return toRpc?.(err);
  } catch {
    return undefined;
  }
}

/**
 * The reply to a request whose handling threw: an RpcError as given, a domain error as `toRpc`
 * maps it, anything else as -32603 naming the method (`unexpected`: worth logging).
 */
export function failureReply(
  id: RequestId,
  method: string,
  err: unknown,
  toRpc?: ErrorMapper,
): { reply: JsonRpcResponse; unexpected: boolean } {
  const known = err instanceof RpcError ? err : mapSafely(toRpc, err);
  if (known)
    return { reply: errorReply(id, known.code, known.message, known.data), unexpected: false };
  const why = (err as Error)?.message ?? String(err);
  return {
    reply: errorReply(id, ErrorCodes.InternalError, `Internal error in "${method}": ${why}`),
    unexpected: true,
  };
}

/** The notification that carries an event to a subscriber. */
export function eventNotification(event: ServiceEvent): unknown {
  const params =
    event.type === 'error' && !INFO_CODES.has(event.error.code)
      ? { ...event, error: wireErrorInfo(event.error) }
      : event;
  return { jsonrpc: '2.0', method: EVENT_METHOD, params };
}
