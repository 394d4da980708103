import {
  CUES,
  ENGINE_NAMES,
  FINAL_PUNCTUATIONS,
  KEYBOARD_NAMES,
  NOTIFY_LEVELS,
  OUTPUT_NAMES,
  PROVIDER_NAMES,
  SELECTION_MODES,
  STEP_NAMES,
  TRIGGER_NAMES,
} from '@whis/contracts';
// zod's tree-shakable build: the settings are bundled into the CLI, and the full build would add
// about 700 KB to it (zod/mini about 40 KB); the schemas and the inferred types are the same.
import * as z from 'zod/mini';

// The one description of the settings file: each key's schema (checked on every read and by
// `whis config set`), how its command-line text is read, and what it does. The allowed names come
// from the lists in @whis/contracts that the catalogue's rows are typed against, never a copy.

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

// zod calls `error` for an issue of that schema; the message says what is taken and what was found
const takes = (what: string) => ({
  error: (issue: { input?: unknown }) => `takes ${what}, not ${show(issue.input)}`,
});

const text = z.string(takes('text'));
const flag = z.boolean(takes('true or false'));
const count = z.int(takes('a whole number ≥ 0')).check(z.minimum(0, takes('a whole number ≥ 0')));
const positive = z.number(takes('a number above 0')).check(z.positive(takes('a number above 0')));

const oneOf = <const T extends readonly [string, ...string[]]>(names: T) =>
  z.enum(names, takes(`one of ${names.join(', ')}`));

// a list whose items are each checked by `item`, which describes them as `what`
const listOf = <T extends z.ZodMiniType<string>>(item: T, what: string) =>
  z.array(item, takes(`a list of ${what}`));

const namesOf = <const T extends readonly [string, ...string[]]>(names: T) =>
  listOf(
    z.enum(names, {
      error: (issue) => `takes a list of ${names.join(', ')}; ${show(issue.input)} is not one`,
    }),
    names.join(', '),
  );

const PASTE_CHORD = /^((ctrl|control|shift|alt|super|cmd|meta)\+)*[A-Za-z0-9]+$/i;
const pasteChord = z.string(takes('a list of paste chords')).check(
  z.refine((item) => PASTE_CHORD.test(item.slice(item.indexOf('=') + 1).trim()), {
    error: (issue) =>
      `takes paste chords: modifiers (ctrl, shift, alt, super) and a key joined by +, optionally after a window class and =, e.g. ctrl+v,kitty=ctrl+shift+v; ${show(issue.input)} is not one`,
  }),
);

const pairs = z.record(z.string(), text, takes('heard=written pairs (an object of text)'));

/** What a per-application profile (`profiles`, by window class) overrides. */
export const profileSchema = z.strictObject(
  {
    postProcess: z.optional(namesOf(STEP_NAMES)),
    finalPunctuation: z.optional(oneOf(FINAL_PUNCTUATIONS)),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `has an unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')} (postProcess, finalPunctuation)`
        : `must map to an object, not ${show(issue.input)}`,
  },
);

const profiles = z.record(z.string(), profileSchema, takes('an object by window class'));

/**
 * How `whis config set` reads a key's text: `text` as it is, `boolean` yes/no words, `number`
 * digits, `list` comma separated, `pairs` `heard=written;…`, `json` a JSON value.
 */
export type SettingForm = 'text' | 'boolean' | 'number' | 'list' | 'pairs' | 'json';

/** One key of the settings file. */
export interface SettingSpec<S extends z.ZodMiniType = z.ZodMiniType> {
  /** What the file may hold there: checked on every read and by `whis config set`. */
  schema: S;
  form: SettingForm;
  description: string;
  /** Masked when shown (`maskSettings`). */
  secret?: boolean;
  /** The names it takes, when it takes names: the list its owner's rows are typed against. */
  choices?: readonly string[];
}

