import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  file: string;
  level?: string;
  /** Also print human-readable lines to stderr (when it is a terminal). */
  prettyToStderr: boolean;
}

// JSON lines to the log file (0600: transcripts are private even though only their length is
// logged), plus pino-pretty on stderr for a person watching a foreground daemon. Both streams are
// in-process: a transport would add a worker thread that wakes up while the daemon is idle.
export function createLogger(options: LoggerOptions): Logger {
  mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
  closeSync(openSync(options.file, 'a', 0o600));
  chmodSync(options.file, 0o600);
  const level = options.level ?? 'info';
  const streams: pino.StreamEntry[] = [
    { level: level as pino.Level, stream: pino.destination({ dest: options.file, sync: false }) },
  ];
  if (options.prettyToStderr) {
    streams.push({
      level: level as pino.Level,
      stream: pretty({
        destination: 2,
        sync: true,
        ignore: 'pid,hostname',
        translateTime: 'SYS:HH:MM:ss',
      }),
    });
  }
  return pino({ level, base: { pid: process.pid } }, pino.multistream(streams));
}
