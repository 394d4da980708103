import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHotkey } from '@whis/hotkey/spec';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bindingLines,
  bindingsFile,
  compositorKey,
  detectCompositor,
  readBindingBlock,
  withBindingBlock,
  writeBindings,
  type Compositor,
} from './bindings.js';

const WHIS = ['/usr/bin/node', '/opt/whis/bin/whis.cjs'];

describe('detectCompositor', () => {
  it.each([
    [{ SWAYSOCK: '/run/user/1000/sway-ipc.sock', XDG_CURRENT_DESKTOP: 'sway' }, 'sway'],
    [{ HYPRLAND_INSTANCE_SIGNATURE: 'abc', XDG_CURRENT_DESKTOP: 'Hyprland' }, 'hyprland'],
    [{ XDG_CURRENT_DESKTOP: 'river' }, 'river'],
    [{ XDG_CURRENT_DESKTOP: 'COSMIC' }, 'cosmic'],
    [{ XDG_CURRENT_DESKTOP: 'pop:COSMIC' }, 'cosmic'],
    [{ XDG_CURRENT_DESKTOP: 'KDE' }, undefined],
    [{ XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }, undefined],
    [{}, undefined],
  ])('%o → %s', (env, expected) => {
    expect(detectCompositor(env)).toBe(expected);
  });
});

describe('the hotkey in each compositor’s syntax', () => {
  it.each([
    ['ctrl+shift+r', 'sway', 'Ctrl+Shift+r'],
    ['ctrl+shift+r', 'hyprland', 'CTRL SHIFT, r'],
    ['ctrl+shift+r', 'river', 'Control+Shift r'],
    ['ctrl+shift+r', 'cosmic', '(modifiers: [Ctrl, Shift], key: "r")'],
    ['super+alt+space', 'sway', 'Mod4+Mod1+space'],
    ['Alt+Super+Space', 'hyprland', 'SUPER ALT, space'],
    ['super+alt+space', 'river', 'Mod4+Mod1 space'],
    ['super+alt+space', 'cosmic', '(modifiers: [Super, Alt], key: "space")'],
    ['f9', 'sway', 'F9'],
    ['f9', 'hyprland', ', F9'],
    ['f9', 'river', 'None F9'],
    ['rctrl', 'sway', 'Control_R'],
    ['rctrl+r', 'sway', 'Ctrl+r'],
    ['ctrl+pageup', 'sway', 'Ctrl+Prior'],
    ['ctrl+;', 'hyprland', 'CTRL, semicolon'],
    ["ctrl+'", 'sway', 'Ctrl+apostrophe'],
    ['shift+enter', 'river', 'Shift Return'],
    ['ctrl+1', 'sway', 'Ctrl+1'],
  ] as const)('%s on %s → %s', (spec, compositor, expected) => {
    expect(compositorKey(parseHotkey(spec), compositor)).toBe(expected);
  });
});

describe('bindingLines', () => {
  const hotkey = parseHotkey('ctrl+shift+r');
  it('sway: toggle on press; push-to-talk start on press (no repeat) and finish on release', () => {
    expect(bindingLines('sway', { hotkey, pushToTalk: false, whis: WHIS }).lines).toEqual([
      'bindsym --no-repeat Ctrl+Shift+r exec /usr/bin/node /opt/whis/bin/whis.cjs toggle',
    ]);
    expect(bindingLines('sway', { hotkey, pushToTalk: true, whis: WHIS }).lines).toEqual([
      'bindsym --no-repeat Ctrl+Shift+r exec /usr/bin/node /opt/whis/bin/whis.cjs start',
      'bindsym --release Ctrl+Shift+r exec /usr/bin/node /opt/whis/bin/whis.cjs finish',
    ]);
  });

  it('Hyprland: bind, and bindr for the release', () => {
    expect(bindingLines('hyprland', { hotkey, pushToTalk: true, whis: WHIS }).lines).toEqual([
      'bind = CTRL SHIFT, r, exec, /usr/bin/node /opt/whis/bin/whis.cjs start',
      'bindr = CTRL SHIFT, r, exec, /usr/bin/node /opt/whis/bin/whis.cjs finish',
    ]);
  });

  it('river: riverctl map, and map -release, the command one shell word', () => {
    expect(bindingLines('river', { hotkey, pushToTalk: true, whis: WHIS }).lines).toEqual([
      "riverctl map normal Control+Shift r spawn '/usr/bin/node /opt/whis/bin/whis.cjs start'",
      "riverctl map -release normal Control+Shift r spawn '/usr/bin/node /opt/whis/bin/whis.cjs finish'",
    ]);
  });

  it('COSMIC: a Spawn entry; push-to-talk toggles, and says so', () => {
    const { lines, note } = bindingLines('cosmic', { hotkey, pushToTalk: true, whis: WHIS });
    expect(lines).toEqual([
      '(modifiers: [Ctrl, Shift], key: "r"): Spawn("/usr/bin/node /opt/whis/bin/whis.cjs toggle"),',
    ]);
    expect(note).toMatch(/presses only/);
  });

  it('binds the edit key beside the hotkey: `whis edit`, or `whis start --edit` and `whis finish`', () => {
    const editHotkey = parseHotkey('ctrl+alt+shift+e');
    const whis = ['whis'];
    expect(bindingLines('sway', { hotkey, editHotkey, pushToTalk: false, whis }).lines).toEqual([
      'bindsym --no-repeat Ctrl+Shift+r exec whis toggle',
      'bindsym --no-repeat Ctrl+Mod1+Shift+e exec whis edit',
    ]);
    expect(bindingLines('hyprland', { hotkey, editHotkey, pushToTalk: true, whis }).lines).toEqual([
      'bind = CTRL SHIFT, r, exec, whis start',
      'bindr = CTRL SHIFT, r, exec, whis finish',
      'bind = CTRL ALT SHIFT, e, exec, whis start --edit',
      'bindr = CTRL ALT SHIFT, e, exec, whis finish',
    ]);
  });

  it('paths with spaces or quotes are quoted for the shell', () => {
    const { lines } = bindingLines('sway', {
      hotkey,
      pushToTalk: false,
      whis: ['/usr/bin/node', "/home/a b/it's/whis.cjs"],
    });
    expect(lines).toEqual([
      `bindsym --no-repeat Ctrl+Shift+r exec /usr/bin/node '/home/a b/it'\\''s/whis.cjs' toggle`,
    ]);
  });
});

