import { ProcessError, runProcess, shellCommand } from '@whis/process';
import { PostProcessError } from '../errors.js';

export interface CommandOptions {
  /** A shell command line: the text on its stdin, its stdout the new text. */
  command: string;
  /** Default 10 000 ms. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Ends the command (with what it started), as a time-out does. */
  signal?: AbortSignal;
}

/**
 * Runs the user's command with the text on stdin and resolves with its stdout (one final line
 * break removed). A non-zero exit, a time-out or empty output rejects with a PostProcessError
 * `command-failed` that says which; a command that outlives its budget is ended with what it
 * started (`runProcess` of @whis/process: SIGTERM, then SIGKILL to its process group).
 */
export async function runTextCommand(text: string, options: CommandOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fail = (message: string, cause?: unknown) =>
    new PostProcessError('command-failed', `postProcessCommand ${message}`, { cause });
  let stdout: Buffer;
  try {
    ({ stdout } = await runProcess({
      ...shellCommand(options.command),
      input: text,
      output: true,
      timeoutMs,
      env: options.env ?? process.env,
      ...(options.signal ? { signal: options.signal } : {}),
    }));
  } catch (err) {
    if (!(err instanceof ProcessError)) throw err;
    switch (err.code) {
      case 'timeout':
        throw fail(`did not finish within ${timeoutMs} ms; the text is kept as it was.`, err);
      case 'aborted':
        throw fail('was stopped; the text is kept as it was.', err);
      case 'failed': {
        const first = err.stderr.trim().split('\n')[0];
        throw fail(
          `failed (${err.exitCode ?? err.exitSignal})${first ? `: ${first}` : ''}; the text is kept as it was.`,
          err,
        );
      }
      default:
        throw fail(`could not start: ${err.message}`, err);
    }
  }
  const out = stdout.toString('utf8').replace(/\r?\n$/, '');
  if (out.trim() === '') throw fail('printed nothing; the text is kept as it was.');
  return out;
}
