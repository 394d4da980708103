import { describe, expect, it } from 'vitest';
import { parseChord, pasteChordFor } from '../chords.js';
import { detectSession } from '../session.js';
import { activeWindowQuery } from '../window-class.js';
import { KEYBOARDS, KEYBOARD_NAMES, keyboardsFor } from './index.js';
import { escapeSendKeys } from './powershell.js';

const ctrlShiftV = parseChord('ctrl+shift+v');

describe('the session decides the tools', () => {
  it.each([
    [{ DISPLAY: ':0' }, 'linux', 'x11', ['xdotool']],
    [
      { WAYLAND_DISPLAY: 'wayland-1', SWAYSOCK: '/run/sway.sock' },
      'linux',
      'wayland',
      ['wtype', 'ydotool', 'dotool'],
    ],
    [
      { WAYLAND_DISPLAY: 'wayland-0', HYPRLAND_INSTANCE_SIGNATURE: 'x' },
      'linux',
      'wayland',
      ['wtype', 'ydotool', 'dotool'],
    ],
    [
      { WAYLAND_DISPLAY: 'wayland-0', XDG_CURRENT_DESKTOP: 'GNOME' },
      'linux',
      'wayland',
      ['portal', 'ydotool', 'dotool', 'wtype'],
    ],
    [
      { XDG_SESSION_TYPE: 'wayland', XDG_CURRENT_DESKTOP: 'KDE', DISPLAY: ':1' },
      'linux',
      'wayland',
      ['portal', 'ydotool', 'dotool', 'wtype'],
    ],
    [{}, 'darwin', 'macos', ['osascript']],
    [{}, 'win32', 'windows', ['powershell']],
    [{}, 'linux', 'none', []],
  ] as const)('%o on %s: %s, %o', (env, platform, kind, tools) => {
    const session = detectSession(env, platform);
    expect(session.kind).toBe(kind);
    expect(keyboardsFor(session).keyboards.map((k) => k.name)).toEqual(tools);
  });

  it('the catalogue names every keyboard, the portal among them', () => {
    expect(KEYBOARD_NAMES).toEqual([
      'xdotool',
      'wtype',
      'ydotool',
      'dotool',
      'portal',
      'osascript',
      'powershell',
    ]);
    expect(
      KEYBOARDS.portal.usable({ WAYLAND_DISPLAY: 'w', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }),
    ).toBe(true);
    expect(KEYBOARDS.portal.usable({ WAYLAND_DISPLAY: 'w' })).toBe(false);
  });

  it('says why there is nothing to type with', () => {
    expect(keyboardsFor(detectSession({}, 'linux')).why).toMatch(/no graphical session/);
  });
});

describe('chords', () => {
  it('parses modifiers and a key, and refuses what is not a chord', () => {
    expect(parseChord('ctrl+shift+v')).toEqual({ modifiers: ['ctrl', 'shift'], key: 'v' });
    expect(parseChord('shift+Insert')).toEqual({ modifiers: ['shift'], key: 'Insert' });
    expect(parseChord('cmd+v')).toEqual({ modifiers: ['super'], key: 'v' });
    expect(() => parseChord('hyper+v')).toThrow(/not a key chord.*ctrl\+shift\+v/);
    expect(() => parseChord('ctrl+')).toThrow(/not a key chord/);
  });

  it('terminals get ctrl+shift+v, xterm shift+Insert with PRIMARY, others ctrl+v, overrides win', () => {
    expect(pasteChordFor('foot')).toMatchObject({ chord: ctrlShiftV, primary: false });
    expect(pasteChordFor('Alacritty').chord).toEqual(ctrlShiftV);
    expect(pasteChordFor('org.gnome.Console').chord).toEqual(ctrlShiftV);
    expect(pasteChordFor('XTerm')).toMatchObject({
      chord: parseChord('shift+Insert'),
      primary: true,
    });
    expect(pasteChordFor('firefox')).toMatchObject({ chord: parseChord('ctrl+v'), why: 'default' });
    expect(pasteChordFor(undefined).chord).toEqual(parseChord('ctrl+v'));
    const settings = ['ctrl+alt+v', 'kitty=ctrl+shift+v', 'Emacs=shift+Insert'];
    expect(pasteChordFor('firefox', settings).chord).toEqual(parseChord('ctrl+alt+v'));
    expect(pasteChordFor('emacs', settings)).toMatchObject({
      chord: parseChord('shift+Insert'),
      primary: false,
    });
    expect(pasteChordFor('foot', ['foot=ctrl+v']).chord).toEqual(parseChord('ctrl+v'));
  });
});

