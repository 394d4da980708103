import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { ensurePrivateDirSync, openLogFile } from '@whis/config';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export interface LoggerOptions {
  file: string;
  level?: string;
  /** Also print human-readable lines here (a terminal). */
  pretty?: NodeJS.WritableStream;
}

// JSON lines to the log file (0600, never through a symlink, rotated at 5 MiB: transcripts are
// private even though only their length is logged), plus pino-pretty for a person watching a
// foreground service. Both streams are in-process: a transport would add a worker thread that
// wakes up while the service is idle.
export function createLogger(options: LoggerOptions): Logger {
  ensurePrivateDirSync(dirname(options.file));
  const level = options.level ?? 'info';
  const file = openLogFile(options.file);
  const streams: pino.StreamEntry[] = [{ level: level as pino.Level, stream: file }];
  if (options.pretty) {
    streams.push({
      level: level as pino.Level,
      // loaded only for a person watching: a service in the background never holds it
      stream: (createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty)({
        destination: options.pretty,
        ignore: 'pid,hostname',
        translateTime: 'SYS:HH:MM:ss',
      }),
    });
  }
  return pino({ level, base: { pid: process.pid } }, pino.multistream(streams));
}
