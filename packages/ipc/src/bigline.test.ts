import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { createInterface } from 'node:readline';
import { ErrorCodes } from './protocol.js';
import { tempSocket } from './internal/test-support.js';

const fixture = fileURLToPath(new URL('../test/line-server.mjs', import.meta.url));

it('cuts off a client streaming a 1 GB line without a newline, and its memory barely moves', async () => {
  const socket = tempSocket();
  const child = spawn(process.execPath, ['--expose-gc', fixture, socket.path], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    const rss = async () => {
      child.stdin!.write('rss\n');
      return Number((await lines.next()).value);
    };
    const before = await rss();

    const client = net.createConnection(socket.path);
    client.on('error', () => undefined);
    let reply = '';
    client.on('data', (d: Buffer) => (reply += d.toString()));
    await once(client, 'connect');
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    // stream up to 1 GB; the server answers and closes long before that
    while (sent < 1024 * chunk.length && !client.destroyed && client.writable) {
      if (!client.write(chunk)) await Promise.race([once(client, 'drain'), once(client, 'close')]);
      sent += chunk.length;
    }
    if (!client.destroyed) await once(client, 'close');
    const after = await rss();
    expect(JSON.parse(reply.split('\n')[0]!)).toMatchObject({
      error: { code: ErrorCodes.LineTooLong },
    });
    expect(sent).toBeLessThan(1024 * chunk.length);
    expect(after - before).toBeLessThan(20 * 1024 * 1024);
  } finally {
    child.kill();
    socket.cleanup();
  }
}, 60_000);
