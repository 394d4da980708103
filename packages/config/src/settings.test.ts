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
    ['keepAudio', '-1', '"keepAudio" takes a whole number ≥ 0, not "-1".'],
    ['outputs', 'clipboard,printer', '"printer" is not one'],
    ['model', '  ', '"model" cannot be empty'],
    ['notify', 'sometimes', '"notify" takes one of errors, all, off, not "sometimes".'],
    ['sounds', 'start,beep', '"beep" is not one'],
    ['uploadTimeoutScale', '0', '"uploadTimeoutScale" takes a number above 0, not "0".'],
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
    await expect(readSettings(file)).rejects.toThrow('"model" has the wrong type (3)');
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

it('masks secrets for display', () => {
  expect(maskSecret('sk-proj-abcdefghijklmnop')).toBe('sk-…mnop');
  expect(maskSecret('short')).toBe('•••••');
  expect(maskSettings({ apiKey: 'sk-proj-abcdefghijklmnop', model: 'whisper-1' })).toEqual({
    apiKey: 'sk-…mnop',
    model: 'whisper-1',
  });
});
