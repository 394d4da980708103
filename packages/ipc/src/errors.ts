import { WhisError } from '@whis/contracts';
export type IpcErrorCode =
  | 'not-running'
  | 'stale'
  | 'unresponsive'
  | 'protocol'
  | 'remote'
  | 'closed'
  | 'endpoint-too-long'
  | 'insecure-dir'
  | 'connect-failed';

/** A client-side failure talking to the daemon; `code` tells a CLI what to print and how to exit. */
export class IpcError extends WhisError<'ipc', IpcErrorCode> {
  /** For `remote`: the daemon's JSON-RPC error code. */
  readonly rpcCode: number | undefined;
  /** For `remote`: the daemon's error data. */
  readonly data: unknown;
  constructor(
    code: IpcErrorCode,
    message: string,
    options: { cause?: unknown; rpcCode?: number; data?: unknown } = {},
  ) {
    super('IpcError', 'ipc', code, message, options);
    this.rpcCode = options.rpcCode;
    this.data = options.data;
  }
}

/** Thrown by a handler to answer with a JSON-RPC error (a whis domain error or a standard one). */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}
