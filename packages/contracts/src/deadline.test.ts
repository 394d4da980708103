import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadline, isTimeout, untilAborted } from './deadline.js';

describe('deadline and untilAborted', () => {
  afterEach(() => vi.useRealTimers());

  it('a finite deadline aborts with a TimeoutError; the work that came first wins', async () => {
    await expect(untilAborted(Promise.resolve(1), deadline(50))).resolves.toBe(1);
    const never = new Promise<number>(() => undefined);
    const reason = await untilAborted(never, deadline(10)).catch((err: unknown) => err);
    expect(isTimeout(reason)).toBe(true);
  });

  it('aborts with the first of the given signals, worded by onAbort', async () => {
    const stop = new AbortController();
    const never = new Promise<number>(() => undefined);
    const waiting = untilAborted(
      never,
      deadline(Infinity, stop.signal),
      () => new Error('stopped'),
    );
    stop.abort();
    await expect(waiting).rejects.toThrow('stopped');
    await expect(untilAborted(never, stop.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('no time and no signal: a signal that never aborts', () => {
    expect(deadline(Infinity).aborted).toBe(false);
    const one = new AbortController().signal;
    expect(deadline(Infinity, undefined, one)).toBe(one);
  });

  it('a rejection of the work passes through, and a late one after the abort is not unhandled', async () => {
    await expect(untilAborted(Promise.reject(new Error('broke')), deadline(1000))).rejects.toThrow(
      'broke',
    );
    const stop = new AbortController();
    stop.abort();
    let fail: (err: Error) => void = () => undefined;
    const late = new Promise<never>((_, reject) => (fail = reject));
    await expect(untilAborted(late, stop.signal)).rejects.toMatchObject({ name: 'AbortError' });
    fail(new Error('late'));
  });
});
