import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceStream, portAudioSettled, type NaudiodonStream } from './device-stream.js';

const RATE = 16_000;
const PERIOD = 320; // 20 ms

interface DeviceTiming {
  /** ms after start() before the device captures at all (a Bluetooth profile switch, a resume). */
  startMs?: number;
  /** ms from capturing a read to handing it over (PulseAudio or Bluetooth buffering). */
  latencyMs?: number;
  /** Reads handed over together, as a device with large buffers does. */
  burst?: number;
  silent?: boolean;
  /**
   * The reader stalls (this process starved): reads captured from `atMs` after start are handed
   * over no earlier than `atMs + forMs`, then `catchUp` times faster than real time until caught up.
   */
  stall?: { atMs: number; forMs: number; catchUp: number };
  /**
   * Reads are handed over in the event loop's I/O phase, after its timers, as naudiodon's
   * completed reads are (not from a timer of their own).
   */
  afterTimers?: boolean;
}

/** A device that captures in real time and hands its 20 ms reads over as `timing` says. */
function device(timing: DeviceTiming) {
  const events = new EventEmitter();
  const timers: NodeJS.Timeout[] = [];
  const stream = {
    on: (event: string, listener: (...args: unknown[]) => void) => void events.on(event, listener),
    removeAllListeners: (event: string) => void events.removeAllListeners(event),
    start() {
      if (timing.silent) return;
      const began = performance.now() + (timing.startMs ?? 0);
      let captured = 0;
      // when the stalled reader hands over its next read
      let handOver = 0;
      const tick = () => {
        const now = performance.now();
        const done = Math.floor((((now - began) / 1000) * RATE) / PERIOD);
        const burst = timing.burst ?? 1;
        while (done - captured >= burst) {
          const reads = Buffer.alloc(PERIOD * 2 * burst);
          captured += burst;
          let delay = timing.latencyMs ?? 0;
          const { stall } = timing;
          if (stall && now - began >= stall.atMs) {
            const spacing = (PERIOD / RATE) * 1000 * (burst / stall.catchUp);
            handOver = Math.max(handOver + spacing, began + stall.atMs + stall.forMs, now + delay);
            delay = handOver - now;
          }
          const deliver = () => events.emit('data', reads);
          timers.push(
            setTimeout(() => (timing.afterTimers ? setImmediate(deliver) : deliver()), delay),
          );
        }
        timers.push(setTimeout(tick, 2));
      };
      tick();
    },
    quit: async () => timers.forEach(clearTimeout),
    abort: () => timers.forEach(clearTimeout),
  };
  return { stream: stream as unknown as NaudiodonStream, stop: () => timers.forEach(clearTimeout) };
}

let cleanups: Array<() => void> = [];
afterEach(() => {
  cleanups.forEach((cleanup) => cleanup());
  cleanups = [];
});

