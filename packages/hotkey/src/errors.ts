import { WhisError } from '@whis/contracts';

/** Why the desktop portal gives no hotkey: its bus, the portal, its GlobalShortcuts, the user, the desktop. */
export type PortalProblem =
  'no-bus' | 'no-portal' | 'no-global-shortcuts' | 'cancelled' | 'refused';

export type HotkeyErrorCode = 'invalid-hotkey' | PortalProblem;

/**
 * A hotkey failure: an invalid spec (the message quotes it and lists what is accepted), or a portal
 * problem (its code; the message names the fix for the desktop in use).
 */
export class HotkeyError extends WhisError<'hotkey', HotkeyErrorCode> {
  constructor(code: HotkeyErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('HotkeyError', 'hotkey', code, message, options);
  }
}

/** Whether `err` is a portal problem of this package, and so carries the message to show. */
export function isPortalError(err: unknown): err is HotkeyError & { code: PortalProblem } {
  return err instanceof HotkeyError && err.code !== 'invalid-hotkey';
}
