import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectToDaemon, type IpcClient } from './client.js';
import { IpcError, RpcError } from './errors.js';
import { ErrorCodes, MAX_LINE_BYTES, PROTOCOL_VERSION, type ServiceEvent } from './protocol.js';
import {
  createIpcServer,
  type IpcHandlers,
  type IpcServer,
  type IpcServerOptions,
} from './server.js';
import { RawClient, idleStatus, tempSocket } from './internal/test-support.js';

let socket: ReturnType<typeof tempSocket>;
let server: IpcServer | undefined;
const clients: Array<IpcClient | RawClient> = [];

beforeEach(() => {
  socket = tempSocket();
});
afterEach(async () => {
  for (const c of clients.splice(0)) {
    if (c instanceof RawClient) c.destroy();
    else c.close();
  }
  await server?.close();
  server = undefined;
  socket.cleanup();
});

// Tests serve only the methods they exercise; the rest answer "not supported" at run time.
async function serve(
  handlers: Partial<IpcHandlers>,
  options: Partial<IpcServerOptions> = {},
): Promise<IpcServer> {
  server = await createIpcServer(socket.path, handlers as IpcHandlers, {
    serverInfo: { version: '1.2.3' },
    ...options,
  });
  return server;
}

async function connect(): Promise<IpcClient> {
  const client = await connectToDaemon(socket.path, { timeoutMs: 5000 });
  clients.push(client);
  return client;
}

function raw(): RawClient {
  const client = new RawClient(socket.path);
  clients.push(client);
  return client;
}

describe('requests', () => {
  it('answers hello and a request, adding the protocol version', async () => {
    await serve({ status: () => idleStatus() });
    const client = await connect();
    expect(client.serverInfo).toEqual({
      protocolVersion: PROTOCOL_VERSION,
      server: 'whis',
      version: '1.2.3',
      pid: process.pid,
    });
    expect(await client.request('status')).toMatchObject({
      protocolVersion: PROTOCOL_VERSION,
      state: 'idle',
    });
  });

  it('passes the action of `toggle` and `start` to the handler (edit by voice)', async () => {
    const asked: unknown[] = [];
    await serve({
      toggle: (params) => {
        asked.push(params);
        return { state: 'recording', recordingId: 'r1' };
      },
      start: (params) => {
        asked.push(params);
        return { state: 'recording', recordingId: 'r2' };
      },
    });
    const client = await connect();
    await client.request('toggle', { action: 'edit' });
    await client.request('start', { action: 'dictate' });
    await client.request('toggle');
    expect(asked).toEqual([{ action: 'edit' }, { action: 'dictate' }, undefined]);
  });

  it('refuses another major protocol version with an explicit error', async () => {
    await serve({});
    const c = raw();
    c.send('{"jsonrpc":"2.0","id":1,"method":"hello","params":{"protocolVersion":99}}\n');
    const [reply] = await c.waitForLines(1);
    expect(reply).toMatchObject({
      id: 1,
      error: {
        code: ErrorCodes.IncompatibleProtocol,
        data: { serverProtocolVersion: PROTOCOL_VERSION },
      },
    });
    expect((reply as { error: { message: string } }).error.message).toMatch(
      /client speaks version 99, this daemon 1/,
    );
  });

  it('maps handler errors: RpcError as given, anything else as -32603, and keeps serving', async () => {
    await serve({
      finish: () => {
        throw new RpcError(ErrorCodes.InvalidState, 'Nothing is recording.', { state: 'idle' });
      },
      cancel: () => {
        throw new TypeError('boom');
      },
      status: () => idleStatus(),
    });
    const client = await connect();
    await expect(client.request('finish')).rejects.toMatchObject({
      code: 'remote',
      rpcCode: ErrorCodes.InvalidState,
      message: 'Nothing is recording.',
      data: { state: 'idle' },
    });
    await expect(client.request('cancel')).rejects.toMatchObject({
      rpcCode: ErrorCodes.InternalError,
    });
    expect((await client.request('status')).state).toBe('idle');
  });

  it('answers requests concurrently: a slow handler does not hold up another client', async () => {
    let release!: () => void;
    await serve({
      retry: () => new Promise((resolve) => (release = () => resolve({ id: 'a', text: 'slow' }))),
      status: () => idleStatus(),
    });
    const slow = await connect();
    const pending = slow.request('retry', { id: 'a' });
    const fast = await connect();
    expect((await fast.request('status')).state).toBe('idle');
    release();
    expect((await pending).text).toBe('slow');
  });
});

