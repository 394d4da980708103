import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { deadline, untilAborted } from '@whis/contracts';
import { keysymOf } from './keysyms.js';

// Typing a character that is not on the X keyboard map means binding its keysym to a spare keycode
// first. xdotool does that itself for each such character and unbinds it right after the key: a
// window that reads its keys later (a busy application, a loaded machine) looks the keycode up in
// the map of that later moment, finds nothing, and drops the character. Here the keysyms a text
// needs are bound before it is typed and kept bound for a while after, so xdotool finds them on the
// map and never binds anything itself.

// The parts of the `x11` package (the X protocol in plain JavaScript, no native code) used here; it
// ships no types. Loaded on first use.
interface XClient {
  on(event: 'error', listener: (err: Error) => void): void;
  GetKeyboardMapping(
    first: number,
    count: number,
    done: (err: Error | null, rows: number[][]) => void,
  ): void;
  ChangeKeyboardMapping(first: number, keysymsPerKeycode: number, keysyms: number[]): void;
  sync(): Promise<void>;
  close(done: () => void): void;
  stream?: Socket;
}
interface XDisplay {
  client: XClient;
  min_keycode: number;
  max_keycode: number;
}
interface X11 {
  createClient(
    options: { display: string; shm?: false },
    done: (err: Error | null, display: XDisplay) => void,
  ): XClient;
}
let x11: X11 | undefined;
const loadX11 = () => (x11 ??= createRequire(import.meta.url)('x11') as X11);

/** How long keys bound for a text stay bound after it was typed, unless told otherwise. */
export const DEFAULT_KEY_HOLD_MS = 3000;

/** Spare keycodes left alone, for other programs that bind a key for a moment (xdotool run by hand). */
const SPARE_LEFT = 1;

/** Characters every layout xdotool types with has (xdotool finds them in any group). */
const ON_EVERY_LAYOUT = /^[\x20-\x7e\t\n]*$/;

/** A connection for one piece of work: the map read, changed, and the connection closed. */
async function withDisplay<T>(
  display: string,
  timeoutMs: number,
  work: (x: XDisplay) => Promise<T>,
): Promise<T> {
  const lib = loadX11();
  let opened: XDisplay | undefined;
  let abandoned = false;
  const connecting = new Promise<XDisplay>((resolve, reject) => {
    const client = lib.createClient({ display, shm: false }, (err, x) => {
      if (err) return reject(err);
      // one that connects after the time ran out is closed at once
      if (abandoned) return x.client.stream?.destroy();
      opened = x;
      resolve(x);
    });
    // an unhandled 'error' would end the process: it fails the work in progress instead
    client.on('error', reject);
  });
  try {
    return await untilAborted(
      connecting.then(work),
      deadline(timeoutMs),
      () => new Error(`the X server ${display} did not answer within ${timeoutMs} ms`),
    );
  } finally {
    abandoned = true;
    const x = opened;
    if (x)
      await untilAborted(
        new Promise<void>((resolve) => x.client.close(resolve)),
        deadline(1000),
      ).catch(() => x.client.stream?.destroy());
  }
}

function readMap(x: XDisplay): Promise<number[][]> {
  const first = x.min_keycode;
  return new Promise((resolve, reject) =>
    x.client.GetKeyboardMapping(first, x.max_keycode - first + 1, (err, rows) =>
      err ? reject(err) : resolve(rows),
    ),
  );
}

interface Binding {
  keysym: number;
  /** Texts being typed with it now. */
  users: number;
  /** performance.now() until which it stays bound once no text uses it. */
  until: number;
}

/** A lease on the keys a text needs: `release()` once it is typed. */
export interface KeyLease {
  release(holdMs: number): void;
}

/** The outcome of making a text typeable: a lease, or the characters no spare key was left for. */
export type BoundKeys = { lease: KeyLease } | { unbound: string };

/** The keys this process bound on one X display, and the work on its map, one piece at a time. */
class DisplayKeys {
  private readonly bound = new Map<number, Binding>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly waiting = new Set<() => void>();

  constructor(private readonly display: string) {}

