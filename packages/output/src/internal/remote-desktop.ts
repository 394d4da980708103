import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  closePortalSession,
  connectSessionBus,
  dbusErrorDetail,
  dbusErrorReason,
  isServiceMissing,
  PORTAL,
  PORTAL_PATH,
  portalCall,
  portalRequest,
  portalToken,
  portalVersion,
  type DBusMessage,
  type SessionBus,
  type Vardict,
} from '@whis/dbus';
import type { Chord } from '../chords.js';
import { firstKeyboardLayout } from './keyboard-layout.js';
import { keyKeysym, keysymOf, MODIFIER_KEYS } from './keysyms.js';
import { RemoteDesktopError, remoteDesktopProblem } from './remote-desktop-errors.js';

export { RemoteDesktopError, type RemoteDesktopProblem } from './remote-desktop-errors.js';

const REMOTE = 'org.freedesktop.portal.RemoteDesktop';
const KEYBOARD = 1;
// what the bus itself waits before it answers NoReply (a dialog's answer comes later, as a signal)
const CALL_TIMEOUT_MS = 25_000;

export interface RemoteDesktopOptions {
  env: NodeJS.ProcessEnv;
  /** Where the restore token is kept (0600). Default `$XDG_STATE_HOME/whis/remote-desktop.token`. */
  tokenFile?: string;
  /** How long to wait after the session starts for the desktop to take the keyboard layout. Default 200 ms. */
  settleMs?: number;
  /** Give up on one desktop call after this long (a dialog waits for the user: Start has 5 minutes). */
  timeoutMs?: number;
  /** How long Start's permission dialog may wait for the user. Default 5 minutes. */
  dialogTimeoutMs?: number;
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

/**
 * One RemoteDesktop session on the desktop portal: CreateSession → SelectDevices (keyboard; with
 * `persist_mode` 2 and the saved restore token where the portal has version 2) → Start, then
 * NotifyKeyboardKeysym. Opened on first use and kept for the process's life; the connection does
 * not keep the process alive while idle.
 */
export class RemoteDesktop {
  state: RemoteDesktopState = { answer: 'not asked yet' };
  private bus: SessionBus | undefined;
  private session: string | undefined;
  private opening: Promise<string> | undefined;
  // the start in flight: close() aborts it (a dialog nobody answers would hold it for minutes)
  private starting: AbortController | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private busy = 0;
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
    return firstKeyboardLayout(this.options.env, this.bus);
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

  /** Ends the session and the connection; a start in flight is aborted first, and its session closed. */
  async close(): Promise<void> {
    this.starting?.abort(
      new RemoteDesktopError(
        'closed',
        'whis closed the remote-control session while it was starting.',
      ),
    );
    await this.opening?.catch(() => undefined);
    const { bus, session } = this;
    this.session = undefined;
    this.bus = undefined;
    if (bus && session) await closePortalSession(bus, session).catch(() => undefined);
    bus?.close();
  }

  private hold(delta: number) {
    this.busy += delta;
    this.bus?.keepAlive(this.busy > 0);
  }

  private async keysym(session: string, sym: number, down: boolean) {
    try {
      await portalCall(this.bus!, REMOTE, 'NotifyKeyboardKeysym', 'oa{sv}iu', [
        session,
        {},
        sym,
        down ? 1 : 0,
      ]);
    } catch (err) {
      if (this.session === session) this.session = undefined;
      const problem = this.closedByDesktop ? 'closed' : 'failed';
      this.closedByDesktop = false;
      const message = remoteDesktopProblem(problem, dbusErrorReason(err));
      this.state = {
        answer: `the session failed: ${dbusErrorReason(err)}`,
        problem: message,
      };
      throw new RemoteDesktopError(problem, message, { cause: err });
    }
  }

