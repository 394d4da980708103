import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { connectOverStream } from './client.js';
import { RpcError } from './errors.js';
import { idleStatus } from './internal/test-support.js';
import { ErrorCodes, MAX_LINE_BYTES, PROTOCOL_VERSION, type ServiceEvent } from './protocol.js';
import {
  serveConnections,
  type IpcConnections,
  type IpcHandlers,
  type IpcServerOptions,
} from './server.js';
import { memoryPair } from './transport.js';

// The protocol over in-memory streams: no socket, the same server and client code.

let server: IpcConnections | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function serve(handlers: Partial<IpcHandlers>, options: Partial<IpcServerOptions> = {}) {
  server = serveConnections(handlers as IpcHandlers, {
    serverInfo: { version: '1.2.3', pid: 42 },
    ...options,
  });
  const [serverEnd, clientEnd] = memoryPair();
  server.handleConnection(serverEnd);
  return clientEnd;
}

/** Writes raw bytes to one end and reads back parsed lines. */
function raw(end: Duplex) {
  const lines: unknown[] = [];
  let buffer = '';
  let closed = false;
  end.setEncoding('utf8');
  end.on('data', (data: string) => {
    buffer += data;
    let i;
    while ((i = buffer.indexOf('\n')) !== -1) {
      lines.push(JSON.parse(buffer.slice(0, i)));
      buffer = buffer.slice(i + 1);
    }
  });
  end.on('close', () => (closed = true));
  return {
    lines,
    send: (data: string | Buffer) => end.write(data),
    isClosed: () => closed,
    async read(n: number): Promise<unknown[]> {
      await expect.poll(() => lines.length).toBeGreaterThanOrEqual(n);
      return lines.slice(0, n);
    },
  };
}

describe('requests over an in-memory pair', () => {
  it('says hello and answers a request with the protocol version', async () => {
    const client = await connectOverStream(serve({ status: () => idleStatus() }));
    expect(client.serverInfo).toEqual({
      protocolVersion: PROTOCOL_VERSION,
      server: 'whis',
      version: '1.2.3',
      pid: 42,
    });
    expect(await client.request('status')).toMatchObject({
      protocolVersion: PROTOCOL_VERSION,
      state: 'idle',
    });
    client.close();
  });

  it('reads requests split across writes, several in one write, with CRLF and blank lines', async () => {
    const c = raw(serve({ status: () => idleStatus() }));
    const line = '{"jsonrpc":"2.0","id":1,"method":"status"}\n';
    for (const byte of Buffer.from(line)) c.send(Buffer.from([byte]));
    c.send(
      '\n\r\n{"jsonrpc":"2.0","id":2,"method":"status"}\r\n{"jsonrpc":"2.0","id":3,"method":"status"}\n',
    );
    const replies = (await c.read(3)) as Array<{ id: number; result: { state: string } }>;
    expect(replies.map((r) => [r.id, r.result.state])).toEqual([
      [1, 'idle'],
      [2, 'idle'],
      [3, 'idle'],
    ]);
  });

  it('runs a notification (no id) without answering it', async () => {
    let toggled = 0;
    const c = raw(serve({ toggle: () => (toggled++, { state: 'recording', recordingId: null }) }));
    c.send('{"jsonrpc":"2.0","method":"toggle"}\n{"jsonrpc":"2.0","id":"after","method":"nope"}\n');
    const [reply] = await c.read(1);
    expect(reply).toMatchObject({ id: 'after', error: { code: ErrorCodes.MethodNotFound } });
    expect(toggled).toBe(1);
    expect(c.lines).toHaveLength(1);
  });

  it('answers a client that half-closes right after its request, then ends', async () => {
    const end = serve({ status: () => idleStatus() });
    const c = raw(end);
    end.end('{"jsonrpc":"2.0","id":1,"method":"status"}');
    expect(await c.read(1)).toMatchObject([{ id: 1, result: { state: 'idle' } }]);
    await expect.poll(() => end.readableEnded).toBe(true);
  });
});

