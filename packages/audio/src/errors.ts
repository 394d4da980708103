export type AudioErrorCode =
  | 'no-device'
  | 'device-not-found'
  | 'device-busy'
  | 'device-failed'
  | 'device-lost'
  | 'write-failed'
  | 'disk-full'
  | 'native-unavailable'
  | 'vad-unavailable';

/** A capture failure: `code` for programs, a message naming the device and what to do. */
export class AudioError extends Error {
  readonly code: AudioErrorCode;
  constructor(code: AudioErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AudioError';
    this.code = code;
  }
}
