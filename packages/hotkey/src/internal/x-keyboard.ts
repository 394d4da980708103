import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { KEYSYMS, MODIFIER_KEYS, type Hotkey, type Modifier } from '../spec.js';

// The parts of the `x11` package (the X protocol in plain JavaScript: no native code, nothing that
// can abort the process) used here; it ships no types. Loaded on first use.
interface XEvent {
  name: string;
  keycode?: number;
  time?: number;
  /** KeyPress: the modifier mask held just before it (the wire's state field). */
  buttons?: number;
  /** MappingNotify: 0 modifiers, 1 keyboard, 2 pointer. */
  request?: number;
}
interface XError extends Error {
  error?: number;
}
/** A request's callback; returning true tells the library the error was handled. */
type Done = (err: XError | null | undefined, reply?: unknown) => boolean | void;
interface XClient {
  on(event: 'event', listener: (event: XEvent) => void): void;
  on(event: 'error', listener: (err: XError) => void): void;
  GrabKey(
    window: number,
    ownerEvents: number,
    modifiers: number,
    keycode: number,
    pointerMode: number,
    keyboardMode: number,
    done: Done,
  ): void;
  UngrabKey(window: number, keycode: number, modifiers: number): void;
  AllowEvents(mode: number, time: number): void;
  QueryKeymap(done: (err: XError | null, keys: Buffer) => void): void;
  GetKeyboardMapping(
    first: number,
    count: number,
    done: (err: XError | null, rows: number[][]) => void,
  ): void;
  GetModifierMapping(done: (err: XError | null, rows: number[][]) => void): void;
  GetInputFocus(done: Done): void;
  importRequestsFromTemplates(target: object, templates: Record<string, unknown[]>): void;
  require(name: 'xkb', done: (err: Error | null, ext: XkbExtension) => void): void;
  /** The connection's socket, once connected. */
  stream?: Socket;
}
interface XkbExtension {
  majorOpcode: number;
  UseCoreKbd: number;
  EventType: { NewKeyboardNotify: number; MapNotify: number };
  SelectEvents(
    device: number,
    affect: number,
    clear: number,
    selectAll: number,
    affectMap: number,
    map: number,
  ): void;
}
interface XDisplay {
  client: XClient;
  screen: Array<{ root: number }>;
  min_keycode: number;
  max_keycode: number;
}
interface X11 {
  createClient(
    options: { display: string; shm?: false },
    done: (err: Error | null, display: XDisplay) => void,
  ): XClient;
  keySyms: Record<string, { code: number } | undefined>;
}

let x11: X11 | undefined;
const loadX11 = () => (x11 ??= createRequire(import.meta.url)('x11') as X11);

const BAD_ACCESS = 10;
const GRAB_MODE_SYNC = 0;
const GRAB_MODE_ASYNC = 1;
const ASYNC_KEYBOARD = 3;
const REPLAY_KEYBOARD = 5;
const SHIFT = 1;
const LOCK = 2;
const CONTROL = 4;
/** The eight modifier bits of a key event's state (the rest are buttons and the XKB group). */
const MODIFIER_BITS = 0xff;

/**
 * How long `close` waits for the server to confirm that it has given the grabs back. A server that
 * is frozen or dying never answers; past this the socket is destroyed (the server drops a gone
 * client's grabs itself), so that a stop never hangs on it.
 */
const CLOSE_LIMIT_MS = 2000;

/** The X keysym name of a uiohook key name (what `parseHotkey` gives). */
export function keysymName(key: string): string {
  if (/^[A-Z]$/.test(key)) return key.toLowerCase();
  if (/^[0-9]$/.test(key) || /^F[0-9]+$/.test(key)) return key;
  const name = KEYSYMS[key];
  if (!name) throw new Error(`no X keysym for key ${key}`);
  return name;
}

/** What a grab needs to know of the keyboard: read again after each MappingNotify. */
interface Layout {
  /** Keycodes that carry a keysym, by keysym code. */
  keycodes(keysym: string): number[];
  /** The modifier mask (Mod1…) whose keys carry one of these keysyms; 0 when none does. */
  maskOf(...keysyms: string[]): number;
  /** The keycodes of a modifier mask's keys. */
  modifierKeycodes(mask: number): number[];
}

/**
 * The outcome of grabbing a chord: `taken` when another client holds some of it, `no-key` when
 * no key of the keyboard's layout carries the chord's key.
 */
export type GrabOutcome = 'grabbed' | 'taken' | 'no-key';

