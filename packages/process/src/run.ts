import { spawn, type ChildProcess } from 'node:child_process';
import { deadline, isTimeout, untilAborted } from '@whis/contracts';
import { ProcessError } from './errors.js';

const WINDOWS = process.platform === 'win32';

export interface RunOptions {
  /** The program (looked up on PATH), or a shell from `shellCommand`. */
  command: string;
  args?: readonly string[];
  /** What goes to stdin (then it is closed). Default: nothing. */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** How long the program may take. Default 10 s; `Infinity`: as long as it takes. */
  timeoutMs?: number;
  /** Ends the run as a time-out does, with `aborted`. */
  signal?: AbortSignal;
  /**
   * Collect stdout and resolve once it closes. Without it stdout is ignored and the program's own
   * exit ends the run: a clipboard tool forks a child that keeps serving the selection with the
   * pipes it inherited, so its output never closes.
   */
  output?: boolean;
  /** After SIGTERM, how long what the program started has to end before SIGKILL. Default 1 s. */
  graceMs?: number;
}

export interface RunResult {
  /** Empty without `output`. */
  stdout: Buffer;
  stderr: string;
}

// stderr is for the message: the first few KiB say what went wrong
const MAX_STDERR = 8192;

/**
 * The command line a user wrote, for their shell: `sh -c` on Unix, `cmd /d /s /c` on Windows.
 * Spread it into `runProcess`.
 */
export function shellCommand(line: string): { command: string; args: string[] } {
  return WINDOWS
    ? { command: 'cmd.exe', args: ['/d', '/s', '/c', line] }
    : { command: 'sh', args: ['-c', line] };
}

/**
 * Sends `signal` to the child's process group (it leads one: `runProcess` starts it so), so that
 * what a shell or script started gets it too. On Windows, where there are no groups, to the child.
 */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (WINDOWS || child.pid === undefined) child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** How long a program SIGKILL was sent to is waited for (it cannot refuse; it may be slow to run). */
const KILLED_EXIT_LIMIT_MS = 5000;

/**
 * Ends a child started in a process group of its own, with everything it started: SIGTERM to the
 * group; once the child has exited or `graceMs` has passed, SIGKILL to what is left of the group
 * (a program that ignores SIGTERM, or a child that the shell left behind).
 */
export async function endProcessGroup(child: ChildProcess, graceMs = 1000): Promise<void> {
  const exited =
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, 'SIGTERM');
  await untilAborted(exited, deadline(graceMs)).catch(() => undefined);
  signalGroup(child, 'SIGKILL');
  // the program itself is gone when this resolves (what it started is not ours to wait for). A
  // killed program still has to be run to end: on a loaded machine that can take longer than the
  // grace, so the wait is longer (and bounded: one stuck in the kernel is not waited on for ever)
  await untilAborted(exited, deadline(Math.max(graceMs, KILLED_EXIT_LIMIT_MS))).catch(
    () => undefined,
  );
}

/**
 * Runs one program with `input` on its stdin and resolves with its output once it exits with 0.
 * It leads a process group of its own (Unix): on a time-out or an abort the whole group is ended
 * (`endProcessGroup`), never just the shell in front of it, and the run rejects only once that is
 * done. Every failure is a ProcessError: `missing` (not installed), `not-started`, `failed`
 * (non-zero exit or a signal; `exitCode`, `exitSignal`, `stderr`), `timeout`, `aborted`.
 */
export function runProcess(options: RunOptions): Promise<RunResult> {
  const { command } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, options.args ?? [], {
      env: options.env ?? process.env,
      // its own process group, so that ending it ends what it started; it also keeps a clipboard
      // tool's server out of the group a terminal's Ctrl+C or hang-up reaches
      detached: !WINDOWS,
      windowsHide: true,
      stdio: ['pipe', options.output ? 'pipe' : 'ignore', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    let settled = false;
    const limit = deadline(timeoutMs, options.signal);
    const settle = (error: ProcessError | undefined) => {
      if (settled) return;
      settled = true;
      limit.removeEventListener('abort', onLimit);
      if (error) reject(error);
      else resolve({ stdout: Buffer.concat(stdout), stderr });
    };
    const onLimit = () => {
      if (settled) return;
      const timedOut = isTimeout(limit.reason) && !options.signal?.aborted;
      settled = true;
      void endProcessGroup(child, options.graceMs).then(() =>
        reject(
          timedOut
            ? new ProcessError('timeout', `${command} did not finish within ${timeoutMs} ms.`, {
                command,
                stderr,
              })
            : new ProcessError('aborted', `${command} was stopped.`, {
                command,
                stderr,
                cause: options.signal?.reason,
              }),
        ),
      );
    };
    if (limit.aborted) onLimit();
    else limit.addEventListener('abort', onLimit, { once: true });

    child.stdout?.on('data', (d: Buffer) => stdout.push(d));
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += d.toString();
    });
    child.once('error', (err: NodeJS.ErrnoException) =>
      settle(
        err.code === 'ENOENT'
          ? new ProcessError('missing', `${command} is not installed.`, { command, cause: err })
          : new ProcessError('not-started', `${command} could not start: ${err.message}`, {
              command,
              cause: err,
            }),
      ),
    );
    child.once(options.output ? 'close' : 'exit', (code: number | null, signal: string | null) => {
      // a server the program left (a clipboard tool's) keeps stderr open: it is not waited for
      if (!options.output) child.stderr!.destroy();
      if (code === 0) return settle(undefined);
      const detail = stderr.trim();
      settle(
        new ProcessError(
          'failed',
          `${command} failed (${code ?? signal})${detail ? `: ${detail}` : ''}`,
          { command, stderr, exitCode: code, exitSignal: signal },
        ),
      );
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
  });
}
