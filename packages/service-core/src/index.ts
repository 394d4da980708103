export type {
  Level,
  AudioChunk,
  CaptureOptions,
  CapturedAudio,
  Capture,
  AudioSource,
  TranscribeOptions,
  Transcriber,
  LiveTranscriber,
  LiveSession,
  LiveSessionOptions,
  Output,
  TextProcessor,
  TextProcessOptions,
  ProcessedText,
  TriggerEvent,
  Trigger,
  RecordingHooks,
  CapturePrelude,
  Logger,
  Clock,
} from './ports.js';
export {
  InstanceError,
  JournalError,
  HostError,
  type InstanceErrorCode,
  type JournalErrorCode,
  type HostErrorCode,
} from './errors.js';
export {
  resolveRuntimeDir,
  runtimeDirPath,
  type RuntimeDir,
  type RuntimeDirOptions,
} from './runtime.js';
export {
  acquireInstance,
  probeInstance,
  type Instance,
  type AcquireOptions,
  type ProbeResult,
} from './instance.js';
export {
  transition,
  INITIAL_STATE,
  type Phase,
  type MachineState,
  type MachineEvent,
  type Effect,
  type Transition,
} from './machine.js';
export {
  createJournal,
  newRecordingId,
  type Journal,
  type JournalOptions,
  type RecordingMeta,
  type RecordingState,
  type TranscriptRecord,
} from './journal.js';
export { lockJournal, type JournalLock } from './journal-lock.js';
export {
  createServiceHost,
  type ServiceHost,
  type ServiceHostOptions,
  type EditParts,
} from './host.js';
export { serveOverIpc, type ServeOptions } from './serve.js';
