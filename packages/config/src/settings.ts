import { KEYBOARD_NAMES, WhisError } from '@whis/contracts';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from './files.js';
import { resolvePaths } from './paths.js';

/** Everything whis reads from its settings file. Every key is optional. */
export interface Settings {
  apiKey?: string;
  baseURL?: string;
  model?: string;
  mode?: string;
  language?: string;
  prompt?: string;
  keywords?: string[];
  uploadTimeoutScale?: number;
  hotkey?: string;
  hotkeyBackend?: string;
  pushToTalk?: boolean;
  tapToToggleMs?: number;
  device?: string;
  outputs?: string[];
  outputFile?: string;
  outputCommand?: string;
  keepAudio?: number;
  segmentSeconds?: number;
  keepMicrophoneOpen?: boolean;
  speechDetection?: boolean;
  typeTool?: string;
  pasteChord?: string[];
  clipboardRestoreMs?: number;
  submit?: boolean;
  typeSegments?: boolean;
  notify?: string;
  pauseMedia?: boolean;
  sounds?: string[];
  soundVolume?: number;
  postProcess?: string[];
  replacements?: Record<string, string>;
  replacementsFile?: string;
  llmModel?: string;
  llmBaseURL?: string;
  llmApiKey?: string;
  llmPrompt?: string;
  llmTimeoutMs?: number;
  postProcessCommand?: string;
  finalPunctuation?: string;
  profiles?: Record<string, Profile>;
}

/** What a per-application profile (`profiles`, by window class) overrides. */
export interface Profile {
  postProcess?: string[];
  finalPunctuation?: string;
}

export type SettingKey = keyof Settings;

type Kind = 'string' | 'boolean' | 'count' | 'number' | 'list' | 'pairs' | 'profiles';

interface KeySpec {
  kind: Kind;
  description: string;
  secret?: boolean;
  choices?: readonly string[];
}

/** The post-processing steps `postProcess` (and a profile's) may name. */
export const POST_PROCESS_STEPS = ['replacements', 'spoken', 'fillers', 'llm', 'command'] as const;

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

function profilesProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'an object by window class';
  for (const [cls, profile] of Object.entries(value)) {
    if (typeof profile !== 'object' || profile === null || Array.isArray(profile))
      return `"${cls}" must map to an object`;
    for (const [field, v] of Object.entries(profile as Record<string, unknown>)) {
      if (field === 'postProcess') {
        if (
          !Array.isArray(v) ||
          !v.every((step) => (POST_PROCESS_STEPS as readonly unknown[]).includes(step))
        )
          return `"${cls}".postProcess takes a list of ${POST_PROCESS_STEPS.join(', ')}`;
      } else if (field === 'finalPunctuation') {
        if (!['keep', 'add', 'remove'].includes(v as string))
          return `"${cls}".finalPunctuation takes keep, add or remove`;
      } else return `"${cls}" has an unknown field "${field}" (postProcess, finalPunctuation)`;
    }
  }
  return undefined;
}

