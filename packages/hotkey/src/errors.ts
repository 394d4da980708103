export type HotkeyErrorCode = 'invalid-hotkey';

/** An invalid hotkey spec; the message quotes it and lists what is accepted. */
export class HotkeyError extends Error {
  readonly code: HotkeyErrorCode;
  constructor(code: HotkeyErrorCode, message: string) {
    super(message);
    this.name = 'HotkeyError';
    this.code = code;
  }
}