function open(timing: DeviceTiming) {
  const fake = device(timing);
  cleanups.push(fake.stop);
  let samples = 0;
  const stream = new DeviceStream(
    fake.stream,
    RATE,
    1,
    PERIOD,
    (pcm) => (samples += pcm.length),
    () => undefined,
  );
  fake.stream.start();
  return { stream, samples: () => samples };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Samples the device had captured by `instant`, whole reads only. */
const capturedBy = (stream: DeviceStream, instant: number, startMs = 0) =>
  Math.floor((((instant - stream.openedAt - startMs) / 1000) * RATE) / PERIOD) * PERIOD;

describe('the sample clock decides when the audio up to stop has arrived', () => {
  it('a device 120 ms behind: stop waits until the samples up to its instant are in', async () => {
    const { stream, samples } = open({ latencyMs: 120 });
    await sleep(800);
    const stopAt = performance.now();
    const result = await stream.waitFor(stopAt);
    expect(result.complete).toBe(true);
    expect(samples()).toBeGreaterThanOrEqual(capturedBy(stream, stopAt));
    expect(result.waitedMs).toBeGreaterThan(100);
  });

  it('a device that hands over 200 ms at a time: stop waits for the burst that holds its instant', async () => {
    const { stream, samples } = open({ burst: 10 });
    await sleep(900);
    const stopAt = performance.now();
    const result = await stream.waitFor(stopAt);
    expect(result.complete).toBe(true);
    expect(samples()).toBeGreaterThanOrEqual(capturedBy(stream, stopAt));
  });

  it('a device that starts 700 ms late, stopped before its first frame: stop waits for the frames', async () => {
    const { stream, samples } = open({ startMs: 700, latencyMs: 20 });
    await sleep(100);
    const result = await stream.waitFor(performance.now());
    expect(result.complete).toBe(true);
    expect(samples()).toBeGreaterThan(0);
    expect(result.waitedMs).toBeGreaterThan(500);
  });

  it('a reader that stalled for 1.5 s and catches up at twice real time: stop waits while the backlog comes in', async () => {
    const { stream, samples } = open({ stall: { atMs: 300, forMs: 1500, catchUp: 2 } });
    await sleep(1800);
    const stopAt = performance.now();
    const result = await stream.waitFor(stopAt);
    expect(result.complete).toBe(true);
    expect(samples()).toBeGreaterThanOrEqual(capturedBy(stream, stopAt));
    // the 1.5 s held back, handed over at twice real time
    expect(result.waitedMs).toBeGreaterThan(600);
  });

  it('a sound server starved for a second around the stop (nothing comes, then the backlog): stop waits for it', async () => {
    const { stream, samples } = open({ stall: { atMs: 600, forMs: 1200, catchUp: 2 } });
    await sleep(1000);
    // stopped in the middle of the silence: the last frame came 400 ms ago, the next comes in 800
    const stopAt = performance.now();
    const result = await stream.waitFor(stopAt);
    expect(result.complete).toBe(true);
    expect(samples()).toBeGreaterThanOrEqual(capturedBy(stream, stopAt));
  });

  it('this process starved for 2 s right after the stop (the frames wait to be handed over): that quiet is not the device’s, stop waits for them', async () => {
    // seen under load: the service ran nothing for seconds after a Ctrl+C, and its first poll
    // after that, before the reads waiting meanwhile were handed over, judged the device quiet
    const { stream, samples } = open({ latencyMs: 20, afterTimers: true });
    await sleep(800);
    const stopAt = performance.now();
    const waiting = stream.waitFor(stopAt);
    const busyUntil = performance.now() + 2000;
    while (performance.now() < busyUntil);
    const result = await waiting;
    expect(result.complete).toBe(true);
    expect(samples()).toBeGreaterThanOrEqual(capturedBy(stream, stopAt));
  });

  it('a device that delivers nothing: stop gives up after the bound and says so', async () => {
    const { stream } = open({ silent: true });
    const result = await stream.waitFor(performance.now());
    expect(result.complete).toBe(false);
    expect(result.waitedMs).toBeGreaterThanOrEqual(2900);
    expect(result.waitedMs).toBeLessThan(3500);
  });

  it('closing the stream ends a wait at once', async () => {
    const { stream } = open({ silent: true });
    const waiting = stream.waitFor(performance.now());
    await sleep(50);
    await stream.close();
    const result = await waiting;
    expect(result.complete).toBe(false);
    expect(result.waitedMs).toBeLessThan(500);
  });
});

describe('closing', () => {
  it('a PortAudio teardown that outlasts close()’s wait is still awaited before PortAudio is used again', async () => {
    // a loaded machine: the stream's stop, close and terminate run on in a worker thread after
    // close() has stopped waiting; opening the next stream or listing the devices meanwhile
    // (PortAudio initialised again on the main thread) would race it
    let finishQuit!: () => void;
    const quitting = new Promise<void>((resolve) => (finishQuit = resolve));
    const stream = {
      on: () => undefined,
      removeAllListeners: () => undefined,
      start: () => undefined,
      quit: () => quitting,
      abort: () => undefined,
    } as unknown as NaudiodonStream;
    const closing = new DeviceStream(
      stream,
      RATE,
      1,
      PERIOD,
      () => undefined,
      () => undefined,
    );
    await closing.close();
    let settled = false;
    void portAudioSettled().then((done) => (settled = done));
    await sleep(100);
    expect(settled).toBe(false);
    finishQuit();
    await expect.poll(() => settled, { timeout: 1000 }).toBe(true);
  });

  it('a teardown that does not return (a stuck sound system) is waited for only so long', async () => {
    let unstick!: () => void;
    const stream = {
      on: () => undefined,
      removeAllListeners: () => undefined,
      start: () => undefined,
      quit: () => new Promise<void>((resolve) => (unstick = resolve)),
      abort: () => undefined,
    } as unknown as NaudiodonStream;
    await new DeviceStream(
      stream,
      RATE,
      1,
      PERIOD,
      () => undefined,
      () => undefined,
    ).close();
    const begin = performance.now();
    expect(await portAudioSettled(300)).toBe(false);
    expect(performance.now() - begin).toBeGreaterThanOrEqual(290);
    // and once it returns, PortAudio is free again
    unstick();
    expect(await portAudioSettled(1000)).toBe(true);
  });
});
