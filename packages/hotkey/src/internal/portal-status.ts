import type { Logger, TriggerEvent } from '@whis/contracts';
import type { HotkeyError } from '../errors.js';
import { formatHotkey, type Hotkey } from '../spec.js';

/** The edit shortcut is bound (with what the desktop bound) or not (why, with the fix). */
export type PortalEditStatus =
  { available: true; binding?: string } | { available: false; reason: string };

export interface PortalStatusOptions {
  /** The trigger's running state: its `binding` is kept here. */
  state: { binding?: string | undefined };
  editHotkey?: Hotkey | undefined;
  onEditStatus?: ((status: PortalEditStatus) => void) | undefined;
  log?: Pick<Logger, 'debug' | 'warn'> | undefined;
}

/**
 * What the portal trigger says of its shortcuts: `available` (with the binding) and `unavailable`
 * (with the fix) as trigger events, the edit key's status to `onEditStatus`; each said once per
 * change, as the portal may tell the same twice.
 */
export interface PortalStatus {
  /** A new start: its events go to `emit`, and the edit key's status is told afresh. */
  start(emit: (event: TriggerEvent) => void): void;
  /** A new session: its binding is announced even when the same as the last one's. */
  reopened(): void;
  /** The dictation shortcut is bound (`binding` undefined: with no description). */
  available(binding: string | undefined): void;
  /** No dictation shortcut, and so no edit shortcut either. */
  unavailable(err: HotkeyError): void;
  /** The edit shortcut is bound (`problem` undefined) or not; `quiet`: its problem was logged. */
  edit(binding: string | undefined, problem?: string, quiet?: boolean): void;
}

/** The portal trigger's status, kept apart from the session that finds it out. */
export function createPortalStatus(options: PortalStatusOptions): PortalStatus {
  const { state, editHotkey, log } = options;
  let emit: (event: TriggerEvent) => void = () => undefined;
  let lastProblem: string | undefined;
  // said once per binding: a desktop may announce the binding twice (ShortcutsChanged, then the
  // answer to BindShortcuts)
  let announced: string | undefined;
  // the edit key's state, said once per change
  let editSaid: string | undefined;

  const edit = (binding: string | undefined, problem?: string, quiet = false) => {
    if (!editHotkey) return;
    const said = problem === undefined ? `bound:${binding ?? ''}` : `problem:${problem}`;
    if (said === editSaid) return;
    editSaid = said;
    if (problem === undefined) {
      log?.debug({ binding }, 'portal edit shortcut bound');
      options.onEditStatus?.({ available: true, ...(binding ? { binding } : {}) });
    } else {
      if (!quiet) log?.warn({ editHotkey: formatHotkey(editHotkey) }, problem);
      options.onEditStatus?.({ available: false, reason: problem });
    }
  };

  return {
    start(listener) {
      emit = listener;
      editSaid = undefined;
    },
    reopened() {
      announced = undefined;
    },
    available(binding) {
      state.binding = binding;
      const said = binding ?? '';
      if (lastProblem === undefined && announced === said) return;
      lastProblem = undefined;
      announced = said;
      emit(binding ? { type: 'available', binding } : { type: 'available' });
    },
    unavailable(err) {
      const reason = err.message;
      state.binding = undefined;
      announced = undefined;
      // (quiet: the whole trigger's problem, logged below once)
      edit(undefined, reason, true);
      if (reason === lastProblem) return;
      lastProblem = reason;
      log?.warn({ err }, 'portal hotkey unavailable');
      emit({ type: 'unavailable', reason });
    },
    edit,
  };
}
