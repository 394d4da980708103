import { mkdtemp, readFile, rm, stat, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  maskSecret,
  maskSettings,
  parseSettingValue,
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

describe('parseSettingValue', () => {
  it.each([
    ['model', ' whisper-1 ', 'whisper-1'],
    ['pushToTalk', 'yes', true],
    ['pushToTalk', 'OFF', false],
    ['keepAudio', '12', 12],
    ['outputs', 'clipboard, stdout', ['clipboard', 'stdout']],
  ])('%s %j → %j', (key, raw, expected) => {
    expect(parseSettingValue(key, raw)).toEqual(expected);
  });

  it.each([
    ['colour', 'red', 'Unknown setting "colour". Valid settings: apiKey, baseURL'],
    ['pushToTalk', 'maybe', '"pushToTalk" takes true or false, not "maybe".'],
    ['keepAudio', '-1', '"keepAudio" takes a whole number ≥ 0, not "-1".'],
    ['outputs', 'clipboard,printer', '"printer" is not one'],
    ['model', '  ', '"model" cannot be empty'],
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

  it('keeps the previous settings when the write fails', async () => {
    await writeSettings({ model: 'whisper-1' }, file);
    await chmod(join(dir, 'whis'), 0o500);
    try {
      // root ignores directory permissions; a directory in the temp file's place fails for everyone
      await mkdir(`${file}.${process.pid}.tmp`).catch(() => undefined);
      await expect(writeSettings({ model: 'other' }, file)).rejects.toMatchObject({
        code: 'write-failed',
      });
    } finally {
      await chmod(join(dir, 'whis'), 0o700);
    }
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ model: 'whisper-1' });
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
