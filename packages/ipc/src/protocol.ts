import type { RecordingAction } from '@whis/contracts';
/**
 * The whis wire protocol: the shapes of every request, result and event.
 *
 * Transport: one JSON value per line (UTF-8, `\n`), JSON-RPC 2.0 objects.
 * These types are the contract between the daemon, the CLI and third-party clients.
 */
import type { Level } from '@whis/contracts';

/** Major protocol version. A client of another major version gets an explicit error from `hello`. */
export const PROTOCOL_VERSION = 1;

/** Longest accepted line, in bytes, newline excluded. */
export const MAX_LINE_BYTES = 64 * 1024;

export type ServiceState = 'idle' | 'recording' | 'transcribing';

/** How a state is named to people (and answered to the original's `"Status"`). */
export const STATE_LABELS: Readonly<Record<ServiceState, string>> = {
  idle: 'Idle',
  recording: 'Recording',
  transcribing: 'Transcribing',
};

/** A microphone level: the Level of @whis/contracts. */
export type { Level };

export interface RecordingInfo {
  id: string;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  level: Level | null;
  /** Segments cut so far at pauses and already being transcribed: how many are done. */
  segments?: { done: number; total: number };
  /** `edit`: the recording is an instruction that changes the selection. Absent for dictation. */
  action?: 'edit';
}

/** An upload in flight: which of its attempts is running (a retry after a timeout or a 5xx, …). */
export interface UploadInfo {
  /** The recording whose audio is being uploaded. */
  recordingId: string;
  /** The segment of the recording (0, 1, …). */
  segment: number;
  /** 1 for the first attempt; 2 and on are retries. */
  attempt: number;
  /** The most attempts the upload makes (fewer when its time budget runs out first). */
  attempts: number;
}

/**
 * Every code a whis error may carry on the wire, in `ErrorInfo.code` and in an error reply's
 * `data.code`: stable, for scripts to switch on. Anything else a service reports (an errno such as
 * `ENOSPC`, an SDK's code) goes out as `failed`; the message keeps the detail.
 */

export const ERROR_INFO_CODES = [
  // the service's own
  'failed',
  'audio-failed',
  'transcription-failed',
  'output-failed',
  'journal-failed',
  'no-speech',
  'cancelled',
  'interrupted',
  // requests
  'not-recording',
  'not-found',
  'unavailable',
  'shutting-down',
  'busy-elsewhere',
  // the journal
  'journal-locked',
  'disk-full',
  // the microphone
  'no-device',
  'device-not-found',
  'device-busy',
  'device-failed',
  'device-lost',
  'write-failed',
  'native-unavailable',
  'vad-unavailable',
  // transcription
  'no-api-key',
  'auth',
  'forbidden',
  'bad-request',
  'too-large',
  'rate-limited',
  'server',
  'network',
  'timeout',
  'aborted',
  'bad-response',
  'model-unavailable',
  'invalid-setting',
  'live-failed',
  // output
  'missing-tool',
  'no-clipboard',
  'tool-failed',
  'outputs-failed',
  'paste-failed',
  'type-failed',
  'selection-too-large',
  'selection-timeout',
  'no-primary-selection',
  // post-processing
  'invalid-replacements',
  'invalid-settings',
  'unknown-step',
  'command-failed',
  // edit by voice
  'edit-unavailable',
  'no-instruction',
  'edit-failed',
  'unreachable',
  'refused',
  'rejected',
  // feedback
  'no-session-bus',
  'dbus-failed',
  'dbus-timeout',
] as const;

/**
 * The parts an `ErrorInfo` may name as `domain`: the service itself (`host`), the microphone, the
 * transcription, the outputs, post-processing, the recordings journal, feedback.
 */
export const ERROR_INFO_DOMAINS = [
  'host',
  'audio',
  'transcribe',
  'output',
  'postprocess',
  'journal',
  'feedback',
  'edit',
] as const;

export interface ErrorInfo {
  /**
   * The part that failed, one of {@link ERROR_INFO_DOMAINS}: a code is unique only within its
   * domain (`write-failed` is the microphone's and the file output's). Absent from older services.
   */
  domain?: string;
  /** Stable machine-readable code, one of {@link ERROR_INFO_CODES}, e.g. `transcription-failed`. */
  code: string;
  message: string;
  /** ISO 8601. */
  at: string;
  /** The recording this error concerns, kept on disk for `retry` when set. */
  recordingId?: string;
}

