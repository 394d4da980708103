import { WhisError } from '@whis/contracts';

export type HotkeyErrorCode = 'invalid-hotkey';

/** An invalid hotkey spec; the message quotes it and lists what is accepted. */
export class HotkeyError extends WhisError<'hotkey', HotkeyErrorCode> {
  constructor(code: HotkeyErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('HotkeyError', 'hotkey', code, message, options);
  }
}
