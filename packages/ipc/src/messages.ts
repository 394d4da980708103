import { isLegacyRequest, type LegacyRequest } from './legacy.js';
import { ErrorCodes } from './protocol.js';

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

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
  if (isLegacyRequest(value)) return { kind: 'legacy', request: value };
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
