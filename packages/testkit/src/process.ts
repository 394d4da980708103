import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

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
