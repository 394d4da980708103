import { execFileSync } from 'node:child_process';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  maskSecret,
  maskSettings,
  parseSettingValue,
  formatSettingValue,
  readSettings,
  setSetting,
  unsetSetting,
  writeSettings,
} from './settings.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-config-'));
  file = join(dir, 'whis', 'settings.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it.each([
  ['outputs', ['clipboard', 'paste'], 'clipboard,paste'],
  [
    'replacements',
    { 'kuber netties': 'Kubernetes', whis: 'whis' },
    'kuber netties=Kubernetes;whis=whis',
  ],
  [
    'profiles',
    { xterm: { finalPunctuation: 'remove' } },
    '{"xterm":{"finalPunctuation":"remove"}}',
  ],
  ['llmTimeoutMs', 4000, '4000'],
])('formats %s for display', (key, value, shown) => {
  expect(formatSettingValue(key, value)).toBe(shown);
});

describe('parseSettingValue', () => {
  it.each([
    ['model', ' whisper-1 ', 'whisper-1'],
    ['pushToTalk', 'yes', true],
    ['pushToTalk', 'OFF', false],
    ['keepAudio', '12', 12],
    ['uploadTimeoutScale', '2.5', 2.5],
    ['outputs', 'clipboard, stdout', ['clipboard', 'stdout']],
    ['notify', 'all', 'all'],
    ['pauseMedia', 'on', true],
    ['sounds', 'start,error', ['start', 'error']],
    ['soundVolume', '40', 40],
    ['postProcess', 'replacements,spoken,llm', ['replacements', 'spoken', 'llm']],
    [
      'replacements',
      'kuber netties=Kubernetes;Pie  Torch = PyTorch; e g=e.g.,',
      { 'kuber netties': 'Kubernetes', 'pie torch': 'PyTorch', 'e g': 'e.g.,' },
    ],
    ['finalPunctuation', 'remove', 'remove'],
    ['typeTool', 'portal', 'portal'],
    ['typeTool', 'dotool', 'dotool'],
    [
      'profiles',
      '{"xterm,kitty":{"postProcess":["replacements"],"finalPunctuation":"remove"}}',
      { 'xterm,kitty': { postProcess: ['replacements'], finalPunctuation: 'remove' } },
    ],
  ])('%s %j → %j', (key, raw, expected) => {
    expect(parseSettingValue(key, raw)).toEqual(expected);
  });

  it.each([
    ['colour', 'red', 'Unknown setting "colour". Valid settings: apiKey, baseURL'],
    ['pushToTalk', 'maybe', '"pushToTalk" takes true or false, not "maybe".'],
    ['keepAudio', '-1', '"keepAudio" takes a whole number ≥ 0, not -1.'],
    ['outputs', 'clipboard,printer', '"printer" is not one'],
    ['model', '  ', '"model" cannot be empty'],
    ['notify', 'sometimes', '"notify" takes one of errors, all, off, not "sometimes".'],
    ['sounds', 'start,beep', '"beep" is not one'],
    ['uploadTimeoutScale', '0', '"uploadTimeoutScale" takes a number above 0, not 0.'],
    ['uploadTimeoutScale', 'slow', '"uploadTimeoutScale" takes a number above 0'],
    ['postProcess', 'spoken,magic', '"magic" is not one'],
    ['replacements', 'Kubernetes', 'write what is heard, =, and what to write instead'],
    ['finalPunctuation', 'sometimes', 'takes one of keep, add, remove'],
    [
      'typeTool',
      'robot',
      '"typeTool" takes one of xdotool, wtype, ydotool, dotool, portal, osascript, powershell, not "robot".',
    ],
    ['profiles', 'xterm=replacements', '"profiles" takes JSON'],
    ['profiles', '{"xterm":{"postProcess":["magic"]}}', 'postProcess takes a list of replacements'],
    ['profiles', '{"xterm":{"submit":true}}', 'unknown field "submit"'],
  ])('rejects %s %j', (key, raw, message) => {
    expect(() => parseSettingValue(key, raw)).toThrow(ConfigError);
    expect(() => parseSettingValue(key, raw)).toThrow(message);
  });
});