  /**
   * Binds every keysym of `text` that the map lacks to a spare keycode (or one of ours no text
   * needs any more), keeping `SPARE_LEFT` free; with `dryRun`, only says which characters could
   * not be. Resolves with the characters left unbound when there are too few spare keys.
   */
  acquire(text: string, timeoutMs: number, dryRun: boolean): Promise<BoundKeys> {
    return this.serial(() =>
      withDisplay(this.display, timeoutMs, async (x) => {
        const rows = await readMap(x);
        const first = x.min_keycode;
        // ours that another program (a new layout) has changed since are no longer ours
        for (const [code, b] of this.bound)
          if (!rows[code - first]?.includes(b.keysym)) this.bound.delete(code);
        const present = new Set(rows.flat());
        const characters = new Map([...text].map((ch) => [keysymOf(ch), ch]));
        const needed = [...characters.keys()].filter((keysym) => !present.has(keysym));
        // the keycodes of ours that carry a keysym of this text
        const ours = () =>
          [...this.bound].filter(([, b]) => characters.has(b.keysym)).map(([code]) => code);
        const usedByText = new Set(ours());
        const now = performance.now();
        const free = rows.flatMap((row, i) => (row.every((k) => k === 0) ? [first + i] : []));
        const reusable = [...this.bound]
          .filter(([code, b]) => b.users === 0 && b.until <= now && !usedByText.has(code))
          .map(([code]) => code);
        const spare = [...free.slice(SPARE_LEFT), ...reusable];
        if (needed.length > spare.length) {
          const unbound = needed.slice(spare.length).map((keysym) => characters.get(keysym));
          return { unbound: unbound.join('') };
        }
        if (dryRun) return { lease: { release: () => undefined } };
        for (const [i, keysym] of needed.entries()) {
          x.client.ChangeKeyboardMapping(spare[i]!, 1, [keysym]);
          this.bound.set(spare[i]!, { keysym, users: 0, until: 0 });
        }
        // every change is in force before the text is typed (xdotool reads the map as it starts)
        await x.client.sync();
        const codes = ours();
        for (const code of codes) this.bound.get(code)!.users++;
        let released = false;
        return {
          lease: {
            release: (holdMs: number) => {
              if (released) return;
              released = true;
              const until = performance.now() + holdMs;
              for (const code of codes) {
                const b = this.bound.get(code);
                if (!b) continue;
                b.users--;
                b.until = Math.max(b.until, until);
              }
              this.scheduleGiveBack();
            },
          },
        };
      }),
    );
  }

  /** Resolves once every key this process bound here has been given back. */
  givenBack(): Promise<void> {
    if (this.bound.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiting.add(resolve));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private scheduleGiveBack(): void {
    clearTimeout(this.timer);
    const due = [...this.bound.values()].filter((b) => b.users === 0).map((b) => b.until);
    if (due.length === 0) return;
    this.timer = setTimeout(
      () => void this.giveBack(),
      Math.max(0, Math.min(...due) - performance.now()),
    );
    // a process that ends leaves them bound: harmless keycodes no key of the layout produces,
    // found on the map (and used) by the next typing
    this.timer.unref();
  }

  private async giveBack(): Promise<void> {
    await this.serial(() =>
      withDisplay(this.display, 5000, async (x) => {
        const rows = await readMap(x);
        const now = performance.now();
        for (const [code, b] of this.bound) {
          if (b.users > 0 || b.until > now) continue;
          // only while it still carries ours: another program may have bound it since
          if (rows[code - x.min_keycode]?.includes(b.keysym))
            x.client.ChangeKeyboardMapping(code, 1, [0]);
          this.bound.delete(code);
        }
        await x.client.sync();
      }),
    ).catch(() => {
      // the display is gone: nothing is left to give back
      for (const [code, b] of this.bound) if (b.users === 0) this.bound.delete(code);
    });
    if (this.bound.size === 0) {
      for (const resolve of this.waiting) resolve();
      this.waiting.clear();
    } else this.scheduleGiveBack();
  }
}

const displays = new Map<string, DisplayKeys>();
const keysOn = (display: string) => {
  let keys = displays.get(display);
  if (!keys) displays.set(display, (keys = new DisplayKeys(display)));
  return keys;
};

/** Whether a text needs keys bound on X to be typed (characters some layouts lack). */
export const needsKeys = (text: string): boolean => !ON_EVERY_LAYOUT.test(text);

/**
 * Binds the keysyms of `text` that the X keyboard map of `display` lacks to spare keycodes, until
 * the lease is released and the hold after it has passed; or says which characters there was no
 * spare key for (then nothing is bound). With `dryRun`, only the second.
 */
export function bindKeysFor(
  display: string,
  text: string,
  options: { timeoutMs: number; dryRun?: boolean },
): Promise<BoundKeys> {
  return keysOn(display).acquire(text, options.timeoutMs, options.dryRun ?? false);
}

/** Resolves once the keys this process bound for typing have been given back, on every display. */
export async function keysGivenBack(): Promise<void> {
  await Promise.all([...displays.values()].map((keys) => keys.givenBack()));
}
