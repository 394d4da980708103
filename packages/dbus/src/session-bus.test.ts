import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import dbus from '@particle/dbus-next';
import { startSessionBus, type SessionBus as TestBus } from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DBusError, isServiceMissing } from './errors.js';
import { connectSessionBus, type SessionBus } from './session-bus.js';

const NAME = 'org.example.Sample';
const PATH = '/org/example/Sample';
const IFACE = 'org.example.Sample';

// A small service on the private bus: Echo answers, Hang never does, Fail answers with an error,
// Emit sends the signal Ping with the given text; one property, Answer.
async function startSample(address: string) {
  const connection = dbus.sessionBus({ busAddress: address });
  await connection.requestName(NAME, 0);
  connection.addMethodHandler((msg: InstanceType<typeof dbus.Message>) => {
    if (msg.path !== PATH) return false;
    if (msg.interface === 'org.freedesktop.DBus.Properties' && msg.member === 'Get') {
      connection.send(dbus.Message.newMethodReturn(msg, 'v', [new dbus.Variant('u', 42)]));
      return true;
    }
    if (msg.interface !== IFACE) return false;
    switch (msg.member) {
      case 'Echo':
        connection.send(dbus.Message.newMethodReturn(msg, 's', [msg.body[0]]));
        return true;
      case 'Hang':
        return true;
      case 'Fail':
        connection.send(
          dbus.Message.newError(
            // the library's types name the first argument a string; it takes the call it answers
            msg as unknown as string,
            'org.example.Error.Broken',
            'it broke',
          ),
        );
        return true;
      case 'Emit':
        connection.send(dbus.Message.newSignal(PATH, IFACE, 'Ping', 's', [msg.body[0]]));
        connection.send(dbus.Message.newMethodReturn(msg));
        return true;
    }
    return false;
  });
  return { stop: () => connection.disconnect() };
}

const sample = (member: string, body?: unknown[]) => ({
  destination: NAME,
  path: PATH,
  interface: IFACE,
  member,
  ...(body ? { signature: 's', body } : {}),
});

