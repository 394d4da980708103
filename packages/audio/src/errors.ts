import { WhisError } from '@whis/contracts';
export type AudioErrorCode =
  | 'no-device'
  | 'device-not-found'
  | 'device-busy'
  | 'device-failed'
  | 'device-lost'
  | 'write-failed'
  | 'disk-full'
  | 'native-unavailable'
  | 'vad-unavailable'
  | 'ffmpeg-missing'
  | 'unreadable-file';

/** A capture failure: `code` for programs, a message naming the device and what to do. */
export class AudioError extends WhisError<'audio', AudioErrorCode> {
  constructor(code: AudioErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('AudioError', 'audio', code, message, options);
  }
}
