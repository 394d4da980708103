export { startXvfb, xdotool, type VirtualDisplay } from './xvfb.js';
export { startVirtualMicrophone, type VirtualMicrophone } from './microphone.js';
export { synthesize, recognize, toWav16k, wordEdits } from './speech.js';
export { makeLabelledClips, SHORT_REPLIES, type LabelledClip } from './clips.js';
export {
  startTranscriptionServer,
  recognizeUpload,
  HANG,
  type TranscriptionServer,
  type TranscriptionRequest,
  type TranscriptionHandler,
  type ScriptedReply,
  type UploadLimits,
  OPENAI_LIMITS,
  recognizeSpeechOnly,
} from './transcription-server.js';
export {
  startDeepgramServer,
  startElevenLabsServer,
  deepgramError,
  elevenLabsError,
  type ProviderServer,
  type DeepgramLiveControls,
  type ElevenLabsLiveControls,
  type ProviderRequest,
  type ProviderHandler,
} from './provider-servers.js';
export { type RealtimeControls, type RealtimeConnectionLog } from './realtime-server.js';
export {
  describeThreads,
  processAlive,
  run,
  runChecked,
  stopChild,
  type RunResult,
} from './process.js';
export {
  openXterm,
  openEntry,
  startSway,
  WAYLAND_TEST_USER,
  type TerminalWindow,
  type EntryWindow,
  type WaylandSession,
} from './windows.js';
export { startPortalFrontend, type PortalFrontend } from './portal-bus.js';
export {
  startShortcutsBackend,
  type ShortcutsBackend,
  type ShortcutsBackendCall,
} from './shortcuts-backend.js';
export {
  startKdeSession,
  buildFakeInput,
  EVDEV_KEYS,
  QT_KEYS,
  type KdeSession,
  type KdeSessionOptions,
  type KeyInjector,
  type TextWindow,
} from './kde-session.js';
export { startSessionBus, type SessionBus } from './session-bus.js';
export {
  startRemoteDesktopPortal,
  type RemoteDesktopPortal,
  type RemoteDesktopCall,
} from './remote-desktop-portal.js';
export {
  startNotificationDaemon,
  startMediaPlayer,
  toneWav,
  type NotificationDaemon,
  type MediaPlayer,
} from './desktop.js';
export {
  startChatServer,
  tidyLikeAModel,
  obeyLikeAModel,
  editLikeAModel,
  answerEdit,
  readEditBlocks,
  GERMAN,
  LATE_REPLY,
  WRITTEN_REPLY,
  type EditBlocks,
  type ChatServer,
  type ChatRequest,
  type ChatBehaviour,
} from './chat-server.js';
export {
  toneShare,
  strongestTone,
  toneAmplitude,
  decodeAudio,
  recordSink,
  notesWav,
} from './tone.js';
export {
  openKeyRecorder,
  grabKeyElsewhere,
  moveKey,
  pressKey,
  openCopyWindow,
  hangSelection,
  xConnectionsOf,
  keycodesWith,
  X_MODIFIERS,
  type CopyWindow,
  type KeyRecorder,
  type KeyGrabElsewhere,
  type MovedKey,
} from './x-clients.js';
export {
  startGnomeSession,
  gnome48Root,
  GNOME48_ROOT,
  KEYSYMS,
  type GnomeSession,
  type GnomeSessionOptions,
  type GnomeKeys,
} from './gnome-session.js';
export {
  writeTinyParakeet,
  serveTinyParakeet,
  burstsPcm,
  BURST_WORD,
  type TinyParakeet,
  type ServedModel,
  type BrokenParakeet,
} from './parakeet.js';
export {
  encodeModel,
  floats,
  int64s,
  int8s,
  DT,
  type Model as OnnxModel,
  type Node as OnnxNode,
  type Tensor as OnnxTensor,
} from './onnx.js';
export {
  startFileServer,
  type FileServer,
  type FileServerControls,
  type FileRequest,
} from './file-server.js';
