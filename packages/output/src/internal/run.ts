import { ProcessError, runProcess } from '@whis/process';
import { OutputError } from '../errors.js';

export interface ToolRun {
  command: string;
  args: readonly string[];
  /** What goes to the tool's stdin (then it is closed). */
  input?: string | Buffer;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Ends the tool as a time-out does; the run then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The package that provides the command, for the missing-tool message. */
  install?: string;
  /**
   * Collect stdout and resolve once it closes. Without it stdout is ignored and the tool's own exit
   * ends the run: clipboard tools fork a child that keeps serving the selection with the pipes it
   * inherited, so their output never closes.
   */
  output?: boolean;
  /** Words added to the failure message, given the tool's stderr (e.g. the input group). */
  hint?: (stderr: string) => string;
}

/**
 * Runs one tool through `runProcess` (its own process group: a clipboard tool's server survives
 * the Ctrl+C or hang-up a terminal sends the service's group; a time-out ends the tool with what
 * it started): resolves with its stdout (empty without `output`); a missing tool is an OutputError
 * `missing-tool` naming the package, a non-zero exit or a time-out `tool-failed`.
 */
export async function runTool(run: ToolRun): Promise<Buffer> {
  try {
    const { stdout } = await runProcess({
      command: run.command,
      args: run.args,
      env: run.env,
      timeoutMs: run.timeoutMs,
      ...(run.input !== undefined ? { input: run.input } : {}),
      ...(run.output ? { output: true } : {}),
      ...(run.signal ? { signal: run.signal } : {}),
    });
    return stdout;
  } catch (err) {
    if (!(err instanceof ProcessError)) throw err;
    if (err.code === 'aborted' && run.signal?.aborted) throw run.signal.reason;
    switch (err.code) {
      case 'missing':
        throw new OutputError(
          'missing-tool',
          `${run.command} is not installed${run.install ? `. Install ${run.install}` : ''}.`,
          { cause: err },
        );
      case 'failed': {
        const message = err.stderr.trim() || 'no message';
        throw new OutputError(
          'tool-failed',
          `${run.command} failed (${err.exitCode ?? err.exitSignal}): ${message}${run.hint?.(message) ?? ''}`,
          { cause: err },
        );
      }
      default:
        throw new OutputError('tool-failed', err.message, { cause: err });
    }
  }
}