export interface XKeyboardOptions {
  /** e.g. `:0`. */
  display: string;
  /** Aborts the opening: the socket is closed and `open` rejects. */
  signal?: AbortSignal;
  /** The connection to the X server ended (not by `close`). */
  onClosed(err: Error | undefined): void;
  /** Problems that change nothing for the user (no detectable auto-repeat). */
  onNotice?(message: string): void;
}

export interface ChordOptions {
  hotkey: Hotkey;
  /** The chord went down (once per press: auto-repeat is not a press) or came up. */
  onMatch(match: 'press' | 'release'): void;
  /** The keyboard mapping changed and the chord could not be grabbed again. */
  onLost(outcome: 'taken' | 'no-key'): void;
}

/** One chord on an XKeyboard's connection. */
export interface ChordGrab {
  /**
   * Grabs the chord: all its keycodes, with every combination of Lock and NumLock. Rejects when
   * the connection ends meanwhile.
   */
  grab(): Promise<GrabOutcome>;
}

/**
 * One connection to the X server that holds passive grabs of one or more chords on the root
 * window: the X server gives each chord's key to this connection alone (never to the focused
 * window), with Lock and NumLock in any state, and delivers its KeyPress and KeyRelease here. A
 * modifier that is held when the key goes down is the focused window's as usual; only the key
 * itself is taken. The keyboard mapping is read once for all chords, and again after a
 * MappingNotify, when every grabbed chord is grabbed where its key now is.
 *
 * Every wait on the server ends when the connection does, and `close` is bounded: a server that
 * dies or freezes mid-request never leaves a caller waiting.
 */
export class XKeyboard {
  private readonly chords: Chord[] = [];
  private readonly waiting = new Set<(err: Error) => void>();
  private layoutRead: Promise<Layout> | undefined;
  private xkbReady: Promise<void> | undefined;
  /** Grabs and re-grabs, one at a time: a MappingNotify never interleaves with a grab. */
  private queue: Promise<unknown> = Promise.resolve();
  private regrabQueued = false;
  private closing = false;
  private isEnded = false;
  private readonly gone: Promise<void>;
  private lastError: Error | undefined;

  private constructor(
    private readonly x: XDisplay,
    private readonly socket: Socket,
    private readonly options: XKeyboardOptions,
  ) {
    this.gone = new Promise((resolve) => {
      if (socket.closed) resolve();
      else socket.once('close', () => resolve());
    });
    void this.gone.then(() => this.ended());
    this.listen();
  }

