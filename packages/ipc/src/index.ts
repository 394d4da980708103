export {
  PROTOCOL_VERSION,
  MAX_LINE_BYTES,
  EVENT_METHOD,
  ErrorCodes,
  ERROR_INFO_CODES,
  ERROR_INFO_DOMAINS,
  STATE_LABELS,
  type ServiceState,
  type Level,
  type RecordingInfo,
  type ErrorInfo,
  type UploadInfo,
  type TranscriptEntry,
  type HelloParams,
  type HelloResult,
  type StatusResult,
  type StateChangeResult,
  type LastParams,
  type LastResult,
  type RetryParams,
  type RetryResult,
  type SubscribeResult,
  type ShutdownResult,
  type Methods,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type ServiceEvent,
} from './protocol.js';
export { IpcError, RpcError, type IpcErrorCode } from './errors.js';
export { resolveEndpoint, tempSocketPath, SOCKET_NAME, type EndpointOptions } from './endpoint.js';
export { runtimeDirPath, checkRuntimeDir, type RuntimeDirOptions } from './runtime-dir.js';
export {
  createIpcServer,
  serveConnections,
  type IpcServer,
  type IpcConnections,
  type IpcServerOptions,
  type IpcHandlers,
  type HandlerResult,
  type RequestContext,
  type IpcLogger,
} from './server.js';
export {
  connectToDaemon,
  connectOverStream,
  type IpcClient,
  type ConnectOptions,
  type RequestOptions,
} from './client.js';
export type { ErrorMapper } from './replies.js';
export {
  memoryPair,
  MessageReader,
  MessageWriter,
  type Incoming,
  type MessageReaderEvents,
  type MessageReaderOptions,
} from './transport.js';
