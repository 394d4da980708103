import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionBus } from '@whis/dbus';

/**
 * The first keyboard layout's short name, the one the RemoteDesktop portal types with: KDE says it
 * over D-Bus when several are configured (KWin offers org.kde.keyboard only then), else its
 * `kxkbrc` names it; `XKB_DEFAULT_LAYOUT` elsewhere. Undefined when unknown (GNOME keeps it in dconf).
 */
export async function firstKeyboardLayout(
  env: NodeJS.ProcessEnv,
  bus?: SessionBus,
): Promise<string | undefined> {
  const kde = /kde/i.test(env.XDG_CURRENT_DESKTOP ?? '');
  if (kde && bus) {
    try {
      const [reply] = await bus.call({
        destination: 'org.kde.keyboard',
        path: '/Layouts',
        interface: 'org.kde.KeyboardLayouts',
        member: 'getLayoutsList',
      });
      const list = reply as Array<[string, string, string]> | undefined;
      if (list?.[0]?.[0]) return list[0][0];
    } catch {
      // one layout (or an older KWin): the settings file says it
    }
  }
  if (kde) {
    const home = env.XDG_CONFIG_HOME || join(env.HOME ?? '', '.config');
    const config = await readFile(join(home, 'kxkbrc'), 'utf8').catch(() => '');
    const use = /^\s*Use\s*=\s*true\s*$/m.test(config);
    const list = /^\s*LayoutList\s*=\s*([^\s,]+)/m.exec(config)?.[1];
    if (use && list) return list;
  }
  return env.XKB_DEFAULT_LAYOUT?.split(',')[0] || undefined;
}