  /** Connects to the display. Rejects when it cannot (no server, refused authorisation), or on abort. */
  static open(options: XKeyboardOptions): Promise<XKeyboard> {
    const lib = loadX11();
    const { signal } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      // The library hands its socket to the client only once connected: it is caught as it is
      // created (a plain socket: no MIT-SHM, which a key grab never uses), so that an abort while
      // the server has not answered yet can close it.
      let socket: Socket | undefined;
      const caught = (message: unknown) => {
        socket ??= (message as { socket: Socket }).socket;
      };
      let opened: XKeyboard | undefined;
      let settled = false;
      const onAbort = () => {
        if (settled || !signal) return;
        settled = true;
        const aborted = () => reject(abortError(signal));
        // rejects once the socket is closed: nothing of this connection outlives the abort
        if (!socket || socket.closed) return aborted();
        socket.once('close', aborted);
        socket.destroy();
      };
      subscribe('net.client.socket', caught);
      let client: XClient;
      try {
        client = lib.createClient({ display: options.display, shm: false }, (err, display) => {
          signal?.removeEventListener('abort', onAbort);
          const stream = display?.client.stream ?? socket;
          if (settled || err || !stream) {
            stream?.destroy();
            if (!settled) reject(err ?? new Error('the X connection has no socket'));
            settled = true;
            return;
          }
          settled = true;
          opened = new XKeyboard(display, stream, options);
          resolve(opened);
        });
      } finally {
        unsubscribe('net.client.socket', caught);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      // errors after the connection is set up come here; an unhandled one would end the process
      client.on('error', (err) => {
        if (err.error === undefined) opened?.remember(err);
      });
    });
  }

  /** A chord on this connection, not grabbed until its `grab()`. */
  chord(options: ChordOptions): ChordGrab {
    const chord = new Chord(this, options);
    this.chords.push(chord);
    return { grab: () => this.serial(() => chord.grab()) };
  }

  /**
   * Gives every grab back and closes the connection. Resolves once the server has confirmed the
   * grabs are released (another program can take the keys at once), or, when it cannot answer (it
   * is gone or frozen), once the socket is closed: within `CLOSE_LIMIT_MS` at worst.
   */
  async close(): Promise<void> {
    if (this.closing) return this.gone;
    this.closing = true;
    const limit = AbortSignal.timeout(CLOSE_LIMIT_MS);
    const destroy = () => this.socket.destroy();
    limit.addEventListener('abort', destroy, { once: true });
    try {
      if (!this.isEnded) {
        for (const chord of this.chords) chord.ungrab();
        await this.roundTrip();
      }
    } catch {
      // gone meanwhile: the server drops a gone client's grabs itself
    } finally {
      limit.removeEventListener('abort', destroy);
      this.socket.destroy();
    }
    await this.gone;
  }

  /** Neither closed nor gone. */
  get connected(): boolean {
    return !this.closing;
  }

  // -- for the chords --

  get client(): XClient {
    return this.x.client;
  }

  get root(): number {
    return this.x.screen[0]!.root;
  }

  /** The keyboard's layout, read once and again after a MappingNotify. */
  layout(): Promise<Layout> {
    this.layoutRead ??= this.readLayout().catch((err: unknown) => {
      this.layoutRead = undefined;
      throw err;
    });
    return this.layoutRead;
  }

  /** XKB set up once per connection, before the first grab. */
  ready(): Promise<void> {
    this.xkbReady ??= this.useXkb();
    return this.xkbReady;
  }

  /**
   * Waits for the server's answer to a request: `issue` sends it and calls `resolve` or `reject`
   * from its callback. Rejects at once when the connection has ended, or when it ends meanwhile
   * (the library never calls back for a request the server did not answer).
   */
  wait<T>(issue: (resolve: (value: T) => void, reject: (err: Error) => void) => void): Promise<T> {
    if (this.isEnded) return Promise.reject(this.endedError());
    return new Promise<T>((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      this.waiting.add(fail);
      const settle =
        <A>(then: (value: A) => void) =>
        (value: A) => {
          this.waiting.delete(fail);
          then(value);
        };
      try {
        issue(settle(resolve), settle(reject));
      } catch (err) {
        settle(reject)(err as Error);
      }
    });
  }

  /** Whether a chord other than `chord` holds the keyboard (its key is down). */
  heldByOther(chord: Chord): boolean {
    return this.chords.some((other) => other !== chord && other.holding);
  }

  // -- the connection --

  private remember(err: Error): void {
    this.lastError ??= err;
  }

  private endedError(): Error {
    return new Error(
      `the X server closed the connection${this.lastError ? ` (${this.lastError.message})` : ''}`,
    );
  }

  // the socket closed: every wait fails, and the owner hears of it unless it closed it
  private ended(): void {
    this.isEnded = true;
    const err = this.endedError();
    for (const fail of this.waiting) fail(err);
    this.waiting.clear();
    if (this.closing) return;
    this.closing = true;
    this.options.onClosed(this.lastError);
  }

  private listen(): void {
    this.client.on('event', (event) => {
      if (event.name === 'KeyPress') this.keyPress(event);
      else if (event.name === 'KeyRelease')
        for (const chord of this.chords) chord.keyRelease(event.keycode!);
      else if (event.name === 'MappingNotify' && event.request !== 2) this.mappingChanged();
    });
  }

  private keyPress(event: XEvent): void {
    const keycode = event.keycode!;
    // while a chord's key is down its grab holds the keyboard, and every key typed comes here: it
    // is that chord's to see (and ignore), as it would be on a connection of its own
    const holder = this.chords.find((chord) => chord.holding);
    if (holder) {
      holder.keyPress(keycode, event.time ?? 0);
      return;
    }
    // a press that activated a passive grab: the chord with that key, and when two chords share
    // the key, the one whose modifiers were held
    const candidates = this.chords.filter((chord) => chord.hasKey(keycode));
    const state = (event.buttons ?? 0) & MODIFIER_BITS;
    const chord = candidates.find((c) => c.matchesState(state)) ?? candidates[0];
    chord?.keyPress(keycode, event.time ?? 0);
  }

  private mappingChanged(): void {
    // keys moved (a layout switch, xmodmap): grab every chord where it is now, once for a burst
    this.layoutRead = undefined;
    if (this.regrabQueued) return;
    this.regrabQueued = true;
    void this.serial(async () => {
      this.regrabQueued = false;
      if (this.closing) return;
      for (const chord of this.chords) {
        if (!chord.grabbed) continue;
        chord.ungrab();
        const outcome = await chord.grab().catch(() => undefined);
        // undefined: the connection ended meanwhile, and onClosed says so
        if (outcome && outcome !== 'grabbed') chord.lost(outcome);
      }
    });
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private roundTrip(): Promise<void> {
    return this.wait<void>((resolve, reject) =>
      this.client.GetInputFocus((err) => {
        if (err) reject(err);
        else resolve();
        return true;
      }),
    );
  }

  // Without this, a held key repeats as release+press pairs and push-to-talk would end and start
  // again at each repeat; with it, the server repeats presses only, which are ignored while held.
  // A client that speaks XKB gets the core MappingNotify only when it selects XKB's MapNotify.
  private async useXkb(): Promise<void> {
    const client = this.client;
    const xkb = await this.wait<XkbExtension | undefined>((resolve) =>
      client.require('xkb', (err, ext) => resolve(err ? undefined : ext)),
    );
    if (!xkb) {
      this.options.onNotice?.('no XKEYBOARD extension: a held push-to-talk key may repeat');
      return;
    }
    const newKeyboard = xkb.EventType.NewKeyboardNotify;
    const mapNotify = xkb.EventType.MapNotify;
    xkb.SelectEvents(xkb.UseCoreKbd, newKeyboard | mapNotify, 0, newKeyboard, 0xff, 0xff);
    // the library has no XkbPerClientFlags; its request layout is XKBproto.h's
    client.importRequestsFromTemplates(client, {
      XkbPerClientFlags: [
        (change: number, value: number) => {
          const b = Buffer.alloc(28);
          b[0] = xkb.majorOpcode;
          b[1] = 21;
          b.writeUInt16LE(7, 2);
          b.writeUInt16LE(xkb.UseCoreKbd, 4);
          b.writeUInt32LE(change, 8);
          b.writeUInt32LE(value, 12);
          return b;
        },
        (buf: Buffer) => buf.readUInt32LE(4),
      ],
    });
    const detectable = 1; // XkbPCF_DetectableAutoRepeatMask
    const set = await this.wait<number>((resolve) =>
      (
        client as XClient & { XkbPerClientFlags(c: number, v: number, done: Done): void }
      ).XkbPerClientFlags(detectable, detectable, (err, value?: unknown) => {
        resolve(err ? 0 : Number(value));
        return true;
      }),
    );
    if (!(set & detectable)) this.options.onNotice?.('the X server refused detectable auto-repeat');
  }

  private async readLayout(): Promise<Layout> {
    const client = this.client;
    const first = this.x.min_keycode;
    const [rows, modifierRows] = await Promise.all([
      this.wait<number[][]>((resolve, reject) =>
        client.GetKeyboardMapping(first, this.x.max_keycode - first + 1, (err, rows) =>
          err ? reject(err) : resolve(rows),
        ),
      ),
      this.wait<number[][]>((resolve, reject) =>
        client.GetModifierMapping((err, rows) => (err ? reject(err) : resolve(rows))),
      ),
    ]);
    const code = (keysym: string) => {
      const found = loadX11().keySyms[`XK_${keysym}`]?.code;
      if (found === undefined) throw new Error(`unknown X keysym ${keysym}`);
      return found;
    };
    // a keysym on its key's first level, else its shifted one (group 1)
    const keycodes = (keysym: string) => {
      const wanted = code(keysym);
      for (const level of [0, 1]) {
        const found = rows.flatMap((row, i) => (row[level] === wanted ? [first + i] : []));
        if (found.length) return found;
      }
      return [];
    };
    return {
      keycodes,
      maskOf: (...keysyms) => {
        const codes = new Set(keysyms.flatMap(keycodes));
        const index = modifierRows.findIndex((row, i) => i >= 3 && row.some((k) => codes.has(k)));
        return index < 0 ? 0 : 1 << index;
      },
      modifierKeycodes: (mask) =>
        modifierRows.flatMap((row, i) => (mask & (1 << i) ? row.filter((k) => k !== 0) : [])),
    };
  }
}