describe('events over an in-memory pair', () => {
  it('pushes events to a subscriber until it leaves, then the handler sees the abort', async () => {
    let notify!: (event: ServiceEvent) => void;
    let aborted = false;
    const end = serve({
      subscribe: (_params, ctx) => {
        notify = ctx.notify;
        ctx.signal.addEventListener('abort', () => (aborted = true));
        return { subscribed: true };
      },
    });
    const client = await connectOverStream(end);
    const events: ServiceEvent[] = [];
    await client.subscribe((event) => events.push(event));
    notify({ type: 'state', state: 'recording', recordingId: 'r1' });
    notify({ type: 'progress', recordingId: 'r1', done: 1, total: 2 });
    await expect.poll(() => events.length).toBe(2);
    expect(events[0]).toEqual({ type: 'state', state: 'recording', recordingId: 'r1' });
    client.close();
    await expect.poll(() => aborted).toBe(true);
  });
});

describe('errors over an in-memory pair', () => {
  it('answers unknown methods, bad params, RpcErrors, mapped domain errors and crashes', async () => {
    class DomainError extends Error {
      code = 'not-recording';
    }
    const errors: unknown[] = [];
    const c = raw(
      serve(
        {
          finish: () => {
            throw new RpcError(ErrorCodes.InvalidState, 'Nothing is recording.', { state: 'idle' });
          },
          cancel: () => {
            throw new DomainError('Nothing to cancel.');
          },
          start: () => {
            throw new TypeError('boom');
          },
        },
        {
          toRpcError: (err) =>
            err instanceof DomainError
              ? new RpcError(ErrorCodes.InvalidState, err.message, { code: err.code })
              : undefined,
          logger: { debug: () => undefined, warn: () => undefined, error: (o) => errors.push(o) },
        },
      ),
    );
    c.send(
      [
        '{"jsonrpc":"2.0","id":1,"method":"frobnicate"}',
        '{"jsonrpc":"2.0","id":2,"method":"last","params":{"limit":0}}',
        '{"jsonrpc":"2.0","id":3,"method":"finish"}',
        '{"jsonrpc":"2.0","id":4,"method":"cancel"}',
        '{"jsonrpc":"2.0","id":5,"method":"start"}',
        '{"jsonrpc":"2.0","id":6,"method":"status"}',
        '',
      ].join('\n'),
    );
    const replies = (await c.read(6)) as Array<{ id: number; error: unknown }>;
    const byId = new Map(replies.map((r) => [r.id, r.error]));
    expect(byId.get(1)).toMatchObject({
      code: ErrorCodes.MethodNotFound,
      message: expect.stringContaining('Methods: hello, status'),
    });
    expect(byId.get(2)).toMatchObject({
      code: ErrorCodes.InvalidParams,
      message: expect.stringContaining('"limit" must be an integer from 1 to 1000'),
    });
    expect(byId.get(3)).toEqual({
      code: ErrorCodes.InvalidState,
      message: 'Nothing is recording.',
      data: { state: 'idle' },
    });
    expect(byId.get(4)).toEqual({
      code: ErrorCodes.InvalidState,
      message: 'Nothing to cancel.',
      data: { code: 'not-recording' },
    });
    expect(byId.get(5)).toEqual({
      code: ErrorCodes.InternalError,
      message: 'Internal error in "start": boom',
    });
    expect(byId.get(6)).toMatchObject({
      code: ErrorCodes.MethodNotFound,
      message: 'Method not supported by this server: "status"',
    });
    // only the crash is logged as one
    expect(errors).toEqual([expect.objectContaining({ method: 'start' })]);
  });

  it('answers malformed JSON, invalid UTF-8 and invalid requests, and keeps serving', async () => {
    const c = raw(serve({ status: () => idleStatus() }));
    c.send('{"jsonrpc":\n');
    c.send(Buffer.from([0x22, 0xff, 0xfe, 0x22, 0x0a]));
    c.send('[]\n{"jsonrpc":"1.0","id":7,"method":"status"}\n');
    c.send('{"jsonrpc":"2.0","id":8,"method":"status"}\n');
    const replies = (await c.read(5)) as Array<{
      id: unknown;
      error?: { code: number; message: string };
    }>;
    expect(replies.map((r) => [r.id, r.error?.code])).toEqual([
      [null, ErrorCodes.ParseError],
      [null, ErrorCodes.ParseError],
      [null, ErrorCodes.InvalidRequest],
      [7, ErrorCodes.InvalidRequest],
      [8, undefined],
    ]);
    expect(replies[1]?.error?.message).toBe('Parse error: the line is not valid UTF-8');
  });

  it('answers a line over the cap with an error, then closes the connection', async () => {
    const c = raw(serve({ status: () => idleStatus() }));
    c.send(`{"jsonrpc":"2.0","id":1,"method":"status","params":"${'x'.repeat(MAX_LINE_BYTES)}"}\n`);
    expect(await c.read(1)).toMatchObject([{ id: null, error: { code: ErrorCodes.LineTooLong } }]);
    await expect.poll(() => c.isClosed()).toBe(true);
  });

  it('the client calls a reply that is not JSON-RPC a protocol error', async () => {
    const [clientEnd, serverEnd] = memoryPair();
    serverEnd.on('data', () => serverEnd.write('hello there\n'));
    await expect(connectOverStream(clientEnd, { name: 'the test peer' })).rejects.toMatchObject({
      code: 'protocol',
      message: 'The daemon at the test peer sent an invalid reply: not JSON.',
    });
  });

  it('closes a silent connection after the idle timeout', async () => {
    const c = raw(serve({ status: () => idleStatus() }, { idleTimeoutMs: 100 }));
    await expect.poll(() => c.isClosed()).toBe(true);
  });
});

