import { createInterface } from 'node:readline';
import { createMicrophone } from '@whis/audio';
import { readSettings, resolvePaths } from '@whis/config';
import { combineOutputs, createClipboardOutput, createStdoutOutput } from '@whis/output';
import {
  createJournal,
  createServiceHost,
  type Trigger,
  type TriggerEvent,
} from '@whis/service-core';
import { createTranscriber, resolveTranscriberOptions } from '@whis/transcribe';
import { CliError, ExitCode } from '../errors.js';
import type { RecordArgs } from './record.js';

// Enter on stdin (a terminal or a pipe) finishes the recording; Ctrl+C cancels it.
function enterTrigger(): Trigger {
  const listeners = new Set<(event: TriggerEvent) => void>();
  const lines = createInterface({ input: process.stdin });
  return {
    description: 'Enter',
    async start() {
      lines.once('line', () => listeners.forEach((l) => l({ type: 'finish' })));
    },
    async stop() {
      lines.close();
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The one-shot mode: the same service as the daemon, embedded in this process for one recording. */
export async function runRecord(args: RecordArgs): Promise<number> {
  const paths = resolvePaths();
  const settings = await readSettings(paths.settingsFile);
  const transcriber = createTranscriber(resolveTranscriberOptions({ env: process.env, settings }));
  const output = args.clipboard
    ? combineOutputs([createStdoutOutput(), createClipboardOutput()])
    : createStdoutOutput();
  const trigger = enterTrigger();
  const host = createServiceHost({
    audio: createMicrophone({ device: args.device ?? settings.device }),
    transcriber,
    output,
    journal: createJournal({ directory: paths.recordingsDir, keepAudio: settings.keepAudio ?? 0 }),
    triggers: [trigger],
    info: { version: 'one-shot', hotkey: null },
  });
  const finished = new Promise<{ ok: boolean; message?: string }>((resolve) => {
    host.subscribe((event) => {
      if (event.type === 'transcript') resolve({ ok: true });
      if (event.type === 'error' && event.error.code !== 'output-failed')
        resolve({ ok: false, message: event.error.message });
      if (event.type === 'state' && event.state === 'transcribing')
        process.stderr.write('Transcribing…\n');
    });
  });
  const { recordingId } = await host.start();
  process.stderr.write(`Recording… press Enter to stop (Ctrl+C to cancel). [${recordingId}]\n`);
  const onInterrupt = () => {
    void host.cancel().finally(() => process.stderr.write('Cancelled.\n'));
  };
  process.once('SIGINT', onInterrupt);
  const cancelled = new Promise<{ ok: false; message: string }>((resolve) =>
    host.subscribe(
      (e) =>
        e.type === 'state' && e.state === 'idle' && resolve({ ok: false, message: 'cancelled' }),
    ),
  );
  const outcome = await Promise.race([finished, cancelled]);
  process.off('SIGINT', onInterrupt);
  await trigger.stop();
  await host.shutdown();
  if (outcome.message === 'cancelled') return ExitCode.Interrupted;
  if (!outcome.ok) throw new CliError(outcome.message ?? 'The recording failed.');
  return ExitCode.Ok;
}