describe('the whis block in a configuration', () => {
  const v1 = ['bindsym --no-repeat Ctrl+Shift+r exec whis toggle'];
  const v2 = ['bindsym --no-repeat F9 exec whis start', 'bindsym --release F9 exec whis finish'];

  it('is appended once, then replaced in place; the rest of the file is untouched', () => {
    const user = 'set $mod Mod4\nbindsym $mod+Return exec foot\n';
    const first = withBindingBlock('sway', user, v1);
    expect(first.startsWith(user)).toBe(true);
    expect(readBindingBlock('sway', first)).toEqual(v1);
    const more = `${first}bindsym $mod+d exec wofi\n`;
    const second = withBindingBlock('sway', more, v2);
    expect(readBindingBlock('sway', second)).toEqual(v2);
    expect(second.match(/>>> whis/g)).toHaveLength(1);
    expect(second.startsWith(user)).toBe(true);
    expect(second.endsWith('bindsym $mod+d exec wofi\n')).toBe(true);
    expect(withBindingBlock('sway', second, v2)).toBe(second);
  });

  it('river: before an `exec` that ends the init script', () => {
    const init = '#!/bin/sh\nriverctl map normal Super Q close\nexec rivertile\n';
    const text = withBindingBlock('river', init, ['riverctl map normal None F9 spawn x']);
    const lines = text.split('\n');
    expect(lines.indexOf('riverctl map normal None F9 spawn x')).toBeLessThan(
      lines.indexOf('exec rivertile'),
    );
  });

  it('COSMIC: inside the RON map, with // comments', () => {
    const existing = '{\n    (modifiers: [Super], key: "t"): Spawn("foot"),\n}\n';
    const text = withBindingBlock('cosmic', existing, ['(modifiers: [], key: "F9"): Spawn("x"),']);
    expect(text).toBe(
      '{\n    (modifiers: [Super], key: "t"): Spawn("foot"),\n' +
        '// >>> whis: written by `whis setup`; running it again replaces this block >>>\n' +
        '(modifiers: [], key: "F9"): Spawn("x"),\n' +
        '// <<< whis <<<\n}\n',
    );
    expect(withBindingBlock('cosmic', '', ['x'])).toMatch(
      /^\{\n\/\/ >>> whis.*\nx\n\/\/ <<< whis <<<\n\}\n$/,
    );
  });
});

describe('writeBindings, on real files', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('keeps a backup of the file as it was, and a second run changes nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'whis-bindings-'));
    const file = bindingsFile('sway', { XDG_CONFIG_HOME: dir });
    expect(file).toBe(join(dir, 'sway', 'config'));
    const original = 'bindsym Mod4+Return exec foot\n';
    await mkdir(join(dir, 'sway'));
    await writeFile(file, original);
    const first = await writeBindings('sway', file, ['bindsym F9 exec whis toggle']);
    expect(first).toEqual({ changed: true, backup: `${file}.whis-backup` });
    expect(await readFile(`${file}.whis-backup`, 'utf8')).toBe(original);
    expect(readBindingBlock('sway', await readFile(file, 'utf8'))).toEqual([
      'bindsym F9 exec whis toggle',
    ]);
    expect(await writeBindings('sway', file, ['bindsym F9 exec whis toggle'])).toEqual({
      changed: false,
    });
  });

  it.each(['sway', 'hyprland', 'river', 'cosmic'] as Compositor[])(
    '%s: a missing file is created where the compositor reads it',
    async (compositor) => {
      dir = await mkdtemp(join(tmpdir(), 'whis-bindings-'));
      const file = bindingsFile(compositor, { HOME: dir, XDG_CONFIG_HOME: '' });
      expect(file.startsWith(join(dir, '.config'))).toBe(true);
      expect(await writeBindings(compositor, file, ['x'])).toEqual({ changed: true });
      expect(readBindingBlock(compositor, await readFile(file, 'utf8'))).toEqual(['x']);
      if (compositor === 'river') expect((await stat(file)).mode & 0o111).not.toBe(0);
    },
  );
});
