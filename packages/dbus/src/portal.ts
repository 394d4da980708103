import type { Variant } from '@particle/dbus-next';
import { deadline, isTimeout, untilAborted } from '@whis/contracts';
import { DBusError } from './errors.js';
import type { SessionBus } from './session-bus.js';

/** The desktop portal's bus name and object path (xdg-desktop-portal). */
export const PORTAL = 'org.freedesktop.portal.Desktop';
export const PORTAL_PATH = '/org/freedesktop/portal/desktop';

/** A D-Bus `a{sv}`: the options and results of portal calls. */
export type Vardict = Record<string, Variant>;

/** What a portal request's `Response` says: 0 granted, 1 cancelled by the user, 2 ended otherwise. */
export type PortalOutcome = 'granted' | 'cancelled' | 'ended';

export interface PortalResponse {
  /** The raw code: 0, 1 or 2. */
  response: number;
  outcome: PortalOutcome;
  results: Vardict;
}

export interface PortalRequest {
  /** The portal interface, e.g. `org.freedesktop.portal.RemoteDesktop`. */
  interface: string;
  member: string;
  signature: string;
  /** The call's arguments; `options` holds the `handle_token`: spread it into the call's `a{sv}`. */
  body: (options: Vardict) => unknown[];
  /**
   * How long to wait for the `Response` (a dialog waits for the user); default
   * `PORTAL_REQUEST_TIMEOUT_MS`. `Infinity` waits for ever.
   */
  timeoutMs?: number;
  /** Abandons the request: it rejects with a DBusError (`failed`). */
  signal?: AbortSignal;
}

/**
 * How long a portal request waits for its answer unless told otherwise: long enough for a person
 * to read a dialog, short enough that a dialog nobody sees does not hang a command silently.
 */
export const PORTAL_REQUEST_TIMEOUT_MS = 120_000;

let tokens = 0;

/**
 * A token for `handle_token` or `session_handle_token`, unique in this process: `whis<pid>_<n>`.
 * (The portal builds the object path from it, so only letters, digits and `_`.)
 */
export function portalToken(): string {
  return `whis${process.pid}_${++tokens}`;
}

/** The object path of the Request that the portal creates for `handleToken` on `bus`. */
export function requestPath(bus: SessionBus, handleToken: string): string {
  const sender = bus.uniqueName.slice(1).replace(/\./g, '_');
  return `${PORTAL_PATH}/request/${sender}/${handleToken}`;
}

/** Calls a method of the desktop portal's object (`PORTAL` at `PORTAL_PATH`). */
export function portalCall(
  bus: SessionBus,
  iface: string,
  member: string,
  signature: string,
  body: unknown[],
): Promise<unknown[]> {
  return bus.call({
    destination: PORTAL,
    path: PORTAL_PATH,
    interface: iface,
    member,
    signature,
    body,
  });
}

const OUTCOMES: Record<number, PortalOutcome> = { 0: 'granted', 1: 'cancelled' };

/**
 * Makes a portal request and waits for its answer: the `Response` of its Request object is
 * subscribed to BEFORE the call, so an answer that comes at once is not missed. Rejects with the
 * call's DBusError, or with a DBusError (`timeout`) when no Response comes within `timeoutMs`.
 */
export async function portalRequest(
  bus: SessionBus,
  request: PortalRequest,
): Promise<PortalResponse> {
  const handleToken = portalToken();
  const path = requestPath(bus, handleToken);
  let answered: (response: PortalResponse) => void = () => undefined;
  const answer = new Promise<PortalResponse>((resolve) => (answered = resolve));
  // the Response is the portal's own: no other client on the bus can answer for it
  const dispose = await bus.onSignal(
    `type='signal',sender='${PORTAL}',interface='org.freedesktop.portal.Request',member='Response',path='${path}'`,
    (message) => {
      const response = Number(message.body[0]);
      answered({
        response,
        outcome: OUTCOMES[response] ?? 'ended',
        results: (message.body[1] ?? {}) as Vardict,
      });
    },
  );
  const limit = request.timeoutMs ?? PORTAL_REQUEST_TIMEOUT_MS;
  const until = deadline(limit, request.signal);
  try {
    await bus.call({
      destination: PORTAL,
      path: PORTAL_PATH,
      interface: request.interface,
      member: request.member,
      signature: request.signature,
      body: request.body({ handle_token: new bus.dbus.Variant('s', handleToken) }),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    return await untilAborted(answer, until, (reason) => {
      if (!isTimeout(reason)) {
        const detail = 'the request was abandoned';
        return new DBusError('failed', `${request.member}: ${detail}.`, { detail });
      }
      const detail = `no answer to ${request.member} within ${Math.round(limit / 1000)} s`;
      return new DBusError(
        'timeout',
        `The desktop portal gave ${detail}: a dialog may be waiting for you.`,
        { detail },
      );
    });
  } finally {
    dispose();
  }
}

/** Reads the `version` property of a portal interface. */
export async function portalVersion(bus: SessionBus, iface: string): Promise<number> {
  return Number(await bus.getProperty(PORTAL, PORTAL_PATH, iface, 'version'));
}

/** Closes a portal session (`org.freedesktop.portal.Session.Close`). */
export async function closePortalSession(bus: SessionBus, handle: string): Promise<void> {
  await bus.call({
    destination: PORTAL,
    path: handle,
    interface: 'org.freedesktop.portal.Session',
    member: 'Close',
  });
}
