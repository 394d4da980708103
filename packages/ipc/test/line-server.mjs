// A whis IPC server in its own process, for memory measurements: prints "ready", then answers
// "rss" on stdin with its resident set size in bytes.
import { createInterface } from 'node:readline';
import { createIpcServer } from '../dist/index.js';

const server = await createIpcServer(
  process.argv[2],
  { status: () => ({ state: 'idle' }) },
  { serverInfo: { version: 'test' } },
);
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'rss') {
    globalThis.gc?.();
    process.stdout.write(`${process.memoryUsage().rss}\n`);
  }
}
await server.close();
