/** A module imported on first use, and whether it has been. */
export interface LazyModule<T> {
  /** Imports it (once); every call answers the same promise. */
  load(): Promise<T>;
  /** It, once `load()` has resolved; undefined before (an error from before then is never its). */
  loaded(): T | undefined;
}

/**
 * A module (an SDK of several MB) that an idle service must not hold: imported by the first
 * `load()`, shared by every caller after it.
 */
export function lazyModule<T>(importer: () => Promise<T>): LazyModule<T> {
  let value: T | undefined;
  let loading: Promise<T> | undefined;
  return {
    load: () =>
      (loading ??= importer().then((m) => {
        value = m;
        return m;
      })),
    loaded: () => value,
  };
}