describe('the settings file', () => {
  it('is empty when missing', async () => {
    expect(await readSettings(file)).toEqual({});
  });

  it('round-trips, private to the user, in a private directory', async () => {
    await setSetting('apiKey', 'sk-test-0123456789', file);
    const settings = await setSetting('language', 'en', file);
    expect(settings).toEqual({ apiKey: 'sk-test-0123456789', language: 'en' });
    expect(await readSettings(file)).toEqual(settings);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'whis'))).mode & 0o777).toBe(0o700);
    expect(await unsetSetting('language', file)).toEqual({ apiKey: 'sk-test-0123456789' });
  });

  it('names the file and the fix when it is broken', async () => {
    await mkdir(join(dir, 'whis'));
    await writeFile(file, '{"model": ');
    await expect(readSettings(file)).rejects.toThrow(`${file} is not valid JSON`);
    await writeFile(file, '{"model": 3}');
    await expect(readSettings(file)).rejects.toThrow(`${file}: "model" takes text, not 3.`);
    await writeFile(file, '[]');
    await expect(readSettings(file)).rejects.toThrow('must hold a JSON object');
  });

  it('keeps the previous settings when the disk is full (a 16 KiB tmpfs)', async () => {
    const mnt = join(dir, 'mnt');
    await mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k,mode=700', 'tmpfs', mnt]);
    try {
      const full = join(mnt, 'settings.json');
      await writeSettings({ model: 'whisper-1' }, full);
      await expect(
        writeSettings({ model: 'x', prompt: 'y'.repeat(64 * 1024) }, full),
      ).rejects.toMatchObject({ code: 'write-failed' });
      expect(JSON.parse(await readFile(full, 'utf8'))).toEqual({ model: 'whisper-1' });
      expect((await readdir(mnt)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('never writes the key through a planted symlink (the temp name is unguessable)', async () => {
    await mkdir(join(dir, 'whis'), { mode: 0o700 });
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'untouched');
    // every name an attacker could predict from the pid, as the old writer used
    await symlink(victim, `${file}.${process.pid}.tmp`);
    await symlink(victim, `${file}.tmp`);
    await writeSettings({ apiKey: 'sk-secret-key-0123' }, file);
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    expect((await lstat(file)).isFile()).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses a config directory that others can write to', async () => {
    await mkdir(join(dir, 'whis'), { mode: 0o700 });
    await chmod(join(dir, 'whis'), 0o777);
    await expect(writeSettings({ model: 'm' }, file)).rejects.toThrow(
      /writable by other users.*chmod 700/,
    );
  });
});

// What `whis config set` of 0.1.0 (before the settings had a schema) wrote for these values, one
// for every key: src/fixtures/settings-0.1.0.json.
const TODAY = new URL('./fixtures/settings-0.1.0.json', import.meta.url);
const TYPED: Record<string, string> = {
  apiKey: 'sk-test-0123456789abcdef',
  baseURL: 'http://127.0.0.1:8000/v1',
  model: 'gpt-transcribe',
  mode: 'realtime',
  language: 'en',
  prompt: 'A dictation about whis.',
  keywords: 'whis, Kubernetes',
  uploadTimeoutScale: '2.5',
  hotkey: 'ctrl+shift+r',
  hotkeyBackend: 'portal',
  pushToTalk: 'yes',
  tapToToggleMs: '250',
  device: '2',
  outputs: 'clipboard,paste,type,stdout,file,command',
  outputFile: '/tmp/notes.txt',
  outputCommand: 'tee -a ~/notes.md',
  keepAudio: '5',
  segmentSeconds: '10',
  keepMicrophoneOpen: 'on',
  speechDetection: 'false',
  typeTool: 'ydotool',
  pasteChord: 'ctrl+v,kitty=ctrl+shift+v,xterm=shift+Insert',
  clipboardRestoreMs: '1500',
  submit: 'no',
  typeSegments: 'true',
  notify: 'all',
  pauseMedia: 'true',
  sounds: 'start,stop,error',
  soundVolume: '40',
  postProcess: 'replacements,spoken,fillers,llm,command',
  replacements: 'kuber netties=Kubernetes;pie torch=PyTorch',
  replacementsFile: '/tmp/replacements.txt',
  llmModel: 'gpt-5-mini',
  llmBaseURL: 'http://127.0.0.1:11434/v1',
  llmApiKey: 'sk-llm-0123456789abcdef',
  llmPrompt: 'Tidy the text.',
  llmTimeoutMs: '4000',
  postProcessCommand: 'sed s/foo/bar/',
  finalPunctuation: 'remove',
  profiles:
    '{"xterm,kitty":{"postProcess":["replacements"],"finalPunctuation":"remove"},"firefox":{"finalPunctuation":"add"}}',
};

describe('a settings file written by 0.1.0', () => {
  it('loads, every key as its `whis config set` wrote it', async () => {
    const written = JSON.parse(await readFile(TODAY, 'utf8')) as Record<string, unknown>;
    await mkdir(join(dir, 'whis'));
    await writeFile(file, JSON.stringify(written, null, 2));
    expect(await readSettings(file)).toEqual(written);
  });

  it('`whis config set` still writes the same values', async () => {
    const written = JSON.parse(await readFile(TODAY, 'utf8')) as Record<string, unknown>;
    for (const [key, raw] of Object.entries(TYPED))
      expect(parseSettingValue(key, raw), key).toEqual(written[key]);
  });
});

describe('a settings file edited by hand is checked on every read', () => {
  const holding = async (settings: unknown) => {
    await mkdir(join(dir, 'whis'), { recursive: true });
    await writeFile(file, JSON.stringify(settings));
  };

  it.each([
    [{ mode: 'Realtime' }, '"mode" takes one of file, realtime, local, not "Realtime"'],
    [{ notify: 'none' }, '"notify" takes one of errors, all, off, not "none"'],
    [
      { sounds: ['start', 'beep'] },
      '"sounds" takes a list of start, stop, error; "beep" is not one',
    ],
    [
      { outputs: ['clipbaord'] },
      '"outputs" takes a list of clipboard, paste, type, stdout, file, command; "clipbaord" is not one',
    ],
    [
      { hotkeyBackend: 'wayland' },
      '"hotkeyBackend" takes one of auto, x11, portal, none, not "wayland"',
    ],
    [
      { typeTool: 'xdotol' },
      '"typeTool" takes one of xdotool, wtype, ydotool, dotool, portal, osascript, powershell, not "xdotol"',
    ],
    [
      { postProcess: ['spoken', 'filler'] },
      '"postProcess" takes a list of replacements, spoken, fillers, llm, command; "filler" is not one',
    ],
    [
      { finalPunctuation: 'period' },
      '"finalPunctuation" takes one of keep, add, remove, not "period"',
    ],
    [
      { profiles: { xterm: { postProcess: ['magic'] } } },
      '"profiles" for "xterm": postProcess takes a list of replacements, spoken, fillers, llm, command; "magic" is not one',
    ],
    [
      { profiles: { xterm: { submit: true } } },
      '"profiles" for "xterm" has an unknown field "submit"',
    ],
    [
      { pasteChord: ['ctrl v'] },
      '"pasteChord" takes paste chords: modifiers (ctrl, shift, alt, super) and a key joined by +, optionally after a window class and =, e.g. ctrl+v,kitty=ctrl+shift+v; "ctrl v" is not one',
    ],
    [{ keepAudio: 2.5 }, '"keepAudio" takes a whole number ≥ 0, not 2.5'],
    [{ pushToTalk: 'yes' }, '"pushToTalk" takes true or false, not "yes"'],
  ])(
    '%j: refused, naming the file, the key, the value and what it takes',
    async (settings, message) => {
      await holding(settings);
      const refused = readSettings(file);
      await expect(refused).rejects.toMatchObject({ code: 'invalid-settings' });
      await expect(readSettings(file)).rejects.toThrow(`${file}: ${message}`);
    },
  );

  it('names every wrong key at once, and the commands that mend them', async () => {
    await holding({ mode: 'Realtime', colour: 'red', notify: 'none' });
    const error = await readSettings(file).catch((err: Error) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /"mode" takes one of file, realtime, local, not "Realtime"; "notify" takes one of errors, all, off, not "none"; unknown setting "colour" \(valid settings: apiKey, /,
    );
    expect((error as Error).message).toMatch(
      /Fix it with `whis config set mode …`, `whis config set notify …`, `whis config unset colour`/,
    );
  });

  it('the commands the message names mend the file one key at a time', async () => {
    await holding({ mode: 'Realtime', colour: 'red', language: 'en' });
    await expect(setSetting('mode', 'realtime', file)).rejects.toThrow(
      /Saved mode, but .*unknown setting "colour"/,
    );
    expect(await unsetSetting('colour', file)).toEqual({ mode: 'realtime', language: 'en' });
    expect(await readSettings(file)).toEqual({ mode: 'realtime', language: 'en' });
  });

  it('`config set` of a bad value saves nothing and says what the key takes', async () => {
    await holding({ notify: 'all' });
    await expect(setSetting('notify', 'none', file)).rejects.toThrow(
      '"notify" takes one of errors, all, off, not "none".',
    );
    expect(await readSettings(file)).toEqual({ notify: 'all' });
  });
});

it('masks secrets for display', () => {
  expect(maskSecret('sk-proj-abcdefghijklmnop')).toBe('sk-…mnop');
  expect(maskSecret('short')).toBe('•••••');
  expect(maskSettings({ apiKey: 'sk-proj-abcdefghijklmnop', model: 'whisper-1' })).toEqual({
    apiKey: 'sk-…mnop',
    model: 'whisper-1',
  });
});