describe('connectSessionBus', () => {
  let testBus: TestBus;
  let service: { stop(): void };
  let bus: SessionBus;
  beforeAll(async () => {
    testBus = await startSessionBus();
    service = await startSample(testBus.address);
    bus = await connectSessionBus({ env: testBus.env, timeoutMs: 500 });
  });
  afterAll(async () => {
    bus?.close();
    service?.stop();
    await testBus?.stop();
  });

  it('calls a method and returns the reply', async () => {
    expect(await bus.call(sample('Echo', ['hello']))).toEqual(['hello']);
    expect(bus.uniqueName).toMatch(/^:\d+\.\d+$/);
    expect(await bus.listNames()).toContain(NAME);
  });

  it('reads a property, unwrapped', async () => {
    expect(await bus.getProperty(NAME, PATH, IFACE, 'Answer')).toBe(42);
  });

  it('gives up on a call that has no answer, with a coded error', async () => {
    const err = await bus.call(sample('Hang')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DBusError);
    expect(err).toMatchObject({ domain: 'dbus', code: 'timeout', id: 'dbus/timeout' });
    expect((err as Error).message).toBe(`${NAME} did not answer ${IFACE}.Hang within 500 ms.`);
    expect(isServiceMissing(err)).toBe(true);
    // the connection still works
    expect(await bus.call(sample('Echo', ['after']))).toEqual(['after']);
  });

  it('a call may wait longer than the connection’s default', async () => {
    const err = await bus.call({ ...sample('Hang'), timeoutMs: 900 }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('within 900 ms');
  });

  it('an error answer keeps its D-Bus name and the original as cause', async () => {
    const err = await bus.call(sample('Fail')).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'failed',
      dbusName: 'org.example.Error.Broken',
      detail: 'it broke',
      message: `${NAME} ${IFACE}.Fail: it broke`,
    });
    expect((err as Error).cause).toBeDefined();
    expect(isServiceMissing(err)).toBe(false);
    const missing = await bus
      .call({ ...sample('Echo', ['x']), destination: 'org.example.Nobody' })
      .catch((e: unknown) => e);
    expect(isServiceMissing(missing)).toBe(true);
  });

  it('delivers signals that match, until the subscription is disposed', async () => {
    const rule = `type='signal',sender='${NAME}',interface='${IFACE}',member='Ping'`;
    const kept: string[] = [];
    const disposed: string[] = [];
    const other: string[] = [];
    const keep = await bus.onSignal(rule, (m) => kept.push(m.body[0] as string));
    const dispose = await bus.onSignal(rule, (m) => disposed.push(m.body[0] as string));
    const stopOther = await bus.onSignal(`type='signal',interface='${IFACE}',member='Pong'`, (m) =>
      other.push(m.body[0] as string),
    );
    await bus.call(sample('Emit', ['one']));
    await expect.poll(() => kept).toEqual(['one']);
    dispose();
    await bus.call(sample('Emit', ['two']));
    await expect.poll(() => kept).toEqual(['one', 'two']);
    // signals arrive in order: the second one has passed the disposed listener by now
    expect(disposed).toEqual(['one']);
    expect(other).toEqual([]);
    keep();
    stopOther();
  });

  it('says there is no session bus, with a coded error and what to do', async () => {
    const unset = await connectSessionBus({ env: {} }).catch((e: unknown) => e);
    expect(unset).toBeInstanceOf(DBusError);
    expect(unset).toMatchObject({
      code: 'no-session-bus',
      detail: 'DBUS_SESSION_BUS_ADDRESS is not set',
    });
    expect((unset as Error).message).toContain('Start whis from your desktop session');
    const address = `unix:path=${testBus.directory}/missing`;
    const missing = await connectSessionBus({ address }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'no-session-bus' });
    expect((missing as Error).message).toMatch(
      new RegExp(
        `^Cannot reach the D-Bus session bus at ${address}: .+Start whis from your desktop session\\.$`,
      ),
    );
    expect((missing as Error).cause).toBeDefined();
  });

  it('a bus that takes the connection but never answers: the coded error, after the timeout', async () => {
    const path = join(testBus.directory, 'silent');
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(path, resolve));
    try {
      const err = await connectSessionBus({ address: `unix:path=${path}`, timeoutMs: 300 }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DBusError);
      expect(err).toMatchObject({ code: 'no-session-bus', detail: 'no answer within 300 ms' });
      expect(sockets.length).toBe(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('close() rejects the calls in flight with a coded error', async () => {
    const other = await connectSessionBus({ env: testBus.env });
    const waiting = other.call({ ...sample('Hang'), timeoutMs: Infinity }).catch((e: unknown) => e);
    await other.call(sample('Echo', ['the Hang is on its way']));
    other.close();
    const err = await waiting;
    expect(err).toBeInstanceOf(DBusError);
    expect(err).toMatchObject({ code: 'failed', detail: 'the connection is closed' });
  });

  it('a call given a signal rejects when it aborts', async () => {
    const stop = new AbortController();
    const waiting = bus
      .call({ ...sample('Hang'), timeoutMs: Infinity, signal: stop.signal })
      .catch((e: unknown) => e);
    stop.abort();
    expect(await waiting).toMatchObject({ code: 'failed', detail: 'the call was abandoned' });
  });

  it('a connect aborted by its signal disconnects and rejects at once', async () => {
    const path = join(testBus.directory, 'silent-abort');
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket.resume()));
    await new Promise<void>((resolve) => silent.listen(path, resolve));
    try {
      const stop = new AbortController();
      const connecting = connectSessionBus({
        address: `unix:path=${path}`,
        timeoutMs: 60_000,
        signal: stop.signal,
      }).catch((e: unknown) => e);
      await expect.poll(() => sockets.length).toBe(1);
      stop.abort();
      expect(await connecting).toMatchObject({ code: 'no-session-bus', detail: 'abandoned' });
      // the socket was closed from our side
      await expect.poll(() => sockets[0]!.readableEnded).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a closed connection refuses calls with a coded error', async () => {
    const other = await connectSessionBus({ env: testBus.env });
    other.close();
    await expect(other.call(sample('Echo', ['x']))).rejects.toMatchObject({ code: 'failed' });
  });
});
