import { connectToDaemon, type IpcClient } from '@whis/ipc';
import { daemonEndpoint } from './runtime.js';

export interface DaemonOptions {
  /** Connect and reply timeout. */
  timeoutMs?: number;
}

/** Connects to the running daemon, runs `fn`, and always closes the connection. */
export async function withDaemon<T>(
  fn: (client: IpcClient) => Promise<T>,
  options: DaemonOptions = {},
): Promise<T> {
  const client = await connectToDaemon(daemonEndpoint(), {
    timeoutMs: options.timeoutMs ?? 3000,
    client: 'whis-cli',
  });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
