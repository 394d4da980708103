import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIpcServer, type IpcHandlers, type IpcServer } from './server.js';
import { RawClient, idleStatus, tempSocket } from './internal/test-support.js';

// A seeded generator, so that a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  '{"jsonrpc":"2.0","id":1,"method":"status"}',
  '{"jsonrpc":"2.0","id":"a","method":"last","params":{"limit":5}}',
  '{"jsonrpc":"2.0","id":2,"method":"retry","params":{"id":"20261124-1"}}',
  '{"jsonrpc":"2.0","id":3,"method":"hello","params":{"protocolVersion":1}}',
  '"Status"',
];

function mutate(random: () => number, line: string): Buffer {
  const bytes = Buffer.from(line);
  const out = [...bytes];
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (out.length + 1));
    const kind = random();
    const byte = Math.floor(random() * 256);
    if (kind < 0.3) out.splice(at, 1);
    else if (kind < 0.6) out.splice(at, 0, byte === 0x0a ? 0x20 : byte);
    else if (kind < 0.8) out[at % out.length] = byte === 0x0a ? 0x7b : byte;
    else out.length = at; // truncate
  }
  return Buffer.from(out);
}

function randomBytes(random: () => number): Buffer {
  const n = 1 + Math.floor(random() * 200);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const b = Math.floor(random() * 256);
    out[i] = b === 0x0a ? 0x00 : b;
  }
  // a leading '#' can never start a JSON value: these lines are certainly invalid
  out[0] = 0x23;
  return out;
}

let socket: ReturnType<typeof tempSocket>;
let server: IpcServer;
let handled = 0;

beforeAll(async () => {
  socket = tempSocket();
  server = await createIpcServer(
    socket.path,
    {
      status: () => (handled++, idleStatus()),
      last: () => (handled++, { transcripts: [] }),
      retry: () => (handled++, { id: 'x', text: '' }),
      toggle: () => (handled++, { state: 'idle', recordingId: null }),
      shutdown: () => (handled++, { recordings: [] }),
    } as Partial<IpcHandlers> as IpcHandlers,
    { serverInfo: { version: 'fuzz' } },
  );
});
afterAll(async () => {
  await server.close();
  socket.cleanup();
});

it('survives 10,000 random and mutated lines: no crash, at most one reply per line, one error per certainly-bad line', async () => {
  const random = rng(20261124);
  const client = new RawClient(socket.path);
  await client.connected();
  const LINES = 10_000;
  let certainlyBad = 0;
  let expectedAtMost = 0;
  const batch: Buffer[] = [];
  for (let i = 0; i < LINES; i++) {
    let line: Buffer;
    if (random() < 0.3) {
      line = randomBytes(random);
      certainlyBad++;
    } else {
      line = mutate(random, VALID[Math.floor(random() * VALID.length)]!);
    }
    expectedAtMost++;
    batch.push(line, Buffer.from('\n'));
    if (batch.length >= 200) client.send(Buffer.concat(batch.splice(0)));
  }
  client.send(Buffer.concat(batch));
  client.send('{"jsonrpc":"2.0","id":"final","method":"status"}\n');
  await expect
    .poll(() => client.lines.some((l) => (l as { id?: unknown }).id === 'final'), {
      timeout: 30_000,
      interval: 100,
    })
    .toBe(true);
  // let replies to earlier lines still in flight land before counting
  await new Promise((r) => setTimeout(r, 200));
  const replies = client.lines.length - 1;
  const errors = client.lines.filter(
    (l) => typeof l === 'object' && l !== null && 'error' in l,
  ).length;
  expect(replies).toBeLessThanOrEqual(expectedAtMost);
  expect(errors).toBeGreaterThanOrEqual(certainlyBad);
  // only lines that mutated into valid notifications go unanswered
  expect(expectedAtMost - replies).toBeLessThan(LINES * 0.05);
  expect(handled).toBeGreaterThan(0);
  expect(client.socket.destroyed).toBe(false);
  client.destroy();
}, 60_000);