const key = <S extends z.ZodMiniType>(
  schema: S,
  form: SettingForm,
  description: string,
  extra: Pick<SettingSpec, 'secret' | 'choices'> = {},
): SettingSpec<S> => ({ schema, form, description, ...extra });

/** The settings file's keys: their schemas, how `whis config set` reads them, and what they do. */
export const SETTING_KEYS = {
  apiKey: key(text, 'text', 'API key for the OpenAI (or compatible) endpoint', { secret: true }),
  baseURL: key(
    text,
    'text',
    "The chosen provider's endpoint (default: the provider's own; an OpenAI-compatible one for openai)",
  ),
  provider: key(
    oneOf(PROVIDER_NAMES),
    'text',
    'Whose service transcribes: openai (default; any OpenAI-compatible endpoint with baseURL: Groq, Mistral, a self-hosted server), deepgram or elevenlabs. Each takes its own key (apiKey, deepgramApiKey, elevenlabsApiKey)',
    { choices: PROVIDER_NAMES },
  ),
  deepgramApiKey: key(text, 'text', 'API key for Deepgram (default: DEEPGRAM_API_KEY)', {
    secret: true,
  }),
  elevenlabsApiKey: key(text, 'text', 'API key for ElevenLabs (default: ELEVENLABS_API_KEY)', {
    secret: true,
  }),
  model: key(
    text,
    'text',
    "gpt-transcribe (default), or the endpoint's own model (any name); nova-3 (default) with deepgram, scribe_v2 (default) with elevenlabs",
  ),
  mode: key(
    oneOf(ENGINE_NAMES),
    'text',
    "file (default): segments are uploaded as they close; realtime: the audio is streamed to a Realtime session and the text comes while you speak (gpt-live-transcribe, or the endpoint's model); local: on this computer, offline (`localModel`, see `whis model list`). A service takes a new mode once restarted",
    { choices: ENGINE_NAMES },
  ),
  localModel: key(
    text,
    'text',
    'The offline model (see `whis model list`): a catalogue name or one added with `whis model add` (default parakeet-tdt-0.6b-v3)',
  ),
  localIdleMinutes: key(
    count,
    'number',
    'Minutes the offline model stays loaded after a dictation (default 10; 0 keeps it loaded while the service runs)',
  ),
  localThreads: key(
    count,
    'number',
    'Threads the offline model decodes with (default 0: half the cores, at most 4)',
  ),
  modelMirror: key(
    text,
    'text',
    'Another host with the same paths to download models from (`whis model download`), e.g. https://hf-mirror.example',
  ),
  language: key(
    text,
    'text',
    'ISO-639-1 language of the speech, e.g. en; several (en,de) for gpt-transcribe',
  ),
  prompt: key(text, 'text', 'Context sent with every recording'),
  keywords: key(listOf(text, 'words'), 'list', 'Words and names to expect, comma separated'),
  uploadTimeoutScale: key(
    positive,
    'number',
    'Multiplies the time each upload is given before it is retried or given up (default 1: 10 s plus 1 s per second of audio an attempt, 25 s plus 2 s per second in all); e.g. 3 for a slow self-hosted server',
  ),
  hotkey: key(text, 'text', 'Global hotkey, e.g. ctrl+shift+r'),
  hotkeyBackend: key(
    oneOf(TRIGGER_NAMES),
    'text',
    "Where the hotkey comes from: auto (default: the desktop's GlobalShortcuts portal on Wayland, the X display on X11), x11, portal, or none (bind `whis toggle` in your desktop)",
    { choices: TRIGGER_NAMES },
  ),
  editHotkey: key(
    text,
    'text',
    'The key that edits the selection by voice (select text, press it, say what to change), e.g. ctrl+alt+shift+e (default); none turns it off',
  ),
  editSelection: key(
    oneOf(SELECTION_MODES),
    'text',
    'How an edit reads the selected text: auto (default: the primary selection, else the copy chord), primary, or copy (the copy chord, then your clipboard is put back)',
    { choices: SELECTION_MODES },
  ),
  editPrompt: key(
    text,
    'text',
    'What an edit tells the chat model (the instruction and the selection follow as data); default: the built-in prompt',
  ),
  editTimeoutMs: key(
    count,
    'number',
    "How long an edit's chat model may take before the selection is left as it was (default 20000)",
  ),
  pushToTalk: key(flag, 'boolean', 'Hold the hotkey to record instead of pressing twice'),
  tapToToggleMs: key(
    count,
    'number',
    'With pushToTalk: a tap shorter than this many ms keeps recording on until the next press (default 0: off)',
  ),
  device: key(text, 'text', 'Microphone name or index (see `whis devices`)'),
  outputs: key(
    namesOf(OUTPUT_NAMES),
    'list',
    'Where transcripts go, comma separated: clipboard, paste (into the focused window, then the clipboard you had is given back), type (typed into the focused window), stdout, file, command (outputCommand)',
    { choices: OUTPUT_NAMES },
  ),
  outputFile: key(text, 'text', 'File that the `file` output appends to'),
  outputCommand: key(
    text,
    'text',
    "The `command` output: a shell command that gets each transcript on its stdin, e.g. 'tee -a ~/notes.md'",
  ),
  keepAudio: key(
    count,
    'number',
    'How many transcribed recordings keep their audio (failed ones are always kept)',
  ),
  segmentSeconds: key(
    count,
    'number',
    'Send a segment for transcription at the first pause once it holds this many seconds (default 5): less is left to send when you stop, more uploads a minute',
  ),
  keepMicrophoneOpen: key(
    flag,
    'boolean',
    'Keep the microphone open while the service runs and begin each recording with the half second before the hotkey (the desktop shows the microphone in use)',
  ),
  speechDetection: key(
    flag,
    'boolean',
    'Judge by speech detection (Silero VAD) whether a recording holds speech: noise is not sent, and a short reply ("thank you") is kept (default true; false: loudness and a list of known silence hallucinations decide)',
  ),
  typeTool: key(
    oneOf(KEYBOARD_NAMES),
    'text',
    `The tool that types and presses the paste chord: ${KEYBOARD_NAMES.join(', ')} (default: by session: xdotool on X11, wtype on wlroots; on GNOME and KDE Wayland the desktop's remote-control portal, then ydotool or dotool)`,
    { choices: KEYBOARD_NAMES },
  ),
  pasteChord: key(
    listOf(pasteChord, 'paste chords'),
    'list',
    'The paste chord (default ctrl+v; terminals ctrl+shift+v, xterm shift+Insert), and per window class: ctrl+v,kitty=ctrl+shift+v',
  ),
  clipboardRestoreMs: key(
    count,
    'number',
    'How long after a paste the previous clipboard is given back (default 1500)',
  ),
  submit: key(
    flag,
    'boolean',
    'Press Return after typing or pasting (default false: nothing is ever sent)',
  ),
  typeSegments: key(
    flag,
    'boolean',
    'With the type output: type each segment as soon as its text is final, while you go on speaking (best with mode realtime); Return (submit) is then never pressed',
  ),
  notify: key(
    oneOf(NOTIFY_LEVELS),
    'text',
    'Desktop notifications: errors (default: failures that need you, e.g. a transcription failed and its audio is kept), all (also each transcript), off',
    { choices: NOTIFY_LEVELS },
  ),
  pauseMedia: key(
    flag,
    'boolean',
    'Pause the media players that are playing (MPRIS) while you dictate, and resume those whis paused afterwards (default false)',
  ),
  sounds: key(
    namesOf(CUES),
    'list',
    'Sounds to play, comma separated: start (as soon as the microphone records; kept out of the recording), stop, error (default: none)',
    { choices: CUES },
  ),
  soundVolume: key(count, 'number', 'Volume of the sounds, 0 to 100 (default 60)'),
  postProcess: key(
    namesOf(STEP_NAMES),
    'list',
    'Steps that tidy each transcript, in order: replacements, spoken (punctuation), fillers, llm, command (default: none, the text as heard)',
    { choices: STEP_NAMES },
  ),
  replacements: key(
    pairs,
    'pairs',
    "Your fixes, whole words and phrases, any case in, your case out: 'kuber netties=Kubernetes;pie torch=PyTorch'",
  ),
  replacementsFile: key(text, 'text', 'A file of more replacements, one heard=written pair a line'),
  llmModel: key(text, 'text', 'The chat model of the llm step (default gpt-5-mini)'),
  llmBaseURL: key(
    text,
    'text',
    'OpenAI-compatible chat endpoint of the llm step: Groq, Ollama, llama.cpp, LM Studio (default: baseURL)',
  ),
  llmApiKey: key(text, 'text', 'API key for llmBaseURL (default: apiKey)', { secret: true }),
  llmPrompt: key(
    text,
    'text',
    'What the llm step tells the model (the transcript follows as data)',
  ),
  llmTimeoutMs: key(
    count,
    'number',
    'How long the llm step may take; after it the text is delivered without it (default 4000)',
  ),
  postProcessCommand: key(
    text,
    'text',
    'The command step: a shell command that reads the text on stdin and prints the new text',
  ),
  finalPunctuation: key(
    oneOf(FINAL_PUNCTUATIONS),
    'text',
    'How a transcript ends: keep (default), add (a period where none), remove (a final period, comma, colon, semicolon)',
    { choices: FINAL_PUNCTUATIONS },
  ),
  profiles: key(
    profiles,
    'json',
    'By focused window class, what overrides postProcess and finalPunctuation: {"xterm,kitty":{"postProcess":["replacements"],"finalPunctuation":"remove"}}',
  ),
};