export interface TranscriptEntry {
  /** Recording id. */
  id: string;
  text: string;
  /** ISO 8601, when the transcript was stored. */
  createdAt: string;
  durationMs: number;
  /** True while the audio is still on disk (for `retry`). */
  audioKept: boolean;
  /**
   * The transcript as the recogniser gave it, when post-processing changed it (`text` is what was
   * delivered). Absent when the two are the same, and from services older than this field.
   */
  raw?: string;
  /** The post-processing steps that changed the text, in order (e.g. `replacements`, `llm`). */
  applied?: string[];
  /**
   * An edit by voice: `text` is the model's answer (empty when the edit failed), and this keeps
   * what it changed, so that nothing is lost and the original can be put back. Absent for dictation.
   */
  edit?: EditEntry;
}

/** What an edit by voice was given and what came of it. */
export interface EditEntry {
  /** What the user said. */
  instruction: string;
  /** The text that was selected (empty: the answer was written at the cursor). */
  selection: string;
  /**
   * `replaced`: the selection was replaced; `written`: written at the cursor; `saved`: answered but
   * not placed (the output failed, or a `retry` ran it once the selection was gone): `whis last
   * --paste` places it; `failed`: no answer, nothing changed.
   */
  outcome: EditOutcome;
  /** Why it failed, when it did. */
  error?: string;
}

/** What became of an edit by voice. */
export type EditOutcome = 'replaced' | 'written' | 'saved' | 'failed';

/** What a recording is for: dictation (default) or an edit of the selection by voice. */
export type { RecordingAction };

export interface ActionParams {
  /** What the recording that starts is for; ignored when the call finishes one. Default `dictate`. */
  action?: RecordingAction;
}

export interface HelloParams {
  protocolVersion: number;
  client?: string;
}
export interface HelloResult {
  protocolVersion: number;
  server: 'whis';
  version: string;
  pid: number;
}

export interface StatusResult {
  protocolVersion: number;
  state: ServiceState;
  pid: number;
  version: string;
  uptimeMs: number;
  /** Canonical hotkey spec, or null when the daemon runs without one. */
  hotkey: string | null;
  /** Why the hotkey is not active (no display, Wayland, …), or null. */
  hotkeyProblem: string | null;
  /** True once the global hotkey listener runs. */
  hotkeyActive: boolean;
  /**
   * Where the hotkey comes from: `x11` (the service reads the key on the X display) or `portal`
   * (the desktop's GlobalShortcuts portal). Absent without a hotkey and from older services.
   */
  hotkeyBackend?: string;
  /** The key the desktop bound (the portal's trigger_description, e.g. "Ctrl+Shift+R"), when it said. */
  hotkeyBinding?: string;
  recording: RecordingInfo | null;
  /** The recordings whose transcription is in flight. */
  transcribing: string[];
  lastError: ErrorInfo | null;
  /** What is missing for a recording to succeed (no API key, no microphone, …). */
  problems: string[];
  /**
   * Where transcripts go and, for `type` and `paste`, with which tool and why, e.g. "paste with
   * xdotool (X11 session)". Absent from services older than this field.
   */
  output?: string;
  /**
   * How recordings are transcribed, e.g. "file, gpt-transcribe" or "realtime, gpt-live-transcribe
   * (missed segments uploaded with gpt-transcribe)". Absent from services older than this field.
   */
  transcription?: string;
  /**
   * The feedback in force, e.g. "notifications: errors; sounds: start, stop (paplay, volume 60);
   * media paused while recording". Absent from services older than this field.
   */
  feedback?: string;
  /**
   * The uploads in flight and the attempt each is on, e.g. attempt 2 of 3 after the first got no
   * answer. Absent from services older than this field.
   */
  uploads?: UploadInfo[];
  /**
   * What post-processing does to transcripts, e.g. "replacements (3 set) → spoken; xterm:
   * replacements, final punctuation: remove", or "none". Absent from services older than this field.
   */
  postProcess?: string;
  /**
   * Edit by voice: its key, where the selection is sent, why it cannot run, and what the last edit
   * did. Absent from services older than this field.
   */
  edit?: EditStatus;
}

