export {
  createMicrophone,
  listInputDevices,
  type InputDevice,
  type MicrophoneOptions,
  type MicrophoneCapture,
  type MicrophoneSource,
  type MicrophoneLogger,
  type CaptureStats,
} from './microphone.js';
export { createPcmSource, type PcmSource, type PcmSourceOptions } from './pcm-source.js';
export { AudioError, type AudioErrorCode } from './errors.js';
export {
  loadSpeechModel,
  type SpeechDetector,
  type SpeechModel,
  type SpeechModelOptions,
} from './speech.js';
export {
  PieceCutter,
  cutPieces,
  type FilePiece,
  type PieceCutterOptions,
  type CutPiecesOptions,
} from './file-pieces.js';
export { decodeAudioFile, probeAudioFile, type DecodeOptions } from './decode.js';
export type { AudioSource, Capture, CapturedAudio, AudioChunk, Level } from './types.js';