/** The settings file's keys, their types and what they do. */
export const SETTING_KEYS: Readonly<Record<SettingKey, KeySpec>> = {
  apiKey: { kind: 'string', secret: true, description: 'API key for the transcription endpoint' },
  baseURL: { kind: 'string', description: 'OpenAI-compatible endpoint (default: OpenAI)' },
  model: {
    kind: 'string',
    description: "gpt-transcribe (default), or the endpoint's own model (any name)",
  },
  mode: {
    kind: 'string',
    choices: ['file', 'realtime'],
    description:
      "file (default): segments are uploaded as they close; realtime: the audio is streamed to a Realtime session and the text comes while you speak (gpt-live-transcribe, or the endpoint's model)",
  },
  language: {
    kind: 'string',
    description: 'ISO-639-1 language of the speech, e.g. en; several (en,de) for gpt-transcribe',
  },
  prompt: { kind: 'string', description: 'Context sent with every recording' },
  keywords: { kind: 'list', description: 'Words and names to expect, comma separated' },
  uploadTimeoutScale: {
    kind: 'number',
    description:
      'Multiplies the time each upload is given before it is retried or given up (default 1: 10 s plus 1 s per second of audio an attempt, 25 s plus 2 s per second in all); e.g. 3 for a slow self-hosted server',
  },
  hotkey: { kind: 'string', description: 'Global hotkey, e.g. ctrl+shift+r' },
  hotkeyBackend: {
    kind: 'string',
    choices: ['auto', 'x11', 'portal', 'none'],
    description:
      "Where the hotkey comes from: auto (default: the desktop's GlobalShortcuts portal on Wayland, the X display on X11), x11, portal, or none (bind `whis toggle` in your desktop)",
  },
  pushToTalk: {
    kind: 'boolean',
    description: 'Hold the hotkey to record instead of pressing twice',
  },
  tapToToggleMs: {
    kind: 'count',
    description:
      'With pushToTalk: a tap shorter than this many ms keeps recording on until the next press (default 0: off)',
  },
  device: { kind: 'string', description: 'Microphone name or index (see `whis devices`)' },
  outputs: {
    kind: 'list',
    choices: ['clipboard', 'paste', 'type', 'stdout', 'file', 'command'],
    description:
      'Where transcripts go, comma separated: clipboard, paste (into the focused window, then the clipboard you had is given back), type (typed into the focused window), stdout, file, command (outputCommand)',
  },
  outputFile: { kind: 'string', description: 'File that the `file` output appends to' },
  outputCommand: {
    kind: 'string',
    description:
      "The `command` output: a shell command that gets each transcript on its stdin, e.g. 'tee -a ~/notes.md'",
  },
  segmentSeconds: {
    kind: 'count',
    description:
      'Send a segment for transcription at the first pause once it holds this many seconds (default 5): less is left to send when you stop, more uploads a minute',
  },
  keepMicrophoneOpen: {
    kind: 'boolean',
    description:
      'Keep the microphone open while the service runs and begin each recording with the half second before the hotkey (the desktop shows the microphone in use)',
  },
  speechDetection: {
    kind: 'boolean',
    description:
      'Judge by speech detection (Silero VAD) whether a recording holds speech: noise is not sent, and a short reply ("thank you") is kept (default true; false: loudness and a list of known silence hallucinations decide)',
  },
  typeTool: {
    kind: 'string',
    choices: KEYBOARD_NAMES,
    description:
      "The tool that types and presses the paste chord (default: by session: xdotool on X11, wtype on wlroots; on GNOME and KDE Wayland the desktop's remote-control portal, then ydotool or dotool)",
  },
  pasteChord: {
    kind: 'list',
    description:
      'The paste chord (default ctrl+v; terminals ctrl+shift+v, xterm shift+Insert), and per window class: ctrl+v,kitty=ctrl+shift+v',
  },
  clipboardRestoreMs: {
    kind: 'count',
    description: 'How long after a paste the previous clipboard is given back (default 1500)',
  },
  submit: {
    kind: 'boolean',
    description: 'Press Return after typing or pasting (default false: nothing is ever sent)',
  },
  typeSegments: {
    kind: 'boolean',
    description:
      'With the type output: type each segment as soon as its text is final, while you go on speaking (best with mode realtime); Return (submit) is then never pressed',
  },
  notify: {
    kind: 'string',
    choices: ['errors', 'all', 'off'],
    description:
      'Desktop notifications: errors (default: failures that need you, e.g. a transcription failed and its audio is kept), all (also each transcript), off',
  },
  pauseMedia: {
    kind: 'boolean',
    description:
      'Pause the media players that are playing (MPRIS) while you dictate, and resume those whis paused afterwards (default false)',
  },
  sounds: {
    kind: 'list',
    choices: ['start', 'stop', 'error'],
    description:
      'Sounds to play, comma separated: start (as soon as the microphone records; kept out of the recording), stop, error (default: none)',
  },
  soundVolume: {
    kind: 'count',
    description: 'Volume of the sounds, 0 to 100 (default 60)',
  },
  keepAudio: {
    kind: 'count',
    description: 'How many transcribed recordings keep their audio (failed ones are always kept)',
  },
  postProcess: {
    kind: 'list',
    choices: POST_PROCESS_STEPS,
    description:
      'Steps that tidy each transcript, in order: replacements, spoken (punctuation), fillers, llm, command (default: none, the text as heard)',
  },
  replacements: {
    kind: 'pairs',
    description:
      "Your fixes, whole words and phrases, any case in, your case out: 'kuber netties=Kubernetes;pie torch=PyTorch'",
  },
  replacementsFile: {
    kind: 'string',
    description: 'A file of more replacements, one heard=written pair a line',
  },
  llmModel: {
    kind: 'string',
    description: 'The chat model of the llm step (default gpt-5-mini)',
  },
  llmBaseURL: {
    kind: 'string',
    description:
      'OpenAI-compatible chat endpoint of the llm step: Groq, Ollama, llama.cpp, LM Studio (default: baseURL)',
  },
  llmApiKey: {
    kind: 'string',
    secret: true,
    description: 'API key for llmBaseURL (default: apiKey)',
  },
  llmPrompt: {
    kind: 'string',
    description: 'What the llm step tells the model (the transcript follows as data)',
  },
  llmTimeoutMs: {
    kind: 'count',
    description:
      'How long the llm step may take; after it the text is delivered without it (default 4000)',
  },
  postProcessCommand: {
    kind: 'string',
    description:
      'The command step: a shell command that reads the text on stdin and prints the new text',
  },
  finalPunctuation: {
    kind: 'string',
    choices: ['keep', 'add', 'remove'],
    description:
      'How a transcript ends: keep (default), add (a period where none), remove (a final period, comma, colon, semicolon)',
  },
  profiles: {
    kind: 'profiles',
    description:
      'By focused window class, what overrides postProcess and finalPunctuation: {"xterm,kitty":{"postProcess":["replacements"],"finalPunctuation":"remove"}}',
  },
};

