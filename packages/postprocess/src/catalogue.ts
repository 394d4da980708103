// The catalogue of post-processing steps: one row per step, each able to build the step from the
// settings, describe it for `whis status`, and check it for `whis doctor`.
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { STEP_NAMES, type FinalPunctuation, type StepName } from '@whis/contracts';
import { PostProcessError } from './errors.js';
import { runTextCommand } from './steps/command.js';
import { removeFillers } from './steps/fillers.js';
import { createLlmTidy, judgeTidyUp, prepareLlm } from './steps/llm.js';
import { createReplacer, parseReplacements } from './steps/replacements.js';
import { applySpokenPunctuation } from './steps/spoken.js';

// The step names and the final punctuations are `@whis/contracts`' lists (the settings check them
// there without loading this package); STEPS below is typed against them, one row per name.
export { STEP_NAMES, type StepName, type FinalPunctuation };

/** A per-application profile: what it overrides for windows of its class. */
export interface Profile {
  postProcess?: string[];
  finalPunctuation?: string;
}

/** The settings the steps read (whis's settings file has them under the same names). */
export interface PostProcessSettings {
  apiKey?: string;
  baseURL?: string;
  /** The steps, in order. Default: none. */
  postProcess?: string[];
  replacements?: Record<string, string>;
  /** A file of `heard=written` pairs, one a line, added to `replacements`. */
  replacementsFile?: string;
  llmModel?: string;
  llmBaseURL?: string;
  llmApiKey?: string;
  llmPrompt?: string;
  llmTimeoutMs?: number;
  postProcessCommand?: string;
  finalPunctuation?: string;
  /** By window class (several classes may share one key, comma separated). */
  profiles?: Record<string, Profile>;
}

export interface StepContext {
  signal?: AbortSignal;
}

/** What a step did: the new text, or the text as it was and why. */
export type StepOutcome = { text: string; note?: undefined } | { text: string; note: string };

export interface Step {
  readonly name: StepName;
  run(text: string, context: StepContext): Promise<StepOutcome>;
}

