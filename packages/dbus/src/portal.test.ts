import dbus from '@particle/dbus-next';
import { startSessionBus, type SessionBus as TestBus } from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DBusError } from './errors.js';
import {
  closePortalSession,
  PORTAL,
  PORTAL_PATH,
  PORTAL_REQUEST_TIMEOUT_MS,
  portalRequest,
  portalToken,
  portalVersion,
  requestPath,
  type Vardict,
} from './portal.js';
import { connectSessionBus, type SessionBus } from './session-bus.js';

const IFACE = 'org.example.portal.Sample';
type Message = InstanceType<typeof dbus.Message>;

// A portal with one interface, answered as the specification says: Ask creates a Request object
// at the path built from the caller and its handle_token and sends its Response; the Response is
// sent BEFORE the method returns, the earliest a portal can send it. `response` is what it
// answers; with `silent`, no Response comes (a dialog nobody answers).
async function startSamplePortal(address: string) {
  const connection = dbus.sessionBus({ busAddress: address });
  await connection.requestName(PORTAL, 0);
  const portal = { response: 0, silent: false, closed: [] as string[] };
  connection.addMethodHandler((msg: Message) => {
    if (msg.interface === 'org.freedesktop.DBus.Properties' && msg.member === 'Get') {
      if (msg.body[0] !== IFACE) {
        connection.send(
          dbus.Message.newError(
            // the library's types name the first argument a string; it takes the call it answers
            msg as unknown as string,
            'org.freedesktop.DBus.Error.InvalidArgs',
            'no such interface',
          ),
        );
      } else {
        connection.send(dbus.Message.newMethodReturn(msg, 'v', [new dbus.Variant('u', 3)]));
      }
      return true;
    }
    if (msg.interface === 'org.freedesktop.portal.Session' && msg.member === 'Close') {
      portal.closed.push(msg.path);
      connection.send(dbus.Message.newMethodReturn(msg));
      return true;
    }
    if (msg.interface !== IFACE || msg.member !== 'CreateSession') return false;
    const [options] = msg.body as [Vardict];
    const sender = msg.sender!.slice(1).replace(/\./g, '_');
    const request = `${PORTAL_PATH}/request/${sender}/${String(options.handle_token!.value)}`;
    const session = `${PORTAL_PATH}/session/${sender}/${String(options.session_handle_token!.value)}`;
    if (!portal.silent) {
      connection.send(
        dbus.Message.newSignal(request, 'org.freedesktop.portal.Request', 'Response', 'ua{sv}', [
          portal.response,
          portal.response === 0 ? { session_handle: new dbus.Variant('s', session) } : {},
        ]),
      );
    }
    connection.send(dbus.Message.newMethodReturn(msg, 'o', [request]));
    return true;
  });
  return Object.assign(portal, { stop: () => connection.disconnect() });
}

describe('portal requests', () => {
  let testBus: TestBus;
  let portal: Awaited<ReturnType<typeof startSamplePortal>>;
  let bus: SessionBus;
  beforeAll(async () => {
    testBus = await startSessionBus();
    portal = await startSamplePortal(testBus.address);
    bus = await connectSessionBus({ env: testBus.env });
  });
  afterAll(async () => {
    bus?.close();
    portal?.stop();
    await testBus?.stop();
  });

  const createSession = (sessionToken: string, timeoutMs?: number) =>
    portalRequest(bus, {
      interface: IFACE,
      member: 'CreateSession',
      signature: 'a{sv}',
      body: (options) => [
        { ...options, session_handle_token: new bus.dbus.Variant('s', sessionToken) },
      ],
      ...(timeoutMs ? { timeoutMs } : {}),
    });

  it('gets a Response sent before the call returned, with its results', async () => {
    portal.response = 0;
    const token = portalToken();
    expect(token).toMatch(new RegExp(`^whis${process.pid}_\\d+$`));
    const answer = await createSession(token);
    expect(answer).toMatchObject({ response: 0, outcome: 'granted' });
    const sender = bus.uniqueName.slice(1).replace(/\./g, '_');
    expect(answer.results.session_handle?.value).toBe(`${PORTAL_PATH}/session/${sender}/${token}`);
    await closePortalSession(bus, String(answer.results.session_handle!.value));
    expect(portal.closed).toEqual([`${PORTAL_PATH}/session/${sender}/${token}`]);
  });

  it('maps a cancelled and an ended request', async () => {
    portal.response = 1;
    expect(await createSession(portalToken())).toMatchObject({
      response: 1,
      outcome: 'cancelled',
    });
    portal.response = 2;
    expect(await createSession(portalToken())).toMatchObject({ response: 2, outcome: 'ended' });
  });

  it('gives up on a Response that does not come, with a coded error', async () => {
    portal.silent = true;
    try {
      const err = await createSession(portalToken(), 1000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DBusError);
      expect(err).toMatchObject({
        code: 'timeout',
        detail: 'no answer to CreateSession within 1 s',
      });
    } finally {
      portal.silent = false;
    }
  });

  it('waits a finite time by default, and gives up when its signal aborts', async () => {
    expect(Number.isFinite(PORTAL_REQUEST_TIMEOUT_MS)).toBe(true);
    portal.silent = true;
    try {
      const stop = new AbortController();
      const waiting = portalRequest(bus, {
        interface: IFACE,
        member: 'CreateSession',
        signature: 'a{sv}',
        body: (options) => [options],
        signal: stop.signal,
      }).catch((e: unknown) => e);
      stop.abort();
      expect(await waiting).toMatchObject({
        code: 'failed',
        detail: expect.stringMatching(/abandoned/),
      });
    } finally {
      portal.silent = false;
    }
  });

  it('builds the Request path from the connection’s unique name', () => {
    const sender = bus.uniqueName.slice(1).replace(/\./g, '_');
    expect(requestPath(bus, 'abc')).toBe(`${PORTAL_PATH}/request/${sender}/abc`);
  });

  it('reads an interface’s version, and fails with the D-Bus name for one it lacks', async () => {
    expect(await portalVersion(bus, IFACE)).toBe(3);
    await expect(portalVersion(bus, 'org.example.Missing')).rejects.toMatchObject({
      code: 'failed',
      dbusName: 'org.freedesktop.DBus.Error.InvalidArgs',
    });
  });
});
