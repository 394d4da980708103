// The one-shot recording, in a process of its own: PortAudio prints diagnostics on stdout that
// cannot be turned off, and `whis` must print nothing but the transcript there. The parent talks
// to this worker over the IPC channel (the messages: record.messages.ts).
import { readSettings, resolvePaths } from '@whis/config';
import { assembleHost, composeService } from '@whis/service';
import { createJournal } from '@whis/service-core';
import type { ParentMessage, WorkerMessage } from './record.messages.js';

const send = (message: WorkerMessage) => process.send?.(message);

async function main(): Promise<void> {
  const paths = resolvePaths();
  const settings = await readSettings(paths.settingsFile);
  // the same parts as the service, from the settings read once: a missing key fails before the
  // recording; no outputs (the parent prints and copies the text) and no hotkey; the microphone is
  // opened for this one recording
  const parts = composeService({
    settings: { ...settings, keepMicrophoneOpen: false },
    source: { fixed: settings },
    defaultTranscriptFile: paths.transcriptFile,
    outputs: [],
    device: process.env.WHIS_RECORD_DEVICE || settings.device,
  });
  // the service's host assembly: the engine `mode` names (a live session in realtime mode), the
  // post-processed transcript the parent prints and copies, the journal keeping both
  const host = assembleHost(parts, {
    journal: createJournal({
      directory: paths.recordingsDir,
      retention: { keepAudio: settings.keepAudio ?? 0 },
    }),
    info: { version: 'one-shot', hotkey: null },
  });
  const done = new Promise<void>((resolve) => {
    host.subscribe((event) => {
      if (event.type === 'state' && event.state === 'transcribing') send({ type: 'transcribing' });
      if (event.type === 'transcript') {
        send({ type: 'transcript', text: event.text });
        resolve();
      }
      if (event.type === 'error') {
        send({ type: 'failed', message: event.error.message, code: event.error.code });
        resolve();
      }
    });
  });
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'finish')
      host.finish().catch((err: Error) => send({ type: 'failed', message: err.message }));
    if (message.type === 'cancel')
      void host.cancel().finally(
        () =>
          void host.shutdown().then(async () => {
            await parts.close();
            process.disconnect();
          }),
      );
  });
  const { recordingId } = await host.start();
  // while the user speaks: the llm step's first request must not pay for loading the HTTP client
  parts.prepare();
  send({ type: 'recording', id: recordingId! });
  await done;
  await host.shutdown();
  await parts.close();
  process.disconnect();
}

main().catch((err: Error & { code?: string }) => {
  send({ type: 'failed', message: err.message, code: err.code });
  process.disconnect?.();
});
