import { spawn } from 'node:child_process';
import { PostProcessError } from '../errors.js';

export interface CommandOptions {
  /** A shell command line: the text on its stdin, its stdout the new text. */
  command: string;
  /** Default 10 000 ms. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the user's command with the text on stdin and resolves with its stdout (one final line
 * break removed). A non-zero exit, a time-out or empty output rejects with a PostProcessError
 * `command-failed` that says which; a command that outlives its budget is killed with its children.
 */
export function runTextCommand(text: string, options: CommandOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fail = (message: string, cause?: unknown) =>
    new PostProcessError('command-failed', `postProcessCommand ${message}`, { cause });
  return new Promise((resolve, reject) => {
    const windows = process.platform === 'win32';
    const child = spawn(options.command, {
      shell: true,
      // its own process group, so that a time-out also ends what the shell started
      detached: !windows,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    let settled = false;
    const finish = (error: Error | undefined, value?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      try {
        if (windows) child.kill('SIGKILL');
        else process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      finish(fail(`did not finish within ${timeoutMs} ms; the text is kept as it was.`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString();
    });
    child.once('error', (err) => finish(fail(`could not start: ${err.message}`, err)));
    child.once('close', (code, signal) => {
      if (code !== 0)
        return finish(
          fail(
            `failed (${code ?? signal})${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}; the text is kept as it was.`,
          ),
        );
      const out = Buffer.concat(stdout)
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (out.trim() === '') return finish(fail('printed nothing; the text is kept as it was.'));
      finish(undefined, out);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}
