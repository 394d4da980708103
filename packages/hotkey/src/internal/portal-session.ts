import type { Logger } from '@whis/contracts';
import {
  dbusErrorDetail,
  dbusErrorName,
  PORTAL,
  portalCall,
  portalRequest,
  type SessionBus,
  type Vardict,
} from '@whis/dbus';
import { checkDesktopEntry, writeDesktopEntry } from '../desktop-entry.js';
import type { HotkeyError, PortalProblem } from '../errors.js';
import { formatHotkey, type Hotkey } from '../spec.js';

/** The portal's GlobalShortcuts interface: its methods, and the signals of its sessions. */
export const SHORTCUTS = 'org.freedesktop.portal.GlobalShortcuts';
const REGISTRY = 'org.freedesktop.host.portal.Registry';

/** A shortcut as the portal lists it: its id and its properties (`trigger_description`, …). */
export type Shortcut = [string, Vardict];

/** A shortcut asked for: its id, what the desktop's settings call it, the key offered for it. */
export interface ShortcutRequest {
  id: string;
  description: string;
  /** The `preferred_trigger` (`CTRL+SHIFT+r`). */
  trigger: string;
}

/** What opening a GlobalShortcuts session needs, from the trigger that opens it. */
export interface PortalSessionContext {
  bus: SessionBus;
  env: NodeJS.ProcessEnv;
  /** The start's: stop() aborts what a request is still waiting for (a dialog). */
  signal: AbortSignal;
  /** The `session_handle_token`: one for every start (KDE names the shortcuts' owner after it). */
  token: string;
  /** The app id registered with the host Registry. */
  appId: string;
  /** Where a desktop entry is written when the Registry needs one and none is found. */
  desktopEntry?: { exec: string } | undefined;
  /** The dictation shortcut: without it there is no session worth having. */
  dictate: ShortcutRequest;
  /** The edit shortcut, asked for in the same session; its absence is only told. */
  edit?: (ShortcutRequest & { hotkey: Hotkey }) | undefined;
  log?: Pick<Logger, 'debug' | 'info'> | undefined;
  /** The coded error for a portal problem, its message the fix for this desktop. */
  problem(problem: PortalProblem, detail?: string, cause?: unknown): HotkeyError;
  /** The portal's GlobalShortcuts version; throws the problem when it has none that can fire. */
  version(): Promise<number>;
}

/** What the desktop bound in the session (`''`: bound, but with no description). */
export interface SessionBindings {
  binding: string;
  /** `''` too when no edit key was asked for; undefined when it was and is not bound. */
  editBinding: string | undefined;
  /** Why the edit key is not bound, with the fix (when it was asked for and is not). */
  editProblem: string | undefined;
}

/** Why the desktop gives no edit key, and what to do; dictation works on. */
export function editShortcutProblem(hotkey: Hotkey, why: string): string {
  return (
    `The desktop did not bind the edit key (${formatHotkey(hotkey)}): ${why}. Dictation works on. ` +
    `Assign a key to whis's "Edit the selection by voice" in your desktop's keyboard shortcut settings, ` +
    `or restart \`whis listen\` to be asked again; \`whis config set editHotkey none\` turns the edit key off.`
  );
}

/** What the desktop bound to shortcut `id` (`''`: undescribed); undefined when not listed. */
export function bindingIn(shortcuts: Shortcut[] | undefined, id: string): string | undefined {
  const ours = shortcuts?.find(([listed]) => listed === id);
  if (!ours) return undefined;
  const description = ours[1].trigger_description?.value as string | undefined;
  return description ?? '';
}

function shortcutsOf(context: PortalSessionContext): Shortcut[] {
  const { Variant } = context.bus.dbus;
  return [context.dictate, ...(context.edit ? [context.edit] : [])].map(
    ({ id, description, trigger }) => [
      id,
      {
        description: new Variant('s', description),
        preferred_trigger: new Variant('s', trigger),
      },
    ],
  );
}

// a portal request: its Response is waited for as long as the user takes (a dialog)
function request(
  context: PortalSessionContext,
  member: string,
  signature: string,
  body: (options: Vardict) => unknown[],
) {
  return portalRequest(context.bus, {
    interface: SHORTCUTS,
    member,
    signature,
    body,
    signal: context.signal,
  });
}

async function listShortcuts(context: PortalSessionContext, handle: string) {
  const listed = await request(context, 'ListShortcuts', 'oa{sv}', (options) => [handle, options]);
  return listed.results.shortcuts?.value as Shortcut[] | undefined;
}

