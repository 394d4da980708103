import dbus from '@particle/dbus-next';

const PORTAL = 'org.freedesktop.portal.Desktop';
const PATH = '/org/freedesktop/portal/desktop';
const REMOTE = 'org.freedesktop.portal.RemoteDesktop';

type Vardict = Record<string, InstanceType<typeof dbus.Variant>>;

/** One call a client made, as the portal saw it. */
export interface RemoteDesktopCall {
  member: string;
  /** The options given (values unwrapped). */
  options: Record<string, unknown>;
}

/**
 * A RemoteDesktop portal (version 2, as xdg-desktop-portal 1.17+ and GNOME offer it) in place of
 * the frontend, for what the Debian stack's frontend (1.16, version 1) cannot show: restore
 * tokens (single-use; a new login forgets them), a declined dialog, and the keys a client sends.
 */
export interface RemoteDesktopPortal {
  calls: RemoteDesktopCall[];
  /** The keysyms received, in order: `[keysym, pressed]`. */
  keys: Array<[number, boolean]>;
  /** How many times the permission dialog was shown (a Start without a valid token). */
  readonly dialogs: number;
  /** How the next dialog is answered: 0 allowed, 1 declined, 'never' (nobody answers it). */
  dialogResponse: number | 'never';
  /** When set, SelectDevices fails with this D-Bus error name. */
  selectDevicesError?: string;
  /** How a Start with an unknown token is answered: 2 (an error), or 'dialog' (ask the user). */
  staleToken: 2 | 'dialog';
  /** A new login: every token given so far stops working. */
  forgetTokens(): void;
  stop(): Promise<void>;
}

/** Starts the portal on the bus at `address` (a private test bus). */
export async function startRemoteDesktopPortal(address: string): Promise<RemoteDesktopPortal> {
  const connection = dbus.sessionBus({ busAddress: address });
  await connection.requestName(PORTAL, 0);
  const calls: RemoteDesktopCall[] = [];
  const keys: Array<[number, boolean]> = [];
  const tokens = new Set<string>();
  const sessions = new Map<string, { persist: boolean; token?: string }>();
  let dialogs = 0;
  let issued = 0;
  const unwrap = (options: Vardict) =>
    Object.fromEntries(Object.entries(options).map(([k, v]) => [k, v.value]));

  const respond = (
    msg: InstanceType<typeof dbus.Message>,
    handleToken: string,
    response: number,
    results: Vardict,
  ) => {
    const sender = msg.sender!.slice(1).replace(/\./g, '_');
    const request = `${PATH}/request/${sender}/${handleToken}`;
    connection.send(dbus.Message.newMethodReturn(msg, 'o', [request]));
    // the answer comes after the call returns, as the real portal's does
    setTimeout(() => {
      connection.send(
        dbus.Message.newSignal(request, 'org.freedesktop.portal.Request', 'Response', 'ua{sv}', [
          response,
          results,
        ]),
      );
    }, 5);
  };

  const portal: RemoteDesktopPortal = {
    calls,
    keys,
    get dialogs() {
      return dialogs;
    },
    dialogResponse: 0,
    staleToken: 2,
    forgetTokens: () => tokens.clear(),
    async stop() {
      connection.disconnect();
    },
  };

  connection.addMethodHandler((msg: InstanceType<typeof dbus.Message>) => {
    if (msg.interface === 'org.freedesktop.DBus.Properties' && msg.path === PATH) {
      const props: Vardict = {
        version: new dbus.Variant('u', 2),
        AvailableDeviceTypes: new dbus.Variant('u', 7),
      };
      const [, name] = msg.body as [string, string];
      if (msg.member === 'Get' && props[name])
        connection.send(dbus.Message.newMethodReturn(msg, 'v', [props[name]]));
      else if (msg.member === 'GetAll')
        connection.send(dbus.Message.newMethodReturn(msg, 'a{sv}', [props]));
      else return false;
      return true;
    }
    if (msg.interface === 'org.freedesktop.portal.Session' && msg.member === 'Close') {
      calls.push({ member: 'Close', options: {} });
      sessions.delete(msg.path);
      connection.send(dbus.Message.newMethodReturn(msg));
      return true;
    }
    if (msg.interface !== REMOTE) return false;
    switch (msg.member) {
      case 'CreateSession': {
        const [options] = msg.body as [Vardict];
        calls.push({ member: 'CreateSession', options: unwrap(options) });
        const sender = msg.sender!.slice(1).replace(/\./g, '_');
        const handle = `${PATH}/session/${sender}/${String(options.session_handle_token?.value)}`;
        sessions.set(handle, { persist: false });
        respond(msg, String(options.handle_token?.value), 0, {
          session_handle: new dbus.Variant('s', handle),
        });
        return true;
      }
      case 'SelectDevices': {
        const [handle, options] = msg.body as [string, Vardict];
        calls.push({ member: 'SelectDevices', options: unwrap(options) });
        if (portal.selectDevicesError) {
          connection.send(
            dbus.Message.newError(
              msg as unknown as string,
              portal.selectDevicesError,
              'SelectDevices failed',
            ),
          );
          return true;
        }
        const session = sessions.get(handle);
        if (session) {
          session.persist = Number(options.persist_mode?.value ?? 0) === 2;
          const token = options.restore_token?.value as string | undefined;
          if (token) session.token = token;
        }
        respond(msg, String(options.handle_token?.value), session ? 0 : 2, {});
        return true;
      }
      case 'Start': {
        const [handle, , options] = msg.body as [string, string, Vardict];
        calls.push({ member: 'Start', options: unwrap(options) });
        const session = sessions.get(handle);
        const handleToken = String(options.handle_token?.value);
        if (!session) {
          respond(msg, handleToken, 2, {});
          return true;
        }
        let granted: boolean;
        if (session.token && tokens.has(session.token)) {
          tokens.delete(session.token); // single-use
          granted = true;
        } else if (session.token && portal.staleToken === 2) {
          respond(msg, handleToken, 2, {});
          return true;
        } else {
          dialogs++;
          // a dialog nobody answers: no Response at all
          if (portal.dialogResponse === 'never') {
            connection.send(dbus.Message.newMethodReturn(msg, 'o', [`${PATH}/request/never`]));
            return true;
          }
          granted = portal.dialogResponse === 0;
        }
        if (!granted) {
          sessions.delete(handle);
          respond(msg, handleToken, 1, {});
          return true;
        }
        const results: Vardict = { devices: new dbus.Variant('u', 1) };
        if (session.persist) {
          const token = `token-${++issued}`;
          tokens.add(token);
          results.restore_token = new dbus.Variant('s', token);
        }
        respond(msg, handleToken, 0, results);
        return true;
      }
      case 'NotifyKeyboardKeysym': {
        const [handle, , keysym, state] = msg.body as [string, Vardict, number, number];
        if (!sessions.has(handle)) {
          connection.send(
            // the library's types name the first argument a string; it takes the call it answers
            dbus.Message.newError(
              msg as unknown as string,
              'org.freedesktop.DBus.Error.AccessDenied',
              'No such session',
            ),
          );
          return true;
        }
        keys.push([keysym, state === 1]);
        connection.send(dbus.Message.newMethodReturn(msg));
        return true;
      }
      default:
        return false;
    }
  });
  return portal;
}
