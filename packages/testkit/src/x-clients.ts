import { createRequire } from 'node:module';
import { runChecked } from './process.js';
import type { VirtualDisplay } from './xvfb.js';

// The few parts of the `x11` package (the X protocol in plain JavaScript, no types of its own)
// that these test clients use.
interface XEvent {
  name: string;
  keycode?: number;
  time?: number;
  /** KeyPress: the modifier mask held (the wire's state field). */
  buttons?: number;
  requestor?: number;
  selection?: number;
  target?: number;
  property?: number;
}
interface XError extends Error {
  error?: number;
}
type Done = (err: XError | null | undefined) => boolean | void;
interface XClient {
  on(event: 'event', listener: (event: XEvent) => void): void;
  on(event: 'error' | 'end', listener: (err?: XError) => void): void;
  AllocID(): number;
  CreateWindow(
    wid: number,
    parent: number,
    x: number,
    y: number,
    width: number,
    height: number,
    border: number,
    depth: number,
    klass: number,
    visual: number,
    values: { eventMask: number },
  ): void;
  MapWindow(wid: number): void;
  InternAtom(
    onlyIfExists: boolean,
    name: string,
    done: (err: XError | null, atom: number) => void,
  ): void;
  SetSelectionOwner(owner: number, selection: number, time?: number): void;
  ChangeProperty(
    mode: number,
    wid: number,
    name: number,
    type: number,
    format: 8 | 16 | 32,
    data: Buffer | number[],
  ): void;
  SendEvent(destination: number, propagate: number, eventMask: number, event: object): void;
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
  GetKeyboardMapping(
    first: number,
    count: number,
    done: (err: XError | null, rows: number[][]) => void,
  ): void;
  ChangeKeyboardMapping(first: number, keysymsPerKeycode: number, keysyms: number[]): void;
  require(name: 'res', done: (err: Error | null, ext: ResExtension) => void): void;
  require(
    name: 'xtest',
    done: (
      err: Error | null,
      ext: {
        FakeInput(
          type: number,
          keycode: number,
          time: number,
          root: number,
          x: number,
          y: number,
        ): void;
      },
    ) => void,
  ): void;
  sync(): Promise<void>;
  close(done: () => void): void;
}
/** The X-Resource extension, as far as used here. */
interface ResExtension {
  ClientIdMask: { LocalClientPID: number };
  QueryClientIds(
    specs: Array<{ client: number; mask: number }>,
    done: (err: XError | null, ids: Array<{ value: number[] }>) => void,
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
  eventMask: Record<string, number>;
}

const x11 = createRequire(import.meta.url)('x11') as X11;

/** X modifier masks, as GrabKey takes them. */
export const X_MODIFIERS = { shift: 1, lock: 2, control: 4, mod1: 8, mod2: 16, mod4: 64 } as const;

async function connect(x: VirtualDisplay): Promise<XDisplay> {
  return new Promise((resolve, reject) => {
    const client = x11.createClient({ display: x.display }, (err, display) =>
      err ? reject(err) : resolve(display),
    );
    // a test client must never crash the test process with an unhandled 'error'
    client.on('error', () => undefined);
  });
}

function keycodesOf(display: XDisplay, keysym: string): Promise<number[]> {
  const code = x11.keySyms[`XK_${keysym}`]?.code;
  if (code === undefined) throw new Error(`unknown keysym ${keysym}`);
  const first = display.min_keycode;
  return new Promise((resolve, reject) =>
    display.client.GetKeyboardMapping(first, display.max_keycode - first + 1, (err, rows) =>
      err
        ? reject(err)
        : resolve(rows.flatMap((row, i) => (row.slice(0, 2).includes(code) ? [first + i] : []))),
    ),
  );
}

const close = (display: XDisplay) =>
  new Promise<void>((resolve) => display.client.close(() => resolve()));

/** The keycodes whose keysyms (any group or level) include `keysym` (its number: `0xe9` for é) now. */
export async function keycodesWith(x: VirtualDisplay, keysym: number): Promise<number[]> {
  const display = await connect(x);
  try {
    const first = display.min_keycode;
    const rows = await new Promise<number[][]>((resolve, reject) =>
      display.client.GetKeyboardMapping(first, display.max_keycode - first + 1, (err, r) =>
        err ? reject(err) : resolve(r),
      ),
    );
    return rows.flatMap((row, i) => (row.includes(keysym) ? [first + i] : []));
  } finally {
    await close(display);
  }
}

/** A focused window of its own that records every key event the X server gives it. */
export interface KeyRecorder {
  /** Every key event received so far, in order (keycodes). */
  readonly events: ReadonlyArray<{ type: 'press' | 'release'; keycode: number }>;
  /** The keycodes that carry `keysym` (an X keysym name: `r`, `Caps_Lock`) now. */
  keycodes(keysym: string): Promise<number[]>;
  /** How many events of a key with that keysym arrived (its keycodes now, or the ones given). */
  count(keysym: string, keycodes?: number[]): Promise<number>;
  /**
   * Types `marker` (an X keysym; default `x`) and waits until it arrives: every key sent before it
   * has been delivered by then, to this window or elsewhere.
   */
  settle(marker?: string): Promise<void>;
  stop(): Promise<void>;
}

/** Opens a window that selects KeyPress and KeyRelease, and gives it the keyboard focus. */
export async function openKeyRecorder(x: VirtualDisplay): Promise<KeyRecorder> {
  const display = await connect(x);
  const X = display.client;
  const events: Array<{ type: 'press' | 'release'; keycode: number }> = [];
  X.on('event', (event) => {
    if (event.name === 'KeyPress' || event.name === 'KeyRelease')
      events.push({
        type: event.name === 'KeyPress' ? 'press' : 'release',
        keycode: event.keycode!,
      });
  });
  const wid = X.AllocID();
  const mask = x11.eventMask;
  X.CreateWindow(wid, display.screen[0]!.root, 0, 0, 200, 100, 0, 0, 0, 0, {
    eventMask: mask.KeyPress! | mask.KeyRelease!,
  });
  X.MapWindow(wid);
  await X.sync();
  await runChecked('xdotool', ['windowfocus', '--sync', String(wid)], { env: x.env });
  const count = async (keysym: string, keycodes?: number[]) => {
    const codes = keycodes ?? (await keycodesOf(display, keysym));
    return events.filter((e) => codes.includes(e.keycode)).length;
  };
  return {
    events,
    keycodes: (keysym) => keycodesOf(display, keysym),
    count,
    async settle(marker = 'x') {
      const before = await count(marker);
      await runChecked('xdotool', ['key', marker], { env: x.env });
      const deadline = Date.now() + 10_000;
      while ((await count(marker)) < before + 2) {
        if (Date.now() > deadline) throw new Error(`the marker key ${marker} never arrived`);
        await X.sync();
      }
    },
    stop: () => close(display),
  };
}

/** Another program's grab of a key on the root window, as a desktop's own shortcut holds it. */
export interface KeyGrabElsewhere {
  /** False when the X server refused it (BadAccess: some other client holds that grab). */
  readonly granted: boolean;
  /** Ungrabs and disconnects. */
  release(): Promise<void>;
}

/**
 * Grabs `keysym` with exactly `modifiers` (X masks, see X_MODIFIERS) on the root window from a
 * client of its own.
 */
export async function grabKeyElsewhere(
  x: VirtualDisplay,
  keysym: string,
  modifiers: number,
): Promise<KeyGrabElsewhere> {
  const display = await connect(x);
  const X = display.client;
  const root = display.screen[0]!.root;
  const keycodes = await keycodesOf(display, keysym);
  const results = await Promise.all(
    keycodes.map(
      (keycode) =>
        new Promise<boolean>((resolve) =>
          X.GrabKey(root, 0, modifiers, keycode, 1, 1, (err) => {
            resolve(!err);
            return true;
          }),
        ),
    ),
  );
  const granted = results.length > 0 && results.every(Boolean);
  return {
    granted,
    async release() {
      for (const keycode of keycodes) X.UngrabKey(root, keycode, modifiers);
      await close(display);
    },
  };
}

/** A key moved to another keycode (see `moveKey`). */
export interface MovedKey {
  from: number;
  to: number;
  /** Puts the keyboard mapping back. */
  restore(): Promise<void>;
}

/**
 * Changes the keyboard mapping as a layout switch does: the key that carries `keysym` moves to a
 * keycode that carried nothing, and its old keycode is left empty. Every client gets MappingNotify.
 */
export async function moveKey(x: VirtualDisplay, keysym: string): Promise<MovedKey> {
  const display = await connect(x);
  const X = display.client;
  const first = display.min_keycode;
  const rows = await new Promise<number[][]>((resolve, reject) =>
    X.GetKeyboardMapping(first, display.max_keycode - first + 1, (err, rows) =>
      err ? reject(err) : resolve(rows),
    ),
  );
  const [from] = await keycodesOf(display, keysym);
  const to = first + rows.findIndex((row, i) => i > 0 && row.every((s) => s === 0));
  if (from === undefined || to < first) throw new Error(`cannot move ${keysym}`);
  const row = rows[from - first]!;
  const empty = row.map(() => 0);
  const set = async (keycode: number, keysyms: number[]) => {
    X.ChangeKeyboardMapping(keycode, keysyms.length, keysyms);
    await X.sync();
  };
  await set(to, row);
  await set(from, empty);
  return {
    from,
    to,
    async restore() {
      await set(from, row);
      await set(to, empty);
      await close(display);
    },
  };
}

/**
 * How many connections the process `pid` holds to the display, as the X server counts them (the
 * X-Resource extension's client ids, by their local PID); the one this asks on is not counted.
 */
export async function xConnectionsOf(x: VirtualDisplay, pid: number): Promise<number> {
  const display = await connect(x);
  try {
    const res = await new Promise<ResExtension>((resolve, reject) =>
      display.client.require('res', (err, ext) => (err ? reject(err) : resolve(ext))),
    );
    const ids = await new Promise<Array<{ value: number[] }>>((resolve, reject) =>
      res.QueryClientIds([{ client: 0, mask: res.ClientIdMask.LocalClientPID }], (err, ids) =>
        err ? reject(err) : resolve(ids),
      ),
    );
    const held = ids.filter((id) => id.value[0] === pid).length;
    return pid === process.pid ? held - 1 : held;
  } finally {
    await close(display);
  }
}

/**
 * Presses or releases the key that carries `keysym` through XTEST, alone, as a keyboard does.
 * (`xdotool keydown Control_R` also presses Control_L first: it adds the modifier it thinks the
 * keysym needs.)
 */
export async function pressKey(
  x: VirtualDisplay,
  keysym: string,
  action: 'down' | 'up',
): Promise<void> {
  const display = await connect(x);
  try {
    const [keycode] = await keycodesOf(display, keysym);
    if (keycode === undefined) throw new Error(`no key carries ${keysym}`);
    const xtest = await new Promise<Parameters<Parameters<XClient['require']>[1]>[1]>(
      (resolve, reject) =>
        display.client.require('xtest', (err, ext) => (err ? reject(err) : resolve(ext))),
    );
    xtest.FakeInput(action === 'down' ? 2 : 3, keycode, 0, display.screen[0]!.root, 0, 0);
    await display.client.sync();
  } finally {
    await close(display);
  }
}

const intern = (display: XDisplay, name: string) =>
  new Promise<number>((resolve, reject) =>
    display.client.InternAtom(false, name, (err, atom) => (err ? reject(err) : resolve(atom))),
  );

/** A window that copies as an editor does: see `openCopyWindow`. */
export interface CopyWindow {
  /** Every chord with the `c` key it received, as `ctrl+c`, `ctrl+shift+c`, `c`…, in order. */
  readonly chords: readonly string[];
  /** How many times another client asked it for the clipboard's text. */
  readonly served: number;
  stop(): Promise<void>;
}

/**
 * Opens a focused window that, like an editor with `text` selected, puts `text` on CLIPBOARD when
 * it receives exactly `chord` (default ctrl+c; ctrl+shift+c is another command, as in a browser)
 * and serves it as UTF8_STRING and STRING. It never owns PRIMARY. Without `text` (nothing selected)
 * it copies nothing. `windowClass` sets its WM_CLASS (say `foot`, to be taken for a terminal).
 * (Small texts only: no INCR transfers.)
 */
export async function openCopyWindow(
  x: VirtualDisplay,
  options: { text?: string; chord?: 'ctrl+c' | 'ctrl+shift+c'; windowClass?: string } = {},
): Promise<CopyWindow> {
  const display = await connect(x);
  const X = display.client;
  const [clipboard, targets, utf8] = await Promise.all(
    ['CLIPBOARD', 'TARGETS', 'UTF8_STRING'].map((name) => intern(display, name)),
  );
  const STRING = 31;
  const ATOM = 4;
  const c = await keycodesOf(display, 'c');
  const chords: string[] = [];
  let served = 0;
  const wid = X.AllocID();
  const wanted = options.chord ?? 'ctrl+c';
  X.on('event', (event) => {
    if (event.name === 'KeyPress' && c.includes(event.keycode!)) {
      const state = event.buttons ?? 0;
      const chord = [
        ...(state & X_MODIFIERS.control ? ['ctrl'] : []),
        ...(state & X_MODIFIERS.shift ? ['shift'] : []),
        ...(state & X_MODIFIERS.mod1 ? ['alt'] : []),
        'c',
      ].join('+');
      chords.push(chord);
      if (chord === wanted && options.text !== undefined)
        X.SetSelectionOwner(wid, clipboard!, event.time);
    }
    if (event.name === 'SelectionRequest') {
      // an obsolete requestor names no property: the target is the property then
      const property = event.property || event.target!;
      let answered = property;
      if (event.target === targets)
        X.ChangeProperty(0, event.requestor!, property, ATOM, 32, [targets!, utf8!, STRING]);
      else if (event.target === utf8 || event.target === STRING) {
        X.ChangeProperty(
          0,
          event.requestor!,
          property,
          event.target!,
          8,
          Buffer.from(options.text ?? '', 'utf8'),
        );
        served++;
      } else answered = 0;
      X.SendEvent(event.requestor!, 0, 0, {
        name: 'SelectionNotify',
        time: event.time,
        requestor: event.requestor,
        selection: event.selection,
        target: event.target,
        property: answered,
      });
    }
  });
  const mask = x11.eventMask;
  X.CreateWindow(wid, display.screen[0]!.root, 0, 0, 200, 100, 0, 0, 0, 0, {
    eventMask: mask.KeyPress!,
  });
  if (options.windowClass !== undefined) {
    // WM_CLASS (67) of type STRING: instance and class, each ending with a NUL
    const name = Buffer.from(`${options.windowClass}\0${options.windowClass}\0`, 'latin1');
    X.ChangeProperty(0, wid, 67, STRING, 8, name);
  }
  X.MapWindow(wid);
  await X.sync();
  await runChecked('xdotool', ['windowfocus', '--sync', String(wid)], { env: x.env });
  return {
    chords,
    get served() {
      return served;
    },
    stop: () => close(display),
  };
}

/**
 * Takes `selection` (`PRIMARY`, `CLIPBOARD`) from a client that then never answers a request for
 * it, as an application that hangs does. `release()` disconnects (the selection then has no owner).
 */
export async function hangSelection(
  x: VirtualDisplay,
  selection: 'PRIMARY' | 'CLIPBOARD',
): Promise<{ release(): Promise<void> }> {
  const display = await connect(x);
  const X = display.client;
  const atom = selection === 'PRIMARY' ? 1 : await intern(display, 'CLIPBOARD');
  const wid = X.AllocID();
  X.CreateWindow(wid, display.screen[0]!.root, 0, 0, 1, 1, 0, 0, 0, 0, { eventMask: 0 });
  X.SetSelectionOwner(wid, atom);
  await X.sync();
  return { release: () => close(display) };
}