export interface StepCheck {
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface Environment {
  env: NodeJS.ProcessEnv;
}

export interface StepDefinition {
  readonly name: StepName;
  /** One line: what the step does. */
  readonly summary: string;
  /** Builds the step; throws a PostProcessError when its settings are wrong. */
  create(settings: PostProcessSettings, environment: Environment): Promise<Step>;
  /** The step as configured, for `status`: `llm (gpt-5-mini, 4000 ms)`. */
  describe(settings: PostProcessSettings, environment: Environment): string;
  /** Whether it can work (the model answers in time, the command exists), for `doctor`. */
  check(settings: PostProcessSettings, environment: Environment): Promise<StepCheck>;
  /** Loads ahead what its first run would otherwise wait for (the llm's HTTP client); never rejects. */
  prepare?(): Promise<void>;
}

export const DEFAULT_LLM_MODEL = 'gpt-5-mini';
export const DEFAULT_LLM_TIMEOUT_MS = 4000;
export const COMMAND_TIMEOUT_MS = 10_000;

const local = (name: StepName, apply: (text: string) => string): Step => ({
  name,
  run: async (text) => ({ text: apply(text) }),
});

async function loadReplacements(settings: PostProcessSettings): Promise<Record<string, string>> {
  let fromFile: Record<string, string> = {};
  if (settings.replacementsFile) {
    let text: string;
    try {
      text = await readFile(settings.replacementsFile, 'utf8');
    } catch (err) {
      throw new PostProcessError(
        'invalid-replacements',
        `Cannot read replacementsFile ${settings.replacementsFile}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    fromFile = parseReplacements(text);
  }
  // the pairs set from the command line win over the file's
  return { ...fromFile, ...settings.replacements };
}

/**
 * The chat model the settings name (`llmBaseURL`, `llmModel`, `llmApiKey`, falling back on the
 * transcription's endpoint and key): the `llm` step's and edit by voice's. `apiKey` is empty when
 * none is known (a local server, Ollama or llama.cpp, takes any key: `none`).
 */
export function chatModel(
  settings: PostProcessSettings,
  env: NodeJS.ProcessEnv,
): { apiKey: string; baseURL?: string; model: string } {
  const apiKey = settings.llmApiKey || env.OPENAI_API_KEY || settings.apiKey;
  const baseURL = settings.llmBaseURL || env.OPENAI_BASE_URL || settings.baseURL;
  return {
    apiKey: apiKey || (settings.llmBaseURL ? 'none' : ''),
    ...(baseURL ? { baseURL } : {}),
    model: settings.llmModel || DEFAULT_LLM_MODEL,
  };
}

function llmOptions(settings: PostProcessSettings, { env }: Environment) {
  return {
    ...chatModel(settings, env),
    ...(settings.llmPrompt ? { prompt: settings.llmPrompt } : {}),
    timeoutMs: settings.llmTimeoutMs || DEFAULT_LLM_TIMEOUT_MS,
  };
}

const replacements: StepDefinition = {
  name: 'replacements',
  summary: 'your own fixes, whole words and phrases (replacements, replacementsFile)',
  async create(settings) {
    return local('replacements', createReplacer(await loadReplacements(settings)));
  },
  describe(settings) {
    const count = Object.keys(settings.replacements ?? {}).length;
    return `replacements (${count} set${settings.replacementsFile ? `, and ${settings.replacementsFile}` : ''})`;
  },
  async check(settings) {
    try {
      const count = Object.keys(await loadReplacements(settings)).length;
      return count > 0
        ? { ok: true, detail: `${count} replacements` }
        : {
            ok: false,
            detail: 'no replacements are set',
            fix: "whis config set replacements 'kuber netties=Kubernetes;pie torch=PyTorch'",
          };
    } catch (err) {
      return {
        ok: false,
        detail: (err as Error).message,
        fix: 'whis config set replacementsFile FILE (one heard=written pair a line)',
      };
    }
  },
};

const spoken: StepDefinition = {
  name: 'spoken',
  summary: 'spoken punctuation and layout (comma, period, new line, …; "scratch that")',
  create: async () => local('spoken', applySpokenPunctuation),
  describe: () => 'spoken',
  check: async () => ({ ok: true, detail: 'spoken punctuation (English)' }),
};

const fillers: StepDefinition = {
  name: 'fillers',
  summary: 'hesitations (um, uh, er) and stuttered words removed',
  create: async () => local('fillers', removeFillers),
  describe: () => 'fillers',
  check: async () => ({ ok: true, detail: 'hesitations and stutters' }),
};

const llm: StepDefinition = {
  name: 'llm',
  prepare: prepareLlm,
  summary: 'a language model tidies the text (llmModel, llmBaseURL, llmPrompt, llmTimeoutMs)',
  async create(settings, environment) {
    const options = llmOptions(settings, environment);
    if (!options.apiKey)
      throw new PostProcessError(
        'invalid-settings',
        'The llm step has no API key: set apiKey (or llmApiKey, or OPENAI_API_KEY).',
      );
    const tidy = createLlmTidy(options);
    return {
      name: 'llm',
      async run(text, { signal }) {
        const outcome = await tidy(text, signal);
        return outcome.text !== undefined
          ? { text: outcome.text }
          : { text, note: `llm: ${outcome.note}` };
      },
    };
  },
  describe(settings, environment) {
    const options = llmOptions(settings, environment);
    return `llm (${options.model}${options.baseURL ? ` at ${options.baseURL}` : ''}, ${options.timeoutMs} ms)`;
  },
  async check(settings, environment) {
    const options = llmOptions(settings, environment);
    if (!options.apiKey)
      return {
        ok: false,
        detail: 'no API key for the model',
        fix: 'whis config --api-key sk-… (or whis config set llmApiKey …)',
      };
    const sample = 'um so this is a a test of the the clean up';
    const started = Date.now();
    const outcome = await createLlmTidy(options)(sample);
    const ms = Date.now() - started;
    if (outcome.text !== undefined && judgeTidyUp(sample, outcome.text).ok)
      return { ok: true, detail: `${options.model} tidied a line in ${ms} ms: "${outcome.text}"` };
    return {
      ok: false,
      detail: `${options.model}: ${outcome.note ?? 'no usable answer'}`,
      fix: 'check llmBaseURL and llmModel, or raise llmTimeoutMs (the text is delivered untidied meanwhile)',
    };
  },
};

// the program of a command line, after any VAR=value assignments
const commandName = (line: string) =>
  line
    .trim()
    .split(/\s+/)
    .find((word) => !/^\w+=/.test(word)) ?? '';

/** Whether a program is a path to an executable or an executable on PATH. */
function findProgram(program: string, env: NodeJS.ProcessEnv): boolean {
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return executable(program);
  return (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => executable(join(dir, program)));
}

const command: StepDefinition = {
  name: 'command',
  summary: 'your command: the text on its stdin, its stdout the new text (postProcessCommand)',
  async create(settings, { env }) {
    const line = settings.postProcessCommand;
    if (!line)
      throw new PostProcessError(
        'invalid-settings',
        'The command step needs postProcessCommand: whis config set postProcessCommand "CMD".',
      );
    return {
      name: 'command',
      async run(text, { signal }) {
        try {
          return {
            text: await runTextCommand(text, {
              command: line,
              env,
              timeoutMs: COMMAND_TIMEOUT_MS,
              ...(signal ? { signal } : {}),
            }),
          };
        } catch (err) {
          return { text, note: (err as Error).message };
        }
      },
    };
  },
  describe: (settings) => `command (${settings.postProcessCommand ?? 'not set'})`,
  async check(settings, { env }) {
    const line = settings.postProcessCommand;
    if (!line)
      return {
        ok: false,
        detail: 'postProcessCommand is not set',
        fix: 'whis config set postProcessCommand "CMD"',
      };
    // the command is not run: it may act on what it reads (append to a file, send a message)
    const program = commandName(line);
    return findProgram(program, env)
      ? { ok: true, detail: `${program} is installed (${line})` }
      : {
          ok: false,
          detail: `${program} (from postProcessCommand) is not installed or not executable`,
          fix: `install ${program}, or whis config set postProcessCommand "CMD"`,
        };
  },
};

/** Every step, by name. */
export const STEPS: Readonly<Record<StepName, StepDefinition>> = {
  replacements,
  spoken,
  fillers,
  llm,
  command,
};

export function isStepName(name: string): name is StepName {
  return (STEP_NAMES as readonly string[]).includes(name);
}
