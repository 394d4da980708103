import { createIpcServer, ErrorCodes, RpcError, type IpcLogger, type IpcServer } from '@whis/ipc';
import { HostError, JournalError, type HostErrorCode, type JournalErrorCode } from './errors.js';
import type { ServiceHost } from './host.js';
import type { Instance } from './instance.js';

const RPC_CODES: Partial<Record<HostErrorCode | JournalErrorCode, number>> = {
  'not-recording': ErrorCodes.InvalidState,
  'not-found': ErrorCodes.NotFound,
  unavailable: ErrorCodes.Unavailable,
  'shutting-down': ErrorCodes.Busy,
  'busy-elsewhere': ErrorCodes.Busy,
  'edit-unavailable': ErrorCodes.Unavailable,
};

// Domain errors travel as JSON-RPC errors with whis codes and the error's own code as data (the
// IPC server's reply builder keeps only documented codes on the wire).
function toRpcError(err: unknown): RpcError {
  if (err instanceof HostError || err instanceof JournalError) {
    return new RpcError(RPC_CODES[err.code] ?? ErrorCodes.InternalError, err.message, {
      code: err.code,
    });
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  return new RpcError(
    ErrorCodes.InternalError,
    (err as Error | undefined)?.message ?? String(err),
    typeof code === 'string' ? { code } : undefined,
  );
}

export interface ServeOptions {
  version: string;
  logger?: IpcLogger;
  maxConnections?: number;
  idleTimeoutMs?: number;
}

/** Serves a host over the instance's socket: every protocol method, and the original's wire format. */
export async function serveOverIpc(
  host: ServiceHost,
  instance: Instance,
  options: ServeOptions,
): Promise<IpcServer> {
  const server = await createIpcServer(
    instance.server,
    {
      status: () => host.status(),
      toggle: (params) => host.toggle(params ?? undefined),
      start: (params) => host.start(params ?? undefined),
      finish: () => host.finish(),
      cancel: () => host.cancel(),
      last: (params) => host.last(params?.limit ?? 1),
      retry: (params) => host.retry(params?.id),
      shutdown: () => host.shutdown(),
      subscribe: (_params, ctx) => {
        const dispose = host.subscribe(ctx.notify);
        ctx.signal.addEventListener('abort', dispose, { once: true });
        return { subscribed: true };
      },
    },
    {
      serverInfo: { version: options.version },
      logger: options.logger,
      maxConnections: options.maxConnections,
      idleTimeoutMs: options.idleTimeoutMs,
      toRpcError,
    },
  );
  instance.handOver(server);
  return server;
}