/** One chord's grab and presses on a shared connection. */
class Chord {
  private layout: Layout | undefined;
  /** [keycode, modifiers] pairs granted to us. */
  private grabs: Array<[number, number]> = [];
  private keyKeycodes = new Set<number>();
  private releaseKeycodes = new Set<number>();
  /** The chord's modifier mask, without the locks. */
  private mask = 0;
  private lockMask = LOCK;
  private readonly held = new Set<number>();
  private active = false;

  constructor(
    private readonly keyboard: XKeyboard,
    private readonly options: ChordOptions,
  ) {}

  get grabbed(): boolean {
    return this.grabs.length > 0;
  }

  /** Its key is down: its grab holds the keyboard. */
  get holding(): boolean {
    return this.held.size > 0;
  }

  hasKey(keycode: number): boolean {
    return this.grabbed && this.keyKeycodes.has(keycode);
  }

  matchesState(state: number): boolean {
    return (state & ~this.lockMask) === this.mask;
  }

  lost(outcome: 'taken' | 'no-key'): void {
    this.options.onLost(outcome);
  }

  async grab(): Promise<GrabOutcome> {
    await this.keyboard.ready();
    const layout = await this.keyboard.layout();
    this.layout = layout;
    const { chord, locks } = this.masks(layout);
    const keycodes = layout.keycodes(keysymName(this.options.hotkey.key));
    this.keyKeycodes = new Set(keycodes);
    this.releaseKeycodes = new Set(layout.modifierKeycodes(chord));
    this.mask = chord;
    this.lockMask = locks.reduce((all, lock) => all | lock, 0);
    const mode = this.sided() ? GRAB_MODE_SYNC : GRAB_MODE_ASYNC;
    const { client, root } = this.keyboard;
    const wanted = keycodes.flatMap((keycode) =>
      locks.map((lock) => [keycode, chord | lock] as [number, number]),
    );
    const granted = await Promise.all(
      wanted.map(([keycode, modifiers]) =>
        this.keyboard.wait<boolean>((resolve) =>
          client.GrabKey(root, 0, modifiers, keycode, GRAB_MODE_ASYNC, mode, (err) => {
            resolve(!err);
            // BadAccess is expected (another client has it); anything else is ours to hear too
            return !err || err.error === BAD_ACCESS;
          }),
        ),
      ),
    );
    this.grabs = wanted.filter((_, i) => granted[i]);
    if (keycodes.length === 0) return 'no-key';
    if (granted.every(Boolean)) return 'grabbed';
    // half a grab would let the chord through in some lock states: give back what we got
    this.ungrab();
    return 'taken';
  }