export type ConfigErrorCode = 'invalid-settings' | 'unknown-key' | 'invalid-value' | 'write-failed';

export class ConfigError extends WhisError<'config', ConfigErrorCode> {
  constructor(code: ConfigErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('ConfigError', 'config', code, message, options);
  }
}

function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTING_KEYS, key);
}

function validKeys(): string {
  return Object.keys(SETTING_KEYS).join(', ');
}

/** Converts a command-line value to the key's type, or throws a ConfigError that says what is accepted. */
export function parseSettingValue(key: string, raw: string): Settings[SettingKey] {
  if (!isSettingKey(key)) {
    throw new ConfigError(
      'unknown-key',
      `Unknown setting "${key}". Valid settings: ${validKeys()}.`,
    );
  }
  const spec = SETTING_KEYS[key];
  const value = raw.trim();
  switch (spec.kind) {
    case 'string':
      if (value === '')
        throw new ConfigError(
          'invalid-value',
          `"${key}" cannot be empty; use \`whis config unset ${key}\` to remove it.`,
        );
      if (spec.choices && !spec.choices.includes(value))
        throw new ConfigError(
          'invalid-value',
          `"${key}" takes one of ${spec.choices.join(', ')}, not "${raw}".`,
        );
      return value;
    case 'boolean':
      if (/^(true|yes|on|1)$/i.test(value)) return true;
      if (/^(false|no|off|0)$/i.test(value)) return false;
      throw new ConfigError('invalid-value', `"${key}" takes true or false, not "${raw}".`);
    case 'count': {
      if (!/^\d+$/.test(value))
        throw new ConfigError('invalid-value', `"${key}" takes a whole number ≥ 0, not "${raw}".`);
      return Number(value);
    }
    case 'number': {
      const number = Number(value);
      if (value === '' || !Number.isFinite(number) || number <= 0)
        throw new ConfigError('invalid-value', `"${key}" takes a number above 0, not "${raw}".`);
      return number;
    }
    case 'list': {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = spec.choices ? items.filter((item) => !spec.choices!.includes(item)) : [];
      if (key === 'pasteChord') {
        const chord = /^((ctrl|control|shift|alt|super|cmd|meta)\+)*[A-Za-z0-9]+$/i;
        const wrong = items.find((item) => !chord.test(item.slice(item.indexOf('=') + 1).trim()));
        if (wrong !== undefined)
          throw new ConfigError(
            'invalid-value',
            `"${wrong}" is not a paste chord: modifiers (ctrl, shift, alt, super) and a key joined by +, optionally after a window class and =, e.g. ctrl+v,kitty=ctrl+shift+v.`,
          );
      }
      if (items.length === 0 || bad.length > 0) {
        throw new ConfigError(
          'invalid-value',
          spec.choices
            ? `"${key}" takes a comma-separated list of ${spec.choices.join(', ')}; "${bad.join(', ') || raw}" is not one.`
            : `"${key}" takes a comma-separated list, e.g. whis,Kubernetes.`,
        );
      }
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
    case 'profiles': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      const problem = parsed === undefined ? 'JSON' : profilesProblem(parsed);
      if (problem)
        throw new ConfigError(
          'invalid-value',
          `"${key}" takes ${problem}, e.g. '{"xterm":{"postProcess":["replacements"],"finalPunctuation":"remove"}}'.`,
        );
      return parsed as Record<string, Profile>;
    }
  }
}

