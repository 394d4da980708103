import type { EditStatus, ErrorInfo, StatusResult } from '@whis/ipc';
import type { ServiceHostOptions } from '../host.js';
import type { Phase } from '../machine.js';
import type { CurrentRecording } from './capture.js';
import type { TranscriptionRegistry } from './registry.js';
import type { SegmentTranscription } from './segments.js';
import type { TriggerAvailability } from './triggers.js';

/** What the service was told to describe about itself: those fields of ServiceHostOptions. */
export type StatusSources = Pick<
  ServiceHostOptions,
  'info' | 'problems' | 'transcription' | 'postProcess'
>;

/** The service's state at one moment, read from its parts. */
export interface StatusSnapshot {
  phase: Phase;
  now: number;
  startedAt: number;
  triggers: TriggerAvailability;
  recording: CurrentRecording | undefined;
  segments: SegmentTranscription;
  transcriptions: TranscriptionRegistry;
  lastError: ErrorInfo | null;
  edit: EditStatus;
}

/** The answer to `status`: the snapshot, then what the sources say (read at each call). */
export async function describeStatus(
  sources: StatusSources,
  now: StatusSnapshot,
): Promise<Omit<StatusResult, 'protocolVersion'>> {
  const { info } = sources;
  const { triggers, recording, segments } = now;
  const progress = recording ? segments.progress(recording.id) : undefined;
  return {
    state: now.phase,
    pid: process.pid,
    version: info.version,
    uptimeMs: now.now - now.startedAt,
    hotkey: info.hotkey ?? null,
    ...(info.output ? { output: info.output } : {}),
    ...(info.feedback ? { feedback: info.feedback } : {}),
    hotkeyProblem: triggers.problem,
    hotkeyActive: triggers.active,
    ...(info.hotkey && info.hotkeyBackend ? { hotkeyBackend: info.hotkeyBackend } : {}),
    ...(triggers.binding ? { hotkeyBinding: triggers.binding } : {}),
    recording: recording
      ? {
          ...(progress ? { segments: progress } : {}),
          id: recording.id,
          startedAt: recording.startedAt,
          durationMs: now.now - recording.startedMs,
          level: recording.level,
          ...(recording.action === 'edit' ? { action: 'edit' as const } : {}),
        }
      : null,
    transcribing: now.transcriptions.ids,
    uploads: segments.uploads(),
    lastError: now.lastError,
    problems: (await sources.problems?.()) ?? [],
    edit: now.edit,
    ...(await describeTranscription(sources)),
  };
}

async function describeTranscription(
  sources: StatusSources,
): Promise<{ transcription?: string; postProcess?: string }> {
  const transcription = await sources.transcription?.();
  const postProcess = await sources.postProcess?.();
  return { ...(transcription ? { transcription } : {}), ...(postProcess ? { postProcess } : {}) };
}