  private async connect(signal?: AbortSignal): Promise<SessionBus> {
    if (this.bus) return this.bus;
    let bus: SessionBus;
    try {
      bus = await connectSessionBus({
        env: this.options.env,
        timeoutMs: CALL_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new RemoteDesktopError('no-bus', remoteDesktopProblem('no-bus', dbusErrorDetail(err)), {
        cause: err,
      });
    }
    bus.onError(() => {
      // the bus went away: the session with it
      this.session = undefined;
      if (this.bus === bus) this.bus = undefined;
    });
    this.bus = bus;
    this.hold(0);
    const onSignal = (msg: DBusMessage) => this.onSignal(msg);
    await bus.onSignal(
      `type='signal',interface='org.freedesktop.portal.Session',member='Closed'`,
      onSignal,
    );
    await bus.onSignal(
      `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${PORTAL}'`,
      onSignal,
    );
    return bus;
  }

  private onSignal(msg: DBusMessage) {
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

  // a portal request: a dialog's answer is waited for up to `timeoutMs`, or until `signal` aborts
  private async request(
    member: string,
    signature: string,
    body: (options: Vardict) => unknown[],
    timeoutMs: number,
    signal: AbortSignal,
  ) {
    try {
      return await portalRequest(this.bus!, {
        interface: REMOTE,
        member,
        signature,
        body,
        timeoutMs,
        signal,
      });
    } catch (err) {
      throw signal.aborted ? signal.reason : err;
    }
  }

  /** Version and device types, or the reason there is no RemoteDesktop keyboard. */
  async probe(signal?: AbortSignal): Promise<{ version: number; keyboard: boolean }> {
    const bus = await this.connect(signal);
    try {
      const version = await portalVersion(bus, REMOTE);
      const types = Number(
        await bus.getProperty(PORTAL, PORTAL_PATH, REMOTE, 'AvailableDeviceTypes'),
      );
      return { version, keyboard: (types & KEYBOARD) !== 0 };
    } catch (err) {
      const problem = isServiceMissing(err) ? 'no-portal' : 'no-remote-desktop';
      throw new RemoteDesktopError(problem, remoteDesktopProblem(problem, dbusErrorReason(err)), {
        cause: err,
      });
    }
  }

  private async open(): Promise<string> {
    const starting = new AbortController();
    this.starting = starting;
    try {
      const session = await this.start(starting.signal);
      return session;
    } catch (err) {
      const error =
        err instanceof RemoteDesktopError
          ? err
          : new RemoteDesktopError('failed', remoteDesktopProblem('failed', dbusErrorDetail(err)), {
              cause: err,
            });
      this.state = {
        answer: error.unavailable ? 'no RemoteDesktop keyboard' : `refused (${error.problem})`,
        problem: error.message,
        ...(error.unavailable ? { unavailable: true } : {}),
      };
      throw error;
    } finally {
      if (this.starting === starting) this.starting = undefined;
    }
  }

  private async start(signal: AbortSignal): Promise<string> {
    const started = Date.now();
    const { version, keyboard } = await this.probe(signal);
    signal.throwIfAborted();
    if (!keyboard)
      throw new RemoteDesktopError(
        'no-remote-desktop',
        remoteDesktopProblem('no-remote-desktop', 'it offers no keyboard device'),
      );
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    let token = version >= 2 ? await readFile(this.tokenFile, 'utf8').catch(() => '') : '';
    for (let attempt = 0; ; attempt++) {
      const result = await this.startSession(version, token.trim(), timeoutMs, signal);
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
    signal: AbortSignal,
  ): Promise<{ ok: true; session: string; token?: string } | { ok: false; why: string }> {
    const V = this.bus!.dbus.Variant;
    const created = await this.request(
      'CreateSession',
      'a{sv}',
      (options) => [{ ...options, session_handle_token: new V('s', portalToken()) }],
      timeoutMs,
      signal,
    );
    if (created.response !== 0)
      return { ok: false, why: `CreateSession answered ${created.response}` };
    // the handle comes back as a string on KDE, an object path elsewhere
    const session = String(created.results.session_handle?.value ?? '');
    try {
      const result = await this.selectAndStart(session, version, token, timeoutMs, signal);
      signal.throwIfAborted();
      if (result.ok) this.session = session;
      else void this.closeSession(session);
      return result;
    } catch (err) {
      // a call that failed, timed out (a dialog nobody answered) or was aborted: the session is
      // nobody's now (closed before close() ends the connection)
      await this.closeSession(session);
      throw err;
    }
  }

  private async closeSession(session: string) {
    if (this.session === session) this.session = undefined;
    if (this.bus) await closePortalSession(this.bus, session).catch(() => undefined);
  }

  private async selectAndStart(
    session: string,
    version: number,
    token: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<{ ok: true; session: string; token?: string } | { ok: false; why: string }> {
    const V = this.bus!.dbus.Variant;
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
      signal,
    );
    if (selected.response !== 0)
      return { ok: false, why: `SelectDevices answered ${selected.response}` };
    // Start may show a dialog that waits for the user
    const start = await this.request(
      'Start',
      'osa{sv}',
      (options) => [session, '', options],
      this.options.dialogTimeoutMs ?? Math.max(timeoutMs, 300_000),
      signal,
    );
    if (start.response !== 0)
      return {
        ok: false,
        why: start.response === 1 ? 'declined' : `Start answered ${start.response}`,
      };
    const devices = Number(start.results.devices?.value ?? KEYBOARD);
    if ((devices & KEYBOARD) === 0) return { ok: false, why: 'the keyboard was not granted' };
    // right after Start the desktop may still map keysyms with a default US layout: a modifier
    // first, and a pause, and it has the user's layout (French "wayland" typed "zqyland" without)
    await this.keysym(session, MODIFIER_KEYS.shift, true);
    await this.keysym(session, MODIFIER_KEYS.shift, false);
    await sleep(this.options.settleMs ?? 200, undefined, { signal }).catch(() =>
      signal.throwIfAborted(),
    );
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
