import { deadline, untilAborted } from '@whis/contracts';
/** The part of naudiodon's AudioIO input stream that whis uses. */
export interface NaudiodonStream {
  on(event: 'data', listener: (chunk: Buffer) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  removeAllListeners(event: string): void;
  start(): void;
  quit(cb?: () => void): Promise<void>;
  abort(cb?: () => void): void;
}

/** The longest stop waits for audio that is still on its way from a device that has gone quiet. */
const MAX_TAIL_WAIT_MS = 3000;
/**
 * The longest stop waits for a stream that keeps delivering but has not reached its instant yet: one
 * catching up after this process was starved (a loaded machine, a long synchronous import), whose
 * reads were held in the sound server meanwhile and now come in faster than real time.
 */
const MAX_BACKLOG_WAIT_MS = 10_000;
/**
 * What stop allows a stream that has gone quiet for the audio up to its instant to arrive. A stream
 * that delivers reaches its instant within a period or two and never waits this long; one that has
 * gone quiet is most often a sound server starved for a moment (a loaded machine), whose backlog
 * comes once it runs again: 300 ms lost the last second of a phrase under two busy processes.
 */
const BASE_TAIL_WAIT_MS = 1500;
const POLL_MS = 5;
/**
 * A gap this long between two polls means this process did not run (a loaded machine, a long
 * synchronous task): the reads that came meanwhile are handed over after the timers, so the
 * quiet is counted afresh from then.
 */
const STARVED_MS = 200;
/**
 * A device's constant latency cannot be seen in arrival times (naudiodon's chunk timestamps have a
 * resolution of one second): stop allows for as much as the first frame took, up to this.
 */
const MAX_UNSEEN_LATENCY_MS = 150;

/** PortAudio teardowns (stop, close, terminate, in a worker thread) that have not returned yet. */
const quitting = new Set<Promise<void>>();

/** How long the next use of PortAudio waits for an earlier stream's teardown, by default. */
export const TEARDOWN_LIMIT_MS = 10_000;

/**
 * Resolves with true once no stream's PortAudio teardown is running, or with false when one still
 * runs after `limitMs` (a sound system that hangs: waiting for ever would hang every later
 * recording). PortAudio is not thread-safe: a quit that outlasts close()'s one-second wait (a loaded
 * machine) still terminates PortAudio in a worker thread, and initialising it meanwhile on the main
 * thread (opening the next stream, listing the devices) would race it.
 */
export async function portAudioSettled(limitMs = TEARDOWN_LIMIT_MS): Promise<boolean> {
  const limit = deadline(limitMs);
  try {
    // a teardown that ends may have let another begin meanwhile: until none is left
    while (quitting.size > 0) await untilAborted(Promise.allSettled([...quitting]), limit);
    return true;
  } catch {
    return false;
  }
}

/**
 * An open input stream and its sample clock. Frames are counted as they arrive; the instant of the
 * stream's first sample is estimated as the earliest `arrival − samples so far / rate` seen (a frame
 * cannot arrive before it was captured), so "has the audio up to instant t arrived?" is answered
 * from the stream's own samples, however late its first frame came and however bursty its reads.
 * What no arrival time shows, a constant delivery latency, is allowed for by as long as the first
 * frame took to come, up to 150 ms.
 */
export class DeviceStream {
  readonly openedAt = performance.now();
  /** performance.now() of the first frame; undefined until it comes. */
  firstFrameAt: number | undefined;
  /** performance.now() of the latest frame. */
  private lastFrameAt: number | undefined;
  private received = 0;
  private epoch = Infinity;
  private leftover: Buffer | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly stream: NaudiodonStream,
    readonly rate: number,
    readonly channels: number,
    /** Frames per device read. */
    readonly period: number,
    onPcm: (pcm: Int16Array) => void,
    onError: (err: Error) => void,
  ) {
    stream.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      const now = performance.now();
      this.firstFrameAt ??= now;
      this.lastFrameAt = now;
      let buf = this.leftover ? Buffer.concat([this.leftover, chunk]) : chunk;
      const frameBytes = 2 * channels;
      const usable = buf.length - (buf.length % frameBytes);
      this.leftover = usable < buf.length ? Buffer.from(buf.subarray(usable)) : undefined;
      buf = Buffer.from(buf.subarray(0, usable)); // an aligned copy for the Int16Array view
      this.received += usable / frameBytes;
      this.epoch = Math.min(this.epoch, now - (this.received / rate) * 1000);
      onPcm(new Int16Array(buf.buffer, buf.byteOffset, usable / 2));
    });
    stream.on('error', (err) => {
      if (!this.closed) onError(err);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** ms from opening to the first frame, once it has come. */
  get firstFrameMs(): number | undefined {
    return this.firstFrameAt === undefined ? undefined : this.firstFrameAt - this.openedAt;
  }

  /**
   * What the stream has delivered, for the log: ms of audio, the instant its first sample is
   * estimated to have been captured at, and when its latest frame came (performance.now() times).
   */
  get delivered(): { audioMs: number; epoch: number | undefined; lastFrameAt: number | undefined } {
    return {
      audioMs: (this.received / this.rate) * 1000,
      epoch: Number.isFinite(this.epoch) ? this.epoch : undefined,
      lastFrameAt: this.lastFrameAt,
    };
  }

  /** Whether the samples up to `instant` (performance.now() time), with the allowances, have arrived. */
  covers(instant: number): boolean {
    if (this.firstFrameAt === undefined) return false;
    const unseenLatency = Math.min(this.firstFrameAt - this.openedAt, MAX_UNSEEN_LATENCY_MS);
    const due = ((instant + unseenLatency - this.epoch) / 1000) * this.rate + this.period;
    return this.received >= due;
  }

  /**
   * Waits until the audio up to `instant` has arrived, judged by the sample clock. A stream that has
   * gone quiet is given 1.5 s plus as long as the first frame took to come (a device that
   * was slow to start is as slow to deliver), at most 3 s, counted from `instant` or from its latest
   * frame, whichever is later (or from this process's return, when it did not run for a while: the
   * frames that came meanwhile are handed over after its timers): frames still coming in (a backlog
   * after this process could not read for a while) are waited for, up to 10 s after `instant`. It
   * ends early when the stream closes.
   */
  async waitFor(instant: number): Promise<{ waitedMs: number; complete: boolean }> {
    const begin = performance.now();
    let lastPoll = begin;
    let resumedAt = -Infinity;
    for (;;) {
      if (this.closed) return { waitedMs: performance.now() - begin, complete: false };
      if (this.covers(instant)) return { waitedMs: performance.now() - begin, complete: true };
      const now = performance.now();
      if (now - lastPoll >= STARVED_MS) resumedAt = now;
      lastPoll = now;
      const lateness = this.firstFrameMs ?? now - this.openedAt;
      const bound = Math.min(MAX_TAIL_WAIT_MS, BASE_TAIL_WAIT_MS + lateness);
      // quiet since the stop, the latest frame, or this process's return from a starved spell
      const quietSince = Math.max(instant, this.lastFrameAt ?? instant, resumedAt);
      if (now - quietSince >= bound || now - instant >= MAX_BACKLOG_WAIT_MS)
        return { waitedMs: now - begin, complete: false };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * Stops the device (at most a second's wait for PortAudio; `portAudioSettled()` waits for the
   * rest); frames after this are dropped.
   */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      this.stream.removeAllListeners('data');
      const quit = this.stream.quit().catch(() => undefined);
      quitting.add(quit);
      void quit.then(() => quitting.delete(quit));
      await untilAborted(quit, deadline(1000)).catch(() => undefined);
    })();
    return this.closing;
  }
}
