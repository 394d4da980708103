import type { ServiceHost } from '@whis/service-core';
import type { DaemonOptions } from './options.js';

/**
 * The lines a foreground `whis listen` prints, as in the original: "Listening for hotkey: …",
 * then "#1 recording…", "#1 transcribing…", "#1 done" per recording.
 */
export function reportProgress(
  host: ServiceHost,
  options: DaemonOptions,
  out: NodeJS.WritableStream,
): void {
  const numbers = new Map<string, number>();
  const number = (id: string) => {
    let n = numbers.get(id);
    if (n === undefined) {
      n = numbers.size + 1;
      numbers.set(id, n);
    }
    return n;
  };
  const say = (line: string) => out.write(`${line}\n`);
  say(
    options.hotkey
      ? `Listening for hotkey: ${options.hotkey}${options.pushToTalk ? ' (push-to-talk)' : ''}`
      : 'Listening (no hotkey: use `whis toggle`)',
  );
  let lastProblem: string | null = null;
  const check = () =>
    host.status().then((s) => {
      if (s.hotkeyProblem && s.hotkeyProblem !== lastProblem)
        say(`Hotkey unavailable: ${s.hotkeyProblem}`);
      else if (s.hotkeyBinding)
        say(
          `The desktop bound the hotkey to ${s.hotkeyBinding} (change it in its keyboard shortcut settings)`,
        );
      lastProblem = s.hotkeyProblem;
    });
  setTimeout(() => void check(), 500).unref();
  host.subscribe((event) => {
    if (event.type === 'state' && event.recordingId) {
      if (event.state === 'recording') say(`#${number(event.recordingId)} recording…`);
      else if (event.state === 'transcribing') say(`#${number(event.recordingId)} transcribing…`);
    } else if (event.type === 'transcript') {
      say(`#${number(event.recordingId)} done`);
    } else if (event.type === 'error') {
      const id = event.error.recordingId;
      say(`${id ? `#${number(id)} ` : ''}error: ${event.error.message}`);
    }
  });
}
