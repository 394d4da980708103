// What the outputs' needs are checked with, for `whis doctor`: the graphical session, a clipboard
// tool, and a way to type (a tool, or the desktop's RemoteDesktop portal). The output library loads
// when a check runs: `whis status` reads the outputs' rows without it.
import type { Settings } from '@whis/config';
import { required, type Check } from '../row.js';

const SESSION_NAMES: Record<string, string> = { x11: 'X11', wayland: 'Wayland' };

/** A graphical session (DISPLAY or WAYLAND_DISPLAY). */
export async function probeSession(env: NodeJS.ProcessEnv): Promise<Check> {
  const { detectSession } = await import('@whis/output');
  const session = detectSession(env, process.platform);
  return session.kind === 'none'
    ? required({
        name: 'Session',
        ok: false,
        detail: 'no graphical session: neither DISPLAY nor WAYLAND_DISPLAY is set',
        fix: 'Run whis inside your graphical session (or use `outputs stdout,file`).',
      })
    : required({
        name: 'Session',
        ok: true,
        detail: `${SESSION_NAMES[session.kind] ?? session.desktop} (${session.desktop})`,
      });
}

/** The first clipboard tool of the session that is installed. */
export async function probeClipboard(env: NodeJS.ProcessEnv): Promise<Check> {
  const { clipboardTools, onPath } = await import('@whis/output');
  const tools = clipboardTools(env, process.platform);
  const found = tools.find((t) => onPath(t.command, env));
  return required({
    name: 'Clipboard',
    ok: found !== undefined,
    detail: found
      ? found.command
      : tools.length
        ? `none of ${tools.map((t) => t.command).join(', ')}`
        : 'no clipboard without a display',
    ...(found || tools.length === 0 ? {} : { fix: `Install ${tools[0]!.install}.` }),
  });
}

/** The keyboard that would type; for the portal, what the desktop answers (no session started). */
export async function probeTyping(settings: Settings, env: NodeJS.ProcessEnv): Promise<Check> {
  const { describeInsertion, insertOptionsFrom, probeRemoteDesktop } = await import('@whis/output');
  const insertion = describeInsertion({ ...insertOptionsFrom(settings), env });
  const check = (detail: string, fix?: string) =>
    required({
      name: 'Typing and pasting',
      ok: fix === undefined,
      detail,
      ...(fix ? { fix } : {}),
    });
  if (!insertion.tool)
    return check(
      insertion.why,
      'Install the tool named above, or `whis config set outputs clipboard`.',
    );
  if (insertion.tool !== 'portal') return check(`${insertion.tool} (${insertion.why})`);
  // the portal: what the desktop answers, without starting a session (no dialog, no notification);
  // when it cannot type, the next keyboard of the session's order does
  const probe = await probeRemoteDesktop(env);
  if (probe.ok && probe.keyboard)
    return check(`desktop portal (${probe.detail}; ${insertion.why})`);
  if (insertion.fallback)
    return check(
      `${insertion.fallback} (the desktop portal cannot type: ${probe.ok ? 'no keyboard' : probe.reason})`,
    );
  return check(
    probe.ok ? 'the desktop portal offers no keyboard' : probe.reason,
    'Follow the advice above, or `whis config set outputs clipboard`.',
  );
}
