import { ErrorCodes, type MethodName } from './protocol.js';

export type RequestId = string | number | null;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: RequestId;
  method: string;
  params?: unknown;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: RequestId; result: unknown }
  | { jsonrpc: '2.0'; id: RequestId; error: JsonRpcErrorObject };

/** The original's wire format: a JSON string naming the request. */
export const LEGACY_REQUESTS = ['Status', 'Stop', 'Toggle'] as const;
export type LegacyRequest = (typeof LEGACY_REQUESTS)[number];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function errorResponse(
  id: RequestId,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcResponse {
  const error: JsonRpcErrorObject =
    data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}

export type Classified =
  | { kind: 'request'; request: JsonRpcRequest; notification: boolean }
  | { kind: 'legacy'; request: LegacyRequest }
  | { kind: 'invalid'; id: RequestId; code: number; message: string };

function validId(id: unknown): id is RequestId {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** Classifies one parsed line: a JSON-RPC request or notification, a legacy request, or why it is invalid. */
export function classify(value: unknown): Classified {
  if (typeof value === 'string' && (LEGACY_REQUESTS as readonly string[]).includes(value)) {
    return { kind: 'legacy', request: value as LegacyRequest };
  }
  if (!isPlainObject(value)) {
    return {
      kind: 'invalid',
      id: null,
      code: ErrorCodes.InvalidRequest,
      message:
        'Invalid request: expected a JSON-RPC 2.0 object, e.g. {"jsonrpc":"2.0","id":1,"method":"status"}',
    };
  }
  const id = Object.hasOwn(value, 'id') ? value.id : undefined;
  const replyId = validId(id) ? id : null;
  if (value.jsonrpc !== '2.0') {
    return {
      kind: 'invalid',
      id: replyId,
      code: ErrorCodes.InvalidRequest,
      message: 'Invalid request: "jsonrpc" must be "2.0"',
    };
  }
  if (id !== undefined && !validId(id)) {
    return {
      kind: 'invalid',
      id: null,
      code: ErrorCodes.InvalidRequest,
      message: 'Invalid request: "id" must be a string, a number or null',
    };
  }
  if (typeof value.method !== 'string' || value.method.length === 0) {
    return {
      kind: 'invalid',
      id: replyId,
      code: ErrorCodes.InvalidRequest,
      message: 'Invalid request: "method" must be a non-empty string',
    };
  }
  if (value.params !== undefined && typeof value.params !== 'object') {
    return {
      kind: 'invalid',
      id: replyId,
      code: ErrorCodes.InvalidRequest,
      message: 'Invalid request: "params" must be an object or an array',
    };
  }
  return {
    kind: 'request',
    request: value as unknown as JsonRpcRequest,
    notification: id === undefined,
  };
}

const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

function isEmpty(params: unknown): boolean {
  return (
    params === undefined ||
    params === null ||
    (Array.isArray(params) && params.length === 0) ||
    (isPlainObject(params) && Object.keys(params).length === 0)
  );
}

function onlyKeys(params: Record<string, unknown>, keys: string[]): string | undefined {
  const extra = Object.keys(params).filter((k) => !keys.includes(k));
  return extra.length > 0 ? `unknown parameter "${extra[0]}"` : undefined;
}

/**
 * Validates a method's params and returns them normalised, or a message for -32602. Hand-written
 * rather than a schema library: ten small shapes, and the client path stays free of the dependency.
 */
export function validateParams(
  method: MethodName,
  params: unknown,
): { ok: true; params: unknown } | { ok: false; message: string } {
  const fail = (why: string) => ({
    ok: false as const,
    message: `Invalid params for "${method}": ${why}`,
  });
  switch (method) {
    case 'hello': {
      if (!isPlainObject(params)) return fail('expected {"protocolVersion": <integer>}');
      const bad = onlyKeys(params, ['protocolVersion', 'client']);
      if (bad) return fail(bad);
      if (!Number.isInteger(params.protocolVersion) || (params.protocolVersion as number) < 0) {
        return fail('"protocolVersion" must be a non-negative integer');
      }
      if (
        params.client !== undefined &&
        (typeof params.client !== 'string' || params.client.length > 200)
      ) {
        return fail('"client" must be a string of at most 200 characters');
      }
      return { ok: true, params };
    }
    case 'last': {
      if (isEmpty(params)) return { ok: true, params: {} };
      if (!isPlainObject(params)) return fail('expected {"limit": <1..1000>}');
      const bad = onlyKeys(params, ['limit']);
      if (bad) return fail(bad);
      const limit = params.limit;
      if (
        limit !== undefined &&
        (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 1000)
      ) {
        return fail('"limit" must be an integer from 1 to 1000');
      }
      return { ok: true, params };
    }
    case 'retry': {
      if (isEmpty(params)) return { ok: true, params: {} };
      if (!isPlainObject(params)) return fail('expected {"id": "<recording id>"}');
      const bad = onlyKeys(params, ['id']);
      if (bad) return fail(bad);
      if (
        params.id !== undefined &&
        (typeof params.id !== 'string' || !ID_PATTERN.test(params.id))
      ) {
        return fail('"id" must be a recording id (letters, digits, ".", "_", "-")');
      }
      return { ok: true, params };
    }
    default:
      return isEmpty(params)
        ? { ok: true, params: undefined }
        : fail('this method takes no parameters');
  }
}
