import { STATE_LABELS, type ServiceState, type StatusResult, type UploadInfo } from '@whis/ipc';

export function stateLabel(state: ServiceState): string {
  return STATE_LABELS[state];
}

/** `65_000` → `1:05`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const BACKENDS: Record<string, string> = {
  x11: 'X11',
  portal: 'desktop portal',
  // GNOME 47 and older: the custom shortcut `whis setup` writes
  'gnome-shortcut': 'GNOME custom shortcut, runs whis toggle',
};

// "ctrl+shift+r (desktop portal, bound to Ctrl+Shift+R)"
function describeHotkey(status: StatusResult): string {
  const details = [
    ...(status.hotkeyBackend ? [BACKENDS[status.hotkeyBackend] ?? status.hotkeyBackend] : []),
    ...(status.hotkeyBinding ? [`bound to ${status.hotkeyBinding}`] : []),
  ];
  return details.length ? `${status.hotkey} (${details.join(', ')})` : `${status.hotkey}`;
}

/** What became of an edit by voice, in words: `whis status`, `whis last`, `whis edit --wait`. */
export const EDIT_OUTCOMES = {
  replaced: 'replaced the selection',
  written: 'nothing was selected: written at the cursor',
  saved: 'not placed: `whis last --paste` places it',
  failed: 'failed; the selection was left as it was',
} as const;

// "ctrl+alt+shift+e → http://127.0.0.1:11434/v1 (llama3.2); last: replaced the selection"
function describeEdit(edit: NonNullable<StatusResult['edit']>): string {
  const key = edit.hotkeyProblem
    ? `${edit.hotkey ?? 'the edit key'} is off (${edit.hotkeyProblem})`
    : edit.hotkeyBinding
      ? `${edit.hotkey} (bound to ${edit.hotkeyBinding})`
      : (edit.hotkey ?? 'no key (`whis edit`)');
  const where = edit.endpoint
    ? `the selection goes to ${edit.endpoint}`
    : `off (${edit.problem ?? 'no chat model'})`;
  const last = edit.last ? `; last: ${EDIT_OUTCOMES[edit.last.outcome]}` : '';
  return `${key}, ${where}${last}`;
}

/** ` (attempt 2 of 3)` while an upload of the recording is being tried again, else empty. */
export function attemptNote(
  uploads: readonly UploadInfo[] | undefined,
  recordingId: string,
): string {
  const retried = uploads?.find((u) => u.recordingId === recordingId && u.attempt > 1);
  return retried ? ` (attempt ${retried.attempt} of ${retried.attempts})` : '';
}

/** The human form of `whis status`, first line as in the original: `Service: Running (Idle)`. */
export function formatStatus(status: StatusResult): string {
  const lines = [`Service: Running (${stateLabel(status.state)})`];
  lines.push(
    `  pid ${status.pid} · whis ${status.version} · up ${formatDuration(status.uptimeMs)}`,
  );
  if (status.hotkey && !status.hotkeyProblem) lines.push(`  Hotkey: ${describeHotkey(status)}`);
  else if (status.hotkeyProblem) lines.push(`  Hotkey: off (${status.hotkeyProblem})`);
  else lines.push('  Hotkey: none (control it with `whis toggle`)');
  if (status.edit) lines.push(`  Edit by voice: ${describeEdit(status.edit)}`);
  if (status.transcription) lines.push(`  Transcription: ${status.transcription}`);
  if (status.postProcess) lines.push(`  Post-processing: ${status.postProcess}`);
  if (status.output) lines.push(`  Output: ${status.output}`);
  if (status.feedback) lines.push(`  Feedback: ${status.feedback}`);
  if (status.recording) {
    const retried = attemptNote(status.uploads, status.recording.id);
    lines.push(
      `  Recording: ${status.recording.id} (${formatDuration(status.recording.durationMs)})${status.recording.action === 'edit' ? ', an edit: say what to change' : ''}${retried ? `, a segment's upload${retried}` : ''}`,
    );
  }
  if (status.transcribing.length > 0)
    lines.push(
      `  Transcribing: ${status.transcribing.map((id) => `${id}${attemptNote(status.uploads, id)}`).join(', ')}`,
    );
  if (status.lastError) {
    const kept = status.lastError.recordingId
      ? ` (recording ${status.lastError.recordingId} kept: \`whis retry\`)`
      : '';
    lines.push(`  Last error: ${status.lastError.message}${kept}`);
  }
  for (const problem of status.problems) lines.push(`  Problem: ${problem}`);
  return lines.join('\n');
}

export interface WaybarLine {
  text: string;
  alt: string;
  class: string;
  tooltip: string;
}

/** One line of waybar's custom-module JSON for a state (or `stopped` when the daemon is not running). */
export function waybarLine(
  state: ServiceState | 'stopped',
  details: { durationMs?: number; error?: string; words?: string; edit?: boolean } = {},
): WaybarLine {
  const heard = details.words ? `\n${details.words}` : '';
  switch (state) {
    case 'stopped':
      return { text: '', alt: 'stopped', class: 'stopped', tooltip: 'whis is not running' };
    case 'idle':
      return details.error
        ? { text: '!', alt: 'error', class: 'error', tooltip: `whis: ${details.error}` }
        : { text: '', alt: 'idle', class: 'idle', tooltip: 'whis: idle' };
    case 'recording': {
      // an edit: the same class (the same colour in a style sheet), its own text and `alt`
      const label = details.edit ? 'EDIT' : 'REC';
      return {
        text:
          details.durationMs === undefined
            ? label
            : `${label} ${formatDuration(details.durationMs)}`,
        alt: details.edit ? 'edit' : 'recording',
        class: 'recording',
        tooltip: details.edit
          ? `whis: say what to change in the selection${heard}`
          : `whis: recording${heard}`,
      };
    }
    case 'transcribing':
      return {
        text: '…',
        alt: 'transcribing',
        class: 'transcribing',
        tooltip: `whis: transcribing${heard}`,
      };
  }
}
