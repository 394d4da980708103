// The one D-Bus client of whis: @particle/dbus-next, pure JavaScript (no native addon to build or
// to crash the service), with signals, proxies and exported services, and maintained (a fork of
// dbus-next, which stopped taking releases). Loaded on first use: `whis status` never pays for it.
import type { Message, MessageBus } from '@particle/dbus-next';
import { deadline, isTimeout, untilAborted } from '@whis/contracts';
import { DBusError } from './errors.js';

/** The @particle/dbus-next module (its `Variant`, `Message`, …). */
export type DBusModule = typeof import('@particle/dbus-next');

let loaded: Promise<DBusModule> | undefined;

/** The D-Bus library, loaded once on first use. */
export function loadDBus(): Promise<DBusModule> {
  loaded ??= import('@particle/dbus-next').then(
    (m) => ((m as { default?: DBusModule }).default ?? m) as DBusModule,
  );
  return loaded;
}

export interface SessionBusOptions {
  /** Bus address, e.g. `unix:path=/run/user/1000/bus`; default `DBUS_SESSION_BUS_ADDRESS` from `env`. */
  address?: string;
  env?: NodeJS.ProcessEnv;
  /** How long the connection and each call may take (a call can ask for another). Default 2000 ms. */
  timeoutMs?: number;
  /** Abandons the connecting: the socket is closed and the promise rejects (`no-session-bus`). */
  signal?: AbortSignal;
}

export interface MethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
  /** This call's timeout instead of the connection's; `Infinity` waits for ever. */
  timeoutMs?: number;
  /** Abandons the wait for the reply: the call rejects with a DBusError (`failed`). */
  signal?: AbortSignal;
}

/** A connection to the session bus, with calls that time out and signal subscriptions that return a disposer. */
export interface SessionBus {
  /** The raw bus, for what this wrapper does not cover (exporting a service, proxies). */
  readonly bus: MessageBus;
  /** The library, for its `Variant` and `Message`. */
  readonly dbus: DBusModule;
  /** This connection's unique name, e.g. `:1.42`. */
  readonly uniqueName: string;
  /** Calls a method and resolves with the reply's body; rejects with a DBusError (`timeout`, `failed`). */
  call(call: MethodCall): Promise<unknown[]>;
  /** Reads a property through `org.freedesktop.DBus.Properties.Get`: its value, unwrapped. */
  getProperty(destination: string, path: string, iface: string, name: string): Promise<unknown>;
  /** Subscribes to signals matching `rule` (a D-Bus match rule); returns a disposer. */
  onSignal(rule: string, listener: (message: Message) => void): Promise<() => void>;
  /** Called once if the connection is lost; returns a disposer. */
  onError(listener: (err: Error) => void): () => void;
  /** The bus names that currently have an owner. */
  listNames(): Promise<string[]>;
  /** Whether an idle connection keeps the process alive (default: it does). */
  keepAlive(on: boolean): void;
  /** Disconnects; calls in flight reject. */
  close(): void;
}

const SIGNAL = 4;

const noBus = (address: string, detail: string, cause?: unknown) =>
  new DBusError(
    'no-session-bus',
    `Cannot reach the D-Bus session bus at ${address}: ${detail}. Start whis from your desktop session.`,
    { cause, detail },
  );

/**
 * Connects to the session bus and says hello; rejects with a DBusError (`no-session-bus`) when
 * there is none to reach or it does not answer in time, instead of the library's unhandled
 * 'error' event.
 */
