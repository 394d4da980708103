/**
 * The one way whis bounds a wait: a signal from `AbortSignal.timeout()` and `AbortSignal.any()`,
 * passed to whatever takes one, and `untilAborted` for a promise that does not. `Infinity` (or no
 * finite time) adds no timer, so a caller can still choose to wait for ever, explicitly.
 */
export function deadline(ms: number, ...signals: (AbortSignal | undefined)[]): AbortSignal {
  const all = signals.filter((s): s is AbortSignal => s !== undefined);
  if (Number.isFinite(ms)) all.push(AbortSignal.timeout(Math.max(0, ms)));
  if (all.length === 1) return all[0]!;
  return all.length === 0 ? new AbortController().signal : AbortSignal.any(all);
}

/** Whether an abort reason is a deadline that passed (`AbortSignal.timeout`'s `TimeoutError`). */
export function isTimeout(reason: unknown): boolean {
  return (reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

/**
 * Waits for `work`, or rejects as soon as `signal` aborts: with what `onAbort` makes of the
 * signal's reason (say, a coded error naming what did not answer), else with the reason itself.
 * The work is not cancelled by this: hand it the signal too where it takes one.
 */
export function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  onAbort: (reason: unknown) => unknown = (reason) => reason,
): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(onAbort(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const aborted = () => {
      work.catch(() => undefined);
      reject(onAbort(signal.reason));
    };
    signal.addEventListener('abort', aborted, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', aborted);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', aborted);
        reject(err);
      },
    );
  });
}
