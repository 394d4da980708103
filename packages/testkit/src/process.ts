import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and collects its output; rejects only when it cannot start. */
export function run(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', (err) =>
      reject(
        new Error(
          `${command} could not start: ${err.message}. Run ./scripts/setup.sh to install it.`,
          { cause: err },
        ),
      ),
    );
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Like `run`, but rejects with the command's stderr when it exits non-zero. */
export async function runChecked(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.code ?? result.signal}): ${result.stderr.trim()}`,
    );
  }
  return result;
}

/** Sends SIGTERM to a child this process started, then SIGKILL after `graceMs`; resolves when it has exited. */
export function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Whether a process with this pid exists (a zombie not yet reaped counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * What each thread of process `pid` is doing, read from /proc (and, where gdb is installed, the
 * main thread's native backtrace): for the message of a test that found the process not
 * answering. Never throws; a process that is gone says so.
 */
export async function describeThreads(pid: number): Promise<string> {
  const read = (path: string) => readFile(path, 'utf8').catch(() => '?');
  let tids: string[];
  try {
    tids = await readdir(`/proc/${pid}/task`);
  } catch {
    return `process ${pid} is gone`;
  }
  const lines: string[] = [];
  for (const tid of tids) {
    const stat = await read(`/proc/${pid}/task/${tid}/stat`);
    const comm = /\((.*)\)/.exec(stat)?.[1] ?? '?';
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    const syscall = (await read(`/proc/${pid}/task/${tid}/syscall`)).trim().split(' ')[0];
    const wchan = await read(`/proc/${pid}/task/${tid}/wchan`);
    const stack = (await read(`/proc/${pid}/task/${tid}/stack`))
      .split('\n')
      .filter(Boolean)
      .slice(0, 4)
      .map((frame) => frame.replace(/^\[<\w+>\] /, ''))
      .join(' < ');
    lines.push(`${tid} ${comm} ${state} syscall ${syscall} wchan ${wchan} ${stack}`);
  }
  const gdb = await run('gdb', ['-batch', '-nx', '-p', String(pid), '-ex', 'bt 25'], {
    timeout: 20_000,
  }).catch(() => undefined);
  if (gdb?.code === 0) {
    const frames = gdb.stdout.split('\n').filter((line) => /^#\d+/.test(line));
    lines.push('main thread:', ...frames);
  }
  return lines.join('\n');
}
