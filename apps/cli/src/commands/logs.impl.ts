import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { resolvePaths } from '@whis/config';
import { CliError, ExitCode } from '../errors.js';
import type { LogsArgs } from './logs.js';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** One pino JSON line as `HH:MM:SS LEVEL component: message {extra}`; other lines unchanged. */
export function prettyLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null) return line;
  const { time, level, msg, component, pid: _pid, hostname: _host, err, ...rest } = entry;
  const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  const error =
    err && typeof err === 'object' ? ` — ${(err as { message?: string }).message ?? ''}` : '';
  return `${when} ${LEVELS[level as number] ?? level} ${component ? `${component}: ` : ''}${msg ?? ''}${error}${extra}`;
}

export async function runLogs(args: LogsArgs): Promise<number> {
  const file = resolvePaths().logFile;
  if (args.path) {
    process.stdout.write(`${file}\n`);
    return ExitCode.Ok;
  }
  if (args.follow) {
    // tail(1) follows rotation and truncation correctly; no need to reimplement it
    const tail = spawn('tail', ['-n', String(args.lines), '-F', file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    tail.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${prettyLogLine(line)}\n`);
    });
    const stop = () => tail.kill('SIGTERM');
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await new Promise((resolve) => tail.once('close', resolve));
    return ExitCode.Ok;
  }
  let lines: string[];
  try {
    lines = await lastLines(file, args.lines);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`No log yet at ${file}.`, {
        hint: 'The daemon writes it once `whis listen` has run.',
        cause: err,
      });
    }
    throw err;
  }
  for (const line of lines) process.stdout.write(`${prettyLogLine(line)}\n`);
  return ExitCode.Ok;
}

/** The last `count` non-empty lines of a file, read backwards in blocks: never the whole log. */
export async function lastLines(
  file: string,
  count: number,
  blockBytes = 64 * 1024,
): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    let position = (await handle.stat()).size;
    let tail = Buffer.alloc(0);
    const newlines = () => tail.reduce((n, byte) => (byte === 0x0a ? n + 1 : n), 0);
    while (position > 0 && newlines() <= count) {
      const size = Math.min(blockBytes, position);
      position -= size;
      const block = Buffer.alloc(size);
      await handle.read(block, 0, size, position);
      tail = Buffer.concat([block, tail]);
    }
    const lines = tail.toString('utf8').split('\n');
    // the first line may be cut in the middle unless the whole file was read
    if (position > 0) lines.shift();
    return lines.filter(Boolean).slice(-count);
  } finally {
    await handle.close();
  }
}