/** A setting's value as `whis config` prints it: lists comma separated, pairs as a=b;c=d, profiles as JSON. */
export function formatSettingValue(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (isSettingKey(key) && SETTING_KEYS[key].kind === 'pairs' && typeof value === 'object' && value)
    return Object.entries(value as Record<string, string>)
      .map(([from, to]) => `${from}=${to}`)
      .join(';');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function validate(file: string, data: unknown): Settings {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(
      'invalid-settings',
      `${file} must hold a JSON object. Fix it, or delete it to start over.`,
    );
  }
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!isSettingKey(key)) {
      throw new ConfigError(
        'invalid-settings',
        `${file}: unknown setting "${key}". Valid settings: ${validKeys()}.`,
      );
    }
    const kind = SETTING_KEYS[key].kind;
    const ok =
      (kind === 'string' && typeof value === 'string') ||
      (kind === 'boolean' && typeof value === 'boolean') ||
      (kind === 'count' && Number.isInteger(value) && (value as number) >= 0) ||
      (kind === 'number' && typeof value === 'number' && Number.isFinite(value) && value > 0) ||
      (kind === 'list' && Array.isArray(value) && value.every((v) => typeof v === 'string')) ||
      (kind === 'pairs' &&
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((v) => typeof v === 'string')) ||
      (kind === 'profiles' && profilesProblem(value) === undefined);
    if (!ok) {
      throw new ConfigError(
        'invalid-settings',
        `${file}: "${key}" has the wrong type (${JSON.stringify(value)}). Fix it with \`whis config set ${key} VALUE\`.`,
      );
    }
    settings[key] = value;
  }
  return settings as Settings;
}

/** Reads the settings file; a missing file is empty settings, a broken one a ConfigError naming the file. */
export async function readSettings(file = resolvePaths().settingsFile): Promise<Settings> {
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
  return validate(file, data);
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

/** Sets one key from its command-line form and saves; returns the new settings. */
export async function setSetting(
  key: string,
  raw: string,
  file = resolvePaths().settingsFile,
): Promise<Settings> {
  const value = parseSettingValue(key, raw);
  const settings = { ...(await readSettings(file)), [key]: value };
  await writeSettings(settings, file);
  return settings;
}

/** Removes one key and saves; returns the new settings. */
export async function unsetSetting(
  key: string,
  file = resolvePaths().settingsFile,
): Promise<Settings> {
  if (!isSettingKey(key)) {
    throw new ConfigError(
      'unknown-key',
      `Unknown setting "${key}". Valid settings: ${validKeys()}.`,
    );
  }
  const settings = { ...(await readSettings(file)) };
  delete settings[key];
  await writeSettings(settings, file);
  return settings;
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