export type SettingKey = keyof typeof SETTING_KEYS;

type Shape = {
  [K in SettingKey]: z.ZodMiniOptional<(typeof SETTING_KEYS)[K]['schema']>;
};

/** The settings file: an object of the keys above, each optional; any other key is refused. */
export const settingsSchema = z.strictObject(
  Object.fromEntries(
    Object.entries(SETTING_KEYS).map(([name, spec]) => [name, z.optional(spec.schema)]),
  ) as Shape,
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')} (valid settings: ${Object.keys(SETTING_KEYS).join(', ')})`
        : 'must hold a JSON object',
  },
);

/** Everything whis reads from its settings file. Every key is optional. */
export type Settings = z.infer<typeof settingsSchema>;

/** What a per-application profile (`profiles`, by window class) overrides. */
export type Profile = z.infer<typeof profileSchema>;

export function isSettingKey(name: string): name is SettingKey {
  return Object.hasOwn(SETTING_KEYS, name);
}

/** One thing wrong with a settings object: the key it is under (none: the whole) and what is wrong. */
export interface SettingProblem {
  key?: string;
  /** Keys the file has that are no settings. */
  unknown?: string[];
  message: string;
}

/**
 * What is wrong with `data` as settings, each problem in words that name the key, the value and
 * what the key takes: `"notify" takes one of errors, all, off, not "none"`. Empty when it is valid.
 */
export function settingsProblems(data: unknown): SettingProblem[] {
  const result = settingsSchema.safeParse(data);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const [name, owner, field] = issue.path.filter((p): p is string => typeof p === 'string');
    if (name === undefined)
      return issue.code === 'unrecognized_keys'
        ? { unknown: issue.keys, message: issue.message }
        : { message: issue.message };
    const where = `"${name}"${owner === undefined ? '' : ` for "${owner}"`}${field === undefined ? '' : `: ${field}`}`;
    return { key: name, message: `${where} ${issue.message}` };
  });
}
