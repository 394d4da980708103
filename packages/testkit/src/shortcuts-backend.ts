import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import dbus from '@particle/dbus-next';
import type { SessionBus } from './session-bus.js';

const IMPL = 'org.freedesktop.impl.portal.GlobalShortcuts';
const PATH = '/org/freedesktop/portal/desktop';

type Vardict = Record<string, InstanceType<typeof dbus.Variant>>;
type Shortcut = [string, Vardict];

/** One call the frontend made to the backend, as the backend saw it. */
export interface ShortcutsBackendCall {
  member: 'CreateSession' | 'BindShortcuts' | 'ListShortcuts' | 'Close';
  session: string;
  /** The shortcuts passed (BindShortcuts; CreateSession's `shortcuts` option). */
  shortcuts?: Array<{ id: string; description?: string; preferredTrigger?: string }>;
}

/**
 * A GlobalShortcuts portal backend that follows the specification as GNOME 48+ and KDE 6 do:
 * shortcuts are bound in `BindShortcuts` (CreateSession's list is ignored), remembered per app
 * across sessions, and the test drives the key: press, release, auto-repeat, rebinding.
 */
export interface ShortcutsBackend {
  /** The `.portal` file's folder: give it to the frontend as `XDG_DESKTOP_PORTAL_DIR`. */
  portalDir: string;
  /** The `XDG_CURRENT_DESKTOP` the `.portal` file is for. */
  desktop: string;
  calls: ShortcutsBackendCall[];
  /** Sessions open now (handles). */
  readonly sessions: string[];
  /** How the next BindShortcuts is answered: 0 granted, 1 cancelled (the user closed the dialog), 2 failed. */
  bindResponse: number;
  /** The key goes down: `Activated` to every session holding `id`. */
  press(id: string): void;
  /** The key comes up: `Deactivated`. */
  release(id: string): void;
  /** The user assigns another key in the desktop's settings: `ShortcutsChanged`. */
  rebind(id: string, triggerDescription: string): void;
  /** Leaves the bus and exports nothing more. */
  stop(): Promise<void>;
}

const str = (v: InstanceType<typeof dbus.Variant> | undefined) =>
  v === undefined ? undefined : String(v.value);