  ungrab(): void {
    const { client, root } = this.keyboard;
    for (const [keycode, modifiers] of this.grabs) client.UngrabKey(root, keycode, modifiers);
    this.grabs = [];
  }

  keyPress(keycode: number, time: number): void {
    // other keys typed while the chord is held come here too (the server's active grab)
    if (!this.keyKeycodes.has(keycode) || this.held.has(keycode)) return;
    this.held.add(keycode);
    if (!this.sided()) {
      this.press();
      return;
    }
    // a one-sided chord: the grab saw "Control", not which one; the keyboard waits (a sync grab)
    // until we know, and a press with the other side is handed on to the focused window
    const { client } = this.keyboard;
    client.QueryKeymap((err, keys) => {
      const ok = !err && this.sidesHeld(keys);
      client.AllowEvents(ok ? ASYNC_KEYBOARD : REPLAY_KEYBOARD, time);
      if (ok) this.press();
      else this.held.delete(keycode);
    });
  }

  keyRelease(keycode: number): void {
    if (this.keyKeycodes.has(keycode)) this.held.delete(keycode);
    else if (!this.releaseKeycodes.has(keycode)) return;
    if (!this.active) return;
    this.active = false;
    this.options.onMatch('release');
  }

  private press(): void {
    this.active = true;
    this.options.onMatch('press');
  }

  private sided(): boolean {
    return Object.values(this.options.hotkey.modifiers).some((side) => side !== 'any');
  }

  private sidesHeld(keys: Buffer): boolean {
    const down = (keycode: number) => ((keys[keycode >> 3] ?? 0) & (1 << (keycode & 7))) !== 0;
    for (const [modifier, side] of Object.entries(this.options.hotkey.modifiers)) {
      if (side === 'any') continue;
      const [left, right] = MODIFIER_KEYS[modifier as Modifier];
      const keysym = keysymName(side === 'left' ? left : right);
      if (!this.layout!.keycodes(keysym).some(down)) return false;
    }
    return true;
  }

  private masks(layout: Layout): { chord: number; locks: number[] } {
    const { modifiers } = this.options.hotkey;
    let chord = 0;
    if (modifiers.shift) chord |= SHIFT;
    if (modifiers.ctrl) chord |= CONTROL;
    if (modifiers.alt) chord |= layout.maskOf('Alt_L', 'Alt_R', 'Meta_L', 'Meta_R');
    if (modifiers.super) chord |= layout.maskOf('Super_L', 'Super_R', 'Hyper_L');
    const numLock = layout.maskOf('Num_Lock');
    const locks = [0, LOCK, ...(numLock ? [numLock, numLock | LOCK] : [])];
    return { chord, locks };
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
