// The session bus of @whis/dbus, with this package's error: a DBusError becomes a FeedbackError
// with the same message, so `code`s on the wire stay `no-session-bus`, `dbus-timeout`, `dbus-failed`.
import {
  connectSessionBus as connect,
  DBusError,
  type SessionBus,
  type SessionBusOptions,
} from '@whis/dbus';
import { FeedbackError, type FeedbackErrorCode } from './errors.js';

export { loadDBus, type MethodCall, type SessionBus, type SessionBusOptions } from '@whis/dbus';

const CODES: Record<DBusError['code'], FeedbackErrorCode> = {
  'no-session-bus': 'no-session-bus',
  timeout: 'dbus-timeout',
  failed: 'dbus-failed',
};

function feedbackError(err: unknown): unknown {
  return err instanceof DBusError
    ? new FeedbackError(CODES[err.code], err.message, { cause: err.cause })
    : err;
}

/**
 * Connects to the session bus and says hello; rejects with a FeedbackError (`no-session-bus`) when
 * there is none to reach, and its calls with a FeedbackError (`dbus-timeout`, `dbus-failed`).
 */
export async function connectSessionBus(options: SessionBusOptions = {}): Promise<SessionBus> {
  const bus = await connect(options).catch((err: unknown) => {
    throw feedbackError(err);
  });
  const rethrow = (err: unknown): never => {
    throw feedbackError(err);
  };
  return {
    ...bus,
    call: (request) => bus.call(request).catch(rethrow),
    getProperty: (...args) => bus.getProperty(...args).catch(rethrow),
    onSignal: (rule, listener) => bus.onSignal(rule, listener).catch(rethrow),
    listNames: () => bus.listNames().catch(rethrow),
  };
}

/** A connection made on first use and kept; see `keptConnection`. */
export interface KeptConnection {
  /** The kept connection, connecting when there is none (or the last one was lost). */
  get(): Promise<SessionBus>;
  /** Closes the kept connection and forgets it: the next `get` connects again. */
  drop(): void;
}

/**
 * `connect` called on first use and its connection kept, until it is lost (the bus went away):
 * then the next `get` connects again, instead of failing for ever on the dead one.
 */
export function keptConnection(connect: () => Promise<SessionBus>): KeptConnection {
  let kept: Promise<SessionBus> | undefined;
  const forget = (which: Promise<SessionBus>) => {
    if (kept === which) kept = undefined;
  };
  return {
    get() {
      if (kept) return kept;
      const connecting: Promise<SessionBus> = connect().then(
        (bus) => {
          bus.onError(() => forget(connecting));
          return bus;
        },
        (err: unknown) => {
          forget(connecting);
          throw err;
        },
      );
      kept = connecting;
      return connecting;
    },
    drop() {
      const which = kept;
      kept = undefined;
      void which?.then((b) => b.close()).catch(() => undefined);
    },
  };
}
