import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MessageBus, Message as DBusMessage, Variant } from '@particle/dbus-next';
import type { Chord } from '../chords.js';
import { firstKeyboardLayout } from './keyboard-layout.js';
import { keyKeysym, keysymOf, MODIFIER_KEYS } from './keysyms.js';
import { RemoteDesktopError, remoteDesktopProblem } from './remote-desktop-errors.js';

export { RemoteDesktopError, type RemoteDesktopProblem } from './remote-desktop-errors.js';

const PORTAL = 'org.freedesktop.portal.Desktop';
const PORTAL_PATH = '/org/freedesktop/portal/desktop';
const REMOTE = 'org.freedesktop.portal.RemoteDesktop';
const KEYBOARD = 1;

type DBus = typeof import('@particle/dbus-next');
type Vardict = Record<string, Variant>;

export interface RemoteDesktopOptions {
  env: NodeJS.ProcessEnv;
  /** Where the restore token is kept (0600). Default `$XDG_STATE_HOME/whis/remote-desktop.token`. */
  tokenFile?: string;
  /** How long to wait after the session starts for the desktop to take the keyboard layout. Default 200 ms. */
  settleMs?: number;
  /** Give up on one desktop call after this long (a dialog waits for the user: Start has 5 minutes). */
  timeoutMs?: number;
  notice?: (message: string, details?: object) => void;
}

/** What the desktop answered last, for `whis status` and `whis doctor`. */
export interface RemoteDesktopState {
  answer: string;
  /** The last failure's message, until a session starts again. */
  problem?: string;
  /** The desktop has no RemoteDesktop portal: another keyboard is used. */
  unavailable?: boolean;
}

/** The default place of the restore token, as `@whis/config` names the state folder on Linux. */
export function defaultTokenFile(env: NodeJS.ProcessEnv): string {
  const state = env.XDG_STATE_HOME || join(env.HOME ?? '', '.local', 'state');
  return join(state, 'whis', 'remote-desktop.token');
}

async function loadDBus(): Promise<DBus> {
  // lazily: X11 users and `whis status` never load the D-Bus client
  const mod = (await import('@particle/dbus-next')) as DBus & { default?: DBus };
  return mod.default ?? mod;
}

const errorName = (err: unknown) => (err as { type?: string }).type ?? '';

/**
 * One RemoteDesktop session on the desktop portal: CreateSession → SelectDevices (keyboard; with
 * `persist_mode` 2 and the saved restore token where the portal has version 2) → Start, then
 * NotifyKeyboardKeysym. Opened on first use and kept for the process's life; the connection does
 * not keep the process alive while idle.
 */
export class RemoteDesktop {
  state: RemoteDesktopState = { answer: 'not asked yet' };
  private dbus: DBus | undefined;
  private bus: MessageBus | undefined;
  private session: string | undefined;
  private opening: Promise<string> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private busy = 0;
  private requests = 0;
  private closedByDesktop = false;
  private readonly tokenFile: string;

  constructor(private readonly options: RemoteDesktopOptions) {
    this.tokenFile = options.tokenFile ?? defaultTokenFile(options.env);
  }

  /** The open session's handle, if one is open. */
  get handle(): string | undefined {
    return this.session;
  }

