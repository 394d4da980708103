import { createRequire } from 'node:module';
import { KEYSYMS, MODIFIER_KEYS, type Hotkey, type Modifier } from '../spec.js';

// The parts of the `x11` package (the X protocol in plain JavaScript: no native code, nothing that
// can abort the process) used here; it ships no types. Loaded on first use.
interface XEvent {
  name: string;
  keycode?: number;
  time?: number;
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
  on(event: 'end', listener: () => void): void;
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
  importRequestsFromTemplates(target: object, templates: Record<string, unknown[]>): void;
  require(name: 'xkb', done: (err: Error | null, ext: XkbExtension) => void): void;
  sync(): Promise<void>;
  close(done?: () => void): void;
  terminate(): void;
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
    options: { display: string },
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
 * The outcome of grabbing the chord: `taken` when another client holds some of it, `no-key` when
 * no key of the keyboard's layout carries the chord's key.
 */
export type GrabOutcome = 'grabbed' | 'taken' | 'no-key';

export interface KeyGrabOptions {
  /** e.g. `:0`. */
  display: string;
  hotkey: Hotkey;
  /** The chord went down (once per press: auto-repeat is not a press) or came up. */
  onMatch(match: 'press' | 'release'): void;
  /** The keyboard mapping changed and the chord could not be grabbed again. */
  onLost(outcome: 'taken' | 'no-key'): void;
  /** The connection to the X server ended (not by `close`). */
  onClosed(err: Error | undefined): void;
  /** Problems that change nothing for the user (no detectable auto-repeat). */
  onNotice?(message: string): void;
}

/**
 * A passive grab of the hotkey on the root window: the X server gives the chord's key to this
 * connection alone (never to the focused window), with Lock and NumLock in any state, and
 * delivers its KeyPress and KeyRelease here. A modifier that is held when the key goes down is
 * the focused window's as usual; only the key itself is taken.
 */
export class KeyGrab {
  private layout: Layout | undefined;
  /** [keycode, modifiers] pairs granted to us. */
  private grabs: Array<[number, number]> = [];
  private keyKeycodes = new Set<number>();
  private releaseKeycodes = new Set<number>();
  private readonly held = new Set<number>();
  private active = false;
  private closing = false;
  private regrab: Promise<unknown> = Promise.resolve();
  private regrabQueued = false;

  private constructor(
    private readonly x: XDisplay,
    private readonly options: KeyGrabOptions,
  ) {}

  /** Connects to the display. Rejects when it cannot (no server, refused authorisation). */
  static open(options: KeyGrabOptions): Promise<KeyGrab> {
    const lib = loadX11();
    return new Promise((resolve, reject) => {
      let opened: KeyGrab | undefined;
      const client = lib.createClient({ display: options.display }, (err, display) => {
        if (err) return reject(err);
        opened = new KeyGrab(display, options);
        opened.listen();
        resolve(opened);
      });
      // errors after the connection is set up come here; an unhandled one would end the process
      client.on('error', (err) => {
        if (err.error === undefined) opened?.closed(err);
      });
    });
  }

  /** Grabs the chord: all its keycodes, with every combination of Lock and NumLock. */
  async grab(): Promise<GrabOutcome> {
    await this.useXkb();
    return this.grabAll();
  }

