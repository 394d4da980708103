// The one host assembly: the service (run.ts) and the one-shot `whis` (the CLI's record worker)
// both turn a composition into a service host here, so a part the composition makes (the live
// session of the realtime engine, the segment output, the triggers) reaches both.
import { createServiceHost, type Journal, type Logger, type ServiceHost } from '@whis/service-core';
import type { Composition } from './compose.js';

export interface HostAssemblyOptions {
  /** The recordings journal the host writes each recording to. */
  journal: Journal;
  /**
   * What `status` names: the version (the one-shot: `one-shot`) and the hotkey, null for none; and
   * where the key comes from when not from the composition's trigger (`gnome-shortcut`).
   */
  info: { version: string; hotkey: string | null; hotkeyBackend?: string };
  logger?: Logger;
}

/**
 * A service host from the composition's parts: its feedback follows the host's events, and the
 * upload client loads when a recording starts.
 */
export function assembleHost(parts: Composition, options: HostAssemblyOptions): ServiceHost {
  const host = createServiceHost({
    audio: parts.audio,
    transcriber: parts.transcriber,
    ...(parts.live ? { live: parts.live } : {}),
    output: parts.output,
    ...(parts.segmentOutput ? { segmentOutput: parts.segmentOutput } : {}),
    processor: parts.processor,
    journal: options.journal,
    triggers: parts.triggers,
    ...(parts.edit ? { edit: parts.edit } : {}),
    hooks: parts.feedback,
    ...(options.logger ? { logger: options.logger } : {}),
    info: {
      ...(parts.info.hotkeyBackend ? { hotkeyBackend: parts.info.hotkeyBackend } : {}),
      ...options.info,
      // read at each status: the desktop portal's answer changes while the service runs
      get output() {
        return parts.info.output;
      },
      feedback: parts.info.feedback,
    },
    problems: parts.problems,
    transcription: parts.transcription,
    postProcess: parts.postProcess,
  });
  host.subscribe((event) => {
    if (event.type === 'state' && event.state === 'recording') parts.prepareRecording();
    parts.feedback.handle(event);
  });
  return host;
}
