import type { Output } from '@whis/contracts';
import { shellCommand } from '@whis/process';
import { OutputError } from './errors.js';
import { runTool } from './internal/run.js';

export interface CommandOutputOptions {
  /** How long the command may take for one transcript. Default 10 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Each transcript to a command of the user's, on its stdin (run by the shell: `sh -c` on Unix,
 * `cmd /c` on Windows): a note-taking script, `tee -a notes.md`, a chat client. A command that
 * exits non-zero, or runs past `timeoutMs`, is a failed delivery with its stderr in the message
 * (at the time-out it is ended with what it started: `runProcess` of @whis/process); the text stays
 * in `whis last` either way.
 */
export function createCommandOutput(command: string, options: CommandOutputOptions = {}): Output {
  return {
    name: `command ${command}`,
    async deliver(text) {
      const shell = shellCommand(command);
      try {
        await runTool({
          ...shell,
          input: text,
          env: options.env ?? process.env,
          timeoutMs: options.timeoutMs ?? 10_000,
        });
      } catch (err) {
        // the message names the user's command, not the shell that ran it
        const { code, message } = err as OutputError;
        throw new OutputError(
          code,
          `The output command \`${command}\`${message.slice(shell.command.length)}`,
          { cause: err },
        );
      }
    },
  };
}