export interface EditStatus {
  /** Canonical spec of the edit key, or null when there is none (`editHotkey none`, or no hotkey). */
  hotkey: string | null;
  /** Why the edit key does not work (another program holds it, …), with the fix. */
  hotkeyProblem?: string;
  /** The key the desktop bound for it (the portal), when it said. */
  hotkeyBinding?: string;
  /** Where the selection and the instruction are sent, e.g. "http://127.0.0.1:11434/v1 (llama3.2)". */
  endpoint?: string;
  /** Why an edit cannot run now (no chat endpoint, …), with the fix; absent when it can. */
  problem?: string;
  /** How the selection is read: auto, primary or copy. */
  selection?: string;
  /** What the last edit did, and when (ISO 8601). */
  last?: { outcome: EditOutcome; at: string; recordingId: string };
}

export interface StateChangeResult {
  protocolVersion: number;
  state: ServiceState;
  /** The recording that was started, finished or cancelled; null when nothing happened. */
  recordingId: string | null;
}

export interface LastParams {
  limit?: number;
}
export interface LastResult {
  protocolVersion: number;
  transcripts: TranscriptEntry[];
}

export interface RetryParams {
  /** Recording id; omitted: the most recent recording without a transcript. */
  id?: string;
}
export interface RetryResult {
  protocolVersion: number;
  id: string;
  text: string;
  /** The recording was already being transcribed: this retry waited for that upload instead of sending another. */
  joined?: boolean;
  /** The recording was already transcribed: its stored text, nothing uploaded or delivered again. */
  stored?: boolean;
}

export interface SubscribeResult {
  protocolVersion: number;
  subscribed: true;
}

export interface ShutdownResult {
  protocolVersion: number;
  /** What happened to a recording or transcription in progress. */
  recordings: Array<{ id: string; outcome: 'transcribed' | 'kept' | 'discarded'; text?: string }>;
}

/** Every method, its params and its result. */
export interface Methods {
  hello: { params: HelloParams; result: HelloResult };
  status: { params: void; result: StatusResult };
  toggle: { params: ActionParams | void; result: StateChangeResult };
  start: { params: ActionParams | void; result: StateChangeResult };
  finish: { params: void; result: StateChangeResult };
  cancel: { params: void; result: StateChangeResult };
  subscribe: { params: void; result: SubscribeResult };
  last: { params: LastParams | void; result: LastResult };
  retry: { params: RetryParams | void; result: RetryResult };
  shutdown: { params: void; result: ShutdownResult };
}
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Methods[M]['params'];
export type ResultOf<M extends MethodName> = Methods[M]['result'];

/** Pushed to subscribers as the JSON-RPC notification `{"method":"event","params":<ServiceEvent>}`. */
export type ServiceEvent =
  | {
      type: 'state';
      state: ServiceState;
      recordingId: string | null;
      /** `edit`: the recording that began is an edit by voice (its words are an instruction). */
      action?: 'edit';
    }
  | { type: 'level'; recordingId: string; level: Level; durationMs: number }
  | { type: 'progress'; recordingId: string; done: number; total: number }
  /** An upload is tried again (`attempt` ≥ 2) after `previousError` (e.g. "no answer in 13 s"). */
  | ({ type: 'attempt'; previousError?: string } & UploadInfo)
  /** The final text (post-processed), and the recogniser's own when post-processing changed it. */
  | {
      type: 'transcript';
      recordingId: string;
      text: string;
      raw?: string;
      /** An edit by voice: `text` is the answer, and what was done with it. */
      edit?: { outcome: 'replaced' | 'written'; instruction: string };
    }
  /** A piece of a segment's text as it is recognised (live transcription), to append to what came before. */
  | { type: 'transcript.delta'; recordingId: string; segment: number; text: string }
  /** The final text of a segment (0, 1, …), while the recording may still go on. */
  | { type: 'transcript.segment'; recordingId: string; segment: number; text: string }
  | { type: 'error'; error: ErrorInfo };

export const EVENT_METHOD = 'event';

/** JSON-RPC 2.0 standard error codes, and whis's own in the server range. */
export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** The request does not fit the current state (e.g. `finish` while idle). */
  InvalidState: -32001,
  /** No such recording (retry). */
  NotFound: -32002,
  /** Something the request needs is missing: microphone, API key, … */
  Unavailable: -32003,
  /** The client speaks another major protocol version. */
  IncompatibleProtocol: -32004,
  /** The daemon is shutting down or over its connection limit. */
  Busy: -32005,
  /** The line was longer than MAX_LINE_BYTES. */
  LineTooLong: -32006,
} as const;
