// Round-trip latency (p50/p99) and requests per second of the whis protocol against a bare
// newline echo over the same kind of socket, for 1, 10 and 100 concurrent clients, in one run.
// Usage: npm run bench:ipc   (from the repository root)
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectToDaemon, createIpcServer } from '../dist/index.js';

const DURATION_MS = Number(process.env.DURATION_MS ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'whis-bench-'));
const status = {
  state: 'idle',
  pid: process.pid,
  version: 'bench',
  uptimeMs: 0,
  hotkey: null,
  hotkeyProblem: null,
  hotkeyActive: false,
  recording: null,
  transcribing: [],
  lastError: null,
  problems: [],
};

// the baseline: a bare net server that echoes each line, and a client that awaits each echo
const echoPath = join(dir, 'echo.sock');
const echo = net.createServer((socket) => {
  socket.on('error', () => undefined);
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (data) => {
    buffer += data;
    let i;
    while ((i = buffer.indexOf('\n')) !== -1) {
      socket.write(`${buffer.slice(0, i)}\n`);
      buffer = buffer.slice(i + 1);
    }
  });
});
await new Promise((r) => echo.listen(echoPath, r));

async function echoClient() {
  const socket = net.createConnection(echoPath);
  await new Promise((r) => socket.once('connect', r));
  socket.setEncoding('utf8');
  let buffer = '';
  let waiting;
  socket.on('data', (d) => {
    buffer += d;
    const i = buffer.indexOf('\n');
    if (i !== -1) {
      buffer = buffer.slice(i + 1);
      waiting?.();
    }
  });
  const line = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'status' })}\n`;
  return {
    request: () =>
      new Promise((resolve) => {
        waiting = resolve;
        socket.write(line);
      }),
    close: () => socket.destroy(),
  };
}

const whisPath = join(dir, 'whis.sock');
const server = await createIpcServer(
  whisPath,
  { status: () => status },
  { serverInfo: { version: 'bench' }, maxConnections: 1000 },
);
async function whisClient() {
  const client = await connectToDaemon(whisPath, { timeoutMs: 10_000 });
  return { request: () => client.request('status'), close: () => client.close() };
}

async function measure(makeClient, clients) {
  const pool = await Promise.all(Array.from({ length: clients }, makeClient));
  const latencies = [];
  const end = performance.now() + DURATION_MS;
  await Promise.all(
    pool.map(async (c) => {
      while (performance.now() < end) {
        const t = performance.now();
        await c.request();
        latencies.push(performance.now() - t);
      }
    }),
  );
  for (const c of pool) c.close();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { p50: q(0.5), p99: q(0.99), rps: latencies.length / (DURATION_MS / 1000) };
}

console.log(
  'clients | bare echo p50 / p99 / req/s | whis p50 / p99 / req/s | ratio p50 / p99 / throughput',
);
for (const clients of [1, 10, 100]) {
  // warm up both, then measure them back to back
  await measure(echoClient, clients);
  await measure(whisClient, clients);
  const base = await measure(echoClient, clients);
  const whis = await measure(whisClient, clients);
  const f = (x) => x.toFixed(3);
  console.log(
    `${String(clients).padStart(7)} | ${f(base.p50)} ms / ${f(base.p99)} ms / ${Math.round(base.rps)} | ${f(whis.p50)} ms / ${f(whis.p99)} ms / ${Math.round(whis.rps)} | ${(whis.p50 / base.p50).toFixed(2)}× / ${(whis.p99 / base.p99).toFixed(2)}× / ${(base.rps / whis.rps).toFixed(2)}×`,
  );
}
await server.close();
echo.close();
rmSync(dir, { recursive: true, force: true });
