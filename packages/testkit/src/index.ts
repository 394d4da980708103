export { startXvfb, xdotool, type VirtualDisplay } from './xvfb.js';
export { startVirtualMicrophone, type VirtualMicrophone } from './microphone.js';
export { synthesize, recognize, toWav16k } from './speech.js';
export {
  startTranscriptionServer,
  recognizeUpload,
  type TranscriptionServer,
  type TranscriptionRequest,
  type TranscriptionHandler,
  type ScriptedReply,
} from './transcription-server.js';
export { type RealtimeControls, type RealtimeConnectionLog } from './realtime-server.js';
export { run, runChecked, stopChild, type RunResult } from './process.js';
export {
  openXterm,
  openEntry,
  startSway,
  WAYLAND_TEST_USER,
  type TerminalWindow,
  type EntryWindow,
  type WaylandSession,
} from './windows.js';
export { startSessionBus, type SessionBus } from './session-bus.js';
export {
  startNotificationDaemon,
  startMediaPlayer,
  toneWav,
  type NotificationDaemon,
  type MediaPlayer,
} from './desktop.js';
export { toneShare, strongestTone, decodeAudio, recordSink } from './tone.js';