/** Starts the backend on `bus` and writes its `.portal` file. */
export async function startShortcutsBackend(
  bus: SessionBus,
  options: { desktop?: string; name?: string } = {},
): Promise<ShortcutsBackend> {
  const desktop = options.desktop ?? 'whistest';
  const name = options.name ?? `org.freedesktop.impl.portal.desktop.${desktop}`;
  const portalDir = join(bus.directory, 'portals');
  await mkdir(portalDir, { recursive: true });
  await writeFile(
    join(portalDir, `${desktop}.portal`),
    `[portal]\nDBusName=${name}\nInterfaces=${IMPL};\nUseIn=${desktop}\n`,
  );
  const connection = dbus.sessionBus({ busAddress: bus.address });
  const calls: ShortcutsBackendCall[] = [];
  // what each app bound, kept across its sessions as the desktop does
  const bound = new Map<string, Map<string, Vardict>>();
  const sessions = new Map<string, string>(); // session handle → app id

  const shortcutsOf = (appId: string): Shortcut[] =>
    [...(bound.get(appId) ?? new Map<string, Vardict>())].map(([id, props]) => [id, props]);
  const shortcutsVariant = (list: Shortcut[]) => new dbus.Variant('a(sa{sv})', list);
  const summary = (list: Shortcut[]) =>
    list.map(([id, props]) => ({
      id,
      ...(props.description ? { description: str(props.description) } : {}),
      ...(props.preferred_trigger ? { preferredTrigger: str(props.preferred_trigger) } : {}),
    }));
  const signal = (member: string, signature: string, body: unknown[]) =>
    connection.send(dbus.Message.newSignal(PATH, IMPL, member, signature, body));
  const holding = (id: string) =>
    [...sessions].filter(([, appId]) => bound.get(appId)?.has(id)).map(([handle]) => handle);

  const backend: ShortcutsBackend = {
    portalDir,
    desktop,
    calls,
    get sessions() {
      return [...sessions.keys()];
    },
    bindResponse: 0,
    press(id) {
      for (const handle of holding(id))
        signal('Activated', 'osta{sv}', [handle, id, BigInt(Date.now()), {}]);
    },
    release(id) {
      for (const handle of holding(id))
        signal('Deactivated', 'osta{sv}', [handle, id, BigInt(Date.now()), {}]);
    },
    rebind(id, triggerDescription) {
      for (const [handle, appId] of sessions) {
        const props = bound.get(appId)?.get(id);
        if (!props) continue;
        props.trigger_description = new dbus.Variant('s', triggerDescription);
        signal('ShortcutsChanged', 'oa(sa{sv})', [handle, shortcutsOf(appId)]);
      }
    },
    async stop() {
      connection.disconnect();
    },
  };

  const reply = (msg: InstanceType<typeof dbus.Message>, response: number, results: Vardict) =>
    connection.send(dbus.Message.newMethodReturn(msg, 'ua{sv}', [response, results]));

  connection.addMethodHandler((msg: InstanceType<typeof dbus.Message>) => {
    if (msg.interface === 'org.freedesktop.DBus.Properties' && msg.path === PATH) {
      const version = { version: new dbus.Variant('u', 1) };
      if (msg.member === 'GetAll')
        connection.send(dbus.Message.newMethodReturn(msg, 'a{sv}', [version]));
      else if (msg.member === 'Get')
        connection.send(dbus.Message.newMethodReturn(msg, 'v', [version.version]));
      else return false;
      return true;
    }
    if (msg.interface === 'org.freedesktop.impl.portal.Session' && msg.member === 'Close') {
      calls.push({ member: 'Close', session: msg.path });
      sessions.delete(msg.path);
      connection.send(dbus.Message.newMethodReturn(msg));
      return true;
    }
    if (msg.interface !== IMPL) return false;
    switch (msg.member) {
      case 'CreateSession': {
        const [, session, appId, opts] = msg.body as [string, string, string, Vardict];
        const given = opts.shortcuts?.value as Shortcut[] | undefined;
        calls.push({
          member: 'CreateSession',
          session,
          ...(given ? { shortcuts: summary(given) } : {}),
        });
        sessions.set(session, appId);
        reply(msg, 0, {});
        return true;
      }
      case 'ListShortcuts': {
        const [, session] = msg.body as [string, string];
        calls.push({ member: 'ListShortcuts', session });
        reply(msg, 0, { shortcuts: shortcutsVariant(shortcutsOf(sessions.get(session) ?? '')) });
        return true;
      }
      case 'BindShortcuts': {
        const [, session, list] = msg.body as [string, string, Shortcut[]];
        calls.push({ member: 'BindShortcuts', session, shortcuts: summary(list) });
        if (backend.bindResponse !== 0) {
          reply(msg, backend.bindResponse, {});
          return true;
        }
        const appId = sessions.get(session) ?? '';
        const app = bound.get(appId) ?? new Map<string, Vardict>();
        bound.set(appId, app);
        for (const [id, props] of list) {
          app.set(id, {
            description: props.description ?? new dbus.Variant('s', id),
            // the desktop shows the key its own way: "Ctrl+Shift+R"
            trigger_description: new dbus.Variant(
              's',
              (str(props.preferred_trigger) ?? '')
                .split('+')
                .map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase())
                .join('+'),
            ),
          });
        }
        reply(msg, 0, { shortcuts: shortcutsVariant(shortcutsOf(appId)) });
        return true;
      }
      default:
        return false;
    }
  });

  await new Promise<void>((resolve, reject) => {
    connection.once('error', reject);
    connection.once('connect', () => resolve());
  });
  await connection.requestName(name, 0);
  return backend;
}
