import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { CliError, ExitCode } from '../errors.js';
import { startProgress, type Progress } from '../internal/progress.js';
import { loadPackage } from '../lazy.js';
import type { RecordArgs } from './record.js';
import type { ParentMessage, WorkerMessage } from './record.messages.js';

// beside this module when run from dist/commands, under commands/ when run from the bundle
const WORKER = [
  new URL('./record.worker.js', import.meta.url),
  new URL('./commands/record.worker.js', import.meta.url),
]
  .map((url) => fileURLToPath(url))
  .find((path) => existsSync(path))!;

/** Records once: Enter (a terminal or a pipe) finishes, Ctrl+C cancels; the text goes to stdout and the clipboard. */
export async function runRecord(args: RecordArgs & { finishAfterMs?: number }): Promise<number> {
  const worker = fork(WORKER, [], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, ...(args.device ? { WHIS_RECORD_DEVICE: args.device } : {}) },
  });
  let stderr = '';
  worker.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const lines = createInterface({ input: process.stdin });
  let cancelled = false;
  let progress: Progress | undefined;
  const onInterrupt = () => {
    cancelled = true;
    worker.send({ type: 'cancel' } satisfies ParentMessage);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const result = await new Promise<WorkerMessage | undefined>((resolve) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'recording') {
          process.stderr.write(
            args.finishAfterMs !== undefined
              ? `Recording for ${Math.round(args.finishAfterMs / 1000)} s… [${message.id}]\n`
              : `Recording… press Enter to stop (Ctrl+C to cancel). [${message.id}]\n`,
          );
          if (args.finishAfterMs !== undefined)
            setTimeout(
              () => worker.send({ type: 'finish' } satisfies ParentMessage),
              args.finishAfterMs,
            ).unref();
          else lines.once('line', () => worker.send({ type: 'finish' } satisfies ParentMessage));
        } else if (message.type === 'transcribing') {
          // on a terminal a spinner with the elapsed time; piped, one line
          if (process.stderr.isTTY) progress = startProgress('Transcribing…');
          else process.stderr.write('Transcribing…\n');
        } else {
          progress?.stop();
          resolve(message);
        }
      });
      worker.once('exit', () => resolve(undefined));
    });
    if (cancelled) {
      process.stderr.write('Cancelled.\n');
      return ExitCode.Interrupted;
    }
    if (!result)
      throw new CliError(
        `The recorder stopped unexpectedly.${stderr ? ` ${stderr.trim().split('\n').pop()}` : ''}`,
      );
    if (result.type === 'failed') throw new CliError(result.message);
    if (result.type !== 'transcript')
      throw new CliError('The recorder sent an unexpected message.');
    process.stdout.write(`${result.text}\n`);
    if (args.clipboard && result.text) {
      const { OUTPUTS } =
        await loadPackage<typeof import('@whis/service/outputs')>('@whis/service/outputs');
      await OUTPUTS.clipboard
        .create()
        .deliver(result.text)
        .catch((err: Error) => process.stderr.write(`whis: not copied: ${err.message}\n`));
    }
    return ExitCode.Ok;
  } finally {
    progress?.stop();
    process.off('SIGINT', onInterrupt);
    lines.close();
    if (worker.exitCode === null) worker.kill();
  }
}