describe('the commands each tool runs', () => {
  it('xdotool: clears held modifiers; ASCII runs fast, other runs 40 ms a key', () => {
    expect(KEYBOARDS.xdotool.type('a é b')).toEqual([
      {
        command: 'xdotool',
        args: ['type', '--clearmodifiers', '--delay', '2', '--file', '-'],
        input: 'a ',
      },
      {
        command: 'xdotool',
        args: ['type', '--clearmodifiers', '--delay', '40', '--file', '-'],
        input: 'é',
      },
      {
        command: 'xdotool',
        args: ['type', '--clearmodifiers', '--delay', '2', '--file', '-'],
        input: ' b',
      },
    ]);
    expect(KEYBOARDS.xdotool.press(ctrlShiftV)).toEqual({
      command: 'xdotool',
      args: ['key', '--clearmodifiers', 'ctrl+shift+v'],
    });
  });

  it('wtype: text on stdin (a leading - is not an option), modifiers held and released', () => {
    expect(KEYBOARDS.wtype.type('-rf /')).toEqual([
      { command: 'wtype', args: ['-s', '30', '-'], input: '-rf /' },
    ]);
    expect(KEYBOARDS.wtype.press(ctrlShiftV).args).toEqual([
      '-s',
      '30',
      '-M',
      'ctrl',
      '-M',
      'shift',
      '-k',
      'v',
      '-m',
      'shift',
      '-m',
      'ctrl',
    ]);
  });

  it('ydotool and dotool: ASCII only, chords by name', () => {
    expect(KEYBOARDS.ydotool.unicode).toBe(false);
    expect(KEYBOARDS.ydotool.press(ctrlShiftV)).toEqual({
      command: 'ydotool',
      args: ['key', 'ctrl+shift+v'],
    });
    expect(KEYBOARDS.dotool.type('hi')).toEqual([
      { command: 'dotool', args: [], input: 'type hi\n' },
    ]);
    expect(KEYBOARDS.dotool.press(ctrlShiftV).input).toBe('key ctrl+shift+v\n');
  });

  it('macOS: the text is an argument of the AppleScript, never quoted into it; cmd+v', () => {
    const [cmd] = KEYBOARDS.osascript.type('say "hi" \\ end');
    expect(cmd!.command).toBe('osascript');
    expect(cmd!.args.at(-1)).toBe('say "hi" \\ end');
    expect(cmd!.args.join(' ')).toContain('keystroke (item 1 of argv)');
    expect(KEYBOARDS.osascript.press(parseChord('cmd+v')).args).toEqual([
      '-e',
      'tell application "System Events" to keystroke "v" using {command down}',
    ]);
  });

  it('Windows: SendKeys syntax characters are sent literally; ctrl+v is ^v', () => {
    expect(escapeSendKeys('1+1=2 (50%) {x} [y] ~^')).toBe(
      '1{+}1=2 {(}50{%}{)} {{}x{}} {[}y{]} {~}{^}',
    );
    expect(KEYBOARDS.powershell.type('a+b')[0]!.input).toBe('a{+}b');
    expect(KEYBOARDS.powershell.press(parseChord('ctrl+v')).input).toBe('^v');
    expect(KEYBOARDS.powershell.press(parseChord('shift+Insert')).input).toBe('+{INSERT}');
  });
});

describe('the focused window', () => {
  it('X11: xdotool finds the window, xprop its class', () => {
    const query = activeWindowQuery(detectSession({ DISPLAY: ':0' }, 'linux'), {})!;
    expect(query.command.args).toEqual(['getwindowfocus']);
    expect(query.then!('1234\n')).toEqual({ command: 'xprop', args: ['-id', '1234', 'WM_CLASS'] });
    expect(query.parse('WM_CLASS(STRING) = "xterm", "XTerm"\n')).toBe('XTerm');
  });

  it('sway: the focused node of the tree, by app_id or X11 class', () => {
    const env = { WAYLAND_DISPLAY: 'w', SWAYSOCK: 's' };
    const query = activeWindowQuery(detectSession(env, 'linux'), env)!;
    const tree = {
      nodes: [
        {
          nodes: [
            { focused: false, app_id: 'firefox' },
            { focused: true, app_id: 'foot' },
          ],
        },
        {
          floating_nodes: [{ focused: false, app_id: null, window_properties: { class: 'XTerm' } }],
        },
      ],
    };
    expect(query.parse(JSON.stringify(tree))).toBe('foot');
    tree.nodes[1]!.floating_nodes![0]!.focused = true;
    tree.nodes[0]!.nodes![1]!.focused = false;
    expect(query.parse(JSON.stringify(tree))).toBe('XTerm');
  });

  it('GNOME: no way to ask, so the default chord', () => {
    const env = { WAYLAND_DISPLAY: 'w', XDG_CURRENT_DESKTOP: 'GNOME' };
    expect(activeWindowQuery(detectSession(env, 'linux'), env)).toBeUndefined();
  });
});