describe('subscriptions', () => {
  it('pushes events until the client leaves, then the handler sees the abort', async () => {
    const listeners = new Set<(e: ServiceEvent) => void>();
    let aborted = 0;
    await serve({
      subscribe: (_params, ctx) => {
        listeners.add(ctx.notify);
        ctx.signal.addEventListener('abort', () => {
          listeners.delete(ctx.notify);
          aborted++;
        });
        return { subscribed: true };
      },
    });
    const client = await connect();
    const events: ServiceEvent[] = [];
    await client.subscribe((e) => events.push(e));
    for (const notify of listeners)
      notify({ type: 'state', state: 'recording', recordingId: 'r1' });
    for (const notify of listeners)
      notify({ type: 'transcript', recordingId: 'r1', text: 'hello' });
    await expect.poll(() => events.length).toBe(2);
    expect(events[1]).toEqual({ type: 'transcript', recordingId: 'r1', text: 'hello' });
    client.close();
    await expect.poll(() => aborted).toBe(1);
    expect(listeners.size).toBe(0);
  });

  it('disconnects a subscriber that stops reading instead of buffering without bound', async () => {
    let notify!: (e: ServiceEvent) => void;
    let aborted = false;
    await serve(
      {
        subscribe: (_p, ctx) => {
          notify = ctx.notify;
          ctx.signal.addEventListener('abort', () => (aborted = true));
          return { subscribed: true };
        },
      },
      { maxPendingBytes: 256 * 1024 },
    );
    const c = raw();
    c.send('{"jsonrpc":"2.0","id":1,"method":"subscribe"}\n');
    await c.waitForLines(1);
    c.socket.pause();
    const text = 'x'.repeat(4096);
    for (let i = 0; i < 2000 && !aborted; i++) {
      notify({ type: 'transcript', recordingId: 'r', text });
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await expect.poll(() => aborted).toBe(true);
  });
});

describe('large replies and many subscribers', () => {
  it('sends a reply larger than the slow-reader cap to a client that reads it', async () => {
    const text = 'y'.repeat(8 * 1024);
    await serve(
      {
        last: () => ({
          transcripts: Array.from({ length: 150 }, (_, i) => ({
            id: `20260101-000000-${String(i).padStart(4, '0')}`,
            text,
            createdAt: '2026-01-01T00:00:00.000Z',
            durationMs: 1000,
            audioKept: false,
          })),
        }),
      },
      { maxPendingBytes: 1024 * 1024 },
    );
    const client = await connect();
    const result = await client.request('last', { limit: 150 });
    expect(result.transcripts).toHaveLength(150);
    expect(result.transcripts[149]!.text).toBe(text);
  });

  it('keeps status answering beside 300 subscribers, which have a limit of their own', async () => {
    await serve(
      {
        status: () => idleStatus(),
        subscribe: () => ({ subscribed: true }),
      },
      { maxConnections: 256, maxSubscriptions: 280 },
    );
    // status bars start one after another: batches of 20, each subscribed before the next
    const replies: unknown[] = [];
    for (let batch = 0; batch < 15; batch++) {
      const subscribers = Array.from({ length: 20 }, () => raw());
      for (const s of subscribers) s.send('{"jsonrpc":"2.0","id":1,"method":"subscribe"}\n');
      for (const s of subscribers) replies.push((await s.waitForLines(1))[0]);
    }
    const accepted = replies.filter((r) => (r as { result?: unknown }).result !== undefined);
    const refused = replies.filter((r) => (r as { error?: unknown }).error !== undefined);
    expect(accepted).toHaveLength(280);
    expect(refused).toHaveLength(20);
    expect(refused[0]).toMatchObject({
      error: { code: ErrorCodes.Busy, message: expect.stringMatching(/Too many subscribers/) },
    });
    for (let i = 0; i < 5; i++) {
      const client = await connect();
      expect((await client.request('status')).state).toBe('idle');
      client.close();
    }
  }, 30_000);

  it('subscribes a connection once however often it asks', async () => {
    let calls = 0;
    let notify!: (e: ServiceEvent) => void;
    await serve({
      subscribe: (_p, ctx) => {
        calls++;
        notify = ctx.notify;
        return { subscribed: true };
      },
    });
    const c = raw();
    const lines = Array.from(
      { length: 1000 },
      (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"subscribe"}\n`,
    ).join('');
    c.send(lines);
    await c.waitForLines(1000);
    expect(calls).toBe(1);
    notify({ type: 'transcript', recordingId: 'r', text: 'once' });
    await c.waitForLines(1001);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.lines.filter((l) => (l as { method?: string }).method === 'event')).toHaveLength(1);
  });
});

describe("the original's wire format", () => {
  it('answers "Status", "Toggle" and "Stop" in its form, and errors as {"Error"}', async () => {
    let state: 'idle' | 'recording' = 'idle';
    let stopped = false;
    await serve({
      status: () => ({ ...idleStatus(), state }),
      toggle: () => {
        state = 'recording';
        return { state, recordingId: 'r1' };
      },
      shutdown: () => {
        stopped = true;
        return { recordings: [] };
      },
      cancel: () => idleStatus() as never,
    });
    const c = raw();
    c.send('"Status"\n"Toggle"\n');
    expect(await c.waitForLines(2)).toEqual(['Idle', 'Success']);
    c.send('"Status"\n"Stop"\n');
    expect(await c.waitForLines(4)).toEqual(['Idle', 'Success', 'Recording', 'Success']);
    expect(stopped).toBe(true);
  });

  it('reports a failing legacy request as {"Error": message}', async () => {
    await serve({
      status: () => {
        throw new Error('broken');
      },
    });
    const c = raw();
    c.send('"Status"\n"Stop"\n');
    expect(await c.waitForLines(2)).toEqual([
      { Error: 'broken' },
      { Error: 'stop is not supported' },
    ]);
  });
});

describe('malformed input never takes the server down', () => {
  const cases: Array<[string, string | Buffer, number]> = [
    ['not JSON', '{"jsonrpc":\n', ErrorCodes.ParseError],
    ['invalid UTF-8', Buffer.from([0x22, 0xff, 0xfe, 0x22, 0x0a]), ErrorCodes.ParseError],
    ['null', 'null\n', ErrorCodes.InvalidRequest],
    ['an array', '[]\n', ErrorCodes.InvalidRequest],
    ['a number', '42\n', ErrorCodes.InvalidRequest],
    ['an unknown legacy string', '"Launch"\n', ErrorCodes.InvalidRequest],
    ['no jsonrpc member', '{"id":1,"method":"status"}\n', ErrorCodes.InvalidRequest],
    ['a non-string method', '{"jsonrpc":"2.0","id":1,"method":7}\n', ErrorCodes.InvalidRequest],
    ['an object id', '{"jsonrpc":"2.0","id":{},"method":"status"}\n', ErrorCodes.InvalidRequest],
    [
      'scalar params',
      '{"jsonrpc":"2.0","id":1,"method":"status","params":3}\n',
      ErrorCodes.InvalidRequest,
    ],
    [
      'an unknown method',
      '{"jsonrpc":"2.0","id":1,"method":"explode"}\n',
      ErrorCodes.MethodNotFound,
    ],
    [
      'params where none are taken',
      '{"jsonrpc":"2.0","id":1,"method":"status","params":{"x":1}}\n',
      ErrorCodes.InvalidParams,
    ],
    [
      'a bad limit',
      '{"jsonrpc":"2.0","id":1,"method":"last","params":{"limit":"ten"}}\n',
      ErrorCodes.InvalidParams,
    ],
    [
      'an unknown action',
      '{"jsonrpc":"2.0","id":1,"method":"toggle","params":{"action":"rewrite"}}\n',
      ErrorCodes.InvalidParams,
    ],
    [
      'a path as a recording id',
      '{"jsonrpc":"2.0","id":1,"method":"retry","params":{"id":"../../etc"}}\n',
      ErrorCodes.InvalidParams,
    ],
  ];

  it.each(cases)(
    '%s gets one error reply, then a valid request is answered',
    async (_name, line, code) => {
      await serve({
        status: () => idleStatus(),
        last: () => ({ transcripts: [] }),
        retry: () => ({ id: 'x', text: '' }),
      });
      const c = raw();
      c.send(line);
      c.send('{"jsonrpc":"2.0","id":"after","method":"status"}\n');
      const [first, second] = await c.waitForLines(2);
      expect(first).toMatchObject({ jsonrpc: '2.0', error: { code } });
      expect(second).toMatchObject({ id: 'after', result: { state: 'idle' } });
    },
  );

  it('decodes a character split across writes', async () => {
    let seen: string | undefined;
    await serve({ retry: (params) => ({ id: (seen = params?.id ?? ''), text: '' }) });
    const c = raw();
    await c.connected();
    const bytes = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"retry","params":{"id":"x"}}\n');
    for (const b of bytes) {
      c.send(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    await c.waitForLines(1);
    expect(seen).toBe('x');
    // multi-byte characters in an error message round-trip too
    c.send(Buffer.from('{"jsonrpc":"2.0","id":2,"method":"naïve€"}\n').subarray(0, 40));
    c.send(Buffer.from('{"jsonrpc":"2.0","id":2,"method":"naïve€"}\n').subarray(40));
    const [, reply] = await c.waitForLines(2);
    expect((reply as { error: { message: string } }).error.message).toContain('"naïve€"');
  });

  it('answers a line over the cap with an error, then closes the connection', async () => {
    await serve({ status: () => idleStatus() });
    const c = raw();
    c.send(Buffer.alloc(MAX_LINE_BYTES + 1, 0x61));
    const [reply] = await c.waitForLines(1);
    expect(reply).toMatchObject({ id: null, error: { code: ErrorCodes.LineTooLong } });
    await c.closed;
    const other = await connect();
    expect((await other.request('status')).state).toBe('idle');
  });

  it('survives a client that resets mid-request', async () => {
    let started = 0;
    await serve({
      retry: async () => {
        started++;
        await new Promise((r) => setTimeout(r, 100));
        return { id: 'x', text: 'late' };
      },
      status: () => idleStatus(),
    });
    const c = raw();
    c.send('{"jsonrpc":"2.0","id":1,"method":"retry"}\n');
    await expect.poll(() => started).toBe(1);
    c.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const client = await connect();
    expect((await client.request('status')).state).toBe('idle');
  });
});

describe('connections', () => {
  it('answers a client that half-closes right after its request', async () => {
    await serve({
      status: async () => (await new Promise((r) => setTimeout(r, 50)), idleStatus()),
    });
    const c = raw();
    c.socket.end('{"jsonrpc":"2.0","id":1,"method":"status"}\n"Status"');
    expect(await c.waitForLines(2)).toEqual([
      expect.objectContaining({ id: 1, result: expect.objectContaining({ state: 'idle' }) }),
      'Idle',
    ]);
    await c.closed;
  });

  it('closes a silent connection after the idle timeout, and only that one', async () => {
    await serve(
      { status: () => idleStatus(), subscribe: () => ({ subscribed: true }) },
      { idleTimeoutMs: 300 },
    );
    const silent = raw();
    const subscriber = raw();
    subscriber.send('{"jsonrpc":"2.0","id":1,"method":"subscribe"}\n');
    await subscriber.waitForLines(1);
    await silent.closed;
    await new Promise((r) => setTimeout(r, 400));
    expect(subscriber.socket.destroyed).toBe(false);
    subscriber.send('{"jsonrpc":"2.0","id":2,"method":"status"}\n');
    await subscriber.waitForLines(2);
  });

  it('refuses connections over the limit cleanly and serves again when one leaves', async () => {
    await serve({ status: () => idleStatus() }, { maxConnections: 2 });
    const a = await connect();
    await connect();
    const refused = raw();
    const [line] = await refused.waitForLines(1);
    expect(line).toMatchObject({
      id: null,
      error: {
        code: ErrorCodes.Busy,
        message: expect.stringMatching(/Too many connections \(2\)/),
      },
    });
    await refused.closed;
    await expect(connectToDaemon(socket.path, { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'remote',
      rpcCode: ErrorCodes.Busy,
    });
    a.close();
    await expect.poll(() => server!.connectionCount).toBe(1);
    const c = await connect();
    expect((await c.request('status')).state).toBe('idle');
  });

  it('serves 1000 concurrent clients while 200 idle ones hold connections', async () => {
    await serve({ status: () => idleStatus() }, { maxConnections: 1300 });
    const idle = Array.from({ length: 200 }, () => raw());
    await Promise.all(idle.map((c) => c.connected()));
    const results = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const client = await connectToDaemon(socket.path, { timeoutMs: 20_000 });
        try {
          return (await client.request('status')).state;
        } finally {
          client.close();
        }
      }),
    );
    expect(results.filter((s) => s === 'idle')).toHaveLength(1000);
  }, 60_000);

  it('close() lets in-flight requests answer, then ends subscriptions', async () => {
    let aborted = false;
    await serve({
      retry: async () => (await new Promise((r) => setTimeout(r, 200)), { id: 'r', text: 'done' }),
      subscribe: (_p, ctx) => (
        ctx.signal.addEventListener('abort', () => (aborted = true)),
        { subscribed: true }
      ),
    });
    const client = await connect();
    await client.subscribe(() => undefined);
    const inFlight = client.request('retry');
    await new Promise((r) => setTimeout(r, 20));
    await server!.close();
    expect((await inFlight).text).toBe('done');
    expect(aborted).toBe(true);
    await expect(connectToDaemon(socket.path, { timeoutMs: 1000 })).rejects.toBeInstanceOf(
      IpcError,
    );
  });
});

describe('client errors a CLI can map', () => {
  it('not-running when there is no socket', async () => {
    await expect(connectToDaemon(socket.path)).rejects.toMatchObject({ code: 'not-running' });
  });

  it('stale when the socket exists but nobody listens', async () => {
    const { spawnSync } = await import('node:child_process');
    // a process that binds the socket and dies by SIGKILL leaves the file behind
    spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(socket.path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await expect(connectToDaemon(socket.path)).rejects.toMatchObject({ code: 'stale' });
  });

  it('unresponsive when the daemon accepts but never answers', async () => {
    const mute = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => mute.listen(socket.path, r));
    try {
      await expect(connectToDaemon(socket.path, { timeoutMs: 300 })).rejects.toMatchObject({
        code: 'unresponsive',
      });
    } finally {
      mute.close();
    }
  });

  it('protocol when the peer is not a whis daemon', async () => {
    const echo = net.createServer((s) => {
      s.on('error', () => undefined);
      s.write('hello there\n');
    });
    await new Promise<void>((r) => echo.listen(socket.path, r));
    try {
      await expect(connectToDaemon(socket.path, { timeoutMs: 2000 })).rejects.toMatchObject({
        code: 'protocol',
      });
    } finally {
      echo.close();
    }
  });

  it('close() with no drain bound (Infinity) waits for the request in flight and answers it', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const srv = await serve(
      {
        retry: async () => {
          entered();
          await held;
          return { id: 'r1', text: 'kept' };
        },
      },
      { drainTimeoutMs: Infinity },
    );
    const client = await connect();
    const answer = client.request('retry', {});
    await inHandler;
    let closed = false;
    const closing = srv.close().then(() => (closed = true));
    // a window in which a drain bound of "for ever" must not end: Node's setTimeout(Infinity)
    // fires after 1 ms
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    release();
    await expect(answer).resolves.toMatchObject({ text: 'kept' });
    await closing;
  });

  it('a reply that arrived before the deadline is taken, though this process ran late', async () => {
    // The reply is in the socket when the deadline passes, unread: this process ran something else
    // for longer than the timeout (a loaded machine, a long task). Node runs the due timers before
    // it reads: the reply must still win over the timeout.
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    await serve({
      status: () => {
        setImmediate(() => busy(400));
        return idleStatus();
      },
    });
    const client = await connect();
    await expect(client.request('status', undefined, { timeoutMs: 200 })).resolves.toMatchObject({
      state: 'idle',
    });
  });

  it('a request timeout rejects that request only', async () => {
    await serve(
      { retry: () => new Promise(() => undefined), status: () => idleStatus() },
      { drainTimeoutMs: 100 },
    );
    const client = await connect();
    await expect(client.request('retry', {}, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'unresponsive',
    });
    expect((await client.request('status')).state).toBe('idle');
  });
});
