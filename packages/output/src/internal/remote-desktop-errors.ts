import { WhisError } from '@whis/contracts';

/** Why the desktop's RemoteDesktop portal cannot type. */
export type RemoteDesktopProblem =
  'no-bus' | 'no-portal' | 'no-remote-desktop' | 'refused' | 'closed' | 'failed';

/**
 * A RemoteDesktop failure, coded in the output domain (it fails a delivery): `code` is the
 * problem; `unavailable`: the desktop has no such portal (another keyboard may do).
 */
export class RemoteDesktopError extends WhisError<'output', RemoteDesktopProblem> {
  readonly unavailable: boolean;
  constructor(problem: RemoteDesktopProblem, message: string, options: { cause?: unknown } = {}) {
    super('RemoteDesktopError', 'output', problem, message, options);
    this.unavailable =
      problem === 'no-bus' || problem === 'no-portal' || problem === 'no-remote-desktop';
  }

  /** The problem: the same as `code`. */
  get problem(): RemoteDesktopProblem {
    return this.code;
  }
}

const FIX_UINPUT =
  'or set `whis config set typeTool ydotool` (needs /dev/uinput and the input group), or use `outputs clipboard`';

/** The one message for each problem, with the fix. */
export function remoteDesktopProblem(problem: RemoteDesktopProblem, detail = ''): string {
  const why = detail ? ` (${detail})` : '';
  switch (problem) {
    case 'no-bus':
      return `No D-Bus session bus${why}, so no desktop portal to type through. Run whis inside your desktop session, ${FIX_UINPUT}.`;
    case 'no-portal':
      return `No desktop portal (xdg-desktop-portal) answers on the session bus${why}. Install xdg-desktop-portal and your desktop's backend (xdg-desktop-portal-kde or xdg-desktop-portal-gnome), ${FIX_UINPUT}.`;
    case 'no-remote-desktop':
      return `The desktop portal offers no RemoteDesktop keyboard${why}: KDE Plasma 5.27+ and GNOME have it (xdg-desktop-portal-kde, xdg-desktop-portal-gnome); ${FIX_UINPUT}.`;
    case 'refused':
      return `The desktop did not allow whis to type${why}: the remote-control request was declined or its dialog closed. The next dictation asks again (allow it, and tick "remember" where offered), ${FIX_UINPUT}.`;
    case 'closed':
      return `The desktop ended whis's remote-control session${why} (from its tray icon or notification). The next dictation starts a new one.`;
    case 'failed':
      return `Typing through the desktop portal failed${why}. The next dictation starts a new session, ${FIX_UINPUT}.`;
  }
}
