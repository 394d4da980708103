import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { connectSessionBus, PORTAL, PORTAL_PATH } from '@whis/dbus';

/**
 * The application id whis registers with the desktop portal (xdg-desktop-portal 1.19+'s host
 * Registry). It must be a valid GApplication id (reverse DNS, with a dot): GNOME's shortcuts
 * provider drops a bind from any other ("invalid app_id"), and the portal needs `<id>.desktop`.
 */
export const PORTAL_APP_ID = 'io.github.whis.Whis';

const REGISTRY = 'org.freedesktop.host.portal.Registry';

/**
 * Whether the desktop portal on `env`'s session bus knows host programs by their desktop entry:
 * it has the host Registry (xdg-desktop-portal 1.19+, as on GNOME 48), where GlobalShortcuts needs
 * `<appId>.desktop`. False when it has none, or no portal answers. For `whis setup` and `whis doctor`.
 */
export async function portalNeedsDesktopEntry(
  env: NodeJS.ProcessEnv,
  timeoutMs = 5000,
): Promise<boolean> {
  if (!env.DBUS_SESSION_BUS_ADDRESS) return false;
  const bus = await connectSessionBus({ env, timeoutMs }).catch(() => undefined);
  if (!bus) return false;
  try {
    const [xml] = await bus.call({
      destination: PORTAL,
      path: PORTAL_PATH,
      interface: 'org.freedesktop.DBus.Introspectable',
      member: 'Introspect',
    });
    return String(xml).includes(REGISTRY);
  } catch {
    return false;
  } finally {
    bus.close();
  }
}

/** Where whis writes its desktop entry: `$XDG_DATA_HOME/applications/<appId>.desktop`. */
export function desktopEntryPath(env: NodeJS.ProcessEnv, appId = PORTAL_APP_ID): string {
  const data = env.XDG_DATA_HOME || join(env.HOME ?? '', '.local', 'share');
  return join(data, 'applications', `${appId}.desktop`);
}

/** The folders the desktop reads entries from, in its order: `XDG_DATA_HOME`, then `XDG_DATA_DIRS`. */
function dataDirs(env: NodeJS.ProcessEnv): string[] {
  const home = env.XDG_DATA_HOME || join(env.HOME ?? '', '.local', 'share');
  const dirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean);
  return [home, ...dirs];
}

/** What the desktop finds for `appId`: the entry's path and its `Exec`, or why it finds none. */
export type DesktopEntryCheck =
  { ok: true; path: string; exec: string } | { ok: false; path?: string; reason: string };

/**
 * Looks for `<appId>.desktop` where the desktop does, and checks that its program exists: GLib (and
 * so the portal) ignores an entry whose `Exec` names a missing program.
 */
export async function checkDesktopEntry(
  env: NodeJS.ProcessEnv,
  appId = PORTAL_APP_ID,
): Promise<DesktopEntryCheck> {
  for (const dir of dataDirs(env)) {
    const path = join(dir, 'applications', `${appId}.desktop`);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const exec = /^Exec=(.*)$/m.exec(text)?.[1]?.trim() ?? '';
    const program = unquote(exec.split(/\s+(?=(?:[^"]*"[^"]*")*[^"]*$)/)[0] ?? '');
    if (!program) return { ok: false, path, reason: `${path} has no Exec line` };
    if (isAbsolute(program) && !(await executable(program)))
      return { ok: false, path, reason: `${path} runs ${program}, which is missing` };
    return { ok: true, path, exec };
  }
  return { ok: false, reason: `no ${appId}.desktop in ${dataDirs(env).join(', ')}` };
}

const unquote = (word: string) => word.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
const executable = (path: string) =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  );

// Desktop entry Exec quoting: a word with a reserved character goes in double quotes
function quoteExec(word: string): string {
  return /[\s"'\\><~|&;$*?#()`]/.test(word) ? `"${word.replace(/(["`$\\])/g, '\\$1')}"` : word;
}

/**
 * Writes whis's hidden desktop entry (`NoDisplay=true`: not in menus) to
 * `$XDG_DATA_HOME/applications`, with `program` (absolute paths: the program and its arguments)
 * as its `Exec`. Replaces an entry there that is missing or broken; resolves with its path.
 */
export async function writeDesktopEntry(
  env: NodeJS.ProcessEnv,
  program: string[],
  appId = PORTAL_APP_ID,
): Promise<string> {
  const path = desktopEntryPath(env, appId);
  const text = [
    '[Desktop Entry]',
    'Type=Application',
    'Name=whis',
    'Comment=Voice to text: dictate with a global hotkey',
    `Exec=${program.map(quoteExec).join(' ')}`,
    'Terminal=false',
    'NoDisplay=true',
    'Categories=Utility;',
    '',
  ].join('\n');
  await mkdir(join(path, '..'), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, text, { mode: 0o644 });
  await rename(partial, path);
  return path;
}