// The portal's host Registry needs the app's desktop entry: written when missing
async function ensureDesktopEntry(context: PortalSessionContext): Promise<void> {
  const { env, appId, desktopEntry } = context;
  if (!desktopEntry) return;
  const found = await checkDesktopEntry(env, appId);
  if (found.ok || !(await hasRegistry(context.bus))) return;
  const path = await writeDesktopEntry(env, [desktopEntry.exec], appId);
  context.log?.info(
    { path, reason: found.reason },
    'wrote the desktop entry the portal needs to bind the hotkey',
  );
}

async function hasRegistry(bus: SessionBus): Promise<boolean> {
  try {
    const [xml] = await bus.call({
      destination: PORTAL,
      path: '/org/freedesktop/portal/desktop',
      interface: 'org.freedesktop.DBus.Introspectable',
      member: 'Introspect',
    });
    return String(xml).includes(REGISTRY);
  } catch {
    return false;
  }
}

/**
 * Registers the app (xdg-desktop-portal 1.19+), checks GlobalShortcuts and opens the session with
 * both shortcuts named in it; the handle is the session's, whose signals are ours from now on.
 */
export async function createSession(
  context: PortalSessionContext,
): Promise<{ handle: string; version: number }> {
  const { bus, appId, log } = context;
  await ensureDesktopEntry(context);
  try {
    await portalCall(bus, REGISTRY, 'Register', 'sa{sv}', [appId, {}]);
  } catch (err) {
    const name = dbusErrorName(err);
    // a portal older than 1.19 has no Registry: an unsandboxed app works without it
    if (name.endsWith('ServiceUnknown') || name.endsWith('NameHasNoOwner'))
      throw context.problem('no-portal', name, err);
    log?.debug({ err: name, detail: dbusErrorDetail(err) }, 'the host portal Registry refused');
  }
  const version = await context.version();
  const created = await request(context, 'CreateSession', 'a{sv}', (options) => [
    {
      ...options,
      session_handle_token: new bus.dbus.Variant('s', context.token),
      // KDE 5.27 registers only the shortcuts named here (it ignores BindShortcuts' list): both
      // keys are named in this one session
      shortcuts: new bus.dbus.Variant('a(sa{sv})', shortcutsOf(context)),
    },
  ]);
  if (created.response !== 0)
    throw context.problem('refused', `CreateSession answered ${created.response}`);
  // the handle comes back as a string on KDE, an object path elsewhere
  return { handle: String(created.results.session_handle?.value ?? ''), version };
}

/**
 * What the desktop bound in session `handle`: listed when bound before, else bound now
 * (BindShortcuts, with a dialog the first time). Throws the problem when the dictation shortcut is
 * not bound; an edit shortcut that is not comes back as `editProblem`.
 */
export async function bindShortcuts(
  context: PortalSessionContext,
  handle: string,
): Promise<SessionBindings> {
  const { dictate, edit } = context;
  const listed = await listShortcuts(context, handle);
  let binding = bindingIn(listed, dictate.id);
  let editBinding = edit ? bindingIn(listed, edit.id) : '';
  if (binding !== undefined && editBinding !== undefined)
    return { binding, editBinding, editProblem: undefined };
  // GNOME 48+ and KDE 6 bind here (with a dialog the first time); both keys in one request
  const bound = await request(context, 'BindShortcuts', 'oa(sa{sv})sa{sv}', (options) => [
    handle,
    shortcutsOf(context),
    '',
    options,
  ]);
  // What was bound decides, not the code alone: xdg-desktop-portal-gnome 48.0 answers a
  // successful bind with 2 and the shortcuts in its results (fixed in 49.0)
  let answered = bound.results.shortcuts?.value as Shortcut[] | undefined;
  const missing = () =>
    bindingIn(answered, dictate.id) === undefined ||
    (edit !== undefined && bindingIn(answered, edit.id) === undefined);
  if (bound.response !== 0 && missing()) answered = await listShortcuts(context, handle);
  binding ??= bindingIn(answered, dictate.id);
  if (edit) editBinding ??= bindingIn(answered, edit.id);
  if (binding === undefined && bound.response === 1) throw context.problem('cancelled');
  if (binding === undefined)
    throw context.problem(
      'refused',
      bound.response === 0
        ? 'the shortcut is not in its answer'
        : `BindShortcuts answered ${bound.response}`,
    );
  const editProblem =
    editBinding === undefined && edit
      ? editShortcutProblem(
          edit.hotkey,
          bound.response === 1
            ? 'the request was declined or its dialog closed'
            : bound.response === 0
              ? 'the edit shortcut is not in its answer'
              : `BindShortcuts answered ${bound.response}`,
        )
      : undefined;
  if (bound.response !== 0)
    context.log?.debug(
      { response: bound.response, binding, editBinding },
      'the desktop answered BindShortcuts with an error code but bound the shortcut',
    );
  return { binding, editBinding, editProblem };
}