  /** Releases the grab and closes the connection. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const root = this.root;
    try {
      for (const [keycode, modifiers] of this.grabs)
        this.x.client.UngrabKey(root, keycode, modifiers);
      this.grabs = [];
      await new Promise<void>((resolve) => this.x.client.close(resolve));
    } catch {
      // the connection is already gone, and the server dropped our grabs with it
      this.x.client.terminate();
    }
  }

  private get root(): number {
    return this.x.screen[0]!.root;
  }

  private closed(err: Error | undefined): void {
    if (this.closing) return;
    this.closing = true;
    this.options.onClosed(err);
  }

  private listen(): void {
    const client = this.x.client;
    client.on('end', () => this.closed(undefined));
    client.on('event', (event) => {
      if (event.name === 'KeyPress') this.keyPress(event.keycode!, event.time ?? 0);
      else if (event.name === 'KeyRelease') this.keyRelease(event.keycode!);
      else if (event.name === 'MappingNotify' && event.request !== 2) {
        // keys moved (a layout switch, xmodmap): grab the chord where it is now, once for a burst
        if (this.regrabQueued) return;
        this.regrabQueued = true;
        this.regrab = this.regrab.then(async () => {
          this.regrabQueued = false;
          if (this.closing) return;
          this.ungrabAll();
          const outcome = await this.grabAll().catch(() => undefined);
          // undefined: the connection ended meanwhile, and onClosed says so
          if (outcome && outcome !== 'grabbed') this.options.onLost(outcome);
        });
      }
    });
  }

  private keyPress(keycode: number, time: number): void {
    // other keys typed while the chord is held come here too (the server's active grab)
    if (!this.keyKeycodes.has(keycode) || this.held.has(keycode)) return;
    this.held.add(keycode);
    if (!this.sided()) {
      this.press();
      return;
    }
    // a one-sided chord: the grab saw "Control", not which one; the keyboard waits (a sync grab)
    // until we know, and a press with the other side is handed on to the focused window
    this.x.client.QueryKeymap((err, keys) => {
      const ok = !err && this.sidesHeld(keys);
      this.x.client.AllowEvents(ok ? ASYNC_KEYBOARD : REPLAY_KEYBOARD, time);
      if (ok) this.press();
      else this.held.delete(keycode);
    });
  }

  private press(): void {
    this.active = true;
    this.options.onMatch('press');
  }

  private keyRelease(keycode: number): void {
    if (this.keyKeycodes.has(keycode)) this.held.delete(keycode);
    else if (!this.releaseKeycodes.has(keycode)) return;
    if (!this.active) return;
    this.active = false;
    this.options.onMatch('release');
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

  // Without this, a held key repeats as release+press pairs and push-to-talk would end and start
  // again at each repeat; with it, the server repeats presses only, which are ignored while held.
  // A client that speaks XKB gets the core MappingNotify only when it selects XKB's MapNotify.
  private async useXkb(): Promise<void> {
    const client = this.x.client;
    const xkb = await new Promise<XkbExtension | undefined>((resolve) =>
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
    const set = await new Promise<number>((resolve) =>
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
    const client = this.x.client;
    const first = this.x.min_keycode;
    const [rows, modifierRows] = await Promise.all([
      new Promise<number[][]>((resolve, reject) =>
        client.GetKeyboardMapping(first, this.x.max_keycode - first + 1, (err, rows) =>
          err ? reject(err) : resolve(rows),
        ),
      ),
      new Promise<number[][]>((resolve, reject) =>
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

  private async grabAll(): Promise<GrabOutcome> {
    const layout = await this.readLayout();
    this.layout = layout;
    const { chord, locks } = this.masks(layout);
    const keycodes = layout.keycodes(keysymName(this.options.hotkey.key));
    this.keyKeycodes = new Set(keycodes);
    this.releaseKeycodes = new Set(layout.modifierKeycodes(chord));
    const mode = this.sided() ? GRAB_MODE_SYNC : GRAB_MODE_ASYNC;
    const client = this.x.client;
    const wanted = keycodes.flatMap((keycode) =>
      locks.map((lock) => [keycode, chord | lock] as [number, number]),
    );
    const granted = await Promise.all(
      wanted.map(
        ([keycode, modifiers]) =>
          new Promise<boolean>((resolve) =>
            client.GrabKey(this.root, 0, modifiers, keycode, GRAB_MODE_ASYNC, mode, (err) => {
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
    this.ungrabAll();
    return 'taken';
  }

  private ungrabAll(): void {
    for (const [keycode, modifiers] of this.grabs)
      this.x.client.UngrabKey(this.root, keycode, modifiers);
    this.grabs = [];
  }
}
