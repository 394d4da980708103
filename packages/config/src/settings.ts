import { WhisError } from '@whis/contracts';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from './files.js';
import { resolvePaths } from './paths.js';
import {
  SETTING_KEYS,
  isSettingKey,
  settingsProblems,
  type SettingKey,
  type Settings,
} from './schema.js';

/** Parses `heard=written` pairs separated by `;` or line breaks; throws on a pair without `=`. */
export function parsePairs(key: string, raw: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of raw.split(/[;\n]/)) {
    const line = item.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const from = eq < 0 ? '' : line.slice(0, eq).trim().replace(/\s+/g, ' ').toLowerCase();
    if (from === '')
      throw new ConfigError(
        'invalid-value',
        `"${line}" is not a ${key} pair: write what is heard, =, and what to write instead, separated by ; (kuber netties=Kubernetes;pie torch=PyTorch).`,
      );
    pairs[from] = line.slice(eq + 1).trim();
  }
  return pairs;
}

export type ConfigErrorCode = 'invalid-settings' | 'unknown-key' | 'invalid-value' | 'write-failed';

export class ConfigError extends WhisError<'config', ConfigErrorCode> {
  constructor(code: ConfigErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('ConfigError', 'config', code, message, options);
  }
}

function validKeys(): string {
  return Object.keys(SETTING_KEYS).join(', ');
}

function unknownKey(key: string): ConfigError {
  return new ConfigError(
    'unknown-key',
    `Unknown setting "${key}". Valid settings: ${validKeys()}.`,
  );
}

// The command-line text as the value it stands for, before the schema checks it: what cannot be
// read as the key's form is passed on as the text, so that the schema's message names it.
function fromText(key: SettingKey, raw: string): unknown {
  const value = raw.trim();
  switch (SETTING_KEYS[key].form) {
    case 'text':
      if (value === '')
        throw new ConfigError(
          'invalid-value',
          `"${key}" cannot be empty; use \`whis config unset ${key}\` to remove it.`,
        );
      return value;
    case 'boolean':
      if (/^(true|yes|on|1)$/i.test(value)) return true;
      if (/^(false|no|off|0)$/i.test(value)) return false;
      return raw;
    case 'number':
      return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(value) ? Number(value) : raw;
    case 'list': {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (items.length === 0)
        throw new ConfigError(
          'invalid-value',
          `"${key}" takes a comma-separated list, e.g. ${SETTING_KEYS[key].choices?.slice(0, 2).join(',') ?? 'whis,Kubernetes'}; use \`whis config unset ${key}\` to remove it.`,
        );
      return items;
    }
    case 'pairs': {
      const pairs = parsePairs(key, value);
      if (Object.keys(pairs).length === 0)
        throw new ConfigError(
          'invalid-value',
          `"${key}" takes heard=written pairs separated by ;, e.g. 'kuber netties=Kubernetes;pie torch=PyTorch'.`,
        );
      return pairs;
    }
    case 'json':
      try {
        return JSON.parse(value) as unknown;
      } catch {
        throw new ConfigError(
          'invalid-value',
          `"${key}" takes JSON, e.g. '{"xterm":{"postProcess":["replacements"],"finalPunctuation":"remove"}}'.`,
        );
      }
  }
}

/**
 * Converts a command-line value to the key's type and checks it with the settings' schema (the
 * checks a read applies), or throws a ConfigError that names the key, the value and what it takes.
 */
export function parseSettingValue(key: string, raw: string): Settings[SettingKey] {
  if (!isSettingKey(key)) throw unknownKey(key);
  const value = fromText(key, raw);
  const problems = settingsProblems({ [key]: value });
  if (problems.length > 0)
    throw new ConfigError('invalid-value', `${problems.map((p) => p.message).join('; ')}.`);
  return value as Settings[SettingKey];
}

