// The one D-Bus client of whis: @particle/dbus-next, pure JavaScript (no native addon to build or
// to crash the service), with signals, proxies and exported services, and maintained (a fork of
// dbus-next, which stopped taking releases). Loaded on first use: `whis status` never pays for it.
import type { Message, MessageBus } from '@particle/dbus-next';
import { FeedbackError } from './errors.js';

type DBusModule = typeof import('@particle/dbus-next');

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
  /** How long a connection or a call may take. Default 2000 ms. */
  timeoutMs?: number;
}

export interface MethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

/** A connection to the session bus, with calls that time out and signal subscriptions that return a disposer. */
export interface SessionBus {
  /** The raw bus, for what this wrapper does not cover (exporting a service, proxies). */
  readonly bus: MessageBus;
  /** Calls a method and resolves with the reply's body; rejects with a FeedbackError after the timeout. */
  call(call: MethodCall): Promise<unknown[]>;
  /** Subscribes to signals matching `rule` (a D-Bus match rule); returns a disposer. */
  onSignal(rule: string, listener: (message: Message) => void): Promise<() => void>;
  /** The bus names that currently have an owner. */
  listNames(): Promise<string[]>;
  /** Disconnects; calls in flight reject. */
  close(): void;
}

const SIGNAL = 4;

/**
 * Connects to the session bus and says hello; rejects with a FeedbackError (`no-session-bus`) when
 * there is none to reach, instead of the library's unhandled 'error' event.
 */
export async function connectSessionBus(options: SessionBusOptions = {}): Promise<SessionBus> {
  const env = options.env ?? process.env;
  const address = options.address ?? env.DBUS_SESSION_BUS_ADDRESS;
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!address) {
    throw new FeedbackError(
      'no-session-bus',
      'No D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set. Start whis from your desktop session.',
    );
  }
  const dbus = await loadDBus();
  let bus: MessageBus;
  try {
    bus = dbus.sessionBus({ busAddress: address });
  } catch (err) {
    throw new FeedbackError(
      'no-session-bus',
      `Cannot reach the D-Bus session bus at ${address}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const closed = { value: false };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      closed.value = true;
      try {
        bus.disconnect();
      } catch {
        // already gone
      }
      reject(
        new FeedbackError(
          'no-session-bus',
          `Cannot reach the D-Bus session bus at ${address}: ${err.message}. Start whis from your desktop session.`,
          { cause: err },
        ),
      );
    };
    bus.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    bus.once('error', fail);
  });
  // a bus that goes away later must not crash the service: calls then fail and are reported
  bus.on('error', () => {
    closed.value = true;
  });

  const call = async (request: MethodCall): Promise<unknown[]> => {
    if (closed.value)
      throw new FeedbackError('dbus-failed', 'The D-Bus session bus connection is closed.');
    const message = new dbus.Message({
      destination: request.destination,
      path: request.path,
      interface: request.interface,
      member: request.member,
      ...(request.signature ? { signature: request.signature, body: request.body ?? [] } : {}),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FeedbackError(
              'dbus-timeout',
              `${request.destination} did not answer ${request.interface}.${request.member} within ${timeoutMs} ms.`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      const reply = await Promise.race([bus.call(message), timeout]);
      return reply?.body ?? [];
    } catch (err) {
      if (err instanceof FeedbackError) throw err;
      throw new FeedbackError(
        'dbus-failed',
        `${request.destination} ${request.interface}.${request.member}: ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
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
    call,
    async onSignal(rule, listener) {
      const filter = parseRule(rule);
      const handler = (message: Message) => {
        if (message.type === SIGNAL && filter(message)) listener(message);
      };
      bus.on('message', handler);
      await busCall('AddMatch', 's', [rule]);
      return () => {
        bus.off('message', handler);
        if (!closed.value) void busCall('RemoveMatch', 's', [rule]).catch(() => undefined);
      };
    },
    async listNames() {
      const [names] = await busCall('ListNames');
      return names as string[];
    },
    close() {
      if (closed.value) return;
      closed.value = true;
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
          return message.sender === value;
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
