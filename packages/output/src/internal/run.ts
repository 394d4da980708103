import { spawn } from 'node:child_process';
import { OutputError } from '../errors.js';

export interface ToolRun {
  command: string;
  args: readonly string[];
  /** What goes to the tool's stdin (then it is closed). */
  input?: string | Buffer;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** The package that provides the command, for the missing-tool message. */
  install?: string;
  /**
   * Collect stdout and resolve once it closes. Without it stdout is ignored and the tool's own exit
   * ends the run: clipboard tools fork a child that keeps serving the selection with the pipes it
   * inherited, so their output never closes.
   */
  output?: boolean;
  /**
   * Start the tool in a session of its own. Clipboard tools leave a process serving the selection:
   * outside the service's process group it survives the Ctrl+C or hang-up a terminal sends the
   * group, so the text is still there to paste after the service ends.
   */
  detached?: boolean;
  /** Words added to the failure message, given the tool's stderr (e.g. the input group). */
  hint?: (stderr: string) => string;
}

/**
 * Runs one tool: resolves with its stdout (empty without `output`); a missing tool is an
 * OutputError `missing-tool` naming the package, a non-zero exit or a timeout `tool-failed`.
 */
export function runTool(run: ToolRun): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.command, run.args, {
      env: run.env,
      detached: run.detached ?? false,
      stdio: ['pipe', run.output ? 'pipe' : 'ignore', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new OutputError('tool-failed', `${run.command} did not finish within ${run.timeoutMs} ms.`),
      );
    }, run.timeoutMs);
    child.stdout?.on('data', (d: Buffer) => stdout.push(d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new OutputError(
              'missing-tool',
              `${run.command} is not installed${run.install ? `. Install ${run.install}` : ''}.`,
              { cause: err },
            )
          : new OutputError('tool-failed', `${run.command} could not start: ${err.message}`, {
              cause: err,
            }),
      );
    });
    child.once(run.output ? 'close' : 'exit', (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      if (!run.output) child.stderr!.destroy();
      if (code === 0) return resolve(Buffer.concat(stdout));
      const message = stderr.trim() || 'no message';
      reject(
        new OutputError(
          'tool-failed',
          `${run.command} failed (${code ?? signal}): ${message}${run.hint?.(message) ?? ''}`,
        ),
      );
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(run.input ?? '');
  });
}