export async function connectSessionBus(options: SessionBusOptions = {}): Promise<SessionBus> {
  const env = options.env ?? process.env;
  const address = options.address ?? env.DBUS_SESSION_BUS_ADDRESS;
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!address) {
    throw new DBusError(
      'no-session-bus',
      'No D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set. Start whis from your desktop session.',
      { detail: 'DBUS_SESSION_BUS_ADDRESS is not set' },
    );
  }
  const dbus = await loadDBus();
  let bus: MessageBus;
  try {
    bus = dbus.sessionBus({ busAddress: address });
  } catch (err) {
    throw noBus(address, (err as Error).message, err);
  }
  // aborted when the connection closes or is lost: every call in flight rejects with it
  const open = new AbortController();
  let closed = false;
  const shut = () => {
    closed = true;
    open.abort();
  };
  // a bus that goes away later must not crash the process: calls then fail and are reported
  bus.on('error', shut);
  // the library says nothing when the bus daemon hangs up (it only fails the next write): the
  // calls in flight reject at once, and onError's listeners hear of it
  const connection = (bus as unknown as { _connection?: NodeJS.EventEmitter })._connection;
  connection?.once('end', () => {
    if (closed) return;
    shut();
    bus.emit('error', new Error('the session bus closed the connection'));
  });
  const connecting = deadline(timeoutMs, options.signal);
  try {
    await untilAborted(
      new Promise<void>((resolve, reject) => {
        bus.once('connect', () => resolve());
        bus.once('error', reject);
      }),
      connecting,
      (reason) => new Error(isTimeout(reason) ? `no answer within ${timeoutMs} ms` : 'abandoned'),
    );
  } catch (err) {
    shut();
    try {
      bus.disconnect();
    } catch {
      // already gone
    }
    throw noBus(address, (err as Error).message, err);
  }

  const call = async (request: MethodCall): Promise<unknown[]> => {
    const what = `${request.destination} ${request.interface}.${request.member}`;
    if (closed)
      throw new DBusError('failed', 'The D-Bus session bus connection is closed.', {
        detail: 'the connection is closed',
      });
    const message = new dbus.Message({
      destination: request.destination,
      path: request.path,
      interface: request.interface,
      member: request.member,
      ...(request.signature ? { signature: request.signature, body: request.body ?? [] } : {}),
    });
    const limit = request.timeoutMs ?? timeoutMs;
    try {
      const reply = await untilAborted(
        bus.call(message),
        deadline(limit, request.signal, open.signal),
        (reason) => {
          if (isTimeout(reason))
            return new DBusError(
              'timeout',
              `${request.destination} did not answer ${request.interface}.${request.member} within ${limit} ms.`,
              { detail: `no answer within ${limit} ms` },
            );
          const detail = open.signal.aborted
            ? 'the connection is closed'
            : 'the call was abandoned';
          return new DBusError('failed', `${what}: ${detail}.`, { detail });
        },
      );
      return reply?.body ?? [];
    } catch (err) {
      if (err instanceof DBusError) throw err;
      const detail = (err as Error).message;
      throw new DBusError('failed', `${what}: ${detail}`, {
        cause: err,
        detail,
        dbusName: (err as { type?: string }).type ?? '',
      });
    }
  };

  const busCall = (member: string, signature?: string, body?: unknown[]) =>
    call({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member,
      ...(signature ? { signature, body: body ?? [] } : {}),
    });

  return {
    bus,
    dbus,
    uniqueName: (bus as MessageBus & { name: string }).name,
    call,
    async getProperty(destination, path, iface, name) {
      const [value] = await call({
        destination,
        path,
        interface: 'org.freedesktop.DBus.Properties',
        member: 'Get',
        signature: 'ss',
        body: [iface, name],
      });
      return (value as { value: unknown }).value;
    },
    async onSignal(rule, listener) {
      const filter = parseRule(rule);
      const handler = (message: Message) => {
        if (message.type === SIGNAL && filter(message)) listener(message);
      };
      bus.on('message', handler);
      try {
        await busCall('AddMatch', 's', [rule]);
      } catch (err) {
        bus.off('message', handler);
        throw err;
      }
      return () => {
        bus.off('message', handler);
        if (!closed) void busCall('RemoveMatch', 's', [rule]).catch(() => undefined);
      };
    },
    onError(listener) {
      const handler = (err: Error) => listener(err);
      bus.once('error', handler);
      return () => bus.off('error', handler);
    },
    async listNames() {
      const [names] = await busCall('ListNames');
      return names as string[];
    },
    keepAlive(on) {
      // the library has no such switch: the socket under it is what keeps the event loop alive
      const stream = (
        bus as unknown as { _connection?: { stream?: { ref?(): void; unref?(): void } } }
      )._connection?.stream;
      if (on) stream?.ref?.();
      else stream?.unref?.();
    },
    close() {
      if (closed) return;
      shut();
      bus.disconnect();
    },
  };
}

// The bus routes matching signals to this connection; the same rule filters them here, because
// every subscription of the connection sees every message.
function parseRule(rule: string): (message: Message) => boolean {
  const fields = [...rule.matchAll(/(\w+)='([^']*)'/g)].map(([, key, value]) => [key!, value!]);
  return (message) =>
    fields.every(([key, value]) => {
      switch (key) {
        case 'type':
          return value === 'signal';
        case 'sender':
          // a signal carries its sender's unique name; a well-known one is matched by the bus
          // (which knows its owner), so only a unique name can be checked here
          return !value.startsWith(':') || message.sender === value;
        case 'interface':
          return message.interface === value;
        case 'member':
          return message.member === value;
        case 'path':
          return message.path === value;
        case 'arg0':
          return message.body[0] === value;
        default:
          return true;
      }
    });
}