  /** Runs `fn` after every earlier operation: two outputs never interleave their keys. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      this.hold(1);
      try {
        return await fn();
      } finally {
        this.hold(-1);
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The open session's handle, opening one (and saying why a closed one is not reopened). */
  async ensure(): Promise<string> {
    if (this.session) return this.session;
    if (this.closedByDesktop) {
      // said once: this delivery fails with the reason, the next one asks the desktop again
      this.closedByDesktop = false;
      throw new RemoteDesktopError('closed', this.state.problem ?? remoteDesktopProblem('closed'));
    }
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** The first keyboard layout's short name (see `firstKeyboardLayout`). */
  layout(): Promise<string | undefined> {
    return firstKeyboardLayout(
      this.options.env,
      this.bus && this.dbus ? { bus: this.bus, dbus: this.dbus } : undefined,
    );
  }

  async type(text: string): Promise<void> {
    const session = await this.ensure();
    for (const ch of text) {
      const sym = keysymOf(ch);
      await this.keysym(session, sym, true);
      await this.keysym(session, sym, false);
    }
  }

  async press(chord: Chord): Promise<void> {
    const session = await this.ensure();
    const key = keyKeysym(chord.key);
    for (const m of chord.modifiers) await this.keysym(session, MODIFIER_KEYS[m], true);
    await this.keysym(session, key, true);
    await this.keysym(session, key, false);
    for (const m of [...chord.modifiers].reverse())
      await this.keysym(session, MODIFIER_KEYS[m], false);
  }

  /** Ends the session and the connection. */
  async close(): Promise<void> {
    const { bus, session, dbus } = this;
    this.session = undefined;
    this.bus = undefined;
    if (bus && session && dbus)
      await bus
        .call(
          new dbus.Message({
            destination: PORTAL,
            path: session,
            interface: 'org.freedesktop.portal.Session',
            member: 'Close',
          }),
        )
        .catch(() => undefined);
    bus?.disconnect();
  }

  private hold(delta: number) {
    this.busy += delta;
    const stream = (
      this.bus as unknown as { _connection?: { stream?: { ref?(): void; unref?(): void } } }
    )?._connection?.stream;
    if (this.busy > 0) stream?.ref?.();
    else stream?.unref?.();
  }

  private async keysym(session: string, sym: number, down: boolean) {
    try {
      await this.call(REMOTE, 'NotifyKeyboardKeysym', 'oa{sv}iu', [session, {}, sym, down ? 1 : 0]);
    } catch (err) {
      if (this.session === session) this.session = undefined;
      const problem = this.closedByDesktop ? 'closed' : 'failed';
      this.closedByDesktop = false;
      const message = remoteDesktopProblem(problem, errorName(err) || (err as Error).message);
      this.state = {
        answer: `the session failed: ${errorName(err) || (err as Error).message}`,
        problem: message,
      };
      throw new RemoteDesktopError(problem, message, { cause: err });
    }
  }

  private call(iface: string, member: string, signature: string, body: unknown[]) {
    return this.bus!.call(
      new this.dbus!.Message({
        destination: PORTAL,
        path: PORTAL_PATH,
        interface: iface,
        member,
        signature,
        body,
      }),
    );
  }

  private async connect(): Promise<MessageBus> {
    if (this.bus) return this.bus;
    const env = this.options.env;
    const address = env.DBUS_SESSION_BUS_ADDRESS;
    if (!address)
      throw new RemoteDesktopError(
        'no-bus',
        remoteDesktopProblem('no-bus', 'DBUS_SESSION_BUS_ADDRESS is not set'),
      );
    this.dbus ??= await loadDBus();
    let bus: MessageBus;
    try {
      bus = this.dbus.sessionBus({ busAddress: address });
    } catch (err) {
      throw new RemoteDesktopError(
        'no-bus',
        remoteDesktopProblem('no-bus', (err as Error).message),
        {
          cause: err,
        },
      );
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        bus.disconnect();
        reject(
          new RemoteDesktopError('no-bus', remoteDesktopProblem('no-bus', err.message), {
            cause: err,
          }),
        );
      };
      bus.once('error', onError);
      bus.once('connect', () => {
        bus.off('error', onError);
        resolve();
      });
    });
    bus.on('error', () => {
      // the bus went away: the session with it
      this.session = undefined;
      if (this.bus === bus) this.bus = undefined;
    });
    bus.on('message', (msg: DBusMessage) => this.onSignal(msg));
    this.bus = bus;
    this.hold(0);
    await this.addMatch(`type='signal',interface='org.freedesktop.portal.Session',member='Closed'`);
    await this.addMatch(
      `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${PORTAL}'`,
    );
    return bus;
  }

  private onSignal(msg: DBusMessage) {
    if (msg.type !== 4 /* signal */) return;
    if (msg.member === 'Closed' && msg.path === this.session) {
      this.session = undefined;
      this.closedByDesktop = true;
      const problem = remoteDesktopProblem('closed');
      this.state = { answer: 'the desktop closed the session', problem };
      this.options.notice?.('the desktop closed the remote-control session');
    } else if (msg.member === 'NameOwnerChanged' && msg.body[0] === PORTAL && this.session) {
      // the portal restarted: its sessions died with it; the next delivery opens a new one
      this.session = undefined;
      this.state = {
        answer: 'the portal restarted; a new session is opened on the next dictation',
      };
      this.options.notice?.('the desktop portal restarted: its session is gone');
    }
  }

  private addMatch(rule: string) {
    return this.bus!.call(
      new this.dbus!.Message({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'AddMatch',
        signature: 's',
        body: [rule],
      }),
    );
  }

  // a portal request: subscribe to its Response before calling, so no answer is missed
  private async request(
    member: string,
    signature: string,
    body: (options: Vardict) => unknown[],
    timeoutMs: number,
  ): Promise<{ response: number; results: Vardict }> {
    const bus = this.bus!;
    const handleToken = `whis${process.pid}_${++this.requests}`;
    const sender = (bus as MessageBus & { name: string }).name.slice(1).replace(/\./g, '_');
    const path = `${PORTAL_PATH}/request/${sender}/${handleToken}`;
    const rule = `type='signal',interface='org.freedesktop.portal.Request',member='Response',path='${path}'`;
    await this.addMatch(rule);
    let onMessage: ((msg: DBusMessage) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = new Promise<{ response: number; results: Vardict }>((resolve, reject) => {
        onMessage = (msg: DBusMessage) => {
          if (msg.member !== 'Response' || msg.path !== path) return;
          resolve({ response: Number(msg.body[0]), results: msg.body[1] as Vardict });
        };
        bus.on('message', onMessage);
        timer = setTimeout(
          () =>
            reject(new Error(`no answer to ${member} within ${Math.round(timeoutMs / 1000)} s`)),
          timeoutMs,
        );
      });
      await this.call(
        REMOTE,
        member,
        signature,
        body({ handle_token: new this.dbus!.Variant('s', handleToken) }),
      );
      return await answer;
    } finally {
      clearTimeout(timer);
      if (onMessage) bus.off('message', onMessage);
      void bus
        .call(
          new this.dbus!.Message({
            destination: 'org.freedesktop.DBus',
            path: '/org/freedesktop/DBus',
            interface: 'org.freedesktop.DBus',
            member: 'RemoveMatch',
            signature: 's',
            body: [rule],
          }),
        )
        .catch(() => undefined);
    }
  }

  private async property(name: string): Promise<number> {
    const reply = await this.bus!.call(
      new this.dbus!.Message({
        destination: PORTAL,
        path: PORTAL_PATH,
        interface: 'org.freedesktop.DBus.Properties',
        member: 'Get',
        signature: 'ss',
        body: [REMOTE, name],
      }),
    );
    return Number((reply!.body[0] as Variant).value);
  }

  /** Version and device types, or the reason there is no RemoteDesktop keyboard. */
  async probe(): Promise<{ version: number; keyboard: boolean }> {
    await this.connect();
    try {
      const version = await this.property('version');
      const types = await this.property('AvailableDeviceTypes');
      return { version, keyboard: (types & KEYBOARD) !== 0 };
    } catch (err) {
      const name = errorName(err);
      const problem =
        name.endsWith('ServiceUnknown') ||
        name.endsWith('NameHasNoOwner') ||
        name.endsWith('NoReply')
          ? 'no-portal'
          : 'no-remote-desktop';
      throw new RemoteDesktopError(problem, remoteDesktopProblem(problem, name), { cause: err });
    }
  }

  private async open(): Promise<string> {
    try {
      const session = await this.start();
      return session;
    } catch (err) {
      const error =
        err instanceof RemoteDesktopError
          ? err
          : new RemoteDesktopError(
              'failed',
              remoteDesktopProblem('failed', (err as Error).message),
              {
                cause: err,
              },
            );
      this.state = {
        answer: error.unavailable ? 'no RemoteDesktop keyboard' : `refused (${error.problem})`,
        problem: error.message,
        ...(error.unavailable ? { unavailable: true } : {}),
      };
      throw error;
    }
  }

  private async start(): Promise<string> {
    const started = Date.now();
    const { version, keyboard } = await this.probe();
    if (!keyboard)
      throw new RemoteDesktopError(
        'no-remote-desktop',
        remoteDesktopProblem('no-remote-desktop', 'it offers no keyboard device'),
      );
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    let token = version >= 2 ? await readFile(this.tokenFile, 'utf8').catch(() => '') : '';
    for (let attempt = 0; ; attempt++) {
      const result = await this.startSession(version, token.trim(), timeoutMs);
      if (result.ok) {
        const saved = result.token ? await this.saveToken(result.token) : false;
        this.state = {
          answer: `session started (RemoteDesktop version ${version}, keyboard${saved ? '; permission remembered' : ''})`,
        };
        this.options.notice?.('desktop portal session started', {
          version,
          ms: Date.now() - started,
          restored: Boolean(token),
        });
        return result.session;
      }
      // a refused restore token (single-use, or from an earlier login): ask again, once
      if (token && attempt === 0) {
        this.options.notice?.('the desktop refused the saved permission: asking again');
        await rm(this.tokenFile, { force: true });
        token = '';
        continue;
      }
      throw new RemoteDesktopError('refused', remoteDesktopProblem('refused', result.why));
    }
  }

  private async startSession(
    version: number,
    token: string,
    timeoutMs: number,
  ): Promise<{ ok: true; session: string; token?: string } | { ok: false; why: string }> {
    const V = this.dbus!.Variant;
    const created = await this.request(
      'CreateSession',
      'a{sv}',
      (options) => [
        { ...options, session_handle_token: new V('s', `whis${process.pid}_${this.requests}`) },
      ],
      timeoutMs,
    );
    if (created.response !== 0)
      return { ok: false, why: `CreateSession answered ${created.response}` };
    // the handle comes back as a string on KDE, an object path elsewhere
    const session = String(created.results.session_handle?.value ?? '');
    const close = () => {
      void this.bus
        ?.call(
          new this.dbus!.Message({
            destination: PORTAL,
            path: session,
            interface: 'org.freedesktop.portal.Session',
            member: 'Close',
          }),
        )
        .catch(() => undefined);
    };
    const selected = await this.request(
      'SelectDevices',
      'oa{sv}',
      (options) => [
        session,
        {
          ...options,
          types: new V('u', KEYBOARD),
          ...(version >= 2 ? { persist_mode: new V('u', 2) } : {}),
          ...(token ? { restore_token: new V('s', token) } : {}),
        },
      ],
      timeoutMs,
    );
    if (selected.response !== 0) {
      close();
      return { ok: false, why: `SelectDevices answered ${selected.response}` };
    }
    this.session = session;
    // Start may show a dialog that waits for the user
    const start = await this.request(
      'Start',
      'osa{sv}',
      (options) => [session, '', options],
      Math.max(timeoutMs, 300_000),
    );
    if (start.response !== 0) {
      this.session = undefined;
      close();
      return {
        ok: false,
        why: start.response === 1 ? 'declined' : `Start answered ${start.response}`,
      };
    }
    const devices = Number(start.results.devices?.value ?? KEYBOARD);
    if ((devices & KEYBOARD) === 0) {
      this.session = undefined;
      close();
      return { ok: false, why: 'the keyboard was not granted' };
    }
    // right after Start the desktop may still map keysyms with a default US layout: a modifier
    // first, and a pause, and it has the user's layout (French "wayland" typed "zqyland" without)
    await this.keysym(session, MODIFIER_KEYS.shift, true);
    await this.keysym(session, MODIFIER_KEYS.shift, false);
    await new Promise((resolve) => setTimeout(resolve, this.options.settleMs ?? 200));
    const restore = start.results.restore_token?.value as string | undefined;
    return { ok: true, session, ...(restore ? { token: restore } : {}) };
  }

  private async saveToken(token: string): Promise<boolean> {
    try {
      await mkdir(dirname(this.tokenFile), { recursive: true, mode: 0o700 });
      await writeFile(this.tokenFile, token, { mode: 0o600 });
      await chmod(this.tokenFile, 0o600);
      return true;
    } catch (err) {
      this.options.notice?.('the desktop permission could not be saved', { err });
      return false;
    }
  }
}

const sessions = new Map<string, RemoteDesktop>();

/** The process's one RemoteDesktop for the session bus of `env` (every output shares it). */
export function remoteDesktopFor(options: RemoteDesktopOptions): RemoteDesktop {
  const key = `${options.env.DBUS_SESSION_BUS_ADDRESS ?? ''}\n${options.tokenFile ?? defaultTokenFile(options.env)}`;
  let desktop = sessions.get(key);
  if (!desktop) {
    desktop = new RemoteDesktop(options);
    sessions.set(key, desktop);
  }
  return desktop;
}

/** The shared RemoteDesktop of `env`'s bus, if one was opened. */
export function existingRemoteDesktop(env: NodeJS.ProcessEnv): RemoteDesktop | undefined {
  for (const [key, desktop] of sessions)
    if (key.startsWith(`${env.DBUS_SESSION_BUS_ADDRESS ?? ''}\n`)) return desktop;
  return undefined;
}

/** Closes every RemoteDesktop session this process opened. */
export async function closeRemoteDesktops(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map((d) => d.close()));
}