/** A setting's value as `whis config` prints it: lists comma separated, pairs as a=b;c=d, profiles as JSON. */
export function formatSettingValue(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (isSettingKey(key) && SETTING_KEYS[key].form === 'pairs' && typeof value === 'object' && value)
    return Object.entries(value as Record<string, string>)
      .map(([from, to]) => `${from}=${to}`)
      .join(';');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

// What to run to mend each problem: a bad value is set again, a key that is no setting removed.
function fixes(problems: ReturnType<typeof settingsProblems>): string {
  const commands = problems.flatMap((p) =>
    p.unknown
      ? p.unknown.map((name) => `\`whis config unset ${name}\``)
      : p.key
        ? [`\`whis config set ${p.key} …\``]
        : [],
  );
  return commands.length > 0
    ? `Fix it with ${[...new Set(commands)].join(', ')} (or edit the file), or delete the file to start over.`
    : 'Fix it, or delete it to start over.';
}

/**
 * Checks settings read from `file` with the settings' schema: the settings, or a ConfigError
 * (`invalid-settings`) that names the file, each key that is wrong, its value, what it takes, and
 * the command that mends it.
 */
export function parseSettings(data: unknown, file = resolvePaths().settingsFile): Settings {
  const problems = settingsProblems(data);
  if (problems.length === 0) return data as Settings;
  throw new ConfigError(
    'invalid-settings',
    `${file}: ${problems.map((p) => p.message).join('; ')}. ${fixes(problems)}`,
  );
}

// The file as JSON, not yet checked: a missing file is {}; what is not a JSON object is an error.
async function readSettingsObject(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError('invalid-settings', `Cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      'invalid-settings',
      `${file} is not valid JSON (${(err as Error).message}). Fix it, or delete it to start over.`,
      { cause: err },
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigError(
      'invalid-settings',
      `${file} must hold a JSON object. Fix it, or delete it to start over.`,
    );
  return data as Record<string, unknown>;
}

/**
 * Reads the settings file and checks every value; a missing file is empty settings, a broken or
 * invalid one a ConfigError (`invalid-settings`) that names the file, the key, the value and what
 * it takes.
 */
export async function readSettings(file = resolvePaths().settingsFile): Promise<Settings> {
  return parseSettings(await readSettingsObject(file), file);
}

// Written through writeFileAtomic (a private temp file with an unguessable name, created with
// O_EXCL, fsynced, renamed), so a crash or a full disk leaves the previous settings readable, a
// planted symlink is never written through, and the key is never readable by others.
export async function writeSettings(
  settings: Settings,
  file = resolvePaths().settingsFile,
): Promise<void> {
  try {
    await ensurePrivateDir(dirname(file));
    await writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`, 0o600);
  } catch (err) {
    throw new ConfigError(
      'write-failed',
      `Cannot write ${file}: ${(err as Error).message} The previous settings are unchanged.`,
      { cause: err },
    );
  }
}

// The file after one change. The other keys are kept as they are, even a wrong one, so that a file
// a read refuses can be mended one key at a time with the commands its message names; the result
// is checked after it is saved, and what is still wrong is the error.
async function change(
  file: string,
  key: string,
  apply: (data: Record<string, unknown>) => void,
): Promise<Settings> {
  const data = { ...(await readSettingsObject(file)) };
  apply(data);
  await writeSettings(data as Settings, file);
  try {
    return parseSettings(data, file);
  } catch (err) {
    throw new ConfigError('invalid-settings', `Saved ${key}, but ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Sets one key from its command-line form and saves; returns the new settings. The value is
 * checked first (nothing is saved when it is wrong).
 */
export async function setSetting(
  key: string,
  raw: string,
  file = resolvePaths().settingsFile,
): Promise<Settings> {
  const value = parseSettingValue(key, raw);
  return change(file, key, (data) => {
    data[key] = value;
  });
}

/** Removes one key and saves; returns the new settings. A key the file has that is no setting can be removed too. */
export async function unsetSetting(
  key: string,
  file = resolvePaths().settingsFile,
): Promise<Settings> {
  if (!isSettingKey(key) && !Object.hasOwn(await readSettingsObject(file), key))
    throw unknownKey(key);
  return change(file, key, (data) => {
    delete data[key];
  });
}

/** Hides all but the ends of a secret: `sk-proj-abcd…wxyz` → `sk-…wxyz`. */
export function maskSecret(value: string): string {
  if (value.length <= 8) return '•'.repeat(value.length);
  return `${value.slice(0, 3)}…${value.slice(-4)}`;
}

/** The settings with secrets masked, for display. */
export function maskSettings(settings: Settings): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    shown[key] =
      isSettingKey(key) && SETTING_KEYS[key].secret && typeof value === 'string'
        ? maskSecret(value)
        : value;
  }
  return shown;
}

/** The edit key when `editHotkey` is not set: no common application takes three modifiers and E. */
export const DEFAULT_EDIT_HOTKEY = 'ctrl+alt+shift+e';

/** The edit key (edit by voice) the settings put in force, or undefined when it is off (`none`). */
export function editHotkeyOf(settings: Settings): string | undefined {
  const key = settings.editHotkey?.trim() || DEFAULT_EDIT_HOTKEY;
  return key.toLowerCase() === 'none' ? undefined : key;
}