describe('only documented codes cross the wire', () => {
  const status = () => ({
    ...idleStatus(),
    lastError: { code: 'ENOSPC', message: 'ENOSPC: no space left on device', at: 'now' },
  });

  it('an undocumented ErrorInfo code goes out as "failed", its message kept', async () => {
    let notify!: (event: ServiceEvent) => void;
    const client = await connectOverStream(
      serve({
        status,
        subscribe: (_params, ctx) => ((notify = ctx.notify), { subscribed: true }),
      }),
    );
    expect((await client.request('status')).lastError).toEqual({
      code: 'failed',
      message: 'ENOSPC: no space left on device',
      at: 'now',
    });
    const events: ServiceEvent[] = [];
    await client.subscribe((event) => events.push(event));
    notify({ type: 'error', error: { code: 'EPIPE', message: 'write EPIPE', at: 'now' } });
    notify({ type: 'error', error: { code: 'disk-full', message: 'Free some space.', at: 'now' } });
    await expect.poll(() => events.length).toBe(2);
    expect(events).toEqual([
      { type: 'error', error: { code: 'failed', message: 'write EPIPE', at: 'now' } },
      { type: 'error', error: { code: 'disk-full', message: 'Free some space.', at: 'now' } },
    ]);
    client.close();
  });

  it('an error reply keeps a documented data.code, replaces another, and only uses documented RPC codes', async () => {
    const client = await connectOverStream(
      serve({
        finish: () => {
          throw new RpcError(ErrorCodes.InternalError, 'socket hang up', { code: 'ECONNRESET' });
        },
        cancel: () => {
          throw new RpcError(ErrorCodes.NotFound, 'No such recording.', { code: 'not-found' });
        },
        start: () => {
          throw new RpcError(12345, 'odd');
        },
      }),
    );
    await expect(client.request('finish')).rejects.toMatchObject({
      rpcCode: ErrorCodes.InternalError,
      message: 'socket hang up',
      data: { code: 'failed', cause: 'ECONNRESET' },
    });
    await expect(client.request('cancel')).rejects.toMatchObject({
      rpcCode: ErrorCodes.NotFound,
      data: { code: 'not-found' },
    });
    await expect(client.request('start')).rejects.toMatchObject({
      rpcCode: ErrorCodes.InternalError,
      message: 'odd',
    });
    client.close();
  });
});
