import type { Logger } from './ports.js';

/** A Logger that drops everything: the default of every package that takes one. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
